"""Task settings that share the host with the container: host paths, PID and IPC namespaces,
and host networking.

Example::

    {"pidMode": "host",
     "volumes": [{"name": "sock", "host": {"sourcePath": "/var/run/docker.sock"}}],
     "containerDefinitions": [{"name": "agent",
                               "mountPoints": [{"sourceVolume": "sock", "containerPath": "/s"}]}]}

fires ``host-pid-namespace`` and a high ``host-filesystem-mount`` (the Docker socket is root on
the host).
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.detectors.util import (
    as_dict,
    as_list,
    container_name,
    containers,
    mounted_volumes,
    runs_as_root,
)
from ecs_exposure.model import Level, Trait

HOST_MOUNT = TraitSpec(
    "host-filesystem-mount", "Host filesystem mounted", "misconfiguration", False,
    "A volume with host.sourcePath is mounted by a container; sensitive paths and writable "
    "mounts are high impact, other read-only mounts medium; unmounted host volumes are "
    "contextual.",
    ("Security Hub: ECS service allows containers to access the root file systems",),
    weight="high",
    controls=(ref.NIST_HOST_FILESYSTEM, ref.NIST_RUNTIME_CONFIGURATION),
    title_phrase="host filesystem mounts",
    revision_action="removes the host path mounts (or makes them read-only)",
    ocsf_impact="Host Compromise",
    host_access=True,
    guidance=Guidance(
        why=(
            "A host path mounted into a container exposes the instance's own files: "
            "paths such as `/`, `/etc` or `/var/lib/ecs` leak host secrets and agent "
            "credentials, and a mounted `/var/run/docker.sock` or containerd socket lets "
            "the container start a privileged container and own the host. A writable "
            "mount also lets it plant files the host will later run."
        ),
        change=(
            "Register a new revision that drops `volumes[].host.sourcePath` and the "
            "matching `containerDefinitions[].mountPoints[]`, using task-scoped storage "
            "(a volume without `host`), `dockerVolumeConfiguration` or "
            "`efsVolumeConfiguration` for data the task must keep, then roll it out with "
            "`update-service --task-definition family:new-revision`."
        ),
        contain=(
            "Mount the narrowest directory the workload needs, never `/` or a container "
            "runtime socket, and set `mountPoints[].readOnly: true` so the container can "
            "read but not change the host."
        ),
        references=(
            ref.SH_ECS_EXPOSURE,
            ref.ECS_BIND_MOUNTS,
            ref.ECS_TASKDEF_PARAMS,
            ref.CIS_DOCKER,
        ),
    ),
)
HOST_PID = TraitSpec(
    "host-pid-namespace", "Host PID namespace shared", "misconfiguration", False,
    "pidMode is host: containers see and can signal every process on the host.",
    ("Security Hub: ECS service has containers that share a host's process namespace",
     "CSPM ECS.3"),
    weight="high",
    controls=(ref.ECS_3, ref.NIST_RUNTIME_CONFIGURATION),
    title_phrase="the host PID namespace",
    revision_action="removes pidMode host",
    ocsf_impact="Host Compromise",
    host_access=True,
    guidance=Guidance(
        why=(
            "With `pidMode: host` the container sees every process on the instance, "
            "including other tasks' processes: it can read their command lines and, "
            "with enough privilege, their environments and memory, and it can signal "
            "or kill them."
        ),
        change=(
            "Register a new revision without `pidMode` (or with `pidMode: task` when "
            "only the containers of one task need to see each other), then "
            "`update-service --task-definition family:new-revision`."
        ),
        contain=(
            "Give host PID access only to a small monitoring sidecar that runs as a "
            "non-root `user`, without `SYS_PTRACE`, on dedicated container instances "
            "selected with `placementConstraints`."
        ),
        references=(
            ref.ECS_3.url,
            ref.SH_ECS_EXPOSURE,
            ref.ECS_TASKDEF_PARAMS,
        ),
    ),
)
HOST_IPC = TraitSpec(
    "host-ipc-namespace", "Host IPC namespace shared", "misconfiguration", False,
    "ipcMode is host: containers share the host's shared memory and semaphores.",
    ("Docker --ipc=host",),
    controls=(ref.NIST_RUNTIME_CONFIGURATION,),
    title_phrase="the host IPC namespace",
    revision_action="removes ipcMode host",
    ocsf_impact="Host Compromise",
    host_access=True,
    guidance=Guidance(
        why=(
            "With `ipcMode: host` the container shares System V shared memory, "
            "semaphores and message queues with the instance and every other task "
            "using host IPC, so it can read or corrupt data that other processes keep "
            "in shared memory."
        ),
        change=(
            "Register a new revision without `ipcMode`, or with `ipcMode: task` when "
            "the containers of one task must share memory, or `ipcMode: none`, then "
            "`update-service --task-definition family:new-revision`."
        ),
        contain=(
            "Limit host IPC to the one container that needs it, run it as a non-root "
            "`user` on dedicated container instances, and keep other sensitive "
            "workloads off those instances."
        ),
        references=(ref.ECS_TASKDEF_PARAMS, ref.CIS_DOCKER),
    ),
)
HOST_NETWORK = TraitSpec(
    "host-network-mode", "Host network mode", "misconfiguration", False,
    "networkMode is host: containers use the host's network stack and can reach the "
    "instance metadata service and every host port.",
    ("Security Hub: ECS service has host networking mode enabled", "CSPM ECS.17", "CSPM ECS.1"),
    controls=(ref.ECS_17, ref.ECS_1, ref.NIST_RUNTIME_CONFIGURATION,
              ref.NIST_NETWORK_SEPARATION),
    title_phrase="host networking",
    revision_action="switches networkMode from host to awsvpc",
    ocsf_impact="Host Compromise",
    host_access=True,
    guidance=Guidance(
        why=(
            "With `networkMode: host` the container uses the instance's network stack: "
            "it can bind any host port, reach services listening only on the host's "
            "localhost (such as the ECS agent), reach the instance metadata service "
            "and the instance role, and, as root, watch or tamper with host traffic. "
            "No per-task security group applies."
        ),
        change=(
            "Register a new revision with `networkMode: awsvpc`, which gives each task "
            "its own elastic network interface and security group, add "
            "`networkConfiguration.awsvpcConfiguration` (subnets, securityGroups) to the "
            "service, and deploy with `update-service --task-definition "
            "family:new-revision`; `bridge` with explicit `portMappings` is the "
            "fallback on EC2."
        ),
        contain=(
            "Run the container as a non-root `user` with `readonlyRootFilesystem: true`, "
            "drop `NET_RAW` and `NET_ADMIN` via `linuxParameters.capabilities.drop`, and "
            "require IMDSv2 with a hop limit of 1 on its instances."
        ),
        references=(
            ref.ECS_17.url,
            ref.SH_ECS_EXPOSURE,
            ref.ECS_AWSVPC,
        ),
    ),
)

SENSITIVE_EXACT = ("/", "/etc", "/home", "/boot", "/var", "/run", "/var/run", "/usr", "/bin",
                   "/sbin", "/lib")
"""Directories that are dangerous as a whole (a read-only ``/etc/ssl/certs`` is not)."""
SENSITIVE_TREES = (
    "/proc", "/sys", "/dev", "/root", "/var/run/docker.sock", "/run/docker.sock",
    "/run/containerd", "/var/run/containerd", "/var/lib/docker", "/var/lib/containerd",
    "/var/lib/ecs", "/etc/ecs", "/var/lib/kubelet", "/etc/shadow", "/etc/sudoers", "/etc/ssh",
    "/etc/passwd", "/etc/cron.d", "/etc/systemd",
)
"""Paths where the path itself or anything beneath it hands over the host."""


def normalise_path(path: str) -> str:
    """``/proc/`` and ``/proc`` are the same mount; collapse repeated slashes too."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/" + "/".join(parts)


