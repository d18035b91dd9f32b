"""Tests for the task definition settings traits of ecs_exposure.detectors.settings that came
with the peers' checks: EFS encryption at rest and container health checks."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.detectors.settings import EFS_AT_REST, HEALTH_CHECK
from support.builders import container, ids, task_definition, td_traits


def _efs_td(fs_id: Any = "fs-1") -> dict[str, Any]:
    return task_definition(volumes=[{"name": "data", "efsVolumeConfiguration": {
        "fileSystemId": fs_id, "transitEncryption": "ENABLED"}}],
        containers=[container()])


def _at_rest(td: dict[str, Any], *context: Any) -> list[Any]:
    return [t for t in td_traits(td, *context) if t.id == EFS_AT_REST.id]


def test_unencrypted_file_system_fires_with_the_volume_pointer() -> None:
    hits = _at_rest(_efs_td(), {"FileSystems": [{"FileSystemId": "fs-1", "Encrypted": False}]})
    assert len(hits) == 1
    assert hits[0].pointer == "/volumes/0/efsVolumeConfiguration/fileSystemId"
    assert "not encrypted at rest" in hits[0].detail and not hits[0].potential


def test_encrypted_file_system_passes() -> None:
    assert _at_rest(_efs_td(), {"FileSystems": [{"FileSystemId": "fs-1", "Encrypted": True,
                                                  "KmsKeyId": "arn:aws:kms:::key/1"}]}) == []


@pytest.mark.parametrize("context", [(), ({"FileSystems": [{"FileSystemId": "fs-other",
                                                            "Encrypted": True}]},)])
def test_a_file_system_not_in_the_inputs_is_unknown_and_named(context: tuple[Any, ...]) -> None:
    """Unknown is never safe: the volume is flagged as potential, its file system missing."""
    hits = _at_rest(_efs_td(), *context)
    assert len(hits) == 1
    assert hits[0].potential and hits[0].missing == ("EFS file system fs-1",)
    assert "assumed unencrypted" in hits[0].detail


def test_an_encrypted_flag_that_is_not_true_fires() -> None:
    hits = _at_rest(_efs_td(), {"FileSystems": [{"FileSystemId": "fs-1"}]})
    assert len(hits) == 1


def test_task_definition_without_efs_volume_has_no_at_rest_trait() -> None:
    assert EFS_AT_REST.id not in ids(td_traits(task_definition(
        volumes=[{"name": "scratch"}])))


def test_essential_container_without_health_check_fires() -> None:
    td = task_definition(containers=[container("web", healthCheck=None),
                                     container("side", essential=False, healthCheck=None),
                                     container("ok")])
    hits = [t for t in td_traits(td) if t.id == HEALTH_CHECK.id]
    assert [(t.container, t.pointer) for t in hits] == [("web", "/containerDefinitions/0")]


@pytest.mark.parametrize("check", [None, {}, {"command": []}, "CMD true"])
def test_absent_or_empty_health_check_counts_as_none(check: Any) -> None:
    td = task_definition(containers=[container(essential=None, healthCheck=check)])
    assert HEALTH_CHECK.id in ids(td_traits(td))
