"""The typed fast path for Trivy reports: the same reports as the dict path, or none at all
(the file is then read by the dict path, which names any problem exactly as before)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest

from ecs_exposure.analysis.vulnerabilities.records import ImageReport
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.files import load_paths
from ecs_exposure.sources.jsonfile import TooDeep
from ecs_exposure.sources.load import demo_paths
from ecs_exposure.sources.readers import read_context
from ecs_exposure.sources.scanners import trivy, trivy_typed
from support.vuln_fixtures import V_LOCAL, V_NET, trivy_vuln
from support.vuln_fixtures import trivy as trivy_doc

ECR = "111122223333.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:" + "a" * 64


def _typed(data: bytes) -> list[ImageReport] | None:
    inventory = Inventory()
    if not trivy_typed.read_typed(inventory, data, "r.json", read_context()):
        assert inventory.vulnerabilities.reports == []
        return None
    return list(inventory.vulnerabilities.reports)


def _dict_path(data: bytes) -> list[ImageReport]:
    return trivy.parse(orjson.loads(data), "r.json")


def _vulnerable(**changes: Any) -> dict[str, Any]:
    return trivy_vuln() | changes


TAKEN = {
    "plain": trivy_doc(f"{ECR}/web:1.0", [trivy_vuln()], digest=DIGEST),
    "vendor vector": trivy_doc(f"{ECR}/web:1.0", [
        trivy_vuln(vectors={"nvd": V_NET, "redhat": V_LOCAL}, severity_source="redhat"),
        trivy_vuln("CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-1", None, status="will_not_fix")]),
    "not affected, aliases, malicious": trivy_doc("nginx:1.27", [
        trivy_vuln("GHSA-xxxx", status="not_affected", vendor_ids=("CVE-2024-9",)),
        trivy_vuln("MAL-2024-1", cwes=("CWE-506",)), trivy_vuln(cwes=("cwe-506",))]),
    "severity from the vendor": trivy_doc("nginx", [_vulnerable(Severity="UNKNOWN"),
                                                    _vulnerable(Severity=4)]),
    "nulls and unknown members": trivy_doc("nginx", [_vulnerable(
        CVSS=None, FixedVersion=None, Status=None, VendorIDs=None, Brand={"new": [1]})])
    | {"FutureTopLevel": True, "Metadata": None},
    "no results": {"SchemaVersion": 2, "ArtifactName": "nginx:1", "Results": None},
    "null vulnerabilities, empty names": trivy_doc("nginx", []) | {"Results": [
        {"Vulnerabilities": None}, {"Vulnerabilities": [_vulnerable(
            VulnerabilityID=" ", PkgName="", InstalledVersion="  1.0 ")]}]},
    "epoch and not-available fix": trivy_doc("nginx", [_vulnerable(FixedVersion="0:1.2"),
                                                       _vulnerable(FixedVersion="")]),
    "end of life": trivy_doc("debian:9", [trivy_vuln()], os=("debian", "9.13", True)),
}
DECLINED = {
    "modified findings": trivy_doc("nginx", [], modified=[
        {"Type": "vulnerability", "Status": "not_affected", "Statement": "vex",
         "Finding": trivy_vuln("CVE-2024-1")}]),
    "mistyped member": trivy_doc("nginx", [_vulnerable(FixedVersion=["x"])]),
    "severity out of range": trivy_doc("nginx", [_vulnerable(Severity=True)]),
    "mistyped CVSS": trivy_doc("nginx", [_vulnerable(CVSS=[1])]),
    "float schema version": trivy_doc("nginx", []) | {"SchemaVersion": 2.0},
    "other schema version": trivy_doc("nginx", []) | {"SchemaVersion": 1},
    "filesystem scan": trivy_doc("/src", []) | {"ArtifactType": "filesystem"},
    "results not a list": trivy_doc("nginx", []) | {"Results": {"a": 1}},
    "vulnerability not an object": trivy_doc("nginx", []) | {"Results": [
        {"Vulnerabilities": [42]}]},
    "no image named": {"SchemaVersion": 2, "Results": []},
    "a CycloneDX member": trivy_doc("nginx", []) | {"bomFormat": "CycloneDX"},
    "a Grype member": trivy_doc("nginx", []) | {"matches": []},
    "an Inspector finding": trivy_doc("nginx", []) | {"findingArn": "arn"},
}


@pytest.mark.parametrize("doc", TAKEN.values(), ids=TAKEN.keys())
def test_typed_reports_equal_the_dict_paths(doc: dict[str, Any]) -> None:
    data = json.dumps(doc, indent=2).encode()
    assert _typed(data) == _dict_path(data)


@pytest.mark.parametrize("doc", DECLINED.values(), ids=DECLINED.keys())
def test_what_the_fast_path_is_not_sure_of_goes_to_the_dict_path(doc: dict[str, Any]) -> None:
    assert _typed(json.dumps(doc).encode()) is None


def test_a_byte_order_mark_and_other_files_are_left_alone() -> None:
    data = json.dumps(TAKEN["plain"]).encode()
    assert _typed(b"\xef\xbb\xbf" + data) is None
    assert _typed(b'{"services": []}') is None
    assert _typed(data[:-5]) is None                     # truncated: the dict path says where


def test_too_deep_is_refused_as_the_dict_path_refuses_it() -> None:
    deep = b'{"SchemaVersion": 2, "ArtifactName": "x", "Extra": ' + b"[" * 200 + b"]" * 200 + b"}"
    with pytest.raises(TooDeep):
        _typed(deep)


def test_demo_reports_and_load_errors_are_unchanged(tmp_path: Path) -> None:
    with ExitStack() as stack:
        folder = demo_paths(stack)[0].parent / "vulns"
        demo = sorted(folder.glob("trivy-*.json"))
        for path in demo:
            assert _typed(path.read_bytes()) == _dict_path(path.read_bytes()), path.name
    assert len(demo) == 3
    (tmp_path / "bad-trivy.json").write_text(json.dumps(DECLINED["vulnerability not an object"]))
    report = load_paths([tmp_path], Inventory())
    assert [e.message for e in report.errors] == [
        "Trivy report: /Results/0/Vulnerabilities/0 is a number, expected an object"]
