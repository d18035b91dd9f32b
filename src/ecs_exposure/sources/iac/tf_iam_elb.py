"""Terraform IAM and ELBv2 resources → API shapes (companion of :mod:`.tf_translate`).

Roles collect their policies from every place Terraform can put them: ``inline_policy`` and
``managed_policy_arns`` on the role, ``aws_iam_role_policy``, ``aws_iam_role_policy_attachment``
and ``aws_iam_policy_attachment``. A target group's ``LoadBalancerArns`` is derived from the
listeners and listener rules that forward to it, as the API reports it.
"""

from __future__ import annotations

from typing import Any, Protocol

from ecs_exposure.analysis.unknown import Unknown
from ecs_exposure.sources.iac.shapes import Built, Converter, as_list
from ecs_exposure.sources.iac.tf_resource import (
    TfResource,
    camel,
    decode_json,
    known,
    single_block,
)


class Translator(Protocol):
    """What these handlers use of :class:`.tf_translate.TfTranslation`, which calls them
    (named here so that this module does not import the one that imports it)."""

    built: dict[str, Built]
    roles_by_name: dict[str, Built]

    def new(self, kind: Any, res: TfResource) -> tuple[Built, Converter]: ...

    def field(self, built: Built, conv: Converter, res: TfResource, api: str, container: Any,
              key: str, value: Any = None) -> None: ...

    def key_of(self, res: TfResource) -> str: ...

    def resolve(self, value: Any) -> Any: ...

    def resolved(self, value: Any) -> Any: ...


def policy_document(built: Built, conv: Converter, api: str, container: Any, key: str) -> Any:
    """A policy attribute (JSON string or object) as a document, with origins."""
    conv.note(built, api, container, key)
    value = container.get(key)
    if isinstance(value, dict):
        return conv.copy(built, value, api, lambda k, p: k)
    return decode_json(value)


def role(t: Translator, res: TfResource) -> None:
    built, conv = t.new("role", res)
    values = res.values
    name = values.get("name") if known(values.get("name")) else res.address
    built.body = {"RoleName": name, "Arn": built.key, "Path": values.get("path") or "/",
                  "AssumeRolePolicyDocument": decode_json(values.get("assume_role_policy")),
                  "RolePolicyList": [], "AttachedManagedPolicies": []}
    t.roles_by_name[str(name)] = built
    inline = values.get("inline_policy")
    for index, item in enumerate(as_list(inline)):
        if isinstance(item, dict) and item.get("policy"):
            api = f"/RolePolicyList/{len(built.body['RolePolicyList'])}"
            conv.note(built, api, inline, index)
            built.body["RolePolicyList"].append({
                "PolicyName": item.get("name") or index,
                "PolicyDocument": policy_document(built, conv, f"{api}/PolicyDocument", item,
                                                  "policy")})
    arns = values.get("managed_policy_arns")
    for index, arn in enumerate(as_list(arns)):
        attach(built, t.resolve(arn), res.origin(arns, index) if isinstance(arns, list)
               else res.anchor)


def attach(built: Built, arn: Any, origin: str | None) -> None:
    api = f"/AttachedManagedPolicies/{len(built.body['AttachedManagedPolicies'])}"
    if origin:
        built.origins[api] = origin
    built.body["AttachedManagedPolicies"].append(
        {"PolicyArn": arn, "PolicyName": str(arn).rsplit("/", 1)[-1]})


def _roles(t: Translator, value: Any) -> list[Built]:
    names = [t.resolve(v) for v in as_list(value)]
    return [t.roles_by_name[str(n)] for n in names if str(n) in t.roles_by_name]


def policy(t: Translator, res: TfResource) -> None:
    built, conv = t.new("managed-policy", res)
    document = policy_document(built, conv, "/PolicyVersionList/0/Document", res.values,
                               "policy")
    name = res.values.get("name") if known(res.values.get("name")) else res.address
    built.body = {"PolicyName": name, "Arn": built.key, "DefaultVersionId": "v1",
                  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                                         "Document": document}]}


