"""Network reachability of a service: public IPs, open security groups and the full path from
the internet, directly or through an internet-facing load balancer.

Missing context is never silence: when a security group, subnet route or load balancer the
service names is not in the inputs, the service is *potentially* internet-reachable and the
trait lists what is missing.

Example: ``assignPublicIp: ENABLED`` + a security group allowing tcp/80 from ``0.0.0.0/0`` +
a subnet whose route table sends ``0.0.0.0/0`` to ``igw-…`` + a container listening on 80 fires
``public-ip``, ``open-security-group`` and ``internet-reachable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ecs_exposure.analysis.arn import elb_name, last_segment, parse_arn
from ecs_exposure.analysis.unknown import Unknown, describe, is_unknown
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import as_dict, as_list, containers
from ecs_exposure.model import Json, Trait

PUBLIC_IP = TraitSpec(
    "public-ip", "Public IP address assigned", "reachability", False,
    "The service (or a task set) has awsvpcConfiguration.assignPublicIp ENABLED.",
    ("Security Hub: ECS service has public IP addresses", "CSPM ECS.2", "CSPM ECS.16"),
    weight="high",
    controls=(ref.ECS_2, ref.ECS_16),
    title_phrase="a public IP",
    service_action="set assignPublicIp to DISABLED and run the tasks in private subnets",
    guidance=Guidance(
        why=(
            "A task with a public IP address can be found by internet-wide scans and "
            "reached directly, bypassing any load balancer, AWS WAF rules or "
            "authentication placed in front of the service."
        ),
        change=(
            "Set `networkConfiguration.awsvpcConfiguration.assignPublicIp` to "
            "`DISABLED` with `update-service` (and on each task set), and move the "
            "service to private subnets that use a NAT gateway or VPC endpoints (ECR, "
            "CloudWatch Logs, Secrets Manager) for outbound traffic."
        ),
        contain=(
            "Allow only the listening port from known source ranges in the task's "
            "security group, and keep the task role minimal so a compromised public "
            "task reaches little else."
        ),
        references=(
            ref.ECS_2.url,
            ref.ECS_16.url,
            ref.SH_ECS_EXPOSURE,
            ref.ECS_AWSVPC,
        ),
    ),
)
OPEN_SG = TraitSpec(
    "open-security-group", "Security group open to the internet", "reachability", False,
    "A security group of the service, or of its internet-facing load balancer, allows ingress "
    "from 0.0.0.0/0 or ::/0.",
    ("Security Hub: ECS service has an open security group",),
    controls=(ref.NIST_NETWORK_SEPARATION,),
    needs=("security-groups",),
    title_phrase="an open security group",
    service_action=("restrict security group ingress to known ranges or the load balancer's "
                    "security group"),
    guidance=Guidance(
        why=(
            "An ingress rule from `0.0.0.0/0` or `::/0` lets anyone on the internet "
            "connect to the listed ports, so every exposed service and admin port can "
            "be probed and attacked; a rule with `IpProtocol: -1` opens every port."
        ),
        change=(
            "Use `revoke-security-group-ingress` to remove the open rule and "
            "`authorize-security-group-ingress` to allow only known `CidrIp` / "
            "`CidrIpv6` ranges, or, for tasks behind a load balancer, a "
            "`UserIdGroupPairs` entry that references the load balancer's security "
            "group on the container port."
        ),
        contain=(
            "Open only the public listener port (typically 443) on an internet-facing "
            "load balancer protected by AWS WAF, and never expose administration or "
            "database ports to the world."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.VPC_SECURITY_GROUPS, ref.ECS_AWSVPC),
    ),
)
REACHABLE = TraitSpec(
    "internet-reachable", "Reachable from the internet", "reachability", False,
    "A path from the internet exists: public IP + open security group on a listening port + "
    "internet gateway route, or an internet-facing load balancer forwarding to the service.",
    ("Security Hub: ECS service is reachable from the internet",),
    guidance=Guidance(
        why=(
            "A network path from the internet to the tasks means anyone can send "
            "traffic to them, so every other weakness of the service (a vulnerable "
            "package, a debug endpoint, a weak password) is exploitable from anywhere."
        ),
        change=(
            "Run the service in private subnets with "
            "`awsvpcConfiguration.assignPublicIp: DISABLED`, put an internet-facing "
            "load balancer in public subnets in front of it, and allow the tasks' "
            "security group to accept traffic only from the load balancer's security "
            "group."
        ),
        contain=(
            "Protect the load balancer with AWS WAF, TLS and authentication, expose "
            "only the application port, and keep the task role minimal so a "
            "compromise stays inside the task."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.ECS_2.url, ref.ECS_AWSVPC),
    ),
)

OPEN_CIDRS = {"0.0.0.0/0": "IpRanges", "::/0": "Ipv6Ranges"}
_PROTOCOLS = {"6": "tcp", "17": "udp", "tcp": "tcp", "udp": "udp"}


@dataclass(frozen=True)
class OpenRule:
    """One ingress permission open to the internet."""

    group_id: str
    perm_index: int
    protocol: str
    """``tcp``, ``udp`` or ``all``."""
    from_port: int
    to_port: int
    cidrs: tuple[str, ...]
    pointer: str
    assumed: bool = False
    """The source or protocol is unknown (infrastructure as code): assumed open."""

    def covers(self, port: int, protocol: str = "tcp") -> bool:
        """True when traffic to ``port``/``protocol`` is allowed by this rule."""
        if self.protocol == "all":
            return True
        return self.protocol == protocol and self.from_port <= port <= self.to_port

    @property
    def all_ports(self) -> bool:
        """Every port (``-1`` or the full range) is worse than one port."""
        return self.protocol == "all" or (self.from_port <= 0 and self.to_port >= 65535)

    def describe(self) -> str:
        """E.g. ``tcp/443`` or ``all traffic``."""
        if self.protocol == "all":
            return "all traffic (every protocol and port)"
        ports = (str(self.from_port) if self.from_port == self.to_port
                 else f"{self.from_port}-{self.to_port}")
        return f"{self.protocol}/{ports}"


def open_rules(group: Json) -> list[OpenRule]:
    """Ingress permissions of a security group that allow 0.0.0.0/0 or ::/0.

    Rules that reference another security group or a prefix list are not open: only the
    members of that group or list can connect. A source or protocol that infrastructure as
    code could not resolve is assumed open (``assumed``), never assumed closed.
    """
    group_id = str(group.get("GroupId"))
    rules: list[OpenRule] = []
    for p_index, perm in enumerate(as_list(group.get("IpPermissions"))):
        if not isinstance(perm, dict):
            continue
        raw = str(perm.get("IpProtocol", "")).lower()
        assumed = is_unknown(perm.get("IpProtocol"))
        protocol = "all" if raw in ("-1", "all") or assumed else _PROTOCOLS.get(raw)
        if protocol is None:
            continue  # ICMP and other protocols carry no service traffic
        cidrs: list[str] = []
        pointer = ""
        for cidr, list_key in OPEN_CIDRS.items():
            cidr_key = "CidrIp" if list_key == "IpRanges" else "CidrIpv6"
            for r_index, entry in enumerate(as_list(perm.get(list_key))):
                if not isinstance(entry, dict):
                    continue
                if entry.get(cidr_key) == cidr or is_unknown(entry.get(cidr_key)):
                    unknown_source = entry.get(cidr_key) != cidr
                    assumed = assumed or unknown_source
                    text = f"an unknown source ({describe(entry[cidr_key])})" \
                        if unknown_source else cidr
                    if text not in cidrs:
                        cidrs.append(text)
                    pointer = pointer or f"/IpPermissions/{p_index}/{list_key}/{r_index}"
        if cidrs:
            from_port = perm.get("FromPort", 0)
            to_port = perm.get("ToPort", 65535)
            rules.append(OpenRule(
                group_id, p_index, protocol,
                from_port if isinstance(from_port, int) and from_port >= 0 else 0,
                to_port if isinstance(to_port, int) and to_port >= 0 else 65535,
                tuple(cidrs), pointer, assumed,
            ))
    return rules


def listening_ports(task_definitions: list[Json]) -> set[tuple[int, str]]:
    """``(port, protocol)`` the tasks listen on, from their port mappings."""
    ports: set[tuple[int, str]] = set()
    for td in task_definitions:
        for _, container in containers(td):
            for mapping in as_list(container.get("portMappings")):
                if not isinstance(mapping, dict):
                    continue
                protocol = str(mapping.get("protocol", "tcp")).lower()
                for key in ("containerPort", "hostPort"):
                    port = mapping.get(key)
                    if isinstance(port, int) and port > 0:
                        ports.add((port, protocol))
    return ports


def group_arn(group: Json, service_arn: str) -> str:
    """Security groups have no ARN in describe output; build one so evidence is addressable."""
    arn = parse_arn(service_arn)
    owner = group.get("OwnerId") or (arn.account if arn else "")
    region = arn.region if arn else ""
    partition = arn.partition if arn else "aws"
    return f"arn:{partition}:ec2:{region}:{owner}:security-group/{group.get('GroupId')}"


@dataclass
class _Assessment:
    """Working state of one service's reachability."""

    traits: list[Trait] = field(default_factory=list)
    paths: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """``(pointer into the service, steps)`` of each confirmed path."""
    potential_paths: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seen_groups: set[str] = field(default_factory=set)

    def note_missing(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)


