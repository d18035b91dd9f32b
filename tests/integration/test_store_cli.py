"""The findings store through the real commands, on SQLite and on a real PostgreSQL server:
two scans of the demo estate with one fix in between, a store suppression honoured by the next
``scan --fail-on``, ``history``, ``diff`` in every format, retention, and no secret stored."""

from __future__ import annotations

import json
import shutil
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from ecs_exposure.cli import main
from ecs_exposure.store import queries
from ecs_exposure.store.engine import open_store
from ecs_exposure.store.record import record
from support.postgres import PostgresServer
from support.store_documents import document, finding

STOREFRONT = "arn:aws:ecs:us-east-1:111122223333:service/prod/storefront-web"
LOG_ROUTER = "arn:aws:ecs:us-east-1:111122223333:service/prod/log-router"
SECRET = "PlantedS3cret-Value-4711-xyz"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def fixed_demo(tmp_path: Path) -> list[str]:
    """A copy of the demo estate with one fix: the log router no longer sends its password
    in plain text (the only weakness of the log-router finding)."""
    with as_file(files("ecs_exposure") / "demo") as demo:
        shutil.copytree(demo, tmp_path / "demo")
    path = tmp_path / "demo" / "ecs" / "task-definitions" / "log-router-8.json"
    doc = json.loads(path.read_text())
    options = doc["taskDefinition"]["containerDefinitions"][0]["logConfiguration"]["options"]
    del options["http_passwd"]
    path.write_text(json.dumps(doc))
    return sorted(str(p) for p in (tmp_path / "demo").iterdir() if p.is_dir())


def test_two_demo_scans_with_one_fix_show_one_finding_resolved(store_url: str,
                                                               tmp_path: Path) -> None:
    first = run("scan", "--demo", "--format", "json", "--store", store_url)
    assert first.exit_code == 0, first.stderr
    assert "recorded scan 1 in " in first.stderr and "11 new" in first.stderr
    second = run("scan", *fixed_demo(tmp_path), "--format", "json", f"--store={store_url}")
    assert second.exit_code == 0, second.stderr
    assert "recorded scan 2" in second.stderr

    changes = json.loads(run("diff", "--store", store_url, "--format", "json").stdout)
    assert (changes["older"]["id"], changes["newer"]["id"]) == (1, 2)
    assert changes["counts"] == {"new": 0, "regressed": 0, "resolved": 1, "unverified": 0,
                                 "changed": 0, "active": 10}
    assert [c["resource"]["arn"] for c in changes["resolved"]] == [LOG_ROUTER]

    markdown = run("diff", "1", "2", "--store", store_url, "--format", "markdown").stdout
    assert "#### Resolved (1)" in markdown and "0 new, 0 regressed, 1 resolved" in markdown
    table = run("diff", "--store", store_url).stdout
    assert "Resolved (1)" in table and "log-router" in table

    history = json.loads(run("history", "--store", store_url, "--format", "json").stdout)
    assert [(s["scan"], s["states"]["resolved"], s["states"]["active"])
            for s in history["scans"]] == [(2, 1, 10), (1, 0, 0)]
    assert "111122223333" in run("history", "--store", store_url).stdout


def test_a_store_suppression_is_honoured_by_the_next_scan(store_url: str) -> None:
    gate = run("scan", "--demo", "--format", "json", "--fail-on", "critical",
               "--store", store_url)
    assert gate.exit_code == 1
    storefront = next(f for f in json.loads(gate.stdout)["findings"]
                      if f["resource"]["arn"] == STOREFRONT)
    with open_store(store_url) as store:
        queries.suppress(store, storefront["id"], "behind a WAF; SEC-1234", "alice",
                         owner="platform")
    with open_store(store_url) as store:           # the suppression survives reopening
        assert [s.finding_id for s in queries.suppressions(store)] == [storefront["id"]]

    again = run("scan", "--demo", "--format", "json", "--fail-on", "critical",
                "--store", store_url, "--store-retention", "1")
    assert again.exit_code == 0, again.stderr
    assert "1 older scan(s) removed" in again.stderr
    marked = next(f for f in json.loads(again.stdout)["findings"] if f["id"] == storefront["id"])
    assert marked["status"] == "suppressed"
    [rule] = marked["suppressed_by"]
    assert (rule["reason"], rule["owner"], rule["match"]) == (
        "behind a WAF; SEC-1234", "platform", {"id": storefront["id"]})
    history = json.loads(run("history", "--store", store_url, "--format", "json").stdout)
    assert [(s["scan"], s["states"]["suppressed"]) for s in history["scans"]] == [(2, 1)]


