"""Privilege-escalation and impact paths of a task role (``privilege-escalation-path``).

An administrative policy is the obvious danger; most real damage comes from narrower
permissions that chain to admin. Every pattern in :mod:`ecs_exposure.analysis.iam.patterns` is
matched against the task role's effective permissions (inline, customer-managed and
AWS-managed policies, Deny statements, the permissions boundary, conditions), and each one
the role can carry out becomes a trait naming the pattern and the statements behind every
step.

Example: role ``deployer-task`` with ``iam:PassRole`` on ``role/*`` and
``lambda:CreateFunction`` + ``lambda:InvokeFunction`` fires ``privilege-escalation-path``
(pattern ``pass-role-lambda``): "iam:PassRole + lambda:CreateFunction +
lambda:InvokeFunction → any role that trusts lambda.amazonaws.com → administrator access".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecs_exposure.analysis.iam.analysis import RoleAnalysis
from ecs_exposure.analysis.iam.paths import EscalationPath, StepResult
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.registry import Context, TraitSpec
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.model import Trait

OUTCOME_PHRASES = {
    "admin": "an IAM privilege-escalation path",
    "lateral": "IAM access into other workloads",
    "audit": "IAM rights to disable audit trails",
}
"""Title phrase of a ``privilege-escalation-path`` trait by what the path ends in (its
``outcome`` fact); a path to admin is the spec's own title phrase."""

ESCALATION = TraitSpec(
    "privilege-escalation-path", "Privilege-escalation path", "impact", False,
    "The task role can raise its own privileges or reach what it was not given: write or "
    "attach its own policies, pass a role to new compute, swap the role of existing compute, "
    "rewrite a trust policy, mint user credentials, assume a stronger role, tamper with "
    "audit trails, or ECS Exec into other tasks (reading data is sensitive-data-access).",
    ("Security Hub: ECS service exposure impact traits (IAM privilege escalation)",
     "Rhino Security Labs: AWS IAM privilege escalation methods"),
    weight="high",
    title_phrase=OUTCOME_PHRASES["admin"],
    ocsf_impact="Privilege Escalation",
    needs=("iam",),
    guidance=Guidance(
        why=(
            "The task role can grant itself more power, for example by attaching "
            "policies to itself, rewriting a trust policy, creating keys for other "
            "users or passing a stronger role to new compute, so a compromised "
            "container can climb to control of the account; the same trait marks "
            "roles that can switch off audit trails or open a shell in other tasks."
        ),
        change=(
            "Remove the statement that enables the path (`iam:Put*Policy`, "
            "`iam:Attach*Policy`, `iam:CreatePolicyVersion`, "
            "`iam:UpdateAssumeRolePolicy`, `iam:CreateAccessKey`, `sts:AssumeRole` on "
            "`*`), limit `iam:PassRole` to named role ARNs with an "
            "`iam:PassedToService` condition, and scope audit and exec actions "
            "(`cloudtrail:*`, `lambda:UpdateFunctionCode`, `ecs:ExecuteCommand`) to the "
            "resources the service owns."
        ),
        contain=(
            "Attach a permissions boundary to the task role, require the same "
            "boundary on any role it creates with the `iam:PermissionsBoundary` "
            "condition, and deny IAM changes outside the deployment pipeline with an "
            "SCP."
        ),
        references=(
            ref.SH_ECS_EXPOSURE,
            ref.IAM_PASSROLE,
            ref.IAM_BOUNDARIES,
            ref.IAM_BEST_PRACTICES,
        ),
    ),
)


def _step_facts(result: StepResult) -> dict[str, Any]:
    decision = result.decision
    return {
        "action": result.action,
        "target": result.target,
        "conditional": decision.conditional,
        "statements": [{"policy": c.source.label, "resource": c.source.resource,
                        "pointer": c.pointer} for c in decision.grants[:3]],
        "boundary": [{"policy": c.source.label, "resource": c.source.resource,
                      "pointer": c.pointer} for c in decision.boundary[:1]],
        "notes": list(decision.notes),
    }


def describe(path: EscalationPath) -> str:
    """``iam:PassRole (inline policy deploy /Statement/0) + … → … → administrator access``."""
    steps = " + ".join(f"{s.action} ({s.decision.grants[0].describe()})" for s in path.steps)
    return f"{steps} → {path.reaches}"


def escalation_traits(ctx: Context, analysis: RoleAnalysis) -> Iterator[Trait]:
    """One trait per pattern the task role can carry out."""
    role = analysis.policies
    for path in analysis.paths:
        first = path.steps[0].decision.grants[0]
        condition = ""
        if path.conditional:
            condition = " [conditional: " + "; ".join(path.notes or ("a condition applies",)) \
                + "]"
        elif path.notes:
            condition = " [" + "; ".join(path.notes) + "]"
        yield ctx.trait(
            ESCALATION.id, first.pointer,
            f"task role {role.name}: {path.pattern.title} — {describe(path)}{condition}",
            resource=first.source.resource,
            impact=path.impact,
            extra=(("role", role.arn), ("pattern", path.pattern.id),
                   ("pattern_title", path.pattern.title),
                   ("family", path.pattern.family), ("outcome", path.pattern.outcome),
                   ("actions", path.actions), ("reaches", path.reaches),
                   ("conditional", path.conditional), ("reference", path.pattern.reference),
                   ("steps", [_step_facts(s) for s in path.steps])),
        )
