"""Live collection against a moto server in its own process: ours, the floor, and Prowler.

Starts the test suite's moto server (``tests/support/aws_server.py``) in a child process,
seeds it with the estate of ``bench/live_collection_calls.py`` (1,000 services by default),
then times, in turns and each in a fresh interpreter against that same server:

* **ours**: ``python3 -m ecs_exposure collect --aws --region R --output FILE.json.gz``;
* **floor**: ``bench/live_floor.py``, the same API calls issued bare with boto3 at the same
  concurrency (its call counts are checked equal to the snapshot's);
* **prowler** (with ``--prowler PATH``, the ``prowler`` executable of its own virtualenv):
  ``prowler aws --service ecs -f R`` — Prowler's ECS checks.

For each: the wall time, the CPU of the client process, and the CPU the server process
spent answering it (moto answers in its own process, on the same cores: part of every
wall time). Also the start-up of a bare interpreter, of ``import boto3`` and of
``ecs-exposure --help``. Medians of ``--runs`` runs.

    PYTHONPATH=src:tests nice python3 bench/live_compare.py --runs 5
    PYTHONPATH=src:tests nice python3 bench/live_compare.py --runs 3 \\
        --prowler /tmp/prowler-venv/bin/prowler --json > /tmp/live.json

Moto is not AWS: it answers from memory without AWS's latency, throttling or page sizes, so
these seconds compare tools on one machine, they do not predict a collection from AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]
REGION = "us-east-1"
TICKS = os.sysconf("SC_CLK_TCK")


def serve(services: int) -> None:
    """Child mode: seed a moto server, print its endpoint, serve until stdin closes."""
    import contextlib

    from live_collection_calls import seed

    from support.aws_server import MotoServer

    with contextlib.redirect_stdout(sys.stderr):
        server = MotoServer()
        costs = _cost_by_operation(server)
        started = time.perf_counter()
        seed(server, services, clusters=10, revisions=100, roles=10, balancers=20, tasks=True)
        seeded = time.perf_counter() - started
        # moto builds each partition's IAM backend (1,400 managed policies) on first use:
        # done now, so that no run pays it.
        server.client("sts").get_caller_identity()
        server.client("ecs").list_clusters()
    costs.clear()
    print(json.dumps({"endpoint": server.endpoint, "env": server.env(),
                      "seeding_seconds": seeded}), flush=True)
    for line in sys.stdin:      # "costs": moto's CPU by operation since the last ask
        if line.strip() == "costs":
            print(json.dumps(dict(costs)), flush=True)
            costs.clear()
    server.stop()


def _cost_by_operation(server: Any) -> dict[str, list[float]]:
    """Wrap the server's WSGI app: CPU seconds (of the thread answering) and count of each
    operation, so moto's own share of a run can be told apart from the client's."""
    import threading

    from support.aws_server import _FaultInjector

    costs: dict[str, list[float]] = {}
    lock = threading.Lock()
    original = _FaultInjector.__call__
    current = threading.local()
    log = server.log

    def remember(request: Any) -> None:     # called in the answering thread, before moto
        current.request = request
        log(request)

    server.log = remember

    def timed_call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.thread_time()
        body = list(original(self, environ, start_response))
        spent = time.thread_time() - started
        request = getattr(current, "request", None)
        key = f"{request.service}:{request.operation}" if request else "?"
        with lock:
            entry = costs.setdefault(key, [0.0, 0])
            entry[0] += spent
            entry[1] += 1
        return body

    _FaultInjector.__call__ = timed_call  # type: ignore[method-assign]
    return costs


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def timed(argv: list[str], env: dict[str, str], server_pid: int) -> dict[str, Any]:
    """Run ``argv`` to the end: wall seconds, its CPU, the server's CPU meanwhile, stdout."""
    server_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    return {"wall": wall, "server_cpu": cpu_seconds(server_pid) - server_before,
            "returncode": process.returncode, "stdout": out.decode(errors="replace"),
            "stderr": err.decode(errors="replace")[-4000:]}