def _task_definition_with_a_secret(tmp_path: Path) -> Path:
    path = tmp_path / "td.json"
    path.write_text(json.dumps({"taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/app:1",
        "family": "app", "revision": 1, "containerDefinitions": [{
            "name": "app", "image": "nginx:1.27", "privileged": True,
            "environment": [{"name": "DB_PASSWORD", "value": SECRET}]}]}}))
    return path


def _stored_text(store_url: str, server: Any) -> str:
    url = make_url(store_url)
    if url.drivername.startswith("sqlite"):
        folder = Path(str(url.database)).parent
        return "".join(p.read_bytes().decode("latin-1") for p in folder.glob("store.db*"))
    assert isinstance(server, PostgresServer)
    return server.dump(str(url.database))


def test_the_store_never_holds_a_secret(store_url: str, tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    scanned = run("scan", str(_task_definition_with_a_secret(tmp_path)), "--format", "json",
                  "--store", store_url)
    assert scanned.exit_code == 0, scanned.stderr
    traits = {t["id"] for f in json.loads(scanned.stdout)["task_definition_findings"]
              for t in f["traits"]}
    assert "plaintext-credentials" in traits         # the secret was seen, and masked
    server = (request.getfixturevalue("postgres_server")
              if store_url.startswith("postgresql") else None)
    stored = _stored_text(store_url, server)
    assert "DB_PASSWORD" in stored                     # the rows are really there
    assert SECRET not in stored and SECRET[:12] not in stored


def test_a_bare_store_records_in_the_user_data_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    scanned = run("scan", str(_task_definition_with_a_secret(tmp_path)), "-q", "--format",
                  "json", "--store")
    assert scanned.exit_code == 0 and scanned.stderr == ""
    assert (tmp_path / "ecs-exposure" / "store.db").is_file()
    listed = json.loads(run("history", "--format", "json").stdout)
    assert [s["scan"] for s in listed["scans"]] == [1]


@pytest.mark.parametrize(("args", "message"), [
    (("--store", "mysql://scanner:hunter2-pw@db/ecs"), "unsupported database 'mysql'"),
    (("--store-retention", "5"), "--store-retention needs --store"),
    (("--store", "--store-retention", "soon"), "is not N (scans) or Nd (days)"),
])
def test_store_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = run("scan", "--demo", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "hunter2-pw" not in result.stderr


def test_diff_and_history_need_a_store_with_scans(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert "No scan recorded" in run("history", "--store", url).stdout
    result = run("diff", "--store", url)
    assert result.exit_code == 2 and "a diff needs two" in result.stderr


def test_diff_markdown_keeps_hostile_names_inert(store_url: str) -> None:
    hostile = "x | <img src=x onerror=alert(1)> `run` [click](http://evil.example)"
    with open_store(store_url) as store:
        record(store, document(finding("web")))
        record(store, document(finding("web"), finding("evil", title=hostile)))
    markdown = run("diff", "--store", store_url, "--format", "markdown").stdout
    row = next(line for line in markdown.splitlines() if "onerror" in line)
    assert "<img" not in row and "&lt;img" in row
    assert "x \\| " in row and "\\`run\\`" in row and "\\[click\\]" in row
    assert row.count(" | ") == 3                      # the table keeps its four cells


def test_the_config_file_can_name_the_store(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    (tmp_path / ".ecs-exposure.yaml").write_text(
        f"version: 1\noptions:\n  scan:\n    store: \"{url}\"\n    store-retention: \"2\"\n")
    monkeypatch.chdir(tmp_path)
    td = str(_task_definition_with_a_secret(tmp_path))
    for _ in range(3):
        assert run("scan", td, "--format", "json").exit_code == 0
    listed = json.loads(run("history", "--store", url, "--format", "json").stdout)
    assert [s["scan"] for s in listed["scans"]] == [3, 2]
