"""The JSON result's status fields: suppressions (accepted risks) and the baseline comparison.

Every other format starts from the JSON tree, so these shapes are what SARIF, ASFF, OCSF, CSV,
Markdown, HTML and the table show too. Field names are part of the result contract (DESIGN §5:
add, never rename).
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.model import (
    BASELINE_STATES,
    BaselineComparison,
    Finding,
    PostureEntry,
    PreviousFinding,
    ScanResult,
    Severity,
    Suppression,
    SuppressionUse,
)

_SELECTORS = ("id", "resource", "account", "region", "cluster", "image")


def suppression_dict(rule: Suppression) -> dict[str, Any]:
    """A rule as the config file states it, and where it is."""
    match: dict[str, Any] = {key: getattr(rule, key) for key in _SELECTORS
                             if getattr(rule, key) is not None}
    if rule.traits:
        match["trait"] = list(rule.traits)
    return {"pointer": rule.pointer, "source": rule.source, "line": rule.line,
            "reason": rule.reason, "owner": rule.owner,
            "expires": rule.expires.isoformat() if rule.expires else None, "match": match}


def use_dict(use: SuppressionUse) -> dict[str, Any]:
    """A rule and what it did in this scan (``used``, ``unused`` or ``expired``)."""
    return {**suppression_dict(use.rule), "state": use.state,
            "matched": {"findings": use.findings, "traits": use.traits}}


def finding_status(finding: Finding) -> dict[str, Any]:
    """``status`` and ``suppressed_by`` of a finding."""
    return {"status": finding.status,
            "suppressed_by": [suppression_dict(r) for r in finding.suppressed_by]}


def trait_status(item: Finding | PostureEntry, index: int) -> dict[str, Any]:
    """``status`` of one trait of a finding or posture entry, and the rule when it is
    suppressed."""
    rule = item.trait_suppression(index)
    if rule is None:
        return {"status": "open"}
    return {"status": "suppressed", "suppressed_by": suppression_dict(rule)}


def finding_baseline(finding: Finding) -> dict[str, Any] | None:
    """How the finding compares with the baseline (``None`` without ``--baseline``)."""
    if finding.baseline is None:
        return None
    entry: dict[str, Any] = {"state": finding.baseline}
    if finding.previous is not None:
        now = list(dict.fromkeys(t.id for t in finding.traits))
        before = finding.previous.traits
        entry.update(previous_severity=finding.previous.severity.name,
                     added_traits=[t for t in now if t not in before],
                     removed_traits=[t for t in before if t not in now])
    return entry


def previous_dict(previous: PreviousFinding) -> dict[str, Any]:
    """A baseline finding that is gone from this scan."""
    return {"id": previous.id, "severity": previous.severity.name, "title": previous.title,
            "resource": {"type": previous.resource_type, "arn": previous.arn,
                         "name": previous.name, "account": previous.account,
                         "region": previous.region},
            "traits": list(previous.traits)}


def baseline_dict(result: ScanResult, comparison: BaselineComparison) -> dict[str, Any]:
    """The comparison: the baseline file, counts per state, and what is gone."""
    counts = dict.fromkeys(BASELINE_STATES, 0)
    for finding in result.findings + result.task_definition_findings:
        if finding.baseline in counts:
            counts[finding.baseline] += 1
    counts.update(resolved=len(comparison.resolved), unverified=len(comparison.unverified))
    return {"source": comparison.source, "generated_at": comparison.generated_at,
            "counts": counts,
            "resolved": [previous_dict(p) for p in comparison.resolved],
            "unverified": [previous_dict(p) for p in comparison.unverified]}


def open_summary(result: ScanResult, reported: tuple[Severity, ...]) -> dict[str, Any]:
    """Counts of the findings that are not suppressed: what ``--fail-on`` looks at."""
    by_severity = {s.name: 0 for s in reported}
    for finding in result.findings:
        if not finding.suppressed_by and finding.severity.name in by_severity:
            by_severity[finding.severity.name] += 1
    return {"findings": sum(1 for f in result.findings if not f.suppressed_by),
            "task_definition_findings": sum(1 for f in result.task_definition_findings
                                            if not f.suppressed_by),
            "by_severity": by_severity,
            "posture_traits": sum(1 for e in result.posture
                                  for i in range(len(e.traits)) if not e.trait_suppression(i))}


# ---- text, for the formats people read ------------------------------------------------------

def rule_note(rule: dict[str, Any]) -> str:
    """One rule as a line: ``reason (owner platform-team, until 2027-03-31; file:14)``."""
    extra = [f"owner {rule['owner']}"] if rule.get("owner") else []
    if rule.get("expires"):
        extra.append(f"until {rule['expires']}")
    where = rule.get("source") or ""
    if where and rule.get("line"):
        where += f":{rule['line']}"
    tail = ", ".join(extra) + (f"; {where}" if where else "")
    return f"{rule['reason']} ({tail})" if tail else str(rule["reason"])


def finding_reasons(finding: dict[str, Any]) -> str:
    """Why a suppressed finding (JSON) is suppressed, its rules joined."""
    return "; ".join(rule_note(r) for r in finding.get("suppressed_by", []))


def trait_suppression(finding: dict[str, Any], trait: dict[str, Any]) -> dict[str, Any] | None:
    """The rule that suppresses one trait (JSON) of a finding: its own, else the finding's
    first when the whole finding is suppressed (the exposure is accepted, context included)."""
    if trait.get("suppressed_by"):
        rule: dict[str, Any] = trait["suppressed_by"]
        return rule
    rules = finding.get("suppressed_by") or []
    return rules[0] if rules else None


def notable_rules(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules a reader should look at: unused ones (stale or mistyped) and expired ones."""
    return [r for r in doc.get("suppressions", []) if r["state"] in ("unused", "expired")]


def rule_problem(rule: dict[str, Any]) -> str:
    """A line about an unused or expired rule."""
    where = f"{rule['source']}:{rule['line']}" if rule.get("source") and rule.get("line") \
        else rule.get("source") or "config"
    what = ("matched nothing" if rule["state"] == "unused"
            else f"expired on {rule['expires']} and suppressed nothing")
    return f"suppression {rule['pointer']} ({where}) {what} (reason: {rule['reason']})"


def baseline_line(doc: dict[str, Any]) -> str | None:
    """``Since the baseline (file, date): 1 new, 0 worse, 2 better, 7 unchanged, 3 resolved``."""
    baseline = doc.get("baseline")
    if not baseline:
        return None
    counts = baseline["counts"]
    parts = [f"{counts[k]} {k}" for k in ("new", "worse", "better", "unchanged", "resolved")]
    if counts["unverified"]:
        parts.append(f"{counts['unverified']} gone but not verified (scope not fully read)")
    when = f", {baseline['generated_at']}" if baseline.get("generated_at") else ""
    return f"Since the baseline ({baseline['source']}{when}): " + ", ".join(parts)


__all__ = ["baseline_dict", "baseline_line", "finding_baseline", "finding_reasons",
           "finding_status", "notable_rules", "open_summary", "previous_dict", "rule_note",
           "rule_problem", "suppression_dict", "trait_status", "trait_suppression", "use_dict"]
