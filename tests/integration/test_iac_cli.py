"""The scan command on infrastructure as code: --parameters, locations in the table."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ecs_exposure.cli import main
from support.iac_helpers import line_of, write

TEMPLATE = """\
Parameters:
  Mode: {Type: String}
Resources:
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: p
      NetworkMode: !Ref Mode
      ContainerDefinitions: [{Name: c, Image: x, Privileged: true}]
"""


def test_parameters_file_in_cli_format(tmp_path: Path) -> None:
    template = write(tmp_path, "t.yaml", TEMPLATE)
    params = write(tmp_path, "params.json", json.dumps(
        [{"ParameterKey": "Mode", "ParameterValue": "host"}]))
    out = CliRunner().invoke(main, ["scan", str(template), "--parameters", str(params),
                                    "--format", "json"])
    assert out.exit_code == 0, out.output
    ids = {t["id"] for f in json.loads(out.stdout)["task_definition_findings"]
           for t in f["traits"]}
    assert "host-network-mode" in ids
    without = CliRunner().invoke(main, ["scan", str(template), "--format", "json"])
    assert "host-network-mode" not in without.output


def test_bad_parameters_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    template = write(tmp_path, "t.yaml", TEMPLATE)
    params = write(tmp_path, "params.json", '[{"nope": 1}]')
    out = CliRunner().invoke(main, ["scan", str(template), "--parameters", str(params)])
    assert out.exit_code == 2
    assert "params.json" in out.output and "ParameterKey" in out.output


def test_table_details_show_file_line_and_column(tmp_path: Path) -> None:
    template = write(tmp_path, "t.yaml", TEMPLATE)
    out = CliRunner().invoke(main, ["scan", str(template), "--format", "table", "--details",
                                    "--output", str(tmp_path / "report.txt")])
    assert out.exit_code == 0, out.output
    report = (tmp_path / "report.txt").read_text()
    flat = " ".join(report.split())
    assert f"in {template}:{line_of(template, 'Privileged')}:" in flat.replace("│ ", "")


def test_terraform_file_without_resources_is_read_not_refused(tmp_path: Path) -> None:
    variables = write(tmp_path, "variables.tf",
                      'variable "region" {\n  default = "eu-west-1"\n}\n\nlocals {\n  a = 1\n}\n')
    out = CliRunner().invoke(main, ["scan", str(variables), "--format", "json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["skipped"] == [] and result["errors"] == []
    assert result["summary"]["task_definitions"] == 0


def test_incomplete_task_definition_is_in_the_result(tmp_path: Path) -> None:
    main_tf = write(tmp_path, "main.tf", 'resource "aws_ecs_task_definition" "app" {\n'
                                         '  family = "app"\n'
                                         '  container_definitions = file("missing.json")\n}\n')
    out = CliRunner().invoke(main, ["scan", str(main_tf), "--format", "json", "--strict"])
    assert out.exit_code == 4, out.output
    assert json.loads(out.stdout)["incomplete"] == [{"resource": "app", "reasons": [
        'container definitions unknown: hcl: file("missing.json") (no such file)']}]
