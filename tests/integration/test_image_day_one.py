"""``ecs-exposure image`` on day one: no policy, a starter config from ``init``, the README's
first CI example, and the SARIF/--output forms of the gate."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ecs_exposure.cli import main
from ecs_exposure.detectors.images import MUTABLE, UNSCANNED, UNSIGNED, UNTRUSTED
from support import ROOT
from support.imagebuilder import debian_like, distroless_like, docker_save

ACCOUNT = "111122223333"
ECR = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
CREATED = (datetime.now(UTC) - timedelta(days=3)).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean, non-root distroless image archive, as a build step writes it."""
    path = tmp_path_factory.mktemp("build") / "app.tar"
    docker_save(path, distroless_like(created=CREATED).build(), "app:1.4.2", "v25")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_a_clean_image_passes_without_a_policy_and_says_what_is_not_configured(
        clean: Path) -> None:
    result = run("image", str(clean), "--ref", f"{ECR}/app:1.4.2", "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0, doc["traits"]
    assert doc["verdict"] == "pass"
    unjudged = {t["id"] for t in doc["traits"] if "not_configured" in t}
    assert unjudged == {UNSIGNED.id, UNSCANNED.id, UNTRUSTED.id, MUTABLE.id}
    assert all(not t["gating"] for t in doc["traits"])
    assert {item["trait"] for item in doc["not_configured"]} == unjudged
    assert f"init --account {ACCOUNT}" in next(
        i["how"] for i in doc["not_configured"] if i["trait"] == UNTRUSTED.id)
    assert "PASS" in result.stderr and "not configured" in result.stderr


def test_docker_hub_and_real_weaknesses_still_fail_without_a_policy(tmp_path: Path) -> None:
    tooled = tmp_path / "tooled.tar"
    docker_save(tooled, debian_like(created=CREATED).build(), "nginx:1.27", "v25")
    result = run("image", str(tooled), "--format", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    failing = {t["id"] for t in doc["traits"] if t["gating"]}
    assert {UNTRUSTED.id, MUTABLE.id} <= failing
    assert UNSIGNED.id not in failing and UNSCANNED.id not in failing


def test_init_writes_a_starter_that_trusts_the_account_and_refuses_to_overwrite(
        clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = run("init", "--account", ACCOUNT)
    assert first.exit_code == 0, first.output
    text = Path(".ecs-exposure.yaml").read_text()
    assert text.startswith("#") and "\npolicy:\n" in text
    assert f'"{ACCOUNT}.dkr.ecr.*.amazonaws.com"' in text and "# require_scan: true" in text
    again = run("init", "--account", "444455556666")
    assert again.exit_code == 2 and "--force" in again.stderr
    assert Path(".ecs-exposure.yaml").read_text() == text
    assert run("init", "--account", "444455556666", "--force").exit_code == 0
    assert "444455556666" in Path(".ecs-exposure.yaml").read_text()
    assert run("init", "--account", "12345", "-o", "x.yaml").exit_code == 2
    assert run("init", "--profile", "p", "-o", "y.yaml").exit_code == 2

    mine = run("image", str(clean), "--ref", "444455556666.dkr.ecr.eu-west-1.amazonaws.com/"
               "app:1.4.2", "--policy", ".ecs-exposure.yaml", "--format", "json")
    doc = json.loads(mine.stdout)
    assert mine.exit_code == 0, doc["traits"]
    assert UNTRUSTED.id not in {t["id"] for t in doc["traits"]}
    theirs = run("image", str(clean), "--ref", f"{ECR}/app:1.4.2", "--policy",
                 ".ecs-exposure.yaml", "--format", "json")
    assert theirs.exit_code == 1
    assert [t["id"] for t in json.loads(theirs.stdout)["traits"] if t["gating"]] == [
        UNTRUSTED.id]


def test_init_without_an_account_leaves_the_trusted_list_commented(tmp_path: Path) -> None:
    from ecs_exposure.analysis.images.policy import load_policy

    target = tmp_path / "c.yaml"
    assert run("init", "-o", str(target)).exit_code == 0
    policy = load_policy(target)
    assert not policy.trusted_configured and not policy.signatures_configured
    assert "#     - \"111122223333.dkr.ecr.*.amazonaws.com\"" in target.read_text()


def test_policy_accepts_a_config_file_section_or_path(tmp_path: Path) -> None:
    from ecs_exposure.analysis.images.policy import PolicyError, load_policy

    (tmp_path / "image-policy.yaml").write_text("require_scan: true\n")
    (tmp_path / "by-path.yaml").write_text("policy: image-policy.yaml\nsuppressions: []\n")
    assert load_policy(tmp_path / "by-path.yaml").require_scan
    (tmp_path / "inline.yaml").write_text("policy:\n  require_digest: true\ndefaults: {}\n")
    assert load_policy(tmp_path / "inline.yaml").require_digest
    (tmp_path / "bad.yaml").write_text("policy:\n  max_scan_age_days: -1\n")
    with pytest.raises(PolicyError, match="/policy.*/max_scan_age_days"):
        load_policy(tmp_path / "bad.yaml")


def test_the_readme_first_ci_example_passes_on_a_clean_image(
        clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### An image gate in CI, on day one"):]
    command = re.search(r"```sh\n(ecs-exposure image [^\n]*)\n", section)
    assert command is not None
    argv = shlex.split(command.group(1))
    assert argv[:3] == ["ecs-exposure", "image", "build/app.tar"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.tar").write_bytes(clean.read_bytes())
    result = run(*argv[1:])
    assert result.exit_code == 0, result.output


def test_image_sarif_has_one_result_per_failing_trait(tmp_path: Path) -> None:
    import jsonschema

    from support import FIXTURES

    tooled = tmp_path / "tooled.tar"
    docker_save(tooled, debian_like(created=CREATED).build(), "nginx:1.27", "v25")
    result = run("image", str(tooled), "--format", "json,sarif,table", "--output-dir",
                 str(tmp_path / "out"))
    assert result.exit_code == 1 and not result.stdout
    doc = json.loads((tmp_path / "out" / "image.json").read_text())
    sarif = json.loads((tmp_path / "out" / "image.sarif").read_text())
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    [run_] = sarif["runs"]
    failing = [t["id"] for t in doc["traits"] if t["gating"]]
    assert [r["ruleId"] for r in run_["results"]] == failing
    rule_ids = {rule["id"] for rule in run_["tool"]["driver"]["rules"]}
    assert {UNTRUSTED.id, UNSIGNED.id, UNSCANNED.id, MUTABLE.id} <= rule_ids
    assert all(r["level"] == "error" for r in run_["results"])
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               for r in run_["results"])
    assert "FAIL" in (tmp_path / "out" / "image.txt").read_text()
    single = run("image", str(tooled), "--format", "sarif", "-o", str(tmp_path / "one.sarif"))
    assert single.exit_code == 1 and json.loads((tmp_path / "one.sarif").read_text())["runs"]
    both = run("image", str(tooled), "--format", "json,sarif")
    assert both.exit_code == 2 and "--output-dir" in both.stderr
