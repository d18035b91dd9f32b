"""Squash an image's layers into one virtual file tree, streaming, without extracting.

Layers apply in order; ``.wh.<name>`` deletes ``<name>`` from lower layers and ``.wh..wh..opq``
hides a directory's lower contents (OCI image-spec layer.md). Compression is told from magic
bytes, not media types (gzip ``1f 8b``, zstd ``28 b5 2f fd``, else plain tar). Only the few files
the checks read (package databases, os-release) are kept in memory, each under a size cap and
all of them under a total; everything else is just a path, its mode and the layer it came from.

Each layer is verified while it streams: against its descriptor digest (compressed bytes), or,
for ``docker save`` layers that have none, against the config's ``rootfs.diff_ids`` entry
(uncompressed bytes). A layer listed more than once in a load (the same base under several
images, or one blob repeated in a manifest) is read once: its changes are kept and replayed.
"""

from __future__ import annotations

import posixpath
import tarfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ecs_exposure.analysis.images import digests
from ecs_exposure.analysis.images.layout import Layer
from ecs_exposure.analysis.images.limits import Budget, ImageError, limit_error
from ecs_exposure.analysis.images.store import Store, clean_member
from ecs_exposure.analysis.images.streams import (
    READ_ERRORS,
    Hashing,
    Meter,
    decompress_layer,
    members,
    open_tar,
)

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True, slots=True)
class Change:
    """One tar member of a layer, as the squash applies it.

    ``kind`` is ``dir``, ``file``, ``symlink``, ``hardlink``, ``other`` (device, FIFO: it only
    hides what lower layers had there), ``whiteout``, ``opaque``, ``oversize`` (a kept file
    above the per-file cap), ``traversal`` (``path`` is then the raw name) or ``skip``.
    """

    kind: str
    path: str
    mode: int = 0
    link: str = ""
    content: bytes | None = None
    size: int = 0


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
    kept: int = 0
    """Bytes of kept file content currently held."""

    def apply(self, change: Change, index: int, label: str, budget: Budget) -> None:
        """Apply one change of layer ``index``, charging entries and kept bytes."""
        limits = budget.limits
        self.members += 1
        if self.members > limits.max_entries:
            raise limit_error(label, f"the image has more than {limits.max_entries:,} entries",
                              "max_entries", limits)
        if not self.members % 4096:
            budget.tick()
        kind, path = change.kind, change.path
        if kind == "skip":
            return
        if kind == "traversal":
            self.warnings.append(f"layer {index}: path traversal entry {path!r} ignored")
        elif kind == "opaque":
            self.hidden[path] = index
        elif kind == "whiteout":
            self.removed[path] = index
        elif kind == "dir":
            self.entries[path] = Entry("dir", change.mode, index)
        else:
            # A non-directory replaces whatever lower layers had under this path
            # (directory entries are optional in tars, so do not rely on seeing one).
            self.hidden[path] = index
            if kind == "symlink":
                self.entries[path] = Entry("symlink", change.mode, index, change.link)
            elif kind == "hardlink":
                self.entries[path] = Entry("hardlink", change.mode, index, change.link)
            elif kind == "oversize":
                self.warnings.append(f"layer {index}: {path} is {change.size:,} bytes, above the "
                                     f"{limits.max_file_bytes:,}-byte cap; not read")
                self._put(path, Entry("file", change.mode, index), label, budget)
            elif kind == "file":
                self._put(path, Entry("file", change.mode, index, content=change.content),
                          label, budget)

    def _put(self, path: str, entry: Entry, label: str, budget: Budget) -> None:
        old = self.entries.get(path)
        if old is not None and old.content is not None:
            self.kept -= len(old.content)
        self.entries[path] = entry
        if entry.content is not None:
            self.kept += len(entry.content)
            cap = budget.limits.max_kept_bytes
            if self.kept > cap:
                raise limit_error(label, f"kept files (package databases, os-release) add up "
                                  f"to more than {cap:,} bytes", "max_kept_bytes", budget.limits)

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


