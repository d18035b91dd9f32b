"""The memos that make parsing and assessing 200,000 records fast give the answers the
uncached code gives: per CVSS block, per id, per score, per CVE's intel and per report set."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ecs_exposure.analysis.vulnerabilities.records import KevEntry, canonical_id
from ecs_exposure.analysis.vulnerabilities.store import (
    ContainerVulnerabilities,
    VulnerabilityAssessor,
    VulnerabilityStore,
    assessor,
    signals,
)
from ecs_exposure.exposure.vulnerabilities import top_vulnerabilities
from ecs_exposure.settings import ScanMemo
from ecs_exposure.sources.scanners import inspector as inspector_parser
from ecs_exposure.sources.scanners import trivy as trivy_parser
from ecs_exposure.sources.scanners.common import JsonMemo, number, shared_ids
from support.builders import SETTINGS, container, inventory_of, task_definition, td_traits
from support.vuln_fixtures import (
    DIGEST_A,
    ECR,
    V_LOCAL,
    V_NET,
    inspector,
    inspector_finding,
    trivy,
    trivy_vuln,
)

WEB = f"{ECR}/web:1.0"


def test_json_memo_keys_tell_json_values_apart() -> None:
    calls: list[tuple[Any, ...]] = []

    def compute(*values: Any) -> str:
        calls.append(values)
        return repr(values)

    memo = JsonMemo(compute)
    for value in (1, 1.0, True, "1", None, [1], {"a": 1}, 1, 1.0, True, {"a": 1}):
        assert memo(value) == repr((value,))
    assert len(calls) == 7  # 1, 1.0 and true are different JSON values, cached once each


def test_json_memo_computes_what_it_cannot_serialise() -> None:
    memo = JsonMemo(lambda value: type(value).__name__)
    assert memo(object()) == "object"
    assert memo({1: "int key"}) == "dict"


def test_json_memo_is_bounded() -> None:
    memo = JsonMemo(lambda value: value * 2, limit=3)
    assert [memo(v) for v in range(10)] == [v * 2 for v in range(10)]
    assert len(memo._memo) <= 3


def test_trivy_vectors_memoised_equal_uncached() -> None:
    items = [
        trivy_vuln(vectors={"nvd": V_NET, "redhat": V_LOCAL}, severity_source="redhat"),
        trivy_vuln(vectors={"nvd": V_NET, "redhat": V_LOCAL}, severity_source="nvd"),
        trivy_vuln(vectors={"ghsa": V_LOCAL}),
        trivy_vuln(vectors={}),
        {"CVSS": {"nvd": {"V3Vector": V_NET, "V3Score": 9}}},
        {"CVSS": {"nvd": {"V3Vector": V_NET, "V3Score": 9.0}}},
        {"CVSS": {"nvd": {"V3Vector": V_NET, "V3Score": True}}},
        {"CVSS": "not an object"},
    ]
    for item in items * 2:
        expected = trivy_parser._read_vectors(item.get("CVSS"), item.get("SeveritySource"))
        assert trivy_parser._vectors(item) == expected


def test_inspector_vectors_memoised_equal_uncached() -> None:
    adjusted = {"scoreSource": "REDHAT", "score": 7.5, "scoringVector": V_LOCAL}
    listed = [{"source": "NVD", "baseScore": 9.8, "scoringVector": V_NET},
              {"source": "REDHAT", "baseScore": 7.5, "scoringVector": V_LOCAL}]
    for args in [(adjusted, listed), ({}, listed), (adjusted, []), ({}, [])] * 2:
        assert inspector_parser._VECTORS(*args, "baseScore") == \
            inspector_parser.vectors(*args, "baseScore")


def test_shared_ids_equal_canonical_ids() -> None:
    cases = [("CVE-2023-1", ()), ("GHSA-x", ("cve-2023-2", "GHSA-x")), ("ALAS-1", ("ALAS-2",)),
             ("MAL-2024-1", ()), ("GHSA-y", ("MAL-2024-2",)), (" cve-2023-3 ", ("CVE-2023-3",))]
    for primary, aliases in cases * 2:
        vuln_id, others = canonical_id(primary, aliases)
        malicious = any(i.upper().startswith("MAL-") for i in (vuln_id, *others))
        assert shared_ids(primary, aliases) == (vuln_id, others, malicious)


def test_shared_numbers_keep_value_and_sign() -> None:
    assert number("7.5") == 7.5 and number(7.5) is number("7.5")
    negative, positive = number("-0.0"), number(0.0)
    assert negative is not None and positive is not None
    assert math.copysign(1, negative) == -1 and math.copysign(1, positive) == 1  # not shared
    assert number(True) is None and number("x") is None


def _scan_assessor(store: VulnerabilityStore) -> VulnerabilityAssessor:
    """The assessor a new scan of ``store`` uses (its own memo)."""
    return assessor(store, SETTINGS.epss_threshold, SETTINGS.today, ScanMemo())


def _assessor(*docs: Any) -> VulnerabilityAssessor:
    return _scan_assessor(inventory_of(*docs).vulnerabilities)


def test_signals_memo_equal_uncached_and_follow_intel() -> None:
    docs = [trivy(WEB, [trivy_vuln("CVE-2023-1"), trivy_vuln("CVE-2023-2", package="zlib"),
                        trivy_vuln("CVE-2023-1", package="zlib")], digest=DIGEST_A),
            inspector(inspector_finding("CVE-2023-2", package="zlib", epss=0.5))]
    judge = _assessor(*docs)
    records = [r for report in judge.store.reports for r in report.vulnerabilities]
    for record in records * 2:
        assert judge._signals_of(record) == signals(record, judge.intel)
    before = [judge.weigh(r) for r in records]
    assert not any(a.kev for a in before)
    judge.intel.kev["CVE-2023-1"] = KevEntry("CVE-2023-1", "2024-01-02")
    judge = _scan_assessor(judge.store)  # a later scan, with the intel loaded since
    after = [judge.weigh(r) for r in records]
    assert [a.kev for a in after] == [r.id == "CVE-2023-1" for r in records]
    fresh = _assessor(*docs)
    fresh.intel.kev["CVE-2023-1"] = KevEntry("CVE-2023-1", "2024-01-02")
    assert after == [fresh.weigh(r) for r in records]


def test_signals_memo_checks_the_vector_tuple() -> None:
    judge = _assessor(trivy(WEB, [trivy_vuln("CVE-2023-1")], digest=DIGEST_A))
    record = judge.store.reports[0].vulnerabilities[0]
    local = replace(record, cvss=tuple(replace(v, vector=V_LOCAL) for v in record.cvss))
    assert judge.weigh(record).network is True
    assert judge.weigh(local).network is False  # same id, another tuple: not reused
    assert judge.weigh(record).network is True


def test_images_resolving_to_the_same_reports_share_one_assessment() -> None:
    docs = [trivy(WEB, [trivy_vuln("CVE-2023-1"), trivy_vuln("CVE-2023-2", package="zlib")],
                  digest=DIGEST_A)]
    judge = _assessor(*docs)
    by_tag = judge.assess(WEB)
    by_other_spelling = judge.assess(f"{ECR}/web:1.0@{DIGEST_A}")
    assert by_tag.matched_by == "tag" and by_other_spelling.matched_by == "digest"
    assert by_tag is not by_other_spelling  # matched differently: assessed apart
    assert judge.assess(f"{ECR}/web@{DIGEST_A}") is by_other_spelling
    fresh = _assessor(*docs)
    assert fresh.assess(f"{ECR}/web@{DIGEST_A}") == by_other_spelling
    assert fresh.assess(WEB) == by_tag


def test_containers_sharing_an_image_get_the_traits_each_would_get_alone() -> None:
    report = trivy(WEB, [trivy_vuln("CVE-2023-1"), trivy_vuln("CVE-2023-2", package="zlib",
                                                              vectors={"nvd": V_LOCAL})],
                   digest=DIGEST_A)
    shared = td_traits(task_definition(containers=[container("a", image=WEB),
                                                   container("b", image=WEB)]), report)
    alone = td_traits(task_definition(containers=[container("b", image=WEB)]), report)
    vulnerability_ids = {"exploitable-vulnerability", "software-vulnerability"}
    from_b = [t for t in shared if t.container == "b" and t.id in vulnerability_ids]
    expected = [replace(t, pointer=t.pointer.replace("/0/", "/1/"),
                        file_pointer=(t.file_pointer or "").replace("/0/", "/1/") or None)
                for t in alone if t.id in vulnerability_ids]
    assert from_b and from_b == expected


def test_top_vulnerabilities_equal_a_full_sort() -> None:
    vulns = [trivy_vuln(f"CVE-2023-{n}", package=f"pkg{n % 3}",
                        vectors={"nvd": V_NET if n % 2 else V_LOCAL},
                        severity=("LOW", "HIGH", "CRITICAL")[n % 3]) for n in range(12)]
    other = f"{ECR}/api:2.0"
    judge = _assessor(trivy(WEB, vulns, digest=DIGEST_A),
                      trivy(other, vulns[3:9], digest="sha256:" + "d4" * 32),
                      inspector(inspector_finding("CVE-2023-5", package="pkg2", exploit="YES")))
    entries = [ContainerVulnerabilities(name, image, "td", judge.assess(image))
               for name, image in (("b", WEB), ("a", other), ("c", WEB))]
    every = sorted(((c.container, a) for c in entries for a in c.assessment.vulnerabilities),
                   key=lambda pair: (pair[1].rank(), pair[1].record.id, pair[0]))
    for limit in range(1, 8):
        assert top_vulnerabilities(entries, limit) == every[:limit]
