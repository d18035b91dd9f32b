"""Shared helpers of the scanner-report parsers: tolerant field readers, severity and id
normalisation, and structural checks that turn a malformed report into one clear error.

Every field of every format is optional and unknown fields are ignored (scanners add fields
often); what is *malformed* is a value of the wrong type where the parser must look inside it
(an object, a list, a list of strings such as the image's digests), which the checks
(:func:`member`, :func:`array`, :func:`objects`, :func:`strings_at`) report as an error for
the whole report, with the JSON pointer of the offending value: a report is never half read,
and a wrong type never crashes the scan. A scalar of the wrong type inside a vulnerability
record (a number where a package name goes) reads as absent, as if the scanner had left it
out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any, Generic, TypeVar

import orjson

from ecs_exposure.analysis.allocation import no_cycle_collection
from ecs_exposure.analysis.images.reference import ImageRef, parse_image, repository_of
from ecs_exposure.analysis.vulnerabilities.records import ImageIdentity, ImageReport, canonical_id
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.context import DocumentReader, ReadContext
from ecs_exposure.sources.jsonfile import InputError

_SEVERITY = {
    "critical": "CRITICAL", "high": "HIGH", "important": "HIGH", "medium": "MEDIUM",
    "moderate": "MEDIUM", "low": "LOW", "negligible": "INFORMATIONAL", "info": "INFORMATIONAL",
    "informational": "INFORMATIONAL", "none": "INFORMATIONAL", "unknown": "UNKNOWN",
    "untriaged": "UNKNOWN", "undefined": "UNKNOWN",
}
_TRIVY_LEVELS = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
MALICIOUS_CWE = "CWE-506"
"""Embedded Malicious Code: how GitHub advisories and OSV mark malware packages."""
NO_FIX = frozenset({"", "notavailable", "not available", "none", "n/a", "-"})
_EXACT_SEVERITY = {spelling: level for name, level in _SEVERITY.items()
                   for spelling in (name, name.upper(), name.title())}
"""The spellings reports actually use, looked up without stripping or lower-casing."""
T = TypeVar("T")


def text(value: Any) -> str | None:
    """A non-empty string, stripped; anything else is absent."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def shared(value: Any) -> str | None:
    """:func:`text`, interned: ids, package names and versions repeat across thousands of
    records, and one shared copy of each costs nothing per record."""
    found = text(value)
    return None if found is None else sys.intern(found)


def strings(value: Any) -> tuple[str, ...]:
    """The strings of a list (ids, CWEs), in order; anything else is none."""
    if not isinstance(value, list) or not value:
        return ()
    return tuple(v for v in value if isinstance(v, str))


@lru_cache(maxsize=65536)
def shared_ids(primary: str,
               aliases: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...], bool]:
    """:func:`canonical_id`, memoised and interned (the same CVE is named by many records),
    and whether an id is an OSV malicious-package id (``MAL-…``).

    The primary id is always among the returned ids (as the id or an alias), so the check
    covers it too.
    """
    vuln_id, others = canonical_id(primary, aliases)
    ids = (sys.intern(vuln_id), tuple(sys.intern(a) for a in others))
    return ids[0], ids[1], is_malicious((ids[0], *ids[1]), set())


class JsonMemo(Generic[T]):
    """A pure function of parsed JSON values, memoised by their serialisation.

    The CVSS blocks of 200,000 records hold a few dozen distinct values; serialising one
    with orjson is far cheaper than reading it field by field again, and sharing the result
    shares its memory. Parsed JSON serialises faithfully (``1``, ``1.0`` and ``true`` stay
    apart, unlike in a tuple key); a value orjson cannot serialise is computed uncached.
    """

    def __init__(self, compute: Callable[..., T], limit: int = 65536) -> None:
        self._compute = compute
        self._limit = limit
        self._memo: dict[bytes, T] = {}

    def __call__(self, *values: Any) -> T:
        """``compute(*values)``, from the memo when the same values were seen before."""
        try:
            key = orjson.dumps(values)
        except TypeError:  # orjson.JSONEncodeError too: not parsed JSON
            return self._compute(*values)
        memo = self._memo
        found = memo.get(key)
        if found is None:
            if len(memo) >= self._limit:
                memo.clear()
            found = memo[key] = self._compute(*values)
        return found

    def clear(self) -> None:
        """Forget every memoised result."""
        self._memo.clear()


