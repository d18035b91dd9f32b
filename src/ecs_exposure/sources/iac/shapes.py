"""API-shaped resources built from infrastructure as code, with where each field came from.

CloudFormation and Terraform both translate into the AWS API shapes the detectors already read
(DESIGN §2), so nothing downstream knows a finding came from a template. What IaC adds is a
second address for every field: the pointer into the template or plan where it was written.
:class:`Built` carries both, and :func:`add_to_inventory` registers the resource with a
``pointer_maps`` entry that turns an API-shape evidence pointer
(``/containerDefinitions/0/privileged``) into a template pointer
(``/Resources/App/Properties/ContainerDefinitions/0/Privileged``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ecs_exposure.analysis.unknown import is_unknown
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json

Kind = Literal["task-definition", "service", "cluster", "security-groups", "subnets",
               "route-tables", "load-balancers", "target-groups", "listeners", "role",
               "managed-policy", "file-systems"]

BOOL_FIELDS = frozenset({
    "privileged", "readonlyRootFilesystem", "essential", "readOnly", "disableNetworking",
    "interactive", "pseudoTerminal", "initProcessEnabled", "enableExecuteCommand",
    "enableECSManagedTags", "MapPublicIpOnLaunch", "configuredAtLaunch",
})
"""API booleans that templates often write as strings (``Privileged: 'true'``)."""
INT_FIELDS = frozenset({
    "containerPort", "hostPort", "memoryReservation", "desiredCount", "startTimeout",
    "stopTimeout", "sharedMemorySize", "maxSwap", "swappiness", "transitEncryptionPort",
    "FromPort", "ToPort", "Port", "weight", "base", "softLimit", "hardLimit",
})


def coerce(name: str, value: Any) -> Any:
    """CloudFormation accepts ``'true'`` and ``'80'``; the API (and detectors) use types."""
    if is_unknown(value) or not isinstance(value, str):
        return value
    if name in BOOL_FIELDS and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if name in INT_FIELDS:
        try:
            return int(value.strip())
        except ValueError:
            return value
    return value


@dataclass
class Built:
    """One resource in API shape, with its inventory key and field origins."""

    kind: Kind
    key: str
    body: Json
    origins: dict[str, str] = field(default_factory=dict)
    """API pointer → pointer into the source document."""
    anchor: str = ""
    """Pointer of the resource itself (the fallback for any field without an origin)."""
    incomplete: list[str] = field(default_factory=list)
    """What could not be read about it (containers of a task definition that are unknown
    or not JSON): such a resource is listed as incomplete, never taken as clean."""

    def pointer_map(self) -> Callable[[str], str]:
        """Nearest recorded ancestor of an API pointer, else the resource itself."""
        origins = dict(self.origins)
        anchor = self.anchor

        def lookup(pointer: str) -> str:
            probe = pointer
            while True:
                if probe in origins:
                    return origins[probe]
                if not probe:
                    return anchor
                probe = probe.rsplit("/", 1)[0]

        return lookup


def add_to_inventory(inventory: Inventory, built: list[Built], source: str) -> dict[str, str]:
    """Register every built resource; returns placeholder key → inventory key for task
    definitions (their inventory key is only known once added)."""
    renamed: dict[str, str] = {}
    order = ("role", "managed-policy", "security-groups", "subnets", "route-tables",
             "load-balancers", "target-groups", "listeners", "cluster", "task-definition",
             "service", "file-systems")
    for kind in order:
        items = [b for b in built if b.kind == kind]
        for item in items:
            key = item.key
            if kind == "task-definition":
                key = inventory.add_task_definition(item.body, source)
                renamed[item.key] = key
            elif kind == "service":
                for holder in [item.body, *item.body.get("taskSets", [])]:
                    ref = holder.get("taskDefinition")
                    if isinstance(ref, str) and ref in renamed:
                        holder["taskDefinition"] = renamed[ref]
                item.incomplete.extend(_incomplete_revisions(inventory, item.body))
                inventory.add_service(item.body, source)
            elif kind == "cluster":
                inventory.add_cluster(item.body, source)
            elif kind in ("security-groups", "subnets", "route-tables"):
                inventory.add_ec2(kind, [item.body], source)
            elif kind in ("load-balancers", "target-groups", "listeners"):
                inventory.add_elbv2(kind, [item.body], source)
            elif kind == "file-systems":
                inventory.add_file_systems([item.body], source)
            elif kind == "role":
                inventory.add_iam({"RoleDetailList": [item.body]}, source)
            else:
                inventory.add_iam({"Policies": [item.body]}, source)
            inventory.pointer_maps[key] = item.pointer_map()
            if item.incomplete:
                inventory.incomplete.setdefault(key, []).extend(item.incomplete)
    return renamed


def _incomplete_revisions(inventory: Inventory, service: Json) -> list[str]:
    """A service runs what its task definition holds: one that could not be read makes the
    service incomplete too (those of other files only when they were read first)."""
    reasons: list[str] = []
    for ref in inventory.service_task_definition_refs(service):
        key = inventory.resolve_task_definition(ref)
        for reason in inventory.incomplete.get(key or "", ()):
            reasons.append(f"task definition {key}: {reason}")
    return reasons


class Converter:
    """Copies an evaluated subtree into API shape, recording each member's origin."""

    def __init__(self, where: Callable[[Any, Any], str | None]) -> None:
        self.where = where

    def copy(self, built: Built, value: Any, api: str, rename: Callable[[str, str], str],
             keep_keys: frozenset[str] = frozenset()) -> Any:
        """Deep copy with keys renamed by ``rename(key, parent API key)``; members of maps
        named in ``keep_keys`` (log options, labels) keep their keys."""
        return self._copy(built, value, api, rename, keep_keys, "", False)

    def _copy(self, built: Built, value: Any, api: str, rename: Callable[[str, str], str],
              keep: frozenset[str], parent: str, verbatim: bool) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                name = key if verbatim else rename(key, parent)
                pointer = f"{api}/{_esc(name)}"
                self.note(built, pointer, value, key)
                out[name] = coerce(name, self._copy(built, item, pointer, rename, keep, name,
                                                    name in keep and not verbatim))
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for index, item in enumerate(value):
                pointer = f"{api}/{index}"
                self.note(built, pointer, value, index)
                items.append(self._copy(built, item, pointer, rename, keep, parent, False))
            return items
        return value

    def note(self, built: Built, api: str, container: Any, key: Any) -> None:
        """Record that API pointer ``api`` comes from ``container[key]`` of the document."""
        origin = self.where(container, key)
        if origin is not None:
            built.origins[api] = origin


def _esc(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def as_list(value: Any) -> list[Any]:
    """A list field; an unknown list becomes one unknown element, so detectors that iterate
    it still meet the unknown (an unknown subnet list is not an empty one)."""
    if isinstance(value, list):
        return value
    if is_unknown(value):
        return [value]
    return [] if value is None else [value]
