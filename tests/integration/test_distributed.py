"""Organization-wide collection and scans on Dask, against the moto server: 21 accounts ×
3 regions, a real ``LocalCluster`` of two worker processes, one worker killed mid-run, one
account that denies everything. The result must equal the in-process one.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from support.aws_fixtures import Fault, MotoServer, Request
from support.aws_org import ORG_REGIONS, ORG_ROLE, Organization, seed_organization
from support.timing import deadline

distributed = pytest.importorskip("distributed")

DENIED = 3
"""Index of the member account that denies every call (its role can be assumed, no more)."""
KILLED_AT = 7
"""Index of the member account whose first ``ListClusters`` kills a Dask worker."""
BROKEN = 11
"""Index of the member account whose shard is corrupted before a resumed scan."""
RUN_LIMIT = 600.0
"""Seconds after which a run counts as hung (an honest run takes far less)."""


@pytest.mark.parametrize("args,message", [
    (["scan", "--demo", "--executor", "dask-local"], "need --aws"),
    (["scan", "--aws", "--resume"], "--resume needs --shards"),
    (["collect", "-o", "x.json", "--executor", "dask://h:8786"], "needs --shards"),
    (["collect", "-o", "x.json", "--executor", "ray://h:1"], "dask://HOST:PORT"),
])
def test_executor_options_are_checked_before_any_call(args: list[str], message: str) -> None:
    outcome = CliRunner().invoke(main, args)
    assert outcome.exit_code == 2 and message in outcome.stderr


@pytest.fixture(scope="module")
def org(moto_server: MotoServer) -> Iterator[Organization]:
    organization = seed_organization(moto_server)
    fault = moto_server.faults.add(Fault("AccessDeniedException", status=400,
                                         message="denied by an SCP (test)",
                                         account=organization.members[DENIED]))
    yield organization
    moto_server.faults.clear()
    assert fault.hits > 0


@pytest.fixture(scope="module")
def env(moto_server: MotoServer, org: Organization) -> Iterator[dict[str, str]]:
    """The management account's caller, in this process and in the workers it spawns."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_RETRY_MODE"):
            patch.delenv(name, raising=False)
        for name, value in {**moto_server.env(), **org.credentials}.items():
            patch.setenv(name, value)
        yield dict(os.environ)


@pytest.fixture(scope="module")
def cluster(env: dict[str, str]) -> Iterator[Any]:
    """Two worker processes, one thread each (the machine is small and shared)."""
    with deadline(120):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         dashboard_address=None, host="127.0.0.1")
    yield local
    local.close()


def run(*args: str) -> Any:
    with deadline(RUN_LIMIT):
        return CliRunner().invoke(main, list(args))


def org_args(*more: str) -> list[str]:
    regions = [arg for region in ORG_REGIONS for arg in ("--region", region)]
    return ["--aws", "--organization", "--role-name", ORG_ROLE, *regions, *more]


def comparable(report: str) -> dict[str, Any]:
    """A JSON result without its clock, errors in a fixed order (threads finish in any)."""
    result = json.loads(report)
    result.pop("generated_at", None)
    result["errors"] = sorted(result.get("errors", []), key=lambda e: json.dumps(e,
                                                                              sort_keys=True))
    return dict(result)


@pytest.fixture(scope="module")
def local_result(env: dict[str, str]) -> dict[str, Any]:
    outcome = run("scan", *org_args("--format", "json"))
    assert outcome.exit_code == 0, outcome.stderr
    return comparable(outcome.stdout)


