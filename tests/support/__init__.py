"""Builders, fixtures and servers the tests share, and where the test data lives."""

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
"""The ``tests`` folder."""
ROOT = TESTS.parent
"""The project checkout."""
FIXTURES = TESTS / "fixtures"
"""Golden files and schemas the tests compare against."""
REALWORLD = ROOT.parent / "shared" / "realworld"
"""Public ECS task definitions and CloudFormation templates nobody here wrote."""
FINGERPRINT_KEY = bytes(range(32))
"""The fingerprint key of every test (and every CLI the tests start), pinned by conftest."""
