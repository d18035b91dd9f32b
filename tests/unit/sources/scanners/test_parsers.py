"""Each report format parses into the one normalised record; malformed reports fail alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.analysis.vulnerabilities.records import ImageReport
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.files import add_document, load_paths
from ecs_exposure.sources.jsonfile import InputError
from support.builders import inventory_of
from support.vuln_fixtures import (
    ACCOUNT,
    CONFIG_DIGEST,
    DIGEST_A,
    DIGEST_B,
    ECR,
    V_LOCAL,
    V_NET,
    cdx_vuln,
    cyclonedx,
    ecr_basic_finding,
    ecr_scan,
    grype,
    grype_match,
    inspector,
    inspector_finding,
    kev,
    trivy,
    trivy_vuln,
)


def reports(*docs: Any) -> list[ImageReport]:
    return inventory_of(*docs).vulnerabilities.reports


def test_inspector_findings_normalise() -> None:
    [report] = reports(inspector(inspector_finding(exploit="YES", epss=0.47335,
                                                   related=("CVE-2023-5129",))))
    assert report.scanner == "Amazon Inspector"
    assert report.identity.digests == {DIGEST_A}
    [ref] = report.identity.references
    assert ref.tag_key == f"ecr:{ACCOUNT}:us-east-1/web:1.0" and ref.digest == DIGEST_A
    [record] = report.vulnerabilities
    assert (record.id, record.package, record.installed_version, record.fixed_version) == (
        "CVE-2023-4863", "libwebp7", "1.2.4", "1.2.4-0.2+deb12u1")
    assert record.fix_available is True and record.exploit_available is True
    assert record.epss == 0.47335 and record.severity == "HIGH" and not record.kev
    assert record.cvss[0].vector == V_NET and record.cvss[0].source == "nvd"
    assert record.aliases == ("CVE-2023-5129",)
    assert record.origins[0].pointer == "/findings/0"
    assert record.suppressed is None


def test_inspector_statuses_types_and_missing_fix() -> None:
    docs = inspector(
        inspector_finding("CVE-1", status="CLOSED"),
        inspector_finding("CVE-2", status="SUPPRESSED"),
        inspector_finding("CVE-3", kind="NETWORK_REACHABILITY"),
        inspector_finding("CVE-4", fixed=None),
    )
    [report] = reports(docs)
    by_id = {r.id: r for r in report.vulnerabilities}
    assert set(by_id) == {"CVE-2", "CVE-4"}
    assert by_id["CVE-2"].suppressed and "SUPPRESSED" in by_id["CVE-2"].suppressed
    assert by_id["CVE-4"].fixed_version is None and by_id["CVE-4"].fix_available is False


def test_inspector_groups_findings_per_image_and_reads_partitions() -> None:
    docs = inspector(inspector_finding("CVE-1", repo="web"),
                     inspector_finding("CVE-2", repo="web"),
                     inspector_finding("CVE-3", repo="api", digest=DIGEST_B, region="cn-north-1",
                                       partition="aws-cn"))
    found = {r.identity.label: r for r in reports(docs)}
    assert len(found) == 2
    china = next(r for r in found.values() if DIGEST_B in r.identity.digests)
    assert china.identity.references[0].registry == \
        f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert sum(len(r.vulnerabilities) for r in found.values()) == 3


def test_inspector_eventbridge_event() -> None:
    event = {"version": "0", "detail-type": "Inspector2 Finding", "source": "aws.inspector2",
             "detail": inspector_finding("CVE-9")}
    [report] = reports(event)
    assert report.vulnerabilities[0].origins[0].pointer == "/detail"


def test_ecr_basic_scan_attributes_and_region_less_identity() -> None:
    [report] = reports(ecr_scan(basic=[ecr_basic_finding(vector=V_NET)]))
    assert report.scanner == "Amazon ECR"
    [ref] = report.identity.references
    assert ref.tag_key == f"ecr:{ACCOUNT}:*/web:1.0"
    [record] = report.vulnerabilities
    assert (record.id, record.package, record.installed_version, record.severity) == (
        "CVE-2023-45871", "linux", "4.19.269-1", "CRITICAL")
    assert record.cvss[0].vector == V_NET and record.score == 9.8


def test_ecr_enhanced_scan_reads_inspector_shape_with_region() -> None:
    finding = inspector_finding("CVE-2023-44487", exploit="YES")
    finding["scoreDetails"] = {"cvss": finding.pop("inspectorScoreDetails")["adjustedCvss"]}
    [report] = reports(ecr_scan(enhanced=[finding], status="ACTIVE"))
    assert report.identity.references[0].registry_key == f"ecr:{ACCOUNT}:us-east-1"
    assert report.vulnerabilities[0].exploit_available is True


def test_ecr_failed_scan_is_not_a_result() -> None:
    inventory = inventory_of(ecr_scan(status="FAILED", basic=[]))
    assert inventory.vulnerabilities.match(f"{ECR}/web:1.0") == ([], None)


def test_trivy_report_identity_os_and_vendor_vector() -> None:
    doc = trivy(f"{ECR}/web:1.0", [
        trivy_vuln(vectors={"nvd": V_NET, "redhat": V_LOCAL}, severity_source="redhat",
                   vendor_ids=("DSA-5532-1",)),
        trivy_vuln("CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-1", None, status="will_not_fix",
                   severity="CRITICAL")],
        digest=DIGEST_A, os=("alpine", "3.10.2", True))
    [report] = reports(doc)
    assert report.identity.digests == {DIGEST_A}        # never the config digest
    assert CONFIG_DIGEST not in report.identity.digests
    assert report.os is not None and report.os.eosl is True
    first, second = report.vulnerabilities
    assert first.cvss[0].source == "redhat" and first.cvss[0].vector == V_LOCAL
    assert first.aliases == ("DSA-5532-1",) and first.fix_available is True
    assert second.fix_available is False and second.fixed_version is None


def test_trivy_not_affected_and_modified_findings_are_suppressed() -> None:
    modified = [{"Type": "vulnerability", "Status": "not_affected",
                 "Statement": "vulnerable_code_not_in_execute_path", "Source": "OpenVEX",
                 "Finding": trivy_vuln("CVE-2024-1")}]
    doc = trivy("nginx:1.27", [trivy_vuln("CVE-2024-2", status="not_affected")],
                modified=modified)
    [report] = reports(doc)
    states = {r.id: (r.vex_state, r.suppressed) for r in report.vulnerabilities}
    assert states["CVE-2024-1"][0] == "not_affected"
    assert "vulnerable_code_not_in_execute_path" in str(states["CVE-2024-1"][1])
    assert states["CVE-2024-2"][1] is not None


def test_grype_advisory_id_becomes_the_related_cve() -> None:
    related = [{"id": "CVE-2023-39325", "dataSource": "nvd", "namespace": "nvd:cpe",
                "cvss": [{"source": "nvd@nist.gov", "type": "Primary", "version": "3.1",
                          "vector": V_NET, "metrics": {"baseScore": 7.5}}]}]
    doc = grype("web:1.0", [grype_match("GHSA-4374-p667-p6c8", vector=None, related=related,
                                        kev=True, epss=0.3)], manifest=DIGEST_A)
    [report] = reports(doc)
    assert report.identity.digests == {DIGEST_A}
    assert report.os is not None and report.os.family == "debian"
    [record] = report.vulnerabilities
    assert record.id == "CVE-2023-39325" and "GHSA-4374-p667-p6c8" in record.aliases
    assert record.cvss[0].source == "nvd" and record.cvss[0].vector == V_NET
    assert record.kev and record.kev_date_added == "2023-10-10"
    assert record.epss == 0.3 and record.epss_percentile == 0.9
    assert record.fixed_version == "0.17.0" and record.package_path == "/app/server"


def test_grype_ignored_matches_are_suppressed() -> None:
    ignored = grype_match("CVE-2024-3")
    ignored["appliedIgnoreRules"] = [{"vulnerability": "CVE-2024-3", "vex-status": "not_affected",
                                      "vex-justification": "vulnerable_code_not_present"}]
    [report] = reports(grype("web:1.0", [], ignored=[ignored]))
    [record] = report.vulnerabilities
    assert record.suppressed and "not_affected" in record.suppressed
    assert record.vex_state == "not_affected"


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6", "1.7"])
def test_cyclonedx_versions_and_image_purl(spec: str) -> None:
    purl = f"pkg:oci/web@{DIGEST_A.replace(':', '%3A')}?repository_url={ECR}%2Fweb&tag=1.0"
    components = [{"bom-ref": "pkg:npm/jquery@3.3.9", "type": "library", "name": "jquery",
                   "version": "3.3.9", "purl": "pkg:npm/jquery@3.3.9"}]
    doc = cyclonedx(purl, [cdx_vuln("CVE-2019-11358", "pkg:npm/jquery@3.3.9",
                                    vector="AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")],
                    components=components, spec=spec)
    [report] = reports(doc)
    assert report.identity.digests == {DIGEST_A}
    assert report.identity.references[0].tag_key == f"ecr:{ACCOUNT}:us-east-1/web:1.0"
    [record] = report.vulnerabilities
    assert (record.package, record.installed_version) == ("jquery", "3.3.9")
    assert record.cvss[0].vector.startswith("CVSS:3.1/AV:N")        # prefix added from method
    assert record.cvss[0].metrics is not None


def test_cyclonedx_vex_states_and_bom_links() -> None:
    doc = cyclonedx(None, [
        cdx_vuln("CVE-1", "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg%3Anpm%2Fa%401",
                 state="not_affected", justification="code_not_reachable"),
        cdx_vuln("CVE-2", "pkg:deb/debian/zlib1g@1.2", state="false_positive"),
        cdx_vuln("CVE-3", "pkg:maven/org.apache/log4j-core@2.14.1", state="exploitable"),
        cdx_vuln("MAL-2024-1", "pkg:npm/evil@1.0.0", state=None)],
        components=[{"bom-ref": "pkg:npm/a@1", "name": "a", "version": "1"}],
        name=f"{ECR}/web:1.0")
    [report] = reports(doc)
    by_id = {r.id: r for r in report.vulnerabilities}
    assert by_id["CVE-1"].package == "a"
    assert by_id["CVE-1"].suppressed == "VEX not_affected: code_not_reachable"
    assert by_id["CVE-2"].package == "zlib1g" and by_id["CVE-2"].suppressed
    assert by_id["CVE-3"].package == "org.apache:log4j-core" and by_id["CVE-3"].suppressed is None
    assert by_id["MAL-2024-1"].malicious


def test_kev_and_cyclonedx_both_have_vulnerabilities_but_differ() -> None:
    inventory = inventory_of(kev("CVE-2023-4863"),
                             cyclonedx("pkg:docker/library/nginx@1.27",
                                       [cdx_vuln("CVE-1", "x")]))
    store = inventory.vulnerabilities
    assert "CVE-2023-4863" in store.intel.kev
    assert len(store.reports) == 1 and store.reports[0].scanner == "CycloneDX"
    assert store.reports[0].identity.references[0].tag_key == "docker.io/library/nginx:1.27"


@pytest.mark.parametrize("doc,reason", [
    (trivy("/src", []) | {"ArtifactType": "filesystem"}, "Trivy report that is not"),
    (grype("dir:/src", [], source_type="directory"), "Grype report that is not"),
    ({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}, "CycloneDX document"),
    ({"findings": [{"Id": "x", "ProductArn": "y"}]}, "unrecognised"),
    ({"vulnerabilities": [{"id": "CVE-1"}]}, "unrecognised"),
])
def test_not_vulnerability_reports_are_skipped_with_reasons(doc: Any, reason: str) -> None:
    assert reason in str(add_document(Inventory(), doc, "x.json"))


@pytest.mark.parametrize("doc,message", [
    (trivy("nginx", []) | {"SchemaVersion": 1}, "SchemaVersion 1 is not supported"),
    (trivy("nginx", []) | {"Results": {"a": 1}}, "/Results is an object, expected a list"),
    ({"SchemaVersion": 2, "Results": [], "Metadata": {}}, "no ArtifactName"),
    (inspector("not a finding"), "/findings/0 is a string"),
    (inspector(inspector_finding() | {"resources": "x"}), "/findings/0/resources is a string"),
    (ecr_scan() | {"imageScanFindings": []}, "/imageScanFindings is not an object"),
    (ecr_scan(basic=[1]), "/imageScanFindings/findings/0 is a number"),
    (grype("web:1", [None]), "/matches/0 is null"),
    (cyclonedx("pkg:docker/web@1", [[]]), "/vulnerabilities/0 is a list"),
    (kev("CVE-1") | {"vulnerabilities": [{"cveID": "not-a-cve"}]}, "cveID is not a CVE id"),
])
def test_malformed_reports_raise_clear_errors(doc: Any, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        add_document(Inventory(), doc, "bad.json")


def test_a_malformed_report_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(
        trivy("nginx:1.27", [trivy_vuln()], digest=DIGEST_A)))
    (tmp_path / "bad-trivy.json").write_text(json.dumps(
        trivy("nginx:1.27", []) | {"Results": [{"Vulnerabilities": [42]}]}))
    (tmp_path / "bad-inspector.json").write_text(json.dumps(inspector(
        inspector_finding() | {"packageVulnerabilityDetails": {"vulnerablePackages": "x"}})))
    inventory = Inventory()
    report = load_paths([tmp_path], inventory)
    assert [Path(s).name for s in report.read] == ["good.json"]
    errors = {Path(e.source).name: e.message for e in report.errors}
    assert errors["bad-trivy.json"] == ("Trivy report: /Results/0/Vulnerabilities/0 is a number, "
                                        "expected an object")
    assert "vulnerablePackages is a string" in errors["bad-inspector.json"]
    assert len(inventory.vulnerabilities.reports) == 1     # nothing half-added from bad files


def test_unknown_fields_and_wrong_scalar_types_are_ignored() -> None:
    item = trivy_vuln() | {"Severity": 7, "FixedVersion": ["x"], "Brand-new": {"a": 1}}
    [report] = reports(trivy("nginx", [item]) | {"FutureTopLevel": True})
    [record] = report.vulnerabilities
    assert record.severity == "HIGH"           # a mistyped Severity falls back to VendorSeverity
    assert record.fixed_version is None


def _set(doc: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """``doc`` with the member at ``pointer`` (``/`` separated, list indexes as digits) set."""
    *parents, last = pointer.strip("/").split("/")
    node: Any = doc
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    node[int(last) if isinstance(node, list) else last] = value
    return doc


_ENHANCED = inspector_finding()
_CDX = cyclonedx("pkg:docker/web@1", [cdx_vuln("CVE-1", "pkg:npm/a@1", state="not_affected")],
                 properties=[{"name": "aquasecurity:trivy:RepoTag", "value": "web:1"}],
                 components=[{"bom-ref": "pkg:npm/a@1", "name": "a", "version": "1"}])
_CDX["vulnerabilities"][0]["affects"][0]["versions"] = [{"version": "2", "status": "unaffected"}]


_MISTYPED: list[tuple[dict[str, Any], str, Any, str]] = [
    # each of these crashed the whole scan with a TypeError
    (trivy("nginx", []), "/Metadata/RepoDigests", True,
     "Trivy report: /Metadata/RepoDigests is a boolean, expected a list"),
    (trivy("nginx", []), "/Metadata/RepoTags", 5, "/Metadata/RepoTags is a number"),
    (grype("web:1", []), "/source/target/repoDigests", True,
     "Grype report: /source/target/repoDigests is a boolean, expected a list"),
    (grype("web:1", []), "/source/target/tags", 1, "/source/target/tags is a number"),
    (ecr_scan(enhanced=[inspector_finding()]), "/imageScanFindings/enhancedFindings/0/resources",
     True, "/imageScanFindings/enhancedFindings/0/resources is a boolean, expected a list"),
    # and these were read as if the value were absent, silently
    (trivy("nginx", []), "/Metadata/RepoDigests", ["web@" + DIGEST_A, 7],
     "/Metadata/RepoDigests/1 is a number, expected a string"),
    (trivy("nginx", []), "/Metadata", "x", "/Metadata is a string, expected an object"),
    (trivy("nginx", [trivy_vuln()]), "/Results/0/Vulnerabilities/0/CVSS/nvd", "x",
     "/Results/0/Vulnerabilities/0/CVSS/nvd is a string, expected an object"),
    (trivy("nginx", [trivy_vuln(severity="")]),
     "/Results/0/Vulnerabilities/0/VendorSeverity", [3],
     "/Results/0/Vulnerabilities/0/VendorSeverity is a list"),
    (grype("web:1", [grype_match()]), "/matches/0/vulnerability/cvss/0", "x",
     "/matches/0/vulnerability/cvss/0 is a string"),
    (grype("web:1", [grype_match()]), "/matches/0/vulnerability/fix/versions", "1.0",
     "/matches/0/vulnerability/fix/versions is a string"),
    (grype("web:1", [grype_match(kev=True)]), "/matches/0/vulnerability/knownExploited", True,
     "/matches/0/vulnerability/knownExploited is a boolean"),
    (grype("web:1", [grype_match()]), "/matches/0/artifact/locations", {"path": "/x"},
     "/matches/0/artifact/locations is an object"),
    (grype("web:1", [grype_match()]), "/matches/0/relatedVulnerabilities", ["CVE-1"],
     "/matches/0/relatedVulnerabilities/0 is a string"),
    (inspector(inspector_finding()), "/findings/0/epss", 0.5, "/findings/0/epss is a number"),
    (inspector(inspector_finding()),
     "/findings/0/resources/0/details/awsEcrContainerImage/imageTags", True,
     "/findings/0/resources/0/details/awsEcrContainerImage/imageTags is a boolean"),
    (inspector(inspector_finding()), "/findings/0/packageVulnerabilityDetails/cvss/0", 1,
     "/findings/0/packageVulnerabilityDetails/cvss/0 is a number"),
    (inspector(inspector_finding()), "/findings/0/inspectorScoreDetails", [],
     "/findings/0/inspectorScoreDetails is a list"),
    (ecr_scan(basic=[]), "/imageId", "sha256:x", "/imageId is a string"),
    (_CDX, "/metadata/component/properties", True, "/metadata/component/properties is a boolean"),
    (_CDX, "/components/0/components", 5, "/components/0/components is a number"),
    (_CDX, "/vulnerabilities/0/affects/0/versions/0", "2",
     "/vulnerabilities/0/affects/0/versions/0 is a string"),
    (_CDX, "/vulnerabilities/0/ratings/0/source", "nvd",
     "/vulnerabilities/0/ratings/0/source is a string"),
    (_CDX, "/vulnerabilities/0/analysis", "not_affected",
     "/vulnerabilities/0/analysis is a string"),
]


@pytest.mark.parametrize("doc,pointer,value,message", _MISTYPED,
                         ids=[f"{case[1]}={case[2]!r}" for case in _MISTYPED])
def test_a_mistyped_field_is_an_error_for_its_report_never_a_crash(
        doc: dict[str, Any], pointer: str, value: Any, message: str) -> None:
    bad = _set(json.loads(json.dumps(doc)), pointer, value)
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        add_document(Inventory(), bad, "bad.json")
    assert reports(doc)                                # the unmutated report reads fine


def test_trivy_repo_digests_true_fails_its_file_alone(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(trivy("nginx:1.27", [trivy_vuln()])))
    bad = trivy("nginx:1.27", [])
    bad["Metadata"]["RepoDigests"] = True
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    report = load_paths([tmp_path], Inventory())
    assert [Path(s).name for s in report.read] == ["good.json"]
    assert [(Path(e.source).name, e.message) for e in report.errors] == [
        ("bad.json", "Trivy report: /Metadata/RepoDigests is a boolean, expected a list")]
