"""Benchmark runner: generate estates, time each scan stage in fresh processes, check budgets.

    python3 bench/run.py                          # 1k, 10k, 50k services, 3 runs each
    nice -n 19 python3 bench/run.py --sizes 10k --runs 5
    python3 bench/run.py --sizes 1k --runs 1 --no-docs --no-results   # a quick smoke run

For each size N and each estate shape (``--shapes``) it generates (once, cached under
--workdir) an estate of N services, then measures, each run in a fresh interpreter:

* shape ``generator``: the project's generator, min(20·N, 200k) vulnerability records, ten
  services per ``describe-services`` file;
* shape ``small-files``: one service per file and N/10 vulnerability records (few): many small
  files, where per-file costs dominate.

Measured:

* ``full``: the scan of every input, stage by stage (``bench/measure.py stages``);
* ``services_only``: the same without the vulnerability reports (time per service is judged here,
  so the vulnerability-to-service ratio cannot bend it);
* ``parse``: bare ``orjson.loads`` of the same files, the floor, then the standard library's
  ``json.loads`` of them: the budget's yardstick (scan ≤ 3× it);
* ``cli``: ``ecs-exposure scan … --format json --output FILE`` end to end (wall, peak RSS).

Then, once (``--live N``, 1,000 services by default; ``--live 0`` skips it), a live collection
against a local moto server seeded with N services (``bench/live_collection_calls.py --json``):
API calls by operation beside the call-count formula's value, and the collection's wall time.

Medians go to ``bench/results/<date>.json`` and into BENCHMARKS.md between its markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import orjson

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import MANIFEST, generator_digest, parse_count  # noqa: E402
from bench.report import evaluate_budgets, update_document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MEASURE = Path(__file__).resolve().parent / "measure.py"
GENERATE = Path(__file__).resolve().parent / "generate.py"
LIVE = Path(__file__).resolve().parent / "live_collection_calls.py"
SCHEMA = "ecs-exposure-bench/results@1"
SMALL = 10_000
SMALL_RUNS = 7
"""Estates under SMALL services scan in well under a second, where a shared machine's noise
is largest: they get at least SMALL_RUNS runs (they cost little)."""
Json = dict[str, Any]


def child_env() -> dict[str, str]:
    """Children import this checkout's ``src`` first, whatever else is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    return env


def run_child(argv: list[str]) -> tuple[float, bytes]:
    """Run ``argv`` with this checkout's source; return its wall seconds and stdout."""
    start = perf_counter()
    proc = subprocess.run(argv, env=child_env(), capture_output=True, check=False)
    wall = perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}… failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return wall, proc.stdout


def run_cli(paths: list[Path], output: Path) -> Json:
    """``ecs-exposure scan`` as a user runs it; wall time and peak RSS from ``wait4``."""
    argv = [sys.executable, "-m", "ecs_exposure", "scan", *map(str, paths),
            "--format", "json", "--output", str(output)]
    start = perf_counter()
    proc = subprocess.Popen(argv, env=child_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    size = output.stat().st_size if output.exists() else 0
    output.unlink(missing_ok=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ecs-exposure scan failed ({proc.returncode}): "
                           f"{err.decode(errors='replace')[-2000:]}")
    return {"seconds": wall, "peak_rss_mib": usage.ru_maxrss / 1024, "output_bytes": size}


def measure(mode: str, paths: list[Path], vulns: list[Path]) -> Json:
    """One ``measure.py`` run in a fresh interpreter."""
    argv = [sys.executable, str(MEASURE), mode, *map(str, paths)]
    for folder in vulns:
        argv += ["--vulns", str(folder)]
    _, out = run_child(argv)
    result: Json = orjson.loads(out)
    return result


def median_of(runs: list[Json]) -> Json:
    """Median of every numeric leaf across runs (nested dicts kept, other values from run 1)."""
    first = runs[0]
    merged: Json = {}
    for key, value in first.items():
        if isinstance(value, dict):
            merged[key] = median_of([r.get(key, {}) for r in runs])
        elif isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = statistics.median(float(r.get(key, 0)) for r in runs)
        else:
            merged[key] = value
    return merged


SHAPES = {"generator": 10, "small-files": 1}
"""Estate shape → services per ``describe-services`` file."""


def shape_vulns(shape: str, services: int, args: argparse.Namespace) -> int:
    """Vulnerability records of an estate of this shape and size."""
    if shape == "small-files":
        return services // 10
    return min(services * args.vulns_per_service, args.max_vulns)


def ensure_estate(workdir: Path, services: int, vulns: int, seed: int,
                  per_file: int = 10) -> tuple[Path, Json]:
    """The cached estate for these parameters, generated if missing or stale."""
    suffix = "" if per_file == 10 else f"-f{per_file}"
    folder = workdir / f"estate-{services}-{vulns}-s{seed}{suffix}"
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        manifest: Json = orjson.loads(manifest_path.read_bytes())
        if manifest.get("generator") == generator_digest():
            return folder, manifest
    shutil.rmtree(folder, ignore_errors=True)
    print(f"generating {services:,} services, {vulns:,} records in {folder} …", flush=True)
    start = perf_counter()
    # In a child: on Linux a process's peak RSS starts at its parent's when it is spawned,
    # so the runner must stay small for the children's peaks to be their own.
    run_child([sys.executable, str(GENERATE), str(folder), "--services", str(services),
               "--vulns", str(vulns), "--seed", str(seed), "--services-per-file", str(per_file)])
    manifest = orjson.loads(manifest_path.read_bytes())
    print(f"  {manifest['files']:,} files, {manifest['bytes'] / 1e6:,.0f} MB "
          f"in {perf_counter() - start:.0f} s", flush=True)
    return folder, manifest


def machine() -> Json:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(ram, 1),
            "python": platform.python_version(), "os": platform.platform(),
            "orjson": orjson.__version__, "load_average": os.getloadavg()}


