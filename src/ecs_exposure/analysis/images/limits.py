"""What reading one image archive or layout may cost, and the error when it costs more.

Image archives come from outside (a CI artifact, a colleague's ``docker save``), so every
quantity an archive controls is capped: bytes inflated, tar entries, manifests, header and
file sizes, and wall-clock time. The caps live here, in one frozen dataclass, and are charged
through one :class:`Budget` per archive or layout load. A cap that is hit is an
:class:`ImageError` naming the archive and the cap; the image is then unreadable (unknown), and
the assessment takes the unsafe side for it, as for any unreadable image. The README's
"Limits" section lists the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ecs_exposure.errors import ImageError as ImageError  # re-exported

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


class LimitError(ImageError):
    """A cap of :class:`ImageLimits` was hit: the whole load stops (never just a note)."""


@dataclass(frozen=True)
class ImageLimits:
    """Caps on the work one image archive or layout may cause (defaults fit real images)."""

    max_seconds: float = 300.0
    """Wall-clock budget for reading one archive or layout (index, manifests, every image's
    layers); a backstop for whatever the byte and entry caps let through on a slow machine."""
    max_inflated_bytes: int = 64 * GIB
    """Bytes decompressed or read as layer tar streams, summed over one archive or layout
    (including re-reads a compressed outer archive needs to seek), so a decompression bomb
    ends instead of running on. Large ML images are tens of GiB uncompressed."""
    max_archive_members: int = 100_000
    """Members of an image tar archive: a few per layer and blob; more is not an image."""
    max_manifests: int = 1_000
    """Index and manifest descriptors walked, plus ``manifest.json`` items, per archive or
    layout: a multi-platform image with signatures has a few dozen."""
    max_manifest_depth: int = 4
    """Nesting of indexes (containerd's store nests one index in another)."""
    max_metadata_bytes: int = 16 * MIB
    """One JSON document (index, manifest, config, signature blob): they are kilobytes."""
    max_metadata_total: int = 128 * MIB
    """All JSON documents read for one archive or layout, so many distinct manifests or
    configs cannot add up to gigabytes of parsed JSON."""
    max_header_bytes: int = 1 * MIB
    """Extended tar headers (pax ``x``/``g``, GNU long name ``L``/``K``) read for one member:
    Python's tarfile holds them whole in memory, and real ones are a path or a few xattrs."""
    max_entries: int = 500_000
    """Tar entries of one image, summed over its layers (a repeated layer counts each time):
    real images have tens to a few hundred thousand files."""
    max_file_bytes: int = 64 * MIB
    """One kept file (package database, os-release); above it the file is not read and a note
    says so (an rpmdb.sqlite of a large image is tens of MiB)."""
    max_kept_bytes: int = 256 * MIB
    """All kept files of one image held at once (e.g. every ``status.d`` file), so many files
    under the per-file cap cannot add up to gigabytes."""


def limit_error(label: str, what: str, field: str, limits: ImageLimits) -> LimitError:
    """The error for a cap that was hit: names the archive, what overflowed and the cap."""
    value = getattr(limits, field)
    shown = f"{value:,}" if isinstance(value, int) else f"{value:g} s"
    return LimitError(f"{label}: {what} (limit ImageLimits.{field} = {shown}); "
                      "image not read")


class Budget:
    """What one archive or layout load has spent, checked against its :class:`ImageLimits`.

    The store keeps its budget after the load (signature checks read blobs later), so
    :meth:`close` turns the shared totals and the clock off once the load is over; per-read
    caps (a document's size, a header's size) keep applying.
    """

    def __init__(self, limits: ImageLimits, label: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.label = label
        self.clock = clock
        self.started = clock()
        self.inflated = 0
        self.manifests = 0
        self.metadata = 0
        self.active = True

    def error(self, what: str, field: str) -> LimitError:
        """An error naming this archive and the cap."""
        return limit_error(self.label, what, field, self.limits)

    def tick(self) -> None:
        """Raise once the time budget is spent."""
        if self.active and self.clock() - self.started >= self.limits.max_seconds:
            raise self.error("reading took longer than the time budget", "max_seconds")

    def inflate(self, count: int) -> None:
        """Charge ``count`` decompressed (or layer-stream) bytes."""
        self.inflated += count
        if self.active and self.inflated > self.limits.max_inflated_bytes:
            raise self.error(f"image data inflates beyond {self.limits.max_inflated_bytes:,} "
                             "bytes", "max_inflated_bytes")
        self.tick()

    def manifest(self) -> None:
        """Charge one manifest descriptor or ``manifest.json`` item."""
        self.manifests += 1
        if self.active and self.manifests > self.limits.max_manifests:
            raise self.error(f"more than {self.limits.max_manifests:,} manifests",
                             "max_manifests")
        self.tick()

    def document(self, size: int) -> None:
        """Charge one JSON document of ``size`` bytes about to be read."""
        self.metadata += size
        if self.active and self.metadata > self.limits.max_metadata_total:
            raise self.error(f"metadata documents add up to more than "
                             f"{self.limits.max_metadata_total:,} bytes", "max_metadata_total")
        self.tick()

    def close(self) -> None:
        """The load is over: stop charging totals and time."""
        self.active = False
