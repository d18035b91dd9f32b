"""CloudFormation templates (JSON, YAML with short-form tags, SAM, CDK ``cdk.out``) in.

A file is a template when its ``Resources`` map holds resources with ``Type: AWS::…``; other
YAML (Kubernetes manifests, workflows, compose files) is not claimed. Supported resource types
are translated into API shapes (see :mod:`.cfn_translate`); every other type (Lambda, SAM's
``AWS::Serverless::*``, log groups…) is ignored without complaint, so SAM and CDK templates
are read for what they hold of ECS, EC2 networking, IAM and ELBv2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecs_exposure.analysis.unknown import Unknown
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.iac import links
from ecs_exposure.sources.iac.cfn_eval import NO_VALUE, escape
from ecs_exposure.sources.iac.cfn_template import Template, looks_like_yaml_template
from ecs_exposure.sources.iac.cfn_translate import Translation
from ecs_exposure.sources.iac.shapes import Built, add_to_inventory
from ecs_exposure.sources.iac.yamlload import load_yaml


def is_template(doc: Any) -> bool:
    """A CloudFormation template: ``Resources`` with at least one ``AWS::``/``Custom::`` type."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        return False
    return any(isinstance(r, dict) and isinstance(r.get("Type"), str)
               and r["Type"].startswith(("AWS::", "Custom::"))
               for r in doc["Resources"].values())


def _exports(tpl: Template) -> list[Any]:
    found: list[Any] = []
    outputs = tpl.doc.get("Outputs")
    for name, output in (outputs.items() if isinstance(outputs, dict) else ()):
        if not isinstance(output, dict) or not isinstance(output.get("Export"), dict):
            continue
        condition = output.get("Condition")
        if condition is not None and tpl.evaluator.condition(condition) is False:
            continue
        pointer = f"/Outputs/{escape(name)}"
        value = tpl.evaluator.resolve(output.get("Value"), f"{pointer}/Value")
        export_name = tpl.evaluator.resolve(output["Export"].get("Name"),
                                            f"{pointer}/Export/Name")
        item = links.export(export_name, None if value is NO_VALUE else value)
        if item is not None:
            found.append(item)
    return found


def _unattached_target_groups(built: list[Built], exports: list[Any]) -> None:
    """A target group no listener of this template uses but that is exported is attached
    to a load balancer elsewhere: unknown, not absent."""
    exported = {e.name: e.value for e in exports}
    for item in built:
        if item.kind == "target-groups" and not item.body["LoadBalancerArns"]:
            names = [n for n, v in exported.items() if v == item.key]
            if names:
                item.body["LoadBalancerArns"].append(Unknown(
                    f"load balancer in another stack (target group exported as {names[0]})"))


def read_template(inventory: Inventory, doc: dict[str, Any], source: str,
                  parameters: Mapping[str, Any]) -> None:
    """Translate one template, with the scan's parameter values, and add its resources to
    the inventory."""
    tpl = Template(doc, source, parameters)
    built = Translation(tpl).run()
    exports = _exports(tpl)
    _unattached_target_groups(built, exports)
    for item in built:
        if item.kind == "service" and item.key in inventory.services \
                and inventory.sources.get(item.key) != source:
            # The same service name in the same (unknown) cluster in two templates: keep both.
            item.key = f"{item.key}#{tpl.stack}"
            item.body["serviceArn"] = item.key
    renamed = add_to_inventory(inventory, built, source)
    links.register(inventory, built, exports, renamed)


def read_json_template(inventory: Inventory, doc: Any, source: str,
                       context: ReadContext) -> bool:
    """Document reader: JSON templates, including CDK's ``cdk.out/*.template.json``."""
    if not is_template(doc):
        return False
    read_template(inventory, doc, source, context.parameters)
    return True


def read_yaml_template(inventory: Inventory, data: bytes, source: str,
                       context: ReadContext) -> bool:
    """Raw reader: YAML templates (short-form tags allowed; hostile YAML refused)."""
    if not looks_like_yaml_template(data):
        return False
    doc, _ = load_yaml(data)
    if not is_template(doc):
        return False
    read_template(inventory, doc, source, context.parameters)
    return True
