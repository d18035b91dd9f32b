"""Terraform HCL source (``.tf``), read directly as a best effort for literal values.

A plan (``terraform show -json``) is the preferred input: it has evaluated every expression,
module and ``count``. Reading ``.tf`` files directly still helps in a pull request before
anyone ran ``terraform plan``: literal values, ``var.*`` defaults, ``local.*`` values and
``jsonencode(…)`` arguments are evaluated here, references to other resources become
*unknown* markers carrying the referenced address (so a service still joins its security
group), and everything else (function calls, conditionals on unknowns, ``for`` expressions)
is *unknown*. Findings from HCL say so in their detail (``<hcl: …>``).

Heredocs, ``templatefile()`` and the ``template_file`` data source are rendered by
:mod:`.hcl_template` (their interpolations evaluated here), so interpolated JSON keeps its
containers with the unknown values marked; ``file()`` and ``templatefile()`` read files of the
scanned folders only (:mod:`.tf_files`). The files of a module folder are evaluated together,
and local modules followed, by :mod:`.tf_modules`.

Parsing uses ``python-hcl2`` (a maintained HCL2 grammar for lark); this module only walks the
parse tree, which carries line and column for every node, so evidence points at the exact
attribute, including inside ``jsonencode`` container definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.sources.iac import hcl_template
from ecs_exposure.sources.iac.tf_files import FileAccess
from ecs_exposure.sources.iac.tf_resource import TfResource
from ecs_exposure.sources.iac.yamlload import Positions
from ecs_exposure.sources.jsonfile import InputError

MAX_HCL_BYTES = 4 * 1024 * 1024
_BLOCK = re.compile(
    rb'(?:resource|data|variable|module|locals|output|provider|terraform|moved|import|check'
    rb'|removed)(?:[ \t]+(?:"[^"\r\n]*"|[A-Za-z_][\w-]*))*[ \t]*\{')
_LEADING = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|(?:#|//)[^\n]*|/\*.*?\*/)*", re.S)
"""A byte order mark, blank space and comments, before a file's first statement."""
_ESCAPES = re.compile(r'\\(u[0-9a-fA-F]{4}|[nrt"\\])')
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def looks_like_hcl(data: bytes) -> bool:
    """A Terraform file: its first statement (after blank lines and comments) opens one of
    Terraform's top-level blocks. Any ``.tf`` file starts so, whatever blocks it holds (only
    ``variable``, ``module`` or ``locals`` blocks are nothing to assess, not an error), while a
    README quoting a ``resource`` block further down is not taken for one."""
    leading = _LEADING.match(data)
    return _BLOCK.match(data, leading.end() if leading else 0) is not None


def _unescape(text: str) -> str:
    return _ESCAPES.sub(lambda m: _SIMPLE.get(m.group(1)) or chr(int(m.group(1)[1:], 16)), text)


