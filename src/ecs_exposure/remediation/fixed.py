"""The fixed task definition revision of each finding (DESIGN §5 ``remediation.task_definition``),
built when a reporter asks for it, and the same fix as a list of changes (RFC 6902 JSON Patch
against the running revision, ``remediation.changes``), which the compact result carries.

A revision is a whole ``register-task-definition`` input, so holding one per finding for the
length of a scan of a large estate costs hundreds of megabytes. Instead the scan hands the
reporters this object (inside their :class:`ecs_exposure.reporters.context.ReportContext`,
never on the result): each fixed revision is built by the same fixers as ``ecs-exposure fix``
(default options, reusing the scan's memo) when a finding is rendered, shared by the
findings that run the same revision with the same traits, and dropped once the last of them
has been rendered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import orjson

from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Finding, Json
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import base_task_definition, fixed_revision
from ecs_exposure.remediation.register_input import PLAIN_JSON_ONLY, to_register_input
from ecs_exposure.settings import ScanMemo

FixKey = tuple[str, frozenset[tuple[str, str]]]
"""The revision a fix starts from and the traits of that revision it removes: per-service
policy exceptions can drop traits, so two services on one revision may need different fixes."""


class FixedRevisions:
    """``fixed(finding)`` → the new revision that removes the finding's task-definition traits,
    or ``None`` when no task-definition change fixes anything."""

    def __init__(self, inventory: Inventory, findings: Iterable[Finding],
                 memo: ScanMemo | None = None) -> None:
        self._inventory = inventory
        self._memo = memo
        self._keys: dict[str, FixKey | None] = {}
        self._waiting: Counter[FixKey] = Counter()
        for finding in findings:
            key = self._key(finding)
            if key is not None:
                self._waiting[key] += 1
        self._built: dict[FixKey, Json | None] = {}
        self._patches: dict[FixKey, list[Json] | None] = {}
        self._patch_waiting: Counter[FixKey] = Counter(self._waiting)

    def _key(self, finding: Finding) -> FixKey | None:
        if finding.id in self._keys:
            return self._keys[finding.id]
        base = base_task_definition(self._inventory, finding)
        key = None if base is None else (
            base, frozenset((t.id, t.pointer) for t in finding.traits if t.resource == base))
        self._keys[finding.id] = key
        return key

    def __call__(self, finding: Finding) -> Json | None:
        key = self._key(finding)
        if key is None:
            return None
        if key in self._built:
            revision = self._built[key]
        else:
            revision = fixed_revision(self._inventory, finding, FixOptions(), self._memo)
        self._waiting[key] -= 1
        if self._waiting[key] > 0:
            self._built[key] = revision
        else:                       # the last finding on this revision: nothing keeps it
            self._built.pop(key, None)
        return revision

    def changes(self, finding: Finding) -> list[Json] | None:
        """The fix as RFC 6902 JSON Patch operations against the running revision as
        ``register-task-definition`` input (the read-only fields of DESIGN §6 removed):
        applied to it, they give exactly the revision :meth:`__call__` returns. ``None`` when
        no task-definition change fixes anything.

        Every value in an operation comes from the fixed revision, never from the running
        one, so a credential the fix moves out is not repeated here (a removal names only
        the path). Shared, like the revisions, by the findings on one revision."""
        key = self._key(finding)
        if key is None:
            return None
        if key in self._patches:
            patch = self._patches[key]
        else:
            revision = fixed_revision(self._inventory, finding, FixOptions(), self._memo)
            patch = None if revision is None else _patch(
                to_register_input(self._inventory.task_definitions[key[0]])[0], revision)
        self._patch_waiting[key] -= 1
        if self._patch_waiting[key] > 0:
            self._patches[key] = patch
        else:
            self._patches.pop(key, None)
        return patch


def _patch(running: Json, fixed: Json) -> list[Json]:
    """JSON Patch from ``running`` to ``fixed``: ``add``/``remove``/``replace`` per changed
    object member, lists of equal length item by item, any other changed list replaced whole.

    Written here rather than taken from python-json-patch: its diff turns a removed
    ``privileged: true`` plus an added ``readonlyRootFilesystem: true`` into one ``move``,
    and an environment entry removed from a list into renamed neighbours: valid, but not a
    change a person can review."""
    operations: list[Json] = []
    _diff(running, fixed, "", operations)
    return operations


def _diff(old: object, new: object, path: str, out: list[Json]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        if _same(old, new):
            return
        for key in old:
            if key not in new:
                out.append({"op": "remove", "path": f"{path}/{_escape(key)}"})
        for key, value in new.items():
            if key not in old:
                out.append({"op": "add", "path": f"{path}/{_escape(key)}", "value": value})
            else:
                _diff(old[key], value, f"{path}/{_escape(key)}", out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        if _same(old, new):
            return
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            _diff(before, after, f"{path}/{index}", out)
    elif isinstance(old, list) and isinstance(new, list) and new[:len(old)] == old:
        out += [{"op": "add", "path": f"{path}/-", "value": item} for item in new[len(old):]]
    elif isinstance(old, list) and isinstance(new, list) and _dropped(old, new) is not None:
        out += [{"op": "remove", "path": f"{path}/{index}"}
                for index in reversed(_dropped(old, new) or [])]
    elif old != new or type(old) is not type(new):
        out.append({"op": "replace", "path": path, "value": new})


def _same(old: object, new: object) -> bool:
    """Two objects or lists the walk below would find no change in: most of a revision is
    untouched by its fix, and comparing it in C is far cheaper than walking it in Python.

    ``==`` alone is not enough (``1 == True``, ``1 == 1.0``, which the walk reports as
    replaced), so equal values must also serialise alike; a value that is not plain JSON
    (a Terraform marker) is walked as before."""
    if old != new:
        return False
    try:
        return bool(orjson.dumps(old, option=PLAIN_JSON_ONLY)
                    == orjson.dumps(new, option=PLAIN_JSON_ONLY))
    except (TypeError, orjson.JSONEncodeError):
        return False


def _dropped(old: list[object], new: list[object]) -> list[int] | None:
    """Indices of ``old`` whose removal leaves ``new`` (an environment entry moved to
    ``secrets``), or ``None`` when ``new`` is not ``old`` with some items removed."""
    dropped: list[int] = []
    kept = 0
    for index, item in enumerate(old):
        if kept < len(new) and new[kept] == item:
            kept += 1
        else:
            dropped.append(index)
    return dropped if kept == len(new) else None


def _escape(key: str) -> str:
    """An object member name as an RFC 6901 reference token."""
    return key.replace("~", "~0").replace("/", "~1")
