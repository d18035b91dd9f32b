"""Opening a store: migrations run on open, the first revision's store upgrades with its data,
the migrations build exactly the models, and errors never show a password."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from ecs_exposure.errors import StoreError
from ecs_exposure.store import queries
from ecs_exposure.store.engine import open_store
from ecs_exposure.store.migrations.versions.v3_search_column import TRIGRAM_INDEX
from ecs_exposure.store.record import record
from ecs_exposure.store.schema import Base
from ecs_exposure.store.url import default_url, resolve
from support.store_documents import document, finding


def _revision(url: str) -> str | None:
    with open_store(url, revision="v1") as store, store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _downgrade(url: str, revision: str) -> None:
    """Take a store written by this version back to an older revision (its rows stay), as
    an older ecs-exposure would have left it."""
    with open_store(url) as store, as_file(files("ecs_exposure.store") / "migrations") as path:
        config = Config()
        config.set_main_option("script_location", str(path))
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)


def test_a_new_store_is_at_the_head_revision(store_url: str) -> None:
    with open_store(store_url) as store, store.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "v3"
        assert queries.list_scans(store) == []


def test_the_migrations_build_exactly_the_models(store_url: str) -> None:
    with open_store(store_url) as store, store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": _not_optional}), Base.metadata)
    assert differences == []


def _not_optional(name: str | None, kind: str, parents: object) -> bool:
    """The PostgreSQL trigram index exists only where ``pg_trgm`` could be created."""
    return name != TRIGRAM_INDEX


def test_a_store_of_the_first_revision_is_migrated_on_open_with_its_data(
        store_url: str) -> None:
    with open_store(store_url) as current:
        scan_id = record(current, document(finding("web"), finding("api", "CRITICAL")))
    _downgrade(store_url, "v1")
    with open_store(store_url, revision="v1") as old:
        tables = set(inspect(old.engine).get_table_names())
        assert "audit_log" not in tables and "scans" in tables
    assert _revision(store_url) == "v1"

    with open_store(store_url) as store:
        assert "audit_log" in inspect(store.engine).get_table_names()
        indexes = {i["name"] for i in inspect(store.engine).get_indexes("scan_findings")}
        assert {"ix_scan_findings_scan_severity", "ix_scan_findings_finding"} <= indexes
        page = queries.findings(store, scan_id)
        assert [(r.name, r.severity.name) for r in page.items] == [
            ("api", "CRITICAL"), ("web", "HIGH")]
        queries.suppress(store, page.items[0].id, "accepted", "alice")
        assert [a.action for a in queries.audit_log(store)] == ["suppress"]
        with store.engine.connect() as connection:
            assert connection.execute(text("select count(*) from scans")).scalar() == 1


def test_a_store_of_the_second_revision_gets_its_search_column_filled(store_url: str) -> None:
    with open_store(store_url) as current:
        scan_id = record(current, document(finding("Web-Front"), finding("api", "CRITICAL")))
    _downgrade(store_url, "v2")
    with open_store(store_url, revision="v2") as old:
        assert "search" not in {c["name"] for c in inspect(old.engine).get_columns(
            "scan_findings")}
    with open_store(store_url) as store:
        with store.engine.connect() as connection:
            stored = sorted(connection.execute(text("select search from scan_findings")).scalars())
        assert len(stored) == 2 and all("\n" in s and s == s.lower() for s in stored)
        assert any("web-front" in s for s in stored)
        hits = queries.findings(store, scan_id, queries.FindingFilter(text="WEB-fr")).items
        assert [r.name for r in hits] == ["Web-Front"]
        if store.engine.dialect.name == "postgresql":
            indexes = {i["name"] for i in inspect(store.engine).get_indexes("scan_findings")}
            assert TRIGRAM_INDEX in indexes     # the test cluster ships pg_trgm


def test_reopening_a_current_store_changes_nothing(store_url: str) -> None:
    with open_store(store_url) as store:
        record(store, document(finding("web")))
    with open_store(store_url) as store:
        assert [s.findings for s in queries.list_scans(store)] == [1]


def test_postgresql_urls_use_psycopg_3() -> None:
    assert resolve("postgresql://u@db/ecs").drivername == "postgresql+psycopg"
    assert resolve("postgres://u@db/ecs").drivername == "postgresql+psycopg"
    assert resolve("sqlite:///x.db").drivername == "sqlite"


def test_the_default_store_is_in_the_xdg_data_folder(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url().database == str(tmp_path / "ecs-exposure" / "store.db")
    assert resolve(None) == default_url()
    monkeypatch.setenv("ECS_EXPOSURE_STORE", "sqlite:///elsewhere.db")
    assert resolve("").database == "elsewhere.db"


@pytest.mark.parametrize("url", ["mysql://scanner:hunter2-pw@db/ecs", "not a url hunter2-pw"])
def test_an_unusable_url_is_a_store_error_without_the_password(url: str) -> None:
    with pytest.raises(StoreError) as raised:
        resolve(url)
    assert "hunter2-pw" not in str(raised.value)


def test_a_store_that_cannot_be_reached_is_named_without_its_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as raised:
        open_store(f"postgresql://scanner:hunter2-pw@/ecs?host={tmp_path}&connect_timeout=2")
    assert "hunter2-pw" not in str(raised.value)
    assert "postgresql+psycopg://scanner:***@/ecs" in str(raised.value)
