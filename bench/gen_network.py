"""EC2 and ELBv2 context of the synthetic estate: VPCs with public and private subnets, route
tables, security groups and load balancers with target groups and listeners.

Shapes follow ``aws ec2 describe-*`` and ``aws elbv2 describe-*`` output field for field, so the
scanner reads them exactly as it reads a real export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common import ACCOUNT, REGION, Json, Source, arn

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


@dataclass
class Vpc:
    """One VPC and the subnets services are placed in."""

    vpc_id: str
    cidr_prefix: str
    """``10.<n>`` — the first two octets of the VPC's /16."""
    public_subnets: list[str] = field(default_factory=list)
    private_subnets: list[str] = field(default_factory=list)


@dataclass
class LoadBalancer:
    """A load balancer being built; listeners are written once its target groups are known."""

    name: str
    arn: str
    internet_facing: bool
    group_id: str
    target_groups: list[str] = field(default_factory=list)


@dataclass
class Network:
    """Everything the EC2 and ELBv2 files hold."""

    vpcs: list[Vpc] = field(default_factory=list)
    subnets: list[Json] = field(default_factory=list)
    route_tables: list[Json] = field(default_factory=list)
    security_groups: list[Json] = field(default_factory=list)
    load_balancers: list[Json] = field(default_factory=list)
    target_groups: list[Json] = field(default_factory=list)
    listeners: dict[str, list[Json]] = field(default_factory=dict)
    """Load balancer name → its listeners (``describe-listeners`` is called per balancer)."""
    open_groups: set[str] = field(default_factory=set)
    """Ids of security groups open to the internet (for the planted-trait manifest)."""


def _subnet(src: Source, vpc: Vpc, zone: str, index: int, public: bool) -> Json:
    subnet_id = src.resource_id("subnet")
    kind = "public" if public else "private"
    return {
        "AvailabilityZone": zone, "AvailabilityZoneId": f"use1-az{ZONES.index(zone) + 1}",
        "AvailableIpAddressCount": src.rng.randrange(50, 4000),
        "CidrBlock": f"{vpc.cidr_prefix}.{index * 16}.0/20", "DefaultForAz": False,
        "MapPublicIpOnLaunch": public, "MapCustomerOwnedIpOnLaunch": False,
        "State": "available", "SubnetId": subnet_id, "VpcId": vpc.vpc_id, "OwnerId": ACCOUNT,
        "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": [],
        "Tags": [{"Key": "Name", "Value": f"{vpc.vpc_id}-{kind}-{zone[-1]}"}],
        "SubnetArn": arn("ec2", f"subnet/{subnet_id}"), "EnableDns64": False,
        "Ipv6Native": False,
        "PrivateDnsNameOptionsOnLaunch": {"HostnameType": "ip-name",
                                          "EnableResourceNameDnsARecord": False,
                                          "EnableResourceNameDnsAAAARecord": False},
    }


def _route_table(src: Source, vpc: Vpc, name: str, subnets: list[str], gateway: str | None,
                 main: bool) -> Json:
    table_id = src.resource_id("rtb")
    associations: list[Json] = [
        {"Main": False, "RouteTableAssociationId": src.resource_id("rtbassoc"),
         "RouteTableId": table_id, "SubnetId": s, "AssociationState": {"State": "associated"}}
        for s in subnets]
    if main:
        associations.insert(0, {"Main": True, "RouteTableAssociationId":
                                src.resource_id("rtbassoc"), "RouteTableId": table_id,
                                "AssociationState": {"State": "associated"}})
    routes: list[Json] = [{"DestinationCidrBlock": f"{vpc.cidr_prefix}.0.0/16",
                           "GatewayId": "local", "Origin": "CreateRouteTable",
                           "State": "active"}]
    if gateway and gateway.startswith("igw-"):
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway,
                       "Origin": "CreateRoute", "State": "active"})
    elif gateway:
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": gateway,
                       "Origin": "CreateRoute", "State": "active"})
    return {"Associations": associations, "PropagatingVgws": [], "RouteTableId": table_id,
            "Routes": routes, "Tags": [{"Key": "Name", "Value": name}], "VpcId": vpc.vpc_id,
            "OwnerId": ACCOUNT}


