"""Service, cluster and logging settings that users know from the Security Hub CSPM controls.

All are contextual: they are listed in a service's finding to complete the picture but never
create a finding on their own.

Example: a Fargate service on ``platformVersion: "1.3.0"`` fires ``outdated-platform-version``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.unknown import describe, is_unknown
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import as_dict, as_list, container_name, containers
from ecs_exposure.model import Trait

EXEC = TraitSpec(
    "execute-command-enabled", "ECS Exec enabled", "misconfiguration", True,
    "The service has enableExecuteCommand true: anyone allowed ecs:ExecuteCommand gets a "
    "shell in its tasks.",
    ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html",),
    service_action="turn off ECS Exec (enableExecuteCommand false) unless it is needed",
    guidance=Guidance(
        why=(
            "With `enableExecuteCommand: true`, anyone allowed `ecs:ExecuteCommand` "
            "can open an interactive shell inside the running tasks, read their "
            "secrets and environment, and act with the task role's permissions."
        ),
        change=(
            "Run `update-service --disable-execute-command --force-new-deployment`, "
            "because tasks already running keep ECS Exec until they are replaced."
        ),
        contain=(
            "Enable it only for the duration of an investigation, restrict "
            "`ecs:ExecuteCommand` with IAM conditions on the cluster, container name "
            "or resource tags, and record sessions through the cluster's "
            "`executeCommandConfiguration` logging to CloudWatch Logs or S3."
        ),
        references=(ref.ECS_EXEC, ref.IAM_BEST_PRACTICES),
    ),
)
LOGS = TraitSpec(
    "missing-log-configuration", "No log configuration", "misconfiguration", True,
    "A container definition has no logConfiguration or no logDriver.",
    ("CSPM ECS.9",),
    controls=(ref.ECS_9,),
    revision_action="adds a logConfiguration",
    guidance=Guidance(
        why=(
            "Without a log configuration the container's output is lost when the "
            "task stops, so an attack leaves no application trail to detect or "
            "investigate."
        ),
        change=(
            "Add `logConfiguration` to every container definition, for example "
            "`logDriver: awslogs` with `awslogs-group`, `awslogs-region` and "
            "`awslogs-stream-prefix` options (or `awsfirelens`), in a new revision, "
            "then `update-service`."
        ),
        contain=(
            "Document why the container ships no logs, and make sure CloudTrail and "
            "VPC Flow Logs still record what the task does."
        ),
        references=(ref.ECS_9.url, ref.ECS_AWSLOGS),
    ),
)
EFS = TraitSpec(
    "efs-transit-encryption-disabled", "EFS volume without transit encryption",
    "misconfiguration", True,
    "An efsVolumeConfiguration volume does not set transitEncryption to ENABLED.",
    ("CSPM ECS.18",),
    controls=(ref.ECS_18,),
    revision_action="enables EFS transit encryption",
    guidance=Guidance(
        why=(
            "Without transit encryption, file data travels between the task and Amazon "
            "EFS as plain NFS traffic that anyone on the network path can read or "
            "alter."
        ),
        change=(
            "Set `volumes[].efsVolumeConfiguration.transitEncryption: ENABLED` (and "
            "preferably `authorizationConfig.iam: ENABLED` with an access point) in a "
            "new revision, then `update-service`; a file system policy that denies "
            "requests where `aws:SecureTransport` is false enforces it."
        ),
        contain=(
            "Allow NFS (port 2049) on the mount targets only from the task's security "
            "group and mount the volume read-only where possible."
        ),
        references=(ref.ECS_18.url, ref.ECS_EFS),
    ),
)
PLATFORM = TraitSpec(
    "outdated-platform-version", "Outdated Fargate platform version", "misconfiguration", True,
    "A Fargate service pins a platformVersion older than the latest (Linux 1.4.0, "
    "Windows 1.0.0).",
    ("CSPM ECS.10",),
    controls=(ref.ECS_10, ref.NIST_RUNTIME_VULNERABILITIES),
    service_action="move to Fargate platform version LATEST",
    guidance=Guidance(
        why=(
            "An older Fargate platform version misses the runtime and kernel fixes "
            "and security features of newer ones, and is eventually retired."
        ),
        change=(
            "Run `update-service --platform-version LATEST --force-new-deployment` "
            "(or name the newest version explicitly) so the tasks are replaced on the "
            "current platform."
        ),
        contain=(
            "Pin the older version explicitly, track AWS retirement notices for it, "
            "and schedule the upgrade before the retirement date."
        ),
        references=(ref.ECS_10.url, ref.ECS_FARGATE_PV),
    ),
)
INSIGHTS = TraitSpec(
    "container-insights-disabled", "Container Insights disabled", "misconfiguration", True,
    "The cluster's containerInsights setting is not enabled (or enhanced).",
    ("CSPM ECS.12",),
    controls=(ref.ECS_12,),
    service_action="enable Container Insights on the cluster",
    guidance=Guidance(
        why=(
            "Without Container Insights there are no per-task metrics, so abuse such "
            "as crypto-mining, crash loops or unusual network use is harder to notice."
        ),
        change=(
            "Enable it with `update-cluster-settings --settings "
            "name=containerInsights,value=enabled` (or `enhanced`) on the cluster, and "
            "with `put-account-setting --name containerInsights` as the default for "
            "new clusters."
        ),
        contain=(
            "Enable it at least on clusters that run exposed services, and keep "
            "CloudWatch alarms on service CPU and memory on the others."
        ),
        references=(ref.ECS_12.url, ref.CONTAINER_INSIGHTS),
    ),
)
EFS_AT_REST = TraitSpec(
    "efs-encryption-at-rest-disabled", "EFS file system not encrypted at rest",
    "misconfiguration", True,
    "An efsVolumeConfiguration volume mounts a file system whose Encrypted is not true, or one "
    "the inputs do not describe (unknown, named as missing).",
    ("CSPM EFS.1",),
    controls=(ref.EFS_1,),
    guidance=Guidance(
        why=(
            "An EFS file system created without encryption at rest stores the task's files "
            "unencrypted on AWS storage, outside any KMS key policy: access to the data is "
            "governed by network and file system policy alone, and there is no key to "
            "revoke or audit."
        ),
        change=(
            "Encryption at rest can only be chosen when a file system is created: create "
            "a new file system with `Encrypted: true` (and a customer managed `KmsKeyId` "
            "if required), copy the data with AWS DataSync or AWS Backup, point "
            "`volumes[].efsVolumeConfiguration.fileSystemId` at it in a new revision, then "
            "`update-service`."
        ),
        contain=(
            "Until it is replaced, keep transit encryption and IAM authorization on the "
            "volume, restrict the file system policy and mount target security groups to "
            "the task, and keep no sensitive data on it."
        ),
        references=(ref.EFS_1.url, ref.EFS_ENCRYPTION_AT_REST, ref.ECS_EFS),
    ),
)
HEALTH_CHECK = TraitSpec(
    "missing-health-check", "Essential container without a health check",
    "misconfiguration", True,
    "An essential container definition (essential absent or true) has no healthCheck command.",
    ("CIS Docker 4.6", "KICS: ECS Task Definition HealthCheck Missing"),
    guidance=Guidance(
        why=(
            "Without a container health check ECS only notices a process that exits: a "
            "hung, crash-looping or tampered application keeps running and serving "
            "traffic, and the health status that alarms and deployments rely on stays "
            "UNKNOWN. ECS ignores a HEALTHCHECK in the image unless the task definition "
            "sets one."
        ),
        change=(
            "Add `containerDefinitions[].healthCheck` with a `command` that probes the "
            "application (for example `[\"CMD-SHELL\", \"curl -f http://localhost/health "
            "|| exit 1\"]`) and suitable `interval`, `retries` and `startPeriod`, in a new "
            "revision, then `update-service`."
        ),
        contain=(
            "Rely on the load balancer target group's health check for services behind "
            "one, and alarm on the service's running task count."
        ),
        references=(ref.ECS_HEALTH_CHECK, ref.CIS_DOCKER),
    ),
)

LATEST_LINUX_PLATFORM = (1, 4, 0)


@detector("service", EXEC)
def execute_command(ctx: Context) -> Iterator[Trait]:
    """ECS Exec turns ecs:ExecuteCommand into a shell; it matters most with a powerful role."""
    if ctx.resource.get("enableExecuteCommand") is True:
        yield ctx.trait(EXEC.id, "/enableExecuteCommand",
                        "enableExecuteCommand is true: ecs:ExecuteCommand opens a shell in tasks")


@detector("task-definition", LOGS, EFS)
def logging_and_efs(ctx: Context) -> Iterator[Trait]:
    """Without logs an intrusion leaves no trace; EFS without TLS exposes data on the wire."""
    for index, container in containers(ctx.resource):
        log = container.get("logConfiguration")
        if not isinstance(log, dict) or not log.get("logDriver"):
            name = container_name(container, index)
            yield ctx.trait(LOGS.id, f"/containerDefinitions/{index}",
                            f"container {name} has no log configuration", container=name)
    for index, volume in enumerate(as_list(ctx.resource.get("volumes"))):
        efs = as_dict(volume).get("efsVolumeConfiguration") if isinstance(volume, dict) else None
        if isinstance(efs, dict) and efs.get("transitEncryption") != "ENABLED":
            yield ctx.trait(
                EFS.id, f"/volumes/{index}/efsVolumeConfiguration",
                f"EFS volume {volume.get('name', index)} ({efs.get('fileSystemId', '?')}) "
                "does not enable transit encryption",
            )


@detector("task-definition", EFS_AT_REST, HEALTH_CHECK)
def efs_at_rest_and_health(ctx: Context) -> Iterator[Trait]:
    """A file system the inputs do not describe is assumed unencrypted, and named missing."""
    supplied = "efs" in ctx.inventory.supplied
    for index, volume in enumerate(as_list(ctx.resource.get("volumes"))):
        efs = as_dict(volume).get("efsVolumeConfiguration") if isinstance(volume, dict) else None
        if not isinstance(efs, dict):
            continue
        fs_id = efs.get("fileSystemId")
        shown = describe(fs_id) if fs_id else "no fileSystemId"
        label = f"EFS volume {volume.get('name', index)} ({shown})"
        pointer = f"/volumes/{index}/efsVolumeConfiguration/fileSystemId"
        found = ctx.inventory.file_systems.get(fs_id) if isinstance(fs_id, str) else None
        if found is None:
            why = ("EFS file systems not supplied" if not supplied
                   else "its file system is not among the supplied EFS file systems")
            yield ctx.trait(EFS_AT_REST.id, pointer,
                            f"{label}: encryption at rest unknown ({why}); assumed unencrypted",
                            potential=True, missing=(f"EFS file system {shown}",))
        elif found.get("Encrypted") is not True:
            state = ("unknown" if is_unknown(found.get("Encrypted"))
                     else "not encrypted at rest")
            yield ctx.trait(EFS_AT_REST.id, pointer, f"{label}: file system {state}",
                            potential=is_unknown(found.get("Encrypted")),
                            extra=(("file_system", fs_id),))
    for index, container in containers(ctx.resource):
        if container.get("essential", True) is False:
            continue
        check = container.get("healthCheck")
        if not (isinstance(check, dict) and as_list(check.get("command"))):
            name = container_name(container, index)
            yield ctx.trait(HEALTH_CHECK.id, f"/containerDefinitions/{index}",
                            f"essential container {name} has no health check", container=name)


def _version_tuple(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return None


def _uses_fargate(service: dict[str, object]) -> bool:
    if service.get("launchType") == "FARGATE":
        return True
    strategy = service.get("capacityProviderStrategy")
    return isinstance(strategy, list) and any(
        isinstance(s, dict) and str(s.get("capacityProvider", "")).startswith("FARGATE")
        for s in strategy
    )


@detector("service", PLATFORM)
def platform_version(ctx: Context) -> Iterator[Trait]:
    """Old platform versions miss kernel and runtime fixes; ``LATEST`` always passes."""
    version = ctx.resource.get("platformVersion")
    if not _uses_fargate(ctx.resource) or not isinstance(version, str) or version == "LATEST":
        return
    family = str(ctx.resource.get("platformFamily", "")).upper()
    latest = (1, 0, 0) if family.startswith("WINDOWS") else LATEST_LINUX_PLATFORM
    parsed = _version_tuple(version)
    if parsed is not None and parsed < latest:
        yield ctx.trait(PLATFORM.id, "/platformVersion",
                        f"Fargate platform version {version} is older than "
                        f"{'.'.join(map(str, latest))}")


@detector("cluster", INSIGHTS)
def container_insights(ctx: Context) -> Iterator[Trait]:
    """Without Container Insights there is little runtime telemetry to investigate with."""
    for index, setting in enumerate(as_list(ctx.resource.get("settings"))):
        if isinstance(setting, dict) and setting.get("name") == "containerInsights":
            if setting.get("value") not in ("enabled", "enhanced"):
                yield ctx.trait(INSIGHTS.id, f"/settings/{index}",
                                f"containerInsights is {setting.get('value')!r}")
            return
    yield ctx.trait(INSIGHTS.id, "/settings", "containerInsights is not configured")
