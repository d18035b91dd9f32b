"""IAM policy documents: statements parsed once, and IAM's wildcard matching.

Policy grammar is forgiving (a string or a list almost everywhere, one statement object or a
list, documents URL-encoded by the raw API), and hand-written inputs are worse; everything
here tolerates malformed values by ignoring them rather than failing the scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


def _is_plain(pattern: str) -> bool:
    """No wildcard and no policy variable: the pattern matches one string exactly (its
    tokens would be its characters, lower-cased for actions)."""
    return "*" not in pattern and "?" not in pattern and "${" not in pattern


_SPECIAL = re.compile(r"[*?$]")


def _head_fits(pattern: str, text: str, fold: bool) -> bool:
    """Does ``text`` start with the literal characters before the pattern's first wildcard
    or variable? A cheap early "no" for the many scoped patterns (``app-0001-data/*``)
    that are seen once and would otherwise be tokenised for nothing. Folded patterns are
    checked only when ASCII, where lower-casing is character by character."""
    if fold and not pattern.isascii():
        return True
    special = _SPECIAL.search(pattern)
    head = pattern[:special.start()] if special else pattern
    return text.startswith(head.lower() if fold else head)


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whole-string IAM wildcard match (actions ignore case, resources do not).

    The classic two-pointer matcher (back up to the last ``*`` on a mismatch) runs in
    O(len(pattern) × len(value)) at worst, so a hostile pattern full of ``*`` cannot make a
    scan hang the way a backtracking regular expression could.
    """
    if pattern == "*":
        return True
    text = value.lower() if ignore_case else value
    if _is_plain(pattern):  # most ARN parts: no wildcard, so no tokens to build
        return (pattern.lower() if ignore_case else pattern) == text
    if not _head_fits(pattern, text, ignore_case):
        return False
    tokens = _tokens(pattern, ignore_case)[0]
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
    return "${" in pattern and _tokens(pattern, False)[1]


class ActionMatcher:
    """``glob_match(p, action, ignore_case=True)`` for any ``p`` of an ``Action`` list,
    compiled once per list and remembering its answers.

    Path search asks every statement of every role about the same few dozen actions, and
    policies repeat the same lists; the plain names become one set lookup and the wildcard
    patterns still go through :func:`glob_match` (linear time, no regular expression to
    backtrack), once per action and list.
    """

    __slots__ = ("_exact", "_globs", "_answers", "_subsets")

    _LIMIT = 4096
    """Answers kept per list: the questions asked are a small fixed set, this only bounds
    pathological callers."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self._exact = frozenset(p.lower() for p in patterns if _is_plain(p))
        self._globs = tuple(p for p in patterns if not _is_plain(p))
        self._answers: dict[str, bool] = {}
        self._subsets: dict[frozenset[str], frozenset[str]] = {}

    def matching(self, actions: frozenset[str]) -> frozenset[str]:
        """The members of ``actions`` the list matches (remembered per set: callers ask
        about one fixed set, such as every action the escalation patterns use)."""
        subset = self._subsets.get(actions)
        if subset is None:
            subset = frozenset(a for a in actions if self.matches(a))
            if len(self._subsets) < 16:
                self._subsets[actions] = subset
        return subset

    def matches(self, action: str) -> bool:
        """Does any pattern of the list match ``action`` (case-insensitive)?"""
        answer = self._answers.get(action)
        if answer is None:
            answer = action.lower() in self._exact or any(
                glob_match(p, action, ignore_case=True) for p in self._globs)
            if len(self._answers) < self._LIMIT:
                self._answers[action] = answer
        return answer


@lru_cache(maxsize=16384)
def action_matcher(patterns: tuple[str, ...]) -> ActionMatcher:
    """The matcher of one ``Action`` list, shared by every statement that repeats it."""
    return ActionMatcher(patterns)


@lru_cache(maxsize=16384)
def _uses_variables(resources: tuple[str, ...]) -> bool:
    """Per ``Resource`` list, shared by the statements that repeat it (asked per decision)."""
    return any(has_variable(r) for r in resources)


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
    _matcher: ActionMatcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matcher", action_matcher(self.actions))

    def matches_action(self, action: str) -> bool:
        """Does the statement apply to ``service:Action`` (case-insensitive)?"""
        return self._matcher.matches(action) != self.not_action

    def matching_actions(self, actions: frozenset[str]) -> frozenset[str]:
        """The members of ``actions`` the statement applies to (``matches_action`` for a
        whole set at once, shared by every statement with the same ``Action`` list)."""
        named = self._matcher.matching(actions)
        return actions - named if self.not_action else named

    @property
    def uses_variables(self) -> bool:
        """Resource patterns with policy variables depend on who is asking."""
        return _uses_variables(self.resources)


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
