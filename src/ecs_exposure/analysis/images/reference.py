"""Minimal container image reference parsing: registry, repository, tag, digest.

Kept in one small module on purpose: the vulnerability-report work has its own reference
normaliser, and the two are meant to be merged. The grammar follows the distribution
reference rules (images.md §6.4): the first path component is a registry host only when it
contains ``.`` or ``:`` or is ``localhost``; a reference without a host means Docker Hub, and a
single-component Docker Hub name lives under ``library/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

DOCKER_HUB = "docker.io"
_HUB_ALIASES = {"index.docker.io", "registry-1.docker.io", "docker.io"}
ECR_HOST = re.compile(
    r"^(?P<registry>[^.]+)\.dkr[.-]ecr(?:-fips)?\.(?P<region>[^.]+)\."
    r"(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|on\.aws)$"
)
ECR_PUBLIC_HOST = "public.ecr.aws"
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")


@dataclass(frozen=True)
class ImageRef:
    """One parsed reference; ``digest`` and ``tag`` may both be set (``repo:tag@sha256:…``)."""

    registry: str
    """Registry host, lower-cased; ``docker.io`` for Docker Hub."""
    repository: str
    """Repository path inside the registry (``library/nginx``, ``team/web``)."""
    tag: str | None
    digest: str | None
    original: str

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"

    @property
    def ecr_registry_id(self) -> str | None:
        """The AWS account id of a private ECR registry host, else ``None``."""
        match = ECR_HOST.match(self.registry)
        return match.group("registry") if match else None

    @property
    def ecr_region(self) -> str | None:
        """Region of a private ECR registry host."""
        match = ECR_HOST.match(self.registry)
        return match.group("region") if match else None

    @property
    def pinned(self) -> bool:
        """Referenced by digest: what runs cannot change under the same reference."""
        return self.digest is not None


@lru_cache(maxsize=65536)
def parse_reference(text: str) -> ImageRef | None:
    """Parse ``text``; ``None`` when it is not a plausible image reference (memoised: an
    estate names each image from many containers and several checks)."""
    ref = text.strip()
    if not ref or len(ref) > 1024 or any(c.isspace() for c in ref):
        return None
    digest: str | None = None
    if "@" in ref:
        ref, digest = ref.rsplit("@", 1)
        if not _DIGEST.match(digest):
            return None
        digest = digest.lower()
    tag: str | None = None
    last_slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > last_slash:
        ref, tag = ref[:colon], ref[colon + 1:]
        if not _TAG.match(tag):
            return None
    parts = ref.split("/")
    if not parts[0] or any(not p for p in parts):
        return None
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
        registry, path = first.lower(), "/".join(parts[1:])
    else:
        registry, path = DOCKER_HUB, ref
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    return ImageRef(registry, path, tag, digest, text)

