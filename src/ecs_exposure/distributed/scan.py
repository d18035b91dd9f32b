"""The scan, one account per task, merged into the result a single scan of the whole estate
gives.

Every join a finding needs (roles, security groups, load balancers, subnets, ECR) lies
within one account, and the collection reads nothing across accounts, so each account can be
scanned alone: a task merges the account's shards, adds the shared read-only inputs
(vulnerability reports, exploit intelligence, image archives), scans, and returns the
result with each finding's fixed task definition (the reporters need it; it cannot be built
later without that account's inventory). The driver never holds the whole estate's
inventory.

The merge rebuilds the single scan's order: findings by the same sort key over the accounts
in snapshot order (the sort is stable, so ties keep input order), posture entries services
first, then task definitions, then clusters, each in input order; counts add up; what comes
from the shared inputs (their errors, intelligence, reports) is taken once; images are
merged by reference, in first-seen order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

from ecs_exposure.analysis.vulnerabilities.store import UnscannedImage
from ecs_exposure.distributed.collect import Plan, merge
from ecs_exposure.distributed.engine import Engine
from ecs_exposure.distributed.store import open_store
from ecs_exposure.errors import InputError
from ecs_exposure.exposure import posture
from ecs_exposure.model import Coverage, ImageCoverage, Json, ScanResult
from ecs_exposure.pipeline import _order as finding_order  # the single scan's own sort key
from ecs_exposure.settings import ScanSettings

_POSTURE_RANK = {posture.SERVICE: 0, posture.TASK_DEFINITION: 1, posture.CLUSTER: 2}


@dataclass(frozen=True)
class SharedInputs:
    """Read-only inputs every account's scan reads: files that hold no ECS resource of their
    own (vulnerability reports, EPSS/KEV files) and the image archives folder."""

    paths: tuple[str, ...] = ()
    images_dir: str | None = None
    inputs: tuple[str, ...] = ()
    """The result's ``inputs`` (as the command line names them)."""


@dataclass(frozen=True)
class AccountScan:
    """One account's result, its findings' fixed revisions, and how many of its errors came
    from the shared inputs (the same in every account's result, kept once)."""

    account: str
    result: ScanResult
    fixes: dict[str, Json | None]
    shared_errors: int
    changes: dict[str, list[Json] | None]
    """Each finding's fix as JSON Patch changes (what the compact JSON result carries)."""
    scope: frozenset[tuple[str | None, str | None]] = frozenset()
    """``(account, region)`` of every resource the account's scan read."""
    failed: bool = False
    """The task failed (after the engine's retries): the result holds only the error and the
    account's regions marked incomplete, none of the shared inputs."""


def scan_account(account: str, settings: ScanSettings, shared: SharedInputs, store: str,
                 names: list[str], notes: list[Json], scope: Json, generated_at: str
                 ) -> AccountScan:
    """A task: one account's shards (and the driver's notes on it), with the shared inputs,
    scanned as ``scan`` would."""
    from ecs_exposure.pipeline import scan_for_reports
    from ecs_exposure.sources.aws import snapshot
    from ecs_exposure.sources.intel import load_intel_dir
    from ecs_exposure.sources.load import load_inputs, prepare_images
    from ecs_exposure.sources.readers import read_context
    from ecs_exposure.store.scope import inventory_scope

    shards = open_store(store)
    document = merge(chain((shards.read(name) for name in names), notes), scope=scope,
                     generated_at=generated_at)
    context = read_context()
    inventory, report = load_inputs([Path(p) for p in shared.paths], context=context)
    from_files = len(inventory.errors)
    try:
        snapshot.load_snapshot(inventory, document, None, context)
    except InputError as exc:
        raise InputError(f"the shards of account {account} in {store}: {exc}") from None
    if settings.intel_dir is not None:
        load_intel_dir(inventory, settings.intel_dir, report.errors)
    images = Path(shared.images_dir) if shared.images_dir else None
    errors = report.errors + prepare_images(inventory, settings, images)
    result, reporting = scan_for_reports(inventory, settings, errors=errors,
                                         skipped=report.skipped, inputs=list(shared.inputs))
    with reporting:
        every = result.findings + result.task_definition_findings
        fixes = {f.id: reporting.fixed_task_definition(f) for f in every}
        changes = {f.id: reporting.fix_changes(f) for f in every}
    return AccountScan(account, result, fixes, len(errors) + from_files, changes,
                       frozenset(inventory_scope(inventory)))


