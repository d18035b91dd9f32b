"""Resolve a JSON pointer inside an input file to a line and column.

SARIF, the table and the JSON result point users at the exact line of the offending field.
Files are re-read only for evidence that is reported, and each file is indexed once. JSON files
are handled here; other formats (YAML templates, Terraform HCL) by the locators of
:mod:`ecs_exposure.sources.iac.locate`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from ecs_exposure.sources.jsonfile import looks_like_json

MAX_POINTER_DEPTH = 256
"""Pointers with more tokens are not looked up: the walk recurses once per level, and no
readable document nests this deep (``jsonfile.MAX_DEPTH``)."""


@dataclass(frozen=True, slots=True)
class Position:
    """1-based line and column of a value in a file."""

    line: int
    column: int


_WHITESPACE = re.compile(r"[ \t\r\n\ufeff]*")
_DECODER = json.JSONDecoder()


def _positions(text: str, pointers: list[str]) -> list[Position | None]:
    """Positions of many pointers, lines counted once from the start to the last of them
    (at C speed, without a table of every line start)."""
    offsets = json_offsets(text, pointers)
    found: dict[int, Position] = {}
    line, counted = 1, 0
    for offset in sorted(set(offsets.values())):
        line += text.count("\n", counted, offset)
        counted = offset
        found[offset] = Position(line, offset - text.rfind("\n", 0, offset))
    return [found[offsets[p]] if p in offsets else None for p in pointers]


class _Wanted:
    """A node of the pointers wanted in one file: the pointer ending here (if any) and the
    members below it that are wanted."""

    __slots__ = ("children", "pointer")

    def __init__(self) -> None:
        self.children: dict[str, _Wanted] = {}
        self.pointer: str | None = None


_KEY = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\r\n]*:[ \t\r\n]*')
"""A member's key, its colon and the whitespace up to its value."""
_AFTER_VALUE = re.compile(r"[ \t\r\n]*(?:,[ \t\r\n]*)?")


def json_offsets(text: str, pointers: Iterable[str]) -> dict[str, int]:
    """Offsets of many pointers in one JSON text, in a single walk.

    The pointers form a tree; each container on it is read member by member only until its
    wanted members are found, and every other value is skipped by the C JSON scanner.
    Pointers that are not in the text (or lie past a syntax error) are left out.
    """
    root = _Wanted()
    for pointer in pointers:
        if pointer and not pointer.startswith("/"):
            continue
        tokens = pointer[1:].split("/") if pointer else []
        if len(tokens) > MAX_POINTER_DEPTH:
            continue
        node = root
        for token in tokens:
            node = node.children.setdefault(token, _Wanted())
        node.pointer = pointer
    found: dict[str, int] = {}
    start = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    if root.pointer is not None:
        found[root.pointer] = start
    if root.children:
        try:
            _walk_wanted(text, start, root, found)
        except (ValueError, RecursionError, IndexError):
            pass                                                # malformed from here on
    return found


def _walk_wanted(text: str, pos: int, node: _Wanted, found: dict[str, int]) -> int | None:
    """Record the wanted members of the container at ``pos``; the offset just past it when
    it was read to its end, ``None`` when the walk stopped once everything was found."""
    opening = text[pos]
    if opening not in "{[":
        return None
    is_object = opening == "{"
    pending = dict(node.children)
    pos = _WHITESPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    index = 0
    while text[pos] not in "]}":
        if is_object:
            key = _KEY.match(text, pos)
            if key is None:
                raise ValueError("not a member")
            token = key.group(1)
            if "\\" in token:
                token = _DECODER.decode(f'"{token}"')
            token = token.replace("~", "~0").replace("/", "~1")
            pos = key.end()
        else:
            token = str(index)
        index += 1
        child = pending.pop(token, None)
        end: int | None = None
        if child is not None:
            if child.pointer is not None:
                found[child.pointer] = pos
            if child.children:
                end = _walk_wanted(text, pos, child, found)
            if not pending:
                return None
        if end is None:
            _, end = _DECODER.raw_decode(text, pos)
        pos = _AFTER_VALUE.match(text, end).end()  # type: ignore[union-attr]
    return pos + 1


@lru_cache(maxsize=64)
def _json_text(path: str, mtime: float) -> str | None:
    """A JSON input's text, read once while a report locates several pointers in it."""
    data = Path(path).read_bytes()
    if not looks_like_json(data):
        return None
    return data.decode("utf-8", errors="replace")


BACKGROUND_MINIMUM = 5_000
"""Distinct pointers from which a background prefetch is worth a separate process."""