def child_cpu(func: Any) -> tuple[Any, float]:
    """``func()`` and the CPU seconds the children it waited for used."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = func()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    source = Path(args.src).resolve() if args.src else ROOT / "src"
    env_base = {**os.environ, "PYTHONPATH": f"{source}:{ROOT / 'tests'}"}
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--services",
                               str(args.services)], env=env_base, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, start_new_session=False)
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        env = {**env_base, **ready["env"],
               # Byte code cached as an installed package has it (pip compiles on install),
               # outside the checkout; PYTHONDONTWRITEBYTECODE would compile every run anew.
               "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "live-compare-pycache")}
        # The benchmark machine's own configuration must not leak in (retry mode, profile).
        for key in ("AWS_PROFILE", "AWS_RETRY_MODE", "PYTHONDONTWRITEBYTECODE"):
            env.pop(key, None)

        def costs() -> dict[str, list[float]]:
            assert server.stdin is not None and server.stdout is not None
            server.stdin.write("costs\n")
            server.stdin.flush()
            return dict(json.loads(server.stdout.readline()))

        return run_all(args, env, server.pid, ready, costs)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=60)


def run_all(args: argparse.Namespace, env: dict[str, str], pid: int, ready: dict[str, Any],
            pid_costs: Any = None) -> dict[str, Any]:
    load_before = load()
    workdir = Path(tempfile.mkdtemp(prefix="live-compare-"))
    snapshot_path = workdir / "snapshot.json.gz"
    ours = [sys.executable, "-m", "ecs_exposure", "collect", "--aws", "--region", REGION,
            "--output", str(snapshot_path), "--quiet"]
    floor = [sys.executable, str(ROOT / "bench" / "live_floor.py"), "--region", REGION, "--json"]
    commands: dict[str, list[str]] = {"ours": ours, "floor": [*floor, "--overlap"]}
    envs = {name: env for name in ("ours", "floor")}
    if args.before:
        # The collector of another checkout (``git archive COMMIT src``), and the floor at its
        # concurrency (only task definitions and IAM roles fanned out).
        commands["ours_before"] = ours
        envs["ours_before"] = {**env, "PYTHONPATH": str(Path(args.before).resolve())}
        commands["floor_before"] = floor
        envs["floor_before"] = env
    if args.prowler:
        commands["prowler"] = [args.prowler, "aws", "--service", "ecs", "-f", REGION,
                               "--output-directory", str(workdir / "prowler"),
                               "--output-formats", "json-ocsf", "--no-banner"]
        envs["prowler"] = env
    startup = {
        "python": [sys.executable, "-c", "pass"],
        "import_boto3": [sys.executable, "-c", "import boto3"],
        "ecs_exposure_help": [sys.executable, "-m", "ecs_exposure", "--help"],
    }
    raw: dict[str, list[dict[str, Any]]] = {name: [] for name in [*commands, *startup]}
    for name in ("ours", "ours_before", "floor"):   # byte code compiled, not measured
        if name in commands:
            timed(commands[name], envs[name], pid)
    if pid_costs is not None:
        pid_costs()
    for number in range(args.runs):
        for name, argv in [*commands.items(), *startup.items()]:
            if name == "prowler" and number >= args.prowler_runs:
                continue
            run, cpu = child_cpu(lambda argv=argv, name=name: timed(
                argv, envs.get(name, env), pid))
            run["cpu"] = cpu
            raw[name].append(run)
            print(f"run {number + 1} {name}: {run['wall']:.2f} s wall, {cpu:.2f} s CPU, "
                  f"server {run['server_cpu']:.2f} s CPU, exit {run['returncode']}",
                  file=sys.stderr, flush=True)
            if name == "ours" and number == 0:
                raw["ours"][-1]["snapshot"] = read_snapshot(snapshot_path)
            if pid_costs is not None:
                run["server_by_operation"] = pid_costs()
    result = {"services": args.services, "region": REGION,
              "seeding_seconds": ready["seeding_seconds"], "runs": args.runs,
              "load_before": load_before, "tools": {}}
    for name, runs in raw.items():
        if not runs:
            continue
        entry = {"wall": median(runs, "wall"), "cpu": median(runs, "cpu"),
                 "server_cpu": median(runs, "server_cpu"),
                 "walls": [round(r["wall"], 3) for r in runs],
                 "returncodes": [r["returncode"] for r in runs]}
        if runs[0]["returncode"] not in (0, None) and name != "prowler":
            entry["stderr"] = runs[0]["stderr"]
        if "server_by_operation" in runs[0]:
            entry["server_by_operation"] = {
                op: [round(cost[0], 4), cost[1]] for op, cost in sorted(
                    runs[0]["server_by_operation"].items(), key=lambda kv: -kv[1][0])}
        if name.startswith("floor"):
            entry["phases"] = {k: statistics.median(json.loads(r["stdout"])[k]
                                                    for r in runs if r["stdout"])
                               for k in ("import_seconds", "clients_seconds", "calls_seconds")}
        result["tools"][name] = entry
    ours_calls = raw["ours"][0].get("snapshot", {}).get("by_action", {})
    floor_out = json.loads(raw["floor"][0]["stdout"] or "{}")
    result["calls"] = {"ours": ours_calls, "floor": floor_out.get("calls_by_action", {}),
                       "equal": ours_calls == floor_out.get("calls_by_action"),
                       "errors": raw["ours"][0].get("snapshot", {}).get("errors")}
    tools = result["tools"]
    result["ratios"] = {
        f"{a} / {b}": tools[a]["wall"] / tools[b]["wall"]
        for a, b in (("ours", "floor"), ("ours_before", "floor_before"), ("ours", "prowler"),
                     ("ours_before", "prowler"), ("floor", "prowler"))
        if a in tools and b in tools}
    if "prowler" in raw and raw["prowler"]:
        result["prowler_summary"] = prowler_summary(raw["prowler"][0]["stdout"])
    result["load_after"] = load()
    shutil.rmtree(workdir, ignore_errors=True)
    return result


def prowler_summary(output: str) -> list[str]:
    """The lines of Prowler's output that say what it ran and found (no identity lines)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    return [line.strip(" │") for line in plain.splitlines()
            if re.search(r"Executing \d+ checks|Failed|Scan completed", line)]


