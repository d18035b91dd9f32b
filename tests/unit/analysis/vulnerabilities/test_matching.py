"""Reports are matched to the containers that run the image, de-duplicated and suppressed."""

from __future__ import annotations

from typing import Any

from ecs_exposure.analysis.vulnerabilities.store import (
    VulnerabilityAssessor,
    VulnerabilityStore,
    assessor,
)
from ecs_exposure.reporters.json_report import result_dict
from ecs_exposure.settings import ScanMemo
from support.builders import SETTINGS, container, inventory_of, scan_docs, service, task_definition
from support.vuln_fixtures import (
    ACCOUNT,
    DIGEST_A,
    DIGEST_B,
    DIGEST_C,
    ECR,
    cdx_vuln,
    cyclonedx,
    ecr_basic_finding,
    ecr_scan,
    grype,
    grype_match,
    inspector,
    inspector_finding,
    trivy,
    trivy_vuln,
)

WEB = f"{ECR}/web:1.0"


def scan_assessor(store: VulnerabilityStore) -> VulnerabilityAssessor:
    """The assessor a scan of ``store`` uses (a new scan, a new memo)."""
    return assessor(store, SETTINGS.epss_threshold, SETTINGS.today, ScanMemo())


def assess(image: str, *docs: Any, running: tuple[str, ...] = ()) -> Any:
    inventory = inventory_of(*docs)
    for digest in running:
        inventory.add_running_digest(image, digest)
    return scan_assessor(inventory.vulnerabilities).assess(image,
                                                           inventory.running_digests(image))


def ids(found: Any) -> list[str]:
    return [a.record.id for a in found.vulnerabilities]


def test_pinned_digest_matches_by_digest_whatever_the_tag() -> None:
    found = assess(f"{ECR}/web@{DIGEST_A}",
                   inspector(inspector_finding("CVE-1", tags=("9.9",), digest=DIGEST_A)))
    assert found.matched_by == "digest" and ids(found) == ["CVE-1"]


def test_running_task_digests_win_over_the_tag() -> None:
    found = assess(WEB,
                   trivy(WEB, [trivy_vuln("CVE-OLD")], digest=DIGEST_A),
                   inspector(inspector_finding("CVE-NEW", tags=("other",), digest=DIGEST_B)),
                   running=(DIGEST_B.upper(),))
    assert found.matched_by == "digest" and ids(found) == ["CVE-NEW"]


def test_tag_match_when_no_digest_is_known() -> None:
    found = assess(WEB, trivy(WEB, [trivy_vuln("CVE-1")], digest=DIGEST_A))
    assert found.matched_by == "tag" and ids(found) == ["CVE-1"]


def test_a_moved_tag_does_not_match_a_report_of_another_digest() -> None:
    found = assess(WEB, trivy(WEB, [trivy_vuln("CVE-1")], digest=DIGEST_A),
                   running=(DIGEST_C,))
    assert found.matched_by is None and found.vulnerabilities == ()


def test_a_pinned_digest_never_falls_back_to_the_tag() -> None:
    found = assess(f"{WEB}@{DIGEST_C}", trivy(WEB, [trivy_vuln("CVE-1")], digest=DIGEST_A))
    assert found.matched_by is None


def test_docker_hub_short_names_match_full_references() -> None:
    report = trivy("docker.io/library/nginx:1.27", [trivy_vuln("CVE-1")])
    assert assess("nginx:1.27", report).matched_by == "tag"
    assert assess("index.docker.io/library/nginx:1.27", report).matched_by == "tag"
    assert assess("nginx:1.26", report).matched_by is None
    latest = grype("nginx", [grype_match("CVE-2")])
    assert assess("docker.io/library/nginx:latest", latest).matched_by == "tag"
    assert assess("library/nginx", latest).matched_by == "tag"
    assert assess("public.ecr.aws/docker/library/nginx:latest", latest).matched_by is None


def test_ecr_scan_without_region_matches_the_account_and_repository() -> None:
    report = ecr_scan("web", "2", None, basic=[ecr_basic_finding("CVE-1")])
    assert assess(f"{ACCOUNT}.dkr.ecr-fips.eu-west-1.amazonaws.com/web:2", report).matched_by \
        == "tag"
    assert assess("999988887777.dkr.ecr.eu-west-1.amazonaws.com/web:2", report).matched_by \
        is None


