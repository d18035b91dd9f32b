"""Task definition families of the synthetic estate and their describe-task-definition output.

A family is one application (a web service, a queue worker or a host agent) with 1–4
containers: the application plus sidecars from a small shared pool (log router, Envoy, an
observability agent, the X-Ray daemon), as real estates build them. Risky settings are planted
by exact quota (see ``RATES``) and recorded, so a test can check the scanner finds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common import ACCOUNT, REGION, Json, Source, arn

RATES = {
    "privileged": 0.015,        # EC2 families: privileged container
    "host-pid": 0.01,           # EC2: pidMode host
    "host-ipc": 0.005,          # EC2: ipcMode host
    "docker-socket": 0.03,      # EC2: /var/run/docker.sock mounted read-write
    "host-logs": 0.02,          # EC2: /var/log/app mounted read-only
    "capabilities": 0.015,      # EC2: SYS_ADMIN added
    "plaintext": 0.04,          # literal DB_PASSWORD in the environment
    "aws-key": 0.005,           # literal AWS access key pair in the environment
    "efs": 0.01,                # EFS volume without transit encryption
    "admin-role": 0.02,         # task role with AdministratorAccess
    "service-admin-role": 0.06,  # task role with s3:* on *
}
"""Shares of families that carry each planted weakness."""

CONTAINER_COUNTS = (1, 2, 3, 4)
CONTAINER_WEIGHTS = [10.0, 20.0, 30.0, 40.0]
"""Mean of three containers per task definition: 10,000 services run ~30,000 containers."""

SIDECARS = {
    "log-router": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4",
    "envoy": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod",
    "datadog-agent": "public.ecr.aws/datadog/agent:7.54.1",
    "xray-daemon": "public.ecr.aws/xray/aws-xray-daemon:3.3.12",
}
BENIGN_ENV = (
    ("NODE_ENV", "production"), ("LOG_LEVEL", "info"), ("AWS_REGION", REGION),
    ("DB_HOST", "{family}-db.cluster-c1a2b3.us-east-1.rds.amazonaws.com"), ("DB_NAME", "{db}"),
    ("DB_USER", "{db}_app"), ("REDIS_URL", "redis://{family}-cache.internal.example.com:6379/0"),
    ("TOKEN_TTL", "3600"), ("SERVICE_NAME", "{family}"), ("OTEL_SERVICE_NAME", "{family}"),
    ("QUEUE_URL", f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{family}}-jobs"), ("TZ", "UTC"),
    ("SECRET_ARN", arn("secretsmanager", "secret:{family}/db-AbCdEf")), ("CACHE_SIZE", "512"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317"), ("PASSWORD_MIN_LENGTH", "12"),
    ("JAVA_OPTS", "-Xms512m -Xmx1g -XX:+UseG1GC -Dapp.name={family}"),
    ("FEATURE_CHECKOUT_V2", "true"), ("API_BASE_URL", "https://{family}.internal.example.com/v1"),
    ("AUTH_ENABLED", "true"), ("S3_BUCKET", "{family}-data"), ("MAX_WORKERS", "8"),
)
"""Ordinary settings, including look-alikes (TOKEN_TTL, SECRET_ARN) a scanner must not flag;
``{family}`` makes half the values unique per application, as hostnames and queues are."""


@dataclass
class Family:
    """One application and how it is deployed."""

    name: str
    team: int
    kind: str
    """``web`` (listens on a port), ``worker`` (no port) or ``agent`` (EC2 host agent)."""
    compat: str
    """``FARGATE`` or ``EC2``."""
    network_mode: str
    revision: int
    containers: int
    sidecars: list[str]
    port: int | None
    repo: str
    tag: str
    previous_tag: str
    task_role: str | None
    execution_role: str
    planted: list[str] = field(default_factory=list)
    """Planted weaknesses (keys of ``RATES``) in this family."""

    @property
    def image(self) -> str:
        """The application image the current revision runs."""
        return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{self.repo}:{self.tag}"


def build_families(src: Source, count: int, teams: int) -> list[Family]:
    """``count`` families spread over ``teams`` teams, with planted weaknesses by quota."""
    families: list[Family] = []
    for index in range(count):
        team = index % teams
        compat = "FARGATE" if src.chance(0.6) else "EC2"
        kind = src.weighted(("web", "worker", "agent"), [60.0, 30.0, 10.0 if compat == "EC2"
                                                         else 0.0])
        if compat == "FARGATE":
            mode = "awsvpc"
        else:
            mode = src.weighted(("awsvpc", "bridge", "host"), [50.0, 45.0, 5.0])
        n_containers = src.weighted(CONTAINER_COUNTS, CONTAINER_WEIGHTS)
        sidecars = src.rng.sample(sorted(SIDECARS), n_containers - 1)
        name = f"{src.pick(('api', 'web', 'svc', 'jobs', 'sync', 'edge', 'core'))}-{index:05d}"
        major, minor = src.rng.randrange(1, 6), src.rng.randrange(0, 30)
        patch = src.rng.randrange(1, 20)
        families.append(Family(
            name=name, team=team, kind=kind, compat=compat, network_mode=mode,
            revision=src.rng.randrange(2, 60), containers=n_containers, sidecars=sidecars,
            port=src.pick((80, 3000, 8000, 8080, 8443, 9000)) if kind == "web" else None,
            repo=f"team-{team:02d}/{name}", tag=f"{major}.{minor}.{patch}",
            previous_tag=f"{major}.{minor}.{patch - 1}",
            task_role=f"{name}-task" if src.chance(0.85) else None,
            execution_role=src.pick(("ecsTaskExecutionRole", f"team-{team:02d}-execution")),
        ))
    ec2 = [i for i, f in enumerate(families) if f.compat == "EC2"]
    with_role = [i for i, f in enumerate(families) if f.task_role]
    for trait in ("privileged", "host-pid", "host-ipc", "docker-socket", "host-logs",
                  "capabilities"):
        chosen = src.quota(ec2, RATES[trait] * count / max(len(ec2), 1))
        for i in sorted(chosen):
            families[i].planted.append(trait)
    for trait in ("plaintext", "aws-key", "efs"):
        for i in sorted(src.quota(range(count), RATES[trait])):
            families[i].planted.append(trait)
    admins = src.quota(with_role, RATES["admin-role"] * count / max(len(with_role), 1))
    rest = [i for i in with_role if i not in admins]
    service_admins = src.quota(rest, RATES["service-admin-role"] * count / max(len(rest), 1))
    for i in sorted(admins):
        families[i].planted.append("admin-role")
    for i in sorted(service_admins):
        families[i].planted.append("service-admin-role")
    return families


def _log_configuration(family: Family, container: str) -> Json:
    return {"logDriver": "awslogs", "options": {
        "awslogs-group": f"/ecs/{family.name}", "awslogs-region": REGION,
        "awslogs-stream-prefix": container}, "secretOptions": []}


def _app_container(src: Source, family: Family, image: str) -> Json:
    env = [{"name": k, "value": v.format(family=family.name, db=family.name.replace("-", "_"))}
           for k, v in src.rng.sample(BENIGN_ENV, src.rng.randrange(4, len(BENIGN_ENV)))]
    if "plaintext" in family.planted:
        env.append({"name": "DB_PASSWORD", "value": f"Pr0d-{src.hex(20)}!"})
    if "aws-key" in family.planted:
        env.append({"name": "AWS_ACCESS_KEY_ID", "value": "AKIA" + src.hex(16).upper()})
        env.append({"name": "AWS_SECRET_ACCESS_KEY", "value": src.hex(40)})
    container: Json = {
        "name": "app", "image": image, "cpu": src.pick((256, 512, 1024)),
        "memory": src.pick((512, 1024, 2048)), "portMappings": [], "essential": True,
        "environment": env, "mountPoints": [], "volumesFrom": [], "systemControls": [],
    }
    if family.port:
        host_port = 0 if family.network_mode == "bridge" else family.port
        container["portMappings"] = [{"containerPort": family.port, "hostPort": host_port,
                                      "protocol": "tcp", "name": f"app-{family.port}",
                                      "appProtocol": "http"}]
    if src.chance(0.5):
        container["secrets"] = [{"name": "DB_SECRET", "valueFrom": arn(
            "secretsmanager", f"secret:{family.name}/db-{src.hex(6)}")}]
    if "privileged" in family.planted:
        container["privileged"] = True
    if "capabilities" in family.planted:
        container["linuxParameters"] = {"capabilities": {"add": ["SYS_ADMIN"], "drop": []}}
    if "docker-socket" in family.planted:
        container["mountPoints"].append({"sourceVolume": "docker-socket",
                                         "containerPath": "/var/run/docker.sock",
                                         "readOnly": False})
    if "host-logs" in family.planted:
        container["mountPoints"].append({"sourceVolume": "host-logs",
                                         "containerPath": "/host/logs", "readOnly": True})
    if "efs" in family.planted:
        container["mountPoints"].append({"sourceVolume": "shared-data",
                                         "containerPath": "/data", "readOnly": False})
    return container


def _sidecar(src: Source, family: Family, name: str) -> Json:
    container: Json = {"name": name, "image": SIDECARS[name], "cpu": 64, "memory": 128,
                       "portMappings": [], "essential": name != "xray-daemon",
                       "environment": [], "mountPoints": [], "volumesFrom": [],
                       "systemControls": []}
    if name == "log-router":
        container["firelensConfiguration"] = {"type": "fluentbit", "options": {
            "enable-ecs-log-metadata": "true"}}
    if name == "envoy":
        container["healthCheck"] = {"command": ["CMD-SHELL", "curl -s localhost:9901/ready"],
                                    "interval": 5, "timeout": 2, "retries": 3}
        container["user"] = "1337"
    if name == "datadog-agent":
        container["environment"] = [{"name": "DD_SITE", "value": "datadoghq.com"},
                                    {"name": "ECS_FARGATE", "value": str(
                                        family.compat == "FARGATE").lower()}]
        container["secrets"] = [{"name": "DD_API_KEY", "valueFrom": arn(
            "ssm", "parameter/datadog/api-key")}]
    return container


def task_definition(src: Source, family: Family, revision: int, image: str) -> Json:
    """describe-task-definition output for one revision of ``family``."""
    containers = [_app_container(src, family, image)]
    containers += [_sidecar(src, family, name) for name in family.sidecars]
    for container in containers:
        if src.chance(0.4) and "user" not in container:
            container["user"] = src.pick(("1000", "1000:1000", "nobody", "10001"))
        if src.chance(0.25):
            container["readonlyRootFilesystem"] = True
        if not src.chance(0.08):
            container["logConfiguration"] = _log_configuration(family, container["name"])
    volumes: list[Json] = []
    if "docker-socket" in family.planted:
        volumes.append({"name": "docker-socket", "host": {"sourcePath": "/var/run/docker.sock"}})
    if "host-logs" in family.planted:
        volumes.append({"name": "host-logs", "host": {"sourcePath": "/var/log/app"}})
    if "efs" in family.planted:
        volumes.append({"name": "shared-data", "efsVolumeConfiguration": {
            "fileSystemId": f"fs-{src.hex(17)}", "rootDirectory": "/",
            "transitEncryption": "DISABLED"}})
    td: Json = {
        "taskDefinitionArn": arn("ecs", f"task-definition/{family.name}:{revision}"),
        "containerDefinitions": containers, "family": family.name,
    }
    if family.task_role:
        td["taskRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/{family.task_role}"
    td["executionRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/{family.execution_role}"
    td["networkMode"] = family.network_mode
    td["revision"] = revision
    td["volumes"] = volumes
    td["status"] = "ACTIVE"
    td["requiresAttributes"] = [{"name": "com.amazonaws.ecs.capability.ecr-auth"},
                                {"name": "ecs.capability.execution-role-ecr-pull"},
                                {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}]
    td["placementConstraints"] = []
    td["compatibilities"] = ["EC2", "FARGATE"] if family.compat == "FARGATE" else ["EC2"]
    td["requiresCompatibilities"] = [family.compat]
    td["cpu"], td["memory"] = src.pick((("256", "512"), ("512", "1024"), ("1024", "2048")))
    if "host-pid" in family.planted:
        td["pidMode"] = "host"
    if "host-ipc" in family.planted:
        td["ipcMode"] = "host"
    td["runtimePlatform"] = {"cpuArchitecture": src.pick(("X86_64", "ARM64")),
                             "operatingSystemFamily": "LINUX"}
    td["registeredAt"] = src.timestamp(400)
    td["registeredBy"] = (f"arn:aws:sts::{ACCOUNT}:assumed-role/"
                          f"team-{family.team:02d}-deploy/ci")
    return {"taskDefinition": td, "tags": [{"key": "team", "value": f"team-{family.team:02d}"}]}


def planted_traits(family: Family) -> list[str]:
    """Trait ids the scanner must report for any service running ``family``."""
    ids = {"privileged": "privileged-container", "host-pid": "host-pid-namespace",
           "host-ipc": "host-ipc-namespace", "docker-socket": "host-filesystem-mount",
           "host-logs": "host-filesystem-mount", "capabilities": "dangerous-capabilities",
           "plaintext": "plaintext-credentials", "aws-key": "plaintext-credentials",
           "efs": "efs-transit-encryption-disabled", "admin-role": "administrative-policy",
           "service-admin-role": "service-admin-policy"}
    found = [ids[p] for p in family.planted]
    if family.network_mode == "host":
        found.append("host-network-mode")
    if family.task_role:
        found.append("assumable-role")
    return found
