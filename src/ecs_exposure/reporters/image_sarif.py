"""SARIF 2.1.0 for one ``ecs-exposure image`` gate run, for code-scanning uploads from CI.

The rules are the image trait family's specs (one per check the gate runs, with the same help
text as the scan's SARIF), and there is one result per *failing* trait: advisory, waived and
not-configured traits do not block the build, so they are not alerts. Each rule's
``security-severity`` is fixed (it does not depend on the run), so an alert keeps its rank
from one upload to the next; ``partialFingerprints.primaryLocationLineHash`` (the key GitHub
reads) hashes the image reference and the rule, so it is the same alert in the next run. A
result points at the image archive or layout the gate read when there was one (relative to
``--source-root``), and names the image reference as its logical location.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from ecs_exposure import __version__
from ecs_exposure.detectors.images import CHECKS
from ecs_exposure.reporters.sarif import SCHEMA_URI, SRCROOT, artifact_location
from ecs_exposure.reporters.sarif_rules import descriptor

SECURITY_SEVERITY = {"registry": 7.0, "reference": 5.5, "signature": 7.0, "scan": 5.5,
                     "age": 4.0, "packages": 5.5, "os": 7.0, "user": 7.0}
"""Fixed GitHub rank of each check's rule (≥ 7.0 high, 4.0–6.9 medium)."""


def _rules() -> list[dict[str, Any]]:
    return [descriptor(spec, ["security", "container-image", spec.category], level="error",
                       rank=f"{SECURITY_SEVERITY[check]:.1f}") for check, spec in CHECKS.items()]


def _location(doc: dict[str, Any], root: Path) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [{
        "name": doc["image"], "fullyQualifiedName": doc["image"], "kind": "resource"}]}
    source = (doc.get("facts") or {}).get("source")
    if source and Path(source).exists():
        location["physicalLocation"] = {"artifactLocation": artifact_location(source, root)}
    return location


def image_sarif(doc: dict[str, Any], root: Path | None = None) -> dict[str, Any]:
    """The SARIF log of one gate result (the ``ecs-exposure/image@1`` document)."""
    root = (root or Path.cwd()).resolve()
    rules = _rules()
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for trait in doc["traits"]:
        if not trait["gating"]:
            continue
        digest = hashlib.sha256(f"{doc['image']}|{trait['id']}".encode()).hexdigest()[:16]
        results.append({
            "ruleId": trait["id"], "ruleIndex": index[trait["id"]], "level": "error",
            "message": {"text": f"{trait['detail']} (image {doc['image']})"},
            "locations": [_location(doc, root)],
            "partialFingerprints": {"primaryLocationLineHash": f"{digest}:1"},
            "properties": {"image": doc["image"], "digests": doc["digests"]},
        })
    notes = [{"level": "error", "message": {"text": f"{e['source']}: {e['message']}"}}
             for e in doc["errors"]]
    return {
        "$schema": SCHEMA_URI, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ecs-exposure", "version": __version__,
                                "semanticVersion": __version__, "rules": rules}},
            "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notes}],
            "results": results,
        }],
    }


def render(doc: dict[str, Any], root: Path | None = None) -> str:
    """The SARIF log as JSON text; file locations relative to ``root`` (``--source-root``,
    default the current directory)."""
    return orjson.dumps(image_sarif(doc, root), option=orjson.OPT_INDENT_2).decode() + "\n"