def _images(parts: Sequence[ScanResult]) -> tuple[ImageCoverage, ...]:
    found: dict[str, ImageCoverage] = {}
    for part in parts:
        for image in part.coverage.images if part.coverage else ():
            found.setdefault(image.image, image)
    return tuple(found.values())


def _coverage(parts: Sequence[ScanResult]) -> Coverage | None:
    known = [p.coverage for p in parts if p.coverage is not None]
    if not known:
        return None
    return Coverage(
        task_definitions=sum(c.task_definitions for c in known),
        services=sum(c.services for c in known),
        clusters=sum(c.clusters for c in known),
        roles=(sum(c.roles[0] for c in known), sum(c.roles[1] for c in known)),
        security_groups=(sum(c.security_groups[0] for c in known),
                         sum(c.security_groups[1] for c in known)),
        signature_policy=known[0].signature_policy,
        images=_images(parts))


def _unscanned(parts: Sequence[ScanResult]) -> tuple[UnscannedImage, ...]:
    usage: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for part in parts:
        for entry in part.unscanned_images:
            services, where = usage.setdefault(entry.image, ({}, {}))
            services.update(dict.fromkeys(entry.services))
            where.update(dict.fromkeys(entry.containers))
    return tuple(UnscannedImage(image, tuple(s), tuple(c)) for image, (s, c) in usage.items())


Pairs = set[tuple[str | None, str | None]]
"""``(account, region)`` pairs a scan read (what a findings store records it as covering)."""


@dataclass(frozen=True)
class Merged:
    """The merged result, with what its reporters look up by finding id."""

    result: ScanResult
    fixes: dict[str, Json | None]
    changes: dict[str, list[Json] | None]
    scope: Pairs


def merge_results(scans: Sequence[AccountScan]) -> Merged:
    """The accounts' results as one result, every fixed revision, and the ``(account,
    region)`` pairs read. ``scans`` in run
    order (their errors keep it); resources follow the snapshot's account order."""
    parts = [s.result for s in sorted(scans, key=lambda s: s.account)]
    carrier = next((s for s in scans if not s.failed), scans[0])   # holds the shared inputs
    first = carrier.result
    fixes = {k: v for s in scans for k, v in s.fixes.items()}
    result = replace(
        first,
        findings=tuple(sorted(chain.from_iterable(p.findings for p in parts),
                              key=finding_order)),
        task_definition_findings=tuple(sorted(chain.from_iterable(
            p.task_definition_findings for p in parts), key=finding_order)),
        services=sum(p.services for p in parts),
        task_definitions=sum(p.task_definitions for p in parts),
        errors=first.errors[:carrier.shared_errors] + tuple(chain.from_iterable(
            s.result.errors[s.shared_errors:] for s in scans)),
        unscanned_images=_unscanned(parts),
        incomplete=tuple(sorted(chain.from_iterable(p.incomplete for p in parts),
                                key=lambda i: i.resource)),
        posture=tuple(sorted(chain.from_iterable(p.posture for p in parts),
                             key=lambda e: _POSTURE_RANK.get(e.resource_type, 3))),
        coverage=_coverage(parts),
    )
    return Merged(result, fixes, {k: v for s in scans for k, v in s.changes.items()},
                  {pair for s in scans for pair in s.scope})


