"""Task definition fixers: each turns one trait into the smallest change that removes it.

Fixers work on ``register-task-definition`` input (a deep copy), never on the scanned data,
and never invent a secret value: credentials move to ``secrets[].valueFrom`` pointing at a
Secrets Manager ARN the user supplies (``--secret-arn-prefix``) or a clearly marked
placeholder. Each change says how confident we are that it is safe to roll out:

* ``safe`` — no behaviour change expected;
* ``review`` — fixes the weakness but may break the workload; a human should check;
* ``manual`` — we cannot write the change; the plan says what to do.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.detectors.containers import (
    CAPABILITIES,
    PRIVILEGED,
    ROOT_USER,
    WINDOWS_ADMIN,
    WRITABLE_ROOT,
)
from ecs_exposure.detectors.credentials import PLAINTEXT
from ecs_exposure.detectors.host_access import HOST_IPC, HOST_MOUNT, HOST_NETWORK, HOST_PID
from ecs_exposure.detectors.registry import TraitSpec
from ecs_exposure.detectors.settings import EFS, LOGS
from ecs_exposure.detectors.util import as_dict, as_list
from ecs_exposure.model import Json, Trait
from ecs_exposure.remediation import commands

Confidence = Literal["safe", "review", "manual"]
PLACEHOLDER = "REPLACE-ME"
SCRATCH_PATHS = ("/tmp",)
"""Paths most images write to at run time; a read-only root filesystem needs a volume there."""


@dataclass(frozen=True)
class Change:
    """One change of a plan, with the traits it removes."""

    trait_ids: tuple[str, ...]
    target: Literal["task-definition", "service", "security-group", "iam"]
    description: str
    confidence: Confidence
    risk: str = ""
    container: str | None = None


@dataclass(frozen=True)
class FixOptions:
    """User choices that fixers need and must never guess."""

    secret_arn_prefix: str | None = None
    """e.g. ``arn:aws:secretsmanager:us-east-1:111122223333:secret:`` — names are appended."""
    allow_cidrs: tuple[str, ...] = ()
    keep_mounts: frozenset[str] = field(default_factory=frozenset)
    """Host paths that are really needed: kept, but made read-only."""
    default_user: str | None = None
    """Non-root ``UID:GID`` to set when a container runs as root."""
    origin_arn: str | None = None
    """ARN of the task definition being fixed (account and region for secret ARNs)."""


def tokens(pointer: str) -> list[str]:
    """RFC 6901 pointer → reference tokens."""
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def container_index(trait: Trait) -> int | None:
    """Index of the container definition a trait's pointer names."""
    parts = tokens(trait.pointer)
    if len(parts) >= 2 and parts[0] == "containerDefinitions" and parts[1].isdigit():
        return int(parts[1])
    return None


def _list_member(holder: Json, key: str) -> list[Any]:
    """``holder[key]`` as a list a fixer can append to: created when absent; a value of another
    type (a malformed input) is kept as the list's first item, never dropped or crashed on."""
    value = holder.get(key)
    if not isinstance(value, list):
        value = holder[key] = [] if value is None else [value]
    return value


def _container(td: Json, index: int | None) -> Json:
    items = as_list(td.get("containerDefinitions"))
    if index is None or index >= len(items) or not isinstance(items[index], dict):
        return {}
    return items[index]  # type: ignore[no-any-return]


Fixer = Callable[[Json, list[Trait], FixOptions], list[Change]]
FIXERS: dict[TraitSpec, Fixer] = {}
"""The fixer of each trait that has one, keyed by its spec, in the order fixers run."""


def fixer(spec: TraitSpec) -> Callable[[Fixer], Fixer]:
    """Register the fixer of one trait."""

    def wrap(func: Fixer) -> Fixer:
        FIXERS[spec] = func
        return func

    return wrap


