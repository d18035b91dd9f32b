"""The seeded estate: two accounts, two regions, every trait the scanner detects.

The caller's account creates an AWS Organization with a member account, which it reaches by
assume-role (as a scanner would). Each of the four account+regions gets a VPC (two public
subnets routed to an internet gateway, one private subnet) and services that, together, show
every trait in :data:`COVERED_TRAITS`, plus one clean service that must get no finding.
Everything is created through the server's HTTP endpoint with boto3.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from support.aws_server import ACCOUNT, REGIONS, MotoServer

SCANNER_ROLE = "ecs-exposure-scanner"
"""The role name the tests pass as ``--role-name`` (moto does not check that it exists)."""

COVERED_TRAITS = frozenset({
    "privileged-container", "host-filesystem-mount", "host-pid-namespace",
    "host-ipc-namespace", "host-network-mode", "plaintext-credentials", "public-ip",
    "open-security-group", "execute-command-enabled", "assumable-role",
    "administrative-policy", "service-admin-policy", "internet-reachable", "root-user",
    "writable-root-filesystem", "dangerous-capabilities", "missing-log-configuration",
    "efs-transit-encryption-disabled", "outdated-platform-version",
    "container-insights-disabled", "privilege-escalation-path", "sensitive-data-access",
    # image traits from ECR data the collector reads (mutable tags, no scanning, no signature)
    "untrusted-registry", "mutable-image-reference", "unscanned-image", "unverified-signature",
    # from the clusters' ECS Exec configuration, EFS file systems and health checks
    "execute-command-logging-disabled", "execute-command-unencrypted",
    "efs-encryption-at-rest-disabled", "missing-health-check", "execution-role-is-task-role",
})
"""Every trait the scanner detects from AWS data; the estate shows each at least once."""

FAKE_AWS_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
FAKE_PASSWORD = "Tr0ub4dor&3-horse"
FAKE_STRIPE = "sk_live_0TestOnlyNotARealKey0000"
SECRETS = (*FAKE_AWS_KEY, FAKE_PASSWORD, FAKE_STRIPE)
"""Secret values planted in task definitions: no output may ever contain them."""


@dataclass
class ServiceSpec:
    """A seeded service and what the scan must say about it."""

    account: str
    region: str
    cluster: str
    name: str
    traits: frozenset[str]
    """Traits its finding must include (empty: the service is clean, no finding)."""

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:service/{self.cluster}/{self.name}"


@dataclass
class Estate:
    """The seeded estate: where it is and what it holds."""

    server: MotoServer
    member: str
    """The second account, created in the caller's organization."""
    services: dict[str, ServiceSpec] = field(default_factory=dict)
    """Service ARN → its spec."""

    @property
    def accounts(self) -> tuple[str, str]:
        return (ACCOUNT, self.member)

    @property
    def regions(self) -> tuple[str, str]:
        return REGIONS

    def expect(self, spec: ServiceSpec) -> None:
        self.services[spec.arn] = spec


