"""IAM of the synthetic estate: ``aws iam get-account-authorization-details`` output.

Task roles carry an inline least-privilege policy and one or two shared customer-managed
policies; the planted shares get ``AdministratorAccess`` or an ``s3:*`` statement. Execution
roles are shared (the account-wide ``ecsTaskExecutionRole`` and one per team), and a third as
many unrelated roles (Lambda functions) fill the file as they do in real accounts. Policy
documents are objects, as the AWS CLI prints them (it decodes the API's URL-encoded JSON).
"""

from __future__ import annotations

from bench.common import ACCOUNT, Json, Source
from bench.gen_taskdefs import Family

AWS_POLICIES: dict[str, list[Json]] = {
    "AdministratorAccess": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "AmazonECSTaskExecutionRolePolicy": [{"Effect": "Allow", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream",
        "logs:PutLogEvents"], "Resource": "*"}],
}
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}


def _document(statements: list[Json]) -> Json:
    return {"Version": "2012-10-17", "Statement": statements}


def _policy(src: Source, name: str, arn: str, statements: list[Json], attachments: int) -> Json:
    return {
        "PolicyName": name, "PolicyId": "ANPA" + src.hex(17).upper(), "Arn": arn, "Path": "/",
        "DefaultVersionId": "v3", "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
        "CreateDate": src.timestamp(), "UpdateDate": src.timestamp(200),
        "PolicyVersionList": [
            {"Document": _document(statements), "VersionId": "v3", "IsDefaultVersion": True,
             "CreateDate": src.timestamp(200)},
            {"Document": _document(statements[:1]), "VersionId": "v2",
             "IsDefaultVersion": False, "CreateDate": src.timestamp()},
        ],
    }


def _role(src: Source, name: str, inline: list[tuple[str, list[Json]]],
          attached: list[tuple[str, str]], trust: Json) -> Json:
    return {
        "Path": "/", "RoleName": name, "RoleId": "AROA" + src.hex(17).upper(),
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "CreateDate": src.timestamp(),
        "AssumeRolePolicyDocument": trust, "InstanceProfileList": [],
        "RolePolicyList": [
            {"PolicyName": p, "PolicyDocument": _document(s)} for p, s in inline],
        "AttachedManagedPolicies": [{"PolicyName": n, "PolicyArn": a} for n, a in attached],
        "Tags": [], "RoleLastUsed": {"LastUsedDate": src.timestamp(10), "Region": "us-east-1"},
    }


def build_iam(src: Source, families: list[Family], teams: int) -> Json:
    """The whole authorization-details document for the estate's families."""
    policies: list[Json] = []
    aws_arns = {name: f"arn:aws:iam::aws:policy/{name}" for name in AWS_POLICIES}
    if any("admin-role" in f.planted for f in families):
        policies.append(_policy(src, "AdministratorAccess", aws_arns["AdministratorAccess"],
                                AWS_POLICIES["AdministratorAccess"], 1))
    exec_name = "AmazonECSTaskExecutionRolePolicy"
    policies.append(_policy(src, exec_name, f"arn:aws:iam::aws:policy/service-role/{exec_name}",
                            AWS_POLICIES[exec_name], teams + 1))
    shared: list[tuple[str, str]] = []
    for t in range(max(1, teams * 2)):
        name = f"team-{t // 2:02d}-{'read-config' if t % 2 == 0 else 'publish-metrics'}"
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        policies.append(_policy(src, name, arn, [
            {"Sid": "Config", "Effect": "Allow", "Action": ["ssm:GetParameter",
                                                            "ssm:GetParametersByPath"],
             "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/team-{t // 2:02d}/*"},
            {"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
             "Resource": "*"}], 10))
        shared.append((name, arn))
    exec_attached = [(exec_name, f"arn:aws:iam::aws:policy/service-role/{exec_name}")]
    roles = [_role(src, "ecsTaskExecutionRole", [], exec_attached, TRUST)]
    roles += [_role(src, f"team-{t:02d}-execution", [("read-secrets", [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:team-{t:02d}/*"}])],
        exec_attached, TRUST) for t in range(teams)]
    for family in families:
        if not family.task_role:
            continue
        inline: list[tuple[str, list[Json]]] = [("app-data", [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": f"arn:aws:s3:::{family.name}-data/*"},
            {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
             "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{family.name}-jobs"}])]
        attached = [shared[(family.team * 2 + i) % len(shared)]
                    for i in range(src.rng.randrange(1, 3))]
        if "admin-role" in family.planted:
            attached.append(("AdministratorAccess", aws_arns["AdministratorAccess"]))
        if "service-admin-role" in family.planted:
            inline.append(("bucket-admin", [{"Effect": "Allow", "Action": "s3:*",
                                             "Resource": "*"}]))
        roles.append(_role(src, family.task_role, inline, attached, TRUST))
    lambda_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    for index in range(len(families) // 3):
        roles.append(_role(src, f"lambda-{index:05d}", [("logs", [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "*"}])], [], lambda_trust))
    return {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles,
            "Policies": policies}
