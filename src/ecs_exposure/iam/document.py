"""IAM policy documents: statements parsed once, and IAM's wildcard matching.

Policy grammar is forgiving (a string or a list almost everywhere, one statement object or a
list, documents URL-encoded by the raw API), and hand-written inputs are worse; everything
here tolerates malformed values by ignoring them rather than failing the scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Effect = Literal["Allow", "Deny"]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}


def strings(value: Any) -> list[str]:
    """IAM allows a string or a list of strings almost everywhere."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def statements(document: Any) -> list[tuple[str, dict[str, Any]]]:
    """``(pointer, statement)`` pairs; ``Statement`` may be one object or a list."""
    if not isinstance(document, dict):
        return []
    body = document.get("Statement")
    if isinstance(body, dict):
        return [("/Statement", body)]
    if isinstance(body, list):
        return [(f"/Statement/{i}", s) for i, s in enumerate(body) if isinstance(s, dict)]
    return []


_ANY_RUN = -1
_ANY_ONE = -2
Token = str | int


@lru_cache(maxsize=8192)
def _tokens(pattern: str, fold: bool) -> tuple[tuple[Token, ...], bool]:
    """IAM glob → tokens: ``*`` any run of characters, ``?`` one character.

    Policy variables (``${aws:username}``) stand for a value known only per request: they
    match anything here, and the caller is told so (the grant becomes conditional).
    ``${*}``, ``${?}`` and ``${$}`` are the documented escapes for literal characters.
    """
    tokens: list[Token] = []
    variable = False
    position = 0

    def literal(text: str) -> None:
        for char in text.lower() if fold else text:
            if char == "*":
                if not tokens or tokens[-1] != _ANY_RUN:
                    tokens.append(_ANY_RUN)
            else:
                tokens.append(_ANY_ONE if char == "?" else char)

    for match in _VARIABLE.finditer(pattern):
        literal(pattern[position:match.start()])
        name = match.group(1)
        if name in _LITERAL_VARIABLES:
            tokens.append(_LITERAL_VARIABLES[name])
        else:
            if not tokens or tokens[-1] != _ANY_RUN:
                tokens.append(_ANY_RUN)
            variable = True
        position = match.end()
    literal(pattern[position:])
    return tuple(tokens), variable


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whole-string IAM wildcard match (actions ignore case, resources do not).

    The classic two-pointer matcher (back up to the last ``*`` on a mismatch) runs in
    O(len(pattern) × len(value)) at worst, so a hostile pattern full of ``*`` cannot make a
    scan hang the way a backtracking regular expression could.
    """
    if pattern == "*":
        return True
    tokens = _tokens(pattern, ignore_case)[0]
    text = value.lower() if ignore_case else value
    t = v = 0
    star_t, star_v = -1, 0
    while v < len(text):
        if t < len(tokens) and (tokens[t] == _ANY_ONE or tokens[t] == text[v]):
            t += 1
            v += 1
        elif t < len(tokens) and tokens[t] == _ANY_RUN:
            star_t, star_v = t, v
            t += 1
        elif star_t >= 0:
            t = star_t + 1
            star_v += 1
            v = star_v
        else:
            return False
    while t < len(tokens) and tokens[t] == _ANY_RUN:
        t += 1
    return t == len(tokens)


def has_variable(pattern: str) -> bool:
    """True when the pattern holds a policy variable resolved only per request."""
    return _tokens(pattern, False)[1]


@dataclass(frozen=True)
class Statement:
    """One statement of an identity or boundary policy, as the evaluator needs it."""

    effect: Effect
    actions: tuple[str, ...]
    """``Action`` values, or the excluded ones when ``not_action``."""
    not_action: bool
    resources: tuple[str, ...]
    """``Resource`` values, or the excluded ones when ``not_resource``."""
    not_resource: bool
    condition: dict[str, Any] | None
    pointer: str
    """JSON pointer of the statement inside its policy document (``/Statement/2``)."""
    sid: str | None = None

    def matches_action(self, action: str) -> bool:
        """Does the statement apply to ``service:Action`` (case-insensitive)?"""
        hit = any(glob_match(p, action, ignore_case=True) for p in self.actions)
        return hit != self.not_action

    @property
    def action_text(self) -> str:
        """``Action`` as written, for evidence."""
        joined = ", ".join(self.actions) or "nothing"
        return f"NotAction [{joined}]" if self.not_action else joined

    @property
    def resource_text(self) -> str:
        """``Resource`` as written, for evidence."""
        joined = ", ".join(self.resources) or "nothing"
        return f"NotResource [{joined}]" if self.not_resource else joined

    @property
    def uses_variables(self) -> bool:
        """Resource patterns with policy variables depend on who is asking."""
        return any(has_variable(r) for r in self.resources)


def parse_statements(document: Any) -> list[Statement]:
    """Valid statements of a document; malformed ones are skipped, never guessed at."""
    parsed: list[Statement] = []
    for pointer, raw in statements(document):
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            continue
        if "NotAction" in raw:
            actions, not_action = strings(raw.get("NotAction")), True
        elif "Action" in raw:
            actions, not_action = strings(raw.get("Action")), False
        else:
            continue
        if "NotResource" in raw:
            resources, not_resource = strings(raw.get("NotResource")), True
        elif "Resource" in raw:
            resources, not_resource = strings(raw.get("Resource")), False
        else:
            continue
        if not actions:
            continue  # an empty Action or NotAction list is invalid: IAM rejects it
        condition = raw.get("Condition")
        sid = raw.get("Sid")
        parsed.append(Statement(
            effect=effect, actions=tuple(actions), not_action=not_action,
            resources=tuple(resources), not_resource=not_resource,
            condition=condition if isinstance(condition, dict) and condition else None,
            pointer=pointer, sid=sid if isinstance(sid, str) else None,
        ))
    return parsed
