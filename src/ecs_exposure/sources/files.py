"""Read input files and directories into an Inventory, each file offered to the readers of
:mod:`.readers` in turn.

Every file is judged on its own: a malformed or unrecognised file is reported with its path and
the reason, and the rest of the scan goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import perf_counter
from typing import Any

from ecs_exposure.analysis.allocation import bulk_allocation
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import SourceError
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.jsonfile import (
    MAX_FILE_BYTES,
    InputError,
    looks_like_json,
    parse_json,
    read_input,
)
from ecs_exposure.sources.readers import read_context


@dataclass
class LoadReport:
    """What happened to each input: read, skipped (with reason) or failed (with error)."""

    read: list[str] = field(default_factory=list)
    skipped: list[SourceError] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, recursively, in a stable order; hidden entries skipped."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def add_document(inventory: Inventory, doc: Any, source: str, base: str = "",
                 context: ReadContext | None = None) -> str | None:
    """Add one parsed document; returns the reason if it was not recognised.

    ``base`` is the JSON pointer of the document inside its file, for documents embedded in a
    larger one, so evidence pointers still land on the right line.
    """
    return (context or read_context()).read_document(inventory, doc, source, base)


def load_paths(
    paths: Iterable[Path],
    inventory: Inventory,
    *,
    context: ReadContext | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    on_file: Callable[[Path], None] | None = None,
    on_stage: Callable[[str, float], None] | None = None,
) -> LoadReport:
    """Load every file under ``paths``; problems are recorded per file, never raised.

    ``context`` is the scan's (:func:`.readers.read_context`), by default one without template
    parameters. ``on_stage`` (the benchmark's hook) is told, per parsed file, the seconds spent
    adding it to the inventory (``inventory``); the rest of the load is reading and parsing.
    """
    report = LoadReport()
    paths = list(paths)
    context = replace(context or read_context(), roots=scan_roots(paths))
    with bulk_allocation():
        _load_files(paths, inventory, report, context, max_bytes, on_file, on_stage)
    return report


def scan_roots(paths: Iterable[Path]) -> tuple[str, ...]:
    """The folders a scan covers, resolved: each folder given, and the folder of each file
    given (the CLI passes the files it found), without folders inside another one."""
    found = sorted({os.path.realpath(p if p.is_dir() else p.parent) for p in paths},
                   key=len)
    kept: list[str] = []
    for folder in found:
        if not any(os.path.commonpath([folder, root]) == root for root in kept):
            kept.append(folder)
    return tuple(kept)


def _load_files(
    paths: Iterable[Path],
    inventory: Inventory,
    report: LoadReport,
    context: ReadContext,
    max_bytes: int,
    on_file: Callable[[Path], None] | None,
    on_stage: Callable[[str, float], None] | None,
) -> None:
    paths = list(paths)
    named = {id(p) for p in paths}         # iter_files yields a named file as given
    for path in iter_files(paths):
        source = str(path)
        if on_file is not None:
            on_file(path)
        try:
            if not path.exists():
                raise InputError("no such file or directory")
            data = read_input(path, max_bytes, regular_only=id(path) not in named)
            if not looks_like_json(data):
                if context.read_raw(inventory, data, source):
                    report.read.append(source)
                else:
                    report.skipped.append(SourceError(source, "not a JSON document"))
                continue
            doc = parse_json(data)
        except InputError as exc:
            report.errors.append(SourceError(source, str(exc)))
            continue
        except OSError as exc:
            report.errors.append(SourceError(source, f"cannot read: {exc.strerror or exc}"))
            continue
        parsed = perf_counter()
        try:
            reason = context.read_document(inventory, doc, source)
        except InputError as exc:
            report.errors.append(SourceError(source, str(exc)))
            continue
        finally:
            if on_stage is not None:
                on_stage("inventory", perf_counter() - parsed)
        if reason is None:
            report.read.append(source)
        else:
            report.skipped.append(SourceError(source, reason))
