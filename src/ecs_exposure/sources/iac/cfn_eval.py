"""Evaluate a CloudFormation template's intrinsic functions as far as the template allows.

Parameters take their values from ``--parameters`` or their defaults; conditions, mappings,
``Ref``/``Fn::GetAtt`` between resources, ``Fn::Sub``/``Join``/``Select``/``Split``/``If``…
are computed. What only AWS knows (an ``Fn::ImportValue`` from another stack, a parameter with
no value, ``AWS::AccountId`` when not given, an attribute such as a DNS name) becomes an
:class:`~ecs_exposure.analysis.unknown.Unknown` marker instead of a guess.

Every value placed into an evaluated container is recorded in :attr:`Evaluator.where` with the
JSON pointer of the template member it came from, so a finding can later point at the line of
the offending property even after ``Fn::If`` picked a branch or ``AWS::NoValue`` removed
an element from a list.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.sources.jsonfile import InputError

NO_VALUE: Any = object()
"""``AWS::NoValue``: removes the property or list element that evaluates to it."""

MAX_EVAL_DEPTH = 150
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
PSEUDO_DEFAULTS = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
PSEUDO_UNKNOWN = ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId",
                  "AWS::NotificationARNs")

ResourceResolver = Callable[[str, str | None], Any]
"""``(logical id, attribute or None for Ref) → value`` supplied by the translator."""


def escape(token: object) -> str:
    """RFC 6901 escaping of one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def _text(value: Any) -> str:
    """How CloudFormation turns a scalar into a string (booleans lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _embedded(value: Any, name: str | None = None) -> str:
    """A value inside a larger string; unknown pieces keep a ``${…}`` placeholder."""
    if is_unknown(value):
        return "${" + (name or value.reason) + "}"
    return _text(value)


def _coerce_parameter(spec: Mapping[str, Any], value: Any, name: str) -> Any:
    kind = str(spec.get("Type", "String"))
    if is_unknown(value):
        return value
    if kind.startswith("AWS::SSM::Parameter::Value"):
        return Unknown(f"SSM parameter {value} (parameter {name})")
    if kind == "Number":
        text = _text(value).strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        items = value if isinstance(value, list) else _text(value).split(",")
        return [_text(item).strip() for item in items]
    return value if isinstance(value, str) else _text(value)


class Evaluator:
    """One template's evaluation context: parameters, conditions, mappings, resources."""

    def __init__(self, template: Mapping[str, Any], provided: Mapping[str, Any],
                 resources: ResourceResolver) -> None:
        self.template = template
        self.resources = resources
        self.where: dict[tuple[int, Any], str] = {}
        """``(id(container), key or index) → template pointer`` of every evaluated member."""
        self.pseudo: dict[str, Any] = dict(PSEUDO_DEFAULTS)
        for name in PSEUDO_UNKNOWN:
            self.pseudo[name] = Unknown(name)
        for name, value in provided.items():
            if name in self.pseudo:
                self.pseudo[name] = value
        self.parameters: dict[str, Any] = {}
        specs = template.get("Parameters")
        for name, spec in (specs.items() if isinstance(specs, dict) else ()):
            spec = spec if isinstance(spec, dict) else {}
            if name in provided:
                raw = provided[name]
            elif "Default" in spec:
                raw = spec["Default"]
            else:
                raw = Unknown(f"parameter {name}")
            self.parameters[str(name)] = _coerce_parameter(spec, raw, str(name))
        self._conditions: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()

    # ---- conditions --------------------------------------------------------------------------

    def condition(self, name: Any) -> bool | None:
        """True, False, or None when it depends on something unknown."""
        if not isinstance(name, str):
            return None
        if name in self._conditions:
            return self._conditions[name]
        conditions = self.template.get("Conditions")
        body = conditions.get(name) if isinstance(conditions, dict) else None
        if body is None or name in self._evaluating:
            return None
        self._evaluating.add(name)
        try:
            result = self._truth(self.resolve(body, f"/Conditions/{escape(name)}"))
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = result
        return result

    @staticmethod
    def _truth(value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false") and not is_unknown(value):
            return value.lower() == "true"
        return None

    # ---- values ------------------------------------------------------------------------------

    def resolve(self, node: Any, pointer: str, depth: int = 0) -> Any:
        """Evaluate ``node`` found at ``pointer``; may return :data:`NO_VALUE`."""
        if depth > MAX_EVAL_DEPTH:
            raise InputError(f"template nested more than {MAX_EVAL_DEPTH} levels at {pointer}")
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref" or (key.startswith("Fn::") and not key.startswith("Fn::ForEach")):
                    return self._intrinsic(key, arg, f"{pointer}/{escape(key)}", depth + 1)
                if key == "Condition" and isinstance(arg, str) and pointer.startswith(
                        "/Conditions"):
                    return self.condition(arg)
            result: dict[str, Any] = {}
            for key, value in node.items():
                member = f"{pointer}/{escape(key)}"
                resolved = self.resolve(value, member, depth + 1)
                if resolved is not NO_VALUE:
                    result[key] = resolved
                    self.where[(id(result), key)] = member
            return result
        if isinstance(node, list):
            items: list[Any] = []
            for index, value in enumerate(node):
                member = f"{pointer}/{index}"
                resolved = self.resolve(value, member, depth + 1)
                if resolved is not NO_VALUE:
                    self.where[(id(items), len(items))] = member
                    items.append(resolved)
            return items
        return node

    def _copy(self, value: Any) -> Any:
        """Parameter values are shared; evaluated containers must be fresh objects."""
        if isinstance(value, list):
            return [self._copy(v) for v in value]
        if isinstance(value, dict):
            return {k: self._copy(v) for k, v in value.items()}
        return value

    def ref(self, name: Any) -> Any:
        """``Ref``: a parameter, a pseudo parameter or a resource of the template."""
        if not isinstance(name, str) or is_unknown(name):
            return Unknown(f"Ref to {name}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self._copy(self.parameters[name])
        return self.resources(name, None)

    def _intrinsic(self, key: str, arg: Any, pointer: str, depth: int) -> Any:
        if key == "Ref":
            return self.ref(self.resolve(arg, pointer, depth))
        if key == "Fn::If":
            return self._if(arg, pointer, depth)
        value = self.resolve(arg, pointer, depth)
        handler = _FUNCTIONS.get(key)
        if handler is None:
            return Unknown(f"{key} (not evaluated)")
        try:
            return handler(self, value)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            return Unknown(f"{key} with arguments it cannot evaluate")

    def _if(self, arg: Any, pointer: str, depth: int) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            return Unknown("malformed Fn::If")
        choice = self.condition(arg[0])
        if choice is True:
            return self.resolve(arg[1], f"{pointer}/1", depth)
        if choice is False:
            return self.resolve(arg[2], f"{pointer}/2", depth)
        then = self.resolve(arg[1], f"{pointer}/1", depth)
        other = self.resolve(arg[2], f"{pointer}/2", depth)
        if then == other and not is_unknown(then):
            return then
        # Containers: assume the condition holds (the risky branch is usually the extra one).
        if isinstance(then, dict | list):
            return then
        if isinstance(other, dict | list) and then is NO_VALUE:
            return other
        return Unknown(f"Fn::If on condition {arg[0]} that depends on unknown values")

    # ---- functions ---------------------------------------------------------------------------

    def get_att(self, value: Any) -> Any:
        parts = value.split(".", 1) if isinstance(value, str) else value
        if not isinstance(parts, list) or len(parts) != 2 or not all(
                isinstance(p, str) and not is_unknown(p) for p in parts):
            return Unknown("Fn::GetAtt with unknown arguments")
        return self.resources(parts[0], parts[1])

    def sub(self, value: Any) -> Any:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
        if is_unknown(text) or not isinstance(text, str):
            return Unknown("Fn::Sub of an unknown string")
        variables = variables if isinstance(variables, dict) else {}
        unknown: list[str] = []

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                found = variables[name]
            elif "." in name and name.split(".", 1)[0] not in self.parameters:
                found = self.get_att(name)
            else:
                found = self.ref(name)
            if is_unknown(found) or found is NO_VALUE:
                unknown.append(name)
                return "${" + name + "}"
            return _embedded(found)

        rendered = _SUB_VARIABLE.sub(replace, text)
        if unknown:
            return Unknown(f"Fn::Sub with unknown {', '.join(dict.fromkeys(unknown))}",
                           text=rendered)
        return rendered

    def join(self, value: Any) -> Any:
        delimiter, items = value
        if is_unknown(items) or not isinstance(items, list):
            return Unknown("Fn::Join of an unknown list")
        pieces = [_embedded(item) for item in items]
        joined = _text(delimiter).join(pieces)
        if any(is_unknown(item) for item in items):
            return Unknown("Fn::Join with unknown parts", text=joined)
        return joined

    def select(self, value: Any) -> Any:
        index, items = value
        if is_unknown(items) or is_unknown(index) or not isinstance(items, list):
            return Unknown("Fn::Select from an unknown list")
        return items[int(index)]

    def split(self, value: Any) -> Any:
        delimiter, text = value
        if is_unknown(text):
            return Unknown(f"Fn::Split of {text.reason}")
        return str(text).split(_text(delimiter))

    def find_in_map(self, value: Any) -> Any:
        name, top, second = value[0], value[1], value[2]
        mappings = self.template.get("Mappings")
        if any(is_unknown(v) for v in (name, top, second)) or not isinstance(mappings, dict):
            return Unknown(f"Fn::FindInMap {name}")
        try:
            return self._copy(mappings[name][_text(top)][_text(second)])
        except (KeyError, TypeError):
            if len(value) > 3 and isinstance(value[3], dict) and "DefaultValue" in value[3]:
                return value[3]["DefaultValue"]
            return Unknown(f"Fn::FindInMap {name}/{top}/{second} (no such entry)")

    def logic(self, key: str, value: Any) -> Any:
        truths = [self._truth(v) for v in (value if isinstance(value, list) else [value])]
        if key == "Fn::Not":
            return Unknown("Fn::Not of unknown") if truths[0] is None else not truths[0]
        if key == "Fn::And":
            if False in truths:
                return False
            return Unknown("Fn::And of unknown") if None in truths else True
        if True in truths:
            return True
        return Unknown("Fn::Or of unknown") if None in truths else False

    @staticmethod
    def equals(value: Any) -> Any:
        left, right = value
        if is_unknown(left) or is_unknown(right):
            return Unknown("Fn::Equals of unknown values")
        return _text(left) == _text(right)

    @staticmethod
    def base64(value: Any) -> Any:
        if is_unknown(value):
            return Unknown(f"Fn::Base64 of {value.reason}")
        return base64.b64encode(_text(value).encode()).decode()

    @staticmethod
    def import_value(value: Any) -> Any:
        if is_unknown(value):
            return Unknown(f"import of {value.reason}")
        return Unknown(f"import {value}", reference=str(value))

    @staticmethod
    def length(value: Any) -> Any:
        return len(value) if isinstance(value, list) else Unknown("Fn::Length of unknown")

    @staticmethod
    def to_json(value: Any) -> Any:
        if _contains_unknown(value):
            return Unknown("Fn::ToJsonString of unknown values")
        return json.dumps(value, separators=(",", ":"))


def _contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return False


_FUNCTIONS: dict[str, Callable[[Evaluator, Any], Any]] = {
    "Fn::GetAtt": Evaluator.get_att,
    "Fn::Sub": Evaluator.sub,
    "Fn::Join": Evaluator.join,
    "Fn::Select": Evaluator.select,
    "Fn::Split": Evaluator.split,
    "Fn::FindInMap": Evaluator.find_in_map,
    "Fn::Equals": lambda self, v: Evaluator.equals(v),
    "Fn::Not": lambda self, v: self.logic("Fn::Not", v),
    "Fn::And": lambda self, v: self.logic("Fn::And", v),
    "Fn::Or": lambda self, v: self.logic("Fn::Or", v),
    "Fn::Base64": lambda self, v: Evaluator.base64(v),
    "Fn::ImportValue": lambda self, v: Evaluator.import_value(v),
    "Fn::Length": lambda self, v: Evaluator.length(v),
    "Fn::ToJsonString": lambda self, v: Evaluator.to_json(v),
    "Fn::GetAZs": lambda self, v: Unknown("Availability Zones of the region"),
    "Fn::Cidr": lambda self, v: Unknown("Fn::Cidr address blocks"),
    "Fn::Transform": lambda self, v: Unknown("Fn::Transform macro output"),
}