def git_state() -> Json:
    """Commit measured (and whether the tree had uncommitted changes)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True,
                              text=True, check=False).stdout.strip()
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def startup(runs: int) -> Json:
    """``ecs-exposure --help`` wall time against a bare interpreter's."""
    def median_wall(argv: list[str]) -> float:
        return statistics.median(run_child(argv)[0] for _ in range(max(runs, 5)))
    return {"help_seconds": median_wall([sys.executable, "-m", "ecs_exposure", "--help"]),
            "python_seconds": median_wall([sys.executable, "-c", "pass"])}


def run_case(workdir: Path, services: int, vulns: int, args: argparse.Namespace,
             shape: str = "generator") -> Json:
    """Every measurement of one estate size, interleaved run by run to spread the noise."""
    folder, manifest = ensure_estate(workdir, services, vulns, args.seed, SHAPES[shape])
    service_paths = [folder / p for p in manifest["inputs"]["services"]]
    vuln_paths = [folder / p for p in manifest["inputs"]["vulnerabilities"]
                  if (folder / p).exists()]
    variants = {"full": (service_paths + vuln_paths, vuln_paths),
                "services_only": (service_paths, [])}
    raw: dict[str, list[Json]] = {f"{v}_{m}": [] for v in variants for m in ("stages", "parse")}
    raw["cli"] = []
    runs = args.runs if services >= SMALL else max(args.runs, args.small_runs)
    for run in range(runs):
        for variant, (paths, vulns_dirs) in variants.items():
            raw[f"{variant}_parse"].append(measure("parse", paths, []))
            raw[f"{variant}_stages"].append(measure("stages", paths, vulns_dirs))
        if args.cli:
            raw["cli"].append(run_cli(service_paths + vuln_paths, workdir / "cli-result.json"))
        full = raw["full_stages"][-1]
        print(f"  {shape} {services:,} services, run {run + 1}/{runs}: scan "
              f"{full['total_seconds']:.2f} s, parse {raw['full_parse'][-1]['seconds']:.2f} s "
              f"(stdlib {raw['full_parse'][-1]['stdlib_seconds']:.2f} s), "
              f"peak {full['peak_rss_mib']:.0f} MiB, result {full['output_bytes'] / 1e6:.1f} MB",
              flush=True)
    if args.profile:
        profile = workdir / f"profile-{services}.txt"
        subprocess.run([sys.executable, str(MEASURE), "stages",
                        *map(str, service_paths + vuln_paths), "--profile", str(profile)],
                       env=child_env(), check=True, stdout=subprocess.DEVNULL)
        print(f"  profile: {profile}", flush=True)
    case: Json = {"runs": runs, "shape": shape}
    case |= {key: manifest[key] for key in (
        "services", "vulnerability_records", "containers", "task_definitions",
        "container_definitions", "security_groups", "load_balancers", "roles", "files",
        "bytes", "vulnerability_reports")}
    for variant in variants:
        stages = median_of(raw[f"{variant}_stages"])
        parse = median_of(raw[f"{variant}_parse"])
        scan = statistics.median(
            sum(v["seconds"] for k, v in r["stages"].items() if k != "startup")
            for r in raw[f"{variant}_stages"])
        case[variant] = {"stages": stages, "parse": parse, "scan_seconds": scan,
                         "ratio": scan / parse["seconds"] if parse["seconds"] else None,
                         "ratio_stdlib": scan / parse["stdlib_seconds"]
                         if parse.get("stdlib_seconds") else None,
                         "runs": raw[f"{variant}_stages"]}
    if raw["cli"]:
        case["cli"] = median_of(raw["cli"])
    return case


