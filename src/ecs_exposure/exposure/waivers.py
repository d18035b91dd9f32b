"""Policy exceptions: waive named traits for a service or an image, with a reason, until a date.

An exception whose ``expires`` date has passed stops applying (the trait comes back) and is
reported as an error of the policy file, so an expired waiver is visible, never silently relied
on. Matching is by glob: ``service`` against the service name or ARN, ``image`` against the
``registry/repository`` of the image the trait is about.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from datetime import date

from ecs_exposure.analysis.images.policy import Policy, PolicyException
from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.model import SourceError, Trait


def _matches(exception: PolicyException, trait: Trait, service: tuple[str, ...]) -> bool:
    if trait.id not in exception.traits:
        return False
    if exception.service is not None and not any(
            fnmatch.fnmatchcase(s, exception.service) for s in service):
        return False
    if exception.image is not None:
        image = dict(trait.extra).get("image")
        ref = parse_reference(image) if isinstance(image, str) else None
        if ref is None or not fnmatch.fnmatchcase(ref.repository_name, exception.image):
            return False
    return True


def apply_exceptions(traits: Iterable[Trait], policy: Policy, today: date,
                     service: tuple[str, ...] = ()) -> list[Trait]:
    """Traits left after the active exceptions (``service``: name and ARN of the service)."""
    active = policy.active_exceptions(today)
    if not active:
        return list(traits)
    kept = []
    for trait in traits:
        if not any(_matches(e, trait, service) for e in active):
            kept.append(trait)
    return kept


def waived(trait: Trait, policy: Policy, today: date, service: tuple[str, ...] = ()
           ) -> PolicyException | None:
    """The active exception waiving ``trait``, for reports that show waivers."""
    return next((e for e in policy.active_exceptions(today) if _matches(e, trait, service)),
                None)


def expired_errors(policy: Policy, today: date) -> list[SourceError]:
    """One error per expired exception, naming it and its date."""
    return [SourceError(policy.source or "policy",
                        f"{e.describe()} expired on {e.expires.isoformat()} and no longer "
                        f"applies (reason was: {e.reason})")
            for e in policy.expired_exceptions(today)]


__all__ = ["apply_exceptions", "expired_errors", "waived"]
