"""Effective permissions: wildcards, the action catalog, Allow/Deny, boundaries, conditions."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.analysis.iam.analysis import analyse_role
from ecs_exposure.analysis.iam.catalog import load
from ecs_exposure.analysis.iam.conditions import Truth, evaluate
from ecs_exposure.analysis.iam.document import (
    ActionMatcher,
    action_matcher,
    glob_match,
    parse_statements,
)
from ecs_exposure.analysis.iam.evaluate import ANY, SOME, Target, covers_any
from ecs_exposure.analysis.iam.managed import aws_managed_name, bundle_date, bundled, bundled_names
from ecs_exposure.analysis.iam.patterns import PATTERNS
from ecs_exposure.analysis.iam.principal import role_policies
from ecs_exposure.settings import ScanMemo
from support.builders import ACCOUNT, REGION
from support.iam_helpers import (
    ROLE_ARN,
    allow,
    analyse,
    arn,
    deny,
    doc,
    evaluator,
    inventory,
    policy,
    role,
)

# ---- wildcards ---------------------------------------------------------------------------


@pytest.mark.parametrize("pattern,value,hit", [
    ("iam:Put*Policy", "iam:PutRolePolicy", True),
    ("iam:Put*Policy", "iam:PutRolePermissionsBoundary", False),
    ("iam:?ass*", "iam:PassRole", True),
    ("arn:aws:iam::1:role/app-*", "arn:aws:iam::1:role/app-task", True),
    ("arn:aws:iam::1:role/app-*", "arn:aws:iam::1:role/App-task", False),
    ("arn:aws:iam::1:role/${*}", "arn:aws:iam::1:role/*", True),
    ("arn:aws:iam::1:role/${*}", "arn:aws:iam::1:role/x", False),
    ("arn:aws:iam::1:role/${aws:username}", "arn:aws:iam::1:role/x", True),
    ("a*b*c", "axxbyyc", True),
    ("a*b*c", "axxbyy", False),
])
def test_glob_match(pattern: str, value: str, hit: bool) -> None:
    assert glob_match(pattern, value) is hit


def test_actions_match_case_insensitively_resources_do_not() -> None:
    assert glob_match("IAM:passrole", "iam:PassRole", ignore_case=True)
    assert not glob_match("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x")


def test_hostile_wildcard_patterns_do_not_backtrack_forever() -> None:
    assert not glob_match("*a" * 200 + "b", "a" * 5000)


ACTION_LISTS = [
    ("iam:PassRole",), ("IAM:passrole",), ("iam:Pass*",), ("iam:?assRole",), ("iam:P?ss*le",),
    ("*",), ("*:*",), ("iam:*",), ("s3:Get*", "iam:PassRole"), ("iam:${*}",),
    ("iam:${aws:username}",), ("iam:Pass${",), ("iam:PassRole?",), ("",), ("i*m:pa*",),
    ("iam:passrole", "iam:PASSROLE", "lambda:Create*"),
]
QUESTIONS = ["iam:PassRole", "iam:passrole", "IAM:PASSROLE", "iam:PassRoles", "iam:*",
             "iam:PutRolePolicy", "s3:GetObject", "lambda:CreateFunction", "", "iam:Pass${"]


def plain_matches(patterns: tuple[str, ...], action: str) -> bool:
    return any(glob_match(p, action, ignore_case=True) for p in patterns)


@pytest.mark.parametrize("patterns", ACTION_LISTS)
def test_compiled_action_matcher_answers_as_glob_match(patterns: tuple[str, ...]) -> None:
    matcher = ActionMatcher(patterns)
    for _ in range(2):  # the second round reads the remembered answers
        for action in QUESTIONS:
            assert matcher.matches(action) is plain_matches(patterns, action), action
    universe = frozenset(QUESTIONS)
    assert matcher.matching(universe) == {a for a in QUESTIONS if plain_matches(patterns, a)}
    assert action_matcher(patterns) is action_matcher(tuple(patterns))


@pytest.mark.parametrize("negated", [False, True])
def test_statement_action_matching_keeps_not_action(negated: bool) -> None:
    key = "NotAction" if negated else "Action"
    for patterns in ACTION_LISTS:
        raw = {"Effect": "Allow", key: list(patterns), "Resource": "*"}
        (statement,) = parse_statements(doc(raw))
        universe = frozenset(QUESTIONS)
        for action in QUESTIONS:
            expected = plain_matches(patterns, action) != negated
            assert statement.matches_action(action) is expected, (patterns, action)
        assert statement.matching_actions(universe) == {
            a for a in QUESTIONS if statement.matches_action(a)}


def test_remembered_decisions_equal_fresh_ones() -> None:
    statements = (allow(["iam:Pass*", "lambda:*"], Condition={
                      "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
                  {"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"], "Resource": "*"},
                  deny("S3:get?bject", "arn:aws:s3:::secret/*"),
                  allow("iam:passrole", "arn:aws:iam::*:role/app-*"))
    targets = [ANY, SOME, Target.of(ROLE_ARN), Target.of(arn("role", "app-x")),
               Target.of("arn:aws:s3:::secret/a")]
    contexts: list[dict[str, tuple[str, ...]] | None] = [
        None, {"iam:passedtoservice": ("lambda.amazonaws.com",)},
        {"iam:passedtoservice": ("ec2.amazonaws.com",)}]
    cached = evaluator(*statements)
    actions = ["iam:PassRole", "lambda:CreateFunction", "s3:GetObject", "s3:DeleteObject",
               "ec2:RunInstances"]
    allowable = cached.allowable(frozenset(actions))
    assert allowable == {a for a in actions if any(
        c.statement.effect == "Allow" and c.statement.matches_action(a) for c in cached.identity)}
    assert allowable != set(actions)
    assert not any(cached.decide(a, t, c).allowed for a in set(actions) - allowable
                   for t in targets for c in contexts)
    for _ in range(2):
        for action in actions:
            for target in targets:
                for context in contexts:
                    fresh = evaluator(*statements).decide(action, target, context)
                    assert cached.decide(action, target, context) == fresh


# ---- the catalog -------------------------------------------------------------------------

def test_wildcard_expansion_uses_the_catalog() -> None:
    catalog = load()
    assert catalog.expand("iam:Put*Policy") == {
        "iam:putgrouppolicy", "iam:putrolepolicy", "iam:putuserpolicy"}
    reads = catalog.expand("s3:Get*")
    assert "s3:getobject" in reads and all(a.startswith("s3:get") for a in reads)
    assert catalog.expand("*") == catalog.expand("*:*")
    assert len(catalog.expand("*")) == len(catalog) > 10_000
    everything_but_iam = catalog.expand_all(["iam:*"], negated=True)
    assert "iam:passrole" not in everything_but_iam and "s3:getobject" in everything_but_iam
    assert catalog.expand("nonsense") == frozenset()


def test_access_levels_come_from_the_catalog() -> None:
    catalog = load()
    levels = {a: catalog.get(a).access_level for a in (  # type: ignore[union-attr]
        "iam:PassRole", "iam:PutRolePolicy", "s3:GetObject", "s3:ListBucket", "ec2:CreateTags")}
    assert levels == {"iam:PassRole": "Write", "iam:PutRolePolicy": "Permissions management",
                      "s3:GetObject": "Read", "s3:ListBucket": "List",
                      "ec2:CreateTags": "Tagging"}
    assert catalog.version and catalog.updated[:2] == "20"


def test_every_pattern_action_exists_and_every_pattern_has_a_reference() -> None:
    catalog = load()
    assert len({p.id for p in PATTERNS}) == len(PATTERNS)
    for pattern in PATTERNS:
        assert pattern.reference.startswith("https://"), pattern.id
        for step in pattern.steps:
            for action in step.actions:
                assert catalog.get(action) is not None, (pattern.id, action)


@pytest.mark.parametrize("pattern,action,covered", [
    ("*", "s3:GetObject", True),
    ("arn:aws:s3:::*", "s3:GetObject", True),
    ("arn:aws:s3:::*/*", "s3:GetObject", True),
    ("arn:aws:s3:::reports/*", "s3:GetObject", False),
    (f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*", "secretsmanager:GetSecretValue",
     True),
    ("arn:aws:secretsmanager:*:999999999999:secret:*", "secretsmanager:GetSecretValue", False),
    (f"arn:aws:iam::{ACCOUNT}:role/*", "iam:PassRole", True),
    (f"arn:aws:iam::{ACCOUNT}:role/service-role/*", "iam:PassRole", False),
    ("arn:aws:iam::*:user/*", "iam:CreateAccessKey", True),
    ("arn:aws:iam::*:role/*", "iam:CreateAccessKey", False),
    ("arn:*", "iam:PassRole", True),
    ("arn:aws:ec2:*:*:instance/*", "sts:GetCallerIdentity", False),
])
def test_covers_any_resource_of_the_type(pattern: str, action: str, covered: bool) -> None:
    assert covers_any(pattern, action, ACCOUNT, "aws") is covered


# ---- decisions ---------------------------------------------------------------------------

def test_allow_deny_and_not_resource() -> None:
    ev = evaluator(allow("s3:*"), deny("s3:DeleteBucket"),
                   {"Effect": "Allow", "Action": "sqs:*", "NotResource": "arn:aws:sqs:*:*:prod-*"})
    assert ev.decide("s3:GetObject", ANY).allowed
    denied = ev.decide("s3:DeleteBucket", SOME)
    assert not denied.allowed and denied.denied_by[0].pointer.endswith("/Statement/1")
    assert ev.decide("sqs:SendMessage", Target.of("arn:aws:sqs:us-east-1:1:dev-q")).allowed
    assert not ev.decide("sqs:SendMessage", Target.of("arn:aws:sqs:us-east-1:1:prod-q")).allowed
    broad = ev.decide("sqs:SendMessage", ANY)  # everything but prod-* is still broad
    assert broad.allowed and broad.notes == (
        "except arn:aws:sqs:*:*:prod-* (NotResource of inline policy inline /Statement/2)",)
    only_prod = evaluator({"Effect": "Allow", "Action": "sqs:*", "NotResource": "*"})
    assert not only_prod.decide("sqs:SendMessage", SOME).allowed


def test_customer_managed_policy_statements_are_cited_in_the_policy() -> None:
    managed = arn("policy", "app")
    ev = evaluator(attached=(managed,), policies=(policy("app", doc(allow("kms:Decrypt"))),))
    grant = ev.decide("kms:Decrypt", ANY).grants[0]
    assert (grant.source.resource, grant.pointer) == (managed,
                                                      "/PolicyVersionList/0/Document/Statement/0")


def test_boundary_caps_the_identity_policies() -> None:
    boundary = arn("policy", "boundary")
    ev = evaluator(allow(["iam:PassRole", "lambda:*"]), boundary=boundary,
                   policies=(policy("boundary", doc(allow("lambda:*"))),))
    assert ev.decide("lambda:CreateFunction", SOME).allowed
    blocked = ev.decide("iam:PassRole", ANY)
    assert not blocked.allowed and "permissions boundary boundary" in blocked.notes[0]


def test_boundary_deny_wins() -> None:
    boundary = arn("policy", "boundary")
    ev = evaluator(allow("*"), boundary=boundary,
                   policies=(policy("boundary", doc(allow("*"), deny("iam:*"))),))
    assert not ev.decide("iam:PutRolePolicy", Target.of(ROLE_ARN)).allowed
    assert ev.decide("s3:GetObject", ANY).allowed


def test_aws_managed_boundary_from_the_bundle() -> None:
    ev = evaluator(allow("*"), boundary="arn:aws:iam::aws:policy/PowerUserAccess")
    assert not ev.decide("iam:PutRolePolicy", Target.of(ROLE_ARN)).allowed
    assert ev.decide("lambda:CreateFunction", SOME).allowed


def test_unknown_boundary_document_is_not_applied_but_reported() -> None:
    analysis = analyse(allow("iam:PutRolePolicy", ROLE_ARN), boundary=arn("policy", "gone"))
    assert analysis.policies.unknown == (arn("policy", "gone"),)
    assert [p.pattern.id for p in analysis.paths] == ["put-own-role-policy"]


def test_conditional_allow_is_reported_with_its_condition() -> None:
    ev = evaluator(allow("s3:GetObject", Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}))
    decision = ev.decide("s3:GetObject", ANY)
    assert decision.allowed and decision.conditional
    assert "StringEquals aws:SourceVpc" in decision.notes[0]
    assert "vpc-1" not in decision.notes[0]


def test_unconditional_grant_is_preferred_over_a_conditional_one() -> None:
    ev = evaluator(allow("s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "true"}}),
                   allow("s3:GetObject"))
    decision = ev.decide("s3:GetObject", ANY)
    assert not decision.conditional
    assert decision.grants[0].pointer.endswith("/Statement/1")


# ---- conditions --------------------------------------------------------------------------

LAMBDA = {"iam:passedtoservice": ("lambda.amazonaws.com",)}


@pytest.mark.parametrize("condition,truth", [
    ({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}, Truth.TRUE),
    ({"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com"]}}, Truth.FALSE),
    ({"StringLike": {"iam:PassedToService": "lambda.*"}}, Truth.TRUE),
    ({"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}, Truth.FALSE),
    ({"StringEqualsIgnoreCase": {"IAM:PassedToService": "LAMBDA.amazonaws.com"}}, Truth.TRUE),
    ({"ForAnyValue:StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
     Truth.TRUE),
    ({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com",
                       "aws:SourceVpc": "vpc-1"}}, Truth.UNKNOWN),
    ({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"},
      "Bool": {"aws:SecureTransport": "true"}}, Truth.FALSE),
    ({"ArnLike": {"iam:PassedToService": "lambda*"}}, Truth.UNKNOWN),
    ({"StringEquals": "garbage"}, Truth.UNKNOWN),
    (None, Truth.TRUE),
])
def test_condition_evaluation(condition: Any, truth: Truth) -> None:
    assert evaluate(condition, LAMBDA) is truth


# ---- documents and the bundle ------------------------------------------------------------

def test_malformed_statements_are_skipped() -> None:
    parsed = parse_statements({"Statement": [
        1, {"Effect": "Allow"}, {"Effect": "Maybe", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*"}, {"Effect": "Allow", "Action": 5, "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", 7], "Resource": "*"}]})
    assert [s.actions for s in parsed] == [("s3:GetObject",)]


def test_bundled_aws_managed_policies() -> None:
    names = set(bundled_names())
    assert {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess",
            "AmazonECSTaskExecutionRolePolicy", "AmazonS3FullAccess",
            "AWSLambda_FullAccess", "AmazonECS_FullAccess"} <= names
    assert bundle_date().startswith("20")
    for name in names:
        copy = bundled(f"arn:aws:iam::aws:policy/{name}")
        assert copy is not None and copy.version.startswith("v")
        assert parse_statements(copy.document), name
    task_execution = "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    assert bundled(task_execution) is not None
    assert bundled(f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess") is None
    assert aws_managed_name("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess") == \
        "ViewOnlyAccess"


# ---- effective access --------------------------------------------------------------------

def test_effective_access_by_level() -> None:
    access = analyse(allow("s3:Get*", "arn:aws:s3:::reports/*"), allow("iam:PassRole", ROLE_ARN),
                     deny("s3:GetObjectAcl")).access
    catalog = load()
    reads = {a for a in catalog.expand("s3:Get*")} - {"s3:getobjectacl"}
    expected_read = sum(1 for a in reads if catalog.get(a).access_level == "Read")  # type: ignore[union-attr]
    assert access.certain["Read"] == expected_read
    assert access.certain["Write"] == 1  # iam:PassRole
    assert "Permissions management" not in access.certain
    assert access.writes
    assert "1 Write" in access.describe()


def test_effective_access_of_an_administrator_and_under_a_boundary() -> None:
    admin = analyse(attached=("arn:aws:iam::aws:policy/AdministratorAccess",)).access
    assert admin.describe().startswith("allows every action in the catalog")
    bounded = analyse(allow("*"), boundary=arn("policy", "b"),
                      policies=(policy("b", doc(allow("sqs:SendMessage"))),)).access
    assert bounded.certain == {"Write": 1}
    conditional = analyse(allow("sqs:SendMessage", Condition={"Bool": {"x": "y"}})).access
    assert conditional.certain == {} and sum(conditional.conditional.values()) == 1
    assert "only under a Condition" in conditional.describe()


def test_a_managed_policy_shared_by_roles_is_judged_as_if_parsed_per_role() -> None:
    managed = arn("policy", "team")
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    team = policy("team", doc(allow(["iam:PassRole", "lambda:*"]), allow("s3:*"),
                              deny("lambda:Invoke*", Condition=mfa), deny("s3:DeleteBucket")))
    first = role("first", allow("s3:GetObject"), attached=(managed,))
    second = role("second", allow("sqs:*"), attached=(managed,))
    shared = inventory(first, second, policies=(team,))
    memo = ScanMemo()                                  # one scan of the shared inventory
    for me in (first, second, first):
        cached = analyse_role(shared, me, memo)
        assert cached.paths and cached.grants
        fresh = analyse_role(inventory(me, policies=(team,)), me, ScanMemo())
        assert cached.grants == fresh.grants and cached.access == fresh.access
        assert [(p.pattern.id, p.steps, p.reaches) for p in cached.paths] == [
            (p.pattern.id, p.steps, p.reaches) for p in fresh.paths]
    one, two = (role_policies(shared, r, memo) for r in (first, second))
    assert one.identity[1] is two.identity[1]  # parsed once, shared
