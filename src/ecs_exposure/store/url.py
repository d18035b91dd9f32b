"""Where the store is: a SQLAlchemy URL, or the default embedded SQLite file.

The default lives in the user's data folder (``platformdirs``: ``$XDG_DATA_HOME/ecs-exposure``
on Linux), so a bare ``--store`` keeps history without any setup. ``postgresql://`` is mapped to
the psycopg 3 driver, the one this package depends on, so a URL copied from ``psql`` works.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ecs_exposure.errors import StoreError

DEFAULT_FILE = "store.db"
VARIABLE = "ECS_EXPOSURE_STORE"
"""The store a bare ``--store`` (and ``history``, ``diff`` without ``--store``) opens."""
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "sqlite": "sqlite", "sqlite+pysqlite": "sqlite+pysqlite",
            "postgresql+psycopg": "postgresql+psycopg"}


def default_url() -> URL:
    """The embedded SQLite file in the user's data folder."""
    return make_url(f"sqlite:///{user_data_path('ecs-exposure') / DEFAULT_FILE}")


def resolve(text: str | None) -> URL:
    """The SQLAlchemy URL of ``text`` (``None`` or empty: ``$ECS_EXPOSURE_STORE``, else the
    default file); an unsupported scheme or a malformed URL is a :class:`StoreError` that
    never repeats a password."""
    text = text or os.environ.get(VARIABLE) or ""
    if not text:
        return default_url()
    try:
        url = make_url(text)
    except ArgumentError:
        raise StoreError("--store: not a database URL (expected sqlite:///PATH or "
                         "postgresql://USER@HOST/DB; a bare --store written before a path "
                         "takes the path as its URL: put --store after the paths, or write "
                         "--store=URL)") from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise StoreError(f"--store: unsupported database {url.drivername!r} "
                         "(sqlite or postgresql)")
    return url.set(drivername=driver)


def describe(url: URL) -> str:
    """The URL as printed and recorded: the password is never shown."""
    return url.render_as_string(hide_password=True)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite store (``None`` in memory or for another back end)."""
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)
