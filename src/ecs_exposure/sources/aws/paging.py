"""Bounded pagination: a listing that does not end is an error, never a hang.

botocore's paginator stops only when a page carries no token, and catches only a token that
comes back twice in a row; a server answering A, B, A, B… or a new token every time keeps it
going forever. Every listing we make goes through :func:`bounded`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

MAX_PAGES = 1000
"""Pages one listing may take (100,000 services of one cluster at ECS's 100 a page)."""
PAGE_TOKENS = ("nextToken", "NextToken", "NextMarker", "Marker")
"""Where the services we list put the token of the next page."""


class UnreadableAnswer(Exception):
    """An answer that does not account for what was asked (ids left out, a body that did not
    parse), or a listing that does not end: recorded like a failed call, never read as
    "nothing there"."""


def bounded(pages: Iterable[Any], max_pages: int | None = None) -> Iterator[Any]:
    """``pages`` until the last, or :class:`UnreadableAnswer` once a page token repeats or
    ``max_pages`` (default :data:`MAX_PAGES`) pages still point to another."""
    limit = MAX_PAGES if max_pages is None else max_pages
    tokens: set[str] = set()
    for number, page in enumerate(pages, 1):
        yield page
        token = next((str(page[k]) for k in PAGE_TOKENS if page.get(k)), None)
        if token is None:
            continue
        if token in tokens:
            raise UnreadableAnswer(f"page {number} repeats an earlier page token; the "
                                   "listing was stopped")
        if number >= limit:
            raise UnreadableAnswer(f"the listing did not end after {limit} pages and was "
                                   "stopped")
        tokens.add(token)
