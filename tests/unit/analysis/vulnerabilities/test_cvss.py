"""The CVSS parser accepts exactly the vectors each version's specification allows (checked
against the PyPI ``cvss`` package on every vector of the project's scanner reports and on
thousands of generated ones, see :mod:`support.cvss_corpus`), and reads the same metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecs_exposure.analysis.vulnerabilities.cvss import (
    GRAMMARS,
    CvssVector,
    parse_vector,
    read_metrics,
)
from support import ROOT, TESTS
from support.cvss_corpus import (
    SPECS,
    expected,
    generated,
    report_vectors,
    source_vectors,
    version_of,
)

if str(ROOT) not in sys.path:  # bench/ is a folder of scripts beside src/, not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402

V2_AUTH_TO_PR = {"N": "N", "S": "L", "M": "H"}


@pytest.mark.parametrize("vector,version,av,pr,ui", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", "N", "N", "N"),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H", "3.0", "L", "L", "R"),
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:C/C:L/I:N/A:N/E:P/RL:O", "3.1", "A", "H", "N"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", "N", "N", "P"),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", "N", "N", None),
    ("(AV:L/AC:M/Au:S/C:C/I:C/A:C)", "2.0", "L", "L", None),
    ("AV:N/AC:L/Au:M/C:N/I:N/A:P", "2.0", "N", "H", None),
    # v2 temporal and environmental metrics (values of several letters, ND for not defined)
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:POC/RL:OF/RC:C", "2.0", "N", "N", None),
    ("AV:L/AC:M/Au:S/C:C/I:C/A:C/E:ND/RL:TF/RC:UR/CDP:LM/TD:H/CR:H/IR:ND/AR:L",
     "2.0", "L", "L", None),
    ("(AV:A/AC:H/Au:N/C:N/I:N/A:C/E:F/RL:W/RC:UC)", "2.0", "A", "N", None),
    # v3.x temporal and environmental metrics, in any order; the base metrics are the ones read
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:F/RL:X/RC:C/CR:H/MAV:N/MPR:N/MS:X",
     "3.1", "L", "L", "N"),
    ("CVSS:3.0/S:C/C:H/I:H/A:H/UI:R/PR:H/AC:L/AV:P/E:U", "3.0", "P", "H", "R"),
    ("CVSS:3.1/E:H/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "3.1", "N", "N", "N"),
    # v4.0 threat, environmental and supplemental metrics, in the specification's order
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/S:N/AU:Y/U:Red",
     "4.0", "N", "N", "N"),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:L/SI:H/SA:N/E:P/CR:H/IR:X/AR:M/"
     "MAV:N/MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/S:P/AU:N/R:I/V:C/"
     "RE:H/U:Clear", "4.0", "L", "L", "A"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/"
     "MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/"
     "RE:X/U:X", "4.0", "N", "L", "N"),      # every optional metric, not defined
])
def test_vectors_parse(vector: str, version: str, av: str, pr: str, ui: str | None) -> None:
    metrics = parse_vector(vector)
    assert metrics is not None
    assert (metrics.version, metrics.attack_vector, metrics.privileges_required,
            metrics.user_interaction) == (version, av, pr, ui)


@pytest.mark.parametrize("vector", [
    "", "garbage", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      # unknown value
    "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                # repeated metric
    "CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                          # no attack vector
    "CVSS:9.9/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                     # unknown version
    "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                              # v3 body without prefix
    "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H",                      # v4 missing metrics
    "CVSS:3.1/" + "X:Y/" * 200,
    "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                     # lower-case value
    "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                     # lower-case prefix
    "CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                     # lower-case name
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y",                # unknown metric
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N",                # a v4 metric in v3
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:POC",               # a v2 value in v3
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",                    # trailing slash
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N//S:U/C:H/I:H/A:H",                    # empty field
    " CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                    # stray space
    "AV:N/AC:L/Au:N/C:P/I:P/A:P/PR:N",                                  # a v3 metric in v2
    "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X",                                   # a v3 value in v2
    "AV:A/AC:L/Au:N/A:C/I:C/C:C",                                       # v2 out of order
    "AV:N/AC:L/Au:N/C:P/I:P/A:P/RL:OF/E:POC",                           # v2 out of order
    "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",                              # v2 has no prefix
    "(CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)",                   # parentheses: v2 only
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N",  # v4 out of order
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:N/E:A",  # v4 order
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:RED",    # case
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S",    # S: MSI/MSA
])
def test_malformed_vectors_are_rejected(vector: str) -> None:
    assert parse_vector(vector) is None
    assert CvssVector(vector, "nvd").metrics is None


def test_the_grammars_are_the_cvss_package_tables() -> None:
    """Same metrics, in the same (specification) order, with the same values and base metrics;
    only whether the order is mandatory is ours, from the specifications."""
    for version, spec in SPECS.items():
        grammar = GRAMMARS[version]
        assert grammar.prefix == spec.prefix
        assert list(grammar.values) == list(spec.values)
        assert {n: set(v) for n, v in grammar.values.items()} == \
               {n: set(v) for n, v in spec.values.items()}
        assert grammar.mandatory == spec.mandatory and grammar.ordered == spec.ordered


def _disagreements(verdicts: dict[str, dict[str, str] | None], origins: dict[str, str]
                   ) -> list[str]:
    """Every vector the parser judges or reads differently from the specification's verdict
    (its metrics, ``None`` for an invalid vector)."""
    wrong = []
    for text, want in verdicts.items():
        origin = origins.get(text, "scanner reports")
        got = read_metrics(text)
        metrics = parse_vector(text)
        if want is None:
            if got is not None or metrics is not None:
                wrong.append(f"accepted invalid {text!r} ({origin})")
            continue
        version = version_of(text)
        if got != (version, want) or metrics is None:
            wrong.append(f"rejected or misread valid {text!r} ({origin}): {got}")
            continue
        pr = V2_AUTH_TO_PR[want["Au"]] if version == "2.0" else want["PR"]
        if (metrics.version, metrics.attack_vector, metrics.privileges_required,
                metrics.user_interaction) != (version, want["AV"], pr, want.get("UI")):
            wrong.append(f"misread {text!r} ({origin}): {metrics}")
    return wrong


@pytest.fixture(scope="module")
def real_vectors(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every vector occurrence in the reports the project holds or generates."""
    estate = tmp_path_factory.mktemp("estate") / "estate"
    generate(estate, 40, 3000, seed=1)
    this_file = Path(__file__).resolve()
    sources = [p for p in sorted(TESTS.rglob("*.py")) if p.resolve() != this_file]
    return (report_vectors(ROOT / "src" / "ecs_exposure" / "demo" / "vulns")
            + report_vectors(TESTS) + source_vectors(sources)
            + report_vectors(estate / "vulns"))


def test_real_report_vectors_match_the_specification(real_vectors: list[str]) -> None:
    verdicts = {text: expected(text) for text in real_vectors}
    assert len(real_vectors) > 3000 and len(verdicts) > 15
    assert {version_of(v) for v in verdicts} >= {"2.0", "3.1", "4.0"}
    assert _disagreements(verdicts, {}) == []


def test_generated_vectors_match_the_specification() -> None:
    origins = generated()
    verdicts = {text: expected(text) for text in origins}
    valid = sum(metrics is not None for metrics in verdicts.values())
    assert len(verdicts) > 15_000 and 9_000 < valid < len(verdicts) - 6_000
    # The corrections of the cvss package's verdict are exercised both ways.
    assert any(v.startswith("(") and m is not None for v, m in verdicts.items())
    assert any(m is None and origins[v].startswith(("v2.0 shuffled", "v4.0 shuffled"))
               for v, m in verdicts.items())
    wrong = _disagreements(verdicts, origins)
    assert wrong == [], f"{len(wrong)} disagreements, e.g. {wrong[:10]}"