def _groups(plan: Plan) -> list[tuple[str, list[str]]]:
    """Each opened account (a scan task) with the accounts that could not be opened that
    precede it (their errors belong to some task; in run order, so the errors keep it)."""
    groups: list[tuple[str, list[str]]] = []
    waiting: list[str] = []
    for account in plan.accounts:
        waiting.append(account)
        if account in plan.regions:
            groups.append((account, waiting))
            waiting = []
    if groups and waiting:
        groups[-1][1].extend(waiting)
    return groups


def _scan_task(plan: Plan, accounts: list[str]) -> tuple[str, list[str], list[Json], Json, str]:
    """The arguments of the scan task of ``accounts``: the shards it reads (names only, the
    worker reads them itself), the driver's notes, the snapshot scope and clock."""
    names = [name for a in accounts for name in plan.shard_names(a)]
    notes = [note for a in accounts if (note := plan.note_shard(a)) is not None]
    return plan.job.store, names, notes, plan.scope(), plan.job.generated_at


def scan_accounts(plan: Plan, engine: Engine, settings: ScanSettings, shared: SharedInputs
                  ) -> Merged | None:
    """Every opened account scanned as one task on ``engine``, merged; ``None`` when no
    account could be opened (the caller scans the empty snapshot itself)."""
    futures = [engine.submit(scan_account, account, settings, shared,
                             *_scan_task(plan, accounts),
                             key=f"scan-{account}-{plan.job.run}")
               for account, accounts in _groups(plan)]
    if not futures:
        return None
    pending = set(futures)
    while pending:
        pending -= engine.wait_any(pending)
    scans = []
    for future, (account, accounts) in zip(futures, _groups(plan), strict=True):
        try:
            scans.append(future.result())
        except Exception as exc:  # after the engine's retries: recorded, never raised
            scans.append(failed_scan(plan, account, accounts, settings, shared, exc))
    return merge_results(scans)


def failed_scan(plan: Plan, account: str, accounts: list[str], settings: ScanSettings,
                shared: SharedInputs, exc: BaseException) -> AccountScan:
    """What stands for the scan of ``account`` when its task failed: an error naming the
    account, each of its regions incomplete (``cluster/*``: a store resolves none of its
    findings, ``--strict`` exits incomplete), and no scope read. What that task would have
    carried besides (the driver's notes on the account, the shards of the accounts that
    could not be opened) is read here, on the driver: small, and never the account's own
    shards, which may be what failed. The other accounts' results are untouched."""
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.model import SourceError
    from ecs_exposure.pipeline import scan_for_reports
    from ecs_exposure.sources.aws import snapshot
    from ecs_exposure.sources.readers import read_context

    reason = f"the account's scan task failed: {type(exc).__name__}: {exc}"
    errors = [SourceError(f"aws:{account}", reason, account=account,
                          operation="ecs-exposure:scan")]
    inventory = Inventory()
    unopened = [a for a in accounts if a != account]
    note = plan.note_shard(account)       # what the collection's driver recorded of it
    try:
        document = merge(chain(plan.shards(unopened), [note] if note else []),
                         scope=plan.scope(), generated_at=plan.job.generated_at)
        snapshot.load_snapshot(inventory, document, None, read_context())
    except Exception as more:  # their shards are unreadable too: say so, per account
        inventory = Inventory()
        errors += [SourceError(f"aws:{other}", f"the account could not be opened and its "
                               f"errors cannot be read: {type(more).__name__}: {more}",
                               account=other, operation="ecs-exposure:scan")
                   for other in unopened]
    partition = plan.job.caller.partition
    for region in plan.regions.get(account, []):
        inventory.incomplete.setdefault(
            f"arn:{partition}:ecs:{region}:{account}:cluster/*", []).append(reason)
    result, reporting = scan_for_reports(inventory, settings, errors=errors,
                                         inputs=list(shared.inputs))
    reporting.close()
    return AccountScan(account, result, {}, 0, {}, failed=True)
