"""Extension points for input kinds beyond the AWS CLI JSON of ``classify``.

Vulnerability reports, exploit intelligence, snapshots and infrastructure as code each come
with their own reader module. A reader says whether it recognises a document (or a non-JSON
file) from its content, and adds what it holds to the Inventory; unrecognised input falls
through to the next reader and finally to ``classify``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_exposure.inventory import Inventory

DocumentReader = Callable[[Inventory, Any, str], bool]
"""``(inventory, parsed JSON, source) → handled``; raise InputError for a malformed document."""
RawReader = Callable[[Inventory, bytes, str], bool]
"""``(inventory, file bytes, source) → handled`` for non-JSON files (YAML, CSV, gzip, tar)."""

DOCUMENT_READERS: list[DocumentReader] = []
RAW_READERS: list[RawReader] = []


def _load() -> None:
    """Import reader modules so they register (each appends to the lists above)."""
    from ecs_exposure.sources import iac, intel, scanners  # noqa: F401
    from ecs_exposure.sources.aws import snapshot
    from ecs_exposure.sources.images import ecr

    iac.register()
    DOCUMENT_READERS.extend(ecr.READERS)
    DOCUMENT_READERS.append(snapshot.read_document)
    RAW_READERS.append(snapshot.read_gzip)


_load()
