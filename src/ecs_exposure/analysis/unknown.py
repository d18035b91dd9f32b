"""Values that infrastructure as code cannot know before deployment.

A CloudFormation ``!ImportValue`` from another stack, a parameter without a default, a
Terraform attribute "known after apply": the value exists only in AWS. Pretending it is absent
would read "no security group" as "no open security group", so it is kept as an explicit
marker that detectors recognise and treat conservatively (an unknown security group makes a
service *potentially* reachable, an unknown role is named in the finding's ``missing``).

The marker is a ``str`` subclass so it travels through code that expects AWS API strings (ARN
parsing, lookups by id, JSON output) without special cases: a lookup simply finds nothing,
which every detector already reads as "missing, assume the worst". Its text says where the
value would come from, e.g. ``<import production:ClusterName>`` or
``<known after apply: aws_security_group.web.id>``.
"""

from __future__ import annotations

from typing import Any


class Unknown(str):
    """A value only AWS knows; its text describes where it would come from."""

    reason: str
    """Short description without brackets (``parameter Subnets``, ``import x:Vpc``)."""
    reference: str | None
    """What would supply it: a CloudFormation export name, a Terraform resource address."""
    via: str | None
    """How to derive the final value once ``reference`` is known (e.g. ``listener-lb``)."""

    def __new__(cls, reason: str, *, text: str | None = None, reference: str | None = None,
                via: str | None = None) -> Unknown:
        value = super().__new__(cls, text if text is not None else f"<{reason}>")
        value.reason = reason
        value.reference = reference
        value.via = via
        return value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.reason, str(self), self.reference, self.via))


def _rebuild(reason: str, text: str, reference: str | None, via: str | None) -> Unknown:
    return Unknown(reason, text=text, reference=reference, via=via)


def is_unknown(value: object) -> bool:
    """True for a value IaC could not resolve (detectors: treat it as possibly risky)."""
    return isinstance(value, Unknown)


def describe(value: object) -> str:
    """Plain text for a finding: the marker's reason, or the value itself."""
    return value.reason if isinstance(value, Unknown) else str(value)
