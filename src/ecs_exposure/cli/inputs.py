"""Reading what the commands scan, with progress on a terminal, and refusing to go on when
nothing at all could be read (``scan`` and ``fix`` share this, so they always see the same
estate)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecs_exposure.errors import CollectionError, InputError

if TYPE_CHECKING:
    from rich.console import Console

    from ecs_exposure.analysis.images.policy import Policy
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.model import Json
    from ecs_exposure.sources.aws.options import CollectOptions
    from ecs_exposure.sources.context import ReadContext
    from ecs_exposure.sources.files import LoadReport

PROGRESS_THRESHOLD = 20
"""Files from which reading shows a progress bar (on a terminal only)."""


def read_inputs(paths: list[Path], stderr: Console, context: ReadContext | None = None
                ) -> tuple[Inventory, LoadReport]:
    """Load the input files, with a progress bar on a terminal when there are many."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ecs_exposure.sources.files import iter_files
    from ecs_exposure.sources.load import load_inputs

    # counted here, walked again by the loader: it must know which files the user named (a
    # pipe may be named, never found in a folder)
    files = list(iter_files(paths))
    if not stderr.is_terminal or len(files) < PROGRESS_THRESHOLD:
        return load_inputs(paths, context=context)
    with Progress(TextColumn("Reading inputs"), BarColumn(), MofNCompleteColumn(),
                  console=stderr, transient=True) as progress:
        task = progress.add_task("read", total=len(files))
        return load_inputs(paths, on_file=lambda _path: progress.advance(task),
                           context=context)


def gather(inputs: list[Path], aws: CollectOptions | None, stderr: Console,
           parameters: Mapping[str, Any] | None = None, *, allow_empty: bool = False
           ) -> tuple[Inventory, LoadReport]:
    """The Inventory from files and, with ``--aws``, live collection; raises when nothing at
    all could be read. ``parameters``: ``scan --parameters`` values for the templates read.
    ``allow_empty``: files that were merely not ECS documents (skipped, none failing) give an
    empty inventory instead of an error, as a pre-commit hook handed every changed file
    needs."""
    from ecs_exposure.sources.aws import snapshot
    from ecs_exposure.sources.readers import read_context

    context = read_context(parameters)
    inventory, report = read_inputs(inputs, stderr, context)
    if aws is not None:
        collected = collect_live(aws, stderr)
        require_collected(collected)
        snapshot.load_snapshot(inventory, collected, None, context)
    elif not report.read and not (allow_empty and not report.errors):
        raise InputError("no input could be read",
                         [f"{p.source}: {p.message}" for p in report.errors + report.skipped])
    return inventory, report


def collect_live(options: CollectOptions, stderr: Console) -> Json:
    """Run a live collection with a progress display on a terminal (raises
    :class:`CollectionError` when it cannot start: no credentials, no region)."""
    from ecs_exposure.sources.aws.collector import collect
    from ecs_exposure.sources.aws.progress import CollectionProgress

    with CollectionProgress(stderr) as progress:
        return collect(options, progress.report)


def require_collected(collected: Json, *, listed: bool = False) -> None:
    """Raise :class:`CollectionError` when no account and region could be read at all; it
    lists the collection's errors unless they were ``listed`` already."""
    from ecs_exposure.sources.aws import snapshot

    if not snapshot.collected_anything(collected):
        problems = [] if listed else [str(e.get("message")) for e in collected.get("errors", [])]
        raise CollectionError("nothing could be collected from AWS", problems)


def policy_from(path: Path | None) -> Policy:
    """The policy file, or the defaults (a bad policy raises :class:`PolicyError`)."""
    from ecs_exposure.analysis.images.policy import Policy, load_policy

    return Policy() if path is None else load_policy(path)
