"""Container image references, normalised so that a scanner report and a container definition
that name the same image in different spellings compare equal.

A task definition says ``nginx:1.27``; Trivy says ``docker.io/library/nginx:1.27``; Inspector
says repository ``web`` in registry ``123456789012`` with region only in an ARN; a FIPS
endpoint spells the same ECR registry ``dkr.ecr-fips``. Matching on raw strings would miss
every one of these, so every reference is reduced to a registry key, a repository, a tag and
a digest (the Docker reference grammar, with Docker Hub's implicit ``docker.io/library/``).

Example::

    >>> parse_image("nginx").tag_key
    'docker.io/library/nginx:latest'
    >>> parse_image("111122223333.dkr.ecr-fips.us-east-1.amazonaws.com/web:1").registry_key
    'ecr:111122223333:us-east-1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

DOCKER_HUB = "docker.io"
DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io",
                                "registry.hub.docker.com"})
PUBLIC_ECR = "public.ecr.aws"

_ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr[.-]ecr(?P<fips>-fips)?\.(?P<region>[a-z0-9-]+)\."
    r"(?P<suffix>amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|on\.aws)$"
)
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9=_-]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$")
_PARTITION_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn",
                     "aws-us-gov": "amazonaws.com", "aws-iso": "c2s.ic.gov",
                     "aws-iso-b": "sc2s.sgov.gov"}


@dataclass(frozen=True, slots=True)
class EcrRegistry:
    """A private Amazon ECR registry: one account in one region (FIPS and dual-stack
    endpoints are other doors to the same registry)."""

    account: str
    region: str
    suffix: str
    """``amazonaws.com``, ``amazonaws.com.cn`` (China) or an isolated-region suffix."""

    @property
    def host(self) -> str:
        """Canonical (non-FIPS, IPv4) host name of the registry."""
        return f"{self.account}.dkr.ecr.{self.region}.{self.suffix}"


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One image reference in canonical form."""

    registry: str
    """Canonical registry host (``docker.io``, ``public.ecr.aws``, an ECR host…)."""
    repository: str
    """Repository path, lower-case; Docker Hub official images get ``library/``."""
    tag: str | None
    digest: str | None
    """Manifest digest (``sha256:<64 hex>``, lower-case) when the reference pins one."""
    ecr: EcrRegistry | None = None

    @property
    def registry_key(self) -> str:
        """What identifies the registry for matching: ECR by account and region."""
        if self.ecr is not None:
            return f"ecr:{self.ecr.account}:{self.ecr.region}"
        return self.registry

    @property
    def repo_key(self) -> str:
        """Registry key + repository, the unit a tag belongs to."""
        return f"{self.registry_key}/{self.repository}"

    @property
    def tag_key(self) -> str:
        """Repository + tag; an untagged reference means ``latest``, as Docker pulls it."""
        return f"{self.repo_key}:{self.tag or 'latest'}"

    @property
    def name(self) -> str:
        """Full canonical spelling, for display and JSON."""
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    def fallback_repo_keys(self) -> tuple[str, ...]:
        """Keys a report with less registry detail would use for the same ECR repository.

        ECR ``describe-image-scan-findings`` output names the account and the repository but
        not the region; a hand-trimmed report may name only the repository.
        """
        if self.ecr is None:
            return ()
        return (f"ecr:{self.ecr.account}:*/{self.repository}", f"ecr:*:*/{self.repository}")


def normalise_digest(text: object) -> str | None:
    """``sha256:ABC…`` → ``sha256:abc…``; anything that is not a digest → ``None``."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if not _DIGEST.match(text):
        return None
    algorithm, _, value = text.partition(":")
    return f"{algorithm.lower()}:{value.lower()}"


def parse_ecr_host(host: str) -> EcrRegistry | None:
    """Account, region and partition of an ECR registry host, or ``None``."""
    found = _ECR_HOST.match(host.lower())
    if found is None:
        return None
    suffix = found["suffix"]
    if suffix == "on.aws":  # dual-stack: same registry as the commercial host
        suffix = "amazonaws.com.cn" if found["region"].startswith("cn-") else "amazonaws.com"
    return EcrRegistry(found["account"], found["region"], suffix)


def ecr_registry(account: str, region: str | None, partition: str | None = None) -> EcrRegistry:
    """An ECR registry from report fields (Inspector gives account, region and partition)."""
    suffix = _PARTITION_SUFFIX.get(partition or "", "")
    if not suffix:
        suffix = "amazonaws.com.cn" if (region or "").startswith("cn-") else "amazonaws.com"
    return EcrRegistry(account, region or "*", suffix)


def ecr_image(account: str | None, region: str | None, repository: str, *,
              tag: str | None = None, digest: str | None = None,
              partition: str | None = None) -> ImageRef | None:
    """An ECR image from the parts a scan report gives (any of account and region may be
    unknown; ``*`` then stands for it in the registry key)."""
    repository = repository.strip().strip("/").lower()
    if not repository or not all(_PATH_COMPONENT.match(p) for p in repository.split("/")):
        return None
    registry = ecr_registry(account or "*", region, partition)
    host = registry.host if account and region else "ecr"
    return ImageRef(host, repository, _clean_tag(tag), normalise_digest(digest), registry)


def _clean_tag(tag: object) -> str | None:
    return tag.strip() if isinstance(tag, str) and _TAG.match(tag.strip()) else None


@lru_cache(maxsize=65536)
def parse_image(text: str) -> ImageRef | None:
    """Parse a Docker image reference; ``None`` when it is not one (e.g. a template
    placeholder such as ``${IMAGE}`` or text with spaces)."""
    if not isinstance(text, str):
        return None
    ref = text.strip()
    if not ref or len(ref) > 1024 or any(c.isspace() for c in ref) or "://" in ref:
        return None
    digest: str | None = None
    if "@" in ref:
        ref, _, raw_digest = ref.partition("@")
        digest = normalise_digest(raw_digest)
        if digest is None:
            return None
    tag: str | None = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1:]
        if not _TAG.match(tag):
            return None
    first, sep, rest = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, path = first.lower(), rest
        if not _HOST.match(host):
            return None
    else:
        host, path = DOCKER_HUB, ref
    path = path.lower()
    if not path or not all(_PATH_COMPONENT.match(part) for part in path.split("/")):
        return None
    ecr = parse_ecr_host(host)
    if host in DOCKER_HUB_ALIASES:
        host = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    elif ecr is not None:
        host = ecr.host
    return ImageRef(host, path, tag, digest, ecr)


def repository_of(text: str) -> ImageRef | None:
    """A ``RepoDigests`` entry (``repo@sha256:…``) as a repository reference without tag."""
    parsed = parse_image(text)
    if parsed is None:
        return None
    return ImageRef(parsed.registry, parsed.repository, None, parsed.digest, parsed.ecr)
