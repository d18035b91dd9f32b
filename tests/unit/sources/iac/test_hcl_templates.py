"""Container definitions written as heredocs, ``file()``, ``templatefile()`` or the
``template_file`` data source keep their containers, with what is not known marked unknown; a
task definition whose containers cannot be read at all is listed as incomplete, with why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.detectors.containers import PRIVILEGED
from ecs_exposure.sources.iac import hcl_template
from support.iac_helpers import finding, line_of, position, scan_paths, traits, write

HEREDOC = """\
variable "db_host" {}
variable "cpu" {
  default = 256
}
locals {
  tag = "1.27"
}

resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = <<EOF
[
  {
    "name": "web",
    "image": "nginx:${local.tag}",
    "cpu": ${var.cpu},
    "memory": ${var.memory},
    "privileged": true,
    "environment": [{"name": "DB_HOST", "value": "${var.db_host}"}],
    "command": ["echo", "$${literal}"]
  }
]
EOF
}
"""


def test_interpolated_heredoc_keeps_its_containers(tmp_path: Path) -> None:
    path = write(tmp_path, "main.tf", HEREDOC)
    result, inventory, report = scan_paths([path])
    assert report.read == [str(path)] and not inventory.incomplete
    [container] = inventory.task_definitions["app"]["containerDefinitions"]
    assert container["image"] == "nginx:1.27" and container["cpu"] == 256
    assert container["command"] == ["echo", "${literal}"]
    assert is_unknown(container["memory"]) and container["memory"].reason == "hcl: var.memory"
    value = container["environment"][0]["value"]
    assert is_unknown(value) and value == "${var.db_host}"    # as jsonencode values are
    app = finding(result, "app")
    privileged = traits(app, PRIVILEGED.id)
    assert privileged and position(privileged[0]).line == line_of(path, "container_definitions")


def test_trimmed_heredoc_with_a_bare_unknown_list(tmp_path: Path) -> None:
    text = """\
resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = <<-EOT
    [{"name": "web", "image": "nginx", "privileged": true,
      "environment": ${jsonencode(var.environment)}}]
    EOT
}
"""
    _, inventory, _ = scan_paths([write(tmp_path, "main.tf", text)])
    [container] = inventory.task_definitions["app"]["containerDefinitions"]
    assert container["privileged"] is True and is_unknown(container["environment"])


def test_file_and_templatefile_are_read_inside_the_scanned_folder(tmp_path: Path) -> None:
    write(tmp_path, "tf/defs/app.json", json.dumps(
        [{"name": "f", "image": "busybox", "privileged": True}]))
    write(tmp_path, "tf/defs/app.tpl",
          '[{"name": "t", "image": "${image}", "privileged": true,\n'
          ' "environment": [{"name": "H", "value": "${host}"}]}]')
    write(tmp_path, "tf/main.tf", """\
variable "host" {}
resource "aws_ecs_task_definition" "file" {
  family                = "file"
  container_definitions = file("${path.module}/defs/app.json")
}
resource "aws_ecs_task_definition" "legacy" {
  family                = "legacy"
  container_definitions = "${file("defs/app.json")}"
}
resource "aws_ecs_task_definition" "template" {
  family                = "template"
  container_definitions = templatefile("${path.module}/defs/app.tpl", {
    image = "nginx:1.27", host = var.host })
}
""")
    result, inventory, _ = scan_paths([tmp_path / "tf"])
    assert not inventory.incomplete
    for family in ("file", "legacy", "template"):
        assert traits(finding(result, family), PRIVILEGED.id), family
    [container] = inventory.task_definitions["template"]["containerDefinitions"]
    assert container["image"] == "nginx:1.27"
    assert is_unknown(container["environment"][0]["value"])


def test_template_file_data_source(tmp_path: Path) -> None:
    write(tmp_path, "tf/app.json.tpl", '[{"name": "x", "image": "${image}", '
                                       '"privileged": true}]')
    write(tmp_path, "tf/main.tf", """\
