"""The units of work of a collection, as plain functions any engine can run anywhere.

Three kinds, each writing one shard (a gzip-compressed snapshot of what it read, plus a
``unit`` entry the merge needs) and returning a small summary to the driver:

  account  assume the role, decide the regions      ``<account>/account.json.gz``
  region   one account+region's ECS, network, ECR   ``<account>/regions/<region>.json.gz``
  iam      the account's roles the regions name     ``<account>/iam.json.gz``

They run the live collection's own code (``sources/aws/collector.py``), so a unit records an
``AccessDenied`` or a region that is down exactly as the in-process collection does. Every
argument is plain picklable data (options, the caller's identity, the store's name): a
worker rebuilds its boto3 session from its own credential chain and assumes the role itself,
so no credential ever travels to a worker (the units of one run share the role's
credentials within a worker process: ``session.assume(reuse=run)``). A unit is idempotent:
run twice (an engine retry after a killed worker), it writes the same shard again; with
``resume`` it returns the summary of the shard already there instead of collecting again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from ecs_exposure.distributed.store import open_store
from ecs_exposure.model import Json
from ecs_exposure.sources.aws import collector, snapshot
from ecs_exposure.sources.aws.api import Api, Sink
from ecs_exposure.sources.aws.ecs import region_scope
from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.session import Base, assume, caller_again
from ecs_exposure.sources.aws.state import role_dep

UNIT_KEY = "unit"
"""The shard's own entry beside the snapshot's: the unit, its failed dependencies and scopes,
its services' dependencies and its summary. Snapshot readers ignore it."""


@dataclass(frozen=True)
class Caller:
    """Who the driver found itself to be (``sts:GetCallerIdentity``), for the workers."""

    account: str
    partition: str
    home_region: str
    arn: str


@dataclass(frozen=True)
class Job:
    """What every unit of one run shares; small and picklable."""

    options: CollectOptions
    caller: Caller
    store: str
    """Shard location: a folder or ``s3://bucket/prefix``."""
    generated_at: str
    resume: bool = False
    """Return the summary of a shard already written instead of collecting again."""
    run: str = ""
    """This run's id: task keys on a shared scheduler must not meet another run's."""
    fingerprint: str = ""
    """Digest of the options that decide a unit's output (:mod:`.manifest`): a unit resumes
    only from a shard that carries it."""

    def scope(self) -> Json:
        return {"accounts": [], "regions": list(self.options.regions) or
                [self.caller.home_region], "role_name": self.options.role_name}


def account_shard(account: str) -> str:
    return f"{account}/account.json.gz"


def region_shard(account: str, region: str) -> str:
    return f"{account}/regions/{region}.json.gz"


def iam_shard(account: str) -> str:
    return f"{account}/iam.json.gz"


