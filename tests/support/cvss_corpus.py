"""CVSS vector strings to test the parser on, and what the specifications say about each.

Two corpora:

* **real** — every vector in the scanner reports the project holds: the demo's reports, the
  reports and builders of the tests, and the vulnerability reports of an estate written by the
  benchmark generator (``bench/generate.py``);
* **generated** — every combination of base values for v2, v3.0 and v3.1, a sample of v4.0's
  104,976, a sample with temporal/threat, environmental and supplemental metrics, the same in
  shuffled order, and malformed mutations of valid vectors (lower-case names or values, unknown
  metrics or values, repeated or missing metrics, wrong order, stray slashes, spaces,
  parentheses and prefixes).

The oracle is the PyPI ``cvss`` package (Red Hat's), corrected where it departs from the
specifications (:func:`expected`). Its metric tables, not the parser's, drive the generation,
so the parser's tables are checked rather than echoed.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4, constants2, constants3, constants4
from cvss.exceptions import CVSSError


@dataclass(frozen=True)
class Spec:
    """One version's vector grammar, read from the ``cvss`` package's tables."""

    prefix: str
    values: dict[str, tuple[str, ...]]
    """Every metric in the specification's order, with its values."""
    mandatory: tuple[str, ...]
    ordered: bool
    """v2's guide (§2.4) and v4.0's specification (§7) fix the order; v3.x's (§6) does not."""


def _table(module: Any, values: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(values[name]) for name in module.METRICS_ABBREVIATIONS}


_V3 = _table(constants3, constants3.METRICS_VALUES)
SPECS = {
    "2.0": Spec("", _table(constants2, constants2.METRICS_VALUES),
                tuple(constants2.METRICS_MANDATORY), ordered=True),
    "3.0": Spec("CVSS:3.0/", _V3, tuple(constants3.METRICS_MANDATORY), ordered=False),
    "3.1": Spec("CVSS:3.1/", _V3, tuple(constants3.METRICS_MANDATORY), ordered=False),
    "4.0": Spec("CVSS:4.0/", _table(constants4, constants4.METRICS_VALUE_NAMES),
                tuple(constants4.METRICS_MANDATORY), ordered=True),
}


def version_of(text: str) -> str:
    """The version a vector claims: its prefix, or v2 without one."""
    return next((v for v, s in SPECS.items() if s.prefix and text.startswith(s.prefix)), "2.0")


def cvss_metrics(text: str) -> dict[str, str] | None:
    """The metrics the ``cvss`` package reads from a vector, in their order; ``None`` if it
    rejects the vector."""
    kind = {"2.0": CVSS2, "3.0": CVSS3, "3.1": CVSS3, "4.0": CVSS4}[version_of(text)]
    try:
        parsed = kind(text)
    except (CVSSError, KeyError):
        return None
    return dict(parsed.metrics if kind is CVSS2 else parsed.original_metrics)


def expected(text: str) -> dict[str, str] | None:
    """The metrics of a vector valid per its specification, ``None`` for an invalid one.

    ``cvss``'s verdict, with two corrections where it departs from the specifications:

    * it accepts v2 and v4.0 metrics in any order, which the v2 guide ("the vector lists these
      metrics in a predetermined order") and the v4.0 specification ("every other ordering is
      invalid") forbid;
    * it rejects NVD's legacy parenthesised v2 form ``(AV:N/…)``, which the parser accepts as
      the vector inside the parentheses (only for v2, which has no prefix).
    """
    inner = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    metrics = cvss_metrics(inner)
    if metrics is None:
        return None
    spec = SPECS[version_of(inner)]
    if inner != text and spec.prefix:
        return None
    if spec.ordered:
        positions = [list(spec.values).index(name) for name in metrics]
        if positions != sorted(positions):
            return None
    return metrics


