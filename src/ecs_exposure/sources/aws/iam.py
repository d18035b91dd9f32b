"""IAM: the task and execution roles of the collected task definitions, with every policy
document that applies to them, in the ``get-account-authorization-details`` shape.

Reading only the roles in use (rather than the whole account's authorization details) keeps
the data and the permissions to what the detectors need. Calls per account (R roles, P_r
inline policies of role r, M distinct managed policies attached to them):

  GetRole R · ListRolePolicies R · GetRolePolicy Σ P_r · ListAttachedRolePolicies R
  GetPolicy M · GetPolicyVersion M

An answer that does not hold what was asked (another role, no policy document) is an error
naming it, like a failed call; a role or managed policy that could not be read is listed as
incomplete under its own ARN, which the assessment reads as "permissions unknown" (never as
"no permissions").
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


def _holds(what: str, found: object, key: str) -> str:
    """Why an answer does not account for the asked-for role or policy."""
    if not isinstance(found, dict):
        return f"the answer holds no {what}"
    return f"the answer holds another {what} ({str(found.get(key))[:200]!r})"


def _role(api: Api, arn: str) -> Json | None:
    """One role with its inline policies and attached policy list; ``None`` if it does not
    exist (the task definition names a deleted role) or could not be read."""
    label = [role_dep(arn)]
    name = role_name(arn)
    try:
        response = api.call("iam", "GetRole", depends=label, quiet=("NoSuchEntity",),
                            scopes=[(arn, "the IAM role")], RoleName=name)
    except ClientError:
        return None
    if response is None:
        return None
    found = response.get("Role")
    if not isinstance(found, dict) or found.get("RoleName") != name:
        api.unaccounted_for("iam", "GetRole", {arn: _holds("role", found, "RoleName")},
                            depends=lambda _: label, what="the IAM role")
        return None
    role: Json = dict(found)
    inline: list[Json] = []
    for policy in api.pages("iam", "ListRolePolicies", "PolicyNames", depends=label,
                            RoleName=name) or []:
        document = api.call("iam", "GetRolePolicy", depends=label, RoleName=name,
                            PolicyName=policy)
        if document is None:
            continue
        if document.get("PolicyName") != policy or "PolicyDocument" not in document:
            # The role's permissions are then unknown: it stays in the data with the policy's
            # document missing (which the assessment reads as unknown, never as no grant).
            api.unaccounted_for("iam", "GetRolePolicy", {
                f"{name}/{policy}": "the answer holds no document of that policy"},
                depends=lambda _: label)
        inline.append({"PolicyName": policy, "PolicyDocument": document.get("PolicyDocument")
                       if document.get("PolicyName") == policy else None})
    attached = api.pages("iam", "ListAttachedRolePolicies", "AttachedPolicies", depends=label,
                         RoleName=name) or []
    role["RolePolicyList"] = inline
    role["AttachedManagedPolicies"] = attached
    return role


def _policy(api: Api, arn: str, roles: list[str]) -> Json | None:
    """A managed policy with its default version's document."""
    labels = [role_dep(r) for r in roles]
    scope = [(arn, "the managed policy")]
    response = api.call("iam", "GetPolicy", depends=labels, scopes=scope, PolicyArn=arn)
    if response is None:
        return None
    found = response.get("Policy")
    if not isinstance(found, dict) or found.get("Arn") != arn or \
            not isinstance(found.get("DefaultVersionId"), str):
        api.unaccounted_for("iam", "GetPolicy", {arn: _holds("policy", found, "Arn")},
                            depends=lambda _: labels, what="the managed policy")
        return None
    policy: Json = dict(found)
    version = api.call("iam", "GetPolicyVersion", depends=labels, scopes=scope, PolicyArn=arn,
                       VersionId=policy["DefaultVersionId"])
    if version is None:
        return None
    document = version.get("PolicyVersion")
    if not isinstance(document, dict) or "Document" not in document:
        api.unaccounted_for("iam", "GetPolicyVersion", {
            arn: f"the answer holds no document of version {policy['DefaultVersionId']}"},
            depends=lambda _: labels, what="the managed policy")
        return None
    policy["PolicyVersionList"] = [document]
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