def _open_rules(ctx: Context, group: Json) -> list[OpenRule]:
    """:func:`open_rules`, once per security group per scan (groups are widely shared)."""
    key = ("network.open-rules", id(group))
    rules: list[OpenRule] | None = ctx.memo.get(key)
    if rules is None:
        rules = ctx.memo[key] = open_rules(group)
    return rules


def _open_group_traits(ctx: Context, state: _Assessment, group: Json, role: str) -> list[OpenRule]:
    rules = _open_rules(ctx, group)
    group_id = str(group.get("GroupId"))
    if group_id in state.seen_groups:
        return rules
    state.seen_groups.add(group_id)
    resource = group_arn(group, ctx.key)
    for rule in rules:
        assumed = ", assumed open" if rule.assumed else ""
        state.traits.append(ctx.trait(
            OPEN_SG.id, rule.pointer,
            f"{role} security group {group_id} ({group.get('GroupName', '')}) allows "
            f"{rule.describe()} from {' and '.join(rule.cidrs)}{assumed}",
            resource=resource, origin=group_id,
            potential=rule.assumed,
            missing=(f"ingress source of security group {group_id}",) if rule.assumed else (),
            extra=(("group_id", group_id), ("protocol", rule.protocol),
                   ("from_port", rule.from_port), ("to_port", rule.to_port),
                   ("all_ports", rule.all_ports)),
        ))
    return rules


