"""Container image references: one type, read canonically or as written.

A task definition says ``nginx:1.27``; Trivy says ``docker.io/library/nginx:1.27``; Inspector
says repository ``web`` in registry ``123456789012`` with region only in an ARN; a FIPS
endpoint spells the same ECR registry ``dkr.ecr-fips``. Matching on raw strings would miss
every one of these, so a reference is reduced to a registry, a repository, a tag and a digest
(the distribution reference grammar: the first path component is a registry host only when it
contains ``.`` or ``:`` or is ``localhost``; without one the image is on Docker Hub, where a
single-component name lives under ``library/``).

Two readings of the same grammar give the same :class:`ImageRef`:

* :func:`parse_image`, the canonical one, for matching scanner reports to containers: names
  Docker would refuse are rejected, repositories are lower-cased, and FIPS and dual-stack ECR
  endpoints are folded into the registry they are doors to.
* :func:`parse_reference`, the reference as written, which the image checks read: it keeps the
  host and case as written and evaluates anything that splits into a name (a template
  placeholder such as ``<IMAGE1_NAME>`` is read as a Docker Hub repository). Kept so the image
  checks' results did not change when the two modules were merged; moving them to
  :func:`parse_image` would be a behaviour change of its own.

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
_HEX = re.compile(r"^[0-9a-f]+$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$")
_PARTITION_SUFFIX = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn",
                     "aws-us-gov": "amazonaws.com", "aws-iso": "c2s.ic.gov",
                     "aws-iso-b": "sc2s.sgov.gov"}
MAX_LENGTH = 1024


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
    """One image reference; ``tag`` and ``digest`` may both be set (``repo:tag@sha256:…``)."""

    registry: str
    """Registry host, lower-case (``docker.io``, ``public.ecr.aws``, an ECR host…): canonical
    from :func:`parse_image`, as written from :func:`parse_reference`."""
    repository: str
    """Repository path inside the registry; Docker Hub official images get ``library/``."""
    tag: str | None
    digest: str | None
    """Manifest digest (``sha256:<64 hex>``, lower-case) when the reference pins one."""
    ecr: EcrRegistry | None = None
    """The private ECR registry the host names, if it is one."""

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
    def repository_name(self) -> str:
        """``registry/repository`` without tag or digest: what image policies and waivers
        name."""
        return f"{self.registry}/{self.repository}"

    @property
    def full_name(self) -> str:
        """``registry/repository[:tag][@digest]``, for display and JSON."""
        text = self.repository_name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def pinned(self) -> bool:
        """Referenced by digest: what runs cannot change under the same reference."""
        return self.digest is not None

    @property
    def ecr_registry_id(self) -> str | None:
        """The AWS account id of a private ECR registry, else ``None``."""
        return self.ecr.account if self.ecr is not None else None

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


_SPACE = re.compile(r"\s")
"""Any character ``str.isspace`` calls space (what ``\\s`` matches in a ``str`` pattern)."""


def _plausible(text: str) -> bool:
    return bool(text) and len(text) <= MAX_LENGTH and _SPACE.search(text) is None


def _split_tag(ref: str) -> tuple[str, str | None] | None:
    """``name[:tag]`` → name and tag (a ``:`` before the last ``/`` is a registry port)."""
    if ref.rfind(":") <= ref.rfind("/"):
        return ref, None
    name, _, tag = ref.rpartition(":")
    return (name, tag) if _TAG.match(tag) else None


def _split_host(name: str) -> tuple[str, str]:
    """Registry host (lower-case) and repository path; Docker Hub when no host is named."""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.lower(), rest
    return DOCKER_HUB, name


def _docker_hub(host: str, path: str) -> tuple[str, str]:
    """Every Docker Hub spelling as ``docker.io``, official images under ``library/``."""
    if host not in DOCKER_HUB_ALIASES:
        return host, path
    return DOCKER_HUB, path if "/" in path else f"library/{path}"


@lru_cache(maxsize=65536)
def parse_image(text: str) -> ImageRef | None:
    """The canonical reading; ``None`` when the text is not a reference Docker would pull
    (e.g. a template placeholder such as ``${IMAGE}`` or text with spaces). Memoised: an estate
    names each image from many containers and reports."""
    if not isinstance(text, str):
        return None
    ref = text.strip()
    if not _plausible(ref) or "://" in ref:
        return None
    digest: str | None = None
    if "@" in ref:
        ref, _, raw_digest = ref.partition("@")
        digest = normalise_digest(raw_digest)
        if digest is None:
            return None
    split = _split_tag(ref)
    if split is None:
        return None
    host, path = _split_host(split[0])
    path = path.lower()
    if not _HOST.match(host) or not path \
            or not all(_PATH_COMPONENT.match(part) for part in path.split("/")):
        return None
    ecr = parse_ecr_host(host)
    host, path = _docker_hub(host, path)
    return ImageRef(ecr.host if ecr is not None else host, path, split[1], digest, ecr)


@lru_cache(maxsize=65536)
def parse_reference(text: str) -> ImageRef | None:
    """The reference as written (host and case kept), for the image checks; ``None`` only
    when it does not split into a name at all (empty, spaces, empty path parts, a bad tag or
    digest). Memoised like :func:`parse_image`."""
    ref = text.strip()
    if not _plausible(ref):
        return None
    digest: str | None = None
    if "@" in ref:
        ref, _, raw_digest = ref.rpartition("@")
        digest = normalise_digest(raw_digest)
        if digest is None or not _HEX.match(digest.partition(":")[2]):
            return None
    split = _split_tag(ref)
    if split is None or any(not part for part in split[0].split("/")):
        return None
    host, path = _docker_hub(*_split_host(split[0]))
    return ImageRef(host, path, split[1], digest, parse_ecr_host(host))


def repository_of(text: str) -> ImageRef | None:
    """A ``RepoDigests`` entry (``repo@sha256:…``) as a repository reference without tag."""
    parsed = parse_image(text)
    if parsed is None:
        return None
    return ImageRef(parsed.registry, parsed.repository, None, parsed.digest, parsed.ecr)
