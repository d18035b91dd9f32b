"""The one-paragraph fix for a whole finding, built from its traits.

Users act on a finding, not on a trait: they register one new task definition revision that
fixes every container setting at once, then make one service update and one round of network
and IAM changes. The summary says so in that order.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.detectors.credentials import PLAINTEXT
from ecs_exposure.detectors.iam import ADMIN, SERVICE_ADMIN
from ecs_exposure.detectors.iam_data import DATA_ACCESS
from ecs_exposure.detectors.iam_escalation import ESCALATION
from ecs_exposure.detectors.registry import spec_for
from ecs_exposure.detectors.vulnerabilities import EXPLOITABLE, MALICIOUS
from ecs_exposure.model import Trait


def _ordered(items: Iterable[str]) -> list[str]:
    """Each item once, in first-seen order (a hash table: a finding on an image with many
    fixable vulnerabilities lists hundreds of fixes)."""
    return list(dict.fromkeys(items))


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def summarise(traits: Iterable[Trait], task_definitions: Iterable[str]) -> str:
    """Ordered plan: new revision, service update, network, IAM, credential rotation."""
    traits = list(traits)
    ids = _ordered(t.id for t in traits)
    sentences: list[str] = []
    specs = [spec_for(i) for i in ids]
    td_actions = _ordered(s.revision_action for s in specs if s.revision_action)
    revisions = ", ".join(last_segment(k) for k in task_definitions) or "the task definition"
    if td_actions:
        sentences.append(f"Register a new revision of {revisions} that {_join(td_actions)}, "
                         "then update the service to use it.")
    service_actions = _ordered(s.service_action for s in specs if s.service_action)
    if service_actions:
        text = _join(service_actions)
        sentences.append(text[:1].upper() + text[1:] + ".")
    roles = _ordered(dict(t.extra).get("role", t.resource) for t in traits
                     if t.id in (ADMIN.id, SERVICE_ADMIN.id, DATA_ACCESS.id))
    if roles:
        names = ", ".join(last_segment(str(r)) for r in roles)
        sentences.append(f"Replace the broad policies of role {names} with least-privilege "
                         "policies (IAM Access Analyzer can generate one from CloudTrail).")
    escalating = _ordered(str(dict(t.extra).get("role", t.resource)) for t in traits
                          if t.id == ESCALATION.id)
    if escalating:
        names = ", ".join(last_segment(r) for r in escalating)
        patterns = _ordered(str(dict(t.extra).get("pattern")) for t in traits
                            if t.id == ESCALATION.id)
        sentences.append(f"Close the escalation paths of role {names} ({', '.join(patterns)}): "
                         "remove or scope the statements named in the evidence, limit "
                         "iam:PassRole to named roles with an iam:PassedToService condition, "
                         "and attach a permissions boundary.")
    fixes = _ordered(
        f"{v['package']} {v['fixed_version']} ({v['id']}, container {t.container})"
        for t in traits if t.id in (EXPLOITABLE.id, MALICIOUS.id)
        for v in dict(t.extra).get("top", ()) if v.get("fixed_version"))
    if fixes:
        sentences.append(f"Rebuild the image with {_join(fixes[:3])}"
                         + (f" and {len(fixes) - 3} more fixes" if len(fixes) > 3 else "")
                         + ", and point the new revision at the rebuilt image's digest.")
    if PLAINTEXT.id in ids:
        sentences.append("Rotate every exposed credential: anyone who could describe the task "
                         "definition has read it.")
    return " ".join(sentences) or "No change needed."
