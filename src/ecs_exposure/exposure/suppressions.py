"""Accepted risks: which findings and traits the config file's suppressions cover.

The rule, as the README states it:

- A suppression matches a **trait** seen in a finding (or in a posture entry) when every
  selector it sets matches: ``id`` the finding id; ``resource`` a glob on the finding's
  resource ARN or on the resource carrying the trait (a security group, a role, a task
  definition); ``trait`` the trait id; ``account``, ``region``, ``cluster`` globs on the
  finding's; ``image`` a glob on the image the trait is about.
- A **finding is suppressed** when none of its unsuppressed traits would make a finding on its
  own: a rule without ``trait`` that names the finding suppresses it; rules naming some of its
  traits mark those traits and leave the finding open while any other weakness remains.
- The **severity is not recomputed** without the suppressed traits: they are still there and
  still combine with the others (an open security group accepted because a WAF fronts it
  still lets the internet reach a privileged container). To accept the whole exposure,
  suppress the finding, not one of its traits.
- Suppressed findings stay in every output, marked, and never count for ``--fail-on``.
- A rule past its ``expires`` date suppresses nothing and is reported as an error of the
  config file; a rule that matched nothing is listed as ``unused``.

Pure functions of a result and the rules: no I/O; the day that decides expiry is passed in.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.exposure.assess import makes_finding
from ecs_exposure.model import (
    Finding,
    PostureEntry,
    ScanResult,
    SourceError,
    Suppression,
    SuppressionUse,
    Trait,
)


@dataclass(frozen=True)
class Scope:
    """Where a trait is seen: a finding, or the resource of a posture entry."""

    id: str | None
    """The finding id (the same identity rule for a posture entry's resource)."""
    arn: str
    account: str | None
    region: str | None
    cluster: str | None

    @classmethod
    def of(cls, item: Finding | PostureEntry) -> Scope:
        """The scope of a finding's or a posture entry's traits."""
        return cls(item.id, item.arn, item.account, item.region, item.cluster)


def _glob(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(fnmatch.translate(pattern)) if pattern is not None else None


def _image_names(trait: Trait) -> tuple[str, ...]:
    """The image a trait is about, as written and as ``registry/repository[:tag]``."""
    image = dict(trait.extra).get("image")
    if not isinstance(image, str):
        return ()
    ref = parse_reference(image)
    return (image,) if ref is None else (image, ref.repository_name, ref.full_name)


class _Rule:
    """A suppression with its globs compiled once (an estate has thousands of traits)."""

    __slots__ = ("account", "cluster", "image", "index", "region", "resource", "rule", "traits")

    def __init__(self, index: int, rule: Suppression) -> None:
        self.index = index
        """Position among the config's rules: what counts and orders them."""
        self.rule = rule
        self.traits = frozenset(rule.traits)
        self.resource = _glob(rule.resource)
        self.account = _glob(rule.account)
        self.region = _glob(rule.region)
        self.cluster = _glob(rule.cluster)
        self.image = _glob(rule.image)

    def scope_matches(self, scope: Scope) -> bool:
        """The selectors about the finding itself (all traits of it share them)."""
        rule = self.rule
        return ((rule.id is None or rule.id == scope.id)
                and (self.account is None or bool(self.account.match(scope.account or "")))
                and (self.region is None or bool(self.region.match(scope.region or "")))
                and (self.cluster is None or bool(self.cluster.match(scope.cluster or ""))))

    def trait_matches(self, scope: Scope, trait: Trait) -> bool:
        """The selectors about one trait; :meth:`scope_matches` is checked first."""
        if self.traits and trait.id not in self.traits:
            return False
        if self.resource is not None and not (self.resource.match(scope.arn)
                                              or self.resource.match(trait.resource)):
            return False
        image = self.image
        return image is None or any(image.match(name) for name in _image_names(trait))


def active(rule: Suppression, today: date) -> bool:
    """Whether ``rule`` applies on ``today`` (its expiry day included)."""
    return rule.expires is None or rule.expires >= today


class Suppressor:
    """Matches the active rules against findings (and posture entries), counting what each
    rule matched, for the result's list of rules and their use."""

    def __init__(self, rules: Sequence[Suppression], today: date) -> None:
        self.rules = tuple(rules)
        self.today = today
        self._active = [_Rule(i, r) for i, r in enumerate(self.rules) if active(r, today)]
        self._findings = [0] * len(self.rules)
        self._traits = [0] * len(self.rules)

    def _match(self, scope: Scope, traits: Iterable[Trait]) -> list[_Rule | None]:
        candidates = [r for r in self._active if r.scope_matches(scope)]
        found: list[_Rule | None] = []
        for trait in traits:
            first: _Rule | None = None
            for rule in candidates:
                if rule.trait_matches(scope, trait):
                    self._traits[rule.index] += 1
                    first = first or rule
            found.append(first)
        return found

    def match(self, scope: Scope, traits: Iterable[Trait]) -> list[Suppression | None]:
        """Per trait, the first active rule that suppresses it (config order), or ``None``
        (for posture entries). Every rule that matches a trait is counted as used."""
        return [r.rule if r else None for r in self._match(scope, traits)]

    def finding(self, finding: Finding) -> Finding:
        """``finding`` with its suppressed traits marked, and suppressed itself when none of
        its unsuppressed traits would make a finding on its own."""
        if not self._active:
            return finding
        per_trait = self._match(Scope.of(finding), finding.traits)
        if not any(per_trait):
            return finding
        makers = [(t, rule) for t, rule in zip(finding.traits, per_trait, strict=True)
                  if makes_finding(t)]
        suppressed_by: tuple[Suppression, ...] = ()
        if all(rule is not None for _, rule in makers):
            indexes = sorted({rule.index for _, rule in makers if rule is not None})
            suppressed_by = tuple(self.rules[i] for i in indexes)
            for index in indexes:
                self._findings[index] += 1
        return replace(finding, trait_suppressions=tuple(r.rule if r else None
                                                         for r in per_trait),
                       suppressed_by=suppressed_by)

    def posture(self, entry: PostureEntry) -> PostureEntry:
        """``entry`` with its suppressed traits marked."""
        if not self._active:
            return entry
        per_trait = self.match(Scope.of(entry), entry.traits)
        return replace(entry, trait_suppressions=tuple(per_trait)) if any(per_trait) else entry

    def uses(self) -> tuple[SuppressionUse, ...]:
        """Every rule, in config order: used, unused or expired, and what it matched."""
        return tuple(
            SuppressionUse(rule, "expired" if not active(rule, self.today)
                           else "used" if self._traits[index] else "unused",
                           self._findings[index], self._traits[index])
            for index, rule in enumerate(self.rules))

    def expired_errors(self) -> list[SourceError]:
        """One error per expired rule: it no longer applies, and someone should know."""
        return [SourceError(rule.source or "config",
                            f"{rule.describe()} expired on {rule.expires} and no longer "
                            f"suppresses anything (reason was: {rule.reason})")
                for rule in self.rules if not active(rule, self.today)]


def apply_suppressions(result: ScanResult, rules: Sequence[Suppression],
                       today: date) -> ScanResult:
    """``result`` with every finding, posture entry and trait the active ``rules`` cover
    marked suppressed, the rules' use listed, and one error per expired rule."""
    if not rules:
        return result
    suppressor = Suppressor(rules, today)
    return replace(
        result,
        findings=tuple(suppressor.finding(f) for f in result.findings),
        task_definition_findings=tuple(suppressor.finding(f)
                                       for f in result.task_definition_findings),
        posture=tuple(suppressor.posture(e) for e in result.posture),
        errors=result.errors + tuple(suppressor.expired_errors()),
        suppressions=suppressor.uses(),
    )


def open_findings(result: ScanResult) -> list[Finding]:
    """Findings (services and task definitions) that are not suppressed: what gates count."""
    return [f for f in result.findings + result.task_definition_findings if not f.suppressed_by]


__all__ = ["Scope", "Suppressor", "active", "apply_suppressions", "open_findings"]
