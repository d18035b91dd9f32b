"""ECS Exec on the cluster: whether its sessions are audited and encrypted.

``execute-command-enabled`` says a service lets ``ecs:ExecuteCommand`` open a shell; these
cluster traits say what is left of such a session afterwards. The cluster's
``configuration.executeCommandConfiguration`` decides: ``logging`` ``NONE`` records nothing,
``OVERRIDE`` records to the CloudWatch log group or S3 bucket it names (encrypted only when
it says so), ``DEFAULT`` (also when absent) records to the task's ``awslogs`` log group, which
``missing-log-configuration`` judges. ``kmsKeyId`` adds a customer key to the session's data
channel.

Example::

    {"clusterName": "prod", "configuration": {"executeCommandConfiguration":
        {"logging": "NONE"}}}

fires ``execute-command-logging-disabled`` and, having no ``kmsKeyId``,
``execute-command-unencrypted``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.analysis.unknown import is_unknown
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import as_dict
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json, Trait

EXEC_LOGGING = TraitSpec(
    "execute-command-logging-disabled", "ECS Exec sessions not logged", "misconfiguration",
    True,
    "The cluster's executeCommandConfiguration sets logging to NONE, or to OVERRIDE without a "
    "CloudWatch log group or S3 bucket.",
    ("Checkov CKV_AWS_223",),
    service_action="log ECS Exec sessions (executeCommandConfiguration logging DEFAULT or "
    "OVERRIDE with a log group or bucket) on the cluster",
    guidance=Guidance(
        why=(
            "With ECS Exec logging off, the commands someone runs in a shell opened with "
            "`ecs:ExecuteCommand` leave no record: an insider or a stolen role can read "
            "secrets and change the running task with nothing to investigate afterwards."
        ),
        change=(
            "Run `update-cluster --configuration` with `executeCommandConfiguration` "
            "`logging: OVERRIDE` and a `logConfiguration` naming a CloudWatch log group "
            "(`cloudWatchLogGroupName`) or an S3 bucket (`s3BucketName`), or `logging: "
            "DEFAULT` with an `awslogs` log configuration in every container."
        ),
        contain=(
            "Keep ECS Exec disabled on services (`enableExecuteCommand: false`) except "
            "during an investigation, and keep CloudTrail's `ExecuteCommand` events, "
            "which name who opened each session."
        ),
        references=(ref.ECS_EXEC, ref.ECS_EXEC_CONFIGURATION),
    ),
)
EXEC_UNENCRYPTED = TraitSpec(
    "execute-command-unencrypted", "ECS Exec sessions without a KMS key or encrypted logs",
    "misconfiguration", True,
    "The cluster configures ECS Exec or runs a service with enableExecuteCommand, and its "
    "executeCommandConfiguration has no kmsKeyId, or logs to CloudWatch or S3 without "
    "cloudWatchEncryptionEnabled or s3EncryptionEnabled.",
    ("Checkov CKV_AWS_224",),
    service_action="set a KMS key (and encrypted session logs) in the cluster's "
    "executeCommandConfiguration",
    guidance=Guidance(
        why=(
            "Without a customer KMS key the ECS Exec data channel has only its TLS "
            "encryption and no key policy that decides who may open sessions, and session "
            "logs written without encryption keep everything typed and printed in a shell, "
            "secrets included, readable to anyone who can read the log group or bucket."
        ),
        change=(
            "Run `update-cluster --configuration` with `executeCommandConfiguration."
            "kmsKeyId` set to a customer managed KMS key, and `cloudWatchEncryptionEnabled: "
            "true` or `s3EncryptionEnabled: true` in its `logConfiguration` (the log group "
            "or bucket must be encrypted too); the task role needs `kms:Decrypt` on the key."
        ),
        contain=(
            "Restrict who may call `ecs:ExecuteCommand`, keep ECS Exec disabled on services "
            "that do not need it, and limit read access to the session log group or bucket."
        ),
        references=(ref.ECS_EXEC, ref.ECS_EXEC_CONFIGURATION),
    ),
)

CONFIG_POINTER = "/configuration/executeCommandConfiguration"


def _exec_clusters(inventory: Inventory) -> frozenset[str]:
    """Names of the clusters that run a service with ECS Exec enabled."""
    return frozenset(inventory.cluster_of(service)[0] for service in inventory.services.values()
                     if service.get("enableExecuteCommand") is True)


def _logging_gap(config: Json) -> str | None:
    """Why sessions are not logged, or ``None`` when they are (or go to ``awslogs``)."""
    logging = config.get("logging", "DEFAULT")
    if is_unknown(logging):
        return f"logging is unknown ({logging}): assumed NONE"
    if logging == "NONE":
        return "logging is NONE: ECS Exec sessions are not recorded"
    if logging == "OVERRIDE":
        logs = as_dict(config.get("logConfiguration"))
        if not logs.get("cloudWatchLogGroupName") and not logs.get("s3BucketName"):
            return "logging is OVERRIDE without a CloudWatch log group or S3 bucket"
    elif logging != "DEFAULT":
        return f"logging is {logging!r}, not a value ECS records sessions with"
    return None


def _encryption_gaps(config: Json) -> list[str]:
    gaps = [] if config.get("kmsKeyId") else ["no kmsKeyId for the session data channel"]
    if config.get("logging") == "OVERRIDE":
        logs = as_dict(config.get("logConfiguration"))
        group = logs.get("cloudWatchLogGroupName")
        if group and logs.get("cloudWatchEncryptionEnabled") is not True:
            gaps.append(f"session logs to CloudWatch log group {group} without "
                        "cloudWatchEncryptionEnabled")
        if logs.get("s3BucketName") and logs.get("s3EncryptionEnabled") is not True:
            gaps.append(f"session logs to S3 bucket {logs['s3BucketName']} without "
                        "s3EncryptionEnabled")
    return gaps


@detector("cluster", EXEC_LOGGING, EXEC_UNENCRYPTED)
def exec_sessions(ctx: Context) -> Iterator[Trait]:
    """Logging is judged on any explicit configuration; encryption only where ECS Exec is
    configured or used, so clusters that never run it are not flagged for a missing key."""
    configuration = ctx.resource.get("configuration")
    raw = as_dict(configuration).get("executeCommandConfiguration")
    config = as_dict(raw)
    # The field that is missing its key, or the cluster itself when it has no configuration.
    pointer = (CONFIG_POINTER if isinstance(raw, dict)
               else "/configuration" if isinstance(configuration, dict) else "")
    gap = _logging_gap(config) if isinstance(raw, dict) else None
    if gap is not None:
        yield ctx.trait(EXEC_LOGGING.id, f"{CONFIG_POINTER}/logging", gap,
                        potential=is_unknown(config.get("logging")))
    name = ctx.resource.get("clusterName")
    name = name if isinstance(name, str) and name else last_segment(ctx.key)
    used = name in ctx.memo.once("ecs_exec.clusters", lambda: _exec_clusters(ctx.inventory))
    if not (isinstance(raw, dict) or used):
        return
    gaps = _encryption_gaps(config)
    if configuration is None:       # a describe-clusters export without CONFIGURATIONS
        gaps = ["no executeCommandConfiguration in the input (describe-clusters without "
                "--include CONFIGURATIONS shows none): no kmsKeyId known"]
    if gaps:
        where = "services with enableExecuteCommand run here; " if used else ""
        yield ctx.trait(EXEC_UNENCRYPTED.id, pointer, where + "; ".join(gaps))
