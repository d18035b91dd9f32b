"""A local AWS for the tests: a moto server on 127.0.0.1, reached by boto3 over real HTTP.

Reuse it from any test module (``conftest.py`` registers this module as a plugin)::

    def test_something(aws_estate: Estate, aws_env: dict[str, str]) -> None:
        # boto3 (and `python -m ecs_exposure` given env=aws_env) now talk to the moto server
        ...

Fixtures
  ``moto_server`` (session)  the running :class:`MotoServer`: ``endpoint``, ``requests`` (a log
                             of every call it received) and ``faults`` (fault injection).
  ``aws_estate`` (session)   the seeded :class:`Estate`: two accounts (the second joined
                             through AWS Organizations and reached by assume-role), two
                             regions each, services covering every trait the scanner detects.
  ``aws_env`` (function)     environment variables pointing boto3 at the server (fake
                             credentials, ``AWS_ENDPOINT_URL``, no shared config files), applied
                             to ``os.environ`` for the test and returned for subprocesses.
  ``aws_faults`` (function)  the server's :class:`Faults`, emptied after the test.

Faults are injected *in the server*, in front of moto: a matching request gets a real HTTP error
response in the service's own wire format, so botocore's retry logic, error parsing and the
collector's handling run exactly as against AWS. Example::

    aws_faults.add(Fault("ThrottlingException", service="ecs", operation="DescribeServices",
                         times=2))            # two throttles, then the real answer
    aws_faults.add(Fault("AccessDenied", status=403, service="iam", account=estate.member))

The estate is seeded once per test session, through the same HTTP endpoint, with boto3 only,
and the live-collection tests expect it unchanged: a test that *changes* AWS state (``fix
--apply``) should seed its own resources with :class:`Seeder` in a region the estate does not
use (``Seeder(server, ACCOUNT, "ap-southeast-2")``) rather than modify the shared ones.
Two moto gaps are patched in-process (the server runs in this process): ``enableExecuteCommand``
is not stored by moto's ``CreateService``, and ``RunTask`` in ``awsvpc`` mode crashes on a
missing ENI attribute. Both patches only make moto return what AWS returns.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import boto3
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

ACCOUNT = "123456789012"
"""The caller's account (moto's default account for non-assumed credentials)."""
REGIONS = ("us-east-1", "eu-west-1")
SCANNER_ROLE = "ecs-exposure-scanner"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

# ---- the server ------------------------------------------------------------------------------


@dataclass
class Fault:
    """An error the server returns instead of calling moto, for requests that match.

    ``None`` fields match anything. ``times`` bounds how often it fires (``None``: always).
    """

    code: str
    status: int = 400
    message: str = "injected by the test"
    service: str | None = None
    """Signing name: ``ecs``, ``ec2``, ``elasticloadbalancing``, ``iam``, ``ecr``, ``sts``…"""
    operation: str | None = None
    region: str | None = None
    account: str | None = None
    times: int | None = None
    hits: int = 0

    def matches(self, request: Request) -> bool:
        return all(want is None or want == got for want, got in (
            (self.service, request.service), (self.operation, request.operation),
            (self.region, request.region), (self.account, request.account)))


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    service: str
    operation: str
    region: str
    account: str
    status: int | None
    """HTTP status of an injected fault; ``None`` when moto answered."""


class Faults:
    """The active faults (thread-safe: the server is threaded)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, request: Request) -> Fault | None:
        """The first matching fault that has not run out; counts the hit."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(request) and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None


_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def _error_body(service: str, json_protocol: bool, fault: Fault) -> tuple[str, bytes]:
    """The error document each protocol uses, so botocore parses it like AWS's."""
    if json_protocol:
        return "application/x-amz-json-1.1", json.dumps(
            {"__type": fault.code, "message": fault.message}).encode()
    code, message, request_id = escape(fault.code), escape(fault.message), uuid.uuid4()
    if service == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>")
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>"
                f"{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
    return "text/xml", body.encode()


class _FaultInjector:
    """WSGI middleware in front of moto: logs every request, answers faults itself."""

    def __init__(self, app: Any, server: MotoServer) -> None:
        self.app = app
        self.server = server

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from moto.iam.models import get_account_id_from

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, region, service = scope.groups() if scope else ("", "", "")
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            operation = target.rsplit(".", 1)[-1]
        else:
            operation = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
        account = get_account_id_from(access_key) if access_key else ACCOUNT
        request = Request(service, operation, region, account, None)
        fault = self.server.faults.take(request)
        if fault is not None:
            request = Request(service, operation, region, account, fault.status)
        self.server.log(request)
        if fault is None:
            return self.app(environ, start_response)
        content_type, payload = _error_body(service, bool(target), fault)
        start_response(f"{fault.status} Injected", [("Content-Type", content_type),
                                                    ("Content-Length", str(len(payload)))])
        return [payload]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log on the test output."""


def _patch_moto() -> None:
    """Make moto return two fields AWS returns (see the module docstring). Idempotent."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse, "_ecs_exposure_patched", False):
        return
    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = property(  # type: ignore[attr-defined]
            lambda self: "ip-" + str(self.private_ip_address).replace(".", "-")
            + ".ec2.internal")

    def keep_exec_flag(original: Any) -> Any:
        def handler(self: Any) -> Any:
            result = original(self)
            flag = self._get_param("enableExecuteCommand")
            service = getattr(result, "result", {}).get("service")
            if flag is not None and service is not None:
                service.enable_execute_command = bool(flag)
            return result
        return handler

    for name in ("create_service", "update_service"):
        setattr(EC2ContainerServiceResponse, name,
                keep_exec_flag(getattr(EC2ContainerServiceResponse, name)))
    EC2ContainerServiceResponse._ecs_exposure_patched = True  # type: ignore[attr-defined]


