"""Per-account scans: a task that fails is recorded against its account, never raised."""

from __future__ import annotations

from pathlib import Path

from ecs_exposure.distributed.collect import Plan
from ecs_exposure.distributed.engine import ThreadEngine
from ecs_exposure.distributed.scan import SharedInputs, scan_accounts
from ecs_exposure.distributed.store import open_store
from ecs_exposure.distributed.units import UNIT_KEY, Caller, Job, account_shard, region_shard
from ecs_exposure.model import SourceError
from ecs_exposure.settings import ScanSettings
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.aws.options import CollectOptions

GOOD, BROKEN, CLOSED = "111111111111", "222222222222", "333333333333"
REGIONS = ["eu-west-1", "us-east-1"]
CLUSTER = "arn:aws:ecs:eu-west-1:111111111111:cluster/prod"


def shard(accounts: dict[str, object], errors: tuple[SourceError, ...] = ()
          ) -> dict[str, object]:
    doc = snapshot.build(accounts, scope={}, errors=list(errors), incomplete={}, calls={},
                         generated_at="t")
    doc[UNIT_KEY] = {"failed": {}, "scopes": {}, "dependencies": {}}
    return doc


def test_a_failed_account_scan_is_an_error_and_its_regions_incomplete(tmp_path: Path) -> None:
    store = open_store(str(tmp_path))
    for account in (GOOD, BROKEN):
        store.write(account_shard(account), shard({account: {"regions": {}}}))
        for region in REGIONS:
            store.write(region_shard(account, region), shard({account: {"regions": {
                region: {"ecs": {"describe-clusters": {"clusters": [
                    {"clusterArn": CLUSTER.replace(GOOD, account).replace("eu-west-1", region),
                     "clusterName": "prod"}]}}}}}}))
    store.write(account_shard(CLOSED), shard({}, (SourceError(
        f"aws:{CLOSED}", "sts:AssumeRole: AccessDenied", CLOSED, None, "sts:AssumeRole"),)))
    (tmp_path / region_shard(BROKEN, REGIONS[1])).write_bytes(b"\x1f\x8bnot gzip")
    job = Job(CollectOptions(regions=tuple(REGIONS)), Caller(GOOD, "aws", REGIONS[0], "a"),
              str(tmp_path), "t", run="r")
    plan = Plan(job, [GOOD, CLOSED, BROKEN], regions={GOOD: REGIONS, BROKEN: REGIONS})
    merged = scan_accounts(plan, ThreadEngine(2), ScanSettings(), SharedInputs())

    assert merged is not None
    result = merged.result
    assert {(e.account, e.operation) for e in result.errors} == {
        (CLOSED, "sts:AssumeRole"), (BROKEN, "ecs-exposure:scan")}
    failure = next(e for e in result.errors if e.account == BROKEN)
    assert "scan task failed" in failure.message and region_shard(BROKEN, REGIONS[1]) in \
        failure.message
    assert {i.resource for i in result.incomplete} == {
        f"arn:aws:ecs:{region}:{BROKEN}:cluster/*" for region in REGIONS}
    assert merged.scope == {(GOOD, region) for region in REGIONS}
    assert result.coverage is not None and result.coverage.clusters == 2
