"""Exit codes: a user's error is one ``error:`` line and exit 2, an internal error is one line
and exit 70; neither ever exits 1 (the code that means "a finding reached --fail-on") or
prints a traceback unless asked to."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
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


def _privileged_task_definition(folder: Path) -> Path:
    """A small task definition with a finding, so the scan reaches the JSON writer."""
    path = folder / "td.json"
    path.write_text(json.dumps({"taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/app:1",
        "family": "app",
        "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "privileged": True}]}}))
    return path


BROKEN_LIBRARY = (
    "import sys, orjson\n"
    "def broken(*args, **kwargs):\n"
    "    raise RuntimeError('simulated failure inside a library')\n"
    "orjson.dumps = broken\n"
    "from ecs_exposure.cli import main\n"
    "sys.argv = ['ecs-exposure', *sys.argv[1:]]\n"
    "main()\n")
"""The CLI with a library below it failing unexpectedly: the one way to reach an internal
error once every crash found so far is fixed (issue 20 #3's inputs are now per-file errors,
tested in ``tests/unit/sources/test_jsonfile.py`` and
``tests/integration/test_reader_mutations.py``). Only a third-party function is
replaced, never our own code."""


def run_with_broken_library(*args: str, debug: bool = False
                            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ECS_EXPOSURE_DEBUG"}
    if debug:
        env["ECS_EXPOSURE_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-c", BROKEN_LIBRARY, *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _assert_internal_error(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == ExitCode.INTERNAL == 70, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: internal error (") and "report it" in lines[0]
    assert "Traceback" not in proc.stderr


def test_a_crash_exits_70_with_one_line(tmp_path: Path) -> None:
    path = _privileged_task_definition(tmp_path)
    _assert_internal_error(run_with_broken_library(
        "scan", str(path), "--format", "json", "--fail-on", "high"))


@pytest.mark.parametrize("make_input", ["deep", "trivy"])
def test_the_inputs_that_once_crashed_are_now_errors_of_their_file(
        tmp_path: Path, make_input: str) -> None:
    """Issue 20 #3: a value nested 300 levels deep in a small file, Trivy ``RepoDigests:
    true``: each is an error naming its file; the scan goes on and exits as a scan does."""
    if make_input == "deep":
        value: object = "x"
        for _ in range(300):
            value = [value]
        path = tmp_path / "td.json"
        path.write_text(json.dumps({"taskDefinition": {
            "family": "app", "containerDefinitions": [
                {"name": "app", "image": "nginx:1.27", "dockerLabels": {"deep": value}}]}}))
    else:
        path = tmp_path / "trivy.json"
        path.write_text(json.dumps({"SchemaVersion": 2, "ArtifactName": "nginx:1.27",
                                    "ArtifactType": "container_image",
                                    "Metadata": {"RepoDigests": True}, "Results": []}))
    (tmp_path / "more").mkdir()
    other = _privileged_task_definition(tmp_path / "more")
    proc = run("scan", str(path), str(other.parent), "--format", "json")
    assert proc.returncode in (0, 2), proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert any(str(path) in e["source"] for e in result["errors"]), result["errors"]
    assert result["findings"] or result["task_definition_findings"]


def test_the_debug_variable_adds_the_traceback(tmp_path: Path) -> None:
    proc = run_with_broken_library("scan", str(_privileged_task_definition(tmp_path)),
                                   "--format", "json", debug=True)
    assert proc.returncode == 70
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("error: internal error (RuntimeError: ")


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


def test_a_fifo_in_a_scanned_folder_is_an_error_of_its_file_not_a_hang(tmp_path: Path) -> None:
    # The CLI expanded folders into files before reading, so a planted FIFO counted as a file
    # the user named, and the scan waited for a writer forever (here: the 120 s timeout).
    _privileged_task_definition(tmp_path)
    os.mkfifo(tmp_path / "planted.json")
    proc = run("scan", str(tmp_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert f"{tmp_path / 'planted.json'}: not a regular file" in proc.stderr
    assert json.loads(proc.stdout)["summary"]["task_definition_findings"] == 1
