"""A bundled, dated copy of the AWS-managed policies recognised by ARN alone.

``get-account-authorization-details`` lists AWS-managed policies only when asked
(``--filter AWSManagedPolicy``), and task definitions reach roles whose policies the user did
not export; the most dangerous policies are exactly the well-known AWS-managed ones, so the
scanner carries their documents (``data/aws-managed-policies.json``: which version of each,
and when it was created, is recorded beside it). Documents in the inputs always win over this
copy, since they are what the account really has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from ecs_exposure.model import Json


@dataclass(frozen=True)
class ManagedPolicy:
    """One bundled AWS-managed policy."""

    name: str
    path: str
    version: str
    """Default version the copy was taken from (``v5``)."""
    version_created: str
    """Creation date of that version (ISO date)."""
    document: Json


def aws_managed_name(policy_arn: str) -> str | None:
    """Name of an AWS-managed policy (``arn:<partition>:iam::aws:policy/[path/]Name``)."""
    parts = policy_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam" and parts[4] == "aws" \
            and parts[5].startswith("policy/"):
        return parts[5].rsplit("/", 1)[-1]
    return None


@cache
def _bundle() -> tuple[str, dict[str, ManagedPolicy]]:
    raw: dict[str, Any] = json.loads(
        (files("ecs_exposure.analysis.iam") / "data" / "aws-managed-policies.json")
        .read_text("utf-8"))
    policies = {
        name: ManagedPolicy(name, str(entry["path"]), str(entry["version"]),
                            str(entry["version_created"]), entry["document"])
        for name, entry in raw["policies"].items()
    }
    return str(raw["as_of"]), policies


def bundle_date() -> str:
    """When the bundled copy was last checked against AWS's published documents."""
    return _bundle()[0]


def bundled_names() -> list[str]:
    """Names of every bundled policy."""
    return sorted(_bundle()[1])


def bundled(policy_arn: str) -> ManagedPolicy | None:
    """The bundled copy of an AWS-managed policy, by ARN in any partition."""
    name = aws_managed_name(policy_arn)
    return _bundle()[1].get(name) if name else None
