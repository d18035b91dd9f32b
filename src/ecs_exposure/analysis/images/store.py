"""Read-only, size-capped access to the files of an image layout directory or archive.

Nothing is ever extracted to disk: a directory is read through paths checked to stay inside
it, opening regular files only, and a tar archive (``docker save``, an OCI layout tarball,
plain or gzip/bzip2/xz-compressed) is read member by member with ``extractfile``. Symbolic
links inside an archive (Docker 25+ links ``<id>/layer.tar`` to ``blobs/sha256/…``) are
followed only within the archive. Every store charges its reads to the load's
:class:`~ecs_exposure.analysis.images.limits.Budget`.
"""

from __future__ import annotations

import os
import posixpath
import stat
import tarfile
from pathlib import Path
from typing import IO

from ecs_exposure.analysis.images.limits import Budget, ImageError, ImageLimits
from ecs_exposure.analysis.images.streams import (
    READ_ERRORS,
    members,
    open_archive,
    open_regular,
    open_tar,
)


def clean_member(name: str) -> str | None:
    """Normalised relative path of an archive member, ``None`` for traversal attempts."""
    name = name.replace("\\", "/")
    if name.startswith("/") or any(part == ".." for part in name.split("/")):
        return None
    normal = posixpath.normpath(name)
    return "" if normal == "." else normal


class Store:
    """Files of one layout, addressed by relative POSIX path."""

    label: str
    budget: Budget

    def exists(self, name: str) -> bool:
        """Whether a regular file ``name`` exists."""
        raise NotImplementedError

    def open(self, name: str) -> IO[bytes]:
        """A stream over regular file ``name`` (caller closes it)."""
        raise NotImplementedError

    def size(self, name: str) -> int:
        """Size of ``name`` in bytes."""
        raise NotImplementedError

    def read(self, name: str, limit: int | None = None) -> bytes:
        """A whole (JSON) document, refused above ``limit`` bytes (default: the document cap)
        and charged to the load's metadata total."""
        field = "max_metadata_bytes"
        if limit is None:
            limit = self.budget.limits.max_metadata_bytes
        size = self.size(name)
        if size > limit:
            raise ImageError(f"{self.label}: {name} is {size:,} bytes, above the {limit:,}-byte "
                             f"limit (ImageLimits.{field})")
        self.budget.document(size)
        try:
            with self.open(name) as stream:
                return stream.read(limit + 1)[:limit]
        except READ_ERRORS as exc:
            raise ImageError(f"{self.label}: cannot read {name}: {exc}") from None

    def close(self) -> None:
        """Release the archive, if any."""


class DirStore(Store):
    """An OCI layout (or extracted ``docker save``) directory."""

    def __init__(self, root: Path, budget: Budget) -> None:
        self.root = root.resolve()
        self.label = str(root)
        self.budget = budget

    def _path(self, name: str) -> Path:
        clean = clean_member(name)
        if clean is None:
            raise ImageError(f"{self.label}: refusing path {name!r} outside the layout")
        try:
            path = (self.root / clean).resolve()
        except (OSError, RuntimeError) as exc:      # RuntimeError: a symlink loop
            raise ImageError(f"{self.label}: cannot read {name}: {exc}") from None
        if path != self.root and self.root not in path.parents:
            raise ImageError(f"{self.label}: {name!r} resolves outside the layout")
        return path

    def exists(self, name: str) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self._path(name)).st_mode)
        except (ImageError, OSError):
            return False

    def open(self, name: str) -> IO[bytes]:
        return open_regular(self._path(name), f"{self.label}: cannot read {name}", follow=False)

    def size(self, name: str) -> int:
        try:
            info = os.lstat(self._path(name))
        except OSError as exc:
            raise ImageError(f"{self.label}: cannot read {name}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(info.st_mode):
            raise ImageError(f"{self.label}: cannot read {name}: not a regular file")
        return info.st_size


class TarStore(Store):
    """A ``docker save`` or OCI layout tarball (optionally gzip, bzip2 or xz-compressed)."""

    def __init__(self, path: Path, budget: Budget) -> None:
        self.label = str(path)
        self.budget = budget
        raw = self._raw = open_regular(path, self.label)
        limit = budget.limits.max_archive_members
        found = []
        try:
            self._meter = open_archive(raw, budget)
            self._tar = open_tar(self._meter, stream=False)
            for member in members(self._tar, self._meter, keep_seen=False):
                found.append(member)
                if len(found) > limit:
                    raise budget.error(f"more than {limit:,} entries; not an image archive",
                                       "max_archive_members")
        except ImageError:
            raw.close()
            raise
        except READ_ERRORS as exc:
            raw.close()
            raise ImageError(f"{self.label}: not a readable tar archive: {exc}") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        for member in found:
            clean = clean_member(member.name)
            if clean is not None and (member.isreg() or member.issym() or member.islnk()):
                self._members[clean] = member

    def _resolve(self, name: str) -> tarfile.TarInfo:
        clean = clean_member(name)
        for _ in range(8):
            member = self._members.get(clean) if clean is not None else None
            if member is None:
                raise ImageError(f"{self.label}: no member {name!r}")
            if member.isreg():
                return member
            target = member.linkname
            if member.issym():
                target = posixpath.join(posixpath.dirname(clean or ""), target)
            clean = clean_member(target)
        raise ImageError(f"{self.label}: too many links resolving {name!r}")

    def exists(self, name: str) -> bool:
        try:
            self._resolve(name)
        except ImageError:
            return False
        return True

    def open(self, name: str) -> IO[bytes]:
        try:
            stream = self._tar.extractfile(self._resolve(name))
        except READ_ERRORS as exc:
            raise ImageError(f"{self.label}: cannot read {name}: {exc}") from None
        if stream is None:
            raise ImageError(f"{self.label}: {name} is not a regular file")
        return stream

    def size(self, name: str) -> int:
        return self._resolve(name).size

    def close(self) -> None:
        self._tar.close()
        self._meter.close()
        self._raw.close()


def open_store(path: Path, budget: Budget | None = None) -> Store:
    """A directory or an archive, judged by what is on disk (only a regular file is opened
    as an archive)."""
    budget = budget if budget is not None else Budget(ImageLimits(), str(path))
    if path.is_dir():
        return DirStore(path, budget)
    if path.exists():
        return TarStore(path, budget)
    raise ImageError(f"{path}: no such file or directory")


def is_archive(path: Path, limits: ImageLimits | None = None) -> bool:
    """Whether ``path`` is a regular file holding a tar archive (plain, gzip, bzip2 or xz),
    judged by its first header like ``tarfile.is_tarfile`` but never opening a FIFO or device
    and never reading an oversized first header whole."""
    budget = Budget(limits if limits is not None else ImageLimits(), str(path))
    try:
        raw = open_regular(path, str(path))
    except ImageError:
        return False
    with raw:
        try:
            with open_tar(open_archive(raw, budget), stream=False):
                return True
        except ImageError:
            return False
        except READ_ERRORS:
            return False
