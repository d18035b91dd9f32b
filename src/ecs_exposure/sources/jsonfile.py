"""Safe JSON reading: hostile files get a clear error, never a crash or a hang.

orjson is used for speed on large estates. It refuses documents nested more than 1,024 levels,
but much less is enough to break what comes after parsing: the writers serialise results with
orjson, which refuses more than 254 levels, and the Python code that copies or walks a value
recurses once or twice per level. So every document is held to :data:`MAX_DEPTH`, whatever its
size and wherever it comes from (a file, a gzip member, JSON inside a string, a YAML or HCL
file). A bracket count clears most documents at once; the others pay for an exact depth
measurement done with byte operations that run at C speed (a 20 MB export costs milliseconds).
"""

from __future__ import annotations

import os
import re
import stat
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from ecs_exposure.errors import InputError as InputError  # re-exported

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Larger files are refused: no real ECS export is this big, and parsing would exhaust memory."""
MAX_DEPTH = 128
"""Deepest nesting of any input document. Real AWS documents nest fewer than 30 levels; the
bound leaves room below orjson's 254-level limit for the levels the result adds around an
input value, and keeps recursive copies far from Python's 1,000 frames."""
_STRING = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_AS_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_DEPTH_STEP = {ord("("): 1, ord(")"): -1}
_LEAF_PASSES = 32
"""Leaf-removal passes before counting the rest one bracket at a time (hostile shapes only)."""


class TooDeep(InputError):
    """A document nested deeper than :data:`MAX_DEPTH`."""

    def __init__(self, depth: int | None, what: str = "JSON") -> None:
        super().__init__(f"{what} nested more than {MAX_DEPTH} levels deep" if depth is None
                         else f"{what} nested {depth} levels deep (limit {MAX_DEPTH})")
        self.depth = depth


def read_input(path: Path, limit: int = MAX_FILE_BYTES, *, regular_only: bool = True) -> bytes:
    """The bytes of an input file, never more than ``limit``: :class:`InputError` beyond.

    A file found by walking a folder must be a regular file (``regular_only``): a FIFO there
    would block the scan forever and a link to ``/dev/zero`` would never end, so neither is
    opened (the type is checked before opening and again on the descriptor, opened
    non-blocking). A path the user named may be a pipe (``<(aws ecs …)``): it is read, up to
    the limit. ``OSError`` passes through for the caller's "cannot read".
    """
    info = os.stat(path)
    regular = stat.S_ISREG(info.st_mode)
    if regular_only and not regular:
        raise InputError("not a regular file (a FIFO, socket or device in a scanned folder); "
                         "not read")
    if regular and info.st_size > limit:
        raise InputError(f"file is {info.st_size:,} bytes, above the {limit:,}-byte limit")
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | (os.O_NONBLOCK if regular_only else 0))
    with os.fdopen(fd, "rb") as handle:
        if regular_only and not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError("not a regular file (swapped while opened); not read")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"file is above the {limit:,}-byte limit (it grew while read, or is "
                         "a stream)")
    return data


def looks_like_json(data: bytes) -> bool:
    """Sniff content, not names: a JSON document starts with an object or array."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def _skeleton(data: bytes, structure: bytes | None = None) -> bytes:
    """The brackets outside strings, as ``(`` and ``)``.

    Escapes are dropped first (an escaped backslash, then an escaped quote), so every
    remaining quote opens or closes a string. Keeping only quotes and brackets (the
    ``structure``, reused when the caller has it and there are no escapes), an adjacent ``""``
    is a string without brackets (or two strings side by side): dropping it changes nothing,
    and it leaves almost no strings for the slower regular expression.
    """
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        structure = None
    if structure is None:
        structure = data.translate(None, _NOT_STRUCTURE)
    skeleton = structure.replace(b'""', b"")
    if b'"' in skeleton:
        skeleton = _STRING.sub(b"", skeleton)
    return skeleton.translate(_AS_PARENTHESES)


def max_depth(data: bytes, structure: bytes | None = None) -> int:
    """Exact nesting depth of a JSON text, without building it (strings ignored).

    Each pass removes the innermost ``()`` pairs, which lowers the depth by exactly one; the
    few documents still nested after some passes are finished bracket by bracket.
    """
    skeleton = _skeleton(data, structure)
    depth = 0
    while skeleton and depth < _LEAF_PASSES:
        inner = skeleton.replace(b"()", b"")
        if len(inner) == len(skeleton):
            break  # unbalanced: count what is left
        skeleton = inner
        depth += 1
    if not skeleton:
        return depth
    return depth + max(0, max(accumulate(_DEPTH_STEP.get(b, 0) for b in skeleton)))


def check_depth(data: bytes) -> None:
    """Raise :class:`TooDeep` when the JSON text ``data`` nests deeper than :data:`MAX_DEPTH`.

    A text with no more opening brackets than the limit cannot exceed it (most embedded
    documents and small files stop there); the others are measured exactly.
    """
    if len(data) <= MAX_DEPTH:
        return
    structure = data.translate(None, _NOT_STRUCTURE)  # quotes and brackets, one pass
    if structure.count(b"[") + structure.count(b"{") <= MAX_DEPTH:
        return
    depth = max_depth(data, structure)
    if depth > MAX_DEPTH:
        raise TooDeep(depth)


def check_value_depth(value: Any, what: str) -> None:
    """Raise :class:`TooDeep` when a parsed value (of a YAML or HCL file, say) nests deeper
    than :data:`MAX_DEPTH`; measured with an explicit stack, so the check cannot recurse."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item \
            if isinstance(item, list | tuple) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise TooDeep(None, what)
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list | tuple))


def loads_bounded(text: str | bytes) -> Any:
    """``orjson.loads`` of JSON held in a string (a Terraform attribute, a URL-encoded policy),
    refused with :class:`TooDeep` beyond :data:`MAX_DEPTH`; invalid JSON raises
    ``orjson.JSONDecodeError`` as before, for callers that keep such text as text."""
    check_depth(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return orjson.loads(text)


def parse_json(data: bytes) -> Any:
    """Parse ``data``; raise :class:`InputError` with line/column on any problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    check_depth(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = str(exc).split(":", 1)[0]
        raise InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno} (byte {exc.pos}): {reason}"
        ) from None
