"""One CloudFormation template: its resources, their names and what ``Ref``/``GetAtt`` return.

Before deployment no resource has an id or ARN, so stable stand-ins are synthesised, chosen so
that joins work exactly as they do on real API data and so that a reader recognises them:

* names a template does not set are named as CloudFormation does, ``<stack>-<LogicalId>``
  without the random suffix; the stack name is ``AWS::StackName`` from ``--parameters``, else
  the template's file name (``web.template.json`` → ``web``);
* EC2 ids keep their AWS prefix (``sg-<stack>-<LogicalId>``, ``igw-…``, ``subnet-…``), which
  the reachability detector relies on (a route to ``igw-…`` is a route to the internet);
* ARNs have AWS's layout, with the region and account from ``--parameters``
  (``AWS::Region``, ``AWS::AccountId``) or left empty: ``arn:aws:ecs:::service/<cluster>/<name>``;
* two task definitions of one family (or two services of one name in one cluster) are two
  resources: their ARNs then end in ``#<LogicalId>``, so neither replaces the other and a
  ``Ref`` to either finds the right one.

Attributes only AWS can know (DNS names, nested stack outputs, role ids) are *unknown*.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import Any

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.sources.iac.cfn_eval import NO_VALUE, Evaluator, escape

EC2_PREFIXES = {
    "AWS::EC2::SecurityGroup": "sg", "AWS::EC2::Subnet": "subnet",
    "AWS::EC2::RouteTable": "rtb", "AWS::EC2::InternetGateway": "igw",
    "AWS::EC2::VPC": "vpc", "AWS::EC2::NatGateway": "nat",
    "AWS::EC2::EgressOnlyInternetGateway": "eigw", "AWS::EC2::TransitGateway": "tgw",
    "AWS::EC2::VPCEndpoint": "vpce", "AWS::EC2::NetworkInterface": "eni",
    "AWS::EC2::VPCPeeringConnection": "pcx", "AWS::EC2::PrefixList": "pl",
}
LB_TYPES = {"network": "net", "gateway": "gwy"}
_YAML_HINT = re.compile(rb"^(?:Resources|AWSTemplateFormatVersion|Transform)[ \t]*:", re.M)


def looks_like_yaml_template(data: bytes) -> bool:
    """Cheap content sniff before parsing: a top-level template key and an AWS type."""
    return b"AWS::" in data and _YAML_HINT.search(data) is not None


def stack_name_for(source: str) -> str:
    """``cdk.out/Web.template.json`` → ``Web``: the stand-in stack name of a template file."""
    name = PurePath(source).name
    for suffix in (".json", ".yaml", ".yml", ".template", ".cfn"):
        name = name.removesuffix(suffix)
    return name.removesuffix(".template") or "stack"


class Template:
    """Evaluation and naming for the resources of one template."""

    def __init__(self, doc: Mapping[str, Any], source: str, provided: Mapping[str, Any]) -> None:
        self.doc = doc
        self.source = source
        stack = provided.get("AWS::StackName")
        self.stack = stack if isinstance(stack, str) and stack else stack_name_for(source)
        raw = doc.get("Resources")
        self.resources: dict[str, Mapping[str, Any]] = {
            str(k): v for k, v in (raw.items() if isinstance(raw, dict) else ())
            if isinstance(v, dict) and isinstance(v.get("Type"), str)
        }
        self.evaluator = Evaluator(doc, provided, self.value_of)
        self._props: dict[str, dict[str, Any]] = {}
        self._naming: set[tuple[str, str]] = set()
        self._shared: dict[str, Counter[str]] = {}

    # ---- basics --------------------------------------------------------------------------

    def type_of(self, logical: str) -> str:
        return str(self.resources[logical]["Type"])

    def included(self, logical: str) -> bool:
        """Resources whose Condition is false are not created; unknown conditions count as
        created (a resource that may exist may be exposed)."""
        condition = self.resources[logical].get("Condition")
        return condition is None or self.evaluator.condition(condition) is not False

    def pointer(self, logical: str) -> str:
        return f"/Resources/{escape(logical)}"

    def props(self, logical: str) -> dict[str, Any]:
        """Evaluated ``Properties`` (memoised; the same objects carry the origins)."""
        if logical not in self._props:
            raw = self.resources[logical].get("Properties")
            value = self.evaluator.resolve(raw if isinstance(raw, dict) else {},
                                           f"{self.pointer(logical)}/Properties")
            self._props[logical] = value if isinstance(value, dict) else {}
        return self._props[logical]

    def prop(self, logical: str, name: str) -> Any:
        """One property, evaluated on its own (naming must not evaluate whole resources,
        which may refer back to the one being named)."""
        if logical in self._props:
            return self._props[logical].get(name)
        raw = self.resources[logical].get("Properties")
        if not isinstance(raw, dict) or name not in raw or (logical, name) in self._naming:
            return None
        self._naming.add((logical, name))
        try:
            value = self.evaluator.resolve(
                raw[name], f"{self.pointer(logical)}/Properties/{escape(name)}")
        finally:
            self._naming.discard((logical, name))
        return None if value is NO_VALUE else value

    def where(self, container: Any, key: Any) -> str | None:
        return self.evaluator.where.get((id(container), key))

    # ---- names and ARNs --------------------------------------------------------------------

    def _pseudo(self, name: str) -> str:
        value = self.evaluator.pseudo.get(name)
        return value if isinstance(value, str) and not is_unknown(value) else ""

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in AWS's layout; region and account empty when not given."""
        region = self._pseudo("AWS::Region") if regional else ""
        return (f"arn:{self._pseudo('AWS::Partition') or 'aws'}:{service}:{region}:"
                f"{self._pseudo('AWS::AccountId')}:{resource}")

    def name(self, logical: str, prop: str | None) -> str:
        """The resource's own name property, else CloudFormation's generated name."""
        value = self.prop(logical, prop) if prop else None
        if isinstance(value, str) and value and not is_unknown(value):
            return value
        return f"{self.stack}-{logical}"

    def physical_id(self, logical: str) -> str:
        return f"{EC2_PREFIXES[self.type_of(logical)]}-{self.stack}-{logical}"

    def file_system_id(self, logical: str) -> str:
        """A stand-in EFS id (``fs-<stack>-<logical id>``) that task definitions' volumes
        resolve to, so they join the file system the template creates."""
        return f"fs-{self.stack}-{logical}"

    def value_of(self, logical: str, attribute: str | None) -> Any:
        """What ``Ref`` (``attribute`` None) or ``Fn::GetAtt`` returns for a resource."""
        if logical not in self.resources:
            return Unknown(f"{'Ref' if attribute is None else 'GetAtt'} {logical} "
                           "(not in this template)")
        kind = self.type_of(logical)
        handler = _VALUES.get(kind)
        found = handler(self, logical, attribute) if handler else None
        if found is not None:
            return found
        if kind in EC2_PREFIXES and attribute is None:
            return self.physical_id(logical)
        if kind == "AWS::CloudFormation::Stack" and attribute and attribute.startswith(
                "Outputs."):
            return Unknown(f"output {attribute[8:]} of nested stack {logical}")
        what = f"{logical}.{attribute}" if attribute else logical
        return Unknown(f"{'GetAtt' if attribute else 'Ref'} {what}")

    # ---- per-type values ---------------------------------------------------------------------

    def cluster_name(self, logical: str) -> str:
        return self.name(logical, "ClusterName")

    def task_definition_family(self, logical: str) -> str:
        return self.name(logical, "Family")

    def _distinct(self, logical: str, base: str, naming: Callable[[str], str]) -> str:
        """``base``, or ``base#<LogicalId>`` when another resource of the same type that the
        template creates would have the same ``base`` (per type, counted once)."""
        kind = self.type_of(logical)
        if kind not in self._shared:
            self._shared[kind] = Counter(naming(other) for other in self.resources
                                         if self.type_of(other) == kind
                                         and self.included(other))
        return f"{base}#{logical}" if self._shared[kind][base] > 1 else base

    def task_definition_arn(self, logical: str) -> str:
        def base(name: str) -> str:
            return self.arn("ecs", f"task-definition/{self.task_definition_family(name)}")
        return self._distinct(logical, base(logical), base)

    def role_arn(self, logical: str) -> str:
        path = self.prop(logical, "Path")
        path = path if isinstance(path, str) and path.startswith("/") else "/"
        return self.arn("iam", f"role{path}{self.name(logical, 'RoleName')}", regional=False)

    def managed_policy_arn(self, logical: str) -> str:
        path = self.prop(logical, "Path")
        path = path if isinstance(path, str) and path.startswith("/") else "/"
        name = self.name(logical, "ManagedPolicyName")
        return self.arn("iam", f"policy{path}{name}", regional=False)

    def load_balancer_arn(self, logical: str) -> str:
        kind = self.prop(logical, "Type")
        short = LB_TYPES.get(kind, "app") if isinstance(kind, str) else "app"
        name = self.name(logical, "Name")
        return self.arn("elasticloadbalancing",
                        f"loadbalancer/{short}/{name}/{self.stack}-{logical}")

    def target_group_arn(self, logical: str) -> str:
        return self.arn("elasticloadbalancing",
                        f"targetgroup/{self.name(logical, 'Name')}/{self.stack}-{logical}")

    def listener_arn(self, logical: str, rule: bool = False) -> str:
        kind = "listener-rule" if rule else "listener"
        return self.arn("elasticloadbalancing", f"{kind}/app/{self.stack}/{logical}")

    def service_name(self, logical: str) -> str:
        value = self.prop(logical, "ServiceName")
        return value if isinstance(value, str) and value and not is_unknown(value) else logical

    def cluster_arn_for(self, value: Any) -> Any:
        """A service's ``Cluster`` (a name, an ARN or unknown) as the API's ``clusterArn``."""
        if not isinstance(value, str) or is_unknown(value) or value.startswith("arn:"):
            return value if value else self.arn("ecs", "cluster/default")
        return self.arn("ecs", f"cluster/{value}")

    def service_arn(self, logical: str) -> str:
        return self._distinct(logical, self._service_arn(logical), self._service_arn)

    def _service_arn(self, logical: str) -> str:
        cluster = self.prop(logical, "Cluster")
        name = self.service_name(logical)
        if isinstance(cluster, str) and cluster.startswith("arn:") and not is_unknown(cluster):
            cluster = cluster.rsplit("/", 1)[-1]
        cluster_text = str(cluster) if isinstance(cluster, str) and cluster else "default"
        return self.arn("ecs", f"service/{cluster_text}/{name}")