class MotoServer:
    """moto's server app behind the fault injector, on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        # AWS-managed policies (AdministratorAccess…) exist in every account, as in AWS.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        _patch_moto()
        self.faults = Faults()
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        app = _FaultInjector(DomainDispatcherApplication(create_backend_app), self)
        self._server = make_server("127.0.0.1", 0, app, threaded=True,
                                   request_handler=_QuietHandler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def env(self) -> dict[str, str]:
        """Environment for boto3 (and subprocesses) to use this server and nothing else."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_DEFAULT_REGION": REGIONS[0], "AWS_REGION": REGIONS[0],
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "3",
                "NO_PROXY": "127.0.0.1,localhost"}

    def client(self, service: str, region: str = REGIONS[0],
               credentials: dict[str, str] | None = None) -> Any:
        """A boto3 client of this server, as the caller or with ``credentials``."""
        creds = credentials or {"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, **creds)

    def credentials_in(self, account: str) -> dict[str, str] | None:
        """Credentials in ``account`` (assume-role from the caller); ``None`` for the caller."""
        if account == ACCOUNT:
            return None
        creds = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="seed")["Credentials"]
        return {"aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"]}

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


# ---- the estate ------------------------------------------------------------------------------

COVERED_TRAITS = frozenset({
    "privileged-container", "host-filesystem-mount", "host-pid-namespace",
    "host-ipc-namespace", "host-network-mode", "plaintext-credentials", "public-ip",
    "open-security-group", "execute-command-enabled", "assumable-role",
    "administrative-policy", "service-admin-policy", "internet-reachable", "root-user",
    "writable-root-filesystem", "dangerous-capabilities", "missing-log-configuration",
    "efs-transit-encryption-disabled", "outdated-platform-version",
    "container-insights-disabled",
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
                         settings=[{"name": "containerInsights", "value": "disabled"}])
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
    # outdated platform, a sidecar without logs, a service-admin role.
    api_role = s.role("api-task", inline={"s3-all": _doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})})
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
        "assumable-role", "service-admin-policy", "root-user", "writable-root-filesystem"})))
    # node-agent: the host's namespaces, docker socket and dangerous capabilities.
    agent = s.task_definition("node-agent", [hardened_container(
        "agent", "amazon/cloudwatch-agent:1.3", portMappings=[],
        mountPoints=[{"sourceVolume": "docker", "containerPath": "/var/run/docker.sock",
                      "readOnly": False}],
        linuxParameters={"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]}})],
        fargate=False, networkMode="host", pidMode="host", ipcMode="host",
        volumes=[{"name": "docker", "host": {"sourcePath": "/var/run/docker.sock"}}])
    s.ecs.create_service(cluster="prod", serviceName="node-agent", taskDefinition=agent,
                         desiredCount=1, launchType="EC2", schedulingStrategy="DAEMON")
    estate.expect(ServiceSpec(ACCOUNT, "us-east-1", "prod", "node-agent", frozenset({
        "host-network-mode", "host-pid-namespace", "host-ipc-namespace",
        "host-filesystem-mount", "dangerous-capabilities"})))
    # reports: private, a literal database password, EFS without TLS.
    reports = s.task_definition("reports", [hardened_container(
        "report", "python:3.12-slim", environment=[{"name": "DB_PASSWORD",
                                                    "value": FAKE_PASSWORD}],
        mountPoints=[{"sourceVolume": "shared", "containerPath": "/shared"}])],
        volumes=[{"name": "shared", "efsVolumeConfiguration": {
            "fileSystemId": "fs-0123456789abcdef0", "transitEncryption": "DISABLED"}}])
    s.ecs.create_service(cluster="batch", serviceName="reports", taskDefinition=reports,
                         desiredCount=1, launchType="FARGATE", platformVersion="LATEST",
                         networkConfiguration=s.awsvpc(s.private, s.group("reports", INTERNAL),
                                                       False))
    estate.expect(ServiceSpec(ACCOUNT, "us-east-1", "batch", "reports", frozenset({
        "plaintext-credentials", "efs-transit-encryption-disabled"})))


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
    td = s.task_definition("debug-shell", [hardened_container(
        "shell", "alpine:3.20", portMappings=[],
        mountPoints=[{"sourceVolume": "etc", "containerPath": "/host/etc", "readOnly": True},
                     {"sourceVolume": "data", "containerPath": "/data", "readOnly": True}])],
        fargate=False, networkMode="bridge",
        volumes=[{"name": "etc", "host": {"sourcePath": "/etc"}},
                 {"name": "data", "host": {"sourcePath": "/srv/data"}},
                 {"name": "unused", "host": {"sourcePath": "/var/log"}}])
    s.ecs.create_service(cluster="ops", serviceName="debug-shell", taskDefinition=td,
                         desiredCount=1, launchType="EC2", enableExecuteCommand=True)
    estate.expect(ServiceSpec(estate.member, "eu-west-1", "ops", "debug-shell", frozenset({
        "host-filesystem-mount", "execute-command-enabled"})))


def seed_estate(server: MotoServer) -> Estate:
    """Create the organization, its member account and the four regions' resources."""
    org = server.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="workloads", Email="workloads@example.com")
    estate = Estate(server, str(member["CreateAccountStatus"]["AccountId"]))
    for seed in (_seed_caller_us, _seed_caller_eu, _seed_member_us, _seed_member_eu):
        seed(estate)
    return estate


# ---- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_estate(moto_server: MotoServer) -> Estate:
    return seed_estate(moto_server)


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE",
                 "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    env = moto_server.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **env}


@pytest.fixture
def aws_faults(moto_server: MotoServer) -> Iterator[Faults]:
    moto_server.faults.clear()
    yield moto_server.faults
    moto_server.faults.clear()