def is_sensitive(path: str) -> bool:
    """A sensitive directory itself, or a sensitive tree or anything beneath it."""
    normal = normalise_path(path)
    if normal in SENSITIVE_EXACT:
        return True
    return any(normal == tree or normal.startswith(tree + "/") for tree in SENSITIVE_TREES)


@detector("task-definition", HOST_MOUNT)
def host_filesystem_mount(ctx: Context) -> Iterator[Trait]:
    """Graded per mount: a read-only mount of an application folder is not the Docker socket."""
    mounts = mounted_volumes(ctx.resource)
    for v_index, volume in enumerate(as_list(ctx.resource.get("volumes"))):
        if not isinstance(volume, dict):
            continue
        source_path = as_dict(volume.get("host")).get("sourcePath")
        if not isinstance(source_path, str) or not source_path:
            continue
        name = str(volume.get("name", f"volumes[{v_index}]"))
        pointer = f"/volumes/{v_index}/host/sourcePath"
        users = mounts.get(name, [])
        if not users:
            yield ctx.trait(
                HOST_MOUNT.id, pointer,
                f"host path {source_path} is declared as volume {name} but no container "
                "mounts it (contextual)",
                impact=Level.LOW, extra=(("mounted", False),),
            )
            continue
        for c_name, _c_index, _m_index, mount in users:
            writable = mount.get("readOnly") is not True
            sensitive = is_sensitive(source_path)
            impact = Level.HIGH if (writable or sensitive) else Level.MEDIUM
            access = "read-write" if writable else "read-only"
            why = " (sensitive host path)" if sensitive else ""
            yield ctx.trait(
                HOST_MOUNT.id, pointer,
                f"container {c_name} mounts host path {source_path} {access} at "
                f"{mount.get('containerPath', '?')}{why}",
                container=c_name, impact=impact,
                extra=(("mounted", True), ("host_path", source_path), ("read_only", not writable),
                       ("sensitive", sensitive)),
            )


@detector("task-definition", HOST_PID, HOST_IPC)
def host_namespaces(ctx: Context) -> Iterator[Trait]:
    """Task-level fields: the ECS API puts pidMode and ipcMode on the task, not the container."""
    if ctx.resource.get("pidMode") == "host":
        yield ctx.trait(HOST_PID.id, "/pidMode",
                        "pidMode is host: every container sees and can signal host processes",
                        impact=Level.HIGH)
    if ctx.resource.get("ipcMode") == "host":
        yield ctx.trait(HOST_IPC.id, "/ipcMode",
                        "ipcMode is host: containers share the host's IPC namespace",
                        impact=Level.MEDIUM)


@detector("task-definition", HOST_NETWORK)
def host_network_mode(ctx: Context) -> Iterator[Trait]:
    """Medium, or high when a container is also root with a writable root filesystem: then a
    compromise controls the host's network stack with nothing left to slow it down."""
    if ctx.resource.get("networkMode") != "host":
        return
    risky = [
        container_name(c, i) for i, c in containers(ctx.resource)
        if runs_as_root(c) and c.get("readonlyRootFilesystem") is not True
    ]
    impact = Level.HIGH if risky else Level.MEDIUM
    detail = "networkMode is host: containers share the host's network stack"
    if risky:
        detail += f"; {', '.join(risky)} also run as root with a writable root filesystem"
    yield ctx.trait(HOST_NETWORK.id, "/networkMode", detail, impact=impact)
