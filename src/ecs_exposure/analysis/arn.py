"""ARN helpers: account, region and names are read from ARNs so findings carry them even when
an input omits them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arn:
    """The parts of an ARN that findings need."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: object) -> Arn | None:
    """Parse ``arn:partition:service:region:account:resource``; ``None`` if it is not an ARN."""
    if not isinstance(text, str) or not text.startswith("arn:"):
        return None
    parts = text.split(":", 5)
    if len(parts) != 6:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def last_segment(text: str) -> str:
    """``…:role/path/name`` → ``name``; ``family:3`` stays; non-ARNs are returned as they are.
    (:func:`parse_arn`'s test without building an :class:`Arn`: asked for every name shown.)"""
    if not isinstance(text, str) or not text.startswith("arn:"):
        return text
    parts = text.split(":", 5)
    if len(parts) != 6:
        return text
    return parts[5].rsplit("/", 1)[-1]


def elb_name(text: str) -> str:
    """Name inside an ELBv2 ARN: ``targetgroup/NAME/id``, ``loadbalancer/app/NAME/id``."""
    arn = parse_arn(text)
    if arn is None or arn.service != "elasticloadbalancing":
        return last_segment(text)
    parts = arn.resource.split("/")
    return parts[-2] if len(parts) >= 3 else parts[-1]