def role_policy(t: Translator, res: TfResource) -> None:
    conv = Converter(res.origin)
    for target in _roles(t, res.values.get("role")):
        api = f"/RolePolicyList/{len(target.body['RolePolicyList'])}"
        target.origins[api] = res.anchor
        target.body["RolePolicyList"].append({
            "PolicyName": res.values.get("name") or res.address,
            "PolicyDocument": policy_document(target, conv, f"{api}/PolicyDocument",
                                              res.values, "policy")})


def attachment(t: Translator, res: TfResource) -> None:
    arn = t.resolve(res.values.get("policy_arn"))
    for target in _roles(t, res.values.get("roles") or res.values.get("role")):
        attach(target, arn, res.anchor)


def load_balancer(t: Translator, res: TfResource) -> None:
    built, conv = t.new("load-balancers", res)
    values = res.values
    internal = values.get("internal")
    scheme: Any = Unknown(f"scheme of {res.address} (internal is {internal.reason})") \
        if isinstance(internal, Unknown) else (
            "internal" if internal is True else "internet-facing")
    built.body = {"LoadBalancerArn": built.key, "Scheme": scheme,
                  "LoadBalancerName": values.get("name") or res.address,
                  "Type": values.get("load_balancer_type") or "application"}
    conv.note(built, "/Scheme", values, "internal")
    if "security_groups" in values:
        built.body["SecurityGroups"] = as_list(t.resolved(values["security_groups"]))
        conv.note(built, "/SecurityGroups", values, "security_groups")
    built.body["Subnets"] = as_list(t.resolved(values.get("subnets")))


def target_group(t: Translator, res: TfResource) -> None:
    built, conv = t.new("target-groups", res)
    values = res.values
    built.body = {"TargetGroupArn": built.key, "LoadBalancerArns": [],
                  "TargetGroupName": values.get("name") or res.address}
    for key in ("port", "protocol", "target_type", "vpc_id"):
        t.field(built, conv, res, camel(key)[:1].upper() + camel(key)[1:], values, key)


def _actions(t: Translator, actions: Any) -> list[dict[str, Any]]:
    shaped = []
    for action in as_list(actions):
        if not isinstance(action, dict):
            continue
        item: dict[str, Any] = {"Type": action.get("type")}
        if action.get("target_group_arn"):
            item["TargetGroupArn"] = t.resolve(action["target_group_arn"])
        forward = single_block(action.get("forward"))
        groups = [t.resolve(g.get("arn")) for g in as_list(forward.get("target_group"))
                  if isinstance(g, dict)]
        if groups:
            item["ForwardConfig"] = {"TargetGroups": [{"TargetGroupArn": g} for g in groups]}
        shaped.append(item)
    return shaped


def _targets(actions: list[dict[str, Any]]) -> list[Any]:
    found = [a.get("TargetGroupArn") for a in actions]
    for action in actions:
        found += [g["TargetGroupArn"] for g in
                  action.get("ForwardConfig", {}).get("TargetGroups", [])]
    return [f for f in found if isinstance(f, str)]


def listener(t: Translator, res: TfResource) -> None:
    built, conv = t.new("listeners", res)
    values = res.values
    built.body = {"ListenerArn": built.key,
                  "LoadBalancerArn": t.resolve(values.get("load_balancer_arn")),
                  "Port": values.get("port"), "Protocol": values.get("protocol"),
                  "DefaultActions": _actions(t, values.get("default_action"))}
    conv.note(built, "/Port", values, "port")
    conv.note(built, "/DefaultActions", values, "default_action")


def _link(t: Translator, target: str, balancer: Any) -> None:
    group = t.built.get(target)
    if group is not None and group.kind == "target-groups" and \
            balancer not in group.body["LoadBalancerArns"]:
        group.body["LoadBalancerArns"].append(balancer)


def listener_targets(t: Translator, res: TfResource) -> None:
    built = t.built.get(t.key_of(res))
    if built is not None:
        for target in _targets(built.body["DefaultActions"]):
            _link(t, target, built.body["LoadBalancerArn"])


def listener_rule(t: Translator, res: TfResource) -> None:
    listener_arn = t.resolve(res.values.get("listener_arn"))
    found = t.built.get(str(listener_arn))
    balancer: Any = found.body["LoadBalancerArn"] if found is not None and \
        found.kind == "listeners" else Unknown(f"load balancer of listener {listener_arn}")
    for target in _targets(_actions(t, res.values.get("action"))):
        _link(t, target, balancer)
