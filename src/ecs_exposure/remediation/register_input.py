"""Turn a registered task definition into ``register-task-definition`` input.

The input shape comes from botocore's ECS service model, so the fields kept are exactly the
ones the API accepts today: read-only fields (``taskDefinitionArn``, ``revision``, ``status``,
``requiresAttributes``, ``compatibilities``, ``registeredAt``, ``registeredBy``…) are dropped
and everything else is kept as it is.
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from ecs_exposure.model import Json

READ_ONLY_FIELDS = ("taskDefinitionArn", "revision", "status", "requiresAttributes",
                    "compatibilities", "registeredAt", "registeredBy", "deregisteredAt")


@lru_cache(maxsize=1)
def register_input_fields() -> frozenset[str]:
    """Top-level members of RegisterTaskDefinition's input, from the botocore model."""
    model = _ecs_model()
    shape = model["operations"]["RegisterTaskDefinition"]["input"]["shape"]
    return frozenset(model["shapes"][shape]["members"])


def _ecs_model() -> dict[str, Any]:
    """botocore's ECS service model, read straight from its data folder (importing
    ``botocore.loaders`` pulls in urllib3, a noticeable share of a small scan); botocore's own
    loader when the folder is laid out differently."""
    spec = importlib.util.find_spec("botocore")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        versions = sorted((Path(folder) / "data" / "ecs").glob("*/service-2.json*"))
        if versions:
            data = versions[-1].read_bytes()
            model: dict[str, Any] = orjson.loads(
                gzip.decompress(data) if versions[-1].suffix == ".gz" else data)
            return model
    from botocore.loaders import Loader

    loaded: dict[str, Any] = Loader().load_service_model("ecs", "service-2")
    return loaded


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


PLAIN_JSON_ONLY = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | \
    orjson.OPT_PASSTHROUGH_SUBCLASS
"""orjson options under which anything but plain JSON types (markers of unknown Terraform
values, datetimes, subclasses, non-string keys) raises instead of being converted."""


def deep_copy(document: Json) -> Json:
    """A deep copy of a JSON document: through orjson (several times faster than
    ``copy.deepcopy``, which every finding of a large scan pays for) when the document holds
    only plain JSON types, else ``copy.deepcopy`` so nothing is converted on the way."""
    try:
        copied = orjson.loads(orjson.dumps(document, option=PLAIN_JSON_ONLY))
    except (TypeError, orjson.JSONEncodeError):
        return copy.deepcopy(document)
    return copied if isinstance(copied, dict) else copy.deepcopy(document)