def _assume_policy() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def hardened_container(name: str, image: str, **fields: Any) -> dict[str, Any]:
    """A hardened container unless ``fields`` says otherwise (``None`` removes a field)."""
    base: dict[str, Any] = {
        "name": name, "image": image, "essential": True, "memory": 256, "user": "1000",
        "readonlyRootFilesystem": True,
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": name}},
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "healthCheck": {"command": ["CMD-SHELL", "wget -q -O /dev/null localhost:8080"]},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


class Seeder:
    """Clients of one account and region, and the network every region gets (a VPC with two
    public subnets routed to an internet gateway and one private subnet); helpers create
    security groups, roles, ECR images, task definitions and internet-facing ALBs. Reuse it
    to seed further estates (``bench/live_collection_calls.py`` does)."""

    def __init__(self, server: MotoServer, account: str, region: str) -> None:
        creds = server.credentials_in(account)
        self.account, self.region = account, region
        self.ecs = server.client("ecs", region, creds)
        self.ec2 = server.client("ec2", region, creds)
        self.elb = server.client("elbv2", region, creds)
        self.ecr = server.client("ecr", region, creds)
        self.iam = server.client("iam", region, creds)
        self.efs = server.client("efs", region, creds)
        vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.vpc = vpc
        self.public = self._subnet("10.0.1.0/24", "a")
        self.public_b = self._subnet("10.0.3.0/24", "b")
        self.private = self._subnet("10.0.2.0/24", "a")
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        table = self.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=igw)
        for subnet in (self.public, self.public_b):
            self.ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)

    def _subnet(self, cidr: str, zone: str) -> str:
        return str(self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=cidr,
                                          AvailabilityZone=f"{self.region}{zone}")
                   ["Subnet"]["SubnetId"])

    def group(self, name: str, *rules: dict[str, Any]) -> str:
        group_id = str(self.ec2.create_security_group(
            GroupName=name, Description=name, VpcId=self.vpc)["GroupId"])
        if rules:
            self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(rules))
        return group_id

    def role(self, name: str, managed: tuple[str, ...] = (),
             inline: dict[str, str] | None = None) -> str:
        arn = str(self.iam.create_role(RoleName=name,
                                       AssumeRolePolicyDocument=_assume_policy())["Role"]["Arn"])
        for policy in managed:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=policy)
        for policy_name, document in (inline or {}).items():
            self.iam.put_role_policy(RoleName=name, PolicyName=policy_name,
                                     PolicyDocument=document)
        return arn

    def image(self, repository: str, tag: str, mutable: bool = True) -> tuple[str, str]:
        """Push a (config-only) image; returns ``(uri by tag, digest)``."""
        try:
            self.ecr.create_repository(
                repositoryName=repository,
                imageTagMutability="MUTABLE" if mutable else "IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": not mutable})
        except self.ecr.exceptions.RepositoryAlreadyExistsException:
            pass
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "size": 1024, "digest": "sha256:" + uuid.uuid4().hex * 2},
            "layers": []})
        image = self.ecr.put_image(repositoryName=repository, imageManifest=manifest,
                                   imageTag=tag)["image"]
        uri = f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{repository}"
        return f"{uri}:{tag}", str(image["imageId"]["imageDigest"])

    def task_definition(self, family: str, containers: list[dict[str, Any]],
                        fargate: bool = True, **fields: Any) -> str:
        params: dict[str, Any] = {"family": family, "containerDefinitions": containers,
                                  "networkMode": "awsvpc"}
        if fargate:
            params.update(requiresCompatibilities=["FARGATE"], cpu="256", memory="512")
        else:
            params.update(requiresCompatibilities=["EC2"])
        params.update(fields)
        return str(self.ecs.register_task_definition(**params)["taskDefinition"]
                   ["taskDefinitionArn"])

    def awsvpc(self, subnet: str, group: str, public: bool) -> dict[str, Any]:
        return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group],
                                        "assignPublicIp": "ENABLED" if public else "DISABLED"}}

    def load_balancer(self, name: str, group: str, port: int) -> str:
        """An internet-facing ALB with one listener forwarding to a new target group."""
        lb = self.elb.create_load_balancer(Name=name, Subnets=[self.public, self.public_b],
                                           SecurityGroups=[group],
                                           Scheme="internet-facing")["LoadBalancers"][0]
        tg = self.elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=8080,
                                          VpcId=self.vpc, TargetType="ip")["TargetGroups"][0]
        self.elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                                 Port=port, DefaultActions=[
                                     {"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        return str(tg["TargetGroupArn"])


OPEN_HTTP = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
OPEN_HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
              "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
OPEN_ALL = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
INTERNAL = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
            "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
AWS_POLICY = "arn:aws:iam::aws:policy/"


def _seed_caller_us(estate: Estate) -> None:
    s = Seeder(estate.server, ACCOUNT, "us-east-1")
    s.ecs.create_cluster(clusterName="prod",
                         settings=[{"name": "containerInsights", "value": "disabled"}],
                         configuration={"executeCommandConfiguration": {"logging": "NONE"}})
    s.ecs.create_cluster(clusterName="batch",
                         settings=[{"name": "containerInsights", "value": "enabled"}])
    exec_policy = s.iam.create_policy(PolicyName="ecr-pull", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "logs:PutLogEvents"],
         "Resource": "*"}))["Policy"]["Arn"]
    exec_role = s.role("ecs-exec", managed=(exec_policy,))
    # storefront: privileged, root, admin role, behind an internet-facing ALB.
    admin_role = s.role("storefront-task", managed=(AWS_POLICY + "AdministratorAccess",))
    image, _ = s.image("storefront", "7")
    td = s.task_definition("storefront", [hardened_container(
        "web", image, privileged=True, user=None, readonlyRootFilesystem=False)],
        fargate=False, taskRoleArn=admin_role, executionRoleArn=exec_role)
    tg = s.load_balancer("public-alb", s.group("alb-open", OPEN_HTTPS), 443)
    s.ecs.create_service(cluster="prod", serviceName="storefront", taskDefinition=td,
                         desiredCount=2, launchType="EC2",
                         networkConfiguration=s.awsvpc(s.private, s.group("internal", INTERNAL),
                                                       False),
                         loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                         "containerPort": 8080}])
    estate.expect(ServiceSpec(ACCOUNT, "us-east-1", "prod", "storefront", frozenset({
        "privileged-container", "root-user", "writable-root-filesystem", "assumable-role",
        "administrative-policy", "internet-reachable", "open-security-group"})))
    # public-api: public IP + open SG, AWS keys in the old revision still deployed, ECS Exec,
    # outdated platform, a sidecar without logs, a service-admin role that reads every object
    # (data access, not escalation) and can also rewrite its own policy (escalation).
    api_role = s.role("api-task", inline={"s3-all": _doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), "self-edit": _doc(
        {"Effect": "Allow", "Action": "iam:PutRolePolicy",
         "Resource": f"arn:aws:iam::{ACCOUNT}:role/api-task"})})
    _, digest = s.image("api", "3.1", mutable=False)
    api_image = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/api@{digest}"
    sidecar = hardened_container(
        "log-shipper", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2",
        logConfiguration=None, user=None, readonlyRootFilesystem=False, portMappings=[])
    old = s.task_definition("public-api", [hardened_container("api", api_image, environment=[
        {"name": "AWS_ACCESS_KEY_ID", "value": FAKE_AWS_KEY[0]},
        {"name": "AWS_SECRET_ACCESS_KEY", "value": FAKE_AWS_KEY[1]}]), sidecar],
        taskRoleArn=api_role, executionRoleArn=exec_role)
    network = s.awsvpc(s.public, s.group("web-open", OPEN_HTTP), True)
    s.ecs.create_service(cluster="prod", serviceName="public-api", taskDefinition=old,
                         desiredCount=1, launchType="FARGATE", platformVersion="1.3.0",
                         enableExecuteCommand=True, networkConfiguration=network)
    s.ecs.run_task(cluster="prod", taskDefinition=old, launchType="FARGATE",
                   startedBy="ecs-svc/1", group="service:public-api",
                   networkConfiguration=network)
    new = s.task_definition("public-api", [hardened_container("api", api_image), sidecar],
                            taskRoleArn=api_role, executionRoleArn=exec_role)
    s.ecs.update_service(cluster="prod", service="public-api", taskDefinition=new,
                         enableExecuteCommand=True)
    estate.expect(ServiceSpec(ACCOUNT, "us-east-1", "prod", "public-api", frozenset({
        "public-ip", "open-security-group", "internet-reachable", "execute-command-enabled",
        "outdated-platform-version", "plaintext-credentials", "missing-log-configuration",
        "assumable-role", "service-admin-policy", "sensitive-data-access",
        "privilege-escalation-path", "root-user", "writable-root-filesystem",
        "execute-command-logging-disabled", "execute-command-unencrypted"})))
    # node-agent: the host's namespaces, docker socket and dangerous capabilities.
    agent = s.task_definition("node-agent", [hardened_container(
        "agent", "amazon/cloudwatch-agent:1.3", portMappings=[],
        mountPoints=[{"sourceVolume": "docker", "containerPath": "/var/run/docker.sock",
                      "readOnly": False}],
        linuxParameters={"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]}},
        healthCheck=None)],
        fargate=False, networkMode="host", pidMode="host", ipcMode="host",
        volumes=[{"name": "docker", "host": {"sourcePath": "/var/run/docker.sock"}}])
    s.ecs.create_service(cluster="prod", serviceName="node-agent", taskDefinition=agent,
                         desiredCount=1, launchType="EC2", schedulingStrategy="DAEMON")
    estate.expect(ServiceSpec(ACCOUNT, "us-east-1", "prod", "node-agent", frozenset({
        "host-network-mode", "host-pid-namespace", "host-ipc-namespace",
        "host-filesystem-mount", "dangerous-capabilities", "missing-health-check"})))
    # reports: private, a literal database password, EFS without TLS or encryption at rest.
    plain_fs = s.efs.create_file_system(CreationToken="reports", Encrypted=False)
    reports = s.task_definition("reports", [hardened_container(
        "report", "python:3.12-slim", environment=[{"name": "DB_PASSWORD",
                                                    "value": FAKE_PASSWORD}],
        mountPoints=[{"sourceVolume": "shared", "containerPath": "/shared"}])],
        volumes=[{"name": "shared", "efsVolumeConfiguration": {
            "fileSystemId": plain_fs["FileSystemId"], "transitEncryption": "DISABLED"}}])
    s.ecs.create_service(cluster="batch", serviceName="reports", taskDefinition=reports,
                         desiredCount=1, launchType="FARGATE", platformVersion="LATEST",
                         networkConfiguration=s.awsvpc(s.private, s.group("reports", INTERNAL),
                                                       False))
    estate.expect(ServiceSpec(ACCOUNT, "us-east-1", "batch", "reports", frozenset({
        "plaintext-credentials", "efs-transit-encryption-disabled",
        "efs-encryption-at-rest-disabled"})))


def _seed_caller_eu(estate: Estate) -> None:
    s = Seeder(estate.server, ACCOUNT, "eu-west-1")
    s.ecs.create_cluster(clusterName="edge",
                         settings=[{"name": "containerInsights", "value": "enabled"}])
    iam_admin = s.iam.create_policy(PolicyName="iam-admin", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}))["Policy"]["Arn"]
    worker_role = s.role("worker-task", managed=(iam_admin,))
    worker = s.task_definition("worker", [hardened_container("worker", "busybox:1.36")],
                               taskRoleArn=worker_role)
    internal = s.group("worker", INTERNAL)
    s.ecs.create_service(cluster="edge", serviceName="worker", taskDefinition=worker,
                         desiredCount=1, launchType="FARGATE",
                         networkConfiguration=s.awsvpc(s.public, internal, True))
    estate.expect(ServiceSpec(ACCOUNT, "eu-west-1", "edge", "worker", frozenset({
        "public-ip", "assumable-role", "administrative-policy"})))
    clean = s.task_definition("clean-api", [hardened_container("api", "nginx:1.27")])
    s.ecs.create_service(cluster="edge", serviceName="clean-api", taskDefinition=clean,
                         desiredCount=1, launchType="FARGATE",
                         networkConfiguration=s.awsvpc(s.private, internal, False))
    estate.expect(ServiceSpec(ACCOUNT, "eu-west-1", "edge", "clean-api", frozenset()))


