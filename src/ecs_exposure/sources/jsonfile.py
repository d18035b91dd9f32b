"""Safe JSON reading: hostile files get a clear error, never a crash or a hang.

orjson is used for speed on large estates, but its object conversion recurses, and a file of
millions of nested brackets crashes the interpreter. A cheap bracket count rules that out for
normal files; only files with very many brackets pay for an exact depth measurement, done with
byte operations that run at C speed (a 20 MB export costs milliseconds, not a second).
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import orjson

from ecs_exposure.errors import InputError as InputError  # re-exported

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Larger files are refused: no real ECS export is this big, and parsing would exhaust memory."""
MAX_DEPTH = 256
"""Real AWS documents nest fewer than 30 levels; anything deeper is refused."""
_SAFE_BRACKETS = 50_000
_STRING = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_AS_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_DEPTH_STEP = {ord("("): 1, ord(")"): -1}
_LEAF_PASSES = 32
"""Leaf-removal passes before counting the rest one bracket at a time (hostile shapes only)."""


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


def parse_json(data: bytes) -> Any:
    """Parse ``data``; raise :class:`InputError` with line/column on any problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if len(data) > _SAFE_BRACKETS:  # a shorter text cannot hold that many brackets
        structure = data.translate(None, _NOT_STRUCTURE)  # quotes and brackets, one pass
        if structure.count(b"[") + structure.count(b"{") > _SAFE_BRACKETS:
            depth = max_depth(data, structure)
            if depth > MAX_DEPTH:
                raise InputError(f"JSON nested {depth} levels deep (limit {MAX_DEPTH})")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = str(exc).split(":", 1)[0]
        raise InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno} (byte {exc.pos}): {reason}"
        ) from None
