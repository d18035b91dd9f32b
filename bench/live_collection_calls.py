"""Measure how many API calls a live collection makes on a large moto estate.

Seeds a moto server (the test suite's fixture, on 127.0.0.1) with N services spread over
clusters, sharing task definition revisions, roles and load balancers the way real estates
do, runs the collector once, and prints the measured call count per action next to the value
of the documented formula (``ecs_exposure.sources.aws.callcount``).

    PYTHONPATH=src python3 bench/live_collection_calls.py                 # 1,000 services
    PYTHONPATH=src python3 bench/live_collection_calls.py --services 200 --revisions 200
    PYTHONPATH=src python3 bench/live_collection_calls.py --json          # one JSON object

``--json`` is how ``bench/run.py --live N`` runs it, in a fresh process: the estate's sizes,
calls by action, the measured total, the formula's value, seeding and collection seconds,
the errors and the peak RSS of the process (which holds moto's server as well as the collector).

Not a timing benchmark: seconds are printed for information only (moto is not AWS).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ecs_exposure.sources.aws.callcount import expected_calls  # noqa: E402
from ecs_exposure.sources.aws.collector import collect  # noqa: E402
from ecs_exposure.sources.aws.options import CollectOptions  # noqa: E402
from support.aws_estate import INTERNAL, OPEN_HTTPS, Seeder, hardened_container  # noqa: E402
from support.aws_server import ACCOUNT, MotoServer  # noqa: E402

REGION = "us-east-1"


def seed(server: MotoServer, services: int, clusters: int, revisions: int, roles: int,
         balancers: int, tasks: bool) -> None:
    """One account and region: ``services`` services over ``clusters`` clusters, sharing
    ``revisions`` task definitions, ``roles`` task roles and ``balancers`` ALBs."""
    s = Seeder(server, ACCOUNT, REGION)
    groups = [s.group(f"svc-{i}", INTERNAL) for i in range(10)]
    lb_group = s.group("alb", OPEN_HTTPS)
    role_arns = [s.role(f"task-{i}", inline={"read": '{"Version": "2012-10-17", "Statement": '
                                                     '[{"Effect": "Allow", "Action": '
                                                     '"s3:GetObject", "Resource": "*"}]}'})
                 for i in range(roles)]
    target_groups = [s.load_balancer(f"alb-{i}", lb_group, 443) for i in range(balancers)]
    tds: list[str] = []
    for index in range(revisions):
        image, _ = s.image(f"app-{index % 100}", f"v{index}")
        tds.append(s.task_definition(f"app-{index}", [hardened_container("app", image)],
                                     taskRoleArn=role_arns[index % roles]))
    cluster_names = [f"cluster-{i}" for i in range(clusters)]
    for name in cluster_names:
        s.ecs.create_cluster(clusterName=name,
                             settings=[{"name": "containerInsights", "value": "enabled"}])
    for index in range(services):
        network = s.awsvpc(s.private, groups[index % len(groups)], False)
        extra: dict[str, Any] = {}
        if index < balancers * 5:
            extra["loadBalancers"] = [{"targetGroupArn": target_groups[index % balancers],
                                       "containerName": "app", "containerPort": 8080}]
        cluster = cluster_names[index % clusters]
        s.ecs.create_service(cluster=cluster, serviceName=f"svc-{index}",
                             taskDefinition=tds[index % revisions], desiredCount=1,
                             launchType="FARGATE", networkConfiguration=network, **extra)
        if tasks:
            s.ecs.run_task(cluster=cluster, taskDefinition=tds[index % revisions],
                           launchType="FARGATE", group=f"service:svc-{index}",
                           startedBy="ecs-svc", networkConfiguration=network)


def measure(services: int, clusters: int, revisions: int, roles: int, balancers: int,
            tasks: bool) -> dict[str, Any]:
    """Seed a fresh moto server, collect once, and return what was measured."""
    server = MotoServer()
    try:
        started = time.perf_counter()
        seed(server, services, clusters, revisions, roles, balancers, tasks)
        seeded = time.perf_counter() - started
        os.environ.update(server.env())
        started = time.perf_counter()
        snapshot = collect(CollectOptions(regions=(REGION,)))
        took = time.perf_counter() - started
    finally:
        server.stop()
    calls = snapshot["api_calls"]
    formula = expected_calls(snapshot, caller=ACCOUNT)
    return {
        "services": services, "clusters": clusters, "revisions": revisions, "roles": roles,
        "balancers": balancers, "tasks": services if tasks else 0, "region": REGION,
        "calls_by_action": dict(calls["by_action"]), "calls_total": int(calls["total"]),
        "formula": formula, "equal": int(calls["total"]) == formula,
        "seeding_seconds": seeded, "collection_seconds": took,
        "errors": len(snapshot["errors"]), "incomplete": len(snapshot["incomplete"]),
        # ru_maxrss is KiB on Linux; moto's server runs in this process too.
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--revisions", type=int, default=100,
                        help="distinct task definition revisions the services share")
    parser.add_argument("--roles", type=int, default=10)
    parser.add_argument("--balancers", type=int, default=20)
    parser.add_argument("--no-tasks", action="store_true", help="do not start running tasks")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (for bench/run.py) instead of text")
    args = parser.parse_args()
    # Standard output carries only the result: anything else printed goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        result = measure(args.services, args.clusters, args.revisions, args.roles,
                         args.balancers, not args.no_tasks)
    if args.json:
        print(json.dumps(result))
        return
    print(f"estate: {result['services']} services, {result['clusters']} clusters, "
          f"{result['revisions']} revisions, {result['roles']} roles, {result['balancers']} "
          f"load balancers, tasks={'one per service' if result['tasks'] else 'no'}")
    print(f"errors: {result['errors']}, incomplete: {result['incomplete']}")
    for action, count in result["calls_by_action"].items():
        print(f"  {action:45} {count:6}")
    print(f"measured calls: {result['calls_total']}")
    print(f"formula:        {result['formula']}")
    print(f"(seeding {result['seeding_seconds']:.0f} s, collection "
          f"{result['collection_seconds']:.1f} s against moto on this machine, peak RSS "
          f"{result['peak_rss_mib']:.0f} MiB)")


if __name__ == "__main__":
    main()
