"""The config file, ``.ecs-exposure.yaml``: default options, the image policy, suppressions.

It lives in the repository next to the code it gates, so it is read as untrusted input
(:mod:`ecs_exposure.analysis.safe_yaml`: no aliases, size and depth caps, no duplicate keys)
and validated against the JSON Schema shipped beside this module (``config.schema.json``,
also usable by editors). Every error names ``file:line:column`` and the JSON pointer of the
failing value, so a CI log points straight at the line to fix.

Relative paths in it (a policy file, ``baseline``, ``intel-dir``…) are relative to the
config file's folder, so the same file works whatever the current directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from ecs_exposure.analysis.images.policy import Policy, load_policy, parse_policy, policy_schema
from ecs_exposure.analysis.safe_yaml import (
    Positions,
    YamlError,
    parse_yaml,
    position,
    read_small_text,
    where,
)
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.errors import ConfigError as ConfigError  # re-exported
from ecs_exposure.model import Suppression

CONFIG_NAME = ".ecs-exposure.yaml"
"""Looked for in the current directory when ``--config`` is not given."""
MAX_CONFIG_BYTES = 1024 * 1024
PATH_OPTIONS = frozenset({"baseline", "intel-dir", "images", "output-dir", "source-root"})
"""Options whose value is a path (made relative to the config file's folder)."""
SELECTORS = ("id", "resource", "trait", "account", "region", "cluster", "image")
"""The keys of a suppression that choose what it matches."""


@dataclass(frozen=True)
class Config:
    """What the config file sets; everything is optional."""

    source: str | None = None
    """The file, or ``None`` when there is none."""
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Command → option name as on the command line without dashes (``fail-on``) → default
    value; paths already made relative to the current directory."""
    policy: Policy | None = None
    """The image policy it names or holds; ``None``: not set here."""
    suppressions: tuple[Suppression, ...] = ()


@cache
def config_schema() -> dict[str, Any]:
    """The config schema, with the trait ids of the catalog as the allowed ``trait`` values
    (one source of truth: a new trait is accepted without editing the schema)."""
    text = (files("ecs_exposure.sources") / "config.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    schema["$defs"]["trait"]["enum"] = sorted(spec.id for spec in catalog())
    return schema


@cache
def _validator() -> jsonschema.Draft202012Validator:
    policy = policy_schema()
    registry: Registry[Any] = Registry().with_resource(policy["$id"],
                                                       Resource.from_contents(policy))
    return jsonschema.Draft202012Validator(
        config_schema(), registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _pointer(path: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _message(error: jsonschema.ValidationError) -> str:
    """The schema's own wording where it has one (an unknown trait, a rule without selector),
    else jsonschema's."""
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if isinstance(custom, str) and error.validator in ("enum", "anyOf", "pattern"):
        return custom.replace("{instance}", repr(error.instance))
    return error.message


def find_config(folder: Path) -> Path | None:
    """``.ecs-exposure.yaml`` in ``folder``, if there is one."""
    candidate = folder / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path) -> Config:
    """Read, parse safely and validate a config file."""
    source = str(path)
    try:
        text = read_small_text(path, MAX_CONFIG_BYTES, "a config file")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    try:
        doc, positions = parse_yaml(text)
    except YamlError as exc:
        line = f":{exc.line}:{exc.column}" if exc.line is not None else ""
        raise ConfigError(f"{source}{line}: invalid YAML: {exc.problem}") from None
    return parse_config(doc, source, path.parent, positions)


def parse_config(doc: Any, source: str, base: Path, positions: Positions | None = None
                 ) -> Config:
    """Validate a parsed config document (``base``: the folder relative paths start from)."""
    positions = positions or {}
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{where(source, positions, '')}: a config file is a mapping, "
                          f"not {type(doc).__name__}")
    errors = sorted(_validator().iter_errors(doc),
                    key=lambda e: (position(positions, _pointer(e.path)) or (0, 0),
                                   list(map(str, e.path))))
    if errors:
        lines = [f"{where(source, positions, _pointer(e.path))}: {_message(e)}"
                 for e in errors[:10]]
        more = f"\n  … and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise ConfigError("invalid config file:\n  " + "\n  ".join(lines) + more)
    policy = doc.get("policy")
    return Config(
        source=source,
        options={command: {name: str(base / value) if name in PATH_OPTIONS else value
                           for name, value in values.items()}
                 for command, values in doc.get("options", {}).items()},
        policy=(None if policy is None
                else load_policy(base / policy) if isinstance(policy, str)
                else parse_policy(policy, source, base, positions, "/policy")),
        suppressions=tuple(_suppression(entry, index, source, positions)
                           for index, entry in enumerate(doc.get("suppressions", []))),
    )


def _suppression(entry: dict[str, Any], index: int, source: str,
                 positions: Positions) -> Suppression:
    pointer = f"/suppressions/{index}"
    trait = entry.get("trait")
    found = position(positions, pointer)
    return Suppression(
        reason=entry["reason"].strip(),
        pointer=pointer,
        source=source,
        line=found[0] if found else None,
        owner=entry.get("owner"),
        expires=date.fromisoformat(entry["expires"]) if "expires" in entry else None,
        id=entry.get("id"),
        resource=entry.get("resource"),
        traits=(trait,) if isinstance(trait, str) else tuple(trait or ()),
        account=entry.get("account"),
        region=entry.get("region"),
        cluster=entry.get("cluster"),
        image=entry.get("image"),
    )


__all__ = ["CONFIG_NAME", "Config", "ConfigError", "config_schema", "find_config",
           "load_config", "parse_config"]