def _esc(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


class _Walker:
    """Evaluates one file's parse tree into a document plus positions."""

    def __init__(self, text: str, variables: dict[str, Any], locals_: dict[str, Any],
                 files: FileAccess | None = None, scope: dict[str, Any] | None = None,
                 data: dict[str, Any] | None = None) -> None:
        self.text = text
        self.variables = variables
        self.locals = locals_
        self.data = data or {}
        """Data sources whose values are known: ``template_file`` (rendered templates)."""
        self.files = files
        """Where ``file()`` may read; ``None``: nothing is read (the value is unknown)."""
        self.scope = scope or {}
        """Bare names a ``templatefile()`` template refers to (its variables)."""
        self.positions: Positions = {}

    def source(self, node: Tree[Any] | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        start, end = node.meta.start_pos, node.meta.end_pos
        snippet = " ".join(self.text[start:end].split())
        return snippet if len(snippet) <= 80 else snippet[:77] + "..."

    def mark(self, pointer: str, node: Tree[Any] | Token) -> None:
        if isinstance(node, Token):
            self.positions[pointer] = (node.line or 0, node.column or 0)
        elif not node.meta.empty:
            self.positions[pointer] = (node.meta.line, node.meta.column)

    # ---- structure ---------------------------------------------------------------------------

    def body(self, tree: Tree[Any], pointer: str,
             kinds: frozenset[str] | None = None) -> dict[str, Any]:
        """Attributes as values; blocks grouped by type (labels nest, repeats make lists);
        ``kinds``: only blocks of these types."""
        out: dict[str, Any] = {}
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "attribute":
                name = str(child.children[0].children[0])
                member = f"{pointer}/{_esc(name)}"
                self.mark(member, child)
                out[name] = self.value(child.children[-1], member)
            elif child.data == "block" and (
                    kinds is None or str(child.children[0].children[0]) in kinds):
                self.block(child, out, pointer)
        return out

    def block(self, tree: Tree[Any], out: dict[str, Any], pointer: str) -> None:
        kind = str(tree.children[0].children[0])
        labels = [self.label(c) for c in tree.children[1:] if isinstance(c, Tree)
                  and c.data in ("string", "identifier")]
        body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
        if labels:
            target = out.setdefault(kind, {})
            path = f"{pointer}/{_esc(kind)}"
            for label in labels[:-1]:
                target = target.setdefault(label, {})
                path = f"{path}/{_esc(label)}"
            path = f"{path}/{_esc(labels[-1])}"
            self.mark(path, tree)
            target[labels[-1]] = self.body(body, path)
        else:
            items = out.setdefault(kind, [])
            path = f"{pointer}/{_esc(kind)}/{len(items)}"
            self.mark(path, tree)
            items.append(self.body(body, path))

    def label(self, node: Tree[Any]) -> str:
        if node.data == "identifier":
            return str(node.children[0])
        return "".join(str(p.children[0]) for p in node.children
                       if isinstance(p, Tree) and p.data == "string_part"
                       and isinstance(p.children[0], Token))

    # ---- expressions -------------------------------------------------------------------------

    def value(self, node: Tree[Any] | Token, pointer: str) -> Any:
        if isinstance(node, Token):
            return Unknown(f"hcl: {node}")
        data = node.data
        if data == "expr_term":
            inner = [c for c in node.children if isinstance(c, Tree)]
            return self.value(inner[0], pointer) if len(inner) == 1 else \
                Unknown(f"hcl: {self.source(node)}")
        if data in ("int_lit", "float_lit"):
            text = str(node.children[0])
            return float(text) if data == "float_lit" else int(text)
        if data == "literal_value":
            return {"true": True, "false": False, "null": None}.get(str(node.children[0]))
        if data == "string":
            return self.string(node)
        if data in ("heredoc_template", "heredoc_template_trim"):
            text = hcl_template.heredoc(str(node.children[0]), data == "heredoc_template_trim")
            return self.template(text, self.source(node))
        if data == "tuple":
            return self.sequence(node, pointer)
        if data == "object":
            return self.mapping(node, pointer)
        if data == "unary_op":
            operand = self.value(node.children[-1], pointer)
            if str(node.children[0]) == "-" and isinstance(operand, int | float):
                return -operand
            return Unknown(f"hcl: {self.source(node)}")
        if data in ("get_attr_expr_term", "index_expr_term", "identifier"):
            return self.reference(node)
        if data == "function_call":
            return self.call(node, pointer)
        if data == "conditional":
            condition = self.value(node.children[0], pointer)
            branches = [c for c in node.children[1:] if isinstance(c, Tree)]
            if isinstance(condition, bool) and len(branches) == 2:
                return self.value(branches[0 if condition else 1], pointer)
        return Unknown(f"hcl: {self.source(node)}")

    def string(self, node: Tree[Any]) -> Any:
        """A quoted template; one that is a single interpolation (``"${file("x")}"``,
        Terraform 0.11's ``"${aws_security_group.web.id}"``) is that value itself."""
        pieces: list[str] = []
        unknown = False
        parts = [p for p in node.children if isinstance(p, Tree)]
        if len(parts) == 1 and isinstance(parts[0].children[0], Tree):
            inner = parts[0].children[0]
            return self.value(next(c for c in inner.children if isinstance(c, Tree)), "")
        for part in parts:
            inner = part.children[0]
            if isinstance(inner, Token):
                pieces.append(_unescape(str(inner)))
                continue
            found = self.value(next(c for c in inner.children if isinstance(c, Tree)), "")
            if is_unknown(found) or isinstance(found, dict | list):
                unknown = True
                pieces.append("${" + self.source(inner)[2:-1].strip() + "}")
            else:
                pieces.append(str(found).lower() if isinstance(found, bool) else str(found))
        text = "".join(pieces)
        return Unknown(f"hcl: {text}", text=text) if unknown else text

    def sequence(self, node: Tree[Any], pointer: str) -> list[Any]:
        items: list[Any] = []
        for child in node.children:
            if isinstance(child, Tree) and child.data != "new_line_or_comment":
                member = f"{pointer}/{len(items)}"
                self.mark(member, child)
                items.append(self.value(child, member))
        return items

    def mapping(self, node: Tree[Any], pointer: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for elem in node.children:
            if not isinstance(elem, Tree) or elem.data != "object_elem":
                continue
            key_node = elem.children[0].children[0]
            key_inner = key_node.children[0] if isinstance(key_node, Tree) else key_node
            key = self.label(key_inner) if isinstance(key_inner, Tree) and \
                key_inner.data in ("identifier", "string") else self.source(key_inner)
            member = f"{pointer}/{_esc(key)}"
            self.mark(member, elem)
            out[key] = self.value(elem.children[-1], member)
        return out

    def traversal(self, node: Tree[Any]) -> list[str | int] | None:
        """``aws_security_group.web.id`` → ``["aws_security_group", "web", "id"]``."""
        if node.data == "identifier":
            return [str(node.children[0])]
        if node.data == "expr_term" and len(node.children) == 1 and isinstance(
                node.children[0], Tree):
            return self.traversal(node.children[0])
        if node.data in ("get_attr_expr_term", "index_expr_term"):
            head = self.traversal(node.children[0])
            tail = node.children[1]
            if head is None or not isinstance(tail, Tree):
                return None
            if tail.data == "get_attr":
                return head + [str(tail.children[-1].children[0])]
            index = self.value(next(c for c in tail.children if isinstance(c, Tree)), "")
            return head + [index] if isinstance(index, int | str) and not is_unknown(
                index) else None
        return None

    def reference(self, node: Tree[Any]) -> Any:
        path = self.traversal(node)
        text = self.source(node)
        if not path or not isinstance(path[0], str):
            return Unknown(f"hcl: {text}")
        root = path[0]
        tables = {"var": self.variables, "local": self.locals, "data": self.data}
        if root in self.scope or (root in tables and len(path) >= 2):
            found: Any = self.scope[root] if root in self.scope else tables[root].get(
                str(path[1]), Unknown(f"hcl: {text}"))
            for step in path[1 if root in self.scope else 2:]:
                try:
                    found = found[step]
                except (KeyError, IndexError, TypeError):
                    return Unknown(f"hcl: {text}")
            return found
        if root == "path" and len(path) == 2 and self.files is not None:
            if path[1] == "module":
                return self.files.path_module
            if path[1] == "root":
                return "."
        if root.startswith("aws_") and len(path) >= 2 and isinstance(path[1], str):
            attribute = path[2] if len(path) > 2 and isinstance(path[2], str) else ""
            return Unknown(f"hcl: {text}", reference=f"{root}.{path[1]}", via=f"tf:{attribute}")
        return Unknown(f"hcl: {text}")

    def call(self, node: Tree[Any], pointer: str) -> Any:
        name = str(node.children[0].children[0])
        arguments = next((c for c in node.children if isinstance(c, Tree)
                          and c.data == "arguments"), None)
        args = [c for c in arguments.children if isinstance(c, Tree)] if arguments else []
        if name in ("jsonencode", "tolist", "toset", "tomap") and len(args) == 1:
            return self.value(args[0], pointer)
        if name == "concat":
            parts = [self.value(a, pointer) for a in args]
            if all(isinstance(p, list) for p in parts):
                return [item for part in parts for item in part]
        if name in ("file", "templatefile") and len(args) == (1 if name == "file" else 2):
            return self.read_file(node, [self.value(a, pointer) for a in args])
        return Unknown(f"hcl: {self.source(node)}")

    def read_file(self, node: Tree[Any], args: list[Any]) -> Any:
        """``file(path)``: the file's text; ``templatefile(path, vars)``: the template
        rendered with ``vars`` (a template sees only those, not ``var.*`` or ``local.*``)."""
        call = self.source(node)
        where = args[0]
        if self.files is None or not isinstance(where, str) or is_unknown(where):
            return Unknown(f"hcl: {call}")
        text = self.files.read(where, call)
        if len(args) == 1 or is_unknown(text):
            return text
        if not isinstance(args[1], dict):
            return Unknown(f"hcl: {call}")
        return render_template(text, args[1], self.files, call)

    # ---- templates ---------------------------------------------------------------------------

    def template(self, text: str, what: str) -> Any:
        """A heredoc or template file, rendered as far as its interpolations are known."""
        try:
            parts = hcl_template.split(text)
        except hcl_template.TemplateError as exc:
            return Unknown(f"hcl: {what} ({exc})")
        return hcl_template.render(parts, self.expression)

    def expression(self, text: str) -> Any:
        """The value of one interpolation's expression, in this walker's scope."""
        source = f"__value = {' '.join(text.split())}\n"
        node = hcl_template.expression_tree(source)
        if node is None:
            return Unknown(f"hcl: {text}")
        walker = _Walker(source, self.variables, self.locals, self.files, self.scope,
                         self.data)
        try:
            return walker.value(node, "")
        except RecursionError:
            return Unknown(f"hcl: {text}")


def _parse(text: str, source: str) -> Tree[Any]:
    try:
        return hcl2.parses_to_tree(text)
    except LarkError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        where = f" at line {line} column {column}" if line else ""
        raise InputError(f"invalid HCL{where}: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise InputError("HCL nested too deeply") from None


def _decode(data: bytes) -> str:
    if len(data) > MAX_HCL_BYTES:
        raise InputError(f"HCL file is {len(data):,} bytes, above the {MAX_HCL_BYTES:,}-byte "
                         "limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})") from None


@dataclass(frozen=True)
class Parsed:
    """One file's text and parse tree (evaluated again for each set of variables)."""

    text: str
    tree: Tree[Any]


def parse(data: bytes) -> Parsed:
    """Decode and parse one ``.tf`` file; :class:`InputError` says why it cannot be."""
    text = _decode(data)
    return Parsed(text, _parse(text, ""))


def evaluate_parsed(parsed: Parsed, variables: dict[str, Any] | None = None,
                    locals_: dict[str, Any] | None = None, files: FileAccess | None = None,
                    kinds: frozenset[str] | None = None, data: dict[str, Any] | None = None,
                    ) -> tuple[dict[str, Any], Positions]:
    """The file as a document (``/resource/<type>/<name>/<attribute>``) with positions;
    ``kinds``: only the top-level blocks of these types (``variable``, ``locals``)."""
    walker = _Walker(parsed.text, variables or {}, locals_ or {}, files, data=data)
    body = next((c for c in parsed.tree.children if isinstance(c, Tree) and c.data == "body"),
                None)
    try:
        doc = walker.body(body, "", kinds) if body is not None else {}
    except RecursionError:
        raise InputError("HCL nested too deeply") from None
    return doc, walker.positions


def evaluate(data: bytes, source: str, variables: dict[str, Any] | None = None,
             locals_: dict[str, Any] | None = None) -> tuple[dict[str, Any], Positions]:
    """The file as a document with positions, reading no other file."""
    return evaluate_parsed(parse(data), variables, locals_)


def _record(res_where: dict[tuple[int, Any], str], value: Any, pointer: str) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        member = f"{pointer}/{_esc(key)}"
        res_where[(id(value), key)] = member
        _record(res_where, item, member)


def resources(doc: dict[str, Any], with_origins: bool = True) -> list[Any]:
    """The ``resource`` blocks of an evaluated file as Terraform resources."""
    found: list[TfResource] = []
    for kind, named in (doc.get("resource") or {}).items():
        for name, values in (named.items() if isinstance(named, dict) else ()):
            if not isinstance(values, dict):
                continue
            anchor = f"/resource/{_esc(kind)}/{_esc(name)}"
            res = TfResource(f"{kind}.{name}", kind, values, anchor)
            if with_origins:
                _record(res.where, values, anchor)
            found.append(res)
    return found


@lru_cache(maxsize=16)
def _positions(data: bytes) -> Positions | None:
    try:
        return evaluate(data, "")[1]
    except InputError:
        return None


def render_template(text: str, variables: dict[str, Any], files: FileAccess | None,
                    what: str) -> Any:
    """A template (``templatefile()``, the ``template_file`` data source) rendered with its
    own variables, which are all it can refer to."""
    return _Walker("", {}, {}, files, variables).template(text, what)
