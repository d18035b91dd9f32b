"""The floor of a live collection: the collector's API calls issued bare with boto3.

Same operations, same counts, same batching and the same concurrency as
``ecs_exposure.sources.aws.collector`` for one account and region (each ``--workers`` wide
where the collector fans out), but nothing else: no plain-JSON conversion, no answer checks,
no dependency bookkeeping, no snapshot. What is left is the interpreter, boto3's import and
clients, botocore's per-call work and the server's answers — what any Python tool making these
calls pays. ``bench/live_compare.py`` runs it beside ``ecs-exposure collect`` against the same
moto server and checks the two made the same calls.

    AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \\
        python3 bench/live_floor.py --region us-east-1 --json

Prints one JSON object: calls by action, and the seconds of each phase (import, clients,
calls) measured inside the process.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterable, Sequence  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

IMPORTED = time.perf_counter()
T = TypeVar("T")
R = TypeVar("R")
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9._/-]+?)"
                       r"(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$")


class Floor:
    """One account and region, the collector's calls in the collector's order."""

    def __init__(self, region: str, workers: int, overlap: bool) -> None:
        self.calls: Counter[str] = Counter()
        session = boto3.Session(region_name=region)
        session._session.register("before-call", self._count)  # noqa: SLF001
        config = Config(retries={"mode": "adaptive", "total_max_attempts": 8},
                        max_pool_connections=32)
        self.clients = {name: session.client(name, config=config)
                        for name in ("sts", "ecs", "elbv2", "ec2", "ecr", "iam", "efs")}
        self.workers = workers
        self.overlap = overlap

    def _count(self, model: Any = None, **_: Any) -> None:
        self.calls[f"{model.service_model.signing_name}:{model.name}"] += 1

    def map(self, func: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1 or self.workers <= 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(func, items))

    def pages(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        paginator = self.clients[service].get_paginator(operation)
        return [item for page in paginator.paginate(**params) for item in page.get(key, [])]

    def fan(self, func: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Where the collector now fans out too (``--overlap``); in turn otherwise."""
        return self.map(func, items) if self.overlap else [func(item) for item in items]

    def together(self, *steps: Callable[[], Any]) -> list[Any]:
        if not self.overlap:
            return [step() for step in steps]
        with ThreadPoolExecutor(len(steps)) as pool:
            futures = [pool.submit(step) for step in steps]
        return [future.result() for future in futures]

    def run(self) -> None:
        self.clients["sts"].get_caller_identity()
        ecs = self.clients["ecs"]
        clusters = self.pages("ecs", "list_clusters", "clusterArns")
        for batch in chunks(clusters, 100):
            ecs.describe_clusters(clusters=batch, include=["SETTINGS", "CONFIGURATIONS"])
        listed = self.fan(lambda c: (c, self.pages("ecs", "list_services", "serviceArns",
                                                   cluster=c)), clusters)
        batches = [(c, batch) for c, arns in listed for batch in chunks(arns, 10)]
        services = [s for answer in self.fan(
            lambda job: ecs.describe_services(cluster=job[0], services=job[1]), batches)
            for s in answer["services"]]
        refs = list(dict.fromkeys(
            ref for s in services for ref in
            [s.get("taskDefinition")] + [d.get("taskDefinition") for d in s.get("deployments", [])]
            + [t.get("taskDefinition") for t in s.get("taskSets", [])] if ref))
        tds: list[dict[str, Any]] = []
        iam_pool = ThreadPoolExecutor(1)
        iam_done: list[Any] = []

        def definitions() -> None:
            tds.extend(r["taskDefinition"] for r in self.map(
                lambda ref: ecs.describe_task_definition(taskDefinition=ref), refs))
            if self.overlap:     # the account's IAM starts once its task definitions are in
                iam_done.append(iam_pool.submit(self._iam, tds))

        _, tasks, balancers = self.together(definitions, lambda: self._tasks(services),
                                            lambda: self._balancers(services))
        self.together(lambda: self._network(services, balancers, tasks),
                      lambda: self._ecr(tds, tasks))
        if iam_done:
            iam_done[0].result()
        else:
            self._iam(tds)
        iam_pool.shutdown()

    def _tasks(self, services: list[dict[str, Any]]) -> list[dict[str, Any]]:
        clusters = list(dict.fromkeys(s["clusterArn"] for s in services))
        listed = self.fan(lambda c: (c, self.pages("ecs", "list_tasks", "taskArns", cluster=c,
                                                   desiredStatus="RUNNING")), clusters)
        batches = [(c, batch) for c, arns in listed for batch in chunks(arns, 100)]
        return [t for answer in self.fan(lambda job: self.clients["ecs"].describe_tasks(
            cluster=job[0], tasks=job[1]), batches) for t in answer["tasks"]]

    def _balancers(self, services: list[dict[str, Any]]) -> list[dict[str, Any]]:
        elb = self.clients["elbv2"]
        groups = list(dict.fromkeys(lb["targetGroupArn"] for s in services
                                    for lb in s.get("loadBalancers", [])))
        found = [g for batch in chunks(groups, 20)
                 for g in elb.describe_target_groups(TargetGroupArns=batch)["TargetGroups"]]
        arns = list(dict.fromkeys(a for g in found for a in g.get("LoadBalancerArns", [])))
        balancers = [b for batch in chunks(arns, 20)
                     for b in elb.describe_load_balancers(LoadBalancerArns=batch)["LoadBalancers"]]
        self.fan(lambda b: self.pages("elbv2", "describe_listeners", "Listeners",
                                      LoadBalancerArn=b["LoadBalancerArn"]), balancers)
        return balancers

    def _network(self, services: list[dict[str, Any]], balancers: list[dict[str, Any]],
                 tasks: list[dict[str, Any]]) -> None:
        configs = [s["networkConfiguration"]["awsvpcConfiguration"] for s in services
                   if "networkConfiguration" in s]
        groups = unique([g for c in configs for g in c.get("securityGroups", [])]
                        + [g for b in balancers for g in b.get("SecurityGroups", [])])
        subnets = unique(n for c in configs for n in c.get("subnets", []))
        enis = unique(d["value"] for t in tasks for a in t.get("attachments", [])
                      for d in a.get("details", []) if d.get("name") == "networkInterfaceId")

        def subnets_and_routes() -> None:
            found = self._filtered("describe_subnets", "Subnets", "subnet-id", subnets)
            self._filtered("describe_route_tables", "RouteTables", "vpc-id",
                           unique(s["VpcId"] for s in found))

        self.together(*(step for step, wanted in (
            (lambda: self._filtered("describe_security_groups", "SecurityGroups", "group-id",
                                    groups), groups),
            (subnets_and_routes, subnets),
            (lambda: self._filtered("describe_network_interfaces", "NetworkInterfaces",
                                    "network-interface-id", enis), enis)) if wanted))

    def _filtered(self, operation: str, key: str, name: str, values: list[str]
                  ) -> list[dict[str, Any]]:
        return [item for items in self.fan(lambda batch: self.pages(
            "ec2", operation, key, Filters=[{"Name": name, "Values": batch}]),
            chunks(values, 200)) for item in items]

    def _ecr(self, tds: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
        ecr = self.clients["ecr"]
        refs: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        images = [(c["image"], None) for td in tds for c in td["containerDefinitions"]]
        images += [(c.get("image", ""), c.get("imageDigest")) for t in tasks
                   for c in t.get("containers", [])]
        for uri, digest in images:
            found = ECR_IMAGE.match(uri)
            if found:
                registry, _, repository, tag, pinned = found.groups()
                image_id = {"imageDigest": digest or pinned} if digest or pinned \
                    else {"imageTag": tag or "latest"}
                refs.setdefault((registry, repository), {})[json.dumps(image_id)] = image_id
        registries = unique(registry for registry, _ in refs)
        for registry in registries:
            names = sorted(name for reg, name in refs if reg == registry)
            for batch in chunks(names, 100):
                ecr.describe_repositories(registryId=registry, repositoryNames=batch)
            self.fan(lambda name, registry=registry: [
                ecr.describe_images(registryId=registry, repositoryName=name, imageIds=ids)
                for ids in chunks(list(refs[(registry, name)].values()), 100)], names)
        if registries:
            ecr.get_registry_scanning_configuration()

    def _iam(self, tds: list[dict[str, Any]]) -> None:
        iam = self.clients["iam"]
        roles = unique(td[k] for td in tds for k in ("taskRoleArn", "executionRoleArn")
                       if td.get(k))

        def role(arn: str) -> list[str]:
            name = arn.rsplit("/", 1)[-1]
            iam.get_role(RoleName=name)
            for policy in self.pages("iam", "list_role_policies", "PolicyNames", RoleName=name):
                iam.get_role_policy(RoleName=name, PolicyName=policy)
            return [p["PolicyArn"] for p in self.pages(
                "iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)]

        def policy(arn: str) -> None:
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            iam.get_policy_version(PolicyArn=arn, VersionId=version)

        attached = unique(arn for arns in self.map(role, roles) for arn in arns)
        self.map(policy, sorted(attached))


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--workers", type=int, default=4,
                        help="calls in flight where the collector fans out (its default: 4)")
    parser.add_argument("--overlap", action="store_true",
                        help="the collector's concurrency since issue 18: clusters, batches, "
                             "listeners, filters and repositories --workers at a time; task "
                             "definitions, tasks and load balancers at once, then network and "
                             "ECR; IAM as soon as the task definitions are in. Without it: the "
                             "collector's concurrency before (only task definitions and IAM "
                             "fan out)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    floor = Floor(args.region, args.workers, args.overlap)
    clients = time.perf_counter()
    floor.run()
    done = time.perf_counter()
    result = {"calls_by_action": dict(sorted(floor.calls.items())),
              "calls_total": sum(floor.calls.values()),
              "import_seconds": IMPORTED - STARTED, "clients_seconds": clients - IMPORTED,
              "calls_seconds": done - clients}
    json.dump(result, sys.stdout) if args.json else print(result)


if __name__ == "__main__":
    main()
