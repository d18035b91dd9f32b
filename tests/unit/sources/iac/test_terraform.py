"""Terraform in: plan JSON with values unknown until apply, state JSON, and HCL read directly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ecs_exposure.analysis.unknown import is_unknown
from support.iac_helpers import finding, line_of, position, scan_paths, traits, write

CONTAINERS = json.dumps([{"name": "web", "image": "nginx:1.27", "privileged": True,
                          "portMappings": [{"containerPort": 80}]}])


def change(address: str, after: dict[str, Any], unknown: dict[str, Any],
           actions: tuple[str, ...] = ("create",)) -> dict[str, Any]:
    kind, name = address.rsplit(".", 1)
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "change": {"actions": list(actions), "before": None, "after": after,
                       "after_unknown": unknown}}


def refs(*addresses: str) -> dict[str, Any]:
    return {"references": [a for address in addresses for a in (address, address.rsplit(
        ".", 1)[0])]}


PLAN: dict[str, Any] = {
    "format_version": "1.2", "terraform_version": "1.9.8",
    "resource_changes": [
        change("aws_ecs_cluster.main", {"name": "prod"}, {"arn": True, "id": True}),
        change("aws_iam_role.task", {"name": "app-task", "managed_policy_arns": [
            "arn:aws:iam::aws:policy/AdministratorAccess"]}, {"arn": True, "id": True}),
        change("aws_ecs_task_definition.app", {
            "family": "app", "network_mode": "awsvpc", "container_definitions": CONTAINERS},
            {"arn": True, "revision": True, "task_role_arn": True}),
        change("aws_security_group.lb", {"name": "lb", "ingress": [
            {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"],
             "self": False}]}, {"id": True, "vpc_id": True}),
        change("aws_lb.public", {"name": "public", "internal": False,
                                 "load_balancer_type": "application"},
               {"arn": True, "security_groups": True}),
        change("aws_lb_target_group.app", {"name": "app", "port": 80, "protocol": "HTTP"},
               {"arn": True}),
        change("aws_lb_listener.https", {"port": 443, "protocol": "HTTPS",
                                         "default_action": [{"type": "forward"}]},
               {"arn": True, "load_balancer_arn": True,
                "default_action": [{"target_group_arn": True}]}),
        change("aws_ecs_service.app", {"name": "app", "launch_type": "FARGATE",
                                       "network_configuration": [{"assign_public_ip": False,
                                                                  "subnets": ["subnet-1"]}],
                                       "load_balancer": [{"container_name": "web",
                                                          "container_port": 80}]},
               {"id": True, "cluster": True, "task_definition": True,
                "network_configuration": [{"security_groups": True}],
                "load_balancer": [{"target_group_arn": True}]}),
        change("aws_ecs_task_definition.old", {"family": "old", "pid_mode": "host",
                                               "container_definitions": CONTAINERS}, {},
               actions=("delete",)),
    ],
    "configuration": {"provider_config": {"aws": {"expressions": {
        "region": {"constant_value": "eu-west-1"}}}}, "root_module": {"resources": [
            {"address": "aws_ecs_task_definition.app",
             "expressions": {"task_role_arn": refs("aws_iam_role.task.arn")}},
            {"address": "aws_lb.public",
             "expressions": {"security_groups": refs("aws_security_group.lb.id")}},
            {"address": "aws_lb_listener.https", "expressions": {
                "load_balancer_arn": refs("aws_lb.public.arn"),
                "default_action": [{"target_group_arn": refs("aws_lb_target_group.app.arn")}]}},
            {"address": "aws_ecs_service.app", "expressions": {
                "cluster": refs("aws_ecs_cluster.main.id"),
                "task_definition": refs("aws_ecs_task_definition.app.arn"),
                "network_configuration": [{"security_groups": refs("aws_security_group.x.id")}],
                "load_balancer": [{"target_group_arn": refs("aws_lb_target_group.app.arn")}]}},
        ]}},
}


def test_plan_with_unknowns_links_planned_resources(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.json", json.dumps(PLAN, indent=2))
    result, inventory, report = scan_paths([path])
    assert report.read == [str(path)]
    app = finding(result, "app")
    assert app.cluster == "prod" and app.region == "eu-west-1"
    assert app.reachability == "internet"               # via the planned public ALB
    assert {"privileged-container", "administrative-policy", "open-security-group",
            "internet-reachable"} <= {t.id for t in app.traits}
    assert app.severity.name == "HIGH"
    # The service's own security group is not in the plan: named, not assumed closed.
    service = inventory.services[app.arn]
    groups = service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    assert [is_unknown(g) for g in groups] == [True]
    assert not any(td.get("family") == "old" for td in inventory.task_definitions.values())
    privileged = traits(app, "privileged-container")[0]
    assert privileged.file_pointer == "/resource_changes/2/change/after/container_definitions"
    assert position(privileged).line == line_of(path, '"container_definitions"')


def test_state_json_uses_real_ids(tmp_path: Path) -> None:
    state = {"format_version": "1.0", "values": {"root_module": {"child_modules": [{
        "address": "module.svc", "resources": [
            {"address": "module.svc.aws_ecs_task_definition.app", "mode": "managed",
             "type": "aws_ecs_task_definition", "name": "app", "values": {
                 "arn": "arn:aws:ecs:us-east-1:111122223333:task-definition/app:7",
                 "family": "app", "revision": 7, "ipc_mode": "host",
                 "container_definitions": CONTAINERS}},
            {"address": "module.svc.aws_ecs_service.app", "mode": "managed",
             "type": "aws_ecs_service", "name": "app", "values": {
                 "id": "arn:aws:ecs:us-east-1:111122223333:service/prod/app", "name": "app",
                 "cluster": "arn:aws:ecs:us-east-1:111122223333:cluster/prod",
                 "task_definition": "arn:aws:ecs:us-east-1:111122223333:task-definition/app:7",
                 "network_configuration": []}},
        ]}]}}}
    path = write(tmp_path, "state.json", json.dumps(state))
    result, _, _ = scan_paths([path])
    app = finding(result, "app")
    assert app.account == "111122223333" and app.task_definitions == (
        "arn:aws:ecs:us-east-1:111122223333:task-definition/app:7",)
    assert {"host-ipc-namespace", "privileged-container"} <= {t.id for t in app.traits}
    assert position(traits(app, "host-ipc-namespace")[0]).line == 1  # one-line JSON


def test_hcl_module_is_read_with_exact_lines(tmp_path: Path) -> None:
    variables = write(tmp_path, "tf/variables.tf",
                      'variable "public" {\n  default = true\n}\n')
    network = write(tmp_path, "tf/network.tf", """\
resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
""")
    main = write(tmp_path, "tf/main.tf", """\
resource "aws_iam_role" "task" {
  name = "app-task"
  inline_policy {
    name   = "all"
    policy = jsonencode({
      Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
    })
  }
}

resource "aws_ecs_task_definition" "app" {
  family        = "app"
  network_mode  = "awsvpc"
  task_role_arn = aws_iam_role.task.arn
  container_definitions = jsonencode([
    {
      name         = "web"
      image        = "nginx:${local.missing}"
      privileged   = true
      portMappings = [{ containerPort = 443 }]
    }
  ])
}

resource "aws_ecs_service" "app" {
  name            = "app"
  task_definition = aws_ecs_task_definition.app.arn
  network_configuration {
    subnets          = ["subnet-1"]
    security_groups  = [aws_security_group.web.id]
    assign_public_ip = var.public
  }
}
""")
    result, _, report = scan_paths([tmp_path / "tf"])
    assert sorted(report.read) == sorted([str(network), str(main), str(variables)])
    app = finding(result, "app")
    assert {"privileged-container", "administrative-policy", "open-security-group",
            "public-ip", "internet-reachable"} <= {t.id for t in app.traits}
    assert position(traits(app, "privileged-container")[0]).line == line_of(
        main, "privileged   = true")
    assert position(traits(app, "open-security-group")[0]).line == line_of(
        network, "cidr_blocks")
    assert position(traits(app, "administrative-policy")[0]).line == line_of(
        main, "Statement = [")
    assert position(traits(app, "public-ip")[0]).line == line_of(main, "assign_public_ip")


def test_malformed_hcl_is_an_error_naming_the_file(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.tf", 'resource "aws_ecs_service" "x" {\n  name = \n')
    _, _, report = scan_paths([bad])
    assert report.errors and report.errors[0].source == str(bad)
    assert "invalid HCL" in report.errors[0].message


def test_deeply_nested_hcl_is_refused_not_crashed(tmp_path: Path) -> None:
    deep = write(tmp_path, "deep.tf",
                 'resource "aws_ecs_service" "x" {\n  name = ' + "[" * 3000 + "]" * 3000 + "\n}\n")
    _, _, report = scan_paths([deep])
    assert [e.source for e in report.errors] == [str(deep)]
    assert "nested too deeply" in report.errors[0].message