def test_same_cve_in_two_reports_is_counted_once_with_both_origins() -> None:
    found = assess(WEB,
                   inspector(inspector_finding("CVE-2023-5363", "libssl3", "3.0.11",
                                               fixed="3.0.11-1~deb12u2", epss=0.2,
                                               severity="MEDIUM")),
                   trivy(WEB, [trivy_vuln("CVE-2023-5363", "LibSSL3", severity="HIGH"),
                               trivy_vuln("CVE-2023-5363", "openssl")]))
    assert sorted((a.record.id, a.record.package.lower()) for a in found.vulnerabilities) == [
        ("CVE-2023-5363", "libssl3"), ("CVE-2023-5363", "openssl")]
    merged = next(a for a in found.vulnerabilities if a.record.package.lower() == "libssl3")
    assert {o.scanner for o in merged.record.origins} == {"Amazon Inspector", "Trivy"}
    assert merged.record.severity == "HIGH" and merged.epss == 0.2
    assert merged.record.fixed_version == "3.0.11-1~deb12u2"


def test_advisory_and_cve_ids_of_one_flaw_are_merged() -> None:
    related = [{"id": "CVE-2023-39325", "namespace": "nvd:cpe"}]
    found = assess(WEB, grype(WEB, [grype_match("GHSA-4374-p667-p6c8", related=related)]),
                   trivy(WEB, [trivy_vuln("CVE-2023-39325", "golang.org/x/net")]))
    assert ids(found) == ["CVE-2023-39325"]


def test_vex_document_suppresses_another_scanner_match_and_says_so() -> None:
    purl = f"pkg:oci/web@{DIGEST_A.replace(':', '%3A')}"
    vex = cyclonedx(purl, [
        cdx_vuln("CVE-2023-45853", "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1",
                 state="not_affected", justification="code_not_present", vector=None),
        cdx_vuln("CVE-2024-7", "urn:cdx:other/1#unknown-ref", state="false_positive")])
    found = assess(WEB, trivy(WEB, [trivy_vuln("CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-1",
                                               None, severity="CRITICAL"),
                                    trivy_vuln("CVE-2024-7", "curl"),
                                    trivy_vuln("CVE-2024-8", "curl")], digest=DIGEST_A), vex)
    assert ids(found) == ["CVE-2024-8"]
    suppressed = {a.record.id: a.record for a in found.suppressed}
    assert suppressed["CVE-2023-45853"].suppressed == "VEX not_affected: code_not_present"
    assert suppressed["CVE-2023-45853"].severity == "CRITICAL"      # Trivy's, kept
    assert suppressed["CVE-2024-7"].package == "curl"                # blanket statement


def test_a_later_scan_sees_the_reports_added_since() -> None:
    inventory = inventory_of(trivy(WEB, [trivy_vuln("CVE-1")]))
    store = inventory.vulnerabilities
    assert ids(scan_assessor(store).assess(WEB)) == ["CVE-1"]
    inventory.add_image_report(inventory_of(trivy(WEB, [trivy_vuln("CVE-2")]))
                               .vulnerabilities.reports[0])
    assert sorted(ids(scan_assessor(store).assess(WEB))) == ["CVE-1", "CVE-2"]


def test_multi_container_service_lists_each_container_and_unscanned_images() -> None:
    td = task_definition(containers=[
        container("web", image=WEB), container("sidecar", image="envoyproxy/envoy:v1.30.1"),
        container("agent", image="public.ecr.aws/datadog/agent:7")])
    result = scan_docs(
        {"taskDefinition": td}, {"services": [service("shop")]},
        trivy(WEB, [trivy_vuln("CVE-1", severity="HIGH")], digest=DIGEST_A),
        grype("docker.io/envoyproxy/envoy:v1.30.1",
              [grype_match("CVE-2", "envoy", "1.30.1", severity="Medium")]))
    [finding] = result.findings
    by_container = {t.container: t for t in finding.traits if t.id == "software-vulnerability"}
    assert set(by_container) == {"web", "sidecar"}
    assert "CVE-1" in str(dict(by_container["web"].extra)["top"])
    assert by_container["web"].pointer == "/containerDefinitions/0/image"
    assert [(c.container, c.assessment.matched_by) for c in finding.vulnerabilities] == [
        ("web", "tag"), ("sidecar", "tag")]
    [unscanned] = result.unscanned_images
    assert unscanned.image == "public.ecr.aws/datadog/agent:7"
    assert unscanned.containers == ("shop/agent",)
    doc = result_dict(result, include=frozenset({"vulnerabilities"}))
    containers = doc["findings"][0]["vulnerabilities"]["containers"]
    assert [c["container"] for c in containers] == ["web", "sidecar"]
    assert containers[0]["counts"]["by_severity"] == {"HIGH": 1}
    assert doc["images"][WEB]["vulnerabilities"][0]["id"] == "CVE-1"
    assert doc["images"]["envoyproxy/envoy:v1.30.1"]["matched_by"] == "tag"
    assert doc["unscanned_images"] == [{"image": "public.ecr.aws/datadog/agent:7",
                                        "services": ["shop"], "containers": ["shop/agent"]}]
    assert doc["summary"]["vulnerability_reports"] == 2
