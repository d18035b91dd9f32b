"""Terraform plan and state JSON (``terraform show -json``) in.

A plan is the preferred input: it holds every resource with the values Terraform will apply,
even for modules and ``count``/``for_each``. Values not known until apply are absent from
``change.after`` and flagged ``true`` in ``change.after_unknown``; they become *unknown*
markers, and where the plan's ``configuration`` says which resource an expression refers to
(``security_groups = [aws_security_group.web.id]``), the marker carries that address so the
service is linked to the planned security group, not left with an unknown one. A state file's
values are all known (and include real ids and ARNs).

Resources being destroyed are ignored; data sources are not resources of the estate.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from ecs_exposure.analysis.unknown import Unknown
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import SourceError
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.iac import hcl, tf_modules
from ecs_exposure.sources.iac.shapes import add_to_inventory
from ecs_exposure.sources.iac.tf_files import real
from ecs_exposure.sources.iac.tf_resource import TfResource
from ecs_exposure.sources.iac.tf_translate import TfTranslation

LIST_ATTRIBUTES = frozenset({"security_groups", "subnets", "cidr_blocks", "ipv6_cidr_blocks",
                             "managed_policy_arns", "roles", "prefix_list_ids"})
"""Attributes that hold lists: an unknown one becomes a list of unknown references."""


def _esc(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def is_terraform(doc: Any) -> bool:
    """``terraform show -json`` output of a plan or a state."""
    return isinstance(doc, dict) and "format_version" in doc and any(
        key in doc for key in ("resource_changes", "planned_values", "values"))


def _references(expression: Any, module: str) -> list[tuple[str, str]]:
    """``(resource address, attribute)`` pairs an expression refers to, module-qualified."""
    refs = expression.get("references") if isinstance(expression, dict) else None
    found: dict[str, str] = {}
    for ref in refs if isinstance(refs, list) else ():
        if not isinstance(ref, str) or not ref.startswith("aws_"):
            continue
        parts = ref.split(".")
        if len(parts) < 2:
            continue
        address = f"{module}{parts[0]}.{parts[1]}"
        attribute = parts[2] if len(parts) > 2 else ""
        if attribute or address not in found:
            found[address] = attribute
    return list(found.items())


def _unknown(expression: Any, module: str, name: str, pointer: str) -> Any:
    refs = _references(expression, module)
    markers = [Unknown(f"known after apply: {address}{'.' + attr if attr else ''}",
                       reference=address, via=f"tf:{attr}") for address, attr in refs]
    if name in LIST_ATTRIBUTES:
        return markers or [Unknown(f"known after apply: {name}")]
    if len(markers) == 1:
        return markers[0]
    return Unknown(f"known after apply: {name}")


class _Merger:
    """Rebuilds one resource's values from ``after`` + ``after_unknown`` with origins."""

    def __init__(self, res: TfResource, module: str) -> None:
        self.res = res
        self.module = module

    def merge(self, after: Any, unknown: Any, expression: Any, pointers: tuple[str, str],
              name: str) -> Any:
        if unknown is True:
            return _unknown(expression, self.module, name, pointers[1])
        if isinstance(after, dict) or isinstance(unknown, dict):
            after_map = after if isinstance(after, dict) else {}
            unknown_map = unknown if isinstance(unknown, dict) else {}
            out: dict[str, Any] = {}
            for key in list(after_map) + [k for k in unknown_map if k not in after_map]:
                child_expr = expression.get(key) if isinstance(expression, dict) else None
                in_after = key in after_map and unknown_map.get(key) is not True
                self.res.where[(id(out), key)] = \
                    f"{pointers[0 if in_after else 1]}/{_esc(key)}"
                out[key] = self.merge(after_map.get(key), unknown_map.get(key), child_expr,
                                      (f"{pointers[0]}/{_esc(key)}",
                                       f"{pointers[1]}/{_esc(key)}"), key)
            return out
        if isinstance(after, list) or isinstance(unknown, list):
            after_list = after if isinstance(after, list) else []
            unknown_list = unknown if isinstance(unknown, list) else []
            items: list[Any] = []
            for index in range(max(len(after_list), len(unknown_list))):
                child_expr = expression[index] if isinstance(expression, list) and \
                    index < len(expression) else expression
                value = self.merge(after_list[index] if index < len(after_list) else None,
                                   unknown_list[index] if index < len(unknown_list) else None,
                                   child_expr, (f"{pointers[0]}/{index}",
                                                f"{pointers[1]}/{index}"), name)
                in_after = index < len(after_list) and not (
                    index < len(unknown_list) and unknown_list[index] is True)
                self.res.where[(id(items), len(items))] = \
                    f"{pointers[0 if in_after else 1]}/{index}"
                if isinstance(value, list) and name in LIST_ATTRIBUTES and \
                        not isinstance(after_list[index] if index < len(after_list) else None,
                                       list):
                    items.extend(value)
                else:
                    items.append(value)
            return items
        return after


def _expressions(doc: dict[str, Any]) -> dict[str, Any]:
    """Configuration expressions by module-qualified, index-free resource address."""
    found: dict[str, Any] = {}

    def walk(module: Any, prefix: str) -> None:
        if not isinstance(module, dict):
            return
        for resource in module.get("resources") or ():
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                found[prefix + resource["address"]] = resource.get("expressions")
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                walk(call.get("module"), f"{prefix}module.{name}.")

    configuration = doc.get("configuration")
    walk(configuration.get("root_module") if isinstance(configuration, dict) else None, "")
    return found


