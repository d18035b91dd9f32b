"""Peer tools' ECS checks this tool deliberately does not mirror, and why, as data.

A user comparing tools should not have to guess whether a missing check is a gap or a choice:
``docs/traits.md`` lists these (generated from this table), beside the compliance controls no
trait covers (:mod:`ecs_exposure.detectors.frameworks`). Check ids and behaviours follow the
peers' code and documentation as recorded in ``shared/reference/peers.md``; the Security Hub
CSPM controls not covered are in the frameworks table, not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecs_exposure.detectors.containers import ROOT_USER
from ecs_exposure.detectors.host_access import HOST_NETWORK
from ecs_exposure.detectors.iam import ADMIN, SERVICE_ADMIN
from ecs_exposure.detectors.iam_escalation import ESCALATION
from ecs_exposure.detectors.images import UNSCANNED
from ecs_exposure.detectors.network import OPEN_SG, REACHABLE
from ecs_exposure.detectors.settings import LOGS
from ecs_exposure.detectors.vulnerabilities import EXPLOITABLE, SOFTWARE


@dataclass(frozen=True)
class PeerCheck:
    """One check of a peer tool that no trait mirrors, and the reason."""

    tool: str
    check: str
    """The tool's own id (``CKV_AWS_136``), or its title when it has no short id (KICS)."""
    what: str
    """What the peer's check fails, in a few words."""
    reason: str


_LIMITS = ("a resource limit (availability), not an exposure: ECS requires a memory limit on "
           "the task or on its containers, and a container without its own shares the task's")
_CMK = ("the data is always encrypted at rest by AWS; a customer managed key is a key-management "
        "choice (rotation, key policy), not an exposure of the running service")

NOT_MIRRORED: tuple[PeerCheck, ...] = (
    PeerCheck("Prowler", "ecs_task_definitions_logging_block_mode",
              "a log driver without mode non-blocking",
              "blocking mode trades log loss for back-pressure: an availability choice; "
              f"missing logs are judged by {LOGS.id}"),
    PeerCheck("Prowler", "ecs_task_definitions_host_networking_mode_users",
              "host network mode with a non-privileged root user",
              f"mirrored by two stricter traits instead: {HOST_NETWORK.id} fires on host mode "
              "whatever the user (Prowler and ECS.1 pass it with privileged: true), and "
              f"{ROOT_USER.id} treats 0, 0:0 and root:root as root"),
    PeerCheck("Prowler", "ecr_registry_scan_images_on_push_enabled",
              "a registry scanning rule without scan on push for every repository",
              "the registry's rules are not the question; whether each image a service runs "
              f"has a scan result ({UNSCANNED.id}) and what it found is"),
    PeerCheck("Prowler", "ecr_repositories_scan_vulnerabilities_in_latest_image",
              "severity counts of the latest image pushed to a repository",
              "the latest image pushed is often not the one running: vulnerabilities are "
              f"judged on the digests services run ({EXPLOITABLE.id}, {SOFTWARE.id})"),
    PeerCheck("Prowler", "ecr_repositories_lifecycle_policy_enabled",
              "a repository without a lifecycle policy",
              "repository hygiene (CSPM ECR.3, listed as not covered), not an exposure"),
    PeerCheck("Prowler", "ecr_repositories_not_publicly_accessible",
              "a repository policy with Principal *",
              "ECR repository policies are not read in this version: a public repository "
              "discloses images, it does not expose a running service (NIST 4.2.3 is listed as "
              "not covered)"),
    PeerCheck("Checkov", "CKV_AWS_136", "an ECR repository not encrypted with KMS", _CMK),
    PeerCheck("Trivy", "AWS-0033", "an ECR repository without a customer managed key", _CMK),
    PeerCheck("KICS", "ECR repository not encrypted with CMK", "the same check", _CMK),
    PeerCheck("KICS", "ECS Cluster Not Encrypted At Rest",
              "a cluster without an encryption configuration",
              "a cluster holds no data of its own; its one encryption setting is a customer key "
              "for Fargate ephemeral storage, which Fargate encrypts (AES-256) without one"),
    PeerCheck("Checkov", "CKV2_AWS_5", "a security group attached to nothing",
              "an unused security group exposes nothing; the groups services and their load "
              f"balancers use are judged ({OPEN_SG.id}, {REACHABLE.id})"),
    PeerCheck("KICS", "ECS Task Definition Network Mode Not Recommended",
              "any network mode but awsvpc (bridge included)",
              "bridge mode does not hand the task its host; only host mode does "
              f"({HOST_NETWORK.id}, CSPM ECS.17)"),
    PeerCheck("AWS Config", "ecs-awsvpc-networking-enabled", "the same check",
              f"as for KICS: only host mode is a weakness ({HOST_NETWORK.id})"),
    PeerCheck("KICS", "ECS Service Admin Role Is Present",
              "a service iam_role whose name contains admin",
              "a name says nothing about permissions, and that field is the legacy load "
              "balancer role; the task and execution roles' effective permissions are judged "
              f"({ADMIN.id}, {SERVICE_ADMIN.id}, {ESCALATION.id})"),
    PeerCheck("KICS", "Inline Policies Are Attached To ECS Service",
              "inline rather than managed policies on a service's role",
              "a style preference: what the policies allow is judged, however attached"),
    PeerCheck("KICS", "Empty Roles For ECS Cluster Task Definitions",
              "a task definition without a task role",
              "a task without a task role has no AWS credentials to steal: safer, not weaker"),
    PeerCheck("KICS", "ECS No Load Balancer Attached", "a service without a load balancer",
              "not a weakness; how the internet reaches a service, through a load balancer or "
              f"a public IP, is judged by {REACHABLE.id}"),
    PeerCheck("KICS", "ECS Service Without Running Tasks", "desiredCount 0",
              "an operational state, not a weakness (a stopped service is still assessed)"),
    PeerCheck("KICS", "ECS Task Definition Invalid CPU or Memory",
              "CPU and memory values Fargate does not accept",
              "a validity error ECS rejects at registration, not a security weakness"),
    PeerCheck("cfn-lint", "E3042", "a task definition with no essential container",
              "ECS refuses to register such a task definition, so it never runs; not a "
              "security weakness"),
    PeerCheck("AWS Config", "ecs-task-definition-memory-hard-limit",
              "a container definition without memory", _LIMITS),
)
"""Peer checks no trait mirrors, by tool."""

__all__ = ["NOT_MIRRORED", "PeerCheck"]
