"""Safe YAML loading for CloudFormation templates, with the position of every value.

Templates come from pull requests, so the loader must survive hostile input and still point a
finding at its line:

* **Safe** — PyYAML's ``SafeLoader`` scanner and parser only; nodes are turned into plain
  dicts, lists and scalars here, so no tag can construct an object. CloudFormation's short-form
  tags (``!Ref``, ``!Sub``, ``!GetAtt``…) become their long form (``{"Fn::Sub": …}``); any other
  application tag is an error naming it, rather than being silently dropped.
* **Bounded** — anchors and aliases are legal YAML, and a few lines of them can expand into
  billions of nodes (the "billion laughs"). The expanded size of the node graph is computed
  before anything is built and refused beyond :data:`MAX_NODES`; recursive aliases, nesting
  beyond :data:`MAX_DEPTH` (in the YAML, and in the values built from it, where each short-form
  tag adds a level) and files above :data:`MAX_YAML_BYTES` are refused too. Merge keys
  (``<<``) are resolved here with memoisation, because PyYAML's own merge flattening recurses
  and copies duplicates, which is itself exponential. A character YAML forbids (a control
  character) is an error with its line and column, like any other syntax error.
* **Strict** — duplicate keys are an error (YAML forbids them; PyYAML would keep the last one
  silently, so a reviewer and the scanner could read different templates).

Positions are recorded per RFC 6901 pointer into the loaded document: for a mapping member the
position of its key (the line a reviewer looks for), for a sequence item the item itself.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ecs_exposure.sources.jsonfile import MAX_DEPTH, InputError

MAX_YAML_BYTES = 8 * 1024 * 1024
"""CloudFormation accepts templates up to 1 MB; anything far larger is not a template."""
MAX_NODES = 1_000_000
"""Limit on the number of values after alias expansion (a large real template has ~100k)."""

CFN_TAGS = {
    "!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub",
    "!If": "Fn::If", "!Join": "Fn::Join", "!Select": "Fn::Select", "!Split": "Fn::Split",
    "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
    "!Base64": "Fn::Base64", "!Equals": "Fn::Equals", "!And": "Fn::And", "!Or": "Fn::Or",
    "!Not": "Fn::Not", "!GetAZs": "Fn::GetAZs", "!Cidr": "Fn::Cidr",
    "!Transform": "Fn::Transform", "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString", "!ForEach": "Fn::ForEach",
}
"""CloudFormation short-form tags and the long-form key each stands for."""

_STD = "tag:yaml.org,2002:"
_CONSTRUCTED = {f"{_STD}{name}" for name in ("str", "int", "float", "bool", "null")}
_RAW_TEXT = {f"{_STD}timestamp", f"{_STD}binary", f"{_STD}value"}
_CONTAINERS = {f"{_STD}{name}" for name in ("seq", "map", "set", "omap", "pairs")}
_MERGE = f"{_STD}merge"

Positions = dict[str, tuple[int, int]]
"""JSON pointer → (1-based line, 1-based column)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting while composing (its composer recurses)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise InputError(f"YAML nested more than {MAX_DEPTH} levels deep "
                                 f"(line {mark.line + 1})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _where(node: Node) -> str:
    return f"line {node.start_mark.line + 1} column {node.start_mark.column + 1}"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: Node, limit: int = MAX_NODES) -> int:
    """Expanded size of the node graph (aliases counted in full), without expanding it."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        ident = id(node)
        if done:
            active.discard(ident)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > limit:
                raise InputError(
                    f"YAML anchors and aliases expand to more than {limit:,} values (an alias "
                    f"bomb?) at {_where(node)}")
            sizes[ident] = total
            continue
        if ident in sizes:
            continue
        if ident in active:
            raise InputError(f"YAML alias refers to its own ancestor at {_where(node)}")
        active.add(ident)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


class _Converter:
    """Turns a checked node graph into plain values plus positions, iteratively."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.positions: Positions = {}
        self._items_memo: dict[int, list[tuple[ScalarNode, Node]]] = {}

    def items(self, node: MappingNode, depth: int = 0) -> list[tuple[ScalarNode, Node]]:
        """Members of a mapping with merge keys resolved; explicit keys win, duplicates fail."""
        memo = self._items_memo.get(id(node))
        if memo is not None:
            return memo
        if depth > MAX_DEPTH:
            raise InputError(f"YAML merge keys nested too deeply at {_where(node)}")
        own: list[tuple[ScalarNode, Node]] = []
        merged: list[tuple[ScalarNode, Node]] = []
        first: dict[str, ScalarNode] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = value_node.value if isinstance(value_node, SequenceNode) \
                    else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise InputError(f"YAML merge key needs a mapping at {_where(source)}")
                    merged.extend(self.items(source, depth + 1))
                continue
            if not isinstance(key_node, ScalarNode):
                raise InputError(f"YAML mapping key is not a scalar at {_where(key_node)}")
            key = str(key_node.value)
            if key in first:
                raise InputError(f"duplicate key {key!r} at {_where(key_node)} "
                                 f"(first at {_where(first[key])})")
            first[key] = key_node
            own.append((key_node, value_node))
        for key_node, value_node in merged:
            if str(key_node.value) not in first:
                first[str(key_node.value)] = key_node
                own.append((key_node, value_node))
        self._items_memo[id(node)] = own
        return own

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag in _CONSTRUCTED:
            try:
                return self.loader.construct_object(node, deep=True)
            except (ValueError, yaml.YAMLError) as exc:
                raise InputError(f"invalid YAML value at {_where(node)}: {exc}") from None
        return str(node.value)

    def convert(self, root: Node) -> Any:
        holder: dict[str, Any] = {}
        stack: list[tuple[Node, str, Any, Any, Node, int]] = [(root, "", holder, "v", root, 1)]
        while stack:
            node, pointer, parent, key, marker, depth = stack.pop()
            self.positions[pointer] = (marker.start_mark.line + 1,
                                       marker.start_mark.column + 1)
            tag = str(node.tag)
            tagged = tag.startswith("!")  # becomes {"Fn::…": value}: one level more
            if depth + tagged > MAX_DEPTH and (tagged or not isinstance(node, ScalarNode)):
                raise InputError(f"YAML nested more than {MAX_DEPTH} levels deep at "
                                 f"{_where(node)} (aliases and short-form tags expanded)")
            if tagged:
                long_form = CFN_TAGS.get(tag)
                if long_form is None:
                    raise InputError(f"unknown YAML tag {tag} at {_where(node)} (not a "
                                     "CloudFormation intrinsic function)")
                wrapper: dict[str, Any] = {}
                parent[key] = wrapper
                parent, key = wrapper, long_form
                depth += 1
                pointer = f"{pointer}/{long_form}"
                self.positions[pointer] = self.positions[pointer.rsplit("/", 1)[0]]
                if long_form == "Fn::GetAtt" and isinstance(node, ScalarNode):
                    parts = str(node.value).split(".", 1)
                    parent[key] = parts
                    for index in range(len(parts)):
                        self.positions[f"{pointer}/{index}"] = self.positions[pointer]
                    continue
            elif not (tag in _CONSTRUCTED or tag in _RAW_TEXT or tag in _CONTAINERS):
                raise InputError(f"unsupported YAML tag {tag} at {_where(node)}")
            if isinstance(node, ScalarNode):
                parent[key] = self.scalar(node) if not tag.startswith("!") else str(node.value)
            elif isinstance(node, SequenceNode):
                items: list[Any] = [None] * len(node.value)
                parent[key] = items
                for index, child in enumerate(node.value):
                    stack.append((child, f"{pointer}/{index}", items, index, child, depth + 1))
            elif isinstance(node, MappingNode):
                mapping: dict[str, Any] = {}
                parent[key] = mapping
                for key_node, value_node in self.items(node):
                    name = str(key_node.value)
                    mapping[name] = None
                    escaped = name.replace("~", "~0").replace("/", "~1")
                    stack.append((value_node, f"{pointer}/{escaped}", mapping, name, key_node,
                                  depth + 1))
        return holder.get("v")


def _reader_error(text: str, exc: yaml.reader.ReaderError) -> InputError:
    """A character YAML does not allow, with its line and column (the reader gives only an
    offset into the text)."""
    position = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return InputError(f"invalid YAML at line {line} column {column}: character "
                      f"#x{exc.character:04x} is not allowed in YAML")


def load_yaml(data: bytes, *, max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, Positions]:
    """Parse one YAML document; raise :class:`InputError` (with line and column) on anything
    malformed or hostile."""
    if len(data) > max_bytes:
        raise InputError(f"YAML file is {len(data):,} bytes, above the {max_bytes:,}-byte "
                         "limit for templates")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        loader = _Loader(text)  # the reader checks every character here
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        check_expansion(root)
        converter = _Converter(loader)
        return converter.convert(root), converter.positions
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise InputError(f"invalid YAML{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError("YAML nested too deeply") from None
    finally:
        loader.dispose()
