"""Service, cluster and logging settings that users know from the Security Hub CSPM controls.

All are contextual: they are listed in a service's finding to complete the picture but never
create a finding on their own.

Example: a Fargate service on ``platformVersion: "1.3.0"`` fires ``outdated-platform-version``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.util import as_dict, as_list, container_name, containers
from ecs_exposure.model import Trait

EXEC = TraitSpec(
    "execute-command-enabled", "ECS Exec enabled", "misconfiguration", True,
    "The service has enableExecuteCommand true: anyone allowed ecs:ExecuteCommand gets a "
    "shell in its tasks.",
    ("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html",),
)
LOGS = TraitSpec(
    "missing-log-configuration", "No log configuration", "misconfiguration", True,
    "A container definition has no logConfiguration or no logDriver.",
    ("CSPM ECS.9",),
)
EFS = TraitSpec(
    "efs-transit-encryption-disabled", "EFS volume without transit encryption",
    "misconfiguration", True,
    "An efsVolumeConfiguration volume does not set transitEncryption to ENABLED.",
    ("CSPM ECS.18",),
)
PLATFORM = TraitSpec(
    "outdated-platform-version", "Outdated Fargate platform version", "misconfiguration", True,
    "A Fargate service pins a platformVersion older than the latest (Linux 1.4.0, "
    "Windows 1.0.0).",
    ("CSPM ECS.10",),
)
INSIGHTS = TraitSpec(
    "container-insights-disabled", "Container Insights disabled", "misconfiguration", True,
    "The cluster's containerInsights setting is not enabled (or enhanced).",
    ("CSPM ECS.12",),
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
