"""Exploit intelligence files: FIRST EPSS scores (CSV, plain or gzip) and the CISA KEV catalog
(JSON), read as inputs or from the local cache, and ``ecs-exposure intel update``, which fills
that cache.

They fill the gaps scanner reports leave: Trivy gives neither EPSS nor KEV, Inspector gives
EPSS and exploit availability but not KEV. Both formats are recognised by content. The EPSS
file starts with a ``#model_version:…,score_date:…`` comment, then ``cve,epss,percentile``;
a gzip file is inflated in bounded steps, so a decompression bomb is refused, not expanded.

Example (EPSS)::

    #model_version:v2025.03.14,score_date:2026-05-18T00:00:00Z
    cve,epss,percentile
    CVE-2021-44228,0.94358,0.99957

Scans work offline: they read EPSS and KEV from input files, or from the cache when present
(``$XDG_CACHE_HOME/ecs-exposure/intel``, ``~/.cache/ecs-exposure/intel`` by default, or
``--intel-dir``). ``intel update`` downloads the current files from their publishers when the
machine is online, checks that each parses exactly as a scan will read it, and only then
replaces the cached copy, so a failed or truncated download never leaves a broken cache behind.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import urllib.request
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError

from ecs_exposure import __version__
from ecs_exposure.analysis.vulnerabilities.records import ExploitIntel, IntelSource, KevEntry
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import SourceError
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.jsonfile import MAX_FILE_BYTES, InputError, looks_like_json, parse_json

GZIP_MAGIC = b"\x1f\x8b"
MAX_INFLATED_BYTES = 256 * 1024 * 1024
"""The real EPSS file inflates to about 10 MB; anything far larger is refused."""
_CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$", re.IGNORECASE)
EPSS_WHAT = "EPSS CSV"
KEV_WHAT = "CISA KEV catalog"


def inflate(data: bytes, limit: int | None = None) -> bytes:
    """Gunzip with an output bound (also handles concatenated gzip members)."""
    limit = MAX_INFLATED_BYTES if limit is None else limit
    out = io.BytesIO()
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits=31)
        chunk = pending
        while chunk:
            try:
                piece = inflater.decompress(chunk, 1024 * 1024)
            except zlib.error as exc:
                raise InputError(f"{EPSS_WHAT}: corrupt gzip data ({exc})") from None
            out.write(piece)
            if out.tell() > limit:
                raise InputError(f"{EPSS_WHAT}: inflates beyond {limit:,} bytes; refused")
            chunk = inflater.unconsumed_tail
        if not inflater.eof:
            raise InputError(f"{EPSS_WHAT}: truncated gzip data")
        pending = inflater.unused_data.lstrip(b"\x00")
    return out.getvalue()


def _head(data: bytes) -> bytes:
    if not data.startswith(GZIP_MAGIC):
        return data[:4096]
    try:
        return zlib.decompressobj(wbits=31).decompress(data[:65536], 4096)
    except zlib.error:
        return b""


def looks_like_epss(data: bytes) -> bool:
    """A ``#model_version`` comment or a ``cve,epss`` header opens the (inflated) text."""
    lines = [line.strip().lower() for line in
             _head(data).decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:3]]
    lines = [line for line in lines if line]
    if not lines:
        return False
    if lines[0].startswith("#model_version") or lines[0].startswith("#score_date"):
        return True
    header = lines[1] if lines[0].startswith("#") and len(lines) > 1 else lines[0]
    return header.replace('"', "").replace(" ", "").startswith("cve,epss")