def _ecs_values(tpl: Template, logical: str, attribute: str | None) -> Any:
    kind = tpl.type_of(logical)
    if kind == "AWS::ECS::Cluster":
        name = tpl.cluster_name(logical)
        return name if attribute is None else (
            tpl.arn("ecs", f"cluster/{name}") if attribute == "Arn" else None)
    if kind == "AWS::ECS::TaskDefinition":
        if attribute in (None, "TaskDefinitionArn"):
            return tpl.task_definition_arn(logical)
        return None
    if kind == "AWS::ECS::Service":
        if attribute in (None, "ServiceArn"):
            return tpl.service_arn(logical)
        return tpl.service_name(logical) if attribute == "Name" else None
    return None


def _iam_values(tpl: Template, logical: str, attribute: str | None) -> Any:
    kind = tpl.type_of(logical)
    if kind == "AWS::IAM::Role":
        if attribute is None:
            return tpl.name(logical, "RoleName")
        return tpl.role_arn(logical) if attribute == "Arn" else None
    if kind == "AWS::IAM::ManagedPolicy":
        return tpl.managed_policy_arn(logical) if attribute in (None, "PolicyArn") else None
    if kind in ("AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
        return tpl.name(logical, "PolicyName") if attribute is None else None
    return None


def _network_values(tpl: Template, logical: str, attribute: str | None) -> Any:
    kind = tpl.type_of(logical)
    if attribute is None:
        return None
    if kind == "AWS::EC2::VPC":
        if attribute == "MainRouteTableId":
            return f"rtb-{tpl.stack}-{logical}-main"
        if attribute == "DefaultSecurityGroup":
            return f"sg-{tpl.stack}-{logical}-default"
        return tpl.prop(logical, "CidrBlock") if attribute == "CidrBlock" else None
    ids = {"GroupId": "AWS::EC2::SecurityGroup", "SubnetId": "AWS::EC2::Subnet",
           "RouteTableId": "AWS::EC2::RouteTable", "InternetGatewayId": "AWS::EC2::InternetGateway",
           "VpcId": "AWS::EC2::VPC"}
    if ids.get(attribute) == kind:
        return tpl.physical_id(logical)
    if attribute == "VpcId" and kind in ("AWS::EC2::SecurityGroup", "AWS::EC2::Subnet"):
        return tpl.prop(logical, "VpcId")
    return None


def _efs_values(tpl: Template, logical: str, attribute: str | None) -> Any:
    """An EFS file system's ``Ref`` (and ``GetAtt FileSystemId``) is its id."""
    return tpl.file_system_id(logical) if attribute in (None, "FileSystemId") else None


def _elb_values(tpl: Template, logical: str, attribute: str | None) -> Any:
    kind = tpl.type_of(logical)
    if kind.endswith("::LoadBalancer"):
        if attribute in (None, "LoadBalancerArn"):
            return tpl.load_balancer_arn(logical)
        if attribute == "LoadBalancerName":
            return tpl.name(logical, "Name")
        return tpl.prop(logical, "SecurityGroups") if attribute == "SecurityGroups" else None
    if kind.endswith("::TargetGroup"):
        if attribute in (None, "TargetGroupArn"):
            return tpl.target_group_arn(logical)
        return tpl.name(logical, "Name") if attribute == "TargetGroupName" else None
    if kind.endswith("::ListenerRule"):
        return tpl.listener_arn(logical, rule=True) if attribute in (None, "RuleArn") else None
    if kind.endswith("::Listener"):
        return tpl.listener_arn(logical) if attribute in (None, "ListenerArn") else None
    return None


_VALUES = {
    **dict.fromkeys(("AWS::ECS::Cluster", "AWS::ECS::TaskDefinition", "AWS::ECS::Service"),
                    _ecs_values),
    **dict.fromkeys(("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy",
                     "AWS::IAM::RolePolicy"), _iam_values),
    **dict.fromkeys(("AWS::EC2::VPC", "AWS::EC2::SecurityGroup", "AWS::EC2::Subnet",
                     "AWS::EC2::RouteTable", "AWS::EC2::InternetGateway"), _network_values),
    **dict.fromkeys(("AWS::ElasticLoadBalancingV2::LoadBalancer",
                     "AWS::ElasticLoadBalancingV2::TargetGroup",
                     "AWS::ElasticLoadBalancingV2::Listener",
                     "AWS::ElasticLoadBalancingV2::ListenerRule"), _elb_values),
    "AWS::EFS::FileSystem": _efs_values,
}
