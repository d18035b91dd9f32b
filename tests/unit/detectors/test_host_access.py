from __future__ import annotations

import pytest

from ecs_exposure.model import Level
from support.builders import container, ids, task_definition, td_traits


def _mount_td(source: str, read_only: bool | None) -> dict[str, object]:
    mount: dict[str, object] = {"sourceVolume": "v", "containerPath": "/data"}
    if read_only is not None:
        mount["readOnly"] = read_only
    return task_definition(volumes=[{"name": "v", "host": {"sourcePath": source}}],
                           containers=[container(mountPoints=[mount])])


@pytest.mark.parametrize("source,read_only,impact", [
    ("/var/run/docker.sock", True, Level.HIGH),
    ("/", True, Level.HIGH),
    ("/proc/", True, Level.HIGH),
    ("/sys/fs/cgroup", True, Level.HIGH),
    ("/etc", True, Level.HIGH),
    ("/run/containerd/containerd.sock", True, Level.HIGH),
    ("/var/lib/ecs/data", True, Level.HIGH),
    ("/data/app", None, Level.HIGH),          # writable: readOnly absent
    ("/data/app", False, Level.HIGH),
    ("/data/app", True, Level.MEDIUM),
    ("/etc/ssl/certs", True, Level.MEDIUM),
])
def test_host_mount_grading(source: str, read_only: bool | None, impact: Level) -> None:
    hits = [t for t in td_traits(_mount_td(source, read_only)) if t.id == "host-filesystem-mount"]
    assert len(hits) == 1
    assert hits[0].impact is impact
    assert hits[0].pointer == "/volumes/0/host/sourcePath"
    assert hits[0].container == "app"


def test_unmounted_host_volume_is_contextual_low() -> None:
    td = task_definition(volumes=[{"name": "tmp", "host": {"sourcePath": "/"}}])
    hits = [t for t in td_traits(td) if t.id == "host-filesystem-mount"]
    assert len(hits) == 1
    assert hits[0].impact is Level.LOW
    assert dict(hits[0].extra)["mounted"] is False


def test_docker_volume_without_host_path_is_not_a_host_mount() -> None:
    td = task_definition(volumes=[{"name": "v", "dockerVolumeConfiguration": {"scope": "task"}},
                                  {"name": "w", "host": {}}],
                         containers=[container(mountPoints=[{"sourceVolume": "v"},
                                                            {"sourceVolume": "w"}])])
    assert "host-filesystem-mount" not in ids(td_traits(td))


def test_host_pid_and_ipc() -> None:
    traits = td_traits(task_definition(pidMode="host", ipcMode="host"))
    by_id = {t.id: t for t in traits}
    assert by_id["host-pid-namespace"].pointer == "/pidMode"
    assert by_id["host-pid-namespace"].impact is Level.HIGH
    assert by_id["host-ipc-namespace"].impact is Level.MEDIUM
    assert "host-pid-namespace" not in ids(td_traits(task_definition(pidMode="task")))


def test_pid_mode_inside_a_container_is_not_the_task_field() -> None:
    # Checkov's bug: pidMode is a task-level field; inside a container definition it means nothing.
    td = task_definition(containers=[container(pidMode="host")])
    assert "host-pid-namespace" not in ids(td_traits(td))


def test_host_network_medium_when_hardened_high_when_root_and_writable() -> None:
    hardened = td_traits(task_definition(networkMode="host"))
    assert next(t for t in hardened if t.id == "host-network-mode").impact is Level.MEDIUM
    risky = td_traits(task_definition(networkMode="host", containers=[
        container(user=None, readonlyRootFilesystem=None)]))
    assert next(t for t in risky if t.id == "host-network-mode").impact is Level.HIGH
    assert "host-network-mode" not in ids(td_traits(task_definition(networkMode="bridge")))
