"""Squash an image's layers into one virtual file tree, streaming, without extracting.

Layers apply in order; ``.wh.<name>`` deletes ``<name>`` from lower layers and ``.wh..wh..opq``
hides a directory's lower contents (OCI image-spec layer.md). Compression is told from magic
bytes, not media types (gzip ``1f 8b``, zstd ``28 b5 2f fd``, else plain tar). Only the few files
the checks read (package databases, os-release) are kept in memory, each under a size cap;
everything else is just a path, its mode and the layer it came from.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, cast

import zstandard

from ecs_exposure.analysis.images.store import ImageError, Store, clean_member

MAX_CONTENT_BYTES = 64 * 1024 * 1024
"""Cap for one kept file (an rpmdb.sqlite of a large image is tens of MiB)."""
MAX_MEMBERS = 1_000_000
"""Cap on tar members across an image: real images have far fewer."""
MAX_LAYER_BYTES = 32 * 1024 ** 3
"""Cap on one layer's uncompressed size, so a decompression bomb ends instead of running on."""

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass
class Entry:
    """One path in the squashed tree."""

    kind: str
    """``file``, ``dir``, ``symlink`` or ``hardlink``."""
    mode: int
    layer: int
    link: str = ""
    content: bytes | None = None


@dataclass
class Tree:
    """The squashed filesystem, plus anything odd seen while building it."""

    entries: dict[str, Entry] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)
    """Path → highest layer whose whiteout removes it and everything under it."""
    hidden: dict[str, int] = field(default_factory=dict)
    """Directory → highest layer that hides its lower contents (opaque, or replaced by a
    non-directory); the directory entry itself stays."""
    members: int = 0

    def finish(self) -> None:
        """Apply whiteouts once, at the end: an entry from layer ``e`` is gone when a whiteout
        of its path or an ancestor comes from a later layer. Linear in entries × depth, so a
        layer full of whiteouts cannot make the squash quadratic."""
        if not self.removed and not self.hidden:
            return
        doomed = []
        for path, entry in self.entries.items():
            if self.removed.get(path, -1) > entry.layer:
                doomed.append(path)
                continue
            parent = path
            while "/" in parent:
                parent = parent.rsplit("/", 1)[0]
                if max(self.removed.get(parent, -1), self.hidden.get(parent, -1)) > entry.layer:
                    doomed.append(path)
                    break
        for path in doomed:
            del self.entries[path]

    def resolve(self, path: str, depth: int = 0) -> Entry | None:
        """Follow symlinks and hard links inside the tree (never outside the root)."""
        entry = self.entries.get(path)
        if entry is None and depth < 16:
            parent, _, base = path.rpartition("/")
            if parent:
                parent_entry = self.entries.get(parent)
                if parent_entry is not None and parent_entry.kind == "symlink":
                    target = _link_target(parent, parent_entry.link)
                    if target is not None:
                        return self.resolve(f"{target}/{base}" if target else base, depth + 1)
            return None
        if entry is None or depth >= 16:
            return None
        if entry.kind == "symlink":
            target = _link_target(path, entry.link)
            return self.resolve(target, depth + 1) if target else None
        if entry.kind == "hardlink":
            target = clean_member(entry.link)
            return self.resolve(target, depth + 1) if target else None
        return entry

    def content(self, path: str) -> bytes | None:
        """Kept content of ``path`` (after links), if it was kept."""
        entry = self.resolve(path)
        return entry.content if entry is not None else None


def _link_target(path: str, link: str) -> str | None:
    """Absolute links are relative to the image root; ``..`` cannot climb above it."""
    joined = link.lstrip("/") if link.startswith("/") else posixpath.join(
        posixpath.dirname(path), link)
    normal = posixpath.normpath(joined)
    if normal.startswith("..") or normal.startswith("/"):
        return None
    return "" if normal == "." else normal


