"""Turn a registered task definition into ``register-task-definition`` input.

The input shape comes from botocore's ECS service model, so the fields kept are exactly the
ones the API accepts today: read-only fields (``taskDefinitionArn``, ``revision``, ``status``,
``requiresAttributes``, ``compatibilities``, ``registeredAt``, ``registeredBy``…) are dropped
and everything else is kept as it is.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import orjson

from ecs_exposure.model import Json

READ_ONLY_FIELDS = ("taskDefinitionArn", "revision", "status", "requiresAttributes",
                    "compatibilities", "registeredAt", "registeredBy", "deregisteredAt")


@lru_cache(maxsize=1)
def register_input_fields() -> frozenset[str]:
    """Top-level members of RegisterTaskDefinition's input, from the botocore model (read
    with botocore's loader alone: a whole session costs a scan a noticeable start-up)."""
    from botocore.loaders import Loader

    model = Loader().load_service_model("ecs", "service-2")
    shape = model["operations"]["RegisterTaskDefinition"]["input"]["shape"]
    return frozenset(model["shapes"][shape]["members"])


def to_register_input(task_definition: Json,
                      tags: list[Any] | None = None) -> tuple[Json, list[str]]:
    """A deep copy fit for register-task-definition, and the names of the fields dropped."""
    allowed = register_input_fields()
    result: Json = {}
    dropped: list[str] = []
    for key, value in task_definition.items():
        if key in allowed and key not in READ_ONLY_FIELDS:
            result[key] = value
        else:
            dropped.append(key)
    if tags:
        result["tags"] = tags
    return deep_copy(result), dropped


_PLAIN_JSON_ONLY = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | \
    orjson.OPT_PASSTHROUGH_SUBCLASS
"""orjson options under which anything but plain JSON types (markers of unknown Terraform
values, datetimes, subclasses, non-string keys) raises instead of being converted."""


def deep_copy(document: Json) -> Json:
    """A deep copy of a JSON document: through orjson (several times faster than
    ``copy.deepcopy``, which every finding of a large scan pays for) when the document holds
    only plain JSON types, else ``copy.deepcopy`` so nothing is converted on the way."""
    try:
        copied = orjson.loads(orjson.dumps(document, option=_PLAIN_JSON_ONLY))
    except (TypeError, orjson.JSONEncodeError):
        return copy.deepcopy(document)
    return copied if isinstance(copied, dict) else copy.deepcopy(document)
