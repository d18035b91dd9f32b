"""Off loopback: every request needs an access token, the token moves from the address into
an HttpOnly SameSite cookie, and the audit log names the token's label. The token file's
format is checked line by line."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from ecs_exposure.errors import ConfigError
from ecs_exposure.store import queries
from ecs_exposure.store.engine import open_store
from ecs_exposure.web.app import create_app
from ecs_exposure.web.security import Access, is_loopback, read_tokens
from support.dashboard_store import demo_pair

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TOKEN = "s3cret-token-for-the-team-0123"


def test_a_token_is_needed_and_named_in_the_audit_log(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        _, newer = demo_pair(store)
        access = Access(tokens={TOKEN: "team-web"}, hosts=("*",))
        client = TestClient(create_app(store, access), base_url="http://10.0.0.5:8000")
        assert client.get("/").status_code == 401
        assert client.get("/static/dashboard.css").status_code == 401
        assert client.get("/?token=wrong-token-wrong-token").status_code == 401
        assert client.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        moved = client.get(f"/findings?severity=HIGH&token={TOKEN}", follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/findings?severity=HIGH"
        cookie = moved.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert client.get("/findings").status_code == 200          # the cookie is kept
        finding_id = queries.findings(store, newer).items[0].id
        done = client.post(f"/findings/{finding_id}/suppress", follow_redirects=False,
                           data={"csrf": access.csrf, "reason": "accepted by the team"})
        assert done.status_code == 303
        assert queries.audit_log(store, finding_id)[0].actor == "dashboard token team-web"


def test_token_file(tmp_path: Path) -> None:
    good = tmp_path / "tokens"
    good.write_text(f"# who\nteam-web {TOKEN}\n\nci {TOKEN[::-1]}\n", encoding="utf-8")
    assert read_tokens(good) == {TOKEN: "team-web", TOKEN[::-1]: "ci"}
    bad = tmp_path / "bad"
    bad.write_text("team-web short\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad:1: expected 'LABEL TOKEN'") as error:
        read_tokens(bad)
    assert "short" not in str(error.value)
    with pytest.raises(ConfigError, match="cannot read"):
        read_tokens(tmp_path / "missing")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("10.0.0.5", False), ("example.com", False), ("::", False)])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
