"""Vulnerabilities move likelihood as DESIGN §4 and issue 4 say, and the finding explains why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from ecs_exposure.analysis.os_eol import end_of_life_reason
from ecs_exposure.analysis.vulnerabilities.records import OsRelease
from ecs_exposure.model import Finding, Level, ScanResult, Severity
from ecs_exposure.pipeline import scan_inventory
from support.builders import (
    ACCOUNT,
    SETTINGS,
    container,
    inventory_of,
    network,
    security_group,
    service,
    task_definition,
    tcp,
)
from support.vuln_fixtures import (
    V_ADJACENT,
    V_LOCAL,
    V_NET,
    ecr_basic_finding,
    ecr_scan,
    epss_csv,
    grype,
    grype_match,
    inspector,
    inspector_finding,
    kev,
    trivy,
    trivy_vuln,
)

IMAGE = "nginx:1.27"
S3_ROLE = {"RoleDetailList": [{
    "RoleName": "task", "Arn": f"arn:aws:iam::{ACCOUNT}:role/task",
    "RolePolicyList": [{"PolicyName": "s3", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]}], "Policies": []}
RAPID_RESET = trivy_vuln("CVE-2023-44487", "libnghttp2-14", "1.52.0-1", "1.52.0-1+deb12u1")


def scan(*reports: Any, public: bool = True, role: bool = False, image: str = IMAGE,
         threshold: float | None = None, today: date | None = None,
         raw: tuple[tuple[bytes, str], ...] = ()) -> ScanResult:
    td = task_definition(containers=[container("web", image=image)],
                         taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/task" if role else None)
    docs: list[Any] = [{"taskDefinition": td}, {"services": [service("web", public_ip=public)]},
                       {"SecurityGroups": [security_group("sg-1", *([tcp(80)] if public
                                                                     else []))]}, *network()]
    if role:
        docs.append(S3_ROLE)
    inventory = inventory_of(*docs, *reports)
    from ecs_exposure.sources.intel import read_epss
    from ecs_exposure.sources.readers import read_context

    for data, source in raw:
        assert read_epss(inventory, data, source, read_context())
    settings = SETTINGS
    if threshold is not None:
        settings = replace(settings, epss_threshold=threshold)
    if today is not None:
        settings = replace(settings, now=datetime.combine(today, time(12), UTC))
    return scan_inventory(inventory, settings)


def only(result: ScanResult) -> Finding:
    [finding] = result.findings
    return finding


def trait_ids(finding: Finding) -> set[str]:
    return {t.id for t in finding.traits}


def test_internet_reachable_kev_cve_is_critical_with_medium_impact() -> None:
    finding = only(scan(trivy(f"docker.io/library/{IMAGE}", [RAPID_RESET]), kev("CVE-2023-44487"),
                        role=True))
    assert (finding.likelihood, finding.impact, finding.severity) == (
        Level.VERY_HIGH, Level.MEDIUM, Severity.CRITICAL)
    assert finding.title.startswith("Internet-reachable ECS service web with a known-exploited "
                                    "vulnerability (CVE-2023-44487)")
    path = " → ".join(finding.attack_path)
    assert ("exploit CVE-2023-44487 in libnghttp2-14 1.52.0-1 (fixed in 1.52.0-1+deb12u1) in "
            "container web (attack vector network; in CISA KEV (added 2023-09-13))") in path
    assert path.index("service web") < path.index("exploit CVE-2023-44487")
    assert "Very high likelihood × medium impact = CRITICAL" in finding.why
    assert "in CISA KEV" in finding.why
    assert ("Rebuild the image with libnghttp2-14 1.52.0-1+deb12u1 (CVE-2023-44487, container "
            "web)") in finding.remediation_summary


def test_same_image_on_a_private_service_is_low() -> None:
    finding = only(scan(trivy(IMAGE, [RAPID_RESET]), kev("CVE-2023-44487"), public=False))
    assert finding.reachability == "internal"
    assert (finding.likelihood, finding.impact, finding.severity) == (
        Level.MEDIUM, Level.LOW, Severity.LOW)
    assert "no path from the internet" in finding.why
    assert finding.attack_path[0] == "an attacker already inside the network"
    # the "moderate" for no network path, with a medium impact: MEDIUM, not CRITICAL
    medium = only(scan(trivy(IMAGE, [RAPID_RESET]), kev("CVE-2023-44487"), public=False,
                       role=True))
    assert medium.severity is Severity.MEDIUM


@pytest.mark.parametrize("reports,raw,reason", [
    ((trivy(IMAGE, [RAPID_RESET]), kev("CVE-2023-44487")), (), "in CISA KEV (added 2023-09-13)"),
    ((grype(IMAGE, [grype_match(kev=True)]),), (), "in CISA KEV (added 2023-10-10)"),
    ((inspector(inspector_finding(exploit="YES", epss=0.001, repo="web", tags=("1.0",))),), (),
     "public exploit available"),
    ((grype(IMAGE, [grype_match(epss=0.5)]),), (), "EPSS 0.500 (90.0th percentile) ≥ 0.1"),
    ((trivy(IMAGE, [RAPID_RESET]),),
     ((epss_csv([("CVE-2023-44487", 0.81686, 0.99103)], gz=True), "epss.csv.gz"),),
     "EPSS 0.817 (99.1th percentile) ≥ 0.1"),
])
def test_each_route_to_high_likelihood(reports: tuple[Any, ...],
                                       raw: tuple[tuple[bytes, str], ...], reason: str) -> None:
    image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0" \
        if "findings" in reports[0] else IMAGE
    finding = only(scan(*reports, raw=raw, image=image))
    [trait] = [t for t in finding.traits if t.id == "exploitable-vulnerability"]
    assert reason in trait.detail
    assert finding.likelihood is Level.VERY_HIGH
    assert reason in " ".join(finding.attack_path)


def test_epss_threshold_is_configurable() -> None:
    report = grype(IMAGE, [grype_match(epss=0.05)])
    assert "exploitable-vulnerability" not in trait_ids(only(scan(report)))
    lowered = only(scan(report, threshold=0.01))
    assert "exploitable-vulnerability" in trait_ids(lowered)
    assert any("EPSS 0.050 (90.0th percentile) ≥ 0.01" in t.detail for t in lowered.traits)


@pytest.mark.parametrize("vector", [
    V_LOCAL, V_ADJACENT, "AV:L/AC:L/Au:N/C:C/I:C/A:C",
    "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    # valid vectors with temporal / supplemental metrics, once rejected and read as network
    "AV:L/AC:L/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C",
    "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/AU:N/U:Red",
])
def test_non_network_vectors_are_never_network_exploitable(vector: str) -> None:
    report = grype(IMAGE, [grype_match(vector=vector, kev=True, epss=0.97, severity="High")])
    finding = only(scan(report))
    assert "exploitable-vulnerability" not in trait_ids(finding)
    assert "software-vulnerability" in trait_ids(finding)
    assert (finding.likelihood, finding.severity) == (Level.HIGH, Severity.MEDIUM)
    [entry] = finding.vulnerabilities
    [assessed] = entry.assessment.vulnerabilities
    assert assessed.reasons and assessed.exploitable is False and assessed.network is False


def test_vendor_vector_wins_over_nvd() -> None:
    cve = "CVE-2024-0001"
    local_vendor = trivy(IMAGE, [trivy_vuln(cve, vectors={"nvd": V_NET, "redhat": V_LOCAL},
                                            severity_source="redhat")])
    assert "exploitable-vulnerability" not in trait_ids(only(scan(local_vendor, kev(cve))))
    network_vendor = trivy(IMAGE, [trivy_vuln(cve, vectors={"nvd": V_LOCAL, "ghsa": V_NET},
                                              severity_source="ghsa")])
    assert "exploitable-vulnerability" in trait_ids(only(scan(network_vendor, kev(cve))))


def test_unknown_attack_vector_is_treated_as_network_and_flagged() -> None:
    report = ecr_scan("web", "1.0", None, basic=[ecr_basic_finding("CVE-2021-44228",
                                                                   vector=None)])
    finding = only(scan(report, kev("CVE-2021-44228"),
                        image="111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.0"))
    [trait] = [t for t in finding.traits if t.id == "exploitable-vulnerability"]
    assert trait.potential and trait.missing == ("CVSS vector of CVE-2021-44228",)
    assert "attack vector unknown" in trait.detail


@pytest.mark.parametrize("vector", [
    "CVSS:3.1/AV:l/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",          # lower-case value
    "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y",     # unknown metric
])
def test_malformed_vector_is_an_unknown_attack_vector_and_flagged(vector: str) -> None:
    """A vector the parser rejects is not trusted for "local": like a missing one, it counts
    as network, and the finding says so and lists it as missing evidence."""
    report = grype(IMAGE, [grype_match("CVE-2021-44228", vector=vector, kev=True)])
    finding = only(scan(report))
    [trait] = [t for t in finding.traits if t.id == "exploitable-vulnerability"]
    assert trait.potential and trait.missing == ("CVSS vector of CVE-2021-44228",)
    assert "no valid CVSS vector in the reports: attack vector unknown" in trait.detail
    [entry] = finding.vulnerabilities
    [assessed] = entry.assessment.vulnerabilities
    assert assessed.metrics is None and assessed.network is None and assessed.exploitable


def test_reachable_with_critical_or_high_vulnerability_is_high_likelihood() -> None:
    high = only(scan(trivy(IMAGE, [trivy_vuln("CVE-2024-0001", severity="HIGH")])))
    assert high.likelihood is Level.HIGH and "1 known vulnerability (1 high)" in high.why
    medium = only(scan(trivy(IMAGE, [trivy_vuln("CVE-2024-0001", severity="MEDIUM")])))
    assert medium.likelihood is Level.MEDIUM
    private = only(scan(trivy(IMAGE, [trivy_vuln("CVE-2024-0001", severity="CRITICAL")]),
                        public=False))
    assert (private.likelihood, private.severity) == (Level.LOW, Severity.LOW)


def test_software_vulnerability_counts_severities_and_fixes() -> None:
    report = trivy(IMAGE, [trivy_vuln("CVE-2024-0001", severity="CRITICAL"),
                           trivy_vuln("CVE-2", severity="HIGH", fixed=None, status="affected"),
                           trivy_vuln("CVE-3", severity="LOW")])
    [trait] = [t for t in only(scan(report)).traits if t.id == "software-vulnerability"]
    facts = dict(trait.extra)
    assert facts["by_severity"] == {"critical": 1, "high": 1, "low": 1}
    assert facts["fixable"] == 2 and facts["count"] == 3
    assert [v["id"] for v in facts["top"]] == ["CVE-2024-0001", "CVE-2", "CVE-3"]


def test_end_of_life_os_from_scanner_and_from_the_table() -> None:
    eosl = only(scan(trivy(IMAGE, [], os=("alpine", "3.16.9", True))))
    assert "end-of-life-os" in trait_ids(eosl) and eosl.likelihood is Level.HIGH
    assert "an end-of-life OS" in eosl.title
    table = only(scan(grype(IMAGE, [], distro=("debian", "9")), today=date(2026, 1, 1)))
    [trait] = [t for t in table.traits if t.id == "end-of-life-os"]
    assert "debian 9 reached end of life on 2022-06-30" in trait.detail
    supported = scan(grype(IMAGE, [], distro=("debian", "12")), today=date(2026, 1, 1),
                     public=False)
    assert supported.findings == ()


@pytest.mark.parametrize("os,today,expected", [
    (OsRelease("alpine", "3.9.6"), date(2020, 1, 1), "older than alpine 3.10"),
    (OsRelease("alpine", "3.20.1"), date(2026, 5, 1), "reached end of life on 2026-04-01"),
    (OsRelease("alpine", "3.20.1"), date(2026, 3, 1), None),
    (OsRelease("amazon", "2 (Karoo)"), date(2026, 7, 1), "reached end of life on 2026-06-30"),
    (OsRelease("amazon", "2018.03"), date(2024, 6, 1), "reached end of life on 2023-12-31"),
    (OsRelease("ubuntu", "20.04"), date(2025, 6, 1), "reached end of life on 2025-05-31"),
    (OsRelease("ubuntu", "24.04"), date(2025, 6, 1), None),
    (OsRelease("redhat", "8.9"), date(2030, 1, 1), "reached end of life"),
    (OsRelease("wolfi", "20230201"), date(2030, 1, 1), None),
    (OsRelease("debian", "12", eosl=True), date(2025, 1, 1), "past end of service life"),
])
def test_os_end_of_life_table(os: OsRelease, today: date, expected: str | None) -> None:
    found = end_of_life_reason(os.family, os.version, os.eosl, today)
    assert (found is None) if expected is None else (expected in str(found))


def test_malicious_package_is_very_high_even_without_a_network_path() -> None:
    report = grype(IMAGE, [grype_match("MAL-2024-1234", "event-stream-x", "1.0.0", vector=None,
                                       fixed=None, severity="Critical")])
    finding = only(scan(report, public=False))
    assert "malicious-package" in trait_ids(finding)
    assert "exploitable-vulnerability" not in trait_ids(finding)
    assert finding.likelihood is Level.VERY_HIGH
    assert finding.title.startswith("ECS service web with a malicious package")
    assert "malicious package MAL-2024-1234 in event-stream-x 1.0.0 in container web" in \
        " → ".join(finding.attack_path)
    cwe = grype(IMAGE, [grype_match("GHSA-xxxx", "pkg", "1.0", cwes=("CWE-506",))])
    assert "malicious-package" in trait_ids(only(scan(cwe, public=False)))


def test_only_suppressed_vulnerabilities_create_no_finding() -> None:
    item = trivy_vuln("CVE-2024-0001", status="not_affected")
    assert scan(trivy(IMAGE, [item]), kev("CVE-2024-0001"), public=False).findings == ()


def test_unattached_task_definition_with_exploitable_image_assumes_reachability() -> None:
    inventory = inventory_of({"taskDefinition": task_definition(
        containers=[container("web", image=IMAGE)])}, trivy(IMAGE, [RAPID_RESET]),
        kev("CVE-2023-44487"))
    [finding] = scan_inventory(inventory, SETTINGS).task_definition_findings
    assert finding.likelihood is Level.VERY_HIGH and finding.severity is Severity.HIGH