def _changes(tar: tarfile.TarFile, meter: Meter, keep: Callable[[str], bool],
             max_file: int) -> Iterator[Change]:
    """The changes of one uncompressed layer tar stream, reading kept files' content."""
    for member in members(tar, meter, keep_seen=False):
        path = clean_member(member.name)
        if path is None:
            yield Change("traversal", member.name[:200])
            continue
        if not path:
            yield Change("skip", "")
            continue
        directory, _, base = path.rpartition("/")
        if base == OPAQUE:
            yield Change("opaque", directory)
        elif base.startswith(WHITEOUT):
            yield Change("whiteout", f"{directory}/{base[len(WHITEOUT):]}" if directory
                         else base[len(WHITEOUT):])
        elif member.isdir():
            yield Change("dir", path, member.mode)
        elif member.issym():
            yield Change("symlink", path, member.mode, member.linkname)
        elif member.islnk():
            yield Change("hardlink", path, member.mode, member.linkname)
        elif member.isreg():
            content = None
            if keep(path):
                if member.size > max_file:
                    yield Change("oversize", path, member.mode, size=member.size)
                    continue
                handle = tar.extractfile(member)
                content = handle.read(max_file) if handle else None
            yield Change("file", path, member.mode, content=content)
        else:
            yield Change("other", path, member.mode)


def _read_layer(store: Store, layer: Layer, index: int, label: str,
                keep: Callable[[str], bool]) -> Iterator[Change]:
    """Stream one layer's changes, then check it against its digest (blob or diff_id)."""
    expected = layer.digest if layer.digest is not None else layer.diff_id
    if expected is None:
        raise ImageError(f"{label}: layer {index} has no rootfs.diff_ids entry in the image "
                         "config, so its content cannot be verified")
    try:
        check = digests.hasher(expected)
        path = digests.blob_path(expected) if layer.digest is not None else layer.path
    except ImageError as exc:
        raise ImageError(f"{label}: layer {index}: {exc}") from None
    budget = store.budget
    with store.open(path) as raw:
        try:
            blob = Hashing(raw, check if layer.digest is not None else None)
            meter = Meter(decompress_layer(blob), budget,
                          hasher=None if layer.digest is not None else check)
            with open_tar(meter, stream=True) as tar:
                yield from _changes(tar, meter, keep, budget.limits.max_file_bytes)
            if layer.digest is None:
                meter.drain()                       # the rest of the uncompressed stream
            blob.drain()
        except ImageError:
            raise
        except READ_ERRORS as exc:
            raise ImageError(f"{label}: layer {index} is not a readable tar stream: "
                             f"{exc}") from None
    if check.hexdigest() != digests.split(expected)[1]:
        what = "its digest" if layer.digest is not None else "the config's diff_id"
        raise ImageError(f"{label}: layer {index} content does not match {what} {expected} "
                         "(tampered or corrupt)")


LayerKey = tuple[str, str | None, str | None]


def _key(layer: Layer) -> LayerKey:
    return layer.path, layer.digest, layer.diff_id


class LayerCache:
    """Changes of the layers a load lists more than once, so each such blob is read once.

    Only verified layers are kept (a layer is stored after its digest checked), and the cache
    holds at most ``max_entries`` changes and ``max_kept_bytes`` of content in all; beyond
    that a repeated layer is read again, still within the load's budget.
    """

    def __init__(self, layers: Iterable[Layer], budget: Budget) -> None:
        counts = Counter(_key(layer) for layer in layers)
        self.repeated = {key for key, count in counts.items() if count > 1}
        self.limits = budget.limits
        self.changes: dict[LayerKey, list[Change]] = {}
        self.size = 0
        self.kept = 0

    def get(self, layer: Layer) -> list[Change] | None:
        """The kept changes of ``layer``, if it was read before."""
        return self.changes.get(_key(layer))

    def wants(self, layer: Layer) -> bool:
        """Whether ``layer`` is listed again later and not kept yet."""
        key = _key(layer)
        return key in self.repeated and key not in self.changes

    def put(self, layer: Layer, changes: list[Change]) -> None:
        """Keep a verified layer's changes, if they fit."""
        kept = sum(len(c.content) for c in changes if c.content is not None)
        if (self.size + len(changes) <= self.limits.max_entries
                and self.kept + kept <= self.limits.max_kept_bytes):
            self.changes[_key(layer)] = changes
            self.size += len(changes)
            self.kept += kept


def squash(store: Store, layers: list[Layer], keep: Callable[[str], bool],
           cache: LayerCache | None = None) -> Tree:
    """Apply every layer in order (replaying a layer the cache already holds)."""
    tree = Tree()
    budget = store.budget
    for index, layer in enumerate(layers):
        label = f"{store.label}: {layer.path}"
        budget.tick()
        kept = cache.get(layer) if cache is not None else None
        if kept is not None:
            for change in kept:
                tree.apply(change, index, label, budget)
            continue
        record: list[Change] | None = [] if cache is not None and cache.wants(layer) else None
        for change in _read_layer(store, layer, index, label, keep):
            tree.apply(change, index, label, budget)
            if record is not None:
                record.append(change)
        if cache is not None and record is not None:
            cache.put(layer, record)
    tree.finish()
    return tree
