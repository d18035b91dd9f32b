"""A wide, shallow organization on the moto server: many accounts × regions, tiny estates.

The distributed collection is about the number of units, not the depth of each, so every
member account gets one cluster with one privileged service in one of the regions (the
others are empty but still collected), and every fourth account a task role with an inline
admin policy (so IAM units have work). The organization belongs to its own management
account, reached by assume-role from the server's default caller, so the shared two-account
estate of ``aws_estate.py`` and its organization stay exactly as their tests expect.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from support.aws_server import CREDENTIALS, MotoServer

MANAGEMENT = "210987654321"
"""The organization's management account (the caller of the distributed runs)."""
ORG_REGIONS = ("us-east-1", "eu-west-1", "us-west-2")
ORG_ROLE = "OrganizationAccountAccessRole"
"""The role each member account is entered through (moto grants it, as Organizations does)."""


@dataclass(frozen=True)
class Organization:
    """The seeded organization and the caller's credentials in its management account."""

    members: tuple[str, ...]
    credentials: dict[str, str]
    """Environment variables of the management account's caller."""

    @property
    def accounts(self) -> tuple[str, ...]:
        return (MANAGEMENT, *self.members)

    def service_arn(self, index: int) -> str:
        account = self.members[index]
        region = ORG_REGIONS[index % len(ORG_REGIONS)]
        return f"arn:aws:ecs:{region}:{account}:service/c{index}/web{index}"


def _policy(statement: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _seed_member(server: MotoServer, account: str, index: int) -> None:
    region = ORG_REGIONS[index % len(ORG_REGIONS)]
    creds = server.credentials_in(account)
    ecs = server.client("ecs", region, creds)
    ecs.create_cluster(clusterName=f"c{index}")
    task_role: dict[str, str] = {}
    if index % 4 == 0:
        iam = server.client("iam", region, creds)
        arn = iam.create_role(RoleName=f"task{index}", AssumeRolePolicyDocument=_policy({
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"}))["Role"]["Arn"]
        iam.put_role_policy(RoleName=f"task{index}", PolicyName="all", PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "*", "Resource": "*"}))
        task_role = {"taskRoleArn": arn}
    td = ecs.register_task_definition(
        family=f"web{index}", networkMode="bridge", requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "web", "image": "nginx:1.27", "memory": 128,
                               "privileged": True, "essential": True}],
        **task_role)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=f"c{index}", serviceName=f"web{index}", taskDefinition=td,
                       desiredCount=1, launchType="EC2")


def seed_organization(server: MotoServer, members: int = 20) -> Organization:
    """An organization of ``members`` member accounts in :data:`MANAGEMENT`."""
    assumed = server.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{MANAGEMENT}:role/{ORG_ROLE}",
        RoleSessionName="org-seed", DurationSeconds=43200)["Credentials"]
    creds = {"aws_access_key_id": assumed["AccessKeyId"],
             "aws_secret_access_key": assumed["SecretAccessKey"],
             "aws_session_token": assumed["SessionToken"]}
    org = server.client("organizations", credentials=creds)
    org.create_organization(FeatureSet="ALL")
    ids = tuple(str(org.create_account(AccountName=f"member{i}", Email=f"m{i}@example.com")
                    ["CreateAccountStatus"]["AccountId"]) for i in range(members))
    with ThreadPoolExecutor(max_workers=4) as pool:     # the server is threaded
        list(pool.map(lambda pair: _seed_member(server, pair[1], pair[0]), enumerate(ids)))
    env = {**CREDENTIALS, "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
           "AWS_SESSION_TOKEN": creds["aws_session_token"]}
    return Organization(ids, env)