def _seed_member_us(estate: Estate) -> None:
    s = Seeder(estate.server, estate.member, "us-east-1")
    s.ecs.create_cluster(clusterName="payments")             # no settings: insights off
    exec_role = s.role("payments-exec", managed=(AWS_POLICY + "AmazonS3FullAccess",))
    image, _ = s.image("payments", "latest")
    td = s.task_definition("payments", [hardened_container("web", image, environment=[
        {"name": "STRIPE_KEY", "value": FAKE_STRIPE}])], executionRoleArn=exec_role)
    tg = s.load_balancer("payments-alb", s.group("alb-all", OPEN_ALL), 80)
    s.ecs.create_service(cluster="payments", serviceName="payments-web", taskDefinition=td,
                         desiredCount=1, launchType="FARGATE",
                         networkConfiguration=s.awsvpc(s.private, s.group("pay", INTERNAL),
                                                       False),
                         loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                         "containerPort": 8080}])
    estate.expect(ServiceSpec(estate.member, "us-east-1", "payments", "payments-web", frozenset({
        "plaintext-credentials", "service-admin-policy", "internet-reachable",
        "open-security-group", "container-insights-disabled"})))


def _seed_member_eu(estate: Estate) -> None:
    s = Seeder(estate.server, estate.member, "eu-west-1")
    s.ecs.create_cluster(clusterName="ops",
                         settings=[{"name": "containerInsights", "value": "enabled"}])
    shell_role = s.role("debug-shell")            # one role as task and execution role
    td = s.task_definition("debug-shell", [hardened_container(
        "shell", "alpine:3.20", portMappings=[],
        mountPoints=[{"sourceVolume": "etc", "containerPath": "/host/etc", "readOnly": True},
                     {"sourceVolume": "data", "containerPath": "/data", "readOnly": True}])],
        fargate=False, networkMode="bridge", taskRoleArn=shell_role, executionRoleArn=shell_role,
        volumes=[{"name": "etc", "host": {"sourcePath": "/etc"}},
                 {"name": "data", "host": {"sourcePath": "/srv/data"}},
                 {"name": "unused", "host": {"sourcePath": "/var/log"}}])
    s.ecs.create_service(cluster="ops", serviceName="debug-shell", taskDefinition=td,
                         desiredCount=1, launchType="EC2", enableExecuteCommand=True)
    estate.expect(ServiceSpec(estate.member, "eu-west-1", "ops", "debug-shell", frozenset({
        "host-filesystem-mount", "execute-command-enabled", "execution-role-is-task-role"})))


def seed_estate(server: MotoServer) -> Estate:
    """Create the organization, its member account and the four regions' resources."""
    org = server.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="workloads", Email="workloads@example.com")
    estate = Estate(server, str(member["CreateAccountStatus"]["AccountId"]))
    for seed in (_seed_caller_us, _seed_caller_eu, _seed_member_us, _seed_member_eu):
        seed(estate)
    return estate