def parse_epss(data: bytes, source: str) -> tuple[dict[str, tuple[float, float | None]],
                                                  IntelSource]:
    """CVE → (probability, percentile), with the model version and score date."""
    raw = inflate(data) if data.startswith(GZIP_MAGIC) else data
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{EPSS_WHAT}: not UTF-8 text (byte {exc.start})") from None
    meta: dict[str, str] = {}
    scores: dict[str, tuple[float, float | None]] = {}
    columns: dict[str, int] | None = None
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if row[0].startswith("#"):
            for part in ",".join(row).lstrip("#").split(","):
                key, sep, value = part.partition(":")
                if sep:
                    meta[key.strip()] = value.strip()
            continue
        if columns is None:
            columns = {name.strip().lower(): i for i, name in enumerate(row)}
            if "cve" not in columns or "epss" not in columns:
                raise InputError(f"{EPSS_WHAT}: line {number}: header has no cve and epss "
                                 "columns")
            continue
        try:
            cve = row[columns["cve"]].strip().upper()
            score = float(row[columns["epss"]])
            pct = float(row[columns["percentile"]]) if "percentile" in columns else None
        except (IndexError, ValueError):
            raise InputError(f"{EPSS_WHAT}: line {number}: expected cve,epss,percentile "
                             "values") from None
        if not _CVE.match(cve) or not 0.0 <= score <= 1.0:
            raise InputError(f"{EPSS_WHAT}: line {number}: not a CVE id with a score in 0..1")
        scores[cve] = (score, pct)
    if columns is None:
        raise InputError(f"{EPSS_WHAT}: no cve,epss,percentile header")
    date = meta.get("score_date")
    info = IntelSource("epss", source, meta.get("model_version"),
                       date[:10] if date else None, len(scores))
    return scores, info


def is_kev(doc: Any) -> bool:
    """``vulnerabilities`` of KEV entries (``cveID``), not a CycloneDX document's."""
    if not isinstance(doc, dict) or "bomFormat" in doc:
        return False
    items = doc.get("vulnerabilities")
    if not isinstance(items, list):
        return False
    first = next((i for i in items if isinstance(i, dict)), None)
    return "catalogVersion" in doc or (first is not None and "cveID" in first)


def parse_kev(doc: dict[str, Any], source: str) -> tuple[dict[str, KevEntry], IntelSource]:
    """CVE → KEV entry, with the catalog version and release date."""
    entries: dict[str, KevEntry] = {}
    for index, item in enumerate(doc["vulnerabilities"]):
        if not isinstance(item, dict):
            raise InputError(f"{KEV_WHAT}: /vulnerabilities/{index} is not an object")
        cve = item.get("cveID")
        if not isinstance(cve, str) or not _CVE.match(cve.strip()):
            raise InputError(f"{KEV_WHAT}: /vulnerabilities/{index}/cveID is not a CVE id")
        ransomware = item.get("knownRansomwareCampaignUse")
        entries[cve.strip().upper()] = KevEntry(
            cve.strip().upper(),
            item["dateAdded"] if isinstance(item.get("dateAdded"), str) else None,
            item["dueDate"] if isinstance(item.get("dueDate"), str) else None,
            ransomware == "Known" if isinstance(ransomware, str) else None,
        )
    version = doc.get("catalogVersion")
    released = doc.get("dateReleased")
    return entries, IntelSource("kev", source, version if isinstance(version, str) else None,
                                released[:10] if isinstance(released, str) else None,
                                len(entries))


EPSS_URL = "https://epss.cyentia.com/epss_scores-current.csv.gz"
"""FIRST EPSS daily scores (https://www.first.org/epss/data_stats)."""
KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
"""CISA Known Exploited Vulnerabilities catalog (JSON feed)."""
FILE_NAMES = {"epss": "epss_scores-current.csv.gz", "kev": "known_exploited_vulnerabilities.json"}
MAX_DOWNLOAD_BYTES = 128 * 1024 * 1024


