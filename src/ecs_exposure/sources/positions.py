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


class _JsonIndex:
    """Positions of every value in a JSON text, keyed by JSON pointer.

    A small hand-rolled scanner: the standard parsers do not report positions, and only the
    structure (not the values) is needed.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts: list[int] | None = None
        self.positions: dict[str, int] = {}
        self.pos = 0
        self._skip()
        if self.pos < len(text):
            self._value("")

    def _skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r\n\ufeff":
            pos += 1
        self.pos = pos

    def _string(self) -> str:
        text = self.text
        start = self.pos + 1
        pos = start
        while pos < len(text):
            char = text[pos]
            if char == "\\":
                pos += 2
                continue
            if char == '"':
                break
            pos += 1
        raw = text[start:pos]
        self.pos = pos + 1
        if "\\" in raw:
            try:
                return str(json.loads(f'"{raw}"'))
            except ValueError:
                return raw
        return raw

    def _value(self, pointer: str) -> None:
        # Iterative over containers to survive deep nesting without recursion limits.
        stack: list[tuple[str, str, int]] = []  # (kind, pointer, next index)
        self.positions[pointer] = self.pos
        current = pointer
        text = self.text
        while True:
            self._skip()
            if self.pos >= len(text):
                return
            char = text[self.pos]
            if char in "{[":
                stack.append(("o" if char == "{" else "a", current, 0))
                self.pos += 1
                if len(stack) > MAX_DEPTH:
                    return  # deeper than any input the scanner accepts
            elif char == '"':
                self._string()
            else:
                while self.pos < len(text) and text[self.pos] not in ",]}":
                    self.pos += 1
            # after a value (or container open) find the next member
            while stack:
                kind, base, index = stack[-1]
                self._skip()
                if self.pos >= len(text):
                    return
                char = text[self.pos]
                if char in "]}":
                    self.pos += 1
                    stack.pop()
                    continue
                if char == ",":
                    self.pos += 1
                    self._skip()
                if self.pos < len(text) and text[self.pos] in "]}":
                    continue
                if kind == "o":
                    key = self._string()
                    self._skip()
                    self.pos += 1  # colon
                    self._skip()
                    current = f"{base}/{key.replace('~', '~0').replace('/', '~1')}"
                else:
                    current = f"{base}/{index}"
                stack[-1] = (kind, base, index + 1)
                self.positions[current] = self.pos
                break
            else:
                return

    def locate(self, pointer: str) -> Position | None:
        offset = self.positions.get(pointer)
        if offset is None:
            return None
        if self._line_starts is None:       # built once: reports locate every trait
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)


@lru_cache(maxsize=64)
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
