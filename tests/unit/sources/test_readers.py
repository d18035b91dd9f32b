from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.classify import Kind, classify
from ecs_exposure.sources.files import load_paths
from ecs_exposure.sources.jsonfile import InputError, parse_json
from support import REALWORLD
from support.timing import deadline


@pytest.mark.parametrize("doc,kind", [
    ({"taskDefinition": {"family": "a", "containerDefinitions": []}}, Kind.TASK_DEFINITION),
    ({"family": "a", "containerDefinitions": []}, Kind.TASK_DEFINITION),
    ({"taskDefinitionArn": "arn:x", "containerDefinitions": []}, Kind.TASK_DEFINITION),
    ([{"family": "a", "containerDefinitions": []}], Kind.TASK_DEFINITIONS),
    ({"services": [], "failures": []}, Kind.SERVICES),
    ({"clusters": []}, Kind.CLUSTERS),
    ({"SecurityGroups": []}, Kind.SECURITY_GROUPS),
    ({"Subnets": []}, Kind.SUBNETS),
    ({"RouteTables": []}, Kind.ROUTE_TABLES),
    ({"NetworkInterfaces": []}, Kind.NETWORK_INTERFACES),
    ({"LoadBalancers": []}, Kind.LOAD_BALANCERS),
    ({"TargetGroups": []}, Kind.TARGET_GROUPS),
    ({"Listeners": []}, Kind.LISTENERS),
    ({"FileSystems": []}, Kind.FILE_SYSTEMS),
    ({"RoleDetailList": [], "Policies": []}, Kind.IAM),
])
def test_classification_by_content(doc: object, kind: Kind) -> None:
    assert classify(doc).kind is kind


@pytest.mark.parametrize("doc,reason", [
    ({"serviceArns": ["arn:x"]}, "lists ARNs only"),
    ({"Resources": {}}, "CloudFormation"),
    ({"hello": 1}, "unrecognised"),
    ([1, 2], "not a list of task definitions"),
    ("text", "not a JSON object"),
])
def test_unclassifiable_documents_have_reasons(doc: object, reason: str) -> None:
    found = classify(doc)
    assert found.kind is None
    assert reason in found.reason


def test_directory_is_read_recursively_and_problems_are_per_file(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "td.txt").write_text(json.dumps(
        {"family": "x", "containerDefinitions": [{"name": "c", "privileged": True}]}))
    (tmp_path / "broken.json").write_text('{"services": [\n  {"serviceName": "a",}\n]}')
    (tmp_path / "notes.md").write_text("# hello")
    (tmp_path / "list.json").write_text('{"serviceArns": []}')
    inventory = Inventory()
    report = load_paths([tmp_path], inventory)
    assert report.read == [str(tmp_path / "a" / "b" / "td.txt")]
    assert [e.source for e in report.errors] == [str(tmp_path / "broken.json")]
    assert "line 2 column" in report.errors[0].message
    assert {s.source for s in report.skipped} == {str(tmp_path / "notes.md"),
                                                  str(tmp_path / "list.json")}
    assert "x" in inventory.task_definitions


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    report = load_paths([tmp_path / "nope.json"], Inventory())
    assert "no such file" in report.errors[0].message


def test_truncated_json_names_position() -> None:
    with pytest.raises(InputError, match=r"line 1 column \d+"):
        parse_json(b'{"services": [{"serviceName": "a"')


def test_deep_nesting_is_refused_not_crashing() -> None:
    with pytest.raises(InputError, match="nested"):
        parse_json(b"[" * 2_000_000 + b"]" * 2_000_000)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"family": "a", "containerDefinitions": [],
                       "x": ["[[[{{{" * 20_000]}).encode()
    assert parse_json(text)["family"] == "a"


def test_byte_order_mark_and_invalid_utf8() -> None:
    assert parse_json(b'\xef\xbb\xbf{"clusters": []}') == {"clusters": []}
    with pytest.raises(InputError):
        parse_json(b'{"a": "\xff"}')


def test_fifty_megabyte_file_is_read(tmp_path: Path) -> None:
    services = [{"serviceArn": f"arn:aws:ecs:us-east-1:1:service/c/s{i}",
                 "serviceName": f"s{i}", "taskDefinition": "td:1",
                 "padding": "x" * 480} for i in range(100_000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"services": services}))
    assert path.stat().st_size > 50_000_000
    inventory = Inventory()
    report = load_paths([path], inventory)
    assert report.read == [str(path)]
    assert len(inventory.services) == 100_000


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"{" + b" " * 2048 + b"}")
    report = load_paths([path], Inventory(), max_bytes=1024)
    assert "above the 1,024-byte limit" in report.errors[0].message


def test_a_fifo_or_device_in_a_scanned_folder_is_named_and_never_opened(tmp_path: Path) -> None:
    # A FIFO with no writer blocked the scan forever; a link to /dev/zero never ends.
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "services.json").write_text('{"services": []}')
    with deadline(20):
        report = load_paths([tmp_path], Inventory())
    assert report.read == [str(tmp_path / "services.json")]
    assert {e.source: e.message for e in report.errors} == {
        str(tmp_path / name): "not a regular file (a FIFO, socket or device in a scanned "
                              "folder); not read" for name in ("fifo.json", "zero.json")}


def test_a_named_stream_is_read_up_to_the_limit(tmp_path: Path) -> None:
    with deadline(20):
        report = load_paths([Path("/dev/zero")], Inventory(), max_bytes=1024)
    assert report.errors[0].message.startswith("file is above the 1,024-byte limit")


def test_a_named_pipe_is_still_read(tmp_path: Path) -> None:
    """``scan <(aws ecs describe-services …)`` passes a pipe: it is read like a file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=('{"services": []}',))
    writer.start()
    with deadline(20):
        report = load_paths([fifo], Inventory())
    writer.join()
    assert report.read == [str(fifo)] and not report.errors


@pytest.mark.skipif(not REALWORLD.exists(), reason="shared/realworld not present")
def test_realworld_task_definitions_load_and_the_malformed_one_is_named() -> None:
    inventory = Inventory()
    report = load_paths([REALWORLD / "task-definitions"], inventory)
    assert len(report.read) >= 40
    assert [Path(e.source).name for e in report.errors] == [
        "firelens-fluent-bit-dynatrace-task-definition.json"]
    assert "line 34 column 20" in report.errors[0].message
    assert report.skipped == []
