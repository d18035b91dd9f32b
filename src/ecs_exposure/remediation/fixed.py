"""The fixed task definition revision of each finding (DESIGN §5 ``remediation.task_definition``),
built when a reporter asks for it.

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

from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Finding, Json
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import base_task_definition, fixed_revision
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
