"""The snapshot: what ``collect`` writes and ``scan`` reads, with the same findings as live.

Layout (``schema: ecs-exposure/snapshot@1``)::

    {"schema": "ecs-exposure/snapshot@1", "generated_at": "...", "tool": {...},
     "scope": {"regions": [...], "accounts": [...]},
     "accounts": {"<account>": {
         "iam": {"get-account-authorization-details": {"RoleDetailList": [...], "Policies": [...]}},
         "regions": {"<region>": {
             "ecs": {"describe-clusters": {"clusters": [...]}, "describe-services": {...},
                     "describe-task-definition": {"taskDefinitions": [...]},
                     "describe-tasks": {"tasks": [...]}},
             "ec2": {"describe-security-groups": {"SecurityGroups": [...]}, ...},
             "elbv2": {...}, "ecr": {...}}}}},
     "errors": [{"source", "message", "account", "region", "operation"}],
     "incomplete": [{"resource": "...", "reasons": [...]}],
     "api_calls": {"total": n, "by_action": {"ecs:DescribeServices": n, ...}}}

Every leaf document is exactly an AWS CLI ``describe-*`` output (merged over pages and
batches), so it is read by the same code as an exported file, and evidence pointers into a
snapshot file land on the resource's line. Task definitions are kept as AWS returns them,
secrets included, which is why the file is written readable by its owner only (mode 0600).
Snapshots may also be gzip-compressed (``.json.gz``); they are recognised by content.
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ecs_exposure import __version__
from ecs_exposure.model import Json, SourceError
from ecs_exposure.sources.jsonfile import MAX_FILE_BYTES, InputError, looks_like_json, parse_json

if TYPE_CHECKING:   # annotations only: ``collect`` writes snapshots without the readers
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.sources.context import ReadContext

SCHEMA = "ecs-exposure/snapshot@1"
_SCHEMA_PREFIX = "ecs-exposure/snapshot@"
GZIP_MAGIC = b"\x1f\x8b"
LIVE = "\x00aws-live"
"""Internal source label of live data; removed again so live traits carry no input file."""


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _object(value: Any, where: str) -> Json:
    if not isinstance(value, dict):
        raise InputError(f"snapshot: {where} must be a JSON object")
    return value


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"snapshot: {where} must be a JSON array")
    return value


def is_snapshot(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("schema", "")).startswith(_SCHEMA_PREFIX)


def load_snapshot(inventory: Inventory, snapshot: Json, source: str | None,
                  context: ReadContext) -> None:
    """Add a snapshot's data, errors and incomplete notes to ``inventory``.

    ``source`` is the snapshot file (evidence then points into it), or ``None`` for data just
    collected live, which has no input file. Each ``describe-*`` output in it is read by the
    readers of ``context`` (:func:`ecs_exposure.sources.readers.read_context`), as a file is.
    """
    if snapshot.get("schema") != SCHEMA:
        raise InputError(f"snapshot schema {snapshot.get('schema')!r} is not supported by this "
                         f"version (it reads {SCHEMA})")
    label = source if source is not None else LIVE
    accounts = _object(snapshot.get("accounts", {}), "accounts")
    errors = _array(snapshot.get("errors", []), "errors")          # checked before reading
    incomplete = _array(snapshot.get("incomplete", []), "incomplete")
    for account_id, account in accounts.items():
        base = f"/accounts/{_escape(str(account_id))}"
        account = _object(account, f"account {account_id}")
        iam = _object(account.get("iam", {}), f"account {account_id} iam")
        for operation, doc in iam.items():
            context.read_document(inventory, doc, label,
                                  f"{base}/iam/{_escape(str(operation))}")
        regions = _object(account.get("regions", {}), f"account {account_id} regions")
        for region, services in regions.items():
            services = _object(services, f"region {region}")
            for service, operations in services.items():
                operations = _object(operations, f"region {region} {service}")
                for operation, doc in operations.items():
                    # Outputs the scanner does not read yet (tasks, ECR) are kept for later.
                    context.read_document(
                        inventory, doc, label,
                        f"{base}/regions/{_escape(str(region))}/{_escape(str(service))}"
                        f"/{_escape(str(operation))}")
    for entry in errors:
        if isinstance(entry, dict):
            inventory.errors.append(SourceError(
                str(entry.get("source", source or "aws")), str(entry.get("message", "")),
                *(str(entry[k]) if isinstance(entry.get(k), str) else None
                  for k in ("account", "region", "operation"))))
    for entry in incomplete:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), str):
            reasons = inventory.incomplete.setdefault(entry["resource"], [])
            reasons += [str(r) for r in _array(entry.get("reasons", []), "incomplete reasons")
                        if str(r) not in reasons]
    if source is None:
        for key in [k for k, s in inventory.sources.items() if s == LIVE]:
            del inventory.sources[key]
            inventory.prefixes.pop(key, None)


def read_document(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """Document reader: a snapshot file (``scan snapshot.json``)."""
    if not is_snapshot(doc):
        return False
    load_snapshot(inventory, doc, source, context)
    return True


def gunzip(data: bytes, limit: int = MAX_FILE_BYTES) -> bytes:
    """Decompress, refusing output beyond ``limit`` (a small file can expand enormously)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InputError(f"corrupt gzip data: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputError(f"gzip content expands beyond the {limit:,}-byte limit")
    if not inflater.eof:
        raise InputError("corrupt gzip data: the compressed stream is truncated")
    return out


def read_gzip(inventory: Inventory, data: bytes, source: str, context: ReadContext) -> bool:
    """Raw reader: gzip-compressed JSON (a ``.json.gz`` snapshot or export)."""
    if not data.startswith(GZIP_MAGIC):
        return False
    content = gunzip(data)
    if not looks_like_json(content):
        raise InputError("gzip-compressed file does not hold a JSON document")
    reason = context.read_document(inventory, parse_json(content), source)
    if reason is not None:
        raise InputError(f"gzip-compressed JSON not recognised: {reason}")
    return True


def _regions(snapshot: Json) -> list[Json]:
    return [region for account in snapshot.get("accounts", {}).values()
            if isinstance(account, dict)
            for region in account.get("regions", {}).values() if isinstance(region, dict)]


def collected_anything(snapshot: Json) -> bool:
    """True when at least one region's ECS clusters could be listed."""
    return any("describe-clusters" in region.get("ecs", {}) for region in _regions(snapshot))


def statistics(snapshot: Json) -> dict[str, int]:
    """Counts for the one-line summary ``collect`` prints."""
    regions = _regions(snapshot)
    services = sum(len(r.get("ecs", {}).get("describe-services", {}).get("services", []))
                   for r in regions)
    return {"accounts": len(snapshot.get("accounts", {})), "regions": len(regions),
            "services": services}


def build(accounts: Json, *, scope: Json, errors: list[SourceError],
          incomplete: dict[str, list[str]], calls: dict[str, int], generated_at: str) -> Json:
    """Assemble a snapshot document from collected data."""
    return {
        "schema": SCHEMA,
        "generated_at": generated_at,
        "tool": {"name": "ecs-exposure", "version": __version__},
        "scope": scope,
        "accounts": accounts,
        "errors": [{"source": e.source, "message": e.message, "account": e.account,
                    "region": e.region, "operation": e.operation} for e in errors],
        "incomplete": [{"resource": resource, "reasons": reasons}
                       for resource, reasons in sorted(incomplete.items())],
        "api_calls": {"total": sum(calls.values()), "by_action": dict(sorted(calls.items()))},
    }


def write(snapshot: Json, path: Path) -> None:
    """Write atomically, readable by the owner only; gzip when the name ends in ``.gz``."""
    data = orjson.dumps(snapshot, option=orjson.OPT_INDENT_2)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=6, mtime=0)  # 9: twice the time, 8% smaller
    folder = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)  # created with mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
