"""Terraform string templates (heredocs and ``templatefile``) rendered as far as they are known.

``container_definitions = <<EOF … EOF`` is the oldest way to write a task definition in
Terraform, and its JSON nearly always interpolates something (``"value": "${var.db_host}"``,
``"cpu": ${var.cpu}``). Treating the whole text as unknown would drop every container, and a
privileged container beside an interpolated environment variable would go unseen. So a
template is split into literal text and ``${…}`` interpolations; each interpolation is
evaluated by the caller (variables, locals, references); when every one is known the template
is rendered exactly as Terraform would render it, and otherwise each unknown interpolation is
replaced by a JSON-safe placeholder, the text parsed as JSON, and the placeholders mapped back
to *unknown* markers: inside a JSON string the whole string becomes unknown (its text keeps the
``${…}``, as ``jsonencode`` values do), as a bare JSON value (``"cpu": ${var.cpu}``) the value
itself is the marker. Template directives (``%{ if }``, ``%{ for }``) cannot be rendered
without their data and make the template unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import hcl2
import orjson
from lark import Tree
from lark.exceptions import LarkError

from ecs_exposure.analysis.unknown import Unknown, is_unknown

_OPEN, _CLOSE = "\ue000", "\ue001"
"""Private-use characters around a placeholder's number: valid inside a JSON string, and
never written by hand in a task definition."""
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


@dataclass(frozen=True)
class Interpolation:
    """One ``${…}`` of a template: its expression text (strip markers removed)."""

    expression: str


Part = str | Interpolation


class TemplateError(ValueError):
    """The template cannot be rendered without its data (a directive, an unclosed ``${``)."""


def _interpolation_end(text: str, start: int) -> int:
    """Index of the ``}`` closing the interpolation whose expression starts at ``start``,
    skipping braces inside nested objects and quoted strings (which may interpolate again)."""
    stack = [0]             # brace depth of each open expression; -1 marks a quoted string
    index = start
    while index < len(text):
        char = text[index]
        if stack[-1] == -1:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                stack.pop()
            elif text.startswith("${", index):
                stack.append(0)
                index += 2
                continue
        elif char == '"':
            stack.append(-1)
        elif char == "{":
            stack[-1] += 1
        elif char == "}":
            if stack[-1] == 0:
                stack.pop()
                if not stack:
                    return index
            else:
                stack[-1] -= 1
        index += 1
    raise TemplateError("an interpolation is not closed")


def split(text: str) -> list[Part]:
    """Literal text and interpolations, in order; ``$${`` and ``%%{`` are literal."""
    parts: list[Part] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):
            literal.append(text[index + 1:index + 3])
            index += 3
        elif text.startswith("%{", index):
            raise TemplateError("a template directive (%{…}) needs its data")
        elif text.startswith("${", index):
            end = _interpolation_end(text, index + 2)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Interpolation(text[index + 2:end].strip().strip("~").strip()))
            index = end + 1
        else:
            literal.append(text[index])
            index += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _known(value: Any) -> bool:
    """A value with nothing unknown in it (``None`` cannot be interpolated)."""
    if value is None or is_unknown(value):
        return False
    if isinstance(value, dict):
        return all(_known(v) or v is None for v in value.values())
    if isinstance(value, list):
        return all(_known(v) or v is None for v in value)
    return True


def _text(value: Any) -> str:
    """How Terraform writes a known value into a template (collections as JSON, which is
    what ``${jsonencode(…)}`` produces)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def render(parts: list[Part], evaluate: Callable[[str], Any]) -> Any:
    """The rendered text when every interpolation is known; else the JSON it holds with
    unknown markers (a list or dict); else (not JSON) one unknown marker for the whole."""
    values = [evaluate(p.expression) if isinstance(p, Interpolation) else p for p in parts]
    if all(_known(v) for v in values):
        return "".join(v if isinstance(p, str) else _text(v) for p, v in zip(
            parts, values, strict=True))
    source = "".join(p if isinstance(p, str) else "${" + p.expression + "}" for p in parts)
    if _OPEN in source or _CLOSE in source:
        return Unknown("hcl: template with reserved characters")
    pieces: list[str] = []
    slots: list[tuple[str, Any, bool]] = []
    in_string = escaped = False
    for part, value in zip(parts, values, strict=True):
        if isinstance(part, str):
            for char in part:
                if escaped:
                    escaped = False
                elif char == "\\" and in_string:
                    escaped = True
                elif char == '"':
                    in_string = not in_string
            pieces.append(part)
        elif _known(value) and (in_string or not isinstance(value, dict | list)):
            text = _text(value)
            pieces.append(orjson.dumps(text).decode()[1:-1] if in_string else text)
        else:
            token = f"{_OPEN}{len(slots)}{_CLOSE}"
            slots.append(("${" + part.expression + "}", value, not in_string))
            pieces.append(token if in_string else f'"{token}"')
    try:
        parsed = orjson.loads("".join(pieces))
    except orjson.JSONDecodeError as exc:
        return Unknown(f"hcl: template is not JSON once rendered ({exc})")
    return _restore(parsed, slots)


def _restore(value: Any, slots: list[tuple[str, Any, bool]]) -> Any:
    """Placeholders back to values: a bare one is the interpolated value (unknown, or a
    collection holding unknowns); one inside a string makes that string unknown."""
    if isinstance(value, dict):
        return {_PLACEHOLDER.sub(lambda m: slots[int(m.group(1))][0], k): _restore(v, slots)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, slots) for v in value]
    if not isinstance(value, str) or _OPEN not in value:
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if whole is not None:
        expression, found, bare = slots[int(whole.group(1))]
        if bare:
            return found if found is not None else Unknown(f"hcl: {expression[2:-1]}")
    text = _PLACEHOLDER.sub(lambda m: slots[int(m.group(1))][0], value)
    return Unknown(f"hcl: {text}", text=text)


def heredoc(token: str, trim: bool) -> str:
    """The lines between a heredoc's ``<<EOF`` and ``EOF``; ``<<-EOF`` removes their common
    indentation, as Terraform does."""
    lines = token.split("\n")
    lines = lines[1:-2] if lines and lines[-1] == "" else lines[1:-1]
    if trim:
        indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
        cut = min(indents, default=0)
        lines = [line[cut:] for line in lines]
    return "\n".join(lines)


@lru_cache(maxsize=256)
def expression_tree(source: str) -> Tree[Any] | None:
    """The expression of ``__value = <expression>`` (parse trees are only read, so they are
    shared between evaluations)."""
    try:
        tree = hcl2.parses_to_tree(source)
    except (LarkError, RecursionError):
        return None
    body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), None)
    attribute = next((c for c in body.children if isinstance(c, Tree)
                      and c.data == "attribute"), None) if body is not None else None
    last = attribute.children[-1] if attribute is not None else None
    return last if isinstance(last, Tree) else None