def build_vpcs(src: Source, count: int) -> Network:
    """``count`` VPCs, each with three public subnets (internet gateway route), three private
    subnets (NAT gateway route) and a main route table with only the local route."""
    net = Network()
    for n in range(count):
        vpc = Vpc(src.resource_id("vpc"), f"10.{n % 250}")
        public = [_subnet(src, vpc, z, i, True) for i, z in enumerate(ZONES)]
        private = [_subnet(src, vpc, z, i + 3, False) for i, z in enumerate(ZONES)]
        vpc.public_subnets = [s["SubnetId"] for s in public]
        vpc.private_subnets = [s["SubnetId"] for s in private]
        net.subnets += public + private
        net.route_tables += [
            _route_table(src, vpc, f"{vpc.vpc_id}-main", [], None, True),
            _route_table(src, vpc, f"{vpc.vpc_id}-public", vpc.public_subnets,
                         src.resource_id("igw"), False),
            _route_table(src, vpc, f"{vpc.vpc_id}-private", vpc.private_subnets,
                         src.resource_id("nat"), False),
        ]
        net.vpcs.append(vpc)
        add_security_group(net, src, vpc, "default", "default VPC security group", [])
    return net


def permission(protocol: str, from_port: int | None, to_port: int | None, *,
               cidrs: tuple[str, ...] = (), groups: tuple[str, ...] = (),
               ipv6: tuple[str, ...] = ()) -> Json:
    """One ``IpPermissions`` entry as describe-security-groups prints it."""
    perm: Json = {"IpProtocol": protocol}
    if from_port is not None:
        perm["FromPort"] = from_port
        perm["ToPort"] = to_port
    perm["IpRanges"] = [{"CidrIp": c} for c in cidrs]
    perm["Ipv6Ranges"] = [{"CidrIpv6": c} for c in ipv6]
    perm["PrefixListIds"] = []
    perm["UserIdGroupPairs"] = [{"GroupId": g, "UserId": ACCOUNT} for g in groups]
    return perm


def add_security_group(net: Network, src: Source, vpc: Vpc, name: str, description: str,
                       ingress: list[Json]) -> str:
    """Append a security group with the usual allow-all egress; returns its id."""
    group_id = src.resource_id("sg")
    net.security_groups.append({
        "Description": description, "GroupName": name, "IpPermissions": ingress,
        "OwnerId": ACCOUNT, "GroupId": group_id,
        "IpPermissionsEgress": [permission("-1", None, None, cidrs=("0.0.0.0/0",))],
        "Tags": [{"Key": "Name", "Value": name}], "VpcId": vpc.vpc_id,
    })
    if any(r.get("CidrIp") == "0.0.0.0/0" for p in ingress for r in p["IpRanges"]):
        net.open_groups.add(group_id)
    return group_id


def service_ingress(src: Source, vpc: Vpc, port: int, open_to: str | None,
                    lb_group: str | None) -> list[Json]:
    """Ingress of a service's security group: from its load balancer or the VPC, a few
    corporate ranges, and — for the planted share — the internet."""
    rules: list[Json] = []
    if lb_group:
        rules.append(permission("tcp", port, port, groups=(lb_group,)))
    else:
        rules.append(permission("tcp", port, port, cidrs=(f"{vpc.cidr_prefix}.0.0/16",)))
    for _ in range(src.rng.randrange(0, 4)):
        extra = src.pick((22, 443, 8443, 9090, 9100))
        rules.append(permission("tcp", extra, extra,
                                cidrs=(f"10.{src.rng.randrange(100, 250)}.0.0/16",)))
    if open_to == "port":
        rules.append(permission("tcp", port, port, cidrs=("0.0.0.0/0",), ipv6=("::/0",)))
    elif open_to == "all":
        rules.append(permission("-1", None, None, cidrs=("0.0.0.0/0",)))
    return rules


