"""Shared pytest configuration: the fixtures every test gets, and the plugins it loads.

Builders of API-shaped inputs live in :mod:`support.builders`; servers and estates in
:mod:`support`.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ["support.aws_fixtures"]
"""The moto server and seeded AWS estate (``support/aws_fixtures.py``) for live-collection
tests."""


@pytest.fixture(autouse=True)
def isolated_intel_cache(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans read the user's exploit-intelligence cache; tests must never see a real one."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("ECS_EXPOSURE_INTEL_DIR", raising=False)


@pytest.fixture
def demo_dir() -> Any:
    from importlib.resources import files

    return files("ecs_exposure") / "demo"
