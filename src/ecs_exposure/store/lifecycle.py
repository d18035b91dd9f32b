"""Each finding identity's state across scans, as pure functions of what the store knows.

- ``new``: first seen in this scan; ``active``: seen before and again now;
- ``resolved``: gone in a later scan that covered its scope (its account and region) and read
  that scope whole. A scan that could not read the finding's resource, cluster, or account and
  region (an incomplete resource or scope, a collection error there) never resolves it: the
  finding stays as it was (unknown is never safe). A scan of other accounts or regions does
  not touch it either;
- ``regressed``: seen again after it was resolved;
- ``suppressed`` is not a lifecycle step but a mark on top of one (config file or store
  suppression), shown as the state by :mod:`ecs_exposure.store.queries`.

The scope test is the one ``--baseline`` uses for ``unverified`` findings
(:mod:`ecs_exposure.exposure.baseline`), read here from the JSON result's ``incomplete`` and
``errors`` members, which is what the store keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecs_exposure.analysis.arn import parse_arn

Scope = tuple[str | None, str | None]
"""``(account, region)``; ``None`` where the input did not say (files without ARNs)."""


@dataclass(frozen=True)
class Known:
    """What the store knows of an identity before this scan."""

    id: str
    lifecycle: str
    arn: str
    account: str | None
    region: str | None


def present_state(previous: str | None) -> str:
    """The lifecycle of a finding this scan saw, from its state before (``None``: never
    seen)."""
    if previous is None:
        return "new"
    return "regressed" if previous == "resolved" else "active"


def unread(known: Known, incomplete: Iterable[Mapping[str, Any]],
           errors: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the scan could not read the scope ``known`` lives in: its own resource, its
    cluster, its account and region (``cluster/*``), or a collection error hit them."""
    service = parse_arn(known.arn)
    parts = service.resource.split("/") if service else []
    for item in incomplete:
        resource = str(item.get("resource", ""))
        if resource == known.arn:
            return True
        scope = parse_arn(resource)
        if scope is None or not scope.resource.startswith("cluster/"):
            continue
        if (scope.account, scope.region) != (known.account, known.region):
            continue
        cluster = scope.resource.split("/", 1)[1]
        if cluster == "*" or (len(parts) == 3 and parts[1] == cluster):
            return True
    return any(e.get("account") is not None and e.get("account") == known.account
               and (e.get("region") is None or e.get("region") == known.region)
               for e in errors)


def resolved(known: Iterable[Known], seen: set[str], scope: set[Scope],
             incomplete: list[Mapping[str, Any]], errors: list[Mapping[str, Any]]) -> list[str]:
    """Ids of the open identities (not resolved yet) this scan resolves: absent, in its
    scope, and in a part of it the scan read whole."""
    return [k.id for k in known
            if k.lifecycle != "resolved" and k.id not in seen
            and (k.account, k.region) in scope and not unread(k, incomplete, errors)]


__all__ = ["Known", "Scope", "present_state", "resolved", "unread"]