def add_load_balancer(net: Network, src: Source, vpc: Vpc, name: str,
                      internet_facing: bool) -> LoadBalancer:
    """An application load balancer with its own security group (open on 80/443 when
    internet-facing, as such balancers are); listeners are added by :func:`finish`."""
    cidr = "0.0.0.0/0" if internet_facing else "10.0.0.0/8"
    group_id = add_security_group(net, src, vpc, f"{name}-alb", f"{name} load balancer", [
        permission("tcp", 80, 80, cidrs=(cidr,)), permission("tcp", 443, 443, cidrs=(cidr,))])
    lb_id = src.hex(16)
    lb_arn = arn("elasticloadbalancing", f"loadbalancer/app/{name}/{lb_id}")
    subnets = vpc.public_subnets if internet_facing else vpc.private_subnets
    net.load_balancers.append({
        "LoadBalancerArn": lb_arn,
        "DNSName": f"{'' if internet_facing else 'internal-'}{name}-{src.rng.randrange(10**9)}"
                   f".{REGION}.elb.amazonaws.com",
        "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K", "CreatedTime": src.timestamp(),
        "LoadBalancerName": name,
        "Scheme": "internet-facing" if internet_facing else "internal",
        "VpcId": vpc.vpc_id, "State": {"Code": "active"}, "Type": "application",
        "AvailabilityZones": [{"ZoneName": z, "SubnetId": s, "LoadBalancerAddresses": []}
                              for z, s in zip(ZONES, subnets, strict=True)],
        "SecurityGroups": [group_id], "IpAddressType": "ipv4",
    })
    return LoadBalancer(name, lb_arn, internet_facing, group_id)


def add_target_group(net: Network, src: Source, vpc: Vpc, lb: LoadBalancer, name: str,
                     port: int, target_type: str) -> str:
    """A target group of one service, registered with ``lb``; returns its ARN."""
    tg_arn = arn("elasticloadbalancing", f"targetgroup/{name}/{src.hex(16)}")
    net.target_groups.append({
        "TargetGroupArn": tg_arn, "TargetGroupName": name, "Protocol": "HTTP", "Port": port,
        "VpcId": vpc.vpc_id, "HealthCheckProtocol": "HTTP", "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True, "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 5,
        "UnhealthyThresholdCount": 2, "HealthCheckPath": "/healthz",
        "Matcher": {"HttpCode": "200"}, "LoadBalancerArns": [lb.arn],
        "TargetType": target_type, "ProtocolVersion": "HTTP1", "IpAddressType": "ipv4",
    })
    lb.target_groups.append(tg_arn)
    return tg_arn


def finish(net: Network, src: Source, balancers: list[LoadBalancer]) -> None:
    """Listeners: HTTP:80 redirecting to HTTPS, and HTTPS:443 forwarding by default to the
    balancer's first target group (the others are reached through listener rules, which
    describe-listeners does not return)."""
    for lb in balancers:
        if not lb.target_groups:
            continue
        lb_id = lb.arn.rsplit("/", 1)[-1]
        base = f"listener/app/{lb.name}/{lb_id}"
        first = lb.target_groups[0]
        net.listeners[lb.name] = [
            {"ListenerArn": arn("elasticloadbalancing", f"{base}/{src.hex(16)}"),
             "LoadBalancerArn": lb.arn, "Port": 80, "Protocol": "HTTP",
             "DefaultActions": [{"Type": "redirect", "Order": 1, "RedirectConfig": {
                 "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                 "Query": "#{query}", "StatusCode": "HTTP_301"}}]},
            {"ListenerArn": arn("elasticloadbalancing", f"{base}/{src.hex(16)}"),
             "LoadBalancerArn": lb.arn, "Port": 443, "Protocol": "HTTPS",
             "Certificates": [{"CertificateArn": arn("acm", f"certificate/{src.uuid()}")}],
             "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
             "DefaultActions": [{"Type": "forward", "TargetGroupArn": first, "ForwardConfig": {
                 "TargetGroups": [{"TargetGroupArn": first, "Weight": 1}],
                 "TargetGroupStickinessConfig": {"Enabled": False}}}]},
        ]
