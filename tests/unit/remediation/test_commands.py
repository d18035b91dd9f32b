"""Commands printed in PLAN.md are safe to paste, whatever the names in the inputs hold.

The end-to-end test runs every command line of a PLAN.md built from hostile names in a real
shell, with fake ``aws`` and ``jq`` executables first on PATH that record their arguments: no
injected command may run, and each argument must arrive as the plan meant it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_exposure.cli import main
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.remediation.commands import (
    SECRET_NAME_MAX,
    UnprintableArgument,
    command_line,
    is_valid_secret_name,
    pipeline,
    secret_name,
)
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import plan_for
from ecs_exposure.remediation.writer import render_plan_md
from support.builders import (
    ACCOUNT,
    REGION,
    SETTINGS,
    container,
    inventory_of,
    service,
    task_definition,
)

TOKEN = "ghp_" + "Q" * 36
"""A value that is a credential whatever its variable is called (a GitHub token's format)."""
HOSTILE_VARIABLE = "DB_PASSWORD'$(touch${IFS}PWNED)'"
HOSTILE_FAMILY = "web`touch PWNED2`$(touch PWNED3)"
HOSTILE_CLUSTER = "prod'$(touch${IFS}PWNED4)'"
HOSTILE_SERVICE = "svc;touch PWNED5;#"
VALID_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
FAKE_TOOL = """#!{python}
import json, os, sys
with open(os.environ["ARGV_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
if os.path.basename(sys.argv[0]) == "jq":
    print("{{}}")
"""


def command_lines(plan_md: str) -> list[str]:
    """Every line inside a ``sh`` block of PLAN.md, as an operator would copy it."""
    lines: list[str] = []
    inside = False
    for line in plan_md.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            inside = stripped == "```sh" and not inside
            continue
        if inside:
            lines.append(stripped)
    return lines


def shell_tokens(line: str) -> list[str]:
    """Words and operators (``|``, ``;``, ``&``, ``(`` …) of a command line as a POSIX shell
    splits them: an unquoted operator inside an argument would show up as a token of its own.
    (A quoted ``'|'`` also reads as ``|``: compare with the whole expected token list.)"""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def pipeline_argvs(line: str) -> list[list[str]]:
    """The argument lists of a pipeline whose arguments hold no ``|`` of their own."""
    argvs: list[list[str]] = [[]]
    for token in shell_tokens(line):
        if token == "|":
            argvs.append([])
        else:
            argvs[-1].append(token)
    return argvs


def hostile_docs(variable: str, family: str, cluster: str, service_name: str) -> list[Any]:
    td = task_definition(family=family, containers=[container(
        privileged=True, environment=[{"name": variable, "value": TOKEN}])])
    svc = service(service_name, family=family, public_ip=True,
                  clusterArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
                  enableExecuteCommand=True)
    return [{"taskDefinition": td}, {"services": [svc]}]


def _sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder with fake ``aws`` and ``jq`` first on PATH, logging argv to ``argv.log``."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("aws", "jq"):
        path = tools / name
        path.write_text(FAKE_TOOL.format(python=sys.executable))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "argv.log"
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "ARGV_LOG": str(log),
           "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    return log, env


def test_hostile_names_in_plan_md_commands_run_nothing_and_round_trip(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    docs = hostile_docs(HOSTILE_VARIABLE, HOSTILE_FAMILY, HOSTILE_CLUSTER, HOSTILE_SERVICE)
    for index, doc in enumerate(docs):
        (inputs / f"{index}.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["fix", str(inputs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    [plan_md] = list(out.rglob("PLAN.md"))
    folder = plan_md.parent
    text = plan_md.read_text()
    lines = command_lines(text)
    assert any("create-secret" in line for line in lines) and len(lines) >= 4, text

    log, env = _sandbox(tmp_path)
    for line in lines:
        check = subprocess.run(["bash", "-n", "-c", line], capture_output=True, text=True,
                               env=env, check=False)
        assert check.returncode == 0, (line, check.stderr)
        run = subprocess.run(["bash", "-c", line], cwd=folder, capture_output=True, text=True,
                             env=env, stdin=subprocess.DEVNULL, timeout=60, check=False)
        assert run.returncode == 0, (line, run.stderr)
    assert not [p for p in tmp_path.rglob("PWNED*")], "an injected command ran"

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [argv for line in lines for argv in pipeline_argvs(line)]
    fixed = json.loads((folder / "task-definition.json").read_text())
    [secret] = fixed["containerDefinitions"][0]["secrets"]
    assert secret["name"] == HOSTILE_VARIABLE            # the variable keeps its name
    name = secret["valueFrom"].split(":secret:", 1)[1]
    assert VALID_NAME.fullmatch(name)
    assert name == secret_name(f"{HOSTILE_FAMILY}/{HOSTILE_VARIABLE}")
    assert ["aws", "secretsmanager", "create-secret", "--name", name,
            "--secret-string", "file:///dev/stdin"] in calls
    update = json.loads((folder / "update-service.json").read_text())
    assert update["cluster"] == HOSTILE_CLUSTER and update["service"] == HOSTILE_SERVICE
    assert ["aws", "ecs", "wait", "services-stable", "--cluster", HOSTILE_CLUSTER,
            "--services", HOSTILE_SERVICE] in calls


def test_names_that_cannot_be_shown_on_one_line_are_left_out_of_commands() -> None:
    docs = hostile_docs("DB_PASSWORD", "web", "prod", "svc\n```\n$(touch PWNED)")
    inventory = inventory_of(*docs)
    result = scan_inventory(inventory, SETTINGS)
    [plan] = [plan_for(inventory, f, FixOptions()) for f in result.findings]
    text = render_plan_md(plan)
    assert not any("wait" in line for line in command_lines(text))
    assert "watch the deployment in the console" in text
    assert all("\n" not in line and "PWNED" not in line for line in command_lines(text))


# --------------------------------------------------------------------------------------------
# Secret names and command lines, over arbitrary input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["web/DB_PASSWORD", "a+b=c.d@e-f_g/h", "x" * SECRET_NAME_MAX])
def test_valid_secret_names_are_kept(raw: str) -> None:
    assert secret_name(raw) == raw


@pytest.mark.parametrize("raw", ["web/DB PASSWORD", HOSTILE_VARIABLE, "x" * (SECRET_NAME_MAX + 1),
                                 "", "app/API-KEY123", "pässwort"])
def test_invalid_secret_names_are_replaced_with_a_hash_of_the_original(raw: str) -> None:
    name = secret_name(raw)
    assert name != raw and is_valid_secret_name(name) and re.search(r"_[0-9a-f]{8}\Z", name)


@given(st.text())
def test_any_name_becomes_a_valid_stable_secret_name(raw: str) -> None:
    name = secret_name(raw)
    assert VALID_NAME.fullmatch(name) and len(name) <= SECRET_NAME_MAX
    assert is_valid_secret_name(name) and secret_name(name) == name == secret_name(raw)


@given(st.text(), st.text())
def test_different_names_stay_different(first: str, second: str) -> None:
    if first != second:
        assert secret_name(first) != secret_name(second)


@given(st.lists(st.text().filter(str.isprintable), min_size=1))
def test_command_line_round_trips_through_shlex(argv: list[str]) -> None:
    line = command_line(argv)
    assert shlex.split(line) == argv and shell_tokens(line) == argv
    assert shell_tokens(pipeline(["jq", "."], argv)) == ["jq", ".", "|", *argv]


@given(st.text(min_size=1).filter(lambda text: not text.isprintable()))
def test_unprintable_arguments_are_refused(argument: str) -> None:
    with pytest.raises(UnprintableArgument):
        command_line(["aws", argument])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variable=st.text(), family=st.text(min_size=1), cluster=st.text(min_size=1),
       service_name=st.text(min_size=1))
def test_every_printed_command_splits_into_the_intended_arguments(
        variable: str, family: str, cluster: str, service_name: str) -> None:
    inventory = inventory_of(*hostile_docs(variable, family, cluster, service_name))
    result = scan_inventory(inventory, SETTINGS)
    plans = [plan_for(inventory, f, FixOptions())
             for f in result.findings + result.task_definition_findings]
    plan = next(p for p in plans if p.secrets_to_create)
    assert plan.register_input is not None and plan.update_service is not None
    [secret] = plan.register_input["containerDefinitions"][0]["secrets"]
    name = secret["valueFrom"].split(":secret:", 1)[1]
    assert name == secret_name(f"{family}/{variable}")
    expected = [["aws", "secretsmanager", "create-secret", "--name", name, "--secret-string",
                 "file:///dev/stdin"],
                ["aws", "ecs", "register-task-definition", "--cli-input-json",
                 "file://task-definition.json"],
                ["aws", "ecs", "update-service", "--cli-input-json",
                 "file://update-service.json"]]
    wait = ["aws", "ecs", "wait", "services-stable", "--cluster",
            plan.update_service["cluster"], "--services", plan.update_service["service"]]
    if all(part.isprintable() for part in wait):
        expected.append(wait)
    lines = command_lines(render_plan_md(plan))
    assert [shlex.split(line) for line in lines] == [shell_tokens(line) for line in lines] \
        == expected


@pytest.mark.parametrize("prefix", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:'$(x)",
                                    "arn:aws:secretsmanager:us-east-1:111122223333:secret:a b/",
                                    "not-an-arn/"])
def test_secret_arn_prefix_outside_secrets_managers_rules_is_refused(prefix: str,
                                                                      tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fix", "--demo", "--out", str(tmp_path),
                                       "--secret-arn-prefix", prefix])
    assert result.exit_code == 2 and "--secret-arn-prefix" in result.output
    assert not (tmp_path / "plan.json").exists()


def test_a_valid_prefix_with_a_name_path_is_used() -> None:
    prefix = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:team/"
    inventory = inventory_of(*hostile_docs("DB_PASSWORD", "web", "prod", "svc"))
    result = scan_inventory(inventory, SETTINGS)
    [plan] = [plan_for(inventory, f, FixOptions(secret_arn_prefix=prefix))
              for f in result.findings]
    assert plan.secrets_to_create == [f"{prefix}web/DB_PASSWORD"]
    assert "--name team/web/DB_PASSWORD " in render_plan_md(plan)
