"""Judge one image reference against the hardened-image policy (WA SEC06-BP02).

Used by the scan's detector (per container) and by ``ecs-exposure image`` (one image, for CI).
Each verdict is one trait with its evidence; "unknown" never passes a check whose definition
is "nothing was verified" (signature, scan), and never fires a check whose definition is "this
was seen" (packages, age, end of life).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ecs_exposure.analysis.images.components import BY_NAME, FILE_INDEX, SETUID, package_category
from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.facts import ImageFacts, parse_time
from ecs_exposure.analysis.images.reference import ImageRef, parse_reference
from ecs_exposure.analysis.images.signatures import SignatureCheck, verify_image
from ecs_exposure.analysis.os_eol import end_of_life

if TYPE_CHECKING:
    from ecs_exposure.analysis.images.policy import Policy
    from ecs_exposure.settings import ScanMemo, ScanSettings

_SCANNING_FREQUENCIES = {"SCAN_ON_PUSH", "CONTINUOUS_SCAN"}
_EPOCH_CUTOFF = 946684800  # 2000-01-01: reproducible builds stamp 1970 (or 0001) instead


Check = Literal["registry", "reference", "signature", "scan", "age", "packages", "os", "user"]
"""What a verdict is about. This library knows checks, not traits: the image trait family
(:data:`ecs_exposure.detectors.images.CHECKS`) says which trait each check fires."""


@dataclass(frozen=True)
class Verdict:
    """One failed check: which check, what was seen, and structured facts."""

    check: Check
    detail: str
    facts: tuple[tuple[str, Any], ...] = ()
    repository: str | None = None
    """Inventory key of the ECR repository, when the evidence is its configuration."""


@dataclass(frozen=True)
class Evaluation:
    """Every verdict for one image, plus what was checked (for the ``image`` report)."""

    reference: str
    verdicts: tuple[Verdict, ...]
    signatures: tuple[SignatureCheck, ...]
    facts: ImageFacts | None
    digests: tuple[str, ...]
    notes: tuple[str, ...]


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


def _trusted(ref: ImageRef, policy: Policy, accounts: set[str]) -> list[Verdict]:
    why = policy.is_trusted(ref.repository_name, ref.registry, accounts, ref.ecr_registry_id)
    if why:
        return []
    return [Verdict("registry",
                    f"registry {ref.registry} (repository {ref.repository}) is not trusted by "
                    "the policy", (("registry", ref.registry),))]


def _matches_filters(tag: str, filters: Any) -> bool:
    return any(isinstance(f, dict) and isinstance(f.get("filter"), str)
               and fnmatch.fnmatchcase(tag, f["filter"]) for f in filters or [])


def _mutable(ref: ImageRef, ctx: ImageContext, policy: Policy) -> list[Verdict]:
    if ref.pinned:
        return []
    tag = ref.tag or "latest"
    worse = " (latest or no tag: whatever was pushed last runs)" if tag == "latest" else ""
    facts = (("tag", tag), ("latest", tag == "latest"))
    if policy.require_digest:
        return [Verdict("reference", f"image referenced by tag {tag!r}, not by "
                        f"digest, and the policy requires digest pinning{worse}", facts)]
    repo = ctx.repository(ref)
    if repo is None:
        where = "ECR repository not in the inputs" if ref.ecr_registry_id else \
            "tag mutability of a non-ECR registry cannot be known"
        return [Verdict("reference", f"image referenced by tag {tag!r}, not by "
                        f"digest; tag overwrites are possible ({where}){worse}", facts)]
    setting = str(repo.data.get("imageTagMutability", "MUTABLE"))
    filters = repo.data.get("imageTagMutabilityExclusionFilters")
    mutable = {"IMMUTABLE": False, "MUTABLE": True,
               "IMMUTABLE_WITH_EXCLUSION": _matches_filters(tag, filters),
               "MUTABLE_WITH_EXCLUSION": not _matches_filters(tag, filters)}.get(setting, True)
    if not mutable and tag != "latest":
        return []
    return [Verdict("reference", f"image referenced by tag {tag!r} in ECR "
                    f"repository {ref.repository} with imageTagMutability {setting}{worse}",
                    facts, repo.key)]


def _signature(ref: ImageRef, ctx: ImageContext, settings: ScanSettings, digests: list[str]
               ) -> tuple[list[Verdict], list[SignatureCheck]]:
    policy = settings.policy.signatures
    if not policy.required:
        return [], []
    if not digests:
        return [Verdict("signature", "image digest unknown (referenced by tag, and "
                        "neither an image archive nor ECR describe-images output resolves it), "
                        "so no signature could be checked")], []
    checks = verify_image(digests, ctx.layouts, policy, settings.now)
    if any(c.verified for c in checks):
        return [], checks
    if checks:
        detail = "no signature verified: " + "; ".join(f"{c.kind}: {c.detail}" for c in checks)
    elif not policy.has_material:
        detail = (f"no signature verified for {digests[0]}: the policy configures no cosign "
                  "key, keyless identity or Notation trust root")
    else:
        detail = f"no signature found for {digests[0]} in the supplied image layouts"
    managed = [s for d in digests for s in ctx.signing.get(d, [])]
    if managed:
        states = ", ".join(sorted({str(s.get("status")) for s in managed}))
        detail += f"; ECR managed signing status {states} (not verifiable offline)"
    return [Verdict("signature", detail, (("digests", digests),))], checks


def _scanning_on(ref: ImageRef, ctx: ImageContext) -> tuple[bool | None, str]:
    account = ref.ecr_registry_id
    repo = ctx.repository(ref)
    registry = ctx.registry_scanning.get(account) if account else None
    if registry is not None:
        for rule in registry.get("rules") or []:
            if isinstance(rule, dict) and rule.get("scanFrequency") in _SCANNING_FREQUENCIES \
                    and _matches_filters(ref.repository, rule.get("repositoryFilters")):
                return True, f"registry {registry.get('scanType', 'BASIC')} scanning rule"
    if repo is not None and repo.scanning is not None:
        if repo.scanning.get("scanFrequency") in _SCANNING_FREQUENCIES or \
                repo.scanning.get("scanOnPush") is True:
            return True, "repository scanning configuration"
        return False, "repository scanning configuration"
    if repo is not None:
        on_push = (repo.data.get("imageScanningConfiguration") or {}).get("scanOnPush")
        if on_push is True:
            return True, "imageScanningConfiguration.scanOnPush"
        if registry is not None or "imageScanningConfiguration" in repo.data:
            return False, "imageScanningConfiguration.scanOnPush"
    return None, ""


def _scanned(ref: ImageRef, ctx: ImageContext, settings: ScanSettings, digests: list[str],
             covered: Callable[[], Sequence[str]]) -> list[Verdict]:
    verdicts: list[Verdict] = []
    on, how = _scanning_on(ref, ctx)
    repo = ctx.repository(ref)
    if on is False and repo is not None:
        verdicts.append(Verdict("scan", f"ECR repository {ref.repository} has "
                                f"neither scan-on-push nor continuous scanning ({how})",
                                (("scanning", False),), repo.key))
    newest = ctx.newest_scan(digests)
    limit = settings.policy.max_scan_age_days
    if newest is None and covered():
        return verdicts  # a scanner report covers the image; it carries no date to age-check
    if newest is None:
        target = digests[0] if digests else "the image (digest unknown)"
        detail = f"no scan result for {target} in the inputs"
        status = (ctx.ecr_image(ref) or {}).get("imageScanStatus")
        if isinstance(status, dict) and status.get("status"):
            detail += f" (ECR imageScanStatus {status['status']}"
            detail += f": {status['description']})" if status.get("description") else ")"
        verdicts.append(Verdict("scan", detail, (("scan_age_days", None),)))
    elif _days(settings.now, newest.completed_at) > limit:
        age = _days(settings.now, newest.completed_at)
        verdicts.append(Verdict("scan", f"newest scan is {age} days old "
                                f"({newest.completed_at.date().isoformat()}, {newest.source}), "
                                f"above the {limit}-day limit", (("scan_age_days", age),)))
    return verdicts


def _stale(ref: ImageRef, ctx: ImageContext, settings: ScanSettings,
           facts: ImageFacts | None) -> list[Verdict]:
    now, limit = settings.now, settings.policy.max_image_age_days
    reasons = []
    created = facts.created if facts is not None else None
    if created is not None and created.timestamp() > _EPOCH_CUTOFF and \
            _days(now, created) > limit:
        reasons.append(f"built {created.date().isoformat()} ({_days(now, created)} days ago, "
                       "config created)")
    detail = ctx.ecr_image(ref)
    pushed = parse_time(detail.get("imagePushedAt")) if detail else None
    if pushed is not None and _days(now, pushed) > limit:
        reasons.append(f"pushed {pushed.date().isoformat()} ({_days(now, pushed)} days ago, "
                       "ECR imagePushedAt)")
    if not reasons:
        return []
    return [Verdict("age", "; ".join(reasons) + f", above the {limit}-day limit",
                    (("max_age_days", limit),))]


def component_hits(facts: ImageFacts, policy: Policy, image_name: str
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    """Unnecessary components found, after the policy's categories and allowances."""
    allowed, reasons = policy.allowed_for(image_name)
    hits: list[dict[str, Any]] = []

    def add(category: str, kind: str, what: str, where: str) -> None:
        if category not in policy.categories and category != "policy":
            return
        if category in allowed or what in allowed:
            return
        hits.append({"category": category, "kind": kind, "name": what, "where": where})

    for path, layer in sorted(facts.files.items()):
        category = FILE_INDEX.get(path, "policy")
        add(category, facts.file_kinds.get(path, "file"), path, f"layer {layer}")
    for package in facts.packages:
        found = package_category(package.name) or (
            "policy" if package.name in policy.extra_packages else None)
        if found:
            add(found, "package", package.name, package.database)
    for path, mode, layer in facts.setuid:
        bits = "setuid" if mode & 0o4000 else "setgid"
        add(SETUID, bits, path, f"layer {layer}, mode {mode:o}")
    return hits, reasons


