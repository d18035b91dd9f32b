"""``.pre-commit-hooks.yaml`` works: ``pre-commit try-repo`` on a clone of this repository
fails a commit holding a privileged task definition and passes a clean one.

The hook is ``language: system``, so pre-commit builds no environment and needs no network; it
runs the ``ecs-exposure`` on PATH, which here is a shim running this tree's sources with the
test's interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT
from support.builders import container, task_definition

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository with the working tree's hook definition committed."""
    clone = tmp_path_factory.mktemp("hook") / "ecs-exposure"
    _git(ROOT, "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone))
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", clone / ".pre-commit-hooks.yaml")
    _git(clone, "add", ".pre-commit-hooks.yaml")
    _git(clone, "commit", "--quiet", "--allow-empty", "-m", "hook definition under test")
    return clone


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    shim = tmp_path / "bin"
    shim.mkdir()
    script = shim / "ecs-exposure"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m ecs_exposure \"$@\"\n")
    script.chmod(0o755)
    environment = dict(os.environ)
    environment["PATH"] = f"{shim}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])
    environment["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        environment.pop(name, None)
    return environment


def _try_repo(hook_repo: Path, project: Path, env: dict[str, str], *files: str
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "ecs-exposure",
         "--files", *files], cwd=project, env=env, capture_output=True, text=True,
        timeout=300)


@pytest.mark.parametrize("privileged", [True, False])
def test_try_repo_fails_a_privileged_task_definition_and_passes_a_clean_one(
        hook_repo: Path, env: dict[str, str], tmp_path: Path, privileged: bool) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "--quiet")
    fields = {"privileged": True, "user": "0"} if privileged else {}
    doc = task_definition(containers=[container(**fields)])
    (project / "taskdef.json").write_text(json.dumps(doc, indent=2))
    (project / "package.json").write_text('{"name": "unrelated", "version": "1.0.0"}\n')
    _git(project, "add", ".")
    result = _try_repo(hook_repo, project, env, "taskdef.json", "package.json")
    output = result.stdout + result.stderr
    if privileged:
        assert result.returncode == 1, output
        assert "Failed" in output and "privileged" in output
    else:
        assert result.returncode == 0, output
        assert "Passed" in output