def _subnet_route(ctx: Context, subnet_id: str) -> tuple[str | None, bool]:
    """``(internet gateway id, known)`` for a subnet's default route."""
    table = ctx.inventory.route_table_for_subnet(subnet_id)
    if table is None or ctx.inventory.unreadable_route(subnet_id):
        return None, False
    garbled = not isinstance(table.get("Routes"), list)
    for route in as_list(table.get("Routes")):
        if not isinstance(route, dict):
            garbled = True  # an unreadable route may be the default route
            continue
        if route.get("State") == "blackhole":
            continue
        if route.get("DestinationCidrBlock") == "0.0.0.0/0" or \
                route.get("DestinationIpv6CidrBlock") == "::/0":
            gateway = route.get("GatewayId")
            if is_unknown(gateway) or (gateway is not None and not isinstance(gateway, str)):
                return None, False  # a gateway only AWS knows may be an internet gateway
            if isinstance(gateway, str) and gateway.startswith("igw-"):
                return gateway, True
    return None, not garbled


def _direct_path(ctx: Context, state: _Assessment, awsvpc: Json, pointer: str,
                 ports: set[tuple[int, str]], ports_unknown: str | None = None) -> None:
    """Public IP + open security group on a listening port + internet gateway route.

    ``ports_unknown`` names why the listening ports cannot be known (a task definition the
    service runs is not in the inputs): then any open port may be listening, and the path is
    potential."""
    setting = awsvpc.get("assignPublicIp")
    if is_unknown(setting):
        missing = f"assignPublicIp ({describe(setting)})"
        state.note_missing(missing)
        state.traits.append(ctx.trait(
            PUBLIC_IP.id, f"{pointer}/assignPublicIp",
            f"tasks may get a public IP address (assignPublicIp is {describe(setting)}, "
            "assumed ENABLED)", potential=True, missing=(missing,),
        ))
    elif setting != "ENABLED":
        return
    else:
        state.traits.append(ctx.trait(
            PUBLIC_IP.id, f"{pointer}/assignPublicIp",
            "tasks get a public IP address (assignPublicIp ENABLED)",
        ))
    matching: list[OpenRule] = []
    unknown_groups = False
    for group_id in as_list(awsvpc.get("securityGroups")):
        group = ctx.inventory.security_groups.get(group_id) if isinstance(group_id, str) else None
        if group is None:
            unknown_groups = True
            state.note_missing(f"security group {group_id}")
            continue
        for rule in _open_group_traits(ctx, state, group, "service"):
            if rule.all_ports or ports_unknown or any(rule.covers(p, proto)
                                                      for p, proto in ports):
                matching.append(rule)
    gateway, route_known = None, False
    unknown_route = False
    for subnet_id in as_list(awsvpc.get("subnets")):
        found, known = _subnet_route(ctx, str(subnet_id))
        if found:
            gateway, route_known = found, True
            subnet = str(subnet_id)
            break
        if not known:
            unknown_route = True
            why = ctx.inventory.unreadable_route(str(subnet_id))
            state.note_missing(f"route table of subnet {subnet_id}" + (f" ({why})" if why
                                                                        else ""))
    if not (matching or unknown_groups) or not (route_known or unknown_route):
        return
    steps = ["internet"]
    if matching:
        rule_text = ", ".join(sorted({r.describe() for r in matching}))
        groups = ", ".join(sorted({r.group_id for r in matching}))
        steps.append(f"security group {groups} allows {rule_text} from the internet")
    else:
        steps.append("security groups not supplied (assumed open)")
    if gateway:
        steps.append(f"public IP in subnet {subnet} (0.0.0.0/0 → {gateway})")
    else:
        steps.append("public IP (subnet routes not supplied)")
    if ports_unknown and matching:
        state.note_missing(ports_unknown)
    if matching and gateway and not is_unknown(setting) and not ports_unknown and \
            not all(rule.assumed for rule in matching):
        state.paths.append((pointer, tuple(steps)))
    else:
        state.potential_paths.append((pointer, tuple(steps)))


