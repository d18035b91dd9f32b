"""A dashboard over a store holding the demo estate scanned twice (one fix in between) and a
hostile finding, on SQLite and on the throwaway PostgreSQL server."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

with warnings.catch_warnings():      # Starlette 1.x prefers httpx2; httpx is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.store.record import record
from ecs_exposure.web.app import create_app
from ecs_exposure.web.security import Access
from support.dashboard_store import demo_pair, hostile_finding
from support.store_documents import demo_document

BASE = "http://127.0.0.1:8000"


@dataclass
class Dashboard:
    store: Store
    client: TestClient
    access: Access
    older: int
    newer: int


@pytest.fixture
def dashboard(store_url: str) -> Iterator[Dashboard]:
    with open_store(store_url) as store:
        older, _ = demo_pair(store)
        doc = demo_document()
        doc["findings"] = [*doc["findings"], hostile_finding()]
        doc["generated_at"] = "2026-12-03T00:00:00Z"
        newer = record(store, doc)
        access = Access()
        client = TestClient(create_app(store, access), base_url=BASE)
        yield Dashboard(store, client, access, older, newer)
