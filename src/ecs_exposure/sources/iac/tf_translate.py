"""Terraform AWS provider resources → the AWS API shapes the detectors read.

Input is provider attribute values (``network_mode``, ``ingress`` blocks as lists) from a plan,
a state or HCL, with values unknown until apply already turned into *unknown* markers that
carry the resource address they reference. Ids and ARNs a plan does not know yet are replaced
by stand-ins derived from the resource address, with the AWS id prefix kept
(``sg-aws_security_group.web``, ``igw-aws_internet_gateway.main``) so that joins between
resources of the same plan work exactly as on real ids.

Two task definitions of one family (or two services of one name in one cluster) are two
resources, not one: when their stand-ins would be equal, each carries its resource address
(``…:task-definition/app#aws_ecs_task_definition.canary``), so both are assessed and a
reference to either resolves to the right one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.sources.iac import tf_iam_elb as other
from ecs_exposure.sources.iac.shapes import Built, Converter, as_list
from ecs_exposure.sources.iac.tf_resource import (
    TfResource,
    camel,
    known,
    readable_containers,
    single_block,
)

ID_PREFIXES = {
    "aws_security_group": "sg", "aws_subnet": "subnet", "aws_route_table": "rtb",
    "aws_internet_gateway": "igw", "aws_vpc": "vpc", "aws_nat_gateway": "nat",
    "aws_default_route_table": "rtb", "aws_egress_only_internet_gateway": "eigw",
    "aws_efs_file_system": "fs",
}
ALIASES = {"aws_alb": "aws_lb", "aws_alb_listener": "aws_lb_listener",
           "aws_alb_target_group": "aws_lb_target_group",
           "aws_alb_listener_rule": "aws_lb_listener_rule"}


class TfTranslation:
    """Translates the resources of one plan, state or module directory."""

    def __init__(self, resources: list[TfResource], region: str = "",
                 context: list[TfResource] | None = None) -> None:
        """``context`` resources (other files of an HCL module) resolve references but are
        not built: they are added when their own file is read."""
        self.resources = {r.address: r for r in (context or [])}
        self.resources.update((r.address, r) for r in resources)
        self.own = {r.address for r in resources}
        self.region = region
        self.built: dict[str, Built] = {}
        self.roles_by_name: dict[str, Built] = {}
        self._shared: Counter[str] | None = None

    # ---- ids and references ----------------------------------------------------------------

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}::{resource}"

    def key_of(self, res: TfResource) -> str:
        """The inventory key: the real id/ARN when known, else a stand-in, told apart by the
        resource address when another task definition or service has the same one."""
        key = self._base_key(res)
        if res.type in ("aws_ecs_task_definition", "aws_ecs_service"):
            if self._shared is None:
                self._shared = Counter(
                    self._base_key(r) for r in self.resources.values()
                    if r.type in ("aws_ecs_task_definition", "aws_ecs_service"))
            if self._shared[key] > 1:
                return f"{key}#{res.address}"
        return key

    def _base_key(self, res: TfResource) -> str:
        kind = ALIASES.get(res.type, res.type)
        values = res.values
        name = values.get("name") if known(values.get("name")) else res.address
        if kind in ID_PREFIXES:
            return str(values["id"]) if known(values.get("id")) else \
                f"{ID_PREFIXES[kind]}-{res.address}"
        if known(values.get("arn")):
            return str(values["arn"])
        if kind == "aws_ecs_service" and known(values.get("id")):
            return str(values["id"])
        stand_ins: dict[str, Callable[[], str]] = {
            "aws_ecs_cluster": lambda: self.arn("ecs", f"cluster/{name}"),
            "aws_ecs_task_definition": lambda: self.arn(
                "ecs", f"task-definition/{values.get('family') or res.address}"),
            "aws_ecs_service": lambda: self.arn(
                "ecs", f"service/{self.cluster_name(values.get('cluster'))}/{name}"),
            "aws_iam_role": lambda: self.arn("iam", f"role/{name}", regional=False),
            "aws_iam_policy": lambda: self.arn("iam", f"policy/{name}", regional=False),
            "aws_lb": lambda: self.arn("elasticloadbalancing",
                                       f"loadbalancer/app/{name}/{res.address}"),
            "aws_lb_target_group": lambda: self.arn("elasticloadbalancing",
                                                    f"targetgroup/{name}/{res.address}"),
            "aws_lb_listener": lambda: self.arn("elasticloadbalancing",
                                                f"listener/app/{res.address}"),
        }
        make = stand_ins.get(kind)
        return make() if make else res.address

    def cluster_name(self, value: Any) -> str:
        value = self.resolve(value)
        return str(value).rsplit("/", 1)[-1] if isinstance(value, str) else "default"

    def resolve(self, value: Any) -> Any:
        """An unknown that references a resource of the same plan becomes that resource's
        id, ARN or name (its stand-in when the plan does not know it)."""
        if not isinstance(value, Unknown) or value.reference is None:
            return value
        target = self.resources.get(value.reference)
        if target is None:  # count/for_each: one instance of that resource is unambiguous
            instances = [r for a, r in self.resources.items()
                         if a.startswith(value.reference + "[")]
            if len(instances) != 1:
                return value
            target = instances[0]
        attribute = (value.via or "").removeprefix("tf:")
        if attribute == "name":
            name = target.values.get("name")
            return name if known(name) else target.address
        if attribute in ("id", "arn", ""):
            return self.key_of(target)
        return value

    def resolved(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolved(v) for v in value]
        return self.resolve(value)

    # ---- driver ------------------------------------------------------------------------------

    def run(self) -> list[Built]:
        def bound(func: Callable[[TfTranslation, TfResource], None]) -> Callable[
                [TfResource], None]:
            return lambda res: func(self, res)

        first: dict[str, Callable[[TfResource], None]] = {
                 "aws_ecs_task_definition": self.task_definition,
                 "aws_ecs_service": self.service, "aws_ecs_cluster": self.cluster,
                 "aws_security_group": self.security_group, "aws_subnet": self.subnet,
                 "aws_route_table": self.route_table, "aws_default_route_table": self.route_table,
                 "aws_vpc": self.vpc, "aws_iam_role": bound(other.role),
                 "aws_iam_policy": bound(other.policy), "aws_lb": bound(other.load_balancer),
                 "aws_lb_target_group": bound(other.target_group),
                 "aws_lb_listener": bound(other.listener),
                 "aws_efs_file_system": self.file_system}
        second: dict[str, Callable[[TfResource], None]] = {
                  "aws_security_group_rule": self.group_rule,
                  "aws_vpc_security_group_ingress_rule": self.ingress_rule,
                  "aws_route": self.route, "aws_route_table_association": self.association,
                  "aws_main_route_table_association": self.association,
                  "aws_iam_role_policy": bound(other.role_policy),
                  "aws_iam_role_policy_attachment": bound(other.attachment),
                  "aws_iam_policy_attachment": bound(other.attachment),
                  "aws_lb_listener": bound(other.listener_targets),
                  "aws_lb_listener_rule": bound(other.listener_rule)}
        for table in (first, second):
            for res in self.resources.values():
                if res.address not in self.own:
                    continue
                handler = table.get(ALIASES.get(res.type, res.type))
                if handler is not None:
                    handler(res)
        return list(self.built.values())

    def new(self, kind: Any, res: TfResource) -> tuple[Built, Converter]:
        built = Built(kind, self.key_of(res), {}, anchor=res.anchor)
        self.built[built.key] = built
        return built, Converter(res.origin)

    def field(self, built: Built, conv: Converter, res: TfResource, api: str, container: Any,
              key: str, value: Any = None) -> None:
        """Copy ``container[key]`` to ``built.body[api]`` (resolved), noting its origin."""
        if key in container and container[key] is not None:
            conv.note(built, f"/{api}", container, key)
            built.body[api] = self.resolved(container[key]) if value is None else value

    # ---- ECS ---------------------------------------------------------------------------------

    def task_definition(self, res: TfResource) -> None:
        built, conv = self.new("task-definition", res)
        values = res.values
        body = built.body
        for key in ("family", "network_mode", "pid_mode", "ipc_mode", "task_role_arn",
                    "execution_role_arn", "cpu", "memory", "requires_compatibilities"):
            self.field(built, conv, res, camel(key), values, key)
        if known(values.get("arn")):
            body["taskDefinitionArn"] = values["arn"]
        elif built.key != self._base_key(res):    # its own stand-in: see key_of
            body["taskDefinitionArn"] = built.key
        if isinstance(values.get("revision"), int):
            body["revision"] = values["revision"]
        body.setdefault("family", res.address)
        body["containerDefinitions"] = self.containers(built, conv, values)
        volumes: list[Any] = []
        for index, volume in enumerate(as_list(values.get("volume"))):
            if not isinstance(volume, dict):
                continue
            api = f"/volumes/{len(volumes)}"
            conv.note(built, api, values["volume"], index)
            item: dict[str, Any] = {"name": volume.get("name")}
            if known(volume.get("host_path")) or is_unknown(volume.get("host_path")):
                item["host"] = {"sourcePath": volume["host_path"]}
                conv.note(built, f"{api}/host/sourcePath", volume, "host_path")
            efs = single_block(volume.get("efs_volume_configuration"))
            if efs:
                conv.note(built, f"{api}/efsVolumeConfiguration", volume,
                          "efs_volume_configuration")
                item["efsVolumeConfiguration"] = {
                    camel(k): self.resolve(v) if k == "file_system_id" else v
                    for k, v in efs.items() if not isinstance(v, list)}
            volumes.append(item)
        body["volumes"] = volumes
        platform = single_block(values.get("runtime_platform"))
        if platform:
            body["runtimePlatform"] = {camel(k): v for k, v in platform.items()}

    def containers(self, built: Built, conv: Converter, values: dict[str, Any]) -> list[Any]:
        """The container definitions; any that cannot be read make the task definition
        incomplete, with the reason (never an empty task definition taken as clean)."""
        raw = values.get("container_definitions")
        if "container_definitions" in values:
            conv.note(built, "/containerDefinitions", values, "container_definitions")
        if isinstance(raw, list):  # HCL jsonencode([...]): positions inside are known
            raw = conv.copy(built, raw, "/containerDefinitions", lambda k, p: k)
        containers, problems = readable_containers(raw)
        built.incomplete.extend(problems)
        return containers

    def service(self, res: TfResource) -> None:
        built, conv = self.new("service", res)
        values = res.values
        body = built.body
        body.update(serviceArn=built.key, status="ACTIVE",
                    serviceName=values.get("name") if known(values.get("name"))
                    else res.address)
        self.field(built, conv, res, "clusterArn", values, "cluster")
        for key in ("task_definition", "launch_type", "platform_version", "desired_count",
                    "enable_execute_command"):
            self.field(built, conv, res, camel(key), values, key)
        if isinstance(body.get("taskDefinition"), str) and body["taskDefinition"] in self.built:
            body["taskDefinition"] = self.built[body["taskDefinition"]].key
        network = values.get("network_configuration")
        config = single_block(network)
        if config:
            api = "/networkConfiguration/awsvpcConfiguration"
            conv.note(built, api, network, 0)
            awsvpc: dict[str, Any] = {}
            for key in ("subnets", "security_groups"):
                if key in config:
                    awsvpc[camel(key)] = as_list(self.resolved(config[key]))
                    conv.note(built, f"{api}/{camel(key)}", config, key)
            public = config.get("assign_public_ip")
            awsvpc["assignPublicIp"] = public if is_unknown(public) else (
                "ENABLED" if public is True else "DISABLED")
            conv.note(built, f"{api}/assignPublicIp", config, "assign_public_ip")
            body["networkConfiguration"] = {"awsvpcConfiguration": awsvpc}
        balancers: list[Any] = []
        for index, entry in enumerate(as_list(values.get("load_balancer"))):
            if isinstance(entry, dict):
                conv.note(built, f"/loadBalancers/{len(balancers)}", values["load_balancer"],
                          index)
                balancers.append({camel(k): self.resolve(v) for k, v in entry.items()
                                  if k != "elb_name"} | (
                    {"loadBalancerName": entry["elb_name"]} if entry.get("elb_name") else {}))
        body["loadBalancers"] = balancers
        strategy = values.get("capacity_provider_strategy")
        if isinstance(strategy, list):
            body["capacityProviderStrategy"] = [{camel(k): v for k, v in s.items()}
                                                for s in strategy if isinstance(s, dict)]

    def cluster(self, res: TfResource) -> None:
        built, conv = self.new("cluster", res)
        values = res.values
        name = values.get("name") if known(values.get("name")) else res.address
        built.body = {"clusterArn": built.key, "clusterName": name, "status": "ACTIVE"}
        settings = values.get("setting")
        if isinstance(settings, list):
            conv.note(built, "/settings", values, "setting")
            built.body["settings"] = [{"name": s.get("name"), "value": s.get("value")}
                                      for s in settings if isinstance(s, dict)]
        self._exec_configuration(built, conv, values)

    def _exec_configuration(self, built: Built, conv: Converter, values: dict[str, Any]) -> None:
        """``configuration.execute_command_configuration`` → the API's
        ``configuration.executeCommandConfiguration`` (ECS Exec audit logging and KMS key)."""
        config = single_block(single_block(values.get("configuration")).get(
            "execute_command_configuration"))
        if not config:
            return
        api = "/configuration/executeCommandConfiguration"
        conv.note(built, api, single_block(values.get("configuration")),
                  "execute_command_configuration")
        body: dict[str, Any] = {camel(k): self.resolve(v) for k, v in config.items()
                                if k in ("kms_key_id", "logging") and v is not None}
        for key in ("kms_key_id", "logging"):
            conv.note(built, f"{api}/{camel(key)}", config, key)
        logs = single_block(config.get("log_configuration"))
        if logs:
            names = {"s3_bucket_encryption_enabled": "s3EncryptionEnabled"}
            body["logConfiguration"] = {names.get(k, camel(k)): v for k, v in logs.items()
                                        if v is not None}
            conv.note(built, f"{api}/logConfiguration", config, "log_configuration")
        built.body["configuration"] = {"executeCommandConfiguration": body}

    def file_system(self, res: TfResource) -> None:
        """``encrypted`` absent is false (the provider's and the API's default); unknown until
        apply stays unknown."""
        built, conv = self.new("file-systems", res)
        values = res.values
        encrypted = values.get("encrypted")
        built.body = {"FileSystemId": built.key,
                      "Encrypted": False if encrypted is None else encrypted}
        conv.note(built, "/Encrypted", values, "encrypted")
        if values.get("kms_key_id") is not None:
            built.body["KmsKeyId"] = values["kms_key_id"]

    # ---- EC2 ---------------------------------------------------------------------------------

    def security_group(self, res: TfResource) -> None:
        built, conv = self.new("security-groups", res)
        values = res.values
        built.body = {"GroupId": built.key, "GroupName": values.get("name") or res.address,
                      "VpcId": self.resolve(values.get("vpc_id")), "IpPermissions": []}
        if known(values.get("owner_id")):
            built.body["OwnerId"] = values["owner_id"]
        rules = values.get("ingress")
        for index, rule in enumerate(as_list(rules)):
            if isinstance(rule, dict):
                self.permission(built, conv, res, rule, res.origin(rules, index) or res.anchor,
                                "protocol", ("cidr_blocks", "ipv6_cidr_blocks"),
                                "security_groups")

    def permission(self, built: Built, conv: Converter, res: TfResource, rule: dict[str, Any],
                   origin: str, protocol_key: str, cidr_keys: tuple[str, str],
                   groups_key: str) -> None:
        perms = built.body["IpPermissions"]
        api = f"/IpPermissions/{len(perms)}"
        built.origins[api] = origin
        protocol = rule.get(protocol_key, "-1")
        perm: dict[str, Any] = {
            "IpProtocol": protocol if is_unknown(protocol) else str(protocol).lower(),
            "IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": []}
        for key, api_key in (("from_port", "FromPort"), ("to_port", "ToPort")):
            if key in rule and rule[key] is not None:
                perm[api_key] = rule[key]
                conv.note(built, f"{api}/{api_key}", rule, key)
        for key, (target, inner) in zip(cidr_keys, (("IpRanges", "CidrIp"),
                                                    ("Ipv6Ranges", "CidrIpv6")), strict=True):
            value = rule.get(key)
            items = value if isinstance(value, list) else [value] if value is not None else []
            for index, cidr in enumerate(items):
                conv.note(built, f"{api}/{target}/{len(perm[target])}",
                          value if isinstance(value, list) else rule,
                          index if isinstance(value, list) else key)
                perm[target].append({inner: cidr})
        for group in as_list(self.resolved(rule.get(groups_key))):
            perm["UserIdGroupPairs"].append({"GroupId": group})
        if rule.get("self") is True:
            perm["UserIdGroupPairs"].append({"GroupId": built.key})
        perms.append(perm)

    def _group(self, value: Any) -> tuple[Built, Converter] | None:
        group = self.built.get(str(self.resolve(value)))
        return (group, Converter(lambda c, k: None)) if group is not None \
            and group.kind == "security-groups" else None

    def group_rule(self, res: TfResource) -> None:
        found = self._group(res.values.get("security_group_id"))
        if found and res.values.get("type") == "ingress":
            self.permission(found[0], Converter(res.origin), res, res.values, res.anchor,
                            "protocol", ("cidr_blocks", "ipv6_cidr_blocks"),
                            "source_security_group_id")

    def ingress_rule(self, res: TfResource) -> None:
        found = self._group(res.values.get("security_group_id"))
        if found:
            self.permission(found[0], Converter(res.origin), res, res.values, res.anchor,
                            "ip_protocol", ("cidr_ipv4", "cidr_ipv6"),
                            "referenced_security_group_id")

    def subnet(self, res: TfResource) -> None:
        built, conv = self.new("subnets", res)
        built.body = {"SubnetId": built.key, "VpcId": self.resolve(res.values.get("vpc_id"))}
        self.field(built, conv, res, "CidrBlock", res.values, "cidr_block")
        self.field(built, conv, res, "MapPublicIpOnLaunch", res.values,
                   "map_public_ip_on_launch")

    def route_table(self, res: TfResource) -> None:
        built, conv = self.new("route-tables", res)
        values = res.values
        main = res.type == "aws_default_route_table"
        built.body = {"RouteTableId": built.key, "VpcId": self.resolve(values.get("vpc_id")),
                      "Routes": [], "Associations": [{"Main": True}] if main else []}
        routes = values.get("route")
        for index, route in enumerate(as_list(routes)):
            if isinstance(route, dict):
                self._route(built, Converter(res.origin), route,
                            res.origin(routes, index) or res.anchor, "cidr_block",
                            "ipv6_cidr_block")

    def _route(self, table: Built, conv: Converter, route: dict[str, Any], origin: str,
               cidr: str, cidr6: str) -> None:
        api = f"/Routes/{len(table.body['Routes'])}"
        table.origins[api] = origin
        entry: dict[str, Any] = {"State": "active"}
        for key, api_key in ((cidr, "DestinationCidrBlock"), (cidr6, "DestinationIpv6CidrBlock"),
                             ("gateway_id", "GatewayId"), ("nat_gateway_id", "NatGatewayId"),
                             ("transit_gateway_id", "TransitGatewayId")):
            if route.get(key) not in (None, ""):
                entry[api_key] = self.resolve(route[key])
                conv.note(table, f"{api}/{api_key}", route, key)
        table.body["Routes"].append(entry)

    def vpc(self, res: TfResource) -> None:
        main = res.values.get("main_route_table_id")
        key = str(main) if known(main) else f"rtb-main-{res.address}"
        if any(b.kind == "route-tables" and b.body["VpcId"] == self.key_of(res)
               and b.body["Associations"] == [{"Main": True}] for b in self.built.values()):
            return
        table = Built("route-tables", key, {"RouteTableId": key, "VpcId": self.key_of(res),
                                             "Routes": [], "Associations": [{"Main": True}]},
                      anchor=res.anchor)
        self.built.setdefault(key, table)

    def route(self, res: TfResource) -> None:
        table = self.built.get(str(self.resolve(res.values.get("route_table_id"))))
        if table is not None and table.kind == "route-tables":
            self._route(table, Converter(res.origin), res.values, res.anchor,
                        "destination_cidr_block", "destination_ipv6_cidr_block")

    def association(self, res: TfResource) -> None:
        table = self.built.get(str(self.resolve(res.values.get("route_table_id"))))
        if table is None or table.kind != "route-tables":
            return
        table.origins[f"/Associations/{len(table.body['Associations'])}"] = res.anchor
        if res.type == "aws_main_route_table_association":
            table.body["Associations"].append({"Main": True})
            table.body["VpcId"] = self.resolve(res.values.get("vpc_id"))
        else:
            table.body["Associations"].append(
                {"SubnetId": self.resolve(res.values.get("subnet_id")), "Main": False})