def number(value: Any) -> float | None:
    """A number, or a numeric string (ECR basic attributes are strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _shared_float(float(value))
    if isinstance(value, str):
        try:
            return _shared_float(float(value))
        except ValueError:
            return None
    return None


_FLOATS: dict[float, float] = {}
_FLOATS_LIMIT = 65536


def _shared_float(value: float) -> float:
    """One object per distinct score: 200,000 records repeat a few hundred scores.

    Zeros are left alone (``0.0 == -0.0``, yet they print differently).
    """
    if not value:
        return value
    found = _FLOATS.get(value)
    if found is None:
        if len(_FLOATS) >= _FLOATS_LIMIT:
            _FLOATS.clear()
        found = _FLOATS[value] = value
    return found


def obj(value: Any) -> dict[str, Any]:
    """An object, or an empty one when absent or mistyped: for format detection, which must
    not fail on documents of other formats (parsers use :func:`member`, which checks)."""
    return value if isinstance(value, dict) else {}


def severity(value: Any) -> str:
    """Any scanner's severity spelling (or Trivy's 0..4) as one of the normalised names."""
    if type(value) is str:
        exact = _EXACT_SEVERITY.get(value)
        if exact is not None:
            return exact
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 5:
        return _TRIVY_LEVELS[value]
    name = text(value)
    return _SEVERITY.get(name.lower(), "UNKNOWN") if name else "UNKNOWN"


_YES_NO = {"yes": True, "partial": True, "no": False, "true": True, "false": False}
_EXACT_YES_NO = {spelling: answer for name, answer in _YES_NO.items()
                 for spelling in (name, name.upper(), name.title())}


def yes_no(value: Any) -> bool | None:
    """``YES``/``NO``/``PARTIAL`` (Inspector) or a boolean."""
    if type(value) is str:
        exact = _EXACT_YES_NO.get(value)
        if exact is not None:
            return exact
    if isinstance(value, bool):
        return value
    name = text(value)
    if name is None:
        return None
    return _YES_NO.get(name.lower())


def fixed(value: Any) -> str | None:
    """A fixed-in version; Inspector writes ``NotAvailable`` when there is none."""
    version = text(value)
    if version is None or version.lower() in NO_FIX:
        return None
    # Epoch 0 is the default; dpkg and rpm never print it.
    return sys.intern(version.removeprefix("0:"))


def is_malicious(ids: tuple[str, ...] | list[str], cwes: set[str]) -> bool:
    """OSV malicious-package ids (``MAL-…``) or CWE-506."""
    return any(i.upper().startswith("MAL-") for i in ids) or MALICIOUS_CWE in cwes


def malicious_cwe(cwe_ids: Any) -> bool:
    """CWE-506 (any case) in a list of CWE ids."""
    if not isinstance(cwe_ids, list):
        return False
    return any(isinstance(c, str) and c.upper() == MALICIOUS_CWE for c in cwe_ids)


class Mistyped(InputError):
    """A value of the wrong type where the format needs an object, a list or a string."""

    def __init__(self, what: str, pointer: str, kind: str, expected: str) -> None:
        super().__init__(f"{what}: {pointer} is {kind}, expected {expected}")
        self.what, self.pointer, self.kind, self.expected = what, pointer, kind, expected

    def under(self, prefix: str) -> Mistyped:
        """The same error, its pointer taken relative to ``prefix`` (for checks inside a
        memoised function, which cannot know where the value it was given sits)."""
        return Mistyped(self.what, prefix + self.pointer, self.kind, self.expected)


def as_object(value: Any, what: str, pointer: str) -> dict[str, Any]:
    """``value`` when it is an object, ``{}`` when null; anything else is an error."""
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    raise Mistyped(what, pointer, _kind(value), "an object")


def member(doc: dict[str, Any], key: str, what: str, pointer: str) -> dict[str, Any]:
    """``doc[key]`` when it is an object, ``{}`` when absent or null; a mistyped value is an
    error."""
    return as_object(doc.get(key), what, f"{pointer}/{key}")


def array(doc: dict[str, Any], key: str, what: str, pointer: str) -> list[Any]:
    """``doc[key]`` when it is a list, ``[]`` when absent or null; a mistyped value is an error."""
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Mistyped(what, f"{pointer}/{key}", _kind(value), "a list")
    return value


def objects(items: list[Any], what: str, pointer: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, item)`` for a list that must hold objects."""
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise Mistyped(what, f"{pointer}/{index}", _kind(item), "an object")
        yield index, item


def object_list(doc: dict[str, Any], key: str, what: str, pointer: str) -> list[dict[str, Any]]:
    """``doc[key]``, a list of objects (``[]`` when absent); anything else is an error."""
    return [item for _, item in objects(array(doc, key, what, pointer), what, f"{pointer}/{key}")]


def strings_at(doc: dict[str, Any], key: str, what: str, pointer: str) -> list[str]:
    """``doc[key]``, a list of strings (``[]`` when absent): digests, tags, versions."""
    items = array(doc, key, what, pointer)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise Mistyped(what, f"{pointer}/{key}/{index}", _kind(item), "a string")
    return items


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number")


def report_reader(detect: Callable[[Any], bool],
                  parse: Callable[[dict[str, Any], str], list[ImageReport]]) -> DocumentReader:
    """A document reader of one report format: it parses the whole report first, so a
    malformed one adds nothing."""

    def read(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
        if not detect(doc):
            return False
        with no_cycle_collection():
            reports = parse(doc, source)
        for report in reports:
            inventory.add_image_report(report)
        return True

    read.__name__ = f"read_{parse.__module__.rsplit('.', 1)[-1]}"
    return read


def image_identity(repo_digests: Iterable[str], named: Iterable[Any], label: Any,
                   digests: Iterable[str] = ()) -> ImageIdentity:
    """The image a report covers, in one shape whatever the scanner: digests from its
    ``repo@sha256:…`` entries (and any bare ``digests``), references from every name it gives
    (tags, the name scanned). ``label`` is the name shown, else the first reference."""
    found: set[str] = set(digests)
    refs: list[ImageRef] = []
    for entry in repo_digests:
        ref = repository_of(entry)
        if ref is not None and ref.digest:
            found.add(ref.digest)
            refs.append(ref)
    for entry in named:
        ref = parse_image(entry) if isinstance(entry, str) else None
        if ref is not None:
            refs.append(ref)
            if ref.digest:
                found.add(ref.digest)
    shown = text(label) or (refs[0].full_name if refs else "unnamed image")
    return ImageIdentity(frozenset(found), tuple(dict.fromkeys(refs)), shown)