data "template_file" "defs" {
  template = "${file("${path.module}/app.json.tpl")}"
  vars {
    image = "nginx:1.27"
  }
}
resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = "${data.template_file.defs.rendered}"
}
""")
    result, inventory, _ = scan_paths([tmp_path / "tf"])
    assert inventory.task_definitions["app"]["containerDefinitions"][0]["image"] == "nginx:1.27"
    assert traits(finding(result, "app"), PRIVILEGED.id)


@pytest.mark.parametrize(("expression", "reason"), [
    ('file("missing.json")', 'file("missing.json") (no such file)'),
    ('file("../outside.json")', "outside the scanned folders"),
    ("var.containers", "var.containers"),
    ('"[{\\"name\\": \\"x\\",]"', "not valid JSON"),
    ('"{\\"name\\": \\"x\\"}"', "not a list of containers"),
    ("jsonencode([local.first])", "1 of 1 container definitions unknown"),
    ("<<EOF\n%{ for c in var.list }${c}%{ endfor }\nEOF", "template directive"),
    ("<<EOF\n[{\"name\": \"${var.name}\",]\nEOF", "not JSON once rendered"),
])
def test_unreadable_containers_make_the_task_definition_incomplete(
        tmp_path: Path, expression: str, reason: str) -> None:
    write(tmp_path, "outside.json", "[]")
    text = f"""\
resource "aws_ecs_task_definition" "app" {{
  family                = "app"
  container_definitions = {expression}
}}
resource "aws_ecs_service" "app" {{
  name            = "app"
  task_definition = aws_ecs_task_definition.app.arn
}}
"""
    result, inventory, report = scan_paths([write(tmp_path, "tf/main.tf", text)])
    assert report.read and not report.errors
    [entry] = inventory.incomplete["app"]
    assert reason in entry, entry
    service = next(iter(inventory.services))
    assert any(reason in r and r.startswith("task definition app:")
               for r in inventory.incomplete[service])
    assert {i.resource for i in result.incomplete} == {"app", service}


def test_plan_with_container_definitions_known_after_apply_is_incomplete(
        tmp_path: Path) -> None:
    plan = {"format_version": "1.2", "resource_changes": [{
        "address": "aws_ecs_task_definition.app", "mode": "managed",
        "type": "aws_ecs_task_definition", "name": "app",
        "change": {"actions": ["create"], "after": {"family": "app"},
                   "after_unknown": {"container_definitions": True}}}]}
    _, inventory, _ = scan_paths([write(tmp_path, "plan.json", json.dumps(plan))])
    assert inventory.incomplete == {
        "app": ["container definitions unknown: known after apply: container_definitions"]}


def test_cloudformation_containers_from_a_parameter_are_incomplete(tmp_path: Path) -> None:
    text = """\
Parameters:
  Containers: {Type: String}
Resources:
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: app
      ContainerDefinitions: !Ref Containers
"""
    _, inventory, _ = scan_paths([write(tmp_path, "t.yaml", text)])
    [reason] = inventory.incomplete["app"]
    assert reason.startswith("container definitions unknown:") and "Containers" in reason


# ---- the template renderer on its own ---------------------------------------------------------


def _render(text: str, values: dict[str, Any]) -> Any:
    return hcl_template.render(hcl_template.split(text), lambda e: values.get(
        e, Unknown(f"hcl: {e}")))


def test_render_known_values_as_terraform_does() -> None:
    assert _render('{"a": "${x}", "n": ${n}, "b": ${b}}', {"x": 'q"', "n": 2, "b": True}) \
        == '{"a": "q"", "n": 2, "b": true}'


def test_render_unknowns_inside_strings_and_as_values() -> None:
    rendered = _render('[{"a": "pre-${x}-post", "n": ${n}, "s": "\\"${y}\\"", '
                       '"m": ${m}, "k": "${z}"}]', {"z": 'say "hi"', "m": {"a": Unknown("u")}})
    [item] = rendered
    assert item["a"] == "pre-${x}-post" and is_unknown(item["a"])
    assert is_unknown(item["n"]) and item["n"].reason == "hcl: n"
    assert is_unknown(item["s"]) and item["s"] == '"${y}"'
    assert item["m"] == {"a": "<u>"} and is_unknown(item["m"]["a"])
    assert item["k"] == 'say "hi"' and not is_unknown(item["k"])


def test_split_handles_escapes_nested_braces_and_strings() -> None:
    parts = hcl_template.split('a $${b} %%{c} ${lookup(m, "}", {x = 1})} ${~ y ~}')
    assert parts == ["a ${b} %{c} ", hcl_template.Interpolation('lookup(m, "}", {x = 1})'),
                     " ", hcl_template.Interpolation("y")]
    with pytest.raises(hcl_template.TemplateError):
        hcl_template.split("${open")