def _forwarding_listeners(ctx: Context, lb_arn: str, tg_arn: str) -> list[Json]:
    """Listeners of the load balancer whose default action forwards to the target group.

    When no default action does, every listener is kept: listener rules (not collected) may
    still forward to it, and assuming otherwise would fail open.
    """
    listeners = list(ctx.inventory.listeners_of(lb_arn))
    forwarding = []
    for listener in listeners:
        for action in as_list(listener.get("DefaultActions")):
            action = as_dict(action)
            targets = [action.get("TargetGroupArn")] + [
                as_dict(t).get("TargetGroupArn")
                for t in as_list(as_dict(action.get("ForwardConfig")).get("TargetGroups"))
            ]
            if tg_arn in targets:
                forwarding.append(listener)
                break
    return forwarding or listeners


def _load_balancer_path(ctx: Context, state: _Assessment, pointer: str, entry: Json) -> None:
    """Internet-facing load balancer → listener → target group → this service."""
    tg_arn = entry.get("targetGroupArn")
    if not isinstance(tg_arn, str):
        name = entry.get("loadBalancerName")
        if isinstance(name, str):
            state.note_missing(f"Classic Load Balancer {name}")
            state.potential_paths.append((pointer, (
                "internet", f"Classic Load Balancer {name} (not supplied; assumed "
                "internet-facing)")))
        return
    group = ctx.inventory.target_groups.get(tg_arn)
    if group is None:
        state.note_missing(f"target group {elb_name(tg_arn)}")
        state.potential_paths.append((pointer, (
            "internet", f"load balancer of target group {elb_name(tg_arn)} "
            "(not supplied; assumed internet-facing)")))
        return
    if not isinstance(group.get("LoadBalancerArns"), list):
        # ECS only registers targets of a group attached to a load balancer: which one is
        # unknown, so it may be internet-facing.
        name = group.get("TargetGroupName")
        state.note_missing(f"load balancer of target group {name} (not in the answer)")
        state.potential_paths.append((pointer, (
            "internet", f"load balancer of target group {name} (unreadable; assumed "
            "internet-facing)")))
        return
    for lb_arn in as_list(group.get("LoadBalancerArns")):
        lb = ctx.inventory.load_balancers.get(lb_arn) if isinstance(lb_arn, str) else None
        if lb is None:
            state.note_missing(f"load balancer {elb_name(str(lb_arn))}")
            state.potential_paths.append((pointer, (
                "internet",
                f"load balancer {elb_name(str(lb_arn))} (not supplied; assumed "
                "internet-facing)",
                f"target group {group.get('TargetGroupName')}",
            )))
            continue
        scheme = lb.get("Scheme")
        unreadable = not is_unknown(scheme) and scheme not in ("internet-facing", "internal")
        if is_unknown(scheme) or unreadable:
            # A scheme that is absent or garbled is unknown: assume internet-facing.
            what = describe(scheme) if is_unknown(scheme) else (
                "not in the answer" if scheme is None else f"unreadable: {scheme!r}")
            state.note_missing(f"scheme of load balancer {lb.get('LoadBalancerName')} "
                               f"({what})")
        elif scheme != "internet-facing":
            continue
        _internet_facing_path(ctx, state, pointer, lb, group, entry,
                              confirmed=scheme == "internet-facing")


