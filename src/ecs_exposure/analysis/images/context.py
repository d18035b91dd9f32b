"""Image facts, ECR metadata and scan dates, as the Inventory carries them.

This is the Inventory's image part (``inventory.images``): one place the detectors read, filled
by the sources (ECR documents, image archives, vulnerability reports). Lookups go from a
container's ``image`` string to what is known about that image: by digest when the reference
is pinned, else through ECR's tag → digest mapping, else by reference name.

Scan dates are the interface to vulnerability-report ingestion: a reader that knows a report
covered image digest D at time T calls :meth:`ImageContext.record_scan` (ECR ``describe-images``
already does, from ``imageScanFindingsSummary.imageScanCompletedAt``); ``unscanned-image`` then
reads :meth:`ImageContext.newest_scan`, and an image with no recorded scan is "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecs_exposure.analysis.images.facts import ImageFacts
from ecs_exposure.analysis.images.layout import Layout
from ecs_exposure.analysis.images.reference import ImageRef, parse_reference
from ecs_exposure.model import Json


@dataclass(frozen=True)
class ScanRecord:
    """One scan of one image digest."""

    completed_at: datetime
    source: str
    """Where it came from (``ECR describe-images``, a report file, …)."""


@dataclass
class EcrRepository:
    """A repository from describe-repositories / scanning configuration outputs."""

    data: Json
    key: str
    """Inventory key: the repository ARN (or ``registry/name``)."""
    scanning: Json | None = None
    """From batch-get-repository-scanning-configuration, when supplied."""


@dataclass
class ImageContext:
    """Everything image-related the inputs say, for the detectors to consult."""

    facts: list[ImageFacts] = field(default_factory=list)
    layouts: list[Layout] = field(default_factory=list)
    repositories: dict[tuple[str, str], EcrRepository] = field(default_factory=dict)
    """``(registryId, repositoryName)`` → repository."""
    images: dict[tuple[str, str, str], Json] = field(default_factory=dict)
    """``(registryId, repositoryName, digest)`` → describe-images detail."""
    tags: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """``(registryId, repositoryName, tag)`` → digest."""
    registry_scanning: dict[str, Json] = field(default_factory=dict)
    """registryId → ``scanningConfiguration`` (get-registry-scanning-configuration)."""
    scans: dict[str, list[ScanRecord]] = field(default_factory=dict)
    signing: dict[str, list[Json]] = field(default_factory=dict)
    """digest → ECR managed-signing statuses (describe-image-signing-status)."""

    # ---- adding -------------------------------------------------------------------------

    def record_scan(self, digest: str, completed_at: datetime, source: str) -> None:
        """Note that ``digest`` was scanned at ``completed_at`` (the vulnerability hook)."""
        self.scans.setdefault(digest.lower(), []).append(ScanRecord(completed_at, source))

    def add_config(self, digests: list[str], refs: list[str], config: Json, source: str
                   ) -> ImageFacts:
        """Facts from an image config alone (a scanner report's ``ImageConfig``, the hook for
        Trivy reports): user, created, env and history, but no file tree."""
        from ecs_exposure.analysis.images.facts import apply_config

        facts = ImageFacts(source, list(refs), [d.lower() for d in digests])
        apply_config(facts, config)
        self.add_facts(facts)
        return facts

    def add_facts(self, facts: ImageFacts) -> None:
        """An inspected image (from ``--images`` or the ``image`` command)."""
        self.facts.append(facts)
        if facts.layout is not None and facts.layout not in self.layouts:
            self.layouts.append(facts.layout)

    # ---- lookups ------------------------------------------------------------------------

    def repository(self, ref: ImageRef) -> EcrRepository | None:
        """The ECR repository of a private ECR reference, if supplied."""
        account = ref.ecr_registry_id
        return self.repositories.get((account, ref.repository)) if account else None

    def digests(self, ref: ImageRef, arch: str = "amd64") -> list[str]:
        """Digests the reference is known to point to (pinned, ECR tag, image archive)."""
        found: list[str] = []
        if ref.digest:
            found.append(ref.digest)
        account = ref.ecr_registry_id
        if account and ref.tag and (account, ref.repository, ref.tag) in self.tags:
            found.append(self.tags[(account, ref.repository, ref.tag)])
        facts = self.facts_for(ref, arch)
        if facts is not None:
            found.extend(facts.digests)
        return list(dict.fromkeys(found))

    def ecr_image(self, ref: ImageRef) -> Json | None:
        """describe-images detail of the image the reference points to."""
        account = ref.ecr_registry_id
        if not account:
            return None
        for digest in ([ref.digest] if ref.digest else []) + (
                [self.tags[(account, ref.repository, ref.tag)]]
                if ref.tag and (account, ref.repository, ref.tag) in self.tags else []):
            detail = self.images.get((account, ref.repository, digest))
            if detail is not None:
                return detail
        return None

    def facts_for(self, ref: ImageRef, arch: str = "amd64") -> ImageFacts | None:
        """Inspected facts matching by digest, full reference, or tag within the same name.

        A layout whose ref name is only a tag (``1.4.2``) matches when the tag is equal and the
        archive or directory is named after the repository's last path component. Among the
        platforms of a multi-arch image, the one for ``arch`` (the task's CPU) is chosen.
        """
        return _prefer(self._candidates(ref), arch)

    def _candidates(self, ref: ImageRef) -> list[ImageFacts]:
        wanted = set()
        if ref.digest:
            wanted.add(ref.digest)
        account = ref.ecr_registry_id
        if account and ref.tag and (account, ref.repository, ref.tag) in self.tags:
            wanted.add(self.tags[(account, ref.repository, ref.tag)])
        found = [f for f in self.facts if wanted & set(f.digests)]
        if found or ref.digest:
            return found
        tag = ref.tag or "latest"
        for facts in self.facts:
            for text in facts.refs:
                other = parse_reference(text)
                if other is not None and other.repository_name == ref.repository_name \
                        and (other.tag or "latest") == tag:
                    found.append(facts)
                    break
        if found:
            return found
        base = ref.repository.rsplit("/", 1)[-1]
        return [f for f in self.facts
                if f.source.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0] == base
                and tag in f.refs]

    def newest_scan(self, digests: list[str]) -> ScanRecord | None:
        """Most recent scan of any of the digests, or ``None`` (unknown)."""
        records = [r for d in digests for r in self.scans.get(d.lower(), [])]
        return max(records, key=lambda r: r.completed_at) if records else None

    def config_user(self, image: str, arch: str = "amd64") -> str | None:
        """The image config ``User`` when known (``""`` = not set), else ``None``."""
        ref = parse_reference(image)
        facts = self.facts_for(ref, arch) if ref is not None else None
        return facts.user if facts is not None else None


def _prefer(candidates: list[ImageFacts], arch: str) -> ImageFacts | None:
    """The candidate built for ``arch`` (or with no platform recorded), else the first."""
    for facts in candidates:
        if not facts.platform or facts.platform.startswith(f"linux/{arch}"):
            return facts
    return candidates[0] if candidates else None


def task_arch(task_definition: Json) -> str:
    """OCI architecture of a task definition (``runtimePlatform.cpuArchitecture``)."""
    platform = task_definition.get("runtimePlatform")
    cpu = platform.get("cpuArchitecture") if isinstance(platform, dict) else None
    return "arm64" if isinstance(cpu, str) and cpu.upper() == "ARM64" else "amd64"
