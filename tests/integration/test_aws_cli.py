"""The live-collection commands: options, progress, output, exit codes, settings."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from click.testing import CliRunner
from rich.console import Console

from ecs_exposure.cli import main
from ecs_exposure.sources.aws.options import CollectionError, CollectOptions
from ecs_exposure.sources.aws.progress import CollectionProgress
from ecs_exposure.sources.aws.session import DEFAULT_MAX_ATTEMPTS, _retry_config
from support.aws_fixtures import ACCOUNT, SCANNER_ROLE, SECRETS, Estate, Fault, Faults
from support.builders import task_definition


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("args,message", [
    (["scan", "--region", "us-east-1", "--demo"], "need --aws"),
    (["scan", "--aws", "--account", ACCOUNT], "--account needs --role-name"),
    (["scan", "--aws", "--organization"], "--organization needs --role-name"),
    (["scan", "--aws", "--role-name", "r", "--account", "12345"], "12-digit"),
    (["scan", "--aws", "--role-name", "r", "--organization", "--account", ACCOUNT],
     "either --organization or --account"),
    (["scan", "--aws", "--region", "all", "--region", "us-east-1"], "cannot be combined"),
    (["collect", "--output", "x.json", "--output-dir", "d"], "--output"),
    (["collect", "--aws"], "--output"),
    (["collect"], "--output"),
])
def test_contradictory_options_are_usage_errors(args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_no_region_and_unknown_profile_fail_before_any_call(
        aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = cli("scan", "--aws")
    assert result.exit_code == 2 and "no AWS region configured" in result.stderr
    result = cli("scan", "--aws", "--profile", "nope", "--region", "us-east-1")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_retry_settings_default_to_adaptive_and_honour_the_user(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    config = _retry_config(botocore.session.Session())
    assert config.retries == {"mode": "adaptive", "total_max_attempts": DEFAULT_MAX_ATTEMPTS}
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    config = _retry_config(botocore.session.Session())
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}


def test_options_check() -> None:
    CollectOptions(regions=("all",), role_name="r", organization=True).check()
    with pytest.raises(CollectionError):
        CollectOptions(max_workers=0).check()


def test_scan_aws_table_across_the_organization(
        aws_estate: Estate, aws_env: dict[str, str]) -> None:
    result = cli("scan", "--aws", "--organization", "--role-name", SCANNER_ROLE,
                 "--region", "us-east-1", "--region", "eu-west-1", "--format", "table",
                 "--details")
    assert result.exit_code == 0, result.output
    for name in ("prod/storefront", "payments/payments-web", "ops/debug-shell", "edge/worker"):
        assert name in result.stdout
    assert "clean-api" not in result.stdout
    assert f"AWS account {ACCOUNT}" in result.stdout
    for secret in SECRETS:
        assert secret not in result.output


def test_scan_aws_with_files_adds_both(tmp_path: Path, aws_estate: Estate,
                                       aws_env: dict[str, str]) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(task_definition("draft", privileged=None, pidMode="host")))
    result = cli("scan", str(draft), "--aws", "--region", "eu-west-1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inputs"] == [str(draft), "aws"]
    assert [f["resource"]["name"] for f in data["task_definition_findings"]] == ["draft:1"]
    assert "worker" in {f["resource"]["name"] for f in data["findings"]}


def test_collect_writes_a_private_snapshot_even_when_incomplete(
        tmp_path: Path, aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    out = tmp_path / "partial.json"
    out.write_text("{}")
    out.chmod(0o644)
    aws_faults.add(Fault("AccessDeniedException", service="ecr"))
    result = cli("collect", "--aws", "--region", "us-east-1", "--output", str(out), "--strict")
    assert result.exit_code == 4, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = json.loads(out.read_text())
    assert {e["operation"] for e in written["errors"]} == {"ecr:DescribeRepositories",
                                                          "ecr:GetRegistryScanningConfiguration"}
    assert "ECR repository" in written["incomplete"][0]["reasons"][0]
    assert "2 errors" in result.stderr and "AccessDeniedException" in result.stderr
    scanned = cli("scan", str(out), "--format", "json", "--strict")
    assert scanned.exit_code == 4
    assert json.loads(scanned.stdout)["errors"][0]["account"] == ACCOUNT


def test_collect_reads_aws_without_aws_flag_into_an_output_dir(
        tmp_path: Path, aws_estate: Estate, aws_env: dict[str, str]) -> None:
    result = cli("collect", "--region", "us-east-1", "--output-dir", str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    written = tmp_path / "snap" / "snapshot.json.gz"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    scanned = cli("scan", str(written), "--format", "json")
    assert scanned.exit_code == 0 and json.loads(scanned.stdout)["summary"]["services"] > 0
    quiet = cli("collect", "--region", "us-east-1", "-o", str(tmp_path / "q.json"), "--quiet")
    assert quiet.exit_code == 0 and "wrote" not in quiet.stderr


def test_collect_with_nothing_readable_exits_2(
        tmp_path: Path, aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("AccessDeniedException", service="ecs", operation="ListClusters"))
    out = tmp_path / "empty.json.gz"
    result = cli("collect", "--aws", "--region", "us-east-1", "--output", str(out))
    assert result.exit_code == 2
    assert "nothing could be collected" in result.stderr and out.exists()
    unwritable = cli("collect", "--aws", "--region", "us-east-1", "--output",
                     str(tmp_path / "missing" / "x.json"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr


def test_progress_lines_on_a_terminal_and_silence_otherwise() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with CollectionProgress(console) as progress:
        progress.report(ACCOUNT, "us-east-1", "services of prod")
        progress.report(ACCOUNT, "us-east-1", "done: 4 services")
        progress.report(ACCOUNT, "eu-west-1", "failed: \x1b[31mclusters could not be listed")
    text = buffer.getvalue()
    assert f"{ACCOUNT} us-east-1" in text and "done: 4 services" in text
    assert "\\x1b[31mclusters" in text                  # user data cannot drive the terminal
    quiet = io.StringIO()
    with CollectionProgress(Console(file=quiet, force_terminal=False)) as progress:
        progress.report(ACCOUNT, "us-east-1", "done")
    assert quiet.getvalue() == ""
