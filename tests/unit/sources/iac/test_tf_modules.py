"""Terraform files without resources are Terraform (nothing to assess, not an error), and local
modules are followed: read once, inside the scanned folders, to a bounded depth."""

from __future__ import annotations

import os
from pathlib import Path

from ecs_exposure.detectors.containers import PRIVILEGED
from ecs_exposure.detectors.network import OPEN_SG
from ecs_exposure.sources.iac.tf_modules import MAX_MODULE_DEPTH
from support.iac_helpers import finding, line_of, position, scan_paths, traits, write
from support.timing import deadline

MODULE = """\
variable "family" {}
variable "privileged" {
  default = false
}
variable "security_groups" {
  default = []
}

resource "aws_ecs_task_definition" "this" {
  family = var.family
  container_definitions = jsonencode([{
    name       = "app"
    image      = "nginx:1.27"
    privileged = var.privileged
  }])
}

resource "aws_ecs_service" "this" {
  name            = var.family
  task_definition = aws_ecs_task_definition.this.arn
  network_configuration {
    subnets         = ["subnet-1"]
    security_groups = var.security_groups
  }
}
"""


def test_file_with_only_variables_modules_and_locals_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "variables.tf", """\
# Inputs of the stack
variable "region" {
  default = "eu-west-1"
}

locals {
  name = "app"
}

module "remote" {
  source = "terraform-aws-modules/vpc/aws"
}
""")
    result, inventory, report = scan_paths([path])
    assert report.read == [str(path)] and not report.skipped and not report.errors
    assert not inventory.task_definitions and not result.findings
    assert list(inventory.incomplete) == [f"module.remote ({path})"]
    assert "remote module terraform-aws-modules/vpc/aws is not read" in \
        inventory.incomplete[f"module.remote ({path})"][0]


def test_text_quoting_a_resource_block_is_not_terraform(tmp_path: Path) -> None:
    readme = write(tmp_path, "README.md", '# Usage\n\n```hcl\nresource "aws_ecs_service" "x" '
                                          '{\n  name = "x"\n}\n```\n')
    _, _, report = scan_paths([readme])
    assert not report.read and not report.errors and len(report.skipped) == 1


def test_local_module_is_followed_with_its_arguments(tmp_path: Path) -> None:
    module = write(tmp_path, "modules/app/main.tf", MODULE)
    main = write(tmp_path, "main.tf", """\
resource "aws_security_group" "open" {
  name = "open"
  ingress {
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

module "app" {
  source          = "./modules/app"
  family          = "app"
  privileged      = true
  security_groups = [aws_security_group.open.id]
}
""")
    result, inventory, report = scan_paths([main])          # the caller alone
    assert report.read == [str(main)] and not inventory.incomplete
    app = finding(result, "app")
    privileged = traits(app, PRIVILEGED.id)[0]
    assert privileged.source == str(module)
    assert position(privileged).line == line_of(module, "privileged = var.privileged")
    open_group = traits(app, OPEN_SG.id)[0]      # the caller's group, joined
    assert open_group.source == str(main)


def test_module_folder_is_read_once_whatever_comes_first(tmp_path: Path) -> None:
    write(tmp_path, "a_modules/app/main.tf", MODULE)
    write(tmp_path, "b_live/main.tf", """\
module "one" {
  source = "../a_modules/app"
  family = "one"
}
module "two" {
  source = "../a_modules/app"
  family = "two"
}
""")
    # The module folder sorts first: it is read on its own, and the calls do not read it again.
    _, inventory, report = scan_paths([tmp_path])
    assert len(report.read) == 2 and not report.errors
    assert len(inventory.task_definitions) == 1 and len(inventory.services) == 1
    # Called first (the caller sorts first): read once, with the first call's arguments.
    (tmp_path / "b_live").rename(tmp_path / "0_live")
    _, inventory, _ = scan_paths([tmp_path])
    assert [td["family"] for td in inventory.task_definitions.values()] == ["one"]


def test_module_outside_the_scanned_folders_is_incomplete_not_read(tmp_path: Path) -> None:
    write(tmp_path, "modules/app/main.tf", MODULE)
    main = write(tmp_path, "envs/prod/main.tf", """\
module "app" {
  source     = "../../modules/app"
  family     = "app"
  privileged = true
}
""")
    _, inventory, report = scan_paths([main])
    assert report.read == [str(main)] and not inventory.task_definitions
    assert inventory.incomplete == {f"module.app ({main})": [
        "module folder ../../modules/app is outside the scanned folders: not read"]}
    result, inventory, _ = scan_paths([tmp_path])           # the whole repository
    assert not inventory.incomplete
    assert traits(finding(result, "app"), PRIVILEGED.id)


def test_module_nesting_is_bounded_and_cycles_end(tmp_path: Path) -> None:
    depth = MAX_MODULE_DEPTH + 2
    for level in range(depth):
        write(tmp_path, f"m{level}/main.tf",
              f'module "next" {{\n  source = "../m{level + 1}"\n}}\n'
              f'module "self" {{\n  source = "./"\n}}\n')
    write(tmp_path, f"m{depth}/main.tf", MODULE)
    _, inventory, report = scan_paths([tmp_path])
    assert len(report.read) == depth + 1 and not report.errors
    problems = [r for reasons in inventory.incomplete.values() for r in reasons]
    assert problems == [f"modules nested more than {MAX_MODULE_DEPTH} deep: not read"]


def test_module_file_that_does_not_parse_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = write(tmp_path, "modules/bad/main.tf", 'resource "aws_ecs_service" "x" {\n')
    main = write(tmp_path, "main.tf", 'module "bad" {\n  source = "./modules/bad"\n}\n')
    result, _, report = scan_paths([main])
    assert report.read == [str(main)]
    assert [e.source for e in result.errors] == [str(broken)]


def test_a_fifo_named_like_a_tf_file_does_not_block_the_module(tmp_path: Path) -> None:
    # The module loader read every *.tf of a folder with read_bytes: a FIFO blocked forever.
    write(tmp_path, "main.tf", 'resource "aws_security_group" "web" {\n  name = "web"\n}\n')
    os.mkfifo(tmp_path / "planted.tf")
    with deadline(20):
        _, _, report = scan_paths([tmp_path])
    assert any(e.source == str(tmp_path / "planted.tf") and "not a regular file" in e.message
               for e in report.errors), report.errors