class PositionCache:
    """Line and column of many pointers, each input file read and indexed once.

    A report locates the evidence of every trait: on a large estate that is tens of thousands
    of pointers into thousands of files. :meth:`prefetch` takes them all at once and reads each
    file a single time, keeping only one file's index in memory at a time; :meth:`locate` then
    answers from the table (and locates anything not prefetched on demand).

    With ``background=True`` and at least :data:`BACKGROUND_MINIMUM` pointers, the JSON
    files are read in a separate process while the caller
    goes on (the scan starts it when the detectors are done, so the files are read during the
    exposure stage, on the second core); the first :meth:`locate` collects the answers.
    """

    def __init__(self) -> None:
        self._found: dict[str, dict[str, Position | None]] = {}
        """File → pointer → position (nested rather than keyed by pairs: a large scan
        locates hundreds of thousands of pointers, and each pair would be one more tuple)."""
        self._worker: subprocess.Popen[bytes] | None = None
        self._groups: dict[str, list[str]] = {}
        self.worker_peak_kib: int | None = None
        """Peak memory of the background worker, once its answers are in."""

    def prefetch(self, pairs: Iterable[tuple[str, str]], *, background: bool = False) -> None:
        """Locate every ``(path, pointer)`` pair, grouped by file (files in path order, each
        file's pointers sorted, whatever the order and repeats of ``pairs``)."""
        self._collect()
        by_file: dict[str, set[str]] = {}
        for path, pointer in pairs:
            if pointer not in self._found.get(path, ()):
                by_file.setdefault(path, set()).add(pointer)
        groups = {path: sorted(by_file[path]) for path in sorted(by_file)}
        if background and sum(map(len, groups.values())) >= BACKGROUND_MINIMUM \
                and self._start(groups):
            return
        self._resolve(groups)

    def _start(self, groups: dict[str, list[str]]) -> bool:
        """Hand ``groups`` to a worker process; ``False`` when none can be started."""
        try:
            worker = subprocess.Popen(
                [sys.executable, "-m", "ecs_exposure.sources.position_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except (OSError, ValueError):
            return False
        payload = orjson.dumps(groups)

        def send() -> None:         # the pipe fills before the worker reads: do not wait
            try:
                assert worker.stdin is not None
                worker.stdin.write(payload)
                worker.stdin.close()
            except (OSError, ValueError):
                pass                # the worker is gone: its answer will be missing

        threading.Thread(target=send, name="ecs-exposure positions", daemon=True).start()
        self._worker, self._groups = worker, groups
        return True

    def _collect(self) -> None:
        """Take the worker's answers; what it could not do (non-JSON files, or everything if
        it failed) is located here."""
        worker = self._worker
        if worker is None:
            return
        answers: dict[str, Any] = {}
        try:
            assert worker.stdout is not None
            output = worker.stdout.read()
            if worker.wait() == 0:
                reply = orjson.loads(output)
                del output                          # the peak of a large scan is near
                answers = reply["found"] if isinstance(reply["found"], dict) else {}
                self.worker_peak_kib = reply.get("peak_kib")
        except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            answers = {}                            # locate everything here instead
        groups = self._groups
        self.close()
        left: dict[str, list[str]] = {}
        for path, pointers in groups.items():
            found = answers.pop(path, None)         # each file's answers freed once kept
            if not isinstance(found, list) or len(found) != len(pointers):
                left[path] = pointers
                continue
            self._found.setdefault(path, {}).update(
                (pointer, None if at is None else Position(*at))
                for pointer, at in zip(pointers, found, strict=True))
        self._resolve(left)

    def close(self) -> None:
        """Stop a background prefetch whose answers nobody will read."""
        worker, self._worker, self._groups = self._worker, None, {}
        if worker is None:
            return
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        for stream in (worker.stdout, worker.stdin):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def _resolve(self, groups: dict[str, list[str]]) -> None:
        for path, pointers in groups.items():
            located = _locate_all(path, pointers) or [None] * len(pointers)
            self._found.setdefault(path, {}).update(zip(pointers, located, strict=True))

    def locate(self, path: str, pointer: str) -> Position | None:
        """Position of ``pointer`` in ``path``; ``None`` when unknown."""
        self._collect()
        known = self._found.setdefault(path, {})
        if pointer not in known:
            known[pointer] = locate(path, pointer)
        return known[pointer]


def locate_json_files(groups: dict[str, list[str]],
                      ) -> dict[str, list[tuple[int, int] | None] | None]:
    """``(line, column)`` of each pointer of each JSON file (``None`` for a file that is not
    JSON or cannot be read: the caller locates those itself). Runs in the worker process."""
    answers: dict[str, list[tuple[int, int] | None] | None] = {}
    for path, pointers in groups.items():
        found = _locate_all(path, pointers, json_only=True)
        answers[path] = None if found is None else \
            [None if at is None else (at.line, at.column) for at in found]
    return answers


def _locate_all(path: str, pointers: list[str], *,
                json_only: bool = False) -> list[Position | None] | None:
    """Positions of ``pointers`` in one file read once (``None`` with ``json_only`` when the
    file is unreadable or not JSON)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None if json_only else [None] * len(pointers)
    if looks_like_json(data):
        return _positions(data.decode("utf-8", errors="replace"), pointers)
    return None if json_only else [_locate_other(data, pointer) for pointer in pointers]


def _locate_other(data: bytes, pointer: str) -> Position | None:
    # Imported here: the YAML and HCL parsers load only when evidence sits in such a file
    # (the position worker process never needs them).
    from ecs_exposure.sources.iac.locate import LOCATORS

    for locator in LOCATORS:
        found = locator(data, pointer)
        if found is not None:
            return Position(*found)
    return None


def locate(path: str, pointer: str) -> Position | None:
    """Line and column of ``pointer`` in the file at ``path``; ``None`` when unknown (one
    pointer: :class:`PositionCache` locates many at once)."""
    try:
        file = Path(path)
        text = _json_text(str(file), file.stat().st_mtime)
        if text is not None:
            return _positions(text, [pointer])[0]
        data = file.read_bytes()
    except OSError:
        return None
    return _locate_other(data, pointer)
