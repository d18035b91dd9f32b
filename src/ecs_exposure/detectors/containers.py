"""Container runtime settings that hand an attacker the host or make the container easier to
abuse: privileged mode, added Linux capabilities, running as root, writable root filesystems.

Example::

    {"containerDefinitions": [{"name": "web", "privileged": true}]}

fires ``privileged-container`` at ``/containerDefinitions/0/privileged``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.images.context import task_arch
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
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
    weight="high",
    controls=(ref.ECS_4, ref.NIST_RUNTIME_CONFIGURATION),
    title_phrase="a privileged container",
    revision_action="removes privileged mode",
    ocsf_impact="Host Compromise",
    host_access=True,
    guidance=Guidance(
        why=(
            "A privileged container gets every Linux capability and the host's "
            "devices, and runs without the usual seccomp and AppArmor limits, so "
            "root inside it is effectively root on the container instance: it can "
            "mount the host disk, load kernel modules and take over every other task "
            "on that host."
        ),
        change=(
            "Register a new task definition revision without `privileged` (or with "
            "`privileged: false`) in `containerDefinitions[]`, then run `update-service "
            "--task-definition family:new-revision`. If the workload needs one specific "
            "power, grant only that through `linuxParameters.capabilities.add` or "
            "`linuxParameters.devices` instead."
        ),
        contain=(
            "Pin the task to dedicated container instances with `placementConstraints`, "
            "set `ECS_DISABLE_PRIVILEGED=true` in the agent configuration of every other "
            "instance, and give the task a read-only root file system, a minimal task "
            "role and no public exposure."
        ),
        references=(
            ref.ECS_4.url,
            ref.SH_ECS_EXPOSURE,
            ref.ECS_CONTAINER_SECURITY,
            ref.ECS_TASKDEF_PARAMS,
        ),
    ),
)
CAPABILITIES = TraitSpec(
    "dangerous-capabilities", "Dangerous Linux capabilities added", "impact", False,
    "linuxParameters.capabilities.add contains SYS_ADMIN, SYS_PTRACE, SYS_MODULE, "
    "DAC_READ_SEARCH, NET_ADMIN or ALL.",
    ("CIS Docker 5.3",),
    weight="high",
    controls=(ref.NIST_RUNTIME_CONFIGURATION,),
    title_phrase="dangerous Linux capabilities",
    revision_action="drops the added Linux capabilities",
    ocsf_impact="Host Compromise",
    host_access=True,
    guidance=Guidance(
        why=(
            "These capabilities break container isolation: `SYS_ADMIN` is close to "
            "privileged mode, `SYS_MODULE` loads kernel modules, `SYS_PTRACE` inspects "
            "other processes, `DAC_READ_SEARCH` bypasses file permissions on the host, "
            "and `NET_ADMIN` can reconfigure or intercept networking."
        ),
        change=(
            "Register a new revision that removes them from "
            "`linuxParameters.capabilities.add`, preferably with "
            '`linuxParameters.capabilities.drop: ["ALL"]` and only narrow ones such '
            "as `NET_BIND_SERVICE` added back, then `update-service`."
        ),
        contain=(
            "Grant the capability to one small sidecar rather than the application "
            "container, run it as a non-root `user` without host mounts, and place it "
            "on dedicated container instances."
        ),
        references=(ref.ECS_CAPABILITIES, ref.ECS_CONTAINER_SECURITY, ref.CIS_DOCKER),
    ),
)
ROOT_USER = TraitSpec(
    "root-user", "Container runs as root", "image", True,
    "The container definition's user is absent, root, 0, 0:<gid> or root:<group>, and the "
    "image config User (when known) is empty, root or 0 (Linux only).",
    ("CSPM ECS.20", "CIS Docker 4.1"),
    controls=(ref.ECS_20, ref.WA_NON_ROOT, ref.NIST_IMAGE_CONFIGURATION),
    revision_action="sets a non-root user",
    guidance=Guidance(
        why=(
            "A container running as root can change anything in its own file system, "
            "and any escape (a kernel bug, a host mount, an added capability) then "
            "lands as root on the host."
        ),
        change=(
            "Set `containerDefinitions[].user` to a non-root `UID:GID` such as "
            "`1000:1000` in a new task definition revision and add a matching `USER` "
            "instruction to the Dockerfile, making the files the application writes "
            "owned by that user and listening on a port above 1024."
        ),
        contain=(
            'Drop all capabilities with `linuxParameters.capabilities.drop: ["ALL"]` '
            "and add back only what is needed, set `readonlyRootFilesystem: true`, "
            "and give the container no host access."
        ),
        references=(
            ref.ECS_20.url,
            ref.ECS_CONTAINER_SECURITY,
            ref.CIS_DOCKER,
        ),
    ),
)
WRITABLE_ROOT = TraitSpec(
    "writable-root-filesystem", "Writable root filesystem", "image", True,
    "readonlyRootFilesystem is not true (Linux only).",
    ("CSPM ECS.5",),
    controls=(ref.ECS_5, ref.NIST_APP_VULNERABILITIES, ref.NIST_RUNTIME_CONFIGURATION),
    revision_action="sets readonlyRootFilesystem to true",
    guidance=Guidance(
        why=(
            "A writable root file system lets an attacker drop tools, alter the "
            "application's code or configuration, and keep a foothold for as long as "
            "the task runs."
        ),
        change=(
            "Set `readonlyRootFilesystem: true` in each container definition of a new "
            "revision and give the paths the application writes (such as `/tmp`) their "
            "own task volume through `volumes[]` and `mountPoints[]`, then "
            "`update-service`."
        ),
        contain=(
            "Run an application that cannot work read-only as a non-root `user` so it "
            "cannot rewrite system paths, and replace its tasks regularly so any "
            "change is short-lived."
        ),
        references=(
            ref.ECS_5.url,
            ref.ECS_CONTAINER_SECURITY,
            ref.CIS_DOCKER,
        ),
    ),
)
WINDOWS_ADMIN = TraitSpec(
    "windows-admin-user", "Windows container runs as administrator", "image", True,
    "A Windows task definition's container sets no user or ContainerAdministrator.",
    ("CSPM ECS.21",),
    controls=(ref.ECS_21, ref.NIST_IMAGE_CONFIGURATION),
    revision_action="sets a non-administrator user",
    guidance=Guidance(
        why=(
            "An administrator inside a Windows container can change the whole container "
            "file system and services, and any escape through a host mount, a named pipe "
            "or a kernel bug lands with administrator rights on the container instance."
        ),
        change=(
            "Set `containerDefinitions[].user` to `ContainerUser` (or another "
            "non-administrator account of the image) in a new task definition revision, "
            "then `update-service`; give the files the application writes to that user."
        ),
        contain=(
            "Give the container no host mounts or named pipes, a minimal task role and "
            "no public exposure, and run it on dedicated container instances."
        ),
        references=(ref.ECS_21.url, ref.ECS_CONTAINER_SECURITY),
    ),
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


@detector("task-definition", WINDOWS_ADMIN)
def windows_admin_user(ctx: Context) -> Iterator[Trait]:
    """Windows only: Linux root is ``root-user``."""
    if not is_windows(ctx.resource):
        return
    for index, container in containers(ctx.resource):
        user = container.get("user")
        if user is None or str(user).strip().lower() == "containeradministrator":
            name = container_name(container, index)
            pointer = f"/containerDefinitions/{index}" + ("" if user is None else "/user")
            how = "sets no user" if user is None else f"sets user {user!r}"
            yield ctx.trait(WINDOWS_ADMIN.id, pointer,
                            f"container {name} {how}: it runs as ContainerAdministrator",
                            container=name)
