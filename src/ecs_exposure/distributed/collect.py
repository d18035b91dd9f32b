"""The driver of a distributed collection: submit units as their inputs become known, record
what could not be done, merge the shards into one snapshot.

Units are submitted as soon as they can run, never in phases: an account's regions as soon
as the account is open, its IAM as soon as its last region is in. A unit that still fails
after the engine's retries (a worker killed every time, a shard store that refuses writes)
is recorded like a failed call: an error naming the unit, and its scope (the region, the
account, the IAM roles) incomplete, so nothing it should have read is ever shown as clean.

The merged snapshot equals the in-process collection's on the same estate, apart from the
order of its errors (threads finish in any order there too) and its API call counts (each
worker process assumes the role itself: one ``sts:AssumeRole`` per account and worker
process, plus the account unit's, instead of one per account).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ecs_exposure.distributed import manifest, units
from ecs_exposure.distributed.engine import Engine
from ecs_exposure.distributed.store import open_store
from ecs_exposure.model import Json, SourceError
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.aws.api import Progress, Sink
from ecs_exposure.sources.aws.collector import account_ids
from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.session import open_base
from ecs_exposure.sources.aws.state import role_dep


@dataclass
class Plan:
    """What the run found out: accounts, their regions and which have IAM shards."""

    job: units.Job
    accounts: list[str]
    regions: dict[str, list[str]] = field(default_factory=dict)
    """Accounts that could be opened → their regions, in order."""
    iam: set[str] = field(default_factory=set)
    """Accounts with an IAM shard."""
    listed: int = 0
    """Account+regions whose clusters could be listed."""
    sink: Sink = field(default_factory=Sink)
    """The driver's own calls (identity, organization)."""
    notes: dict[str, Sink] = field(default_factory=dict)
    """Account → the units of it the engine gave up on (errors, failed scopes)."""
    failed: set[str] = field(default_factory=set)
    """Shard names of the units the engine gave up on: a shard there is not this run's."""

    def shard_names(self, account: str) -> list[str]:
        """The account's shards this run wrote or resumed, in merge order (only opened
        accounts have regions; a failed unit has none: what may lie at its name was written
        by another run, or is what made it fail)."""
        if account not in self.regions:
            names = [units.account_shard(account)]
        else:
            names = units.shard_names(account, self.regions[account], account in self.iam)
        return [name for name in names if name not in self.failed]

    def scope(self) -> Json:
        """The snapshot's ``scope``, as the in-process collection writes it."""
        return {**self.job.scope(), "accounts": self.accounts}

    def note_shard(self, account: str) -> Json | None:
        """What the driver itself recorded about ``account``, in the shape of a shard."""
        note = self.notes.get(account)
        if note is None:
            return None
        shard = snapshot.build({}, scope=self.job.scope(), errors=note.errors, incomplete={},
                               calls={}, generated_at=self.job.generated_at)
        shard[units.UNIT_KEY] = {"kind": "driver", "account": account,
                                 "failed": note.failed, "scopes": note.scopes}
        return shard

    def shards(self, accounts: list[str]) -> Iterator[Json]:
        """The shards of ``accounts`` that exist, the driver's notes after each account's."""
        store = open_store(self.job.store)
        for account in accounts:
            for name in self.shard_names(account):
                yield store.read(name)
            note = self.note_shard(account)
            if note is not None:
                yield note


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class _Driver:
    def __init__(self, engine: Engine, plan: Plan, progress: Progress | None) -> None:
        self.engine, self.plan, self.progress = engine, plan, progress
        self.pending: dict[Any, tuple[str, str, str | None]] = {}
        self.waiting: dict[str, int] = {}
        self.roles: dict[str, dict[str, list[str]]] = {}

    def submit(self, func: Callable[..., Json], kind: str, account: str,
               region: str | None = None, *extra: Any) -> None:
        args = (account,) if region is None else (account, region)
        key = f"{kind}-{account}-{region or 'global'}-{self.plan.job.run}"
        future = self.engine.submit(func, self.plan.job, *args, *extra, key=key)
        self.pending[future] = (kind, account, region)
        self.report(account, region, "queued")

    def report(self, account: str, region: str | None, status: str) -> None:
        if self.progress is not None:
            self.progress(account, region or "global", status)

    def run(self) -> None:
        for account in self.plan.accounts:
            self.submit(units.open_account, "account", account)
        while self.pending:
            for future in self.engine.wait_any(self.pending):
                kind, account, region = self.pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # after the engine's retries: recorded, not raised
                    self.failed(kind, account, region, exc)
                    result = None
                self.done(kind, account, region, result)

    def done(self, kind: str, account: str, region: str | None, result: Json | None) -> None:
        if kind == "account":
            regions = None if result is None else result.get("regions")
            if regions is None:
                self.report(account, None, "failed: not opened")
                return
            self.plan.regions[account] = list(regions)
            self.waiting[account] = len(regions)
            self.roles[account] = {}
            self.report(account, None, f"done: opened, {len(regions)} regions")
            for name in regions:
                self.submit(units.collect_region, "region", account, name)
            if not regions:
                self.plan.regions.pop(account)
            return
        if kind == "region" and region is not None:
            self.roles[account][region] = list((result or {}).get("roles", []))
            self.plan.listed += bool((result or {}).get("listed"))
            self.report(account, region, "done" if result is not None else "failed")
            self.waiting[account] -= 1
            if self.waiting[account] == 0:
                roles = list(dict.fromkeys(
                    role for name in self.plan.regions[account]
                    for role in self.roles[account].get(name, [])))
                if roles:
                    self.plan.iam.add(account)
                    self.submit(units.collect_iam, "iam", account, None, roles)
            return
        self.report(account, None, "done: IAM" if result is not None else "failed: IAM")

    def failed(self, kind: str, account: str, region: str | None, exc: BaseException) -> None:
        """A unit the engine gave up on: an error, and its scope incomplete."""
        partition = self.plan.job.caller.partition
        reason = f"collection task failed: {type(exc).__name__}: {exc}"
        self.plan.failed.add(units.unit_name(kind, account, region))
        note = self.plan.notes.setdefault(account, Sink())
        note.record_error(SourceError(
            f"aws:{account}" + (f":{region}" if region else ""), reason, account=account,
            region=region, operation=f"ecs-exposure:{kind}"))
        if kind == "region":
            note.scope(f"arn:{partition}:ecs:{region}:{account}:cluster/*",
                       f"the region's data could not be read ({reason})")
        else:
            what = "the account" if kind == "account" else "the account's IAM roles"
            note.scope(f"arn:{partition}:iam::{account}:root",
                       f"{what} could not be read ({reason})")
        if kind == "iam":
            self.plan.iam.discard(account)
            roles = {r for rs in self.roles.get(account, {}).values() for r in rs}
            note.fail([role_dep(r) for r in sorted(roles)], reason)

