from __future__ import annotations

import pytest

from ecs_exposure.model import Level
from support.builders import container, ids, task_definition, td_traits


def test_privileged_container_fires_with_pointer_and_high_impact() -> None:
    traits = td_traits(task_definition(containers=[container("a"),
                                                    container("web", privileged=True)]))
    hits = [t for t in traits if t.id == "privileged-container"]
    assert len(hits) == 1
    assert hits[0].pointer == "/containerDefinitions/1/privileged"
    assert hits[0].container == "web"
    assert hits[0].impact is Level.HIGH


@pytest.mark.parametrize("value", [False, "true", 1, None])
def test_privileged_only_on_literal_true(value: object) -> None:
    traits = td_traits(task_definition(containers=[container(privileged=value)]))
    assert "privileged-container" not in ids(traits)


@pytest.mark.parametrize("caps,expected", [
    (["SYS_ADMIN"], ["SYS_ADMIN"]),
    (["cap_sys_ptrace", "CHOWN"], ["SYS_PTRACE"]),
    (["NET_ADMIN", "DAC_READ_SEARCH", "SYS_MODULE", "ALL"],
     ["NET_ADMIN", "DAC_READ_SEARCH", "SYS_MODULE", "ALL"]),
    (["NET_BIND_SERVICE", "CHOWN"], []),
])
def test_dangerous_capabilities(caps: list[str], expected: list[str]) -> None:
    td = task_definition(containers=[container(linuxParameters={"capabilities": {"add": caps}})])
    found = [dict(t.extra)["capability"] for t in td_traits(td)
             if t.id == "dangerous-capabilities"]
    assert found == expected


def test_dropped_capabilities_are_not_flagged() -> None:
    td = task_definition(containers=[container(
        linuxParameters={"capabilities": {"drop": ["SYS_ADMIN"]}})])
    assert "dangerous-capabilities" not in ids(td_traits(td))


@pytest.mark.parametrize("user,root", [
    (None, True), ("root", True), ("0", True), ("0:0", True), ("0:1000", True),
    ("root:root", True), ("ROOT", True), (" 0 ", True),
    ("1000", False), ("1000:0", False), ("nobody", False), ("app:root", False),
    ("10001:10001", False),
])
def test_root_user_variants(user: str | None, root: bool) -> None:
    td = task_definition(containers=[container(user=user)])
    assert ("root-user" in ids(td_traits(td))) is root


def test_absent_user_says_image_default_not_checked() -> None:
    hit = next(t for t in td_traits(task_definition(containers=[container(user=None)]))
               if t.id == "root-user")
    assert "image config not checked" in hit.detail
    assert hit.pointer == "/containerDefinitions/0"


@pytest.mark.parametrize("value,fires", [(None, True), (False, True), (True, False)])
def test_writable_root_filesystem(value: bool | None, fires: bool) -> None:
    td = task_definition(containers=[container(readonlyRootFilesystem=value)])
    assert ("writable-root-filesystem" in ids(td_traits(td))) is fires


def test_windows_task_definitions_exempt_from_root_and_readonly_checks() -> None:
    td = task_definition(containers=[container(user=None, readonlyRootFilesystem=None)],
                         runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"})
    found = ids(td_traits(td))
    assert "root-user" not in found
    assert "writable-root-filesystem" not in found


def test_missing_log_configuration_is_contextual_trait() -> None:
    td = task_definition(containers=[container(logConfiguration=None),
                                     container("b", logConfiguration={"options": {}})])
    assert ids(td_traits(td)).count("missing-log-configuration") == 2


def test_efs_without_transit_encryption() -> None:
    td = task_definition(volumes=[
        {"name": "a", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}},
        {"name": "b", "efsVolumeConfiguration": {"fileSystemId": "fs-2",
                                                 "transitEncryption": "ENABLED"}},
    ])
    hits = [t for t in td_traits(td) if t.id == "efs-transit-encryption-disabled"]
    assert [h.pointer for h in hits] == ["/volumes/0/efsVolumeConfiguration"]


def test_malformed_container_entries_do_not_crash() -> None:
    td = task_definition(containers=["oops", None, {"name": 5, "privileged": True,
                                                    "linuxParameters": "x",
                                                    "environment": "y", "mountPoints": [1]}])
    traits = td_traits(td)
    assert "privileged-container" in ids(traits)


WINDOWS = {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"}


@pytest.mark.parametrize("user,admin", [
    (None, True), ("ContainerAdministrator", True), ("containeradministrator", True),
    ("ContainerUser", False), ("app", False),
])
def test_windows_admin_user(user: str | None, admin: bool) -> None:
    td = task_definition(runtimePlatform=WINDOWS, containers=[container("web", user=user)])
    hits = [t for t in td_traits(td) if t.id == "windows-admin-user"]
    assert bool(hits) is admin
    if hits:
        assert hits[0].container == "web"
        assert hits[0].pointer == ("/containerDefinitions/0" if user is None
                                   else "/containerDefinitions/0/user")


def test_windows_admin_user_only_on_windows() -> None:
    traits = td_traits(task_definition(containers=[container(user=None)]))
    assert "windows-admin-user" not in ids(traits)
    assert "root-user" in ids(traits)
