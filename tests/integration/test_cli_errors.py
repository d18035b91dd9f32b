"""Exit codes: a user's error is one ``error:`` line and exit 2, an internal error is one line
and exit 70; neither ever exits 1 (the code that means "a finding reached --fail-on") or
prints a traceback unless asked to."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ecs_exposure.cli.exit_codes import ERROR_CODES, ExitCode, for_error
from ecs_exposure.errors import EcsExposureError, ImageError, InputError
from support import ROOT

README = ROOT / "README.md"


def run(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ECS_EXPOSURE_DEBUG"}
    if debug:
        env["ECS_EXPOSURE_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-m", "ecs_exposure", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _deeply_nested_task_definition(folder: Path) -> Path:
    """A small task definition (privileged, so it has a finding and a fixed revision) holding
    a label value nested 300 levels deep: under the
    parser's size-based depth guard, over the JSON writer's recursion limit (issue 20 #3)."""
    value: object = "x"
    for _ in range(300):
        value = [value]
    path = folder / "td.json"
    path.write_text(json.dumps({"taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/app:1",
        "family": "app",
        "containerDefinitions": [{"name": "app", "image": "nginx:1.27",
                                  "privileged": True, "dockerLabels": {"deep": value}}]}}))
    return path


def _trivy_report_with_boolean_digests(folder: Path) -> Path:
    """A Trivy report whose ``Metadata.RepoDigests`` is ``true`` (issue 20 #3)."""
    path = folder / "trivy.json"
    path.write_text(json.dumps({"SchemaVersion": 2, "ArtifactName": "nginx:1.27",
                                "ArtifactType": "container_image",
                                "Metadata": {"RepoDigests": True}, "Results": []}))
    return path


def _assert_internal_error(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == ExitCode.INTERNAL == 70, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: internal error (") and "report it" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("make_input", [_deeply_nested_task_definition,
                                        _trivy_report_with_boolean_digests])
def test_a_crash_exits_70_with_one_line(tmp_path: Path,
                                        make_input: Callable[[Path], Path]) -> None:
    path = make_input(tmp_path)
    _assert_internal_error(run("scan", str(path), "--format", "json", "--fail-on", "high"))


def test_the_debug_variable_adds_the_traceback(tmp_path: Path) -> None:
    proc = run("scan", str(_trivy_report_with_boolean_digests(tmp_path)), debug=True)
    assert proc.returncode == 70
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("error: internal error (TypeError: ")


def test_an_unwritable_report_is_the_users_error(tmp_path: Path) -> None:
    proc = run("scan", "--demo", "--format", "json", "--output",
               str(tmp_path / "missing" / "result.json"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: cannot write {tmp_path / 'missing' / 'result.json'}: No such file or directory"]


def test_an_unreadable_image_lists_every_problem_then_exits_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "index.json").write_text("{}")
    proc = run("image", str(tmp_path / "empty"), "--format", "json")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {tmp_path / 'empty'}: ")
    assert "Traceback" not in proc.stderr


def test_every_error_class_has_its_exit_code() -> None:
    assert for_error(InputError("bad file")) == ExitCode.USAGE
    assert for_error(ImageError("bad image")) == ExitCode.USAGE

    class Narrower(ImageError):
        """A subclass nobody listed takes its parent's code."""

    assert for_error(Narrower("x")) == ExitCode.USAGE
    assert all(issubclass(cls, EcsExposureError) for cls in ERROR_CODES)
    assert all(code not in (ExitCode.OK, ExitCode.FAILED, ExitCode.INTERNAL)
               for code in ERROR_CODES.values())


def test_the_readme_lists_every_exit_code() -> None:
    section = README.read_text(encoding="utf-8").split("### Exit codes", 1)[1].split("###")[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}