VECTOR_TEXT = re.compile(r"\(?(?:CVSS:\d\.\d/)?AV:\S*")
"""A string that is (or tries to be) a vector: scanners give vectors as whole JSON strings."""
LITERAL = re.compile(r"""["'](\(?(?:CVSS:\d\.\d/)?AV:[^"'\s]*)["']""")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def report_vectors(folder: Path) -> list[str]:
    """Every vector string in the JSON reports under ``folder``, one per occurrence."""
    found: list[str] = []
    for path in sorted(folder.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        found += [s for s in _strings(document) if VECTOR_TEXT.fullmatch(s)]
    return found


def source_vectors(paths: list[Path]) -> list[str]:
    """Every string literal that is a vector in the given Python files (the tests' reports are
    built by code)."""
    return [m.group(1) for path in paths for m in LITERAL.finditer(path.read_text("utf-8"))]


def _join(version: str, fields: list[str]) -> str:
    return SPECS[version].prefix + "/".join(fields)


def _with_optional_metrics(version: str, rng: random.Random) -> list[str]:
    """Fields of a valid vector in the specification's order: every base metric, and each
    optional one (temporal/threat, environmental, supplemental) with a chance of 40%."""
    spec = SPECS[version]
    return [f"{name}:{rng.choice(values)}" for name, values in spec.values.items()
            if name in spec.mandatory or rng.random() < 0.4]


def _base_combinations(version: str, rng: random.Random, sample: int) -> list[str]:
    spec = SPECS[version]
    combos = list(itertools.product(*(spec.values[m] for m in spec.mandatory)))
    if len(combos) > sample:
        combos = rng.sample(combos, sample)
    return [_join(version, [f"{m}:{v}" for m, v in zip(spec.mandatory, combo, strict=True)])
            for combo in combos]


Mutation = Callable[[str, list[str], random.Random], str | None]
"""(version, fields of a valid vector, rng) → a changed vector, or ``None`` when it does not
apply to that version."""


def _insert(fields: list[str], item: str, rng: random.Random) -> list[str]:
    at = rng.randrange(len(fields) + 1)
    return [*fields[:at], item, *fields[at:]]


def _replace(fields: list[str], rng: random.Random, change: Callable[[str, str], str]) -> list[str]:
    at = rng.randrange(len(fields))
    name, _, value = fields[at].partition(":")
    return [*fields[:at], change(name, value), *fields[at + 1:]]


def _lower_value(v: str, f: list[str], r: random.Random) -> str:
    return _join(v, _replace(f, r, lambda name, value: f"{name}:{value.lower()}"))


def _lower_name(v: str, f: list[str], r: random.Random) -> str:
    return _join(v, _replace(f, r, lambda name, value: f"{name.lower()}:{value}"))


def _unknown_metric(v: str, f: list[str], r: random.Random) -> str:
    """A metric of another version (``Au`` in v3, ``PR`` in v2, ``AT`` in v3…) or none at all."""
    names = sorted({n for s in SPECS.values() for n in s.values} - set(SPECS[v].values))
    return _join(v, _insert(f, f"{r.choice([*names, 'ZZ'])}:{r.choice('NXH')}", r))


def _unknown_value(v: str, f: list[str], r: random.Random) -> str:
    """``X`` in a base metric, v2's ``ND`` or ``POC`` in v3, upper-case ``RED``, nothing…"""
    def change(name: str, value: str) -> str:
        allowed = SPECS[v].values[name]
        bad = [b for b in ("X", "ND", "POC", "Z", "RED", "", "N ") if b not in allowed]
        return f"{name}:{r.choice(bad)}"
    return _join(v, _replace(f, r, change))


def _repeated(v: str, f: list[str], r: random.Random) -> str:
    return _join(v, _insert(f, r.choice(f), r))


def _repeated_other_value(v: str, f: list[str], r: random.Random) -> str:
    name, _, value = r.choice(f).partition(":")
    other = r.choice([x for x in SPECS[v].values[name] if x != value])
    return _join(v, _insert(f, f"{name}:{other}", r))


def _missing_base(v: str, f: list[str], r: random.Random) -> str:
    dropped = r.choice(SPECS[v].mandatory)
    return _join(v, [x for x in f if x.partition(":")[0] != dropped])


def _adjacent_swapped(v: str, f: list[str], r: random.Random) -> str:
    at = r.randrange(len(f) - 1)
    return _join(v, [*f[:at], f[at + 1], f[at], *f[at + 2:]])


def _other_prefix(v: str, f: list[str], r: random.Random) -> str:
    """A v2 body under a v3/v4 prefix, a v3 one under v4's, a v4 one under v3's."""
    prefixes = [s.prefix for w, s in SPECS.items() if s.prefix and w[0] != v[0]]
    return r.choice(prefixes) + "/".join(f)


MUTATIONS: dict[str, Mutation] = {
    "lower-case value": _lower_value,
    "lower-case name": _lower_name,
    "unknown metric": _unknown_metric,
    "unknown value": _unknown_value,
    "repeated metric": _repeated,
    "repeated metric, other value": _repeated_other_value,
    "missing base metric": _missing_base,
    "adjacent metrics swapped": _adjacent_swapped,
    "metrics shuffled": lambda v, f, r: _join(v, r.sample(f, len(f))),
    "trailing slash": lambda v, f, r: _join(v, f) + "/",
    "empty field": lambda v, f, r: _join(v, _insert(f, "", r)),
    "field without colon": lambda v, f, r: _join(v, _insert(f, f[0].partition(":")[0], r)),
    "field with two colons": lambda v, f, r: _join(v, _replace(
        f, r, lambda name, value: f"{name}:{value}:{value}")),
    "surrounding spaces": lambda v, f, r: f" {_join(v, f)} ",
    "lower-case prefix": lambda v, f, r: _join(v, f).lower() if SPECS[v].prefix else None,
    "prefix dropped": lambda v, f, r: "/".join(f) if SPECS[v].prefix else None,
    "CVSS:2.0 prefix": lambda v, f, r: "CVSS:2.0/" + "/".join(f),
    "other version's prefix": _other_prefix,
    "unknown version": lambda v, f, r: "CVSS:3.2/" + "/".join(f),
    "parenthesised": lambda v, f, r: f"({_join(v, f)})",
}


def generated(seed: int = 15) -> dict[str, str]:
    """Generated vectors, each with how it was made (``v3.1 base``, ``v4.0 unknown value``…)."""
    rng = random.Random(seed)
    out: dict[str, str] = {}
    for version in SPECS:
        for text in _base_combinations(version, rng, sample=2600):
            out.setdefault(text, f"v{version} base")
        full = [_with_optional_metrics(version, rng) for _ in range(400)]
        for fields in full:
            out.setdefault(_join(version, fields), f"v{version} with optional metrics")
        for fields in full[:150]:
            out.setdefault(_join(version, rng.sample(fields, len(fields))),
                           f"v{version} shuffled")
        for fields in full[150:250]:
            for kind, mutate in MUTATIONS.items():
                text = mutate(version, fields, rng)
                if text is not None:
                    out.setdefault(text, f"v{version} {kind}")
    return out
