"""The options a run's shards were collected with, so that ``--resume`` never reuses the
shards of a run with other options.

A shard depends on more than its name: the role assumed and its external ID, the regions, the
accounts or the organization, and who the caller is (another account's credentials see
another organization). A run writes these to ``manifest.json`` beside its shards, and every
shard carries their fingerprint. ``--resume`` refuses a folder whose manifest names other
options, saying which; and a unit resumes only from a shard with this run's fingerprint (a
run with other options, stopped midway, may have left some behind): any other shard is
collected again. Without ``--resume`` a run collects everything and writes its own manifest.
"""

from __future__ import annotations

import hashlib

import orjson

from ecs_exposure.distributed.store import Store
from ecs_exposure.errors import CollectionError
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.options import CollectOptions

MANIFEST = "manifest.json"
SCHEMA = "ecs-exposure/shards@1"
_NAMES = {"regions": "--region", "role_name": "--role-name", "accounts": "--account",
          "organization": "--organization", "external_id": "--external-id",
          "caller_account": "the caller's account (credentials, --profile)",
          "partition": "the caller's partition", "schema": "the shard format"}


def run_options(options: CollectOptions, caller_account: str, partition: str,
                regions: list[str]) -> Json:
    """What decides a unit's output (``regions``: as the snapshot's scope says them). The
    external ID is kept as a digest: it is part of a role's trust policy, not for a file."""
    external = options.external_id
    return {"schema": SCHEMA, "regions": regions, "role_name": options.role_name,
            "accounts": list(options.accounts), "organization": options.organization,
            "external_id": None if external is None else
            hashlib.sha256(external.encode()).hexdigest(),
            "caller_account": caller_account, "partition": partition}


def fingerprint(options: Json) -> str:
    """The digest every shard of the run carries."""
    return hashlib.sha256(orjson.dumps(options, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _shown(name: str, value: object) -> str:
    if name == "external_id":
        return "another value" if value else "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return "none" if value is None else str(value)


def differences(found: Json, options: Json) -> list[str]:
    """Each option that differs, as the command line names it, with both values."""
    return [f"{_NAMES.get(name, name)} ({_shown(name, found.get(name))} then, "
            f"{_shown(name, options.get(name))} now)"
            for name in sorted(found.keys() | options.keys())
            if found.get(name) != options.get(name)]


def claim(store: Store, options: Json, resume: bool) -> None:
    """Before any unit runs: with ``resume``, refuse a store whose manifest names other
    options; then write this run's manifest."""
    where = f"{store.location.rstrip('/')}/{MANIFEST}"
    data = store.get(MANIFEST) if resume else None
    if data is not None:
        try:
            found = orjson.loads(data).get("options")
        except (orjson.JSONDecodeError, AttributeError):
            found = None
        if not isinstance(found, dict):
            raise CollectionError(f"--resume: {where} is not a manifest of ecs-exposure "
                                  "shards; collect into another --shards")
        changed = differences(found, options)
        if changed:
            raise CollectionError(
                f"--resume: the shards in {store.location} were collected with other "
                f"options: {'; '.join(changed)}. Resume with the same options, collect into "
                "another --shards, or drop --resume to collect everything again")
    store.put(MANIFEST, orjson.dumps({"options": options},
                                     option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
