"""Small readers over task definition shapes shared by several detector families."""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.shapes import as_dict as as_dict  # re-exported for the detectors
from ecs_exposure.analysis.shapes import as_list as as_list
from ecs_exposure.model import Json


def containers(td: Json) -> Iterator[tuple[int, Json]]:
    """``(index, container definition)`` pairs, skipping malformed entries."""
    for index, container in enumerate(as_list(td.get("containerDefinitions"))):
        if isinstance(container, dict):
            yield index, container


def container_name(container: Json, index: int) -> str:
    """Containers without a name (invalid but seen in drafts) are named by position."""
    name = container.get("name")
    return name if isinstance(name, str) and name else f"container[{index}]"


def is_windows(td: Json) -> bool:
    """Windows task definitions are exempt from the Linux-only checks."""
    family = as_dict(td.get("runtimePlatform")).get("operatingSystemFamily")
    return isinstance(family, str) and family.upper().startswith("WINDOWS")


def escape_pointer(token: object) -> str:
    """RFC 6901 escaping of one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


ROOT_USERS = {"", "root", "0"}


def runs_as_root(container: Json) -> bool:
    """``user`` absent, ``root``, ``0``, ``0:<gid>`` or ``root:<group>`` all mean UID 0."""
    user = container.get("user")
    if user is None:
        return True
    if not isinstance(user, str | int):
        return False
    name = str(user).strip().split(":", 1)[0].strip()
    return name.lower() in ROOT_USERS


def mounted_volumes(td: Json) -> dict[str, list[tuple[str, int, int, Json]]]:
    """Volume name → ``(container name, container index, mount index, mount point)``."""
    mounts: dict[str, list[tuple[str, int, int, Json]]] = {}
    for index, container in containers(td):
        for m_index, mount in enumerate(as_list(container.get("mountPoints"))):
            if isinstance(mount, dict) and isinstance(mount.get("sourceVolume"), str):
                mounts.setdefault(mount["sourceVolume"], []).append(
                    (container_name(container, index), index, m_index, mount)
                )
    return mounts