def read_snapshot(path: Path) -> dict[str, Any]:
    import gzip

    try:
        document = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError):
        return {}
    return {"by_action": dict(sorted(document["api_calls"]["by_action"].items())),
            "errors": len(document["errors"]), "incomplete": len(document["incomplete"])}


def load() -> float:
    return os.getloadavg()[0]


def report(result: dict[str, Any]) -> None:
    tools = result["tools"]
    print(f"{result['services']:,} services, medians of {result['runs']} runs "
          f"(load {result['load_before']:.1f} before, {result['load_after']:.1f} after)")
    for name, entry in tools.items():
        print(f"  {name:18} {entry['wall']:7.2f} s wall  {entry['cpu']:6.2f} s CPU  "
              f"server {entry['server_cpu']:6.2f} s CPU   runs {entry['walls']}")
    print(f"  calls equal: {result['calls']['equal']} "
          f"({sum(result['calls']['ours'].values())} ours, "
          f"{sum(result['calls']['floor'].values())} floor)")
    for name, ratio in result["ratios"].items():
        print(f"  {name}: {ratio:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prowler", help="path to the prowler executable (its own venv)")
    parser.add_argument("--prowler-runs", type=int, default=1)
    parser.add_argument("--src", metavar="SRC",
                        help="the collector's source folder (default: this checkout's src)")
    parser.add_argument("--before", metavar="SRC",
                        help="also time the collector of this source folder (e.g. `git archive "
                             "COMMIT src | tar -x -C /tmp/before`, then /tmp/before/src) and "
                             "the floor at the concurrency it had")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.services)
        return
    result = measure(args)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        report(result)


if __name__ == "__main__":
    main()
