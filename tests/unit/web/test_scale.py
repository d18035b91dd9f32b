"""10,000 findings × 30 scans: the findings page asks the database for one page (LIMIT and
OFFSET), never for every row, and renders; the overview renders from the same store. Page
times are measured by ``bench/dashboard.py``, not here."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.web.app import create_app
from support.dashboard_store import large_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FINDINGS, SCANS = 10_000, 30


@pytest.fixture
def big(store_url: str) -> Iterator[tuple[Store, int]]:
    with open_store(store_url) as store:
        yield store, large_store(store, FINDINGS, SCANS, documents=False, record_last=False)


def test_a_findings_page_is_one_limited_query_on_a_large_store(big: tuple[Store, int]) -> None:
    store, newest = big
    client = TestClient(create_app(store), base_url="http://127.0.0.1")
    overview = client.get("/")
    assert overview.status_code == 200 and overview.text.count('<a href="/?scan=') == SCANS
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        page = client.get("/findings?severity=HIGH&sort=name&page=3")
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert page.status_code == 200
    rows = re.findall(r'<tr class="finding-row"', page.text)
    total = int(re.search(r'id="f-total">(\d+)', page.text).group(1))  # type: ignore[union-attr]
    assert len(rows) == 50 and total == FINDINGS // 4
    assert f"page 3 of {-(-total // 50)}" in page.text
    listed = [s for s in statements if "FROM scan_findings" in s]
    assert listed, statements
    for statement in listed:
        assert "count(*)" in statement or ("LIMIT" in statement and "OFFSET" in statement), \
            statement
    assert any("LIMIT" in s and "OFFSET" in s for s in listed)
    assert newest == SCANS