def default_intel_dir() -> Path:
    """``$XDG_CACHE_HOME/ecs-exposure/intel``, else ``~/.cache/ecs-exposure/intel``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecs-exposure" / "intel"


@dataclass(frozen=True)
class Download:
    """Outcome of fetching one file."""

    kind: str
    url: str
    path: Path
    info: IntelSource | None
    error: str | None = None


def validate(kind: str, data: bytes, source: str) -> IntelSource:
    """Parse the downloaded bytes exactly as a scan will; raise InputError if unusable."""
    if kind == "epss":
        return parse_epss(data, source)[1]
    doc = parse_json(data)
    if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
        raise InputError("not a CISA KEV catalog (no vulnerabilities list)")
    return parse_kev(doc, source)[1]


def fetch(url: str, timeout: float) -> bytes:
    """GET ``url`` (http or https only), bounded in size."""
    if not url.startswith(("https://", "http://")):
        raise InputError(f"refusing non-HTTP URL {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": f"ecs-exposure/{__version__}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise InputError(f"download larger than {MAX_DOWNLOAD_BYTES:,} bytes")
    return data


def update(directory: Path, urls: dict[str, str] | None = None,
           timeout: float = 60.0) -> list[Download]:
    """Download each feed, validate it, and atomically replace the cached copy."""
    urls = urls or {"epss": EPSS_URL, "kev": KEV_URL}
    directory.mkdir(parents=True, exist_ok=True)
    results: list[Download] = []
    for kind, url in urls.items():
        target = directory / FILE_NAMES[kind]
        try:
            data = fetch(url, timeout)
            info = validate(kind, data, str(target))
            _write_atomically(target, data)
            results.append(Download(kind, url, target, info))
        except InputError as exc:
            results.append(Download(kind, url, target, None, f"unusable download: {exc}"))
        except (URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
            results.append(Download(kind, url, target, None, f"download failed: {reason}"))
    return results


def _write_atomically(target: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".download-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def add_epss(intel: ExploitIntel, scores: dict[str, tuple[float, float | None]],
             info: IntelSource) -> None:
    """Merge scores; a newer score date wins for a CVE present in two files."""
    previous = max((s.date or "" for s in intel.sources if s.kind == "epss"), default="")
    if (info.date or "") >= previous:
        intel.epss.update(scores)
    else:
        for cve, value in scores.items():
            intel.epss.setdefault(cve, value)
    intel.sources.append(info)


def read_epss(inventory: Inventory, data: bytes, source: str, context: ReadContext) -> bool:
    """Raw reader: EPSS CSV, plain or gzip."""
    if not looks_like_epss(data):
        return False
    scores, info = parse_epss(data, source)
    add_epss(inventory.vulnerabilities.intel, scores, info)
    inventory.supplied.add("epss")
    return True


def read_kev(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """Document reader: the CISA KEV catalog."""
    if not is_kev(doc):
        return False
    entries, info = parse_kev(doc, source)
    intel = inventory.vulnerabilities.intel
    intel.kev.update(entries)
    intel.sources.append(info)
    inventory.supplied.add("kev")
    return True


def load_intel_dir(inventory: Inventory, directory: Path,
                   errors: list[SourceError]) -> list[str]:
    """Read the cache: each kind only when no input file supplied it. Returns files read."""
    if not directory.is_dir():
        return []
    intel = inventory.vulnerabilities.intel
    wanted = {kind for kind in ("epss", "kev") if not intel.has(kind)}
    read: list[str] = []
    for path in _files(directory.iterdir()):
        source = str(path)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise InputError("file too large")
            data = path.read_bytes()
            if looks_like_json(data):
                doc = parse_json(data)
                if "kev" in wanted and read_kev(inventory, doc, source, ReadContext()):
                    read.append(source)
            elif "epss" in wanted and read_epss(inventory, data, source, ReadContext()):
                read.append(source)
        except InputError as exc:
            errors.append(SourceError(source, f"intel cache: {exc}"))
        except OSError as exc:
            errors.append(SourceError(source, f"intel cache: cannot read: {exc.strerror}"))
    return read


def _files(entries: Iterable[Path]) -> list[Path]:
    return sorted(p for p in entries if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith(".part"))