def _packages(ref: ImageRef, policy: Policy, facts: ImageFacts | None) -> list[Verdict]:
    if facts is None or not facts.inspected:
        return []
    hits, _ = component_hits(facts, policy, ref.repository_name)
    if not hits:
        return []
    groups: dict[str, list[str]] = {}
    for hit in hits:
        label = BY_NAME[hit["category"]].label if hit["category"] in BY_NAME else "policy-listed"
        groups.setdefault(label, []).append(f"{hit['name']} ({hit['kind']}, {hit['where']})")
    parts = [f"{label}: {', '.join(items[:6])}" + (f" and {len(items) - 6} more"
                                                    if len(items) > 6 else "")
             for label, items in groups.items()]
    return [Verdict("packages", "image contains " + "; ".join(parts),
                    (("components", hits),))]


def _eol(settings: ScanSettings, facts: ImageFacts | None) -> list[Verdict]:
    if facts is None or facts.os is None:
        return []
    ended = end_of_life(facts.os.id, facts.os.version_id, settings.today)
    if ended is None:
        return []
    name = facts.os.pretty_name or f"{facts.os.id} {facts.os.version_id}"
    why = ended.describe(f"image OS {name} ({facts.os.id} {facts.os.version_id}, "
                         f"from {facts.os.path})")
    return [Verdict("os", why,
                    (("os", facts.os.id), ("version", facts.os.version_id),
                     ("end_of_life", ended.ended.isoformat()), ("evidence", "os-release")))]