@pytest.fixture
def worker_killer(moto_server: MotoServer, org: Organization, cluster: Any,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Kill one Dask worker (SIGKILL) the moment the marked account's clusters are first
    listed, while units are in flight; the list holds the killed pid."""
    client = distributed.Client(cluster)
    pids = sorted(client.run(os.getpid).values())
    client.close()
    killed: list[int] = []
    lock = threading.Lock()
    original = moto_server.log

    def log(request: Request) -> None:
        original(request)
        if request.account == org.members[KILLED_AT] and request.operation == "ListClusters":
            with lock:
                if not killed:
                    killed.append(pids[0])
                    os.kill(pids[0], signal.SIGKILL)

    monkeypatch.setattr(moto_server, "log", log)
    yield killed


def test_dask_scan_equals_the_local_scan_and_survives_a_killed_worker(
        local_result: dict[str, Any], cluster: Any, worker_killer: list[int],
        tmp_path: Path) -> None:
    outcome = run("scan", *org_args("--format", "json", "--executor",
                                    "dask://" + cluster.scheduler_address.split("://")[1],
                                    "--shards", str(tmp_path / "shards")))
    assert outcome.exit_code == 0, outcome.stderr
    assert worker_killer, "no worker was killed: the test proved nothing"
    assert comparable(outcome.stdout) == local_result
    shards = sorted(p.relative_to(tmp_path / "shards").as_posix()
                    for p in (tmp_path / "shards").rglob("*.json.gz"))
    assert len([s for s in shards if "/regions/" in s]) == 21 * len(ORG_REGIONS)
    assert not [p for p in (tmp_path / "shards").rglob(".*")], "a temporary file was left"


def test_the_estate_is_wide_and_the_denied_account_is_incomplete_not_clean(
        local_result: dict[str, Any], org: Organization) -> None:
    found = {f["resource"]["arn"] for f in local_result["findings"]}
    readable = [org.service_arn(i) for i in range(len(org.members)) if i != DENIED]
    assert set(readable) <= found and len(readable) == 19
    denied = org.members[DENIED]
    assert not [f for f in found if f":{denied}:" in f]
    incomplete = {entry["resource"] for entry in local_result["incomplete"]}
    assert {f"arn:aws:ecs:{r}:{denied}:cluster/*" for r in ORG_REGIONS} <= incomplete
    assert not [i for i in incomplete if f":{denied}:" not in i]
    assert any(denied in str(e) and "AccessDenied" in str(e) for e in local_result["errors"])


def _others(result: dict[str, Any], account: str) -> dict[str, list[Any]]:
    return {member: [item for item in result[member] if item["resource"]["account"] != account]
            for member in ("findings", "task_definition_findings", "posture")}


def test_an_account_whose_scan_task_fails_is_recorded_never_resolved_and_the_rest_stays(
        local_result: dict[str, Any], org: Organization, cluster: Any, tmp_path: Path) -> None:
    """A shard whose content is not a snapshot's makes one account's scan task fail on every
    try: the run goes on, the account is an error and its regions are incomplete, the store
    resolves none of its findings, and every other account's result is the local one."""
    shards, store = tmp_path / "shards", f"sqlite:///{tmp_path / 'store.db'}"
    first = run("scan", *org_args("--format", "json", "--shards", str(shards), "--store",
                                  store))
    assert first.exit_code == 0, first.stderr
    broken = org.members[BROKEN]
    corrupt = shards / broken / "regions" / f"{ORG_REGIONS[0]}.json.gz"
    shard = json.loads(gzip.decompress(corrupt.read_bytes()))
    shard["accounts"][broken]["regions"][ORG_REGIONS[0]]["ecs"] = ["not an object"]
    corrupt.write_bytes(gzip.compress(json.dumps(shard).encode()))   # resume still trusts it
    second = run("scan", *org_args("--format", "json", "--executor",
                                   "dask://" + cluster.scheduler_address.split("://")[1],
                                   "--shards", str(shards), "--resume", "--store", store))
    assert second.exit_code == 0, second.stderr
    result = comparable(second.stdout)
    assert not [f for f in result["findings"] if f["resource"]["account"] == broken]
    assert _others(result, broken) == _others(local_result, broken)
    assert {f"arn:aws:ecs:{r}:{broken}:cluster/*" for r in ORG_REGIONS} <= {
        entry["resource"] for entry in result["incomplete"]}
    failure = [e for e in result["errors"] if e.get("account") == broken
               and "scan task failed" in e["message"]]
    assert failure and str(shards) in failure[0]["message"]
    changes = json.loads(run("diff", "--store", store, "--format", "json").stdout)
    assert changes["counts"]["resolved"] == 0, changes["resolved"]


def _snapshot(path: Path) -> dict[str, Any]:
    """A snapshot without its clock and call counts (each unit assumes the role itself: more
    STS calls), errors in a fixed order."""
    doc = dict(json.loads(path.read_text()))
    doc.pop("generated_at")
    doc.pop("api_calls")
    doc["errors"].sort(key=lambda e: json.dumps(e, sort_keys=True))
    return doc


def test_collect_through_s3_shards_equals_the_local_one_and_resume_reads_nothing_again(
        env: dict[str, str], moto_server: MotoServer, tmp_path: Path) -> None:
    local, sharded, resumed = (tmp_path / f"{n}.json" for n in ("local", "s3", "resumed"))
    assert run("collect", *org_args("-o", str(local))).exit_code == 0
    moto_server.client("s3").create_bucket(Bucket="shards")
    outcome = run("collect", *org_args("-o", str(sharded), "--shards", "s3://shards/run1"))
    assert outcome.exit_code == 0, outcome.stderr
    assert _snapshot(sharded) == _snapshot(local)
    s3 = moto_server.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="shards", Prefix="run1/")["Contents"]]
    assert len([k for k in keys if "/regions/" in k]) == 21 * len(ORG_REGIONS)
    shard = s3.get_object(Bucket="shards", Key=next(k for k in keys if "/regions/" in k))
    assert json.loads(gzip.decompress(shard["Body"].read()))["schema"] == "ecs-exposure/snapshot@1"
    moto_server.reset_log()
    outcome = run("collect", *org_args("-o", str(resumed), "--shards", "s3://shards/run1",
                                       "--resume"))
    assert outcome.exit_code == 0, outcome.stderr
    assert not [r for r in moto_server.requests if r.service in ("ecs", "iam")]
    assert _snapshot(resumed) == _snapshot(local)
    moto_server.reset_log()
    refused = run("collect", "--aws", "--organization", "--role-name", ORG_ROLE, "--region",
                  ORG_REGIONS[0], "-o", str(tmp_path / "other.json"), "--shards",
                  "s3://shards/run1", "--resume")
    assert refused.exit_code == 2
    assert "s3://shards/run1" in refused.stderr and "--region (" in refused.stderr
    assert not [r for r in moto_server.requests if r.service in ("ecs", "iam")]
