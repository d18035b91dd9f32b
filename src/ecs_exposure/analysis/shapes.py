"""Tolerant readers of API-shaped JSON, shared by sources, detectors and analysis.

AWS API output always has the documented types, but inputs are also hand-written or trimmed
files, so a list or object field may be absent or of the wrong type. Reading it through these
keeps every caller from failing (or special-casing) on such input: the field counts as empty.
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.model import Json


def as_list(value: Any) -> list[Any]:
    """API lists may be absent or, in hand-written files, the wrong type."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> Json:
    """API objects may be absent or, in hand-written files, the wrong type."""
    return value if isinstance(value, dict) else {}