def evaluate(image: str, ctx: ImageContext, settings: ScanSettings, accounts: set[str],
             arch: str = "amd64", *, memo: ScanMemo | None = None,
             reports_covering: Callable[[str], Sequence[str]] | None = None,
             ) -> Evaluation | None:
    """All verdicts for one image reference and CPU; ``None`` if unparseable.

    ``settings`` bring the policy and the clock; ``memo`` (the scan's) keeps each evaluation
    for the other containers running the same image. ``reports_covering`` names the
    vulnerability reports that match the image, so a scanner report counts as a scan even when
    it gives no date to check against ``max_scan_age_days``.
    """
    key = ("images.evaluate", arch, image)
    cached = memo.get(key) if memo is not None else None
    if isinstance(cached, Evaluation):
        return cached
    ref = parse_reference(image)
    if ref is None:
        return None
    facts = ctx.facts_for(ref, arch)
    digests = ctx.digests(ref, arch)
    policy = settings.policy
    verdicts = _trusted(ref, policy, accounts) + _mutable(ref, ctx, policy)
    signature_verdicts, checks = _signature(ref, ctx, settings, digests)

    def covered() -> Sequence[str]:
        return reports_covering(image) if reports_covering is not None else ()

    verdicts += signature_verdicts + _scanned(ref, ctx, settings, digests, covered)
    verdicts += _stale(ref, ctx, settings, facts)
    verdicts += _packages(ref, policy, facts) + _eol(settings, facts)
    notes = tuple(facts.notes) if facts else (
        "image contents not inspected (no matching archive or layout): packages, setuid files, "
        "OS release and config user were not checked",)
    result = Evaluation(image, tuple(verdicts), tuple(checks), facts, tuple(digests), notes)
    if memo is not None:
        memo[key] = result
    return result
