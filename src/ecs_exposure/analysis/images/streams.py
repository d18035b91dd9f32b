"""Bounded byte streams under tarfile: regular files only, metered, with capped tar headers.

Three things an archive controls are made finite here. Opening: only regular files are ever
opened, so a FIFO or device planted as a blob cannot block the scan. Inflating: every byte a
decompressor yields (and every byte a compressed archive re-inflates to seek) is charged to the
load's :class:`~ecs_exposure.analysis.images.limits.Budget`. Headers: Python's ``tarfile``
reads a pax or GNU long-name header whole into memory, whatever size it claims, so
:class:`Meter` refuses, while ``tarfile`` parses a header, to read further than
``max_header_bytes`` past the header's start.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import struct
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import zstandard

from ecs_exposure.analysis.images.digests import Hasher
from ecs_exposure.analysis.images.limits import Budget, ImageError

CHUNK = 1 << 20
HEADER_SLACK = 16 * 1024
"""Header blocks and tarfile's read-ahead (one 10 KiB record) on top of the header cap."""

READ_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError,
    RecursionError, ValueError, struct.error)
"""What a malformed archive makes tarfile and the decompressors raise (RecursionError: tarfile
parses a chain of extended headers recursively)."""

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"


def open_regular(path: Path, what: str, *, follow: bool = True) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file (else ImageError naming ``what``).

    The type is checked before opening (a FIFO is never opened, so never waited on) and again
    on the descriptor, opened non-blocking, in case the path was swapped in between. With
    ``follow=False`` a symbolic link as the last component is refused too.
    """
    try:
        info = os.stat(path) if follow else os.lstat(path)
    except OSError as exc:
        raise ImageError(f"{what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ImageError(f"{what}: not a regular file")
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ImageError(f"{what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ImageError(f"{what}: not a regular file")
    return os.fdopen(fd, "rb")


class Meter:
    """A read-only stream that charges what it yields to a budget and caps tar headers.

    ``rewinds`` marks a decompressing stream that can only seek backwards by inflating again
    from the start (gzip, bzip2, xz): a seek is charged as the bytes it re-inflates.
    """

    def __init__(self, stream: Any, budget: Budget, *, rewinds: bool = False,
                 charge: bool = True, hasher: Hasher | None = None) -> None:
        self.stream = stream
        self.budget = budget
        self.rewinds = rewinds
        self.charge = charge
        self.hasher = hasher
        """Hashes what is read (a layer's ``diff_id`` is the digest of its uncompressed tar)."""
        self.pos = 0
        self.limit: int | None = None
        self.ended = False
        """An empty read was seen while tarfile parsed a header (the data has ended)."""

    def arm(self, start: int) -> None:
        """tarfile is about to parse the header at ``start``: cap how far it may read."""
        self.limit = start + self.budget.limits.max_header_bytes + HEADER_SLACK

    def disarm(self) -> None:
        """The header is parsed; member content may be read."""
        self.limit = None

    def read(self, size: int | None = -1) -> bytes:
        if self.limit is not None and (size is None or size < 0 or self.pos + size > self.limit):
            raise self.budget.error(
                "an extended tar header (pax or GNU long name) is larger than "
                f"{self.budget.limits.max_header_bytes:,} bytes", "max_header_bytes")
        data: bytes = self.stream.read(-1 if size is None else size)
        if not data and size != 0 and self.limit is not None:
            if self.ended:
                # tarfile skips a member by reading blocks, even past the end: a size field
                # claiming 2**60 bytes would keep it reading nothing for hours.
                raise ImageError(f"{self.budget.label}: tar stream ends inside an entry "
                                 "(truncated, or a size field larger than the data)")
            self.ended = True
        self.pos += len(data)
        if self.hasher is not None:
            self.hasher.update(data)
        if self.charge:
            self.budget.inflate(len(data))
        else:
            self.budget.tick()
        return data

    def drain(self) -> None:
        """Read (and charge, and hash) whatever is left."""
        while self.read(CHUNK):
            pass

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(getattr(self.stream, "seekable", lambda: False)())

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = {os.SEEK_SET: offset, os.SEEK_CUR: self.pos + offset}.get(whence)
        if target is None:
            raise OSError("only absolute and relative seeks are supported")
        reached: int = self.stream.seek(target)      # a decompressor stops at the end
        if self.rewinds and self.charge:
            self.budget.inflate(reached - self.pos if target >= self.pos else reached)
        self.pos = reached
        return self.pos

    def close(self) -> None:
        self.stream.close()


class Hashing:
    """Hash a stream while it is read, so content is checked without a second pass."""

    def __init__(self, stream: Any, hasher: Hasher | None) -> None:
        self.stream = stream
        self.hasher = hasher

    def read(self, size: int | None = -1) -> bytes:
        data: bytes = self.stream.read(-1 if size is None else size)
        if self.hasher is not None:
            self.hasher.update(data)
        return data

    def readable(self) -> bool:
        return True

    def drain(self) -> str:
        """Read what is left; the hex digest of everything read."""
        while self.read(CHUNK):
            pass
        return self.hasher.hexdigest() if self.hasher is not None else ""

    def close(self) -> None:
        self.stream.close()


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, stream: IO[bytes] | Hashing) -> None:
        self.head = head
        self.stream = stream

    def read(self, size: int | None = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.stream.read(-1), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.stream.read(size - len(data))
            return data
        return self.stream.read(-1 if size is None else size)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.stream.close()


def decompress_layer(stream: Hashing) -> Any:
    """The decompressor a layer blob's first bytes call for (gzip, zstd, else plain tar).

    zstd reads across frames: ``zstd:chunked`` layers are many frames, and stopping after the
    first would silently drop most of the layer.
    """
    head = stream.read(4)
    source = _Prefixed(head, stream)
    if head.startswith(_GZIP):
        return gzip.GzipFile(fileobj=cast(IO[bytes], source), mode="rb")
    if head.startswith(_ZSTD):
        return zstandard.ZstdDecompressor().stream_reader(cast(IO[bytes], source),
                                                          read_across_frames=True)
    return source


def open_archive(raw: BinaryIO, budget: Budget) -> Meter:
    """A seekable, metered view of an archive file, inflated if gzip, bzip2 or xz."""
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(_GZIP):
        return Meter(gzip.GzipFile(fileobj=raw, mode="rb"), budget, rewinds=True)
    if head.startswith(_BZIP2):
        return Meter(bz2.BZ2File(raw), budget, rewinds=True)
    if head.startswith(_XZ):
        return Meter(lzma.LZMAFile(raw), budget, rewinds=True)
    return Meter(raw, budget, charge=False)


def open_tar(meter: Meter, *, stream: bool) -> tarfile.TarFile:
    """``tarfile.open`` over a meter (as a forward-only stream, or seekable), its first header
    read under the header cap."""
    fileobj = cast(IO[bytes], meter)
    meter.arm(0)
    try:
        if stream:
            return tarfile.open(fileobj=fileobj, mode="r|")
        return tarfile.open(fileobj=fileobj, mode="r:")
    finally:
        meter.disarm()


def members(tar: tarfile.TarFile, meter: Meter, *, keep_seen: bool) -> Iterator[tarfile.TarInfo]:
    """The members of ``tar``, each header parsed under the header cap.

    ``keep_seen=False`` drops tarfile's list of members read so far: a stream never goes back
    to them, and a million-entry layer would otherwise keep a million TarInfo objects.
    """
    while True:
        meter.arm(tar.offset)
        try:
            member = tar.next()
        finally:
            meter.disarm()
        if member is None:
            return
        if not keep_seen:
            cast(Any, tar).members.clear()
        yield member
