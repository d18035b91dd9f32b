"""The local exploit-intelligence cache and ``ecs-exposure intel update``.

Scans work offline: they read EPSS and KEV from input files, or from this cache when present
(``$XDG_CACHE_HOME/ecs-exposure/intel``, ``~/.cache/ecs-exposure/intel`` by default, or
``--intel-dir``). ``intel update`` downloads the current files from their publishers when the
machine is online, checks that each parses, and only then replaces the cached copy, so a
failed or truncated download never leaves a broken cache behind.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

from ecs_exposure import __version__
from ecs_exposure.analysis.vulnerabilities.records import IntelSource
from ecs_exposure.sources.intel import parse_epss, parse_kev
from ecs_exposure.sources.jsonfile import InputError, parse_json

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
