"""Content digests as the OCI image-spec defines them (descriptor.md, "Digests").

A digest is ``algorithm:encoded``; its blob lives at ``blobs/<algorithm>/<encoded>``. Only the
registered algorithms with a fixed encoding are accepted — ``sha256`` (64 lowercase hex) and
``sha512`` (128 lowercase hex) — and each blob is checked with the algorithm its own digest
names, never with a default: a ``sha512:`` descriptor read from ``blobs/sha256/`` (or never
checked) would let a layout swap content under a digest nobody verified.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from ecs_exposure.analysis.images.limits import ImageError

ALGORITHMS = {"sha256": 64, "sha512": 128}
"""Algorithm → length of its lowercase-hex encoding."""
_HEX = re.compile(r"[0-9a-f]+")


class Hasher(Protocol):
    """What ``hashlib`` objects offer and the stream checks use."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def split(digest: str) -> tuple[str, str]:
    """``(algorithm, encoded)`` of a well-formed digest of a supported algorithm.

    Raises ImageError naming the digest otherwise: an unknown algorithm cannot be verified, so
    its blob is refused rather than trusted.
    """
    algorithm, sep, encoded = digest.partition(":")
    if not sep:
        raise ImageError(f"malformed digest {digest[:200]!r} (expected algorithm:hex)")
    length = ALGORITHMS.get(algorithm)
    if length is None:
        raise ImageError(f"unsupported digest algorithm {algorithm[:50]!r} in "
                         f"{digest[:200]!r} (supported: {', '.join(sorted(ALGORITHMS))})")
    if len(encoded) != length or not _HEX.fullmatch(encoded):
        raise ImageError(f"malformed {algorithm} digest {digest[:200]!r} (expected "
                         f"{length} lowercase hex digits)")
    return algorithm, encoded


def blob_path(digest: str) -> str:
    """``blobs/<algorithm>/<encoded>`` of a digest (validated by :func:`split`)."""
    algorithm, encoded = split(digest)
    return f"blobs/{algorithm}/{encoded}"


def hasher(digest: str) -> Hasher:
    """A fresh hash object of the digest's own algorithm."""
    return hashlib.new(split(digest)[0])


def of(data: bytes, digest: str) -> bool:
    """Whether ``data`` hashes to ``digest`` under the digest's algorithm."""
    algorithm, encoded = split(digest)
    return hashlib.new(algorithm, data).hexdigest() == encoded
