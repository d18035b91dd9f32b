"""Task roles that can read every object, secret, parameter or table (``sensitive-data-access``).

Reading data is not escalating privilege: the role gains nothing it was not given. But a task
role that reads *every* S3 object, secret, SSM parameter or DynamoDB table, or decrypts with any
KMS key, turns one compromised container into the account's whole data set, which is impact.
The kinds and their read actions live in :mod:`ecs_exposure.analysis.iam.data_access` and are
answered by the same effective-permission evaluator as the escalation paths.

Impact (DESIGN §4 bands): medium, as a service-admin role (``s3:*``) is medium — data, not
control; high when the kind is every secret in Secrets Manager, because secrets are credentials
(database masters, third-party keys, often IAM access keys), the reason plaintext AWS keys are
high. Like the service-admin trait, it is not contextual: it creates a finding on its own.
Internal services so get a low-severity finding (low likelihood × medium impact), one reachable
from the internet a medium one — the same standing as a role with ``s3:*``, which this trait
must not rank below, since ``s3:GetObject`` on ``*`` exposes the same objects.

Only the task role is checked, as for escalation paths: the execution role's credentials are
used by the ECS agent and never reach the containers. An administrative role gets no such trait:
``administrative-policy`` already says it can read everything.

Example: task role ``payments-task`` with ``s3:GetObject`` on ``arn:aws:s3:::*/*`` fires
``sensitive-data-access``: "task role payments-task can read every S3 object through
s3:GetObject (inline policy payments-s3 /Statement/0)".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecs_exposure.analysis.iam.analysis import RoleAnalysis
from ecs_exposure.analysis.iam.data_access import DataAccess
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.model import Trait

DATA_ACCESS = TraitSpec(
    "sensitive-data-access", "Sensitive-data read access", "impact", False,
    "The task role can read every object in S3 (s3:GetObject on every bucket), every secret "
    "in Secrets Manager, every SSM parameter or every DynamoDB table, or decrypt with any KMS "
    "key (kms:Decrypt on *), after Deny statements, the permissions boundary and conditions.",
    ("MITRE ATT&CK T1530: Data from Cloud Storage",
     "MITRE ATT&CK T1555.006: Cloud Secrets Management Stores"),
    title_phrase="an IAM role that can read sensitive data",
    ocsf_impact="Data Access",
    guidance=Guidance(
        why=(
            "A task role that can read every object, secret, parameter or table hands all of "
            "the account's stored data to any code that runs in the container: a single "
            "remote-code-execution bug becomes a bulk download, and read secrets are "
            "credentials to further systems."
        ),
        change=(
            "Scope each read statement to the resources the service owns: "
            "`s3:GetObject` on `arn:aws:s3:::<bucket>/<prefix>/*`, "
            "`secretsmanager:GetSecretValue` and `ssm:GetParameter*` on the service's own "
            "secret and parameter ARNs, DynamoDB reads on named tables, `kms:Decrypt` on "
            "named key ARNs; IAM Access Analyzer policy generation shows what the role "
            "actually reads."
        ),
        contain=(
            "Deny reads outside the service's own prefix with an explicit `Deny` or a "
            "permissions boundary, require `kms:ViaService` on `kms:Decrypt`, and restrict "
            "bucket, secret and key resource policies to the principals that need them."
        ),
        references=(ref.ECS_TASK_ROLE, ref.IAM_POLICY_GENERATION, ref.IAM_BOUNDARIES,
                    ref.IAM_BEST_PRACTICES),
    ),
)


def _cite(access: DataAccess) -> list[dict[str, str]]:
    return [{"policy": c.source.label, "resource": c.source.resource, "pointer": c.pointer}
            for c in access.decision.grants[:3]]


def _kind_facts(access: DataAccess) -> dict[str, Any]:
    decision = access.decision
    return {
        "kind": access.kind.id,
        "action": access.action,
        "reads": access.kind.reads,
        "gains": access.kind.gains,
        "conditional": decision.conditional,
        "reference": access.kind.reference,
        "statements": _cite(access),
        "boundary": [{"policy": c.source.label, "resource": c.source.resource,
                      "pointer": c.pointer} for c in decision.boundary[:1]],
        "notes": list(decision.notes),
    }


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def data_traits(ctx: Context, analysis: RoleAnalysis) -> Iterator[Trait]:
    """One trait per statement that grants reading a kind in full (conditional grants apart
    from unconditional ones), naming every kind the statement opens."""
    role = analysis.policies
    groups: dict[tuple[str, str, bool], list[DataAccess]] = {}
    for access in analysis.data:
        first = access.decision.grants[0]
        key = (first.source.resource, first.pointer, access.conditional)
        groups.setdefault(key, []).append(access)
    for (resource, pointer, conditional), kinds in groups.items():
        notes = list(dict.fromkeys(n for a in kinds for n in a.decision.notes))
        suffix = ""
        if conditional:
            suffix = " [conditional: " + "; ".join(notes or ["a condition applies"]) + "]"
        elif notes:
            suffix = " [" + "; ".join(notes) + "]"
        gains = _join([a.kind.gains for a in kinds])
        actions = ", ".join(a.action for a in kinds)
        yield ctx.trait(
            DATA_ACCESS.id, pointer,
            f"task role {role.name} can read {gains} through {actions} "
            f"({kinds[0].decision.grants[0].describe()}){suffix}",
            resource=resource,
            impact=max(a.kind.impact for a in kinds),
            extra=(("role", role.arn), ("kinds", [a.kind.id for a in kinds]),
                   ("actions", [a.action for a in kinds]), ("reaches", gains),
                   ("conditional", conditional), ("access", [_kind_facts(a) for a in kinds])),
        )
