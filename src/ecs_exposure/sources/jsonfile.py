"""Safe JSON reading: hostile files get a clear error, never a crash or a hang.

orjson is used for speed on large estates, but its object conversion recurses, and a file of
millions of nested brackets crashes the interpreter. A cheap bracket count rules that out for
normal files; only files with very many brackets pay for an exact depth measurement.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import orjson

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Larger files are refused: no real ECS export is this big, and parsing would exhaust memory."""
MAX_DEPTH = 256
"""Real AWS documents nest fewer than 30 levels; anything deeper is refused."""
_SAFE_BRACKETS = 50_000
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class InputError(Exception):
    """An input file that cannot be used; the message names the problem (and position)."""


def looks_like_json(data: bytes) -> bool:
    """Sniff content, not names: a JSON document starts with an object or array."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def max_depth(data: bytes) -> int:
    """Exact nesting depth of a JSON text, without building it (strings ignored)."""
    skeleton = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not skeleton:
        return 0
    return max(accumulate(_DEPTH_STEP[b] for b in skeleton))


def parse_json(data: bytes) -> Any:
    """Parse ``data``; raise :class:`InputError` with line/column on any problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.count(b"[") + data.count(b"{") > _SAFE_BRACKETS:
        depth = max_depth(data)
        if depth > MAX_DEPTH:
            raise InputError(f"JSON nested {depth} levels deep (limit {MAX_DEPTH})")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = str(exc).split(":", 1)[0]
        raise InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno} (byte {exc.pos}): {reason}"
        ) from None
