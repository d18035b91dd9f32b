"""Writing into an output folder (``scan --output-dir``, ``fix --out``) without ever leaving it.

The folder is the user's choice, but what is already inside it may not be: a link left by
someone else (``DIR/plan.json`` → ``~/.bashrc``, ``DIR/prod/web`` → ``/etc``) must not turn
our write into a write somewhere else. So below the folder nothing is followed:

* every folder on the way is opened relative to its parent's descriptor with ``O_NOFOLLOW``
  and must be a real folder, so a link cannot be swapped in between the check and the write;
* every file is written to a fresh temporary file (``O_CREAT | O_EXCL | O_NOFOLLOW``) in that
  verified folder and renamed over its name: a rename replaces a name, it never writes through
  a link, and a reader never sees half a file;
* a name that already holds a link, a folder or a device where we want a file is refused
  with an error naming it: the tool never deletes what it did not write.

Platforms without ``dir_fd`` support (Windows) get the same checks path by path, which is as
good as the platform allows.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ecs_exposure.errors import OutputError
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters.base import Reporter, ReportOptions

MAX_LISTED = 10_000
"""Entries of an output folder examined for files left by an earlier run."""
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) \
    | getattr(os, "O_CLOEXEC", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
    | getattr(os, "O_CLOEXEC", 0)
_AT_SUPPORTED = {os.open, os.mkdir, os.stat, os.rename, os.unlink} <= os.supports_dir_fd
"""``os.replace`` takes the same ``dir_fd`` arguments as ``os.rename`` (the set lists only
the latter)."""


def _parts(relative: str) -> list[str]:
    parts = relative.split("/")
    if any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
        raise ValueError(f"not a plain relative path: {relative!r}")
    return parts


class OutputDir:
    """One output folder, written without following anything below it.

    Use it as a context manager; ``written`` lists what this run wrote (relative paths).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(root, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0)) \
                if _AT_SUPPORTED else -1
        except OSError as exc:
            raise OutputError(f"{root}: cannot use as the output folder: "
                              f"{exc.strerror or exc}") from None

    def __enter__(self) -> OutputDir:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder's descriptor."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _refuse(self, relative: str, why: str) -> OutputError:
        return OutputError(f"{self.root / relative}: {why}; refusing to write through it "
                           "(move it away, or choose another folder)")

    def _folder(self, parts: Sequence[str]) -> int:
        """Descriptor of the folder ``parts`` below the root, created as needed, each step
        a real folder (the caller closes it)."""
        fd = os.dup(self._fd)
        for depth, name in enumerate(parts):
            try:
                os.mkdir(name, dir_fd=fd)
            except FileExistsError:
                pass
            except OSError as exc:
                os.close(fd)
                raise OutputError(f"{self.root / '/'.join(parts[:depth + 1])}: cannot create: "
                                  f"{exc.strerror or exc}") from None
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                raise self._refuse("/".join(parts[:depth + 1]),
                                   "is a symbolic link or not a folder") from None
            finally:
                os.close(fd)
            fd = child
        return fd

    @contextmanager
    def open_binary(self, relative: str) -> Iterator[BinaryIO]:
        """A new file at ``relative`` (``/``-separated) for writing: it replaces the old one
        only when the body finished without an error."""
        parts = _parts(relative)
        if not _AT_SUPPORTED:
            with self._open_by_path(relative, parts) as handle:
                yield handle
            return
        folder = self._folder(parts[:-1])
        name, temporary = parts[-1], f".{parts[-1]}.{secrets.token_hex(6)}.tmp"
        try:
            self._check_replaceable(folder, name, relative)
            try:
                descriptor = os.open(temporary, _NEW_FILE, 0o666, dir_fd=folder)
            except OSError as exc:
                raise self._cannot(relative, exc) from None
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    yield handle
                os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
            except BaseException as exc:
                os.unlink(temporary, dir_fd=folder)
                if isinstance(exc, OSError):
                    raise self._cannot(relative, exc) from None
                raise
        finally:
            os.close(folder)
        self.written.add(relative)

    def _cannot(self, relative: str, exc: OSError) -> OutputError:
        return OutputError(f"{self.root / relative}: cannot write: {exc.strerror or exc}")

    def _check_replaceable(self, folder: int, name: str, relative: str) -> None:
        try:
            mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISREG(mode):
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise self._refuse(relative, f"is {kind}")

    @contextmanager
    def _open_by_path(self, relative: str, parts: list[str]) -> Iterator[BinaryIO]:
        """The same checks, path by path, where descriptors relative to a folder are not
        available."""
        path = self.root
        for depth, name in enumerate(parts):
            path = path / name
            if path.is_symlink():
                raise self._refuse("/".join(parts[:depth + 1]), "is a symbolic link")
            if depth < len(parts) - 1:
                path.mkdir(exist_ok=True)
        if path.exists() and not path.is_file():
            raise self._refuse(relative, "is not a regular file")
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        with open(temporary, "xb") as handle:
            try:
                yield handle
            except BaseException:
                handle.close()
                temporary.unlink()
                raise
        os.replace(temporary, path)
        self.written.add(relative)

    def write_bytes(self, relative: str, data: bytes) -> None:
        """Write ``data`` to ``relative`` (``/``-separated)."""
        with self.open_binary(relative) as handle:
            handle.write(data)

    def write_text(self, relative: str, text: str) -> None:
        """Write ``text`` as UTF-8 to ``relative``."""
        self.write_bytes(relative, text.encode("utf-8"))

    def existing(self, limit: int = MAX_LISTED) -> tuple[list[str], bool]:
        """What is in the folder now (files, links and anything else that is not a folder),
        as relative paths, links not followed; and whether the listing stopped at ``limit``
        entries."""
        found: list[str] = []
        for top, folders, files in os.walk(self.root, followlinks=False):
            folders.sort()
            base = Path(top).relative_to(self.root)
            links = [d for d in folders if (Path(top) / d).is_symlink()]
            for name in sorted(files + links):
                if len(found) == limit:
                    return sorted(found), True
                found.append((base / name).as_posix())
        return sorted(found), False


def write_reports(output_dir: Path, reporters: Sequence[Reporter], result: ScanResult,
                  options: ReportOptions) -> None:
    """``scan --output-dir``: each chosen reporter to its own file name in ``output_dir``,
    nothing below the folder followed."""
    with OutputDir(output_dir) as out:
        for reporter in reporters:
            with out.open_binary(reporter.filename) as handle:
                if reporter.binary:
                    reporter.write(result, handle, options)
                    continue
                text = io.TextIOWrapper(handle, encoding="utf-8")
                try:
                    reporter.write(result, text, options)
                    text.flush()
                finally:
                    text.detach()
