"""``collect`` and ``scan --aws`` with ``--executor``: the units on an engine, shards in a
folder or an S3 prefix, and the results merged (:mod:`ecs_exposure.distributed`)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecs_exposure.errors import CollectionError

if TYPE_CHECKING:
    from rich.console import Console

    from ecs_exposure.distributed.collect import Plan
    from ecs_exposure.distributed.engine import Engine
    from ecs_exposure.distributed.options import ExecutorOptions
    from ecs_exposure.distributed.scan import Pairs
    from ecs_exposure.model import Json, ScanResult
    from ecs_exposure.reporters.context import ReportContext
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.aws.options import CollectOptions


@contextmanager
def _planned(options: CollectOptions, executor: ExecutorOptions, stderr: Console
             ) -> Iterator[tuple[Plan, Engine]]:
    """Run every unit; yields the plan and the still-open engine (for the scan tasks)."""
    from ecs_exposure.distributed.collect import plan_and_run
    from ecs_exposure.distributed.engine import engine_for
    from ecs_exposure.sources.aws.progress import CollectionProgress

    temporary = None if executor.shards else tempfile.mkdtemp(prefix="ecs-exposure-shards-")
    try:
        with engine_for(executor.spec, options.max_workers) as engine:
            with CollectionProgress(stderr) as progress:
                plan = plan_and_run(options, engine, executor.shards or str(temporary),
                                    resume=executor.resume, progress=progress.report)
            yield plan, engine
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def collect_on_engine(options: CollectOptions, executor: ExecutorOptions, stderr: Console
                      ) -> Json:
    """The merged snapshot of a run on the engine (the same as the in-process one)."""
    from ecs_exposure.distributed.collect import merged_snapshot

    with _planned(options, executor, stderr) as (plan, _):
        return merged_snapshot(plan)


def scan_on_engine(inputs: list[Path], options: CollectOptions, executor: ExecutorOptions,
                   settings: ScanSettings, images_dir: Path | None,
                   parameters: Mapping[str, Any], stderr: Console
                   ) -> tuple[ScanResult, ReportContext, Pairs]:
    """Collect and scan one account per task; the files given beside ``--aws`` are shared
    read-only inputs of every account's scan, so they may hold no ECS resource of their own
    (vulnerability reports and exploit intelligence, yes; task definitions, no)."""
    from ecs_exposure.cli.inputs import read_inputs, require_collected
    from ecs_exposure.distributed.collect import merged_snapshot
    from ecs_exposure.distributed.scan import SharedInputs, scan_accounts
    from ecs_exposure.reporters.context import ReportContext
    from ecs_exposure.sources.readers import read_context

    inventory, _ = read_inputs(inputs, stderr, read_context(parameters))
    if inventory.services or inventory.task_definitions or inventory.clusters:
        raise click.UsageError("with --executor, the files scanned beside --aws are shared by "
                               "every account's scan and may hold no ECS resources; scan "
                               "them with --executor local, or on their own")
    shared = SharedInputs(tuple(str(p) for p in inputs),
                          str(images_dir) if images_dir is not None else None,
                          tuple(str(p) for p in inputs) + ("aws",))
    with _planned(options, executor, stderr) as (plan, engine):
        if not plan.listed:
            require_collected(merged_snapshot(plan))   # raises, naming the errors
        scanned = scan_accounts(plan, engine, settings, shared)
    if scanned is None:
        raise CollectionError("nothing could be collected from AWS")
    return scanned.result, ReportContext(
        fixes=lambda finding: scanned.fixes.get(finding.id),
        changes=lambda finding: scanned.changes.get(finding.id)), scanned.scope
