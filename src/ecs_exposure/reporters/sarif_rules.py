"""SARIF rule metadata: one ``reportingDescriptor`` per trait, the same in every run.

GitHub code scanning ranks alerts by their rule's ``properties.security-severity`` (a CVSS-like
number: 9.0 and above critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low) and expects the
rules to change only when the tool does. So a rule's number comes from the trait's own weight
in its :class:`~ecs_exposure.detectors.spec.TraitSpec` (``weight``; without one, low for a
contextual trait and medium otherwise: the severity the trait has when listed alone, see
:func:`ecs_exposure.exposure.posture.own_severity`), never from the findings of a run. How bad a
trait is in a given exposure is the result's ``level``, which follows the finding's severity.

GitHub's limits on rules are applied here: ``name`` at most 255 characters, ``shortDescription``
and ``fullDescription`` at most 1,024, at most 20 tags (only 10 are shown, so the useful ones
come first).
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.detectors.spec import TraitSpec
from ecs_exposure.exposure.posture import own_severity
from ecs_exposure.reporters.common import truncate, urls

SECURITY_SEVERITY = {"CRITICAL": 9.5, "HIGH": 8.0, "MEDIUM": 5.5, "LOW": 3.0,
                     "INFORMATIONAL": 0.0}
"""Severity name → GitHub ``security-severity`` (the middle of GitHub's band for it)."""
LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note",
          "INFORMATIONAL": "note"}
"""Severity name → SARIF ``level``."""
NAME_MAX, DESCRIPTION_MAX, TAGS_MAX = 255, 1024, 20
"""GitHub's limits on a rule (``Tags per rule``: 20, of which 10 are shown)."""


def rule_name(trait_id: str) -> str:
    """SARIF rule names are identifier-like: ``privileged-container`` → ``PrivilegedContainer``."""
    return truncate("".join(part.capitalize() for part in trait_id.split("-")), NAME_MAX)


def help_of(spec: TraitSpec) -> tuple[str, str, list[str]]:
    """``(text, markdown, references)`` for a rule, from the trait's remediation guidance."""
    guidance = spec.guidance
    references = list(dict.fromkeys(spec.references + guidance.references))
    text = f"{spec.fires_when}\n\n{guidance.text()}"
    links = "\n".join(f"- {ref}" for ref in references)
    markdown = (f"**Fires when:** {spec.fires_when}\n\n**Why it matters:** {guidance.why}\n\n"
                f"**Fix:** {guidance.change}\n\n**If it is really needed:** {guidance.contain}"
                + (f"\n\n**References:**\n{links}" if links else ""))
    return text, markdown, references


def security_severity(spec: TraitSpec) -> str:
    """The rule's fixed ``security-severity``, from the trait's own weight."""
    return f"{SECURITY_SEVERITY[own_severity(spec).name]:.1f}"


def descriptor(spec: TraitSpec, tags: list[str], level: str | None = None,
               rank: str | None = None) -> dict[str, Any]:
    """The ``reportingDescriptor`` of one trait. ``level``: its default level (else from its
    own severity); ``rank``: its ``security-severity`` (else from its own weight)."""
    text, markdown, references = help_of(spec)
    severity = own_severity(spec).name
    rule: dict[str, Any] = {
        "id": spec.id,
        "name": rule_name(spec.id),
        "shortDescription": {"text": truncate(spec.title, DESCRIPTION_MAX)},
        "fullDescription": {"text": truncate(spec.fires_when, DESCRIPTION_MAX)},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": level or LEVELS[severity]},
        "properties": {
            "tags": list(dict.fromkeys(tags))[:TAGS_MAX],
            "security-severity": rank or security_severity(spec),
            "category": spec.category,
            "references": references,
        },
    }
    links = urls(references)
    if links:
        rule["helpUri"] = links[0]
    return rule


def catalog_rules(specs: list[TraitSpec]) -> list[dict[str, Any]]:
    """One rule per trait, in catalog order (a result's ``ruleIndex`` points into it)."""
    return [descriptor(spec, ["security", "ecs", spec.category]
                       + (["contextual"] if spec.contextual else [])) for spec in specs]


__all__ = ["DESCRIPTION_MAX", "LEVELS", "NAME_MAX", "SECURITY_SEVERITY", "TAGS_MAX",
           "catalog_rules", "descriptor", "help_of", "rule_name", "security_severity"]