def run_live(services: int) -> Json:
    """One live collection of ``services`` services against moto, in a fresh interpreter
    (seeding, moto's server and the collector all live in that child)."""
    print(f"live collection: seeding moto with {services:,} services …", flush=True)
    wall, out = run_child([sys.executable, str(LIVE), "--services", str(services), "--json"])
    result: Json = orjson.loads(out)
    result["child_seconds"] = wall
    print(f"  {result['calls_total']:,} API calls, formula {result['formula']:,} "
          f"({'equal' if result['equal'] else 'DIFFERENT'}), collection "
          f"{result['collection_seconds']:.1f} s, seeding {result['seeding_seconds']:.0f} s, "
          f"{result['errors']} errors", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,10k,50k",
                        help="comma-separated service counts (default 1k,10k,50k)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--small-runs", type=int, default=SMALL_RUNS,
                        help=f"least runs of estates under {SMALL:,} services "
                             f"(default {SMALL_RUNS})")
    parser.add_argument("--vulns-per-service", type=int, default=20)
    parser.add_argument("--max-vulns", type=parse_count, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shapes", default="generator,small-files",
                        help=f"comma-separated estate shapes: {', '.join(SHAPES)}")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ecs-exposure-bench"),
                        help="where estates are generated and cached (never in the repo)")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--docs", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--no-results", action="store_true", help="do not write results JSON")
    parser.add_argument("--no-docs", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--no-cli", dest="cli", action="store_false",
                        help="skip the end-to-end `ecs-exposure scan` runs")
    parser.add_argument("--profile", action="store_true",
                        help="also write a pyinstrument profile per size into --workdir")
    parser.add_argument("--live", type=parse_count, default=1000, metavar="N",
                        help="services of the live collection against moto (default 1000; "
                             "0 skips it)")
    parser.add_argument("--clean", action="store_true", help="delete the estates afterwards")
    parser.add_argument("--from-results", type=Path, metavar="FILE",
                        help="measure nothing: rewrite BENCHMARKS.md from a results JSON")
    args = parser.parse_args(argv)
    if args.from_results:
        saved: Json = orjson.loads(args.from_results.read_bytes())
        saved["budgets"] = evaluate_budgets(saved)
        update_document(args.docs, saved)
        print(f"updated: {args.docs}")
        return 0
    sizes = [parse_count(s) for s in args.sizes.split(",") if s.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    document: Json = {
        "schema": SCHEMA,
        "date": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        **git_state(), "machine": machine(),
        "settings": {"sizes": sizes, "runs": args.runs, "seed": args.seed,
                     "vulns_per_service": args.vulns_per_service,
                     "max_vulns": args.max_vulns, "cli": args.cli, "live": args.live,
                     "small_runs": args.small_runs,
                     "shapes": args.shapes.split(",")},
        "startup": startup(args.runs), "cases": [],
    }
    for shape in args.shapes.split(","):
        if shape not in SHAPES:
            parser.error(f"--shapes: {shape!r} is not one of {', '.join(SHAPES)}")
        for services in sizes:
            document["cases"].append(run_case(
                args.workdir, services, shape_vulns(shape, services, args), args, shape))
    if args.live > 0:
        document["live_collection"] = run_live(args.live)
    document["machine"]["load_average_after"] = os.getloadavg()
    document["budgets"] = evaluate_budgets(document)
    for budget in document["budgets"]:
        print(f"{'met ' if budget['met'] else 'MISS'} {budget['name']}: {budget['measured']}")
    if not args.no_results:
        args.results.mkdir(parents=True, exist_ok=True)
        path = args.results / f"{document['date'][:10]}.json"
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        print(f"results: {path}")
    if not args.no_docs:
        update_document(args.docs, document)
        print(f"updated: {args.docs}")
    if args.clean:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
