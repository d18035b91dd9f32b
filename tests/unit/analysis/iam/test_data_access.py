"""Data a role can read in full: one role per kind, and the near-misses that must not fire."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.analysis.iam.catalog import load
from ecs_exposure.analysis.iam.data_access import DATA_KINDS
from ecs_exposure.analysis.iam.patterns import ACTIONS as PATTERN_ACTIONS
from ecs_exposure.model import Level
from support import ROOT
from support.builders import ACCOUNT, REGION
from support.iam_helpers import ROLE_ARN, allow, analyse, arn, deny, doc, patterns, policy

# kind id → statements of a role that can read all of that kind (and nothing else)
CASES: dict[str, tuple[dict[str, Any], ...]] = {
    "secrets": (allow("secretsmanager:GetSecretValue",
                      f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*"),),
    "s3-objects": (allow("s3:GetObject", "arn:aws:s3:::*/*"),),
    "ssm-parameters": (allow("ssm:GetParametersByPath", f"arn:aws:ssm:*:{ACCOUNT}:parameter/*"),),
    "dynamodb-tables": (allow("dynamodb:Query", f"arn:aws:dynamodb:*:{ACCOUNT}:table/*"),),
    "kms-decrypt": (allow("kms:Decrypt"),),
}


def kinds(*statements: dict[str, Any], **role_fields: Any) -> dict[str, Any]:
    return {a.kind.id: a for a in analyse(*statements, **role_fields).data}


def test_every_kind_has_a_case() -> None:
    assert set(CASES) == {k.id for k in DATA_KINDS}


def test_every_action_is_in_the_catalog_and_none_is_an_escalation_step() -> None:
    catalog = load()
    for kind in DATA_KINDS:
        assert kind.reference.startswith("https://")
        for action in kind.actions:
            assert catalog.get(action) is not None, action
            assert action not in PATTERN_ACTIONS, action


@pytest.mark.parametrize("kind_id", sorted(CASES))
def test_each_kind_is_found_with_its_statement(kind_id: str) -> None:
    analysis = analyse(*CASES[kind_id])
    assert [a.kind.id for a in analysis.data] == [kind_id]
    access = analysis.data[0]
    assert not access.conditional
    assert access.action in access.kind.actions
    assert access.decision.grants[0].pointer == "/RolePolicyList/0/PolicyDocument/Statement/0"
    assert access.decision.grants[0].source.resource == ROLE_ARN
    assert patterns(analysis) == {}  # reading is not escalating


def test_secrets_are_high_every_other_kind_medium() -> None:
    impact = {k.id: k.impact for k in DATA_KINDS}
    assert impact.pop("secrets") is Level.HIGH
    assert set(impact.values()) == {Level.MEDIUM}


@pytest.mark.parametrize("action,kind_id", [
    ("s3:Get*", "s3-objects"), ("s3:*", "s3-objects"), ("ssm:GetParameter*", "ssm-parameters"),
    ("secretsmanager:*", "secrets"), ("dynamodb:*", "dynamodb-tables"),
    ("kms:ReEncrypt*", "kms-decrypt")])
def test_wildcard_actions_are_expanded(action: str, kind_id: str) -> None:
    assert set(kinds(allow(action))) == {kind_id}


def test_one_broad_statement_reaches_several_kinds() -> None:
    found = kinds(allow(["s3:GetObject", "ssm:GetParameter", "kms:Decrypt"]))
    assert list(found) == ["s3-objects", "ssm-parameters", "kms-decrypt"]


def test_a_bucket_wildcard_covers_every_object_too() -> None:
    """IAM's ``*`` spans ``/``: ``arn:aws:s3:::*`` matches every object ARN as well."""
    assert list(kinds(allow("s3:GetObject", "arn:aws:s3:::*"))) == ["s3-objects"]


def test_not_action_on_every_object_reads_every_object() -> None:
    found = kinds({"Effect": "Allow", "NotAction": ["s3:DeleteObject"],
                   "Resource": "arn:aws:s3:::*/*"})
    assert list(found) == ["s3-objects"]


def test_administrative_roles_have_no_separate_data_access() -> None:
    assert analyse(attached=("arn:aws:iam::aws:policy/AdministratorAccess",)).data == ()


# ---- near-misses ------------------------------------------------------------------------

@pytest.mark.parametrize("statement", [
    allow("s3:GetObject", "arn:aws:s3:::reports/*"),
    allow("s3:GetObject", "arn:aws:s3:::reports-*/*"),
    allow("s3:ListBucket"),
    allow("secretsmanager:GetSecretValue",
          f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/*"),
    allow("secretsmanager:DescribeSecret"),
    allow("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/*"),
    allow("ssm:DescribeParameters"),
    allow("dynamodb:Query", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"),
    allow("dynamodb:DescribeTable"),
    allow("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234"),
    allow("kms:Encrypt"),
])
def test_scoped_or_non_read_grants_are_no_data_access(statement: dict[str, Any]) -> None:
    assert kinds(statement) == {}


def test_deny_overrides_the_allow() -> None:
    assert kinds(allow("s3:GetObject"), deny("s3:*")) == {}


def test_deny_not_action_denies_every_other_read() -> None:
    found = kinds(allow(["s3:GetObject", "kms:Decrypt"]),
                  {"Effect": "Deny", "NotAction": ["kms:Decrypt"], "Resource": "*"})
    assert list(found) == ["kms-decrypt"]


def test_partial_deny_keeps_the_grant_and_says_what_is_excluded() -> None:
    found = kinds(allow("secretsmanager:GetSecretValue"), deny(
        "secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:prod/*"))
    assert any("except the resources denied" in n for n in found["secrets"].decision.notes)


def test_unknown_condition_makes_it_conditional_not_dropped() -> None:
    found = kinds(allow("s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert found["s3-objects"].conditional


def test_unconditional_action_wins_over_a_conditional_one() -> None:
    found = kinds(allow("s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
                  allow("s3:GetObjectVersion"))
    access = found["s3-objects"]
    assert (access.action, access.conditional) == ("s3:GetObjectVersion", False)


def test_a_boundary_without_the_read_blocks_it() -> None:
    boundary = arn("policy", "boundary")
    found = kinds(allow(["s3:GetObject", "kms:Decrypt"]), boundary=boundary,
                  policies=(policy("boundary", doc(allow("kms:Decrypt"))),))
    assert list(found) == ["kms-decrypt"]
    assert found["kms-decrypt"].decision.boundary[0].source.label == \
        "permissions boundary boundary"


def test_denied_iam_writes_give_neither_a_path_nor_data_access() -> None:
    """Issue 15, bug 4: ``iam:PutRolePolicy``/``iam:AttachRolePolicy`` under an explicit
    ``Deny iam:*`` are no escalation, and must not come back under another label."""
    analysis = analyse(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], ROLE_ARN),
                       deny("iam:*"))
    assert analysis.paths == ()
    assert analysis.data == ()


def test_readme_lists_every_kind_with_its_impact_and_reference() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for kind in DATA_KINDS:
        row = next((line for line in readme.splitlines()
                    if line.startswith(f"| `{kind.id}` |")), None)
        assert row is not None, kind.id
        assert all(f"{a.split(':')[1]}`" in row for a in kind.actions), kind.id
        impact = row.split(" | ")[2]
        assert impact.startswith("high" if kind.impact is Level.HIGH else "medium"), kind.id
        label = row.rsplit("[", 1)[-1].split("]", 1)[0]
        assert f"[{label}]: {kind.reference}" in readme, kind.id
