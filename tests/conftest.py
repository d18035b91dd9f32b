"""Shared pytest configuration: the fixtures every test gets, and the plugins it loads.

Builders of API-shaped inputs live in :mod:`support.builders`; servers and estates in
:mod:`support`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from support import FINGERPRINT_KEY

pytest_plugins = ["support.aws_fixtures", "support.postgres"]
"""The moto server and seeded AWS estate (``support/aws_fixtures.py``) for live-collection
tests; the throwaway PostgreSQL server and the two-back-end ``store_url`` of the store tests
(``support/postgres.py``)."""

# The fingerprint key of every test (and every CLI the tests start): golden files hold secret
# fingerprints, which must not depend on the machine's own key. Pinned before any test module
# imports the scanner, through the variable users and CI pin it with.
_KEY_DIR = Path(tempfile.mkdtemp(prefix="ecs-exposure-test-key-"))
atexit.register(shutil.rmtree, _KEY_DIR, True)
(_KEY_DIR / "fingerprint.key").write_text(FINGERPRINT_KEY.hex() + "\n", encoding="ascii")
os.environ["ECS_EXPOSURE_FINGERPRINT_KEY_FILE"] = str(_KEY_DIR / "fingerprint.key")


@pytest.fixture(autouse=True)
def isolated_intel_cache(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans read the user's exploit-intelligence cache; tests must never see a real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("ECS_EXPOSURE_INTEL_DIR", raising=False)


@pytest.fixture(autouse=True)
def isolated_store(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare ``--store`` records into the user's data folder: never the real one."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("ECS_EXPOSURE_STORE", raising=False)


@pytest.fixture
def demo_dir() -> Any:
    from importlib.resources import files

    return files("ecs_exposure") / "demo"
