"""One end-of-life table for both sources of ``end-of-life-os`` (archive and scanner report)."""

from __future__ import annotations

from datetime import date

import pytest

from ecs_exposure.analysis.os_eol import (
    LIFECYCLES,
    SOURCES,
    end_of_life,
    end_of_life_reason,
)


def test_every_row_has_a_source_and_ordered_dates() -> None:
    assert set(LIFECYCLES) == set(SOURCES)
    for family, rows in LIFECYCLES.items():
        for release, support in rows.items():
            assert support.extended is None or support.extended > support.regular, \
                (family, release)
            assert support.extended_public is False or support.extended is not None


def test_the_trait_uses_public_fixes_debian_lts_but_not_paid_programmes() -> None:
    bookworm = LIFECYCLES["debian"]["12"]
    assert bookworm.public_end == bookworm.extended == date(2028, 6, 30)
    assert bookworm.regular == date(2026, 6, 10)
    bionic = LIFECYCLES["ubuntu"]["18.04"]   # ESM needs an Ubuntu Pro subscription
    assert bionic.extended is not None and bionic.public_end == bionic.regular
    assert end_of_life("debian", "12.5", date(2026, 12, 7)) is None
    ended = end_of_life("debian", "12", date(2028, 7, 1))
    assert ended is not None and ended.ended == date(2028, 6, 30)


@pytest.mark.parametrize("scanner,archive", [
    (("debian", "12.5"), ("debian", "12")),
    (("amazon", "2023.6.20241010"), ("amzn", "2023")),
    (("amazon", "2018.03"), ("amzn", "2018.03")),
    (("redhat", "9.4"), ("rhel", "9.4")),
    (("alpine", "3.16.9"), ("alpine", "3.16.9")),
])
@pytest.mark.parametrize("today", [date(2024, 1, 1), date(2026, 12, 7), date(2033, 1, 1)])
def test_scanner_and_os_release_spellings_decide_alike(scanner: tuple[str, str],
                                                       archive: tuple[str, str],
                                                       today: date) -> None:
    from_report = end_of_life(*scanner, today)
    from_archive = end_of_life(*archive, today)
    assert (from_report is None) == (from_archive is None)
    if from_report is not None and from_archive is not None:
        assert from_report.ended == from_archive.ended


def test_unknown_rolling_and_older_releases() -> None:
    assert end_of_life("wolfi", "20230201", date(2030, 1, 1)) is None
    assert end_of_life("gentoo", "2.15", date(2030, 1, 1)) is None
    assert end_of_life("debian", "", date(2030, 1, 1)) is None
    old = end_of_life("debian", "7", date(2024, 1, 1))
    assert old is not None and old.older_than_table and old.release == "8"
    assert end_of_life_reason("debian", "7", None, date(2024, 1, 1)) == \
        "debian 7 is older than debian 8, which reached end of life on 2020-06-30"
    assert end_of_life_reason("alpine", "3.16.9", True, date(2020, 1, 1)) == \
        "the scanner reports alpine 3.16.9 as past end of service life"
