from __future__ import annotations

import itertools

import pytest

from ecs_exposure.sources.aws.paging import UnreadableAnswer, bounded


def test_a_listing_that_ends_is_read_whole() -> None:
    pages = [{"nextToken": "a", "x": 1}, {"nextToken": "b", "x": 2}, {"x": 3}]
    assert [p["x"] for p in bounded(pages)] == [1, 2, 3]


def test_new_tokens_forever_stop_at_the_bound() -> None:
    endless = ({"NextToken": f"t{n}"} for n in itertools.count())
    with pytest.raises(UnreadableAnswer, match="did not end after 7 pages"):
        list(bounded(endless, max_pages=7))


@pytest.mark.parametrize("key", ["nextToken", "NextToken", "NextMarker", "Marker"])
def test_a_token_cycle_stops_at_the_first_repeat(key: str) -> None:
    cycle = ({key: "AB"[n % 2]} for n in itertools.count())
    with pytest.raises(UnreadableAnswer, match="page 3 repeats"):
        list(bounded(cycle))
