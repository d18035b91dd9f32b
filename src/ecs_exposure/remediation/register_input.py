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

from ecs_exposure.model import Json

READ_ONLY_FIELDS = ("taskDefinitionArn", "revision", "status", "requiresAttributes",
                    "compatibilities", "registeredAt", "registeredBy", "deregisteredAt")


@lru_cache(maxsize=1)
def register_input_fields() -> frozenset[str]:
    """Top-level members of RegisterTaskDefinition's input, from the botocore model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    return frozenset(shape.members)


def to_register_input(task_definition: Json,
                      tags: list[Any] | None = None) -> tuple[Json, list[str]]:
    """A deep copy fit for register-task-definition, and the names of the fields dropped."""
    allowed = register_input_fields()
    result: Json = {}
    dropped: list[str] = []
    for key, value in task_definition.items():
        if key in allowed and key not in READ_ONLY_FIELDS:
            result[key] = copy.deepcopy(value)
        else:
            dropped.append(key)
    if tags:
        result["tags"] = copy.deepcopy(tags)
    return result, dropped
