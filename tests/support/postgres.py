"""A real, throwaway PostgreSQL server for the store tests, and the store URL fixture that runs
each store test on SQLite and on it.

The server is started once per test session, only when a test asks for it: ``initdb`` into a
temporary folder, ``pg_ctl start`` listening on a Unix socket in that folder only (no TCP
port), ``fsync`` off; stopped and deleted at the end. PostgreSQL refuses to run as root, so
under root every server command runs as the ``postgres`` user (``runuser``), which owns the
folder. The binaries come from ``pg_config --bindir``, else Debian's
``/usr/lib/postgresql/*/bin``, else the PATH; ``scripts/test.sh`` installs Debian's
``postgresql`` when it is missing. Without one, the PostgreSQL half of the tests fails with a
message that says so: the database is never mocked.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

BACKENDS = ("sqlite", "postgresql")


def _bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                               check=False)
        candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    return next((c for c in candidates if (c / "initdb").is_file()
                 and (c / "pg_ctl").is_file()), None)


@dataclass
class PostgresServer:
    """A running throwaway cluster reached over its Unix socket."""

    bindir: Path
    socket_dir: Path
    user: str = "postgres"
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL as a user would write it (the store maps the driver)."""
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}"

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = f"store_{next(self._names)}"
        with psycopg.connect(host=str(self.socket_dir), user=self.user, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def dump(self, database: str) -> str:
        """``pg_dump`` of a database: every table's rows as text."""
        return subprocess.run(
            [str(self.bindir / "pg_dump"), "--host", str(self.socket_dir), "--username",
             self.user, "--no-owner", database],
            capture_output=True, text=True, check=True).stdout


def _as_owner(command: list[str]) -> list[str]:
    """The server refuses root: under root, run as the ``postgres`` user."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *command]
    return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]


class NoPostgres(RuntimeError):
    """No PostgreSQL server binaries, or the cluster would not start (the message says why)."""


@contextmanager
def throwaway_cluster() -> Iterator[PostgresServer]:
    """A new cluster in a temporary folder, on a Unix socket there; stopped and deleted on
    exit. Also used by ``bench/store_write.py``."""
    bindir = _bindir()
    if bindir is None:
        raise NoPostgres("PostgreSQL server binaries (initdb, pg_ctl) not found: install "
                         "Debian's postgresql package (scripts/test.sh does when it is "
                         "missing)")
    root = Path(tempfile.mkdtemp(prefix="ecs-pg-"))
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    log = root / "server.log"
    try:
        subprocess.run(_as_owner([str(bindir / "initdb"), "--pgdata", str(data), "--auth",
                                  "trust", "--username", user, "--encoding", "UTF8",
                                  "--no-locale", "--no-sync"]),
                       capture_output=True, text=True, check=True)
        options = (f"-c listen_addresses='' -c unix_socket_directories={root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "--pgdata", str(data), "--log",
                                  str(log), "--options", options, "--wait", "--timeout", "60",
                                  "start"]), capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as error:
        server_log = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise NoPostgres(f"could not start PostgreSQL: {error.stderr}{server_log}") from None
    try:
        yield PostgresServer(bindir, root, user)
    finally:
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "--pgdata", str(data), "--mode",
                                  "immediate", "--wait", "stop"]),
                       capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The throwaway cluster, started once per session when a test first asks for it."""
    with ExitStack() as stack:
        try:
            server = stack.enter_context(throwaway_cluster())
        except NoPostgres as error:
            pytest.fail(str(error))
        yield server


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store's URL: a SQLite file, or a fresh database on the throwaway server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()
