"""Template parameter values given with ``scan --parameters FILE``.

Accepted layouts, as users already have them:

* the AWS CLI's ``[{"ParameterKey": "Env", "ParameterValue": "prod"}, …]``;
* CodePipeline template configuration ``{"Parameters": {"Env": "prod"}}``;
* a plain mapping ``{"Env": "prod"}`` in JSON or YAML.

Pseudo parameters may be set the same way (``AWS::Region``, ``AWS::AccountId``,
``AWS::StackName``, ``AWS::Partition``) so that ARNs and export names resolve. Terraform
variables (``-var-file`` JSON such as ``terraform.tfvars.json``) use the plain mapping.

The values reach the readers in the scan's :class:`ecs_exposure.sources.context.ReadContext`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecs_exposure.sources.iac.yamlload import MAX_YAML_BYTES, load_yaml
from ecs_exposure.sources.jsonfile import InputError, looks_like_json, parse_json, read_input

MAX_PARAMETERS_BYTES = MAX_YAML_BYTES
"""A parameters file is read up to the size of a template (a pipe that never ends stops
there)."""

MAX_PARAMETER_BYTES = 1024 * 1024


def parse_parameters(data: bytes) -> dict[str, Any]:
    """Parameter values from one file's content; :class:`InputError` when malformed."""
    if len(data) > MAX_PARAMETER_BYTES:
        raise InputError(f"parameter file is {len(data):,} bytes, above the "
                         f"{MAX_PARAMETER_BYTES:,}-byte limit")
    doc = parse_json(data) if looks_like_json(data) else load_yaml(data)[0]
    if isinstance(doc, dict) and isinstance(doc.get("Parameters"), dict):
        doc = doc["Parameters"]
    if isinstance(doc, list):
        values: dict[str, Any] = {}
        for index, item in enumerate(doc):
            if not (isinstance(item, dict) and isinstance(item.get("ParameterKey"), str)):
                raise InputError(f"entry {index} has no ParameterKey")
            if item.get("UsePreviousValue") is True and "ParameterValue" not in item:
                continue
            values[item["ParameterKey"]] = item.get("ParameterValue")
        return values
    if isinstance(doc, dict):
        return {str(k): v for k, v in doc.items()}
    raise InputError("expected a list of ParameterKey/ParameterValue entries or a mapping "
                     "of names to values")


def load_parameters(path: Path) -> dict[str, Any]:
    """Read ``path``; errors name the file."""
    try:
        return parse_parameters(read_input(path, MAX_PARAMETERS_BYTES, regular_only=False))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
