"""CloudFormation resources → the AWS API shapes the detectors read.

ECS properties are PascalCase in templates and camelCase in the API (``Privileged`` →
``privileged``), with a few irregular names (``EFSVolumeConfiguration`` →
``efsVolumeConfiguration``, ``ClusterSettings`` → ``settings``). EC2, IAM and ELBv2 keep
PascalCase but are shaped differently: a security group's inline ``SecurityGroupIngress`` and
its separate ``AWS::EC2::SecurityGroupIngress`` resources become one ``IpPermissions`` list,
``AWS::EC2::Route`` and ``SubnetRouteTableAssociation`` resources fill their route table, IAM
``Policy``/``ManagedPolicy`` resources attach to the roles they name, and a target group's
``LoadBalancerArns`` is derived from the listeners and listener rules that forward to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_exposure.analysis.unknown import Unknown, describe, is_unknown
from ecs_exposure.sources.iac.cfn_template import Template
from ecs_exposure.sources.iac.shapes import Built, Converter, as_list

ECS_RENAMES = {
    "EFSVolumeConfiguration": "efsVolumeConfiguration",
    "FSxWindowsFileServerVolumeConfiguration": "fsxWindowsFileServerVolumeConfiguration",
    "FilesystemId": "fileSystemId", "IAM": "iam", "ClusterSettings": "settings",
    "AwsVpcConfiguration": "awsvpcConfiguration",  # TaskSet spells it differently
}
TOP_RENAMES = {"Cluster": "clusterArn", "Role": "roleArn"}
ECS_MAPS = frozenset({"options", "dockerLabels", "driverOpts", "labels"})
"""ECS members whose keys are user data (log driver options, labels), copied as they are."""


def ecs_name(key: str, parent: str) -> str:
    if not parent and key in TOP_RENAMES:
        return TOP_RENAMES[key]
    return ECS_RENAMES.get(key) or key[:1].lower() + key[1:]


def same_name(key: str, parent: str) -> str:
    return key


class Translation:
    """Builds every supported resource of one template; attachments in a second pass."""

    def __init__(self, tpl: Template) -> None:
        self.tpl = tpl
        self.conv = Converter(tpl.where)
        self.built: dict[str, Built] = {}
        self.roles_by_name: dict[str, Built] = {}
        self.later: list[tuple[str, str, dict[str, Any]]] = []

    def run(self) -> list[Built]:
        first: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::ECS::TaskDefinition": self.task_definition, "AWS::ECS::Service": self.service,
            "AWS::ECS::Cluster": self.cluster, "AWS::EC2::SecurityGroup": self.security_group,
            "AWS::EC2::Subnet": self.subnet, "AWS::EC2::RouteTable": self.route_table,
            "AWS::EC2::VPC": self.vpc, "AWS::IAM::Role": self.role,
            "AWS::IAM::ManagedPolicy": self.managed_policy,
            "AWS::ElasticLoadBalancingV2::LoadBalancer": self.load_balancer,
            "AWS::ElasticLoadBalancingV2::TargetGroup": self.target_group,
            "AWS::ElasticLoadBalancingV2::Listener": self.listener,
            "AWS::EFS::FileSystem": self.file_system,
        }
        second: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::EC2::SecurityGroupIngress": self.ingress, "AWS::EC2::Route": self.route,
            "AWS::EC2::SubnetRouteTableAssociation": self.association,
            "AWS::IAM::Policy": self.policy, "AWS::IAM::RolePolicy": self.policy,
            "AWS::IAM::ManagedPolicy": self.managed_policy_roles,
            "AWS::ElasticLoadBalancingV2::Listener": self.listener_targets,
            "AWS::ElasticLoadBalancingV2::ListenerRule": self.listener_rule,
            "AWS::ECS::TaskSet": self.task_set,
        }
        for table in (first, second):
            for logical in self.tpl.resources:
                handler = table.get(self.tpl.type_of(logical))
                if handler is not None and self.tpl.included(logical):
                    handler(logical, self.tpl.props(logical))
        return list(self.built.values())

    def new(self, kind: Any, key: str, logical: str) -> Built:
        built = Built(kind, key, {}, anchor=self.tpl.pointer(logical))
        self.built[key] = built
        return built

    def props_origin(self, logical: str) -> str:
        return f"{self.tpl.pointer(logical)}/Properties"

    # ---- ECS ---------------------------------------------------------------------------------

    def task_definition(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("task-definition", self.tpl.value_of(logical, None), logical)
        body = self.conv.copy(built, props, "", ecs_name, ECS_MAPS)
        body["family"] = self.tpl.task_definition_family(logical)
        if built.key != self.tpl.arn("ecs", f"task-definition/{body['family']}"):
            body["taskDefinitionArn"] = built.key   # one of its family: see task_definition_arn
        for name in ("cpu", "memory"):
            if isinstance(body.get(name), int | float) and not isinstance(body[name], bool):
                body[name] = str(body[name])
        containers = as_list(body.get("containerDefinitions"))
        unreadable = [describe(c) for c in containers if not isinstance(c, dict)]
        if unreadable:      # a parameter, an import, a macro: unknown, never "no container"
            built.incomplete.append(f"container definitions unknown: {', '.join(unreadable)}")
        body["containerDefinitions"] = [c for c in containers if isinstance(c, dict)]
        built.body = body

    def service(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("service", self.tpl.service_arn(logical), logical)
        body = self.conv.copy(built, props, "", ecs_name, ECS_MAPS)
        body["serviceArn"] = built.key
        body["serviceName"] = self.tpl.service_name(logical)
        body["clusterArn"] = self.tpl.cluster_arn_for(body.get("clusterArn"))
        body.setdefault("status", "ACTIVE")
        self._network(body)
        built.body = body

    @staticmethod
    def _network(body: dict[str, Any]) -> None:
        network = body.get("networkConfiguration")
        awsvpc = network.get("awsvpcConfiguration") if isinstance(network, dict) else None
        if isinstance(awsvpc, dict):
            for name in ("subnets", "securityGroups"):
                if name in awsvpc:
                    awsvpc[name] = as_list(awsvpc[name])
        if "loadBalancers" in body:
            body["loadBalancers"] = [e for e in as_list(body["loadBalancers"])
                                     if isinstance(e, dict)]

    def task_set(self, logical: str, props: dict[str, Any]) -> None:
        service = self.built.get(str(props.get("Service")))
        if service is None or service.kind != "service":
            return
        sets = service.body.setdefault("taskSets", [])
        api = f"/taskSets/{len(sets)}"
        service.origins[api] = self.props_origin(logical)
        body = self.conv.copy(service, props, api, ecs_name, ECS_MAPS)
        self._network(body)
        sets.append(body)

    def cluster(self, logical: str, props: dict[str, Any]) -> None:
        name = self.tpl.cluster_name(logical)
        built = self.new("cluster", self.tpl.arn("ecs", f"cluster/{name}"), logical)
        body = self.conv.copy(built, props, "", ecs_name, ECS_MAPS)
        body.update(clusterArn=built.key, clusterName=name, status="ACTIVE")
        built.body = body

    def file_system(self, logical: str, props: dict[str, Any]) -> None:
        """``Encrypted`` defaults to false in CloudFormation (as in the API)."""
        built = self.new("file-systems", self.tpl.file_system_id(logical), logical)
        encrypted = props.get("Encrypted", False)
        if isinstance(encrypted, str) and encrypted.strip().lower() in ("true", "false"):
            encrypted = encrypted.strip().lower() == "true"
        built.body = {"FileSystemId": built.key, "Encrypted": encrypted}
        self.conv.note(built, "/Encrypted", props, "Encrypted")
        if "KmsKeyId" in props:
            built.body["KmsKeyId"] = props["KmsKeyId"]

    # ---- EC2 ---------------------------------------------------------------------------------

    def security_group(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("security-groups", self.tpl.physical_id(logical), logical)
        built.body = {"GroupId": built.key,
                      "GroupName": props.get("GroupName") or logical,
                      "Description": props.get("GroupDescription", ""),
                      "VpcId": props.get("VpcId"), "IpPermissions": []}
        account = self.tpl.arn("iam", "").split(":")[4]
        if account:
            built.body["OwnerId"] = account
        rules = props.get("SecurityGroupIngress")
        for index, rule in enumerate(as_list(rules)):
            if isinstance(rule, dict):
                origin = self.tpl.where(rules, index) if isinstance(rules, list) else None
                self.permission(built, rule, origin or self.props_origin(logical))

    def permission(self, built: Built, rule: dict[str, Any], origin: str) -> None:
        """One ingress rule (inline or a separate resource) as an ``IpPermissions`` entry."""
        perms = built.body["IpPermissions"]
        api = f"/IpPermissions/{len(perms)}"
        built.origins[api] = origin
        protocol = rule.get("IpProtocol", "-1")
        perm: dict[str, Any] = {
            "IpProtocol": protocol if is_unknown(protocol) else str(protocol).lower(),
            "IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": [], "PrefixListIds": []}
        self.conv.note(built, f"{api}/IpProtocol", rule, "IpProtocol")
        for name in ("FromPort", "ToPort"):
            if name in rule:
                value = rule[name]
                perm[name] = int(value) if isinstance(value, str) and value.lstrip(
                    "-").isdigit() and not is_unknown(value) else value
                self.conv.note(built, f"{api}/{name}", rule, name)
        for field, target, inner in (("CidrIp", "IpRanges", "CidrIp"),
                                     ("CidrIpv6", "Ipv6Ranges", "CidrIpv6"),
                                     ("SourceSecurityGroupId", "UserIdGroupPairs", "GroupId"),
                                     ("SourcePrefixListId", "PrefixListIds", "PrefixListId")):
            if field in rule:
                entry = {inner: rule[field]}
                if "Description" in rule:
                    entry["Description"] = rule["Description"]
                perm[target].append(entry)
                self.conv.note(built, f"{api}/{target}/0", rule, field)
                self.conv.note(built, f"{api}/{target}/0/{inner}", rule, field)
        perms.append(perm)

    def ingress(self, logical: str, props: dict[str, Any]) -> None:
        group = self.built.get(str(props.get("GroupId")))
        if group is not None and group.kind == "security-groups":
            self.permission(group, props, self.props_origin(logical))

    def subnet(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("subnets", self.tpl.physical_id(logical), logical)
        built.body = self.conv.copy(built, props, "", same_name)
        built.body["SubnetId"] = built.key

    def route_table(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("route-tables", self.tpl.physical_id(logical), logical)
        built.body = {"RouteTableId": built.key, "VpcId": props.get("VpcId"), "Routes": [],
                      "Associations": []}

    def vpc(self, logical: str, props: dict[str, Any]) -> None:
        """A new VPC's main route table routes only inside the VPC, and its default security
        group admits only its own members, unless the template adds to them."""
        vpc_id = self.tpl.physical_id(logical)
        table = self.new("route-tables", str(self.tpl.value_of(logical, "MainRouteTableId")),
                         logical)
        table.body = {"RouteTableId": table.key, "VpcId": vpc_id, "Routes": [],
                      "Associations": [{"Main": True, "RouteTableId": table.key}]}
        group = self.new("security-groups",
                         str(self.tpl.value_of(logical, "DefaultSecurityGroup")), logical)
        group.body = {"GroupId": group.key, "GroupName": "default", "VpcId": vpc_id,
                      "Description": "default VPC security group",
                      "IpPermissions": [{"IpProtocol": "-1",
                                         "UserIdGroupPairs": [{"GroupId": group.key}]}]}

    def route(self, logical: str, props: dict[str, Any]) -> None:
        table = self.built.get(str(props.get("RouteTableId")))
        if table is None or table.kind != "route-tables":
            return
        api = f"/Routes/{len(table.body['Routes'])}"
        table.origins[api] = self.props_origin(logical)
        entry = self.conv.copy(table, {k: v for k, v in props.items() if k != "RouteTableId"},
                               api, same_name)
        entry["State"] = "active"
        table.body["Routes"].append(entry)

    def association(self, logical: str, props: dict[str, Any]) -> None:
        table = self.built.get(str(props.get("RouteTableId")))
        if table is not None and table.kind == "route-tables":
            api = f"/Associations/{len(table.body['Associations'])}"
            table.origins[api] = self.props_origin(logical)
            table.body["Associations"].append({"SubnetId": props.get("SubnetId"),
                                               "RouteTableId": table.key, "Main": False})

    # ---- IAM ---------------------------------------------------------------------------------

    def role(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("role", self.tpl.role_arn(logical), logical)
        name = self.tpl.name(logical, "RoleName")
        built.body = {"RoleName": name, "Arn": built.key, "Path": props.get("Path", "/"),
                      "AssumeRolePolicyDocument": props.get("AssumeRolePolicyDocument"),
                      "RolePolicyList": [], "AttachedManagedPolicies": []}
        self.roles_by_name[name] = built
        policies = props.get("Policies")
        for index, policy in enumerate(as_list(policies)):
            if isinstance(policy, dict):
                self.inline(built, policy, self.tpl.where(policies, index)
                            if isinstance(policies, list) else None)
        arns = props.get("ManagedPolicyArns")
        for index, arn in enumerate(as_list(arns)):
            origin = self.tpl.where(arns, index) if isinstance(arns, list) else None
            self.attach(built, arn, origin or self.props_origin(logical))

    def inline(self, role: Built, policy: dict[str, Any], origin: str | None) -> None:
        api = f"/RolePolicyList/{len(role.body['RolePolicyList'])}"
        if origin:
            role.origins[api] = origin
        self.conv.note(role, f"{api}/PolicyDocument", policy, "PolicyDocument")
        document = self.conv.copy(role, policy.get("PolicyDocument"), f"{api}/PolicyDocument",
                                  same_name)
        role.body["RolePolicyList"].append({"PolicyName": policy.get("PolicyName", ""),
                                            "PolicyDocument": document})

    @staticmethod
    def attach(role: Built, arn: Any, origin: str) -> None:
        api = f"/AttachedManagedPolicies/{len(role.body['AttachedManagedPolicies'])}"
        role.origins[api] = origin
        name = str(arn).rsplit("/", 1)[-1]
        role.body["AttachedManagedPolicies"].append({"PolicyArn": arn, "PolicyName": name})

    def roles_named(self, names: Any) -> list[tuple[int, Built]]:
        return [(index, self.roles_by_name[name]) for index, name in enumerate(as_list(names))
                if isinstance(name, str) and name in self.roles_by_name]

    def policy(self, logical: str, props: dict[str, Any]) -> None:
        targets = self.roles_named(props.get("Roles")) + self.roles_named(props.get("RoleName"))
        for _, role in targets:
            self.inline(role, props, self.props_origin(logical))

    def managed_policy(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("managed-policy", self.tpl.managed_policy_arn(logical), logical)
        api = "/PolicyVersionList/0/Document"
        self.conv.note(built, api, props, "PolicyDocument")
        document = self.conv.copy(built, props.get("PolicyDocument"), api, same_name)
        built.body = {"PolicyName": self.tpl.name(logical, "ManagedPolicyName"),
                      "Arn": built.key, "DefaultVersionId": "v1",
                      "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True,
                                             "Document": document}]}

    def managed_policy_roles(self, logical: str, props: dict[str, Any]) -> None:
        roles = props.get("Roles")
        arn = self.tpl.managed_policy_arn(logical)
        for index, role in self.roles_named(roles):
            origin = self.tpl.where(roles, index) if isinstance(roles, list) else None
            if not any(a.get("PolicyArn") == arn for a in role.body["AttachedManagedPolicies"]):
                self.attach(role, arn, origin or self.props_origin(logical))

    # ---- ELBv2 -------------------------------------------------------------------------------

    def load_balancer(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("load-balancers", self.tpl.load_balancer_arn(logical), logical)
        body = self.conv.copy(built, props, "", same_name)
        body.update(LoadBalancerArn=built.key, LoadBalancerName=self.tpl.name(logical, "Name"))
        body.setdefault("Scheme", "internet-facing")  # CloudFormation's default
        body.setdefault("Type", "application")
        if "SecurityGroups" in body:
            body["SecurityGroups"] = as_list(body["SecurityGroups"])
        built.body = body

    def target_group(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("target-groups", self.tpl.target_group_arn(logical), logical)
        body = self.conv.copy(built, props, "", same_name)
        body.update(TargetGroupArn=built.key, TargetGroupName=self.tpl.name(logical, "Name"),
                    LoadBalancerArns=[])
        built.body = body

    def listener(self, logical: str, props: dict[str, Any]) -> None:
        built = self.new("listeners", self.tpl.listener_arn(logical), logical)
        built.body = self.conv.copy(built, props, "", same_name)
        built.body["ListenerArn"] = built.key

    @staticmethod
    def forwarded(actions: Any) -> list[Any]:
        groups: list[Any] = []
        for action in as_list(actions):
            if not isinstance(action, dict):
                continue
            groups.append(action.get("TargetGroupArn"))
            forward = action.get("ForwardConfig")
            if isinstance(forward, dict):
                groups += [t.get("TargetGroupArn") for t in as_list(forward.get("TargetGroups"))
                           if isinstance(t, dict)]
        return [g for g in groups if isinstance(g, str)]

    def link_target(self, target: str, balancer: Any) -> None:
        group = self.built.get(target)
        if group is not None and group.kind == "target-groups":
            arns = group.body["LoadBalancerArns"]
            if balancer not in arns:
                arns.append(balancer)

    def listener_targets(self, logical: str, props: dict[str, Any]) -> None:
        for target in self.forwarded(props.get("DefaultActions")):
            self.link_target(target, props.get("LoadBalancerArn"))

    def listener_rule(self, logical: str, props: dict[str, Any]) -> None:
        listener_arn = props.get("ListenerArn")
        listener = self.built.get(str(listener_arn))
        if listener is not None and listener.kind == "listeners":
            balancer: Any = listener.body.get("LoadBalancerArn")
        elif isinstance(listener_arn, Unknown):
            balancer = Unknown(f"load balancer of listener {listener_arn.reason}",
                               reference=listener_arn.reference, via="listener-lb")
        else:
            balancer = Unknown(f"load balancer of listener {listener_arn}",
                               reference=None, via=None)
        for target in self.forwarded(props.get("Actions")):
            self.link_target(target, balancer)
