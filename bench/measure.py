"""One measurement, run by ``run.py`` in a fresh interpreter so its peak RSS is its own.

    python3 bench/measure.py stages PATH... [--vulns DIR] [--output FILE] [--profile FILE]
    python3 bench/measure.py parse PATH...

``stages`` runs the scan as the CLI does (load, scan, render JSON, write) and reports wall
time and peak RSS after each stage, and the size of the JSON result; ``parse`` reads every
file and parses it with ``orjson.loads`` and nothing else (the floor no scanner of these
files can beat), then again with the standard library's ``json.loads`` (the yardstick of the
budget, DESIGN §9). Each prints one JSON object on standard output.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
from collections import Counter
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

START = perf_counter()


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class GcClock:
    """Time spent in the cyclic garbage collector, a large hidden cost with big inventories."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = perf_counter()
        else:
            self.seconds += perf_counter() - self._started
            self.collections += 1


def walk(paths: list[Path]) -> list[Path]:
    """Files in the order the scanner reads them (sorted, hidden entries skipped)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(root) / n for n in sorted(files) if not n.startswith(".")]
    return found


def measure_parse(paths: list[Path]) -> dict[str, Any]:
    """Bare listing, reading and ``orjson.loads`` of every file, each document dropped at
    once: the least any scanner of these files must do.

    The cyclic garbage collector is off, as the scanner's own loading has it: with it on,
    every large document costs more than its size (the collector walks it while it is being
    built), which would flatter the scan ÷ parse ratio of large estates.
    """
    import orjson

    gc.disable()
    start = perf_counter()
    c0 = process_time()
    files = walk(paths)
    size = 0
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        size += len(data)
        orjson.loads(data)
    seconds = perf_counter() - start
    orjson_cpu = process_time() - c0
    start = perf_counter()
    c0 = process_time()
    for path in walk(paths):
        with open(path, "rb") as handle:
            json.loads(handle.read())
    # CPU seconds beside the wall ones: on a machine others load, the scan's and the parse's
    # CPU times are steadier than their wall times (compare scan_cpu of ``stages``).
    return {"seconds": seconds, "stdlib_seconds": perf_counter() - start,
            "orjson_cpu": orjson_cpu, "stdlib_cpu": process_time() - c0, "files": len(files),
            "bytes": size, "peak_rss_mib": peak_rss_mib()}


class ByteCount:
    """A binary stream that only counts what is written to it (``/dev/null`` cannot tell)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


def measure_stages(paths: list[Path], vulns: list[Path], output: Path | None) -> dict[str, Any]:
    """The scan as ``ecs-exposure scan --format json --output FILE`` runs it, stage by stage."""
    stages: dict[str, dict[str, float]] = {}
    clock = GcClock()

    gc_before = [0.0]

    def record(name: str, seconds: float) -> None:
        entry = stages.setdefault(name, {"seconds": 0.0, "peak_rss_mib": 0.0,
                                         "gc_seconds": 0.0})
        entry["seconds"] += seconds
        entry["peak_rss_mib"] = peak_rss_mib()
        entry["gc_seconds"] += clock.seconds - gc_before[0]
        gc_before[0] = clock.seconds

    from ecs_exposure.detectors.registry import catalog
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.pipeline import scan_for_reports
    from ecs_exposure.reporters import json_report
    from ecs_exposure.reporters.base import ReportOptions
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.files import load_paths

    catalog()  # imports every detector module, as the first scan would
    record("startup", perf_counter() - START)
    startup_cpu = process_time()
    inventory = Inventory()
    within: dict[str, float] = {}

    def during_load(name: str, seconds: float) -> None:
        within[name] = within.get(name, 0.0) + seconds

    start = perf_counter()
    report = load_paths(paths, inventory, on_stage=during_load)
    load = perf_counter() - start
    record("read + parse", load - sum(within.values()))
    for name, seconds in within.items():
        record(name, seconds)
    result, context = scan_for_reports(
        inventory, ScanSettings(), errors=report.errors, skipped=report.skipped,
        locate_evidence=False,  # as the CLI does for --format json (no --include locations)
        inputs=[str(p) for p in paths], on_stage=record)
    start = perf_counter()
    with context:  # as the CLI writes it: streamed
        if output is None:
            counter = ByteCount()
            json_report.write(result, counter, ReportOptions(context=context))  # type: ignore[arg-type]
            output_bytes = counter.bytes
        else:
            with open(output, "wb") as handle:
                json_report.write(result, handle, ReportOptions(context=context))
                output_bytes = handle.tell()
    record("render JSON", perf_counter() - start)
    roots = tuple(str(v) + os.sep for v in vulns)
    vuln_read = [s for s in report.read if s.startswith(roots)] if roots else []
    vuln_skipped = [e for e in report.skipped if e.source.startswith(roots)] if roots else []
    return {
        "stages": stages,
        "total_seconds": perf_counter() - START,
        "cpu_seconds": process_time(),
        "scan_cpu": process_time() - startup_cpu,  # CPU seconds without start-up
        "peak_rss_mib": peak_rss_mib(),
        # The evidence-position worker the scan starts (a separate process, so its memory
        # is not in peak_rss_mib), as the worker measured itself.
        "worker_peak_rss_mib": (context.positions.worker_peak_kib or 0) / 1024,
        "gc_seconds": clock.seconds, "gc_collections": clock.collections,
        "services": result.services, "task_definitions": result.task_definitions,
        "findings": len(result.findings),
        "task_definition_findings": len(result.task_definition_findings),
        "files_read": len(report.read), "files_skipped": len(report.skipped),
        "errors": len(report.errors), "output_bytes": output_bytes,
        "vulnerability_files_read": len(vuln_read),
        "vulnerability_files_skipped": len(vuln_skipped),
        "skip_reasons": dict(Counter(e.message for e in report.skipped).most_common(5)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("stages", "parse"))
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--vulns", action="append", type=Path, default=[],
                        help="folder of vulnerability reports among PATHS (repeatable)")
    parser.add_argument("--output", type=Path, help="write the JSON result here")
    parser.add_argument("--profile", type=Path,
                        help="write a pyinstrument text profile of the run here")
    args = parser.parse_args(argv)
    if args.mode == "parse":
        outcome = measure_parse(args.paths)
    elif args.profile:
        try:
            from pyinstrument import Profiler
        except ImportError:
            parser.error("--profile needs pyinstrument: pip install 'pyinstrument>=5,<6'")

        with Profiler() as profiler:
            outcome = measure_stages(args.paths, args.vulns, args.output)
        args.profile.write_text(profiler.output_text(show_all=False), encoding="utf-8")
    else:
        outcome = measure_stages(args.paths, args.vulns, args.output)
    import orjson

    sys.stdout.write(orjson.dumps(outcome).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
