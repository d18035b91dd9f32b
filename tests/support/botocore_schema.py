"""JSON Schema of an AWS API operation's input, derived from botocore's service model.

Used to prove that written fix files are inputs the real API accepts: unknown members, wrong
types and missing required members all fail validation, as they would fail in the AWS CLI.
"""

from __future__ import annotations

from typing import Any

import botocore.session


def _shape(shape: Any, depth: int = 0) -> dict[str, Any]:
    if depth > 30:
        return {}
    kind = shape.type_name
    if kind == "structure":
        return {"type": "object", "additionalProperties": False,
                "required": list(shape.required_members),
                "properties": {name: _shape(member, depth + 1)
                               for name, member in shape.members.items()}}
    if kind == "list":
        return {"type": "array", "items": _shape(shape.member, depth + 1)}
    if kind == "map":
        return {"type": "object", "additionalProperties": _shape(shape.value, depth + 1)}
    if kind == "string":
        schema: dict[str, Any] = {"type": "string"}
        if shape.enum:
            schema["enum"] = list(shape.enum)
        return schema
    if kind in ("integer", "long"):
        return {"type": "integer"}
    if kind in ("float", "double"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    return {}


def input_schema(service: str, operation: str) -> dict[str, Any]:
    """The input of ``operation`` as a JSON Schema."""
    model = botocore.session.get_session().get_service_model(service)
    return _shape(model.operation_model(operation).input_shape)