@fixer(PRIVILEGED)
def _privileged(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    changes = []
    for trait in traits:
        container = _container(td, container_index(trait))
        if container.pop("privileged", None) is not None:
            changes.append(Change(
                (PRIVILEGED.id,), "task-definition",
                f"remove privileged from container {trait.container}", "review",
                "the process loses host devices and extra capabilities; software that "
                "manages the host (agents, Docker-in-Docker) will fail", trait.container))
    return changes


@fixer(CAPABILITIES)
def _capabilities(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    by_container: dict[int, set[str]] = defaultdict(set)
    for trait in traits:
        index = container_index(trait)
        if index is not None:
            by_container[index].add(str(dict(trait.extra).get("capability", "")))
    changes = []
    for index, caps in by_container.items():
        container = _container(td, index)
        capabilities = as_dict(as_dict(container.get("linuxParameters")).get("capabilities"))
        added = as_list(capabilities.get("add"))
        kept = [c for c in added
                if not (isinstance(c, str) and c.upper().removeprefix("CAP_") in caps)]
        if len(kept) != len(added):
            if kept:
                capabilities["add"] = kept
            else:
                capabilities.pop("add", None)
            name = str(container.get("name"))
            changes.append(Change(
                (CAPABILITIES.id,), "task-definition",
                f"drop {', '.join(sorted(caps))} from container {name}", "review",
                "code that needs these capabilities (packet capture, ptrace, mounts) will "
                "get permission errors", name))
    return changes


@fixer(HOST_PID)
def _pid(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    if td.pop("pidMode", None) != "host":
        return []
    return [Change((HOST_PID.id,), "task-definition", "remove pidMode host",
                   "review", "monitoring agents that read host processes lose that view")]


@fixer(HOST_IPC)
def _ipc(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    if td.pop("ipcMode", None) != "host":
        return []
    return [Change((HOST_IPC.id,), "task-definition", "remove ipcMode host",
                   "review", "processes that share memory with the host stop doing so")]


@fixer(HOST_NETWORK)
def _host_network(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    if td.get("networkMode") != "host":
        return []
    td["networkMode"] = "awsvpc"
    for container in as_list(td.get("containerDefinitions")):
        for mapping in as_list(as_dict(container).get("portMappings")):
            if isinstance(mapping, dict) and "hostPort" in mapping:
                # awsvpc requires hostPort to be absent or equal to containerPort.
                mapping["hostPort"] = mapping.get("containerPort", mapping["hostPort"])
    return [Change(
        (HOST_NETWORK.id,), "task-definition",
        "switch networkMode from host to awsvpc (hostPort set to containerPort)", "review",
        "each task gets its own ENI (EC2 ENI limits apply); the service update must give "
        "subnets and security groups; clients that used the instance IP must use the task IP "
        "or a load balancer")]


@fixer(HOST_MOUNT)
def _host_mounts(td: Json, traits: list[Trait], options: FixOptions) -> list[Change]:
    changes: list[Change] = []
    volumes = as_list(td.get("volumes"))
    remove: set[str] = set()
    for volume in volumes:
        if not isinstance(volume, dict):
            continue
        path = as_dict(volume.get("host")).get("sourcePath")
        if not isinstance(path, str) or not path:
            continue
        name = str(volume.get("name"))
        if path in options.keep_mounts:
            for container in as_list(td.get("containerDefinitions")):
                for mount in as_list(as_dict(container).get("mountPoints")):
                    if isinstance(mount, dict) and mount.get("sourceVolume") == name \
                            and mount.get("readOnly") is not True:
                        mount["readOnly"] = True
                        changes.append(Change(
                            (HOST_MOUNT.id,), "task-definition",
                            f"make the mount of host path {path} read-only in container "
                            f"{container.get('name')}", "review",
                            "the container can no longer write to the host path",
                            str(container.get("name"))))
            continue
        remove.add(name)
        changes.append(Change((HOST_MOUNT.id,), "task-definition",
                              f"remove host volume {name} ({path}) and its mount points",
                              "review", f"the container loses access to {path} on the host"))
    if remove:
        td["volumes"] = [v for v in volumes if not (isinstance(v, dict) and str(v.get("name"))
                                                    in remove)]
        if not td["volumes"]:
            del td["volumes"]
        for container in as_list(td.get("containerDefinitions")):
            if isinstance(container, dict) and "mountPoints" in container:
                container["mountPoints"] = [
                    m for m in as_list(container["mountPoints"])
                    if not (isinstance(m, dict) and isinstance(m.get("sourceVolume"), str)
                            and m["sourceVolume"] in remove)]
    return changes


def secret_reference(options: FixOptions, td: Json, name: str) -> str:
    """Where the moved credential should live: under ``--secret-arn-prefix``, else in the task
    definition's own account and region, else behind a marked placeholder. The name is made
    valid for Secrets Manager (family and variable come from inputs, see
    :func:`~ecs_exposure.remediation.commands.secret_name`), and an account or region that is
    not one is not copied into the ARN."""
    raw = f"{td.get('family', 'task')}/{name}"
    if options.secret_arn_prefix:
        head, marker, tail = options.secret_arn_prefix.rpartition(":secret:")
        return head + marker + commands.secret_name(tail + raw)
    secret_name = commands.secret_name(raw)
    arn = parse_arn(options.origin_arn)
    if arn and _ARN_WORD.fullmatch(arn.partition) and _ARN_WORD.fullmatch(arn.region) \
            and _ACCOUNT.fullmatch(arn.account):
        return f"arn:{arn.partition}:secretsmanager:{arn.region}:{arn.account}:secret:{secret_name}"
    return f"arn:aws:secretsmanager:{PLACEHOLDER}-REGION:{PLACEHOLDER}-ACCOUNT:secret:{secret_name}"


_ARN_WORD = re.compile(r"[a-z0-9-]+")
_ACCOUNT = re.compile(r"\d{12}")


@fixer(PLAINTEXT)
def _credentials(td: Json, traits: list[Trait], options: FixOptions) -> list[Change]:
    changes: list[Change] = []
    env_moves: dict[int, list[int]] = defaultdict(list)
    for trait in traits:
        parts = tokens(trait.pointer)
        index = container_index(trait)
        container = _container(td, index)
        if index is None or not container:
            continue
        variable = str(dict(trait.extra).get("variable"))
        if len(parts) == 4 and parts[2] == "environment" and parts[3].isdigit():
            env_moves[index].append(int(parts[3]))
        elif len(parts) == 5 and parts[2:4] == ["logConfiguration", "options"]:
            log = as_dict(container.get("logConfiguration"))
            options_map = as_dict(log.get("options"))
            if parts[4] in options_map:
                del options_map[parts[4]]
                _list_member(log, "secretOptions").append(
                    {"name": parts[4], "valueFrom": secret_reference(options, td, parts[4])})
                changes.append(Change(
                    (PLAINTEXT.id,), "task-definition",
                    f"move log option {parts[4]} of container {trait.container} to "
                    "secretOptions", "review", _SECRET_RISK, trait.container))
        else:
            changes.append(Change(
                (PLAINTEXT.id,), "task-definition",
                f"{variable} of container {trait.container} is a credential inside "
                f"{parts[2] if len(parts) > 2 else 'the definition'}: move it into a secret "
                "and read it at start-up", "manual", "needs a change to how the process starts",
                trait.container))
    for index, entries in env_moves.items():
        container = _container(td, index)
        environment = as_list(container.get("environment"))
        moved = [environment[i] for i in sorted(set(entries)) if i < len(environment)]
        container["environment"] = [e for i, e in enumerate(environment) if i not in entries]
        if not container["environment"]:
            del container["environment"]
        secrets = _list_member(container, "secrets")
        for entry in moved:
            name = str(as_dict(entry).get("name"))
            secrets.append({"name": name, "valueFrom": secret_reference(options, td, name)})
            changes.append(Change(
                (PLAINTEXT.id,), "task-definition",
                f"move {name} of container {container.get('name')} to secrets[].valueFrom",
                "review", _SECRET_RISK, str(container.get("name"))))
    return changes


_SECRET_RISK = ("the secret must exist before the new revision starts, and the execution role "
                "needs secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer key); "
                "rotate the old value, which anyone who could describe the task definition has "
                "seen")


@fixer(WRITABLE_ROOT)
def _read_only_root(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    changes = []
    for trait in traits:
        container = _container(td, container_index(trait))
        if not container or container.get("readonlyRootFilesystem") is True:
            continue
        container["readonlyRootFilesystem"] = True
        mounted = {str(as_dict(m).get("containerPath")) for m in
                   as_list(container.get("mountPoints"))}
        added = []
        for path in SCRATCH_PATHS:
            if path in mounted:
                continue
            volume = f"scratch-{container.get('name')}{path.replace('/', '-')}"
            volumes = _list_member(td, "volumes")
            if not any(as_dict(v).get("name") == volume for v in volumes):
                volumes.append({"name": volume})
            _list_member(container, "mountPoints").append(
                {"sourceVolume": volume, "containerPath": path, "readOnly": False})
            added.append(path)
        extra = f" with a writable task volume at {', '.join(added)}" if added else ""
        changes.append(Change(
            (WRITABLE_ROOT.id,), "task-definition",
            f"set readonlyRootFilesystem in container {container.get('name')}{extra}", "review",
            "processes that write outside the scratch volumes (caches, pid files, logs) fail "
            "at run time; test the new revision before rolling out", str(container.get("name"))))
    return changes


@fixer(ROOT_USER)
def _root_user(td: Json, traits: list[Trait], options: FixOptions) -> list[Change]:
    changes = []
    for trait in traits:
        container = _container(td, container_index(trait))
        if not container:
            continue
        if options.default_user:
            container["user"] = options.default_user
            changes.append(Change(
                (ROOT_USER.id,), "task-definition",
                f"run container {trait.container} as {options.default_user}", "review",
                "files the process owns in the image must be readable/writable by that UID",
                trait.container))
        else:
            changes.append(Change(
                (ROOT_USER.id,), "task-definition",
                f"container {trait.container} runs as root: set `user` to the image's non-root "
                "UID:GID (or pass --default-user)", "manual",
                "the right UID depends on the image", trait.container))
    return changes


@fixer(LOGS)
def _logs(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    return [Change((LOGS.id,), "task-definition",
                   f"add a logConfiguration (e.g. awslogs) to container {t.container}",
                   "manual", "needs a log group and permissions on the execution role",
                   t.container) for t in traits]


@fixer(EFS)
def _efs(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    changes = []
    for volume in as_list(td.get("volumes")):
        efs = as_dict(volume).get("efsVolumeConfiguration") if isinstance(volume, dict) else None
        if isinstance(efs, dict) and efs.get("transitEncryption") != "ENABLED":
            efs["transitEncryption"] = "ENABLED"
            changes.append(Change((EFS.id,), "task-definition",
                                  f"enable transit encryption on EFS volume {volume.get('name')}",
                                  "safe", "uses TLS port 2049 to the mount target as before"))
    return changes


@fixer(WINDOWS_ADMIN)
def _windows_admin(td: Json, traits: list[Trait], _: FixOptions) -> list[Change]:
    changes = []
    for trait in traits:
        container = _container(td, container_index(trait))
        if container:
            container["user"] = WINDOWS_USER
            changes.append(Change(
                (WINDOWS_ADMIN.id,), "task-definition",
                f"run container {trait.container} as {WINDOWS_USER}", "review",
                "services, ports below 1024 and paths only administrators may write fail "
                "for a non-administrator user", trait.container))
    return changes


WINDOWS_USER = "ContainerUser"
"""The non-administrator account Windows base images provide."""


def fix_task_definition(td: Json, traits: Iterable[Trait], options: FixOptions) -> list[Change]:
    """Apply every fixer to ``td`` in place; returns the changes made (empty when clean)."""
    by_id: dict[str, list[Trait]] = defaultdict(list)
    for trait in traits:
        by_id[trait.id].append(trait)
    changes: list[Change] = []
    for spec, func in FIXERS.items():
        if spec.id in by_id:
            changes.extend(func(td, by_id[spec.id], options))
    return changes
