from __future__ import annotations

import pytest

from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector, parse_vector


@pytest.mark.parametrize("vector,version,av,pr,ui", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", "N", "N", "N"),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H", "3.0", "L", "L", "R"),
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:C/C:L/I:N/A:N/E:P/RL:O", "3.1", "A", "H", "N"),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", "N", "N", "P"),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", "N", "N", None),
    ("(AV:L/AC:M/Au:S/C:C/I:C/A:C)", "2.0", "L", "L", None),
    ("AV:N/AC:L/Au:M/C:N/I:N/A:P", "2.0", "N", "H", None),
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
])
def test_malformed_vectors_are_rejected(vector: str) -> None:
    assert parse_vector(vector) is None
    assert CvssVector(vector, "nvd").metrics is None
