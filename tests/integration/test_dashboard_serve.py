"""``ecs-exposure serve`` as a process: on loopback it answers only this machine's host names;
with a token file every request needs a token; a bad token file is a usage error naming the
file and line, never the token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ecs_exposure.store.engine import open_store
from support.dashboard_server import environment, serving
from support.dashboard_store import demo_pair

TOKEN = "team-token-0123456789abcdef"


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'store.db'}"
    with open_store(url) as store:
        demo_pair(store)
    return url


def test_loopback_answers_only_local_host_names(store_file: str) -> None:
    with serving(store_file) as base:
        assert httpx.get(base + "findings", timeout=60).status_code == 200
        foreign = httpx.get(base, headers={"host": "rebind.attacker.example"}, timeout=60)
        assert foreign.status_code == 400
        headers = httpx.get(base, timeout=60).headers
        assert "server" not in headers
        assert headers["content-security-policy"].startswith("default-src 'self'")


def test_a_token_file_makes_every_request_need_a_token(store_file: str, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"team-web {TOKEN}\n", encoding="utf-8")
    with serving(store_file, "--token-file", str(tokens)) as base:
        assert httpx.get(base, timeout=60).status_code == 401
        answer = httpx.get(base, headers={"authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert answer.status_code == 200 and "Overview" in answer.text


def test_a_bad_token_file_is_a_usage_error(store_file: str, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("team-web tooshort\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "ecs_exposure", "serve", "--store", store_file,
                           "--token-file", str(tokens)], capture_output=True, text=True,
                          timeout=120, check=False, env=environment())
    assert proc.returncode == 2
    assert f"{tokens}:1" in proc.stderr and "tooshort" not in proc.stderr


def test_a_port_in_use_is_a_usage_error(store_file: str) -> None:
    with serving(store_file) as base:
        port = base.rsplit(":", 1)[1].strip("/")
        proc = subprocess.run([sys.executable, "-m", "ecs_exposure", "serve", "--store",
                               store_file, "--port", port], capture_output=True, text=True,
                              timeout=120, check=False, env=environment())
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