def _listener_port(listener: Json) -> Any:
    """``Port``; a value that is not a port number (a list, a string) is unknown, not a crash
    and not a closed port."""
    port = listener.get("Port")
    if port is None or is_unknown(port) or (isinstance(port, int) and not isinstance(port, bool)):
        return port
    return Unknown(f"listener port {str(port)[:40]!r} is not a number")


def _internet_facing_path(ctx: Context, state: _Assessment, pointer: str, lb: Json,
                          group: Json, entry: Json, confirmed: bool = True) -> None:
    lb_name = str(lb.get("LoadBalancerName"))
    lb_type = str(lb.get("Type", "application"))
    listeners = _forwarding_listeners(ctx, str(lb.get("LoadBalancerArn")),
                                      str(group.get("TargetGroupArn")))
    listener_ports = {(_listener_port(item), str(item.get("Protocol", "")).upper())
                      for item in listeners}
    garbled = sorted(str(item.get("ListenerArn")) for item in listeners
                     if not is_unknown(item.get("Port"))
                     and not (isinstance(item.get("Port"), int) and 0 < item["Port"] < 65536))
    for listener_arn in garbled:
        # A port that is absent or garbled may be any port: every open rule covers it.
        state.note_missing(f"port of listener {last_segment(listener_arn)} of load balancer "
                           f"{lb_name} (not in the answer or unreadable)")
    if not listeners and "listeners" not in ctx.inventory.supplied:
        state.note_missing(f"listeners of load balancer {lb_name}")
    groups = [g for g in as_list(lb.get("SecurityGroups")) if isinstance(g, str)]
    open_ports: list[str] = []
    unknown = False
    assumed_only = True
    if groups:
        for group_id in groups:
            sg = ctx.inventory.security_groups.get(group_id)
            if sg is None:
                unknown = True
                state.note_missing(f"security group {group_id}")
                continue
            for rule in _open_group_traits(ctx, state, sg, f"load balancer {lb_name}"):
                covered = [f"{proto}:{port}" for port, proto in listener_ports
                           if is_unknown(port) or not isinstance(port, int)
                           or rule.covers(port)]
                if covered or rule.all_ports or not listener_ports:
                    open_ports.append(f"{group_id} {rule.describe()}")
                    assumed_only = assumed_only and rule.assumed
    else:
        open_ports.append("no security group: every client address reaches it")
        assumed_only = False
    if not open_ports and not unknown:
        return
    listener_text = ", ".join(sorted(f"{proto}:{port}" for port, proto in listener_ports
                                     if port is not None)) or "listeners not supplied"
    steps = (
        "internet",
        f"internet-facing {lb_type} load balancer {lb_name} ({listener_text}; "
        f"{'; '.join(open_ports) or 'security groups not supplied'})",
        f"target group {group.get('TargetGroupName')} → container "
        f"{entry.get('containerName', '?')}:{entry.get('containerPort', '?')}",
    )
    if open_ports and listeners and confirmed and not assumed_only and not garbled:
        state.paths.append((pointer, steps))
    else:
        state.potential_paths.append((pointer, steps))


