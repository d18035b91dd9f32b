"""One Terraform resource instance, and the small value helpers every Terraform translator
uses (:mod:`.tf_translate` for ECS and EC2, :mod:`.tf_iam_elb` for IAM and ELBv2, :mod:`.hcl`
builds the resources of ``.tf`` files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from ecs_exposure.analysis.unknown import describe, is_unknown


@dataclass
class TfResource:
    """One managed resource instance with its values and where each value was written."""

    address: str
    type: str
    values: dict[str, Any]
    anchor: str
    where: dict[tuple[int, Any], str] = field(default_factory=dict)

    def origin(self, container: Any, key: Any) -> str | None:
        return self.where.get((id(container), key))


def camel(name: str) -> str:
    """``network_mode`` → ``networkMode``: provider attribute to API member name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def single_block(value: Any) -> dict[str, Any]:
    """Nested single blocks are one-element lists in Terraform's JSON."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def known(value: Any) -> bool:
    """Set, and known before apply."""
    return value is not None and value != "" and not is_unknown(value)


def decode_json(value: Any) -> Any:
    """Policy attributes are JSON strings in plans; HCL ``jsonencode`` gives objects."""
    if isinstance(value, str) and not is_unknown(value):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def readable_containers(raw: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The container definitions of ``container_definitions`` (a JSON string in plans and
    states and from heredocs, a list from ``jsonencode``), and why any cannot be read."""
    if isinstance(raw, str) and not is_unknown(raw):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return [], [f"container_definitions is not valid JSON ({exc})"]
    if is_unknown(raw):
        return [], [f"container definitions unknown: {describe(raw)}"]
    if not isinstance(raw, list):
        return [], ["container_definitions is not a list of containers" if raw is not None
                    else "no container_definitions"]
    unreadable = [describe(c) for c in raw if not isinstance(c, dict)]
    problems = [f"{len(unreadable)} of {len(raw)} container definitions unknown: "
                f"{', '.join(unreadable)}"] if unreadable else []
    return [c for c in raw if isinstance(c, dict)], problems
