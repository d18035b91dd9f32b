"""GitHub code scanning's rules for an uploaded SARIF file, as one checker the tests share.

From GitHub's "SARIF support for code scanning" page (the required properties of each object)
and its table of upload limits: at most 20 runs per file, 25,000 results and 25,000 rules per
run, 20 tags per rule, 1,000 locations per result (the result table says up to 10 should be
given, and only the first is used), rule names up to 255 characters and descriptions up to
1,024, ``security-severity`` a number above 0.0 up to 10.0, ``partialFingerprints`` keyed by
``primaryLocationLineHash`` (the only key GitHub reads), and at most 10 MB gzip-compressed.
The official JSON schema is checked separately (``sarif-schema-2.1.0.json``).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from functools import cache
from typing import Any

import jsonschema

from support import FIXTURES

RUNS_MAX, RESULTS_MAX, RULES_MAX, TAGS_MAX, LOCATIONS_MAX = 20, 25_000, 25_000, 20, 10
NAME_MAX, DESCRIPTION_MAX = 255, 1024
GZIP_MAX = 10 * 1024 * 1024


@cache
def _validator() -> Any:
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(log: dict[str, Any]) -> list[str]:
    """Where ``log`` breaks the official SARIF 2.1.0 schema."""
    return [f"{e.json_path}: {e.message}" for e in _validator().iter_errors(log)]


def _rule_problems(rule: dict[str, Any]) -> list[str]:
    problems = []
    where = f"rule {rule.get('id')!r}"
    if not rule.get("id"):
        problems.append(f"{where}: no id")
    if len(rule.get("name", "")) > NAME_MAX:
        problems.append(f"{where}: name over {NAME_MAX} characters")
    for key in ("shortDescription", "fullDescription", "help"):
        text = rule.get(key, {}).get("text", "")
        if not text.strip():
            problems.append(f"{where}: {key}.text is required")
        elif key != "help" and len(text) > DESCRIPTION_MAX:
            problems.append(f"{where}: {key}.text over {DESCRIPTION_MAX} characters")
    properties = rule.get("properties", {})
    if len(properties.get("tags", [])) > TAGS_MAX:
        problems.append(f"{where}: more than {TAGS_MAX} tags")
    severity = properties.get("security-severity")
    if not isinstance(severity, str) or not 0.0 < float(severity) <= 10.0:
        problems.append(f"{where}: security-severity {severity!r} is not a string in (0, 10]")
    if rule.get("defaultConfiguration", {}).get("level", "warning") not in (
            "note", "warning", "error"):
        problems.append(f"{where}: defaultConfiguration.level")
    return problems


def _result_problems(item: dict[str, Any], rule_ids: list[str]) -> list[str]:
    problems = []
    where = f"result {item.get('ruleId')!r}"
    if item.get("ruleId") not in rule_ids:
        problems.append(f"{where}: ruleId names no rule")
    elif "ruleIndex" in item and rule_ids[item["ruleIndex"]] != item["ruleId"]:
        problems.append(f"{where}: ruleIndex points at another rule")
    if not item.get("message", {}).get("text", "").strip():
        problems.append(f"{where}: message.text is required")
    if item.get("level", "warning") not in ("none", "note", "warning", "error"):
        problems.append(f"{where}: level")
    locations = item.get("locations", [])
    if not 1 <= len(locations) <= LOCATIONS_MAX:
        problems.append(f"{where}: {len(locations)} locations (1 to {LOCATIONS_MAX})")
    for location in locations:
        physical = location.get("physicalLocation")
        if physical is not None:
            if not physical.get("artifactLocation", {}).get("uri"):
                problems.append(f"{where}: artifactLocation.uri is required")
            if physical.get("region", {}).get("startLine", 1) < 1:
                problems.append(f"{where}: region.startLine below 1")
    if not item.get("partialFingerprints", {}).get("primaryLocationLineHash"):
        problems.append(f"{where}: no partialFingerprints.primaryLocationLineHash")
    return problems


def github_problems(log: dict[str, Any]) -> list[str]:
    """Every way ``log`` would be rejected or mangled by a GitHub code scanning upload."""
    problems = []
    if log.get("version") != "2.1.0" or not log.get("$schema"):
        problems.append("$schema and version 2.1.0 are required")
    runs = log.get("runs", [])
    if not 1 <= len(runs) <= RUNS_MAX:
        problems.append(f"{len(runs)} runs (1 to {RUNS_MAX})")
    for run in runs:
        rules = run["tool"]["driver"].get("rules", [])
        results = run.get("results", [])
        if len(rules) > RULES_MAX:
            problems.append(f"{len(rules)} rules (at most {RULES_MAX})")
        if len(results) > RESULTS_MAX:
            problems.append(f"{len(results)} results (at most {RESULTS_MAX})")
        for rule in rules:
            problems += _rule_problems(rule)
        rule_ids = [rule["id"] for rule in rules]
        for item in results:
            problems += _result_problems(item, rule_ids)
        places = Counter(place for item in results if (place := _place(item)) is not None)
        problems += [f"{count} results at {place}" for place, count in places.items()
                     if count > 1]
        fingerprints = Counter((r["ruleId"], r.get("partialFingerprints", {}).get(
            "primaryLocationLineHash")) for r in results)
        problems += [f"fingerprint {key} on {count} results" for key, count
                     in fingerprints.items() if count > 1]
    size = len(gzip.compress(json.dumps(log, separators=(",", ":")).encode()))
    if size > GZIP_MAX:
        problems.append(f"{size:,} bytes gzip-compressed (at most {GZIP_MAX:,})")
    return problems


def _place(item: dict[str, Any]) -> tuple[str, str, int] | None:
    """``(rule, file, line)`` of a result located in a file at a line."""
    physical = item["locations"][0].get("physicalLocation") if item.get("locations") else None
    if physical is None or "region" not in physical:
        return None
    return (item["ruleId"], physical["artifactLocation"]["uri"],
            physical["region"]["startLine"])
