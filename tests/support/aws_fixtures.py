"""A local AWS for the tests: a moto server on 127.0.0.1, reached by boto3 over real HTTP.

Reuse it from any test module (``conftest.py`` registers this module as a plugin)::

    def test_something(aws_estate: Estate, aws_env: dict[str, str]) -> None:
        # boto3 (and `python -m ecs_exposure` given env=aws_env) now talk to the moto server
        ...

Fixtures
  ``moto_server`` (session)  the running :class:`MotoServer`: ``endpoint``, ``requests`` (a log
                             of every call it received) and ``faults`` (fault injection).
  ``aws_estate`` (session)   the seeded :class:`Estate`: two accounts (the second joined
                             through AWS Organizations and reached by assume-role), two
                             regions each, services covering every trait the scanner detects.
  ``aws_env`` (function)     environment variables pointing boto3 at the server (fake
                             credentials, ``AWS_ENDPOINT_URL``, no shared config files), applied
                             to ``os.environ`` for the test and returned for subprocesses.
  ``aws_faults`` (function)  the server's :class:`Faults`, emptied after the test.

Faults are injected *in the server*, in front of moto: a matching request gets a real HTTP error
response in the service's own wire format, so botocore's retry logic, error parsing and the
collector's handling run exactly as against AWS. Example::

    aws_faults.add(Fault("ThrottlingException", service="ecs", operation="DescribeServices",
                         times=2))            # two throttles, then the real answer
    aws_faults.add(Fault("AccessDenied", status=403, service="iam", account=estate.member))

The estate is seeded once per test session, through the same HTTP endpoint, with boto3 only,
and the live-collection tests expect it unchanged: a test that *changes* AWS state (``fix
--apply``) should seed its own resources with :class:`Seeder` in a region the estate does not
use (``Seeder(server, ACCOUNT, "ap-southeast-2")``) rather than modify the shared ones.

Modules: ``aws_server.py`` (the server, request log, faults, moto patches) and
``aws_estate.py`` (the estate and :class:`Seeder`, to seed more); this one holds the fixtures
and re-exports what tests use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.aws_estate import (
    COVERED_TRAITS,
    INTERNAL,
    OPEN_ALL,
    OPEN_HTTP,
    OPEN_HTTPS,
    SCANNER_ROLE,
    SECRETS,
    Estate,
    Seeder,
    ServiceSpec,
    hardened_container,
    seed_estate,
)
from support.aws_server import ACCOUNT, CREDENTIALS, REGIONS, Fault, Faults, MotoServer, Request

__all__ = [
    "ACCOUNT", "COVERED_TRAITS", "CREDENTIALS", "INTERNAL", "OPEN_ALL", "OPEN_HTTP",
    "OPEN_HTTPS", "REGIONS", "SCANNER_ROLE", "SECRETS", "Estate", "Fault", "Faults",
    "MotoServer", "Request", "Seeder", "ServiceSpec", "aws_env", "aws_estate", "aws_faults",
    "hardened_container", "moto_server", "seed_estate",
]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_estate(moto_server: MotoServer) -> Estate:
    return seed_estate(moto_server)


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE",
                 "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    env = moto_server.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **env}


@pytest.fixture
def aws_faults(moto_server: MotoServer) -> Iterator[Faults]:
    moto_server.faults.clear()
    yield moto_server.faults
    moto_server.faults.clear()
