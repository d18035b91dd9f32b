"""The live collection: accounts × regions in parallel, IAM once per account, then a snapshot.

Three phases, each bounded by ``max_workers``: (1) open every account (assume the role, list
its enabled regions), (2) collect every account+region, (3) read each account's IAM roles,
which are global and shared by its regions. A failure is recorded where it happens and the
rest goes on; at the end every service whose data was not all read is marked incomplete with
the reasons, and scopes that could not even be listed (an account, a region, a cluster) are
marked incomplete themselves. Nothing that failed is ever presented as clean.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ecs_exposure.model import Json
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.aws.api import Api, Progress, Sink, count, together
from ecs_exposure.sources.aws.ecr import collect_ecr
from ecs_exposure.sources.aws.ecs import (
    collect_clusters,
    collect_services,
    collect_task_definitions,
    collect_tasks,
    region_scope,
)
from ecs_exposure.sources.aws.efs import collect_file_systems
from ecs_exposure.sources.aws.iam import collect_iam
from ecs_exposure.sources.aws.network import collect_load_balancers, collect_network
from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.session import (
    Account,
    Base,
    assume,
    enabled_regions,
    open_base,
    organization_accounts,
)
from ecs_exposure.sources.aws.state import RegionState, role_refs

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Target:
    """An account that could be opened, and the regions to collect in it."""

    account: Account
    regions: list[str]
    states: list[RegionState] = field(default_factory=list)
    iam: Json | None = None


def _parallel(func: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:
        return list(pool.map(func, items))


def account_ids(base: Base, options: CollectOptions) -> list[str]:
    if options.organization:
        return organization_accounts(base)
    if options.accounts:
        return list(dict.fromkeys(options.accounts))
    return [base.account.id]


def open_account(base: Base, account_id: str, options: CollectOptions, sink: Sink
                 ) -> Target | None:
    """Assume into the account and decide its regions; failures are recorded, not raised."""
    sink.report(account_id, "global", "opening account")
    api = Api(account_id, None, base.account.partition, base.account.clients, sink)
    account_scope = f"arn:{base.account.partition}:iam::{account_id}:root"
    try:
        account = assume(base, account_id, options)
    except (BotoCoreError, ClientError) as exc:
        api.fail("sts:AssumeRole", exc, scopes=[(account_scope, "the account")])
        sink.report(account_id, "global", "failed: role could not be assumed")
        return None
    if options.regions == ("all",):
        try:
            regions = enabled_regions(account)
        except (BotoCoreError, ClientError) as exc:
            api.fail("ec2:DescribeRegions", exc,
                     scopes=[(account_scope, "the account's enabled regions")])
            regions = [base.home_region]
    else:
        regions = list(dict.fromkeys(options.regions)) or [base.home_region]
    sink.report(account_id, "global", f"done: opened, {count(len(regions), 'region')}")
    return Target(account, regions)


def collect_region(target: Target, region: str, sink: Sink,
                   task_definitions_read: Callable[[RegionState], None] | None = None
                   ) -> RegionState:
    """One account+region: a unit of work of its own (recorded failures, never raises).

    Once the services are known, what depends only on them is read at once: the task
    definitions (then their EFS file systems), the running tasks, and the load balancers;
    then the network (which needs the load balancers' and tasks' ids) beside ECR (which needs
    the task definitions' and tasks' images). ``task_definitions_read`` is called once with
    the state when its task definitions are in (or could not be): the collector starts the
    account's IAM reads then, while the rest of the region is still being read.
    """
    account = target.account
    api = Api(account.id, region, account.partition, account.clients, sink)
    state = RegionState(account.id, region)
    pending = [task_definitions_read] if task_definitions_read is not None else []

    def definitions_done() -> None:
        while pending:
            pending.pop()(state)

    def definitions() -> None:
        try:
            collect_task_definitions(api, state)
        finally:
            definitions_done()
        collect_file_systems(api, state)

    try:
        clusters = collect_clusters(api, state)
        if clusters is None:
            api.status("failed: clusters could not be listed")
            return state
        if clusters:    # clients this region will need, made while ECS answers
            account.clients.prepare(("elbv2", "ec2", "ecr"), region)
            account.clients.prepare(("iam",))
        collect_services(api, state, clusters)
        together(definitions, lambda: collect_tasks(api, state),
                 lambda: collect_load_balancers(api, state))
        together(lambda: collect_network(api, state), lambda: collect_ecr(api, state))
    except Exception as exc:  # one region's surprise must not lose the others
        api.fail("collection", exc, scopes=[(region_scope(api), "the region's data")])
        api.status("failed: unexpected error")
        return state
    finally:
        definitions_done()
    api.status(f"done: {count(len(state.services), 'service')}")
    return state


def _collect_iam(target: Target, states: Sequence[RegionState], sink: Sink) -> None:
    target.iam = collect_account_iam(target.account, account_roles(target.account.id, states),
                                     sink)


class _IamStarter:
    """Starts an account's IAM reads as soon as every one of its regions has its task
    definitions (which name the roles), while those regions read the rest (IAM is global:
    read once per account, for the roles of all its regions)."""

    def __init__(self, pool: ThreadPoolExecutor, sink: Sink, targets: Sequence[Target]) -> None:
        self._pool = pool
        self._sink = sink
        self._targets = {t.account.id: t for t in targets}
        self._lock = threading.Lock()
        self._read: dict[str, dict[str, RegionState]] = {}
        self._started: set[str] = set()
        self.futures: list[Future[None]] = []

    def ready(self, state: RegionState) -> None:
        """``collect_region``'s callback: ``state``'s task definitions are in."""
        with self._lock:
            self._read.setdefault(state.account, {})[state.region] = state
        self.start(self._targets[state.account])

    def start(self, target: Target) -> None:
        """Submit the account's IAM reads once all its regions are ready (at most once)."""
        with self._lock:
            read = self._read.get(target.account.id, {})
            if target.account.id in self._started or any(r not in read for r in target.regions):
                return
            self._started.add(target.account.id)
            states = [read[r] for r in target.regions]     # region order: a stable role order
        future = self._pool.submit(_collect_iam, target, states, self._sink)
        with self._lock:
            self.futures.append(future)

    def start_rest(self, targets: Sequence[Target]) -> None:
        """After every region: accounts not started yet (none, unless a region's callback
        never ran)."""
        for target in targets:
            with self._lock:
                for state in target.states:
                    self._read.setdefault(target.account.id, {}).setdefault(state.region, state)
            self.start(target)


