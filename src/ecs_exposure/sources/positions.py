"""Resolve a JSON pointer inside an input file to a line and column.

SARIF, the table and the JSON result point users at the exact line of the offending field.
Files are re-read only for evidence that is reported, and each file is indexed once. JSON files
are handled here; other formats (YAML templates) register a locator in ``LOCATORS``.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ecs_exposure.sources.jsonfile import MAX_DEPTH, looks_like_json


@dataclass(frozen=True)
class Position:
    """1-based line and column of a value in a file."""

    line: int
    column: int


Locator = Callable[[bytes, str], "Position | None"]
"""``(file bytes, JSON pointer) → position`` for one file format; ``None`` if not its format."""
LOCATORS: list[Locator] = []


_WHITESPACE = re.compile(r"[ \t\r\n\ufeff]*")
_DECODER = json.JSONDecoder()


class _JsonIndex:
    """Offsets of the values in a JSON text, keyed by JSON pointer, found lazily.

    Only the containers on the way to a requested pointer are walked, each once: a member's
    key is read and its value skipped with the C JSON scanner (``raw_decode``), so locating
    evidence in a large export costs what reading it once costs, not a Python loop per byte.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts: list[int] | None = None
        self.positions: dict[str, int] = {"": self._skip(0)}
        self._walked: set[str] = set()

    def _skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def _walk(self, pointer: str, depth: int) -> None:
        """Record the offset of every member of the container at ``pointer``."""
        if pointer in self._walked or depth > MAX_DEPTH:
            return
        self._walked.add(pointer)
        text, pos = self.text, self.positions[pointer]
        if pos >= len(text) or text[pos] not in "{[":
            return
        is_object = text[pos] == "{"
        pos = self._skip(pos + 1)
        index = 0
        try:
            while pos < len(text) and text[pos] not in "]}":
                if is_object:
                    key, pos = _DECODER.raw_decode(text, pos)
                    pos = self._skip(pos)
                    pos = self._skip(pos + 1)           # the colon
                    token = str(key).replace("~", "~0").replace("/", "~1")
                else:
                    token = str(index)
                    index += 1
                self.positions[f"{pointer}/{token}"] = pos
                _, pos = _DECODER.raw_decode(text, pos)
                pos = self._skip(pos)
                if pos < len(text) and text[pos] == ",":
                    pos = self._skip(pos + 1)
        except (ValueError, RecursionError):
            return                                      # malformed from here: keep what we have

    def offset(self, pointer: str) -> int | None:
        """Offset of the value at ``pointer``, walking only the containers on its way."""
        if pointer in self.positions:
            return self.positions[pointer]
        if not pointer.startswith("/"):
            return None
        tokens = pointer[1:].split("/")
        current = ""
        for depth, token in enumerate(tokens):
            self._walk(current, depth)
            current = f"{current}/{token}"
            if current not in self.positions:
                return None
        return self.positions[current]

    def locate(self, pointer: str) -> Position | None:
        offset = self.offset(pointer)
        if offset is None:
            return None
        if self._line_starts is None:       # built once: reports locate every trait
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)


@lru_cache(maxsize=256)
def _json_index(path: str, mtime: float) -> _JsonIndex | None:
    data = Path(path).read_bytes()
    if not looks_like_json(data):
        return None
    return _JsonIndex(data.decode("utf-8", errors="replace"))


def locate(path: str, pointer: str) -> Position | None:
    """Line and column of ``pointer`` in the file at ``path``; ``None`` when unknown."""
    try:
        file = Path(path)
        index = _json_index(str(file), file.stat().st_mtime)
        if index is not None:
            return index.locate(pointer)
        data = file.read_bytes()
    except OSError:
        return None
    for locator in LOCATORS:
        found = locator(data, pointer)
        if found is not None:
            return found
    return None
