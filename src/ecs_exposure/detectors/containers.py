"""Container runtime settings that hand an attacker the host or make the container easier to
abuse: privileged mode, added Linux capabilities, running as root, writable root filesystems.

Example::

    {"containerDefinitions": [{"name": "web", "privileged": true}]}

fires ``privileged-container`` at ``/containerDefinitions/0/privileged``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.images.context import task_arch
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.util import (
    as_dict,
    as_list,
    container_name,
    containers,
    is_windows,
    runs_as_root,
)
from ecs_exposure.model import Json, Level, Trait

PRIVILEGED = TraitSpec(
    "privileged-container", "Privileged container", "misconfiguration", False,
    "A container definition sets privileged to true: it gets every capability and the "
    "host's devices, which is root on the host.",
    ("Security Hub: ECS service uses a task definition configured with elevated privileges",
     "CSPM ECS.4"),
)
CAPABILITIES = TraitSpec(
    "dangerous-capabilities", "Dangerous Linux capabilities added", "impact", False,
    "linuxParameters.capabilities.add contains SYS_ADMIN, SYS_PTRACE, SYS_MODULE, "
    "DAC_READ_SEARCH, NET_ADMIN or ALL.",
    ("CIS Docker 5.3",),
)
ROOT_USER = TraitSpec(
    "root-user", "Container runs as root", "image", True,
    "The container definition's user is absent, root, 0, 0:<gid> or root:<group>, and the "
    "image config User (when known) is empty, root or 0 (Linux only).",
    ("CSPM ECS.20", "CIS Docker 4.1"),
)
WRITABLE_ROOT = TraitSpec(
    "writable-root-filesystem", "Writable root filesystem", "image", True,
    "readonlyRootFilesystem is not true (Linux only).",
    ("CSPM ECS.5",),
)

DANGEROUS_CAPABILITIES = frozenset(
    {"SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_ADMIN", "ALL"}
)


@detector("task-definition", PRIVILEGED)
def privileged_container(ctx: Context) -> Iterator[Trait]:
    """Only the literal boolean true counts: ECS rejects anything else at registration."""
    for index, container in containers(ctx.resource):
        if container.get("privileged") is True:
            name = container_name(container, index)
            yield ctx.trait(
                PRIVILEGED.id, f"/containerDefinitions/{index}/privileged",
                f"container {name} runs privileged: full capabilities and host devices",
                container=name, impact=Level.HIGH,
            )


@detector("task-definition", CAPABILITIES)
def dangerous_capabilities(ctx: Context) -> Iterator[Trait]:
    """Names are compared without the optional ``CAP_`` prefix and case, as Docker does."""
    for index, container in containers(ctx.resource):
        added = as_list(as_dict(as_dict(container.get("linuxParameters")).get("capabilities"))
                        .get("add"))
        for c_index, cap in enumerate(added):
            if not isinstance(cap, str):
                continue
            normal = cap.upper().removeprefix("CAP_")
            if normal in DANGEROUS_CAPABILITIES:
                name = container_name(container, index)
                yield ctx.trait(
                    CAPABILITIES.id,
                    f"/containerDefinitions/{index}/linuxParameters/capabilities/add/{c_index}",
                    f"container {name} adds capability {normal}",
                    container=name, impact=Level.HIGH, extra=(("capability", normal),),
                )


def _root_user(ctx: Context, container: Json, index: int, name: str
               ) -> tuple[str, str, tuple[tuple[str, object], ...]] | None:
    """``(pointer, detail, facts)`` when the container runs as root, else ``None``.

    The container's ``user`` overrides the image; without one, the image config ``User``
    decides when the image was inspected (``--images``), and the detail says when it was not.
    """
    if not runs_as_root(container):
        return None
    user = container.get("user")
    if user is not None:
        return (f"/containerDefinitions/{index}/user",
                f"container {name} runs as user {user!r} (UID 0)", ())
    image = container.get("image")
    image_user = (ctx.inventory.images.config_user(image, task_arch(ctx.resource))
                  if isinstance(image, str) else None)
    pointer = f"/containerDefinitions/{index}"
    if image_user is None:
        return (pointer, f"container {name} sets no user, so it runs as the image's default "
                "user, root unless the image sets USER (image config not checked)",
                (("image", image), ("image_user", None)))
    if not runs_as_root({"user": image_user or "0"}):
        return None
    shown = repr(image_user) if image_user else "not set"
    return (pointer, f"container {name} sets no user and its image config User is {shown}, "
            "so it runs as root", (("image", image), ("image_user", image_user)))


@detector("task-definition", ROOT_USER, WRITABLE_ROOT)
def root_and_writable_root(ctx: Context) -> Iterator[Trait]:
    """Windows containers have neither Linux UIDs nor read-only root support: exempt."""
    if is_windows(ctx.resource):
        return
    for index, container in containers(ctx.resource):
        name = container_name(container, index)
        found = _root_user(ctx, container, index, name)
        if found is not None:
            yield ctx.trait(ROOT_USER.id, found[0], found[1], container=name,
                            extra=found[2])
        if container.get("readonlyRootFilesystem") is not True:
            pointer = (f"/containerDefinitions/{index}/readonlyRootFilesystem"
                       if "readonlyRootFilesystem" in container
                       else f"/containerDefinitions/{index}")
            yield ctx.trait(
                WRITABLE_ROOT.id, pointer,
                f"container {name} can write to its root filesystem", container=name,
            )
