"""Open a store: connect, migrate to the head revision, hand out sessions.

Migrations run on every open (Alembic, with the revisions shipped in
:mod:`ecs_exposure.store.migrations`), so a store written by an older ecs-exposure is upgraded
by the first newer command that opens it; an already current store costs one version query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ecs_exposure.errors import StoreError
from ecs_exposure.store.url import describe, resolve, sqlite_file

HEAD = "head"
SQLITE_BUSY_SECONDS = 120
"""How long a SQLite writer waits for another one to finish recording its scan."""


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class Store:
    """An open, migrated store: an engine and the factory of its sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def name(self) -> str:
        """The URL without its password, as printed and recorded."""
        return describe(self.engine.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error; database errors become a
        :class:`StoreError` naming the store."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except SQLAlchemyError as error:
                session.rollback()
                raise StoreError(f"store {self.name}: {type(error).__name__}: "
                                 f"{_first_line(error)}") from None

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _first_line(error: SQLAlchemyError) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else "database error"


def _engine(url: URL) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    sqlite = url.drivername.startswith("sqlite")
    engine = create_engine(url, json_serializer=_json, json_deserializer=orjson.loads,
                           connect_args={"timeout": SQLITE_BUSY_SECONDS} if sqlite else {})
    if sqlite:
        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


def migrate(engine: Engine, revision: str = HEAD) -> None:
    """Upgrade the store to ``revision`` (the head by default) with the shipped migrations."""
    with as_file(files("ecs_exposure.store") / "migrations") as scripts:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def open_store(text: str | URL | None = None, *, revision: str = HEAD) -> Store:
    """Open (creating and migrating when needed) the store at ``text``: a SQLAlchemy URL,
    ``None`` for the default file. ``revision``: migrate only that far (tests of migrations)."""
    url = text if isinstance(text, URL) else resolve(text)
    try:
        engine = _engine(url)
        migrate(engine, revision)
    except (SQLAlchemyError, OSError) as error:
        message = _first_line(error) if isinstance(error, SQLAlchemyError) else str(error)
        raise StoreError(f"cannot open the store {describe(url)}: {message}") from None
    return Store(engine)
