"""IAM: the task and execution roles of the collected task definitions, with every policy
document that applies to them, in the ``get-account-authorization-details`` shape.

Reading only the roles in use (rather than the whole account's authorization details) keeps
the data and the permissions to what the detectors need. Calls per account (R roles, P_r
inline policies of role r, M distinct managed policies attached to them):

  GetRole R · ListRolePolicies R · GetRolePolicy Σ P_r · ListAttachedRolePolicies R
  GetPolicy M · GetPolicyVersion M
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.api import Api
from ecs_exposure.sources.aws.state import role_dep


def role_name(arn: str) -> str:
    """``arn:aws:iam::1:role/path/name`` → ``name`` (GetRole takes the name without path)."""
    parsed = parse_arn(arn)
    return (parsed.resource if parsed else arn).rsplit("/", 1)[-1]


def _role(api: Api, arn: str) -> Json | None:
    """One role with its inline policies and attached policy list; ``None`` if it does not
    exist (the task definition names a deleted role) or could not be read."""
    label = [role_dep(arn)]
    name = role_name(arn)
    try:
        response = api.call("iam", "GetRole", depends=label, quiet=("NoSuchEntity",),
                            RoleName=name)
    except ClientError:
        return None
    if response is None:
        return None
    role: Json = dict(response.get("Role", {}))
    inline: list[Json] = []
    for policy in api.pages("iam", "ListRolePolicies", "PolicyNames", depends=label,
                            RoleName=name) or []:
        document = api.call("iam", "GetRolePolicy", depends=label, RoleName=name,
                            PolicyName=policy)
        if document is not None:
            inline.append({"PolicyName": document.get("PolicyName"),
                           "PolicyDocument": document.get("PolicyDocument")})
    attached = api.pages("iam", "ListAttachedRolePolicies", "AttachedPolicies", depends=label,
                         RoleName=name) or []
    role["RolePolicyList"] = inline
    role["AttachedManagedPolicies"] = attached
    return role


def _policy(api: Api, arn: str, roles: list[str]) -> Json | None:
    """A managed policy with its default version's document."""
    labels = [role_dep(r) for r in roles]
    response = api.call("iam", "GetPolicy", depends=labels, PolicyArn=arn)
    if response is None:
        return None
    policy: Json = dict(response.get("Policy", {}))
    version = api.call("iam", "GetPolicyVersion", depends=labels, PolicyArn=arn,
                       VersionId=policy.get("DefaultVersionId"))
    if version is None:
        return None
    policy["PolicyVersionList"] = [version.get("PolicyVersion", {})]
    return policy


def collect_iam(api: Api, role_arns: list[str]) -> Json:
    """``{"RoleDetailList": [...], "Policies": [...]}`` for the roles in ``role_arns``."""
    api.status(f"IAM roles ({len(role_arns)})")
    roles = [r for r in api.map(lambda arn: _role(api, arn), role_arns) if r is not None]
    attached_by: dict[str, list[str]] = {}
    for role in roles:
        for attached in role["AttachedManagedPolicies"]:
            if isinstance(attached, dict) and isinstance(attached.get("PolicyArn"), str):
                attached_by.setdefault(attached["PolicyArn"], []).append(str(role.get("Arn")))
    arns = sorted(attached_by)
    policies = [p for p in api.map(lambda arn: _policy(api, arn, attached_by[arn]), arns)
                if p is not None]
    return {"RoleDetailList": roles, "Policies": policies}