def account_roles(account_id: str, states: Sequence[RegionState]) -> list[str]:
    """The account's own roles its regions' task definitions name (others are not read)."""
    return list(dict.fromkeys(
        role for state in states for td in state.task_definition_list()
        for role in role_refs(td)
        if role.startswith("arn:") and role.split(":")[4] == account_id))


def collect_account_iam(account: Account, roles: list[str], sink: Sink) -> Json | None:
    """One account's IAM roles (global, shared by its regions); ``None`` when there are none
    or they could not be read (recorded). A unit of work of its own for executors that run
    units elsewhere (:mod:`ecs_exposure.distributed`)."""
    if not roles:
        return None
    api = Api(account.id, None, account.partition, account.clients, sink)
    try:
        iam = collect_iam(api, roles)
    except Exception as exc:  # same as for regions
        api.fail("collection", exc, scopes=[(f"arn:{account.partition}:iam::{account.id}:root",
                                             "the account's IAM roles")])
        return None
    api.status(f"done: {count(len(roles), 'IAM role')}")
    return iam


def _incomplete(targets: list[Target], sink: Sink) -> dict[str, list[str]]:
    """Services whose dependencies failed, with the reasons, plus the failed scopes."""
    incomplete = {resource: list(reasons) for resource, reasons in sink.scopes.items()}
    for target in targets:
        for state in target.states:
            for service, deps in state.dependencies().items():
                reasons = [sink.failed[d] for d in deps if d in sink.failed]
                if reasons:
                    incomplete.setdefault(service, []).extend(reasons)
    return incomplete


def collect(options: CollectOptions, progress: Progress | None = None) -> Json:
    """Collect every account and region of ``options``; returns the snapshot document.

    Raises :class:`~ecs_exposure.sources.aws.session.CollectionError` only when nothing can be
    collected at all (no credentials, no region, organization not listable).
    """
    sink = Sink(progress)
    options = replace(options, hooks=options.hooks + (("before-call", sink.count_call),))
    base = open_base(options)
    ids = account_ids(base, options)
    opened = _parallel(lambda a: open_account(base, a, options, sink), ids, options.max_workers)
    targets = [t for t in opened if t is not None]
    pairs = [(t, r) for t in targets for r in t.regions]
    for target, region in pairs:
        sink.report(target.account.id, region, "queued")
    with ThreadPoolExecutor(max_workers=max(1, min(options.max_workers, len(targets) or 1))
                            ) as iam_pool:
        iam = _IamStarter(iam_pool, sink, targets)
        states = _parallel(lambda pair: collect_region(pair[0], pair[1], sink, iam.ready),
                           pairs, options.max_workers)
        for (target, _), state in zip(pairs, states, strict=True):
            target.states.append(state)
        iam.start_rest(targets)
        for future in list(iam.futures):
            future.result()
    accounts: Json = {}
    for target in sorted(targets, key=lambda t: t.account.id):
        entry: Json = {"regions": {s.region: s.documents() for s in target.states}}
        if target.iam is not None:
            entry["iam"] = {"get-account-authorization-details": target.iam}
        accounts[target.account.id] = entry
    scope = {"accounts": ids, "regions": list(options.regions) or [base.home_region],
             "role_name": options.role_name}
    return snapshot.build(
        accounts, scope=scope, errors=sink.errors, incomplete=_incomplete(targets, sink),
        calls=dict(sink.calls),
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"))
