"""Read-only, size-capped access to the files of an image layout directory or archive.

Nothing is ever extracted to disk: a directory is read through paths checked to stay inside
it, and a tar archive (``docker save``, an OCI layout tarball) is read member by member with
``extractfile``. Symbolic links inside an archive (Docker 25+ links ``<id>/layer.tar`` to
``blobs/sha256/…``) are followed only within the archive.
"""

from __future__ import annotations

import posixpath
import tarfile
from pathlib import Path
from typing import IO

from ecs_exposure.errors import ImageError as ImageError  # re-exported

MAX_METADATA_BYTES = 16 * 1024 * 1024
"""index.json, manifests, configs and signature blobs are small; anything larger is hostile."""


MAX_ARCHIVE_MEMBERS = 100_000
"""An image archive holds a few files per layer and blob; more is not an image."""


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

    def exists(self, name: str) -> bool:
        """Whether a regular file ``name`` exists."""
        raise NotImplementedError

    def open(self, name: str) -> IO[bytes]:
        """A stream over file ``name`` (caller closes it)."""
        raise NotImplementedError

    def size(self, name: str) -> int:
        """Size of ``name`` in bytes."""
        raise NotImplementedError


    def read(self, name: str, limit: int = MAX_METADATA_BYTES) -> bytes:
        """Whole file, refused above ``limit`` bytes."""
        size = self.size(name)
        if size > limit:
            raise ImageError(f"{self.label}: {name} is {size:,} bytes, above the "
                             f"{limit:,}-byte limit")
        with self.open(name) as stream:
            return stream.read(limit + 1)[:limit]

    def close(self) -> None:
        """Release the archive, if any."""


class DirStore(Store):
    """An OCI layout (or extracted ``docker save``) directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.label = str(root)

    def _path(self, name: str) -> Path:
        clean = clean_member(name)
        if clean is None:
            raise ImageError(f"{self.label}: refusing path {name!r} outside the layout")
        path = (self.root / clean).resolve()
        if path != self.root and self.root not in path.parents:
            raise ImageError(f"{self.label}: {name!r} resolves outside the layout")
        return path

    def exists(self, name: str) -> bool:
        try:
            return self._path(name).is_file()
        except ImageError:
            return False

    def open(self, name: str) -> IO[bytes]:
        try:
            return self._path(name).open("rb")
        except OSError as exc:
            raise ImageError(f"{self.label}: cannot read {name}: {exc.strerror or exc}") from None

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except OSError as exc:
            raise ImageError(f"{self.label}: cannot read {name}: {exc.strerror or exc}") from None



class TarStore(Store):
    """A ``docker save`` or OCI layout tarball (optionally gzip-compressed)."""

    def __init__(self, path: Path) -> None:
        self.label = str(path)
        members = []
        try:
            self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed by close()
            for member in self._tar:
                members.append(member)
                if len(members) > MAX_ARCHIVE_MEMBERS:
                    self._tar.close()
                    raise ImageError(f"{self.label}: more than {MAX_ARCHIVE_MEMBERS:,} "
                                     "entries; not an image archive")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ImageError(f"{self.label}: not a readable tar archive: {exc}") from None
        self._members: dict[str, tarfile.TarInfo] = {}
        for member in members:
            clean = clean_member(member.name)
            if clean is not None and (member.isfile() or member.issym() or member.islnk()):
                self._members[clean] = member

    def _resolve(self, name: str) -> tarfile.TarInfo:
        clean = clean_member(name)
        for _ in range(8):
            member = self._members.get(clean) if clean is not None else None
            if member is None:
                raise ImageError(f"{self.label}: no member {name!r}")
            if member.isfile():
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
        stream = self._tar.extractfile(self._resolve(name))
        if stream is None:
            raise ImageError(f"{self.label}: {name} is not a regular file")
        return stream

    def size(self, name: str) -> int:
        return self._resolve(name).size


    def close(self) -> None:
        self._tar.close()


def open_store(path: Path) -> Store:
    """A directory or an archive, judged by what is on disk."""
    if path.is_dir():
        return DirStore(path)
    if path.is_file():
        return TarStore(path)
    raise ImageError(f"{path}: no such file or directory")