def incomplete_of(scopes: Mapping[str, list[str]], failed: Mapping[str, str],
                  dependencies: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Scopes that could not be read, and every service one of whose dependencies failed,
    with the reasons: the rule of ``collector._incomplete``, over shard data."""
    incomplete = {resource: list(reasons) for resource, reasons in scopes.items()}
    for service, deps in dependencies.items():
        reasons = [failed[d] for d in deps if d in failed]
        if reasons:
            incomplete.setdefault(service, []).extend(reasons)
    return incomplete


def summary(shard: Json) -> Json:
    """What a unit tells the driver (its shard holds the rest)."""
    meta = shard.get(UNIT_KEY, {})
    return {k: v for k, v in meta.items()
            if k not in ("failed", "scopes", "dependencies", "options")}


def _start(job: Job) -> tuple[Sink, CollectOptions, Base]:
    sink = Sink()
    options = replace(job.options, hooks=job.options.hooks + (("before-call", sink.count_call),))
    caller = job.caller
    return sink, options, caller_again(options, caller.account, caller.partition,
                                       caller.home_region, caller.arn)


def _finish(job: Job, name: str, accounts: Json, sink: Sink, meta: Json,
            dependencies: dict[str, list[str]] | None = None) -> Json:
    """Write the unit's shard and return its summary."""
    deps = dependencies or {}
    shard = snapshot.build(accounts, scope=job.scope(), errors=sink.errors,
                           incomplete=incomplete_of(sink.scopes, sink.failed, deps),
                           calls=dict(sink.calls), generated_at=job.generated_at)
    shard[UNIT_KEY] = {**meta, "failed": dict(sink.failed), "scopes": dict(sink.scopes),
                       "dependencies": deps, "options": job.fingerprint}
    open_store(job.store).write(name, shard)
    return summary(shard)


def _resumed(job: Job, name: str) -> Json | None:
    """The summary of the unit's shard when resuming and the shard is this run's options'
    (any other is collected again)."""
    if not job.resume:
        return None
    store = open_store(job.store)
    shard = store.read(name) if store.exists(name) else None
    if shard is None or shard.get(UNIT_KEY, {}).get("options") != job.fingerprint:
        return None
    return summary(shard)


def open_account(job: Job, account_id: str) -> Json:
    """Assume into the account and list its regions (``regions`` ``None``: not opened)."""
    name = account_shard(account_id)
    if (done := _resumed(job, name)) is not None:
        return done
    sink, options, base = _start(job)
    target = collector.open_account(base, account_id, options, sink)
    opened: Json = {} if target is None else {account_id: {"regions": {}}}
    return _finish(job, name, opened, sink, {
        "kind": "account", "account": account_id,
        "regions": None if target is None else target.regions})


def collect_region(job: Job, account_id: str, region: str) -> Json:
    """One account+region; ``roles``: the account's roles its task definitions name."""
    name = region_shard(account_id, region)
    if (done := _resumed(job, name)) is not None:
        return done
    sink, options, base = _start(job)
    meta: Json = {"kind": "region", "account": account_id, "region": region, "roles": [],
                  "listed": False}
    try:
        account = assume(base, account_id, options, reuse=job.run)
    except (BotoCoreError, ClientError) as exc:   # opened a moment ago, refused now
        api = Api(account_id, region, base.account.partition, base.account.clients, sink)
        api.fail("sts:AssumeRole", exc, scopes=[(region_scope(api), "the region's data")])
        return _finish(job, name, {}, sink, meta)
    state = collector.collect_region(collector.Target(account, [region]), region, sink)
    documents = state.documents()
    meta.update(roles=collector.account_roles(account_id, [state]),
                listed="describe-clusters" in documents.get("ecs", {}))
    return _finish(job, name, {account_id: {"regions": {region: documents}}}, sink, meta,
                   state.dependencies())


def collect_iam(job: Job, account_id: str, roles: list[str]) -> Json:
    """The account's roles named by its task definitions, with their policies."""
    name = iam_shard(account_id)
    if (done := _resumed(job, name)) is not None:
        return done
    sink, options, base = _start(job)
    meta: Json = {"kind": "iam", "account": account_id, "roles": len(roles)}
    try:
        account = assume(base, account_id, options, reuse=job.run)
    except (BotoCoreError, ClientError) as exc:
        Api(account_id, None, base.account.partition, base.account.clients, sink).fail(
            "sts:AssumeRole", exc, [role_dep(r) for r in roles],
            [(f"arn:{base.account.partition}:iam::{account_id}:root",
              "the account's IAM roles")])
        return _finish(job, name, {}, sink, meta)
    iam = collector.collect_account_iam(account, roles, sink)
    accounts: Json = {} if iam is None else {
        account_id: {"iam": {"get-account-authorization-details": iam}}}
    return _finish(job, name, accounts, sink, meta)


def unit_name(kind: str, account: str, region: str | None = None) -> str:
    """The shard name of a unit."""
    if kind == "region" and region is not None:
        return region_shard(account, region)
    return account_shard(account) if kind == "account" else iam_shard(account)


def shard_names(account: str, regions: list[str], iam: bool) -> list[str]:
    """An account's shards in merge order: the account, its regions in order, its IAM."""
    return [account_shard(account)] + [region_shard(account, r) for r in regions] + (
        [iam_shard(account)] if iam else [])

