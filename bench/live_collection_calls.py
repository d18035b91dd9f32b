"""Measure how many API calls a live collection makes on a large moto estate.

Seeds a moto server (the test suite's fixture, on 127.0.0.1) with N services spread over
clusters, sharing task definition revisions, roles and load balancers the way real estates
do, runs the collector once, and prints the measured call count per action next to the value
of the documented formula (``ecs_exposure.sources.aws.callcount``).

    PYTHONPATH=src python3 bench/live_collection_calls.py                 # 1,000 services
    PYTHONPATH=src python3 bench/live_collection_calls.py --services 200 --revisions 200

Not a timing benchmark: seconds are printed for information only (moto is not AWS).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from aws_fixtures import (  # noqa: E402
    ACCOUNT,
    INTERNAL,
    OPEN_HTTPS,
    MotoServer,
    Seeder,
    hardened_container,
)
from ecs_exposure.sources.aws.callcount import expected_calls  # noqa: E402
from ecs_exposure.sources.aws.collector import collect  # noqa: E402
from ecs_exposure.sources.aws.options import CollectOptions  # noqa: E402

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
    tds = []
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
        extra = {}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--revisions", type=int, default=100,
                        help="distinct task definition revisions the services share")
    parser.add_argument("--roles", type=int, default=10)
    parser.add_argument("--balancers", type=int, default=20)
    parser.add_argument("--no-tasks", action="store_true", help="do not start running tasks")
    args = parser.parse_args()
    server = MotoServer()
    started = time.perf_counter()
    seed(server, args.services, args.clusters, args.revisions, args.roles, args.balancers,
         not args.no_tasks)
    seeded = time.perf_counter() - started
    os.environ.update(server.env())
    started = time.perf_counter()
    snapshot = collect(CollectOptions(regions=(REGION,)))
    took = time.perf_counter() - started
    server.stop()
    calls = snapshot["api_calls"]
    print(f"estate: {args.services} services, {args.clusters} clusters, {args.revisions} "
          f"revisions, {args.roles} roles, {args.balancers} load balancers, "
          f"tasks={'no' if args.no_tasks else 'one per service'}")
    print(f"errors: {len(snapshot['errors'])}, incomplete: {len(snapshot['incomplete'])}")
    for action, count in calls["by_action"].items():
        print(f"  {action:45} {count:6}")
    print(f"measured calls: {calls['total']}")
    print(f"formula:        {expected_calls(snapshot, caller=ACCOUNT)}")
    print(f"(seeding {seeded:.0f} s, collection {took:.1f} s against moto on this machine)")


if __name__ == "__main__":
    main()
