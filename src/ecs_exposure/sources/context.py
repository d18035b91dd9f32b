"""What a reader is, and the context every reader is handed.

A *reader* knows one input format: it says whether it recognises a parsed JSON document, or
the bytes of a file that is not JSON (YAML, HCL, CSV, gzip), from its content, and adds what it
holds to the Inventory. The readers of a scan, in order, are ``sources.readers.READERS``.

Everything a reader needs besides the input arrives in a :class:`ReadContext`, passed
explicitly rather than through a global or a context variable, so one scan's template
parameters can never leak into another scan in the same process (tests run many).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.classify import classify

DocumentReader = Callable[[Inventory, Any, str, "ReadContext"], bool]
"""``(inventory, parsed JSON, source, context) → handled``; raise InputError when the document
is this reader's format but malformed."""
RawReader = Callable[[Inventory, bytes, str, "ReadContext"], bool]
"""``(inventory, file bytes, source, context) → handled`` for files that are not JSON."""


@dataclass(frozen=True)
class Reader:
    """One input format: its reader of parsed JSON documents, of raw bytes, or both."""

    name: str
    document: DocumentReader | None = None
    raw: RawReader | None = None


@dataclass(frozen=True)
class ReadContext:
    """The settings of one scan's reading, and the way to read documents nested in another."""

    readers: tuple[Reader, ...] = ()
    """Readers, in order, of the documents a snapshot or a gzip file holds (the scan's own)."""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """``scan --parameters``: CloudFormation parameter values and Terraform variables."""
    base: str = ""
    """JSON pointer of the document being read inside its file: empty for a whole file, the
    member's pointer for a document nested in a snapshot, so evidence lands on its line."""
    roots: tuple[str, ...] = ()
    """Resolved folders being scanned: files an input refers to (a Terraform module's folder,
    ``file()``) are read only inside them. Empty: only beside the input itself."""

    def read_document(self, inventory: Inventory, doc: Any, source: str,
                      base: str = "") -> str | None:
        """Give ``doc`` to each reader in turn; the reason it was not recognised, or ``None``."""
        context = self if base == self.base else replace(self, base=base)
        for reader in self.readers:
            if reader.document is not None and reader.document(inventory, doc, source, context):
                return None
        return classify(doc).reason or "no reader of this scan takes this kind of document"

    def read_raw(self, inventory: Inventory, data: bytes, source: str) -> bool:
        """Give a file that is not JSON to each reader in turn; whether one read it."""
        return any(reader.raw is not None and reader.raw(inventory, data, source, self)
                   for reader in self.readers)