def open_layer(stream: IO[bytes]) -> IO[bytes]:
    """Wrap a layer blob in the decompressor its first bytes call for."""
    head = stream.read(4)
    rest = _Prefixed(head, stream)
    source = cast(IO[bytes], rest)
    if head.startswith(_GZIP):
        return cast(IO[bytes], _Capped(gzip.GzipFile(fileobj=source, mode="rb")))
    if head.startswith(_ZSTD):
        return cast(IO[bytes], _Capped(zstandard.ZstdDecompressor().stream_reader(source)))
    return cast(IO[bytes], _Capped(source))


class _Capped:
    """Refuse to inflate a layer beyond ``MAX_LAYER_BYTES``."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.total += len(data)
        if self.total > MAX_LAYER_BYTES:
            raise ImageError(f"layer inflates beyond {MAX_LAYER_BYTES:,} bytes")
        return data

    def close(self) -> None:
        self.stream.close()


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.stream.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.stream.read(size - len(data))
            return data
        return self.stream.read(size)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.stream.close()


def apply_layer(tree: Tree, stream: IO[bytes], index: int, label: str,
                keep: Callable[[str], bool]) -> int:
    """Apply one uncompressed layer tar stream; returns the number of members read."""
    count = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                count += 1
                tree.members += 1
                if tree.members > MAX_MEMBERS:
                    raise ImageError(f"{label}: the image has more than {MAX_MEMBERS:,} "
                                     "entries")
                path = clean_member(member.name)
                if path is None:
                    tree.warnings.append(f"layer {index}: path traversal entry "
                                         f"{member.name[:200]!r} ignored")
                    continue
                if not path:
                    continue
                directory, _, base = path.rpartition("/")
                if base == OPAQUE:
                    tree.hidden[directory] = index
                    continue
                if base.startswith(WHITEOUT):
                    target = f"{directory}/{base[len(WHITEOUT):]}" if directory else \
                        base[len(WHITEOUT):]
                    tree.removed[target] = index
                    continue
                if member.isdir():
                    tree.entries[path] = Entry("dir", member.mode, index)
                    continue
                # A non-directory replaces whatever lower layers had under this path
                # (directory entries are optional in tars, so do not rely on seeing one).
                tree.hidden[path] = index
                if member.issym():
                    tree.entries[path] = Entry("symlink", member.mode, index, member.linkname)
                elif member.islnk():
                    tree.entries[path] = Entry("hardlink", member.mode, index, member.linkname)
                elif member.isfile():
                    content = None
                    if keep(path):
                        if member.size > MAX_CONTENT_BYTES:
                            tree.warnings.append(
                                f"layer {index}: {path} is {member.size:,} bytes, above the "
                                f"{MAX_CONTENT_BYTES:,}-byte cap; not read")
                        else:
                            handle = tar.extractfile(member)
                            content = handle.read(MAX_CONTENT_BYTES) if handle else None
                    tree.entries[path] = Entry("file", member.mode, index, content=content)
    except (tarfile.TarError, OSError, EOFError, zstandard.ZstdError) as exc:
        raise ImageError(f"{label}: layer {index} is not a readable tar stream: {exc}") from None
    return count


class _Hashing:
    """Hash a blob while it streams, so a tampered layer is caught without a second read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.hash.update(data)
        return data

    def drain(self) -> str:
        while self.read(1 << 20):
            pass
        return "sha256:" + self.hash.hexdigest()


def squash(store: Store, layers: list[tuple[str, str | None]],
           keep: Callable[[str], bool]) -> Tree:
    """Apply every ``(path, expected digest)`` layer in order."""
    tree = Tree()
    for index, (path, digest) in enumerate(layers):
        label = f"{store.label}: {path}"
        with store.open(path) as raw:
            hashing = _Hashing(raw)
            apply_layer(tree, open_layer(hashing), index, label, keep)  # type: ignore[arg-type]
            actual = hashing.drain()
        if digest is not None and digest.startswith("sha256:") and actual != digest:
            raise ImageError(f"{label}: layer {index} content does not match its digest "
                             f"{digest} (tampered or corrupt)")
    tree.finish()
    return tree