@detector("service", PUBLIC_IP, OPEN_SG, REACHABLE)
def reachability(ctx: Context) -> Iterator[Trait]:
    """All three traits come from one walk of the service's network configuration."""
    state = _Assessment()
    refs = ctx.inventory.service_task_definition_refs(ctx.resource)
    keys = tuple(k for k in (ctx.inventory.resolve_task_definition(r) for r in refs) if k)
    unread = [last_segment(r) for r in refs if ctx.inventory.resolve_task_definition(r) is None]
    ports_unknown = (f"listening ports (task definition {', '.join(unread)} not in the inputs)"
                     if unread else None)
    ports: set[tuple[int, str]] | None = ctx.memo.get(("network.ports", keys))
    if ports is None:
        ports = ctx.memo[("network.ports", keys)] = listening_ports(
            [ctx.inventory.task_definitions[k] for k in keys])
    configs = [("/networkConfiguration/awsvpcConfiguration",
                as_dict(as_dict(ctx.resource.get("networkConfiguration"))
                        .get("awsvpcConfiguration")))]
    for t_index, task_set in enumerate(as_list(ctx.resource.get("taskSets"))):
        configs.append((f"/taskSets/{t_index}/networkConfiguration/awsvpcConfiguration",
                        as_dict(as_dict(as_dict(task_set).get("networkConfiguration"))
                                .get("awsvpcConfiguration"))))
    for pointer, awsvpc in configs:
        if awsvpc:
            _direct_path(ctx, state, awsvpc, pointer, ports, ports_unknown)
            for group_id in as_list(awsvpc.get("securityGroups")):
                group = ctx.inventory.security_groups.get(group_id) \
                    if isinstance(group_id, str) else None
                if group is not None:
                    _open_group_traits(ctx, state, group, "service")
    for index, entry in enumerate(as_list(ctx.resource.get("loadBalancers"))):
        if isinstance(entry, dict):
            _load_balancer_path(ctx, state, f"/loadBalancers/{index}", entry)
    yield from state.traits
    if state.paths:
        pointer, path = state.paths[0]
        yield ctx.trait(REACHABLE.id, pointer,
                        "reachable from the internet: " + " → ".join(path[1:]),
                        path=path)
    elif state.potential_paths:
        pointer, path = state.potential_paths[0]
        yield ctx.trait(REACHABLE.id, pointer,
                        "potentially internet-reachable (missing: "
                        f"{', '.join(state.missing) or 'listener details'}): "
                        + " → ".join(path[1:]),
                        path=path, potential=True, missing=tuple(state.missing))
