"""Untrusted YAML settings (the image policy, ``.ecs-exposure.yaml``) parsed into plain data,
with the line and column of every value.

These files come from repositories anyone may send a pull request to, so parsing is
defensive: PyYAML's safe scanner and parser only, and values are built here from the node
tree, so no tag can construct an object (only the standard scalar, sequence and mapping tags
are accepted); anchors and aliases are refused outright (an alias bomb expands exponentially
once anything walks the tree, and a settings file never needs them); nesting is capped while
composing (PyYAML's composer recurses); duplicate keys are an error (PyYAML would keep the last
silently, so a reviewer and the scanner could read different files). YAML dates become ISO
strings, so a JSON Schema sees the same values a JSON file would give.

Positions let a schema error name ``file:line:column``: for a mapping member the position of
its key (the line a user looks for), for a sequence item the item itself.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 50
"""Nesting limit (settings files nest a handful of levels)."""

Positions = dict[str, tuple[int, int]]
"""RFC 6901 JSON pointer → (1-based line, 1-based column)."""

_STD = "tag:yaml.org,2002:"
_SCALARS = {f"{_STD}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}


class YamlError(ValueError):
    """Malformed or hostile YAML; ``line`` and ``column`` (1-based) when known."""

    def __init__(self, message: str, line: int | None = None,
                 column: int | None = None) -> None:
        where = f" at line {line} column {column}" if line is not None else ""
        super().__init__(f"invalid YAML{where}: {message}")
        self.problem = message
        self.line = line
        self.column = column


def _error(message: str, node_or_mark: Any) -> YamlError:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return YamlError(message, mark.line + 1, mark.column + 1)


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader that refuses anchors and aliases, and deep nesting, while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # noqa: D102
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _error("YAML aliases are not allowed", event.start_mark)
        if getattr(event, "anchor", None):
            raise _error("YAML anchors are not allowed", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _error(f"nested more than {MAX_DEPTH} levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _Builder:
    """Plain values and positions from a composed node tree, iteratively."""

    def __init__(self, loader: _NoAliasLoader) -> None:
        self.loader = loader
        self.positions: Positions = {}

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALARS:
            raise _error(f"unsupported tag {node.tag}", node)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as exc:
            raise _error(f"bad value ({exc})", node) from None
        if isinstance(value, datetime | date):
            return value.isoformat()[:10]
        return value

    def build(self, root: Node) -> Any:
        holder: dict[str, Any] = {}
        stack: list[tuple[Node, str, Any, Any, Node]] = [(root, "", holder, "v", root)]
        while stack:
            node, pointer, parent, key, marker = stack.pop()
            self.positions[pointer or "/"] = (marker.start_mark.line + 1,
                                              marker.start_mark.column + 1)
            if isinstance(node, ScalarNode):
                parent[key] = self.scalar(node)
            elif isinstance(node, SequenceNode):
                if node.tag != f"{_STD}seq":
                    raise _error(f"unsupported tag {node.tag}", node)
                items: list[Any] = [None] * len(node.value)
                parent[key] = items
                for index, child in enumerate(node.value):
                    stack.append((child, f"{pointer}/{index}", items, index, child))
            elif isinstance(node, MappingNode):
                if node.tag != f"{_STD}map":
                    raise _error(f"unsupported tag {node.tag}", node)
                mapping: dict[str, Any] = {}
                parent[key] = mapping
                for key_node, value_node in node.value:
                    name = self.scalar(key_node) if isinstance(key_node, ScalarNode) else None
                    if not isinstance(name, str):
                        raise _error(f"key {name!r} is not a string", key_node)
                    if name in mapping:
                        raise _error(f"duplicate key {name!r}", key_node)
                    mapping[name] = None
                    stack.append((value_node, f"{pointer}/{_escape(name)}", mapping, name,
                                  key_node))
        return holder.get("v")


def parse_yaml(text: str) -> tuple[Any, Positions]:
    """One YAML document as plain values (``None`` when empty) and the position of each value;
    raises :class:`YamlError` on anything malformed or hostile."""
    loader = _NoAliasLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        builder = _Builder(loader)
        return builder.build(root), builder.positions
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc).splitlines()[0]
        raise (_error(problem, mark) if mark else YamlError(problem)) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0]) from None
    except RecursionError:
        raise YamlError("nested too deeply") from None
    finally:
        loader.dispose()


def position(positions: Positions, pointer: str) -> tuple[int, int] | None:
    """Where ``pointer`` (or, failing that, its nearest ancestor) sits in the file."""
    while True:
        found = positions.get(pointer or "/")
        if found is not None or not pointer or pointer == "/":
            return found
        pointer = pointer.rsplit("/", 1)[0]


def where(source: str, positions: Positions, pointer: str) -> str:
    """``file:line:column: /pointer`` (the line and column of the value, or of its nearest
    ancestor), the form editors and CI annotations jump to; ``file: /pointer`` when unknown."""
    found = position(positions, pointer)
    shown = pointer or "/"
    return f"{source}:{found[0]}:{found[1]}: {shown}" if found else f"{source}: {shown}"


__all__ = ["MAX_DEPTH", "Positions", "YamlError", "parse_yaml", "position", "where"]


def read_small_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of a small file someone else may have written (a config, a policy),
    refused above ``limit`` bytes. A ``ValueError`` says what is wrong (naming ``what``) and
    each caller wraps it in its own error class; ``OSError`` passes through."""
    size = path.stat().st_size
    if size > limit:
        raise ValueError(f"{size:,} bytes, above the {limit:,}-byte limit for {what}")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)     # a file that grows, or a stream: never more
    if len(data) > limit:
        raise ValueError(f"above the {limit:,}-byte limit for {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
