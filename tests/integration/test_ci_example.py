"""The README's GitHub Actions example, run: the workflow and the config file are read from the
README, and every ``ecs-exposure`` step runs, as the runner would (bash, in the checkout), on
a checked-in IaC fixture: the base branch, and a pull request adding a privileged public
service (``tests/fixtures/ci``). Steps that are not ``ecs-exposure`` commands (checkouts,
installing the tool, the SARIF upload) are GitHub's: their inputs are checked instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import FIXTURES, ROOT
from support.sarif_github import github_problems, schema_errors

README = ROOT / "README.md"
CI = FIXTURES / "ci"


def _block(marker: str) -> str:
    """The fenced block right after ``<!-- ci-example:MARKER -->`` in the README."""
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- ci-example:{marker} -->\n```yaml\n(.*?)\n```", text, re.S)
    assert found is not None, f"README has no ci-example:{marker} block"
    return found[1]


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    return yaml.safe_load(_block("workflow"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def config() -> str:
    return _block("config")


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    [job] = workflow["jobs"].values()
    return job["steps"]  # type: ignore[no-any-return]


def _ours(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for s in _steps(workflow) if str(s.get("run", "")).startswith("ecs-exposure ")]


def test_the_workflow_uploads_sarif_from_every_event(workflow: dict[Any, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))        # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and "push" in triggers
    assert workflow["permissions"]["security-events"] == "write"
    steps = _steps(workflow)
    others = [s for s in steps if "run" in s and s not in _ours(workflow)]
    assert [s["name"] for s in others] == ["Install ecs-exposure"]   # nothing else is skipped
    [upload] = [s for s in steps if str(s.get("uses", "")).startswith(
        "github/codeql-action/upload-sarif@")]
    assert upload["if"] == "${{ !cancelled() }}"                     # also after a failure
    assert upload["with"]["sarif_file"] == "reports/results.sarif"
    base = next(s for s in steps if s.get("with", {}).get("path") == "base")
    assert "pull_request.base.sha" in base["with"]["ref"]


def _run_steps(workflow: dict[Any, Any], checkout: Path) -> dict[str, int]:
    """Run the workflow's ``ecs-exposure`` steps in order in ``checkout``, as bash runs them
    (the command is this checkout's package: ``python -m ecs_exposure``); name → exit code.
    A failing step stops the job, as on GitHub."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    prelude = f'ecs-exposure() {{ "{sys.executable}" -m ecs_exposure "$@"; }}\n'
    codes: dict[str, int] = {}
    for step in _ours(workflow):
        command = step["run"]
        assert "${{" not in command, "a step the test cannot run as written"
        done = subprocess.run(["bash", "-e", "-c", prelude + command], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=300)
        codes[step["name"]] = done.returncode
        if done.returncode != 0:                     # a red step says why
            assert "failing: a new or worse finding reaches --fail-on-new high" in done.stderr
            break
    return codes


def _checkout(tmp_path: Path, config: str, base: str) -> Path:
    """The repository as the workflow's two checkouts leave it."""
    checkout = tmp_path / "repo"
    shutil.copytree(CI / "head" / "infra", checkout / "infra")
    shutil.copytree(CI / base / "infra", checkout / "base" / "infra")
    (checkout / ".ecs-exposure.yaml").write_text(config + "\n")
    return checkout


def test_a_pull_request_adding_a_high_finding_fails_and_uploads(
        workflow: dict[Any, Any], config: str, tmp_path: Path) -> None:
    checkout = _checkout(tmp_path, config, "base")
    assert _run_steps(workflow, checkout) == {"Baseline": 0, "Scan": 1}
    log = json.loads((checkout / "reports" / "results.sarif").read_text())
    assert schema_errors(log) == [] and github_problems(log) == []
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == checkout.resolve().as_uri() + "/"
    accepted = yaml.safe_load(config)["suppressions"][0]
    by_service: dict[str, list[dict[str, Any]]] = {}
    for result in run["results"]:
        if "finding" in result["properties"]:
            by_service.setdefault(result["properties"]["resource"].rsplit("/", 1)[1],
                                  []).append(result)
    # the accepted risk: every storefront result suppressed, with the config's reason
    assert by_service["storefront"]
    for result in by_service["storefront"]:
        [suppression] = result["suppressions"]
        assert suppression["justification"] == accepted["reason"]
        assert suppression["properties"]["owner"] == accepted["owner"]
        assert suppression["location"]["physicalLocation"]["artifactLocation"] == {
            "uri": ".ecs-exposure.yaml", "uriBaseId": "%SRCROOT%"}
    # the new exposure: open, new, and located in the template under the source root
    admin = by_service["admin-tool"]
    assert admin and all("suppressions" not in r for r in admin)
    assert {r["baselineState"] for r in admin} == {"new"}
    assert any(r["level"] == "error" for r in admin)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in admin} == {"infra/services.yaml"}
    doc = json.loads((checkout / "reports" / "result.json").read_text())
    assert doc["baseline"]["counts"]["new"] == 1
    assert "admin-tool" in (checkout / "reports" / "report.md").read_text()


def test_a_pull_request_with_nothing_new_passes(workflow: dict[Any, Any], config: str,
                                               tmp_path: Path) -> None:
    checkout = _checkout(tmp_path, config, "head")
    assert _run_steps(workflow, checkout) == {"Baseline": 0, "Scan": 0}
    log = json.loads((checkout / "reports" / "results.sarif").read_text())
    assert github_problems(log) == []
    states = {r.get("baselineState") for r in log["runs"][0]["results"]
              if "finding" in r["properties"]}
    assert states == {"unchanged"}