def _base_address(address: str) -> str:
    """``module.a["x"].aws_lb.web[0]`` → ``module.a.aws_lb.web`` (configuration address)."""
    out, depth = [], 0
    for char in address:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def plan_resources(doc: dict[str, Any]) -> list[TfResource]:
    expressions = _expressions(doc)
    resources: list[TfResource] = []
    for index, change in enumerate(doc.get("resource_changes") or ()):
        if not isinstance(change, dict) or change.get("mode", "managed") != "managed":
            continue
        raw = change.get("change")
        body: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if body.get("actions") == ["delete"] or not isinstance(change.get("address"), str):
            continue
        address = change["address"]
        module = f"{change['module_address']}." if change.get("module_address") else ""
        module = _base_address(module)
        res = TfResource(address, str(change.get("type")), {}, f"/resource_changes/{index}")
        base = f"/resource_changes/{index}/change"
        values = _Merger(res, module).merge(
            body.get("after"), body.get("after_unknown"),
            expressions.get(_base_address(address)), (f"{base}/after", f"{base}/after_unknown"),
            "")
        res.values = values if isinstance(values, dict) else {}
        resources.append(res)
    return resources


def state_resources(doc: dict[str, Any], key: str = "values") -> list[TfResource]:
    resources: list[TfResource] = []

    def walk(module: Any, pointer: str) -> None:
        if not isinstance(module, dict):
            return
        for index, item in enumerate(module.get("resources") or ()):
            if not isinstance(item, dict) or item.get("mode", "managed") != "managed":
                continue
            res = TfResource(str(item.get("address")), str(item.get("type")), {},
                             f"{pointer}/resources/{index}")
            values = _Merger(res, "").merge(item.get("values"), None, None,
                                            (f"{pointer}/resources/{index}/values",) * 2, "")
            res.values = values if isinstance(values, dict) else {}
            resources.append(res)
        for index, child in enumerate(module.get("child_modules") or ()):
            walk(child, f"{pointer}/child_modules/{index}")

    section = doc.get(key)
    walk(section.get("root_module") if isinstance(section, dict) else None,
         f"/{key}/root_module")
    return resources


def _region(doc: dict[str, Any]) -> str:
    configuration: Any = doc.get("configuration")
    try:
        value = configuration["provider_config"]["aws"]["expressions"]["region"][
            "constant_value"]
    except (KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def read_terraform(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """Document reader for ``terraform show -json`` plans and states."""
    if not is_terraform(doc):
        return False
    if "resource_changes" in doc:
        resources = plan_resources(doc)
    elif "planned_values" in doc:
        resources = state_resources(doc, "planned_values")
    else:
        resources = state_resources(doc)
    built = TfTranslation(resources, _region(doc)).run()
    add_to_inventory(inventory, built, source)
    return True


def read_hcl(inventory: Inventory, data: bytes, source: str, context: ReadContext) -> bool:
    """Raw reader for ``.tf`` files (best effort; see :mod:`.hcl`), following local modules
    (see :mod:`.tf_modules`). A file already read through a module call is not read again."""
    if not hcl.looks_like_hcl(data):
        return False
    state = tf_modules.state_for(inventory)
    if real(source) in state.read:
        return True
    folder = os.path.dirname(source)
    roots = tuple(context.roots) or (real(folder),)
    module = state.directory(folder, folder, roots, dict(context.parameters))
    _read_file(inventory, state, module, source, data, 0)
    return True


def _read_file(inventory: Inventory, state: tf_modules.ModuleState,
               module: tf_modules.ModuleDir, source: str, data: bytes | None,
               depth: int) -> None:
    """Add one file's resources, then read the modules it calls."""
    state.read.add(real(source))
    doc = module.document(source, data)
    own = hcl.resources(doc)
    addresses = {r.address for r in own}
    neighbours = [r for d in module.neighbours(source) for r in hcl.resources(
        d, with_origins=False) if r.address not in addresses]
    translation = TfTranslation(own, "", neighbours)
    add_to_inventory(inventory, translation.run(), source)
    for call in tf_modules.calls(doc, source, module.files.roots):
        if call.path is not None and depth >= tf_modules.MAX_MODULE_DEPTH \
                and not state.loaded(call.path):
            call = replace(call, path=None, problem=f"modules nested more than "
                           f"{tf_modules.MAX_MODULE_DEPTH} deep: not read")
        if call.path is None:
            inventory.incomplete.setdefault(call.label, []).append(call.problem)
            continue
        arguments = {name: tf_modules.argument(translation, value)
                     for name, value in call.arguments.items()}
        called = state.directory(call.path, module.files.root_dir, module.files.roots,
                                 arguments)
        for key, (name, problem) in called.failed.items():
            if key not in state.read:       # counted as read when the scan reaches it
                state.read.add(key)
                inventory.errors.append(SourceError(name, problem))
        for key, name in called.names.items():
            if key not in state.read:
                _read_file(inventory, state, called, name, None, depth + 1)
