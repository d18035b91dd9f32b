"""Small helpers shared by the file reporters (OCSF, ASFF, SARIF, HTML, CSV, Markdown).

Every reporter starts from :func:`ecs_exposure.reporters.json_report.result_dict`, the JSON
contract, so they all show the same traits, evidence, locations and masked errors; what lives
here is only what more than one of them needs on top of that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


def all_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Service findings first, then task definitions no service runs (each ranked already)."""
    return list(doc["findings"]) + list(doc["task_definition_findings"])


def kind(finding: dict[str, Any]) -> str:
    """``service``, or ``task definition`` for one that no service runs."""
    return "service" if finding["resource"]["type"] == "AwsEcsService" else "task definition"


def urls(references: Iterable[str]) -> list[str]:
    """Only the ``https`` links of a reference list (the rest are names like ``CSPM ECS.4``)."""
    return [ref for ref in dict.fromkeys(references) if ref.startswith("https://")]


def epoch_ms(timestamp: str) -> int:
    """RFC 3339 text (``2025-01-02T03:04:05Z``) as milliseconds since the epoch."""
    parsed = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters with an ellipsis, for fields with a size cap."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
