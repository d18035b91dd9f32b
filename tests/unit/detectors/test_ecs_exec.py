"""Tests for ecs_exposure.detectors.ecs_exec: ECS Exec session logging and encryption."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.analysis.unknown import Unknown
from ecs_exposure.detectors import registry
from ecs_exposure.detectors.ecs_exec import EXEC_LOGGING, EXEC_UNENCRYPTED
from ecs_exposure.detectors.registry import Context
from ecs_exposure.model import Trait
from ecs_exposure.settings import ScanMemo
from support.builders import CLUSTER_ARN, SETTINGS, inventory_of, service, task_definition

KEY = "arn:aws:kms:us-east-1:111122223333:key/1"


def _cluster(config: dict[str, Any] | None = None) -> dict[str, Any]:
    cluster: dict[str, Any] = {"clusterArn": CLUSTER_ARN, "clusterName": "prod",
                               "settings": [{"name": "containerInsights", "value": "enabled"}]}
    if config is not None:
        cluster["configuration"] = {"executeCommandConfiguration": config}
    return cluster


def _traits(cluster: dict[str, Any], *docs: Any) -> list[Trait]:
    inventory = inventory_of({"clusters": [cluster]}, *docs)
    return list(registry.run("cluster", Context(inventory, CLUSTER_ARN, cluster, None,
                                                settings=SETTINGS, memo=ScanMemo())))


def _by_id(traits: list[Trait]) -> dict[str, Trait]:
    return {t.id: t for t in traits}


def test_logging_none_fires_both_traits() -> None:
    found = _by_id(_traits(_cluster({"logging": "NONE"})))
    assert found[EXEC_LOGGING.id].pointer == "/configuration/executeCommandConfiguration/logging"
    assert "NONE" in found[EXEC_LOGGING.id].detail
    assert "no kmsKeyId" in found[EXEC_UNENCRYPTED.id].detail


def test_override_without_a_destination_is_not_logged() -> None:
    found = _by_id(_traits(_cluster({"logging": "OVERRIDE", "kmsKeyId": KEY,
                                     "logConfiguration": {}})))
    assert "without a CloudWatch log group or S3 bucket" in found[EXEC_LOGGING.id].detail
    assert EXEC_UNENCRYPTED.id not in found


@pytest.mark.parametrize("logs,gap", [
    ({"cloudWatchLogGroupName": "exec"}, "CloudWatch log group exec"),
    ({"s3BucketName": "audit", "s3EncryptionEnabled": False}, "S3 bucket audit"),
])
def test_unencrypted_session_logs(logs: dict[str, Any], gap: str) -> None:
    found = _by_id(_traits(_cluster({"logging": "OVERRIDE", "kmsKeyId": KEY,
                                     "logConfiguration": logs})))
    assert EXEC_LOGGING.id not in found
    assert gap in found[EXEC_UNENCRYPTED.id].detail


def test_fully_configured_exec_passes() -> None:
    assert _traits(_cluster({"logging": "OVERRIDE", "kmsKeyId": KEY, "logConfiguration": {
        "cloudWatchLogGroupName": "exec", "cloudWatchEncryptionEnabled": True}})) == []


def test_cluster_without_exec_configuration_or_exec_services_is_not_flagged() -> None:
    assert _traits(_cluster()) == []


def test_cluster_running_an_exec_service_without_a_key_fires() -> None:
    """``logging`` DEFAULT (absent) goes to the task's awslogs: only the key is missing."""
    found = _by_id(_traits(_cluster(), {"services": [service(enableExecuteCommand=True)]},
                           {"taskDefinition": task_definition()}))
    assert set(found) == {EXEC_UNENCRYPTED.id}
    assert found[EXEC_UNENCRYPTED.id].pointer == ""      # the cluster: it has no configuration
    assert "enableExecuteCommand" in found[EXEC_UNENCRYPTED.id].detail
    assert "--include CONFIGURATIONS" in found[EXEC_UNENCRYPTED.id].detail


def test_an_empty_configuration_says_the_key_is_missing() -> None:
    cluster = _cluster() | {"configuration": {}}
    found = _by_id(_traits(cluster, {"services": [service(enableExecuteCommand=True)]},
                           {"taskDefinition": task_definition()}))
    assert found[EXEC_UNENCRYPTED.id].pointer == "/configuration"
    assert "no kmsKeyId for the session data channel" in found[EXEC_UNENCRYPTED.id].detail


def test_unknown_logging_is_assumed_off() -> None:
    found = _by_id(_traits(_cluster({"logging": Unknown("parameter ExecLogging"),
                                     "kmsKeyId": KEY})))
    assert found[EXEC_LOGGING.id].potential
