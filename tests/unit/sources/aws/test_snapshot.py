"""Snapshot files without AWS: the format, its reader and hostile input."""

from __future__ import annotations

import gzip
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.inventory import Inventory
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.files import load_paths
from ecs_exposure.sources.jsonfile import InputError
from ecs_exposure.sources.readers import read_context
from support.builders import (
    REGION,
    SETTINGS,
    container,
    security_group,
    service,
    task_definition,
    tcp,
)

ACCOUNT = "111122223333"


def small_snapshot(**more: Any) -> dict[str, Any]:
    td = task_definition(containers=[container(privileged=True)])
    region = {"ecs": {"describe-services": {"services": [service(public_ip=True)]},
                      "describe-task-definition": {"taskDefinitions": [td]},
                      "describe-clusters": {"clusters": []},
                      "describe-tasks": {"tasks": []}},
              "ec2": {"describe-security-groups": {"SecurityGroups": [
                  security_group("sg-1", tcp(80))]}},
              "ecr": {"describe-repositories": {"repositories": []}}}
    return snapshot.build({ACCOUNT: {"regions": {REGION: region}}}, scope={}, errors=[],
                          incomplete={}, calls={"ecs:ListClusters": 1},
                          generated_at="2024-01-01T00:00:00Z") | more


def load(path: Path) -> tuple[Inventory, Any]:
    inventory = Inventory()
    return inventory, load_paths([path], inventory)


def test_written_snapshot_is_read_back_with_pointers_into_it(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    snapshot.write(small_snapshot(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    inventory, report = load(path)
    assert report.read == [str(path)] and not report.errors and not report.skipped
    result = scan_inventory(inventory, SETTINGS)
    trait = next(t for f in result.findings for t in f.traits if t.id == "privileged-container")
    assert trait.source == str(path)
    assert trait.file_pointer == (f"/accounts/{ACCOUNT}/regions/{REGION}/ecs/"
                                  "describe-task-definition/taskDefinitions/0/"
                                  "containerDefinitions/0/privileged")


def test_live_data_has_no_input_file() -> None:
    inventory = Inventory()
    snapshot.load_snapshot(inventory, small_snapshot(), None, read_context())
    assert inventory.services and not inventory.sources and not inventory.prefixes


def test_errors_and_incomplete_notes_survive_the_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.json.gz"
    doc = small_snapshot(
        errors=[{"source": f"aws:{ACCOUNT}:{REGION}", "message": "ecs:ListTasks failed: x",
                 "account": ACCOUNT, "region": REGION, "operation": "ecs:ListTasks"}],
        incomplete=[{"resource": "arn:aws:ecs:us-east-1:111122223333:service/prod/svc",
                     "reasons": ["running tasks could not be read"]}])
    snapshot.write(doc, path)
    assert gzip.decompress(path.read_bytes()).startswith(b"{")
    inventory, report = load(path)
    assert not report.errors
    result = scan_inventory(inventory, SETTINGS)
    assert result.errors[0].operation == "ecs:ListTasks"
    assert result.findings[0].incomplete == ("running tasks could not be read",)
    assert result.incomplete[0].resource.endswith("service/prod/svc")


@pytest.mark.parametrize("doc,message", [
    ({"schema": "ecs-exposure/snapshot@9", "accounts": {}}, "not supported"),
    ({"schema": "ecs-exposure/snapshot@1", "accounts": []}, "accounts must be a JSON object"),
    ({"schema": "ecs-exposure/snapshot@1", "accounts": {"1": {"regions": {"r": 5}}}},
     "region r must be a JSON object"),
])
def test_malformed_snapshots_are_errors_naming_the_file(tmp_path: Path, doc: Any,
                                                       message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    _, report = load(path)
    assert [e.source for e in report.errors] == [str(path)]
    assert message in report.errors[0].message


def test_gzip_inputs(tmp_path: Path) -> None:
    export = tmp_path / "services.json.gz"
    export.write_bytes(gzip.compress(json.dumps({"services": [service()]}).encode()))
    inventory, report = load(export)
    assert report.read == [str(export)] and len(inventory.services) == 1
    for name, data, message in (
        ("corrupt.gz", b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
        ("text.gz", gzip.compress(b"hello"), "does not hold a JSON document"),
        ("odd.json.gz", gzip.compress(b'{"what": 1}'), "not recognised"),
        ("broken.json.gz", gzip.compress(b'{"services": ['), "invalid JSON"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        _, report = load(path)
        assert message in report.errors[0].message, name


def test_gzip_expansion_is_bounded() -> None:
    bomb = gzip.compress(b"[" * 100_000)
    with pytest.raises(InputError, match="expands beyond"):
        snapshot.gunzip(bomb, limit=10_000)
    assert snapshot.gunzip(bomb, limit=100_000) == b"[" * 100_000


def test_statistics_and_collected_anything() -> None:
    doc = small_snapshot()
    assert snapshot.statistics(doc) == {"accounts": 1, "regions": 1, "services": 1}
    assert snapshot.collected_anything(doc)
    doc["accounts"][ACCOUNT]["regions"][REGION]["ecs"].pop("describe-clusters")
    assert not snapshot.collected_anything(doc)
