"""From traits to one exposure finding per service: likelihood × impact → severity, the attack
path, a plain-language reason and a title.

The bands follow DESIGN §4 (Security Hub's matrix): likelihood sets the base, impact moves it.
Every finding's ``why`` spells out which traits set each band, so a reviewer can disagree with
a specific step rather than with a number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ecs_exposure.analysis.arn import last_segment, parse_arn
from ecs_exposure.detectors.containers import ROOT_USER, WRITABLE_ROOT
from ecs_exposure.detectors.credentials import AWS_KEY_PHRASE, PLAINTEXT
from ecs_exposure.detectors.host_access import HOST_MOUNT
from ecs_exposure.detectors.iam import ADMIN, SERVICE_ADMIN
from ecs_exposure.detectors.iam_data import DATA_ACCESS
from ecs_exposure.detectors.iam_escalation import ESCALATION, OUTCOME_PHRASES
from ecs_exposure.detectors.network import REACHABLE
from ecs_exposure.detectors.registry import SPECS, catalog
from ecs_exposure.detectors.settings import EXEC
from ecs_exposure.detectors.vulnerabilities import END_OF_LIFE
from ecs_exposure.exposure import vulnerabilities as vuln_exposure
from ecs_exposure.model import (
    IMPACT_NAMES,
    LIKELIHOOD_NAMES,
    Finding,
    Json,
    Level,
    Severity,
    Trait,
)
from ecs_exposure.remediation.summary import summarise

MATRIX: dict[Level, tuple[Severity, Severity, Severity]] = {
    Level.VERY_HIGH: (Severity.HIGH, Severity.CRITICAL, Severity.CRITICAL),
    Level.HIGH: (Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL),
    Level.MEDIUM: (Severity.LOW, Severity.MEDIUM, Severity.HIGH),
    Level.LOW: (Severity.LOW, Severity.LOW, Severity.MEDIUM),
}
"""Likelihood → severity for impact low, medium, high."""

HOST_ACCESS = frozenset(s.id for s in catalog() if s.host_access)
"""Traits that give a container its host (the specs' ``host_access`` flag)."""
CONTAINER_CONTEXT = frozenset({ROOT_USER.id, WRITABLE_ROOT.id})
"""Contextual traits that make host access easy to use, so they join the attack path."""
ROLE_POWER = frozenset({ADMIN.id, SERVICE_ADMIN.id, ESCALATION.id, DATA_ACCESS.id})
"""Role traits that make a shell in the task worth more (ECS Exec raises impact) and that put
the role on the attack path."""
ROLE_REACH = frozenset({ESCALATION.id, DATA_ACCESS.id})
"""Role traits the attack path shows as steps after the role, not as its grants."""


def severity_for(likelihood: Level, impact: Level) -> Severity:
    """Security Hub's 4×3 matrix."""
    return MATRIX[likelihood][min(impact, Level.HIGH)]


def finding_id(account: str | None, region: str | None, identity: str) -> str:
    """Stable across runs and input forms (files, snapshot, live): 32 hex digits of the
    SHA-256 of ``account|region|identity``, where the identity is the service ARN, or for a
    task definition no service runs its family (see :func:`draft_identities`)."""
    return hashlib.sha256(f"{account or ''}|{region or ''}|{identity}".encode()).hexdigest()[:32]


def draft_identities(drafts: Sequence[tuple[str, Json]]) -> dict[str, str]:
    """The identity of each task definition no service runs, by inventory key: its family,
    not its revision (registering a fixed draft makes a new revision of the same finding).

    Several such task definitions of one family in one account and region (staging and
    production variants of a file, say) are told apart by their revision when each has a
    distinct one, else by their inventory key (which names their file)."""
    groups: dict[tuple[str | None, str | None, str], list[tuple[str, Json]]] = {}
    for key, td in drafts:
        arn = parse_arn(key)
        family = str(td.get("family") or (
            arn.resource.split("/", 1)[-1].rsplit(":", 1)[0] if arn else key))
        groups.setdefault((arn.account if arn else None, arn.region if arn else None, family),
                          []).append((key, td))
    identities: dict[str, str] = {}
    for (_, _, family), members in groups.items():
        revisions = [td.get("revision") for _, td in members]
        distinct = (all(isinstance(r, int) for r in revisions)
                    and len(set(revisions)) == len(revisions))
        for key, td in members:
            identities[key] = (family if len(members) == 1 else
                               f"{family}:{td['revision']}" if distinct else key)
    return identities


@dataclass(frozen=True)
class Subject:
    """What the finding is about: a service, or a task definition no service runs."""

    resource_type: str
    arn: str
    name: str
    cluster: str | None
    task_definitions: tuple[str, ...]
    missing: tuple[str, ...] = ()
    unattached: bool = False
    unknown: tuple[str, ...] = ()
    """What the finding depends on but could not be read (a task definition the service runs
    that is not in the inputs, a role whose policy does not parse). Unknown is never safe: the
    subject gets a finding even without a trait, and its impact is assumed high."""
    identity: str | None = None
    """What the finding id is made of beside account and region (:func:`finding_id`);
    ``None``: the ARN."""


def _likelihood(traits: Sequence[Trait], subject: Subject) -> tuple[Level, str, str]:
    """``(level, reason, reachability)``: reachability sets the base, vulnerabilities raise it,
    and an end-of-life OS lifts a low base one step (its flaws are no longer fixed)."""
    reach = next((t for t in traits if t.id == REACHABLE.id), None)
    credentials = any(t.id == PLAINTEXT.id for t in traits)
    if reach is not None and not reach.potential:
        level, reason, kind = (Level.MEDIUM, "the service is reachable from the internet ("
                               + " → ".join(reach.path[1:]) + ")", "internet")
    elif reach is not None:
        level, reason, kind = (
            Level.MEDIUM, "the service is potentially reachable from the internet and is "
            "treated as reachable because " + ", ".join(reach.missing or ("some context",))
            + " could not be checked", "potential")
    elif subject.unattached:
        level, reason, kind = (Level.MEDIUM, "no service in the inputs runs this task "
                               "definition, so its reachability is unknown and assumed "
                               "possible", "unknown")
    elif credentials:
        level, reason, kind = (Level.MEDIUM, "plaintext credentials can be read by anyone "
                               "allowed to describe the task definition", "internal")
    else:
        level, reason, kind = Level.LOW, "no path from the internet was found", "internal"
    raised, why = vuln_exposure.likelihood(traits, level, reason,
                                           exposed=kind in ("internet", "potential", "unknown"))
    if kind == "internet" and why == reason:
        why += " and no vulnerability data raises it further"
    if raised == Level.LOW and any(t.id == END_OF_LIFE.id for t in traits):
        raised, why = Level.MEDIUM, (f"{why}, raised one step because the image's OS is past "
                                     "end of life (its vulnerabilities are no longer fixed or "
                                     "even reported)")
    return raised, why, kind


def _facts(trait: Trait) -> dict[str, object]:
    return dict(trait.extra)


def _reason(trait: Trait) -> str:
    """Why one trait sets the impact; escalation paths in one line rather than every statement.

    A path to admin is as bad as admin (DESIGN §4: "an administrative or privilege-escalating
    IAM role"), so it carries high impact from the detector; the reason names the role, what
    the path reaches and the actions that open it.
    """
    if trait.id != ESCALATION.id:
        return trait.detail
    facts = _facts(trait)
    role = last_segment(str(facts.get("role", trait.resource)))
    condition = " (only under a condition)" if facts.get("conditional") else ""
    reaches = str(facts.get("reaches"))
    if facts.get("outcome") == "admin":
        return (f"role {role} can escalate to {reaches.rsplit(' → ', 1)[-1]} through "
                f"{facts.get('actions')}{condition}")
    return f"role {role} can reach {reaches} through {facts.get('actions')}{condition}"


def _impact(traits: Sequence[Trait]) -> tuple[Level, list[str]]:
    """Highest impact of the non-contextual traits, raised by the combinations TRAITS.md names."""
    scored = [t for t in traits if not SPECS[t.id].contextual]
    impact = max((t.impact for t in scored), default=Level.LOW)
    reasons = [_reason(t) for t in scored if t.impact == impact and impact > Level.LOW]
    by_container: dict[str, set[str]] = {}
    for trait in traits:
        if trait.container:
            by_container.setdefault(trait.container, set()).add(trait.id)
    if impact < Level.HIGH:
        for container, ids in by_container.items():
            host = ids & HOST_ACCESS
            weak = ids & CONTAINER_CONTEXT
            if host and weak:
                impact = Level.HIGH
                reasons = [f"container {container} combines {', '.join(sorted(host))} with "
                           f"{' and '.join(sorted(weak))}, which makes host access easy to use"]
                break
    ids = {t.id for t in traits}
    if EXEC.id in ids and ids & ROLE_POWER and impact < Level.HIGH:
        impact = Level(impact + 1)
        reasons.append("ECS Exec is enabled, so anyone allowed ecs:ExecuteCommand gets a shell "
                       "holding the role's credentials")
    return impact, reasons


def _title(traits: Sequence[Trait], subject: Subject, reachability: str) -> str:
    scored = sorted((t for t in traits if not SPECS[t.id].contextual
                     and SPECS[t.id].title_phrase and SPECS[t.id].category != "reachability"),
                    key=lambda t: -t.impact)
    phrases: list[str] = vuln_exposure.title_phrases(traits)
    for trait in scored:
        phrase = SPECS[trait.id].title_phrase or ""
        if trait.id == PLAINTEXT.id and dict(trait.extra).get("aws_key"):
            phrase = AWS_KEY_PHRASE
        if trait.id == ESCALATION.id:
            phrase = OUTCOME_PHRASES.get(str(_facts(trait).get("outcome")), phrase)
        if phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        phrases = list(dict.fromkeys(SPECS[t.id].title_phrase or "" for t in traits
                                     if SPECS[t.id].category == "reachability"
                                     and SPECS[t.id].title_phrase))
    prefix = {"internet": "Internet-reachable ", "potential": "Potentially internet-reachable "}
    kind = "ECS task definition" if subject.unattached else "ECS service"
    head = f"{prefix.get(reachability, '')}{kind} {subject.name}"
    if not phrases:
        return head
    shown = phrases[:3]
    joined = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return f"{head} with {joined}"


def _attack_path(traits: Sequence[Trait], subject: Subject, account: str | None) -> list[str]:
    reach = next((t for t in traits if t.id == REACHABLE.id), None)
    steps: list[str] = list(reach.path) if reach else []
    if not steps:
        if any(t.id == PLAINTEXT.id for t in traits):
            steps.append("anyone allowed ecs:DescribeTaskDefinition (or with the file)")
        else:
            steps.append("an attacker already inside the network")
    label = "task definition" if subject.unattached else "service"
    revisions = ", ".join(last_segment(k) for k in subject.task_definitions)
    steps.append(f"{label} {subject.name}" + (f" ({revisions})" if revisions else ""))
    steps.extend(vuln_exposure.attack_steps(traits))
    by_container: dict[str, list[str]] = {}
    for trait in traits:
        # The container step names what helps an attacker once inside: weaknesses that make a
        # finding, plus running as root with a writable root filesystem; image hygiene and
        # the vulnerabilities already named in their own step would only add noise here.
        in_path = not SPECS[trait.id].contextual or trait.id in CONTAINER_CONTEXT
        if trait.container and in_path and SPECS[trait.id].category != "vulnerability":
            by_container.setdefault(trait.container, [])
            short = SPECS[trait.id].title.lower()
            if short not in by_container[trait.container]:
                by_container[trait.container].append(short)
    for container, labels in by_container.items():
        steps.append(f"container {container} ({', '.join(labels)})")
    host = sorted({SPECS[t.id].title.lower() for t in traits if t.id in HOST_ACCESS
                   and t.impact > Level.LOW})
    if host:
        steps.append(f"host ({', '.join(host)})")
    roles: dict[str, list[str]] = {}
    for trait in traits:
        if trait.id in ROLE_POWER:
            role = str(dict(trait.extra).get("role", trait.resource))
            grants = roles.setdefault(last_segment(role), [])
            if trait.id not in ROLE_REACH:
                grants.append(trait.detail.split(": ", 1)[-1])
    for role, grants in roles.items():
        steps.append(f"IAM role {role}" + (f" ({'; '.join(dict.fromkeys(grants))})"
                                           if grants else ""))
        steps.extend(_escalation_steps(traits, role) or _data_steps(traits, role))
    keys = [t for t in traits if t.id == PLAINTEXT.id and dict(t.extra).get("aws_key")]
    if keys:
        names = ", ".join(sorted({str(dict(t.extra).get("variable")) for t in keys}))
        steps.append(f"AWS access keys in {names}")
    if roles or keys:
        steps.append(f"AWS account {account}" if account else "the AWS account")
    return steps


def _escalation_steps(traits: Sequence[Trait], role: str) -> list[str]:
    """The strongest escalation path of one role, as steps: actions, what they reach, the end.

    ``iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction (passes a role to a new
    Lambda function and runs it)`` → ``any role that trusts lambda.amazonaws.com`` →
    ``administrator access``. Other paths of the role are counted on the first step; each has
    its own trait with its statements.
    """
    paths = [t for t in traits if t.id == ESCALATION.id
             and last_segment(str(_facts(t).get("role", t.resource))) == role]
    if not paths:
        return []
    paths.sort(key=lambda t: (-t.impact, bool(_facts(t).get("conditional"))))
    best = _facts(paths[0])
    first = f"{best.get('actions')} ({best.get('pattern_title')}"
    if best.get("conditional"):
        first += ", only under a condition"
    if len(paths) > 1:
        first += f"; {len(paths) - 1} more escalation path{'s' if len(paths) > 2 else ''}"
    return [first + ")", *str(best.get("reaches")).split(" → ")]


def _data_steps(traits: Sequence[Trait], role: str) -> list[str]:
    """What a role that reads data in full ends in, when it has no escalation path:
    ``s3:GetObject (reads every object in every S3 bucket)`` → ``every S3 object``."""
    kinds: dict[str, dict[str, Any]] = {}
    for trait in traits:
        facts = _facts(trait)
        if trait.id == DATA_ACCESS.id and last_segment(str(facts.get("role"))) == role:
            for kind in cast("list[dict[str, Any]]", facts.get("access", [])):
                kinds.setdefault(str(kind["kind"]), kind)
    if not kinds:
        return []
    reads = "; ".join(str(k["reads"]) for k in kinds.values())
    return [" + ".join(str(k["action"]) for k in kinds.values()) + f" ({reads})",
            ", ".join(str(k["gains"]) for k in kinds.values())]


def _remediation(traits: Sequence[Trait], subject: Subject) -> str:
    """The fix plan; with unknowns, first supply them (the plan may not be complete)."""
    plan = summarise(traits, subject.task_definitions)
    if not subject.unknown:
        return plan
    supply = ("Supply what could not be read and scan again to assess it: "
              + "; ".join(subject.unknown) + ".")
    return supply if not traits else f"{plan} {supply}"


def makes_finding(trait: Trait) -> bool:
    """Whether ``trait`` alone gives its subject a finding: any non-contextual trait, except a
    host volume that no container mounts."""
    return (not SPECS[trait.id].contextual and trait.impact >= Level.LOW
            and not (trait.id == HOST_MOUNT.id and not dict(trait.extra).get("mounted")))


def assess(subject: Subject, traits: Iterable[Trait]) -> Finding | None:
    """One finding, or ``None`` when the subject has no trait that creates one."""
    traits = tuple(traits)
    if not subject.unknown and not any(makes_finding(t) for t in traits):
        return None
    arn = parse_arn(subject.arn)
    account = arn.account if arn else None
    region = arn.region if arn else None
    likelihood, l_reason, reachability = _likelihood(traits, subject)
    impact, i_reasons = _impact(traits)
    if subject.unknown and impact < Level.HIGH:
        impact, i_reasons = Level.HIGH, [
            "it is unknown and assumed the worst: " + "; ".join(subject.unknown)]
    severity = severity_for(likelihood, impact)
    l_name, i_name = LIKELIHOOD_NAMES[likelihood], IMPACT_NAMES[min(impact, Level.HIGH)]
    why = (f"Likelihood is {l_name} because {l_reason}. Impact is {i_name} because "
           + ("; ".join(dict.fromkeys(i_reasons)) if i_reasons else
              "no trait gives access to the host, the account or credentials")
           + f". {l_name.capitalize()} likelihood × {i_name} impact = {severity.name}.")
    if subject.missing:
        why += " Not checked (inputs missing): " + ", ".join(subject.missing) + "."
    ordered = tuple(sorted(traits, key=lambda t: (SPECS[t.id].contextual, -t.impact, t.id)))
    return Finding(
        id=finding_id(account, region, subject.identity or subject.arn),
        resource_type=subject.resource_type,
        arn=subject.arn,
        name=subject.name,
        cluster=subject.cluster,
        account=account,
        region=region,
        severity=severity,
        likelihood=likelihood,
        impact=min(impact, Level.HIGH),
        why=why,
        title=_title(ordered, subject, reachability)
        + (" (impact unknown)" if subject.unknown else ""),
        traits=ordered,
        attack_path=tuple(_attack_path(ordered, subject, account)),
        remediation_summary=_remediation(ordered, subject),
        reachability=reachability,
        missing=subject.missing,
        task_definitions=subject.task_definitions,
    )