def plan_and_run(options: CollectOptions, engine: Engine, store: str, *, resume: bool = False,
                 progress: Progress | None = None) -> Plan:
    """Run every unit of ``options`` on ``engine``, shards into ``store``; the plan says
    which shards there are. Raises :class:`CollectionError` only when nothing can start."""
    sink = Sink(progress)
    base = open_base(replace(options, hooks=options.hooks + (("before-call",
                                                              sink.count_call),)))
    ids = account_ids(base, options)
    caller = units.Caller(base.account.id, base.account.partition, base.home_region, base.arn)
    chosen = manifest.run_options(options, caller.account, caller.partition,
                                  list(options.regions) or [caller.home_region])
    manifest.claim(open_store(store), chosen, resume)
    job = units.Job(options, caller, store, _now(), resume, uuid.uuid4().hex,
                    manifest.fingerprint(chosen))
    plan = Plan(job, ids, sink=sink)
    _Driver(engine, plan, progress).run()
    return plan


def merge(shards: Iterable[Json], *, scope: Json, generated_at: str,
          driver_calls: Mapping[str, int] | None = None) -> Json:
    """One snapshot from shards (in merge order), as the in-process collection builds it."""
    accounts: dict[str, Json] = {}
    errors: list[SourceError] = []
    failed: dict[str, str] = {}
    scopes: dict[str, list[str]] = {}
    dependencies: dict[str, list[str]] = {}
    calls: dict[str, int] = {}
    for shard in shards:
        for account_id, data in shard.get("accounts", {}).items():
            entry = accounts.setdefault(account_id, {"regions": {}})
            entry["regions"].update(data.get("regions", {}))
            if "iam" in data:
                entry["iam"] = data["iam"]
        errors += [SourceError(str(e.get("source")), str(e.get("message")), e.get("account"),
                               e.get("region"), e.get("operation"))
                   for e in shard.get("errors", [])]
        meta = shard.get(units.UNIT_KEY, {})
        for dependency, reason in meta.get("failed", {}).items():
            failed.setdefault(dependency, reason)
        for resource, reasons in meta.get("scopes", {}).items():
            known = scopes.setdefault(resource, [])
            known += [r for r in reasons if r not in known]
        dependencies.update(meta.get("dependencies", {}))
        for action, number in shard.get("api_calls", {}).get("by_action", {}).items():
            calls[action] = calls.get(action, 0) + int(number)
    for action, number in (driver_calls or {}).items():
        calls[action] = calls.get(action, 0) + number
    return snapshot.build(dict(sorted(accounts.items())), scope=scope, errors=errors,
                          incomplete=units.incomplete_of(scopes, failed, dependencies),
                          calls=calls, generated_at=generated_at)


def merged_snapshot(plan: Plan) -> Json:
    """The whole run as one snapshot (what ``collect`` writes)."""
    return merge(plan.shards(plan.accounts), scope=plan.scope(),
                 generated_at=plan.job.generated_at, driver_calls=plan.sink.calls)

def collect_distributed(options: CollectOptions, engine: Engine, store: str, *,
                        resume: bool = False, progress: Progress | None = None) -> Json:
    """``collect`` on an engine: the same snapshot as the in-process collection."""
    return merged_snapshot(plan_and_run(options, engine, store, resume=resume,
                                        progress=progress))
