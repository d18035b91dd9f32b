"""End of life of Linux distribution releases: the scanner's verdict first, then a small table.

Trivy says ``EOSL`` itself; Grype, Inspector and CycloneDX only name the distribution and
version, so a bundled table of release end dates fills in. Dates are the end of free security
updates (Debian LTS, Ubuntu standard support, Amazon Linux, RHEL maintenance): after them new
vulnerabilities in the base image are no longer fixed, and scanners may stop reporting them.
A release older than every row of its distribution is past end of life too.
"""

from __future__ import annotations

import re
from datetime import date

from ecs_exposure.analysis.vulnerabilities.records import OsRelease

END_OF_LIFE: dict[str, dict[str, str]] = {
    "alpine": {
        "3.10": "2021-05-01", "3.11": "2021-11-01", "3.12": "2022-05-01", "3.13": "2022-11-01",
        "3.14": "2023-05-01", "3.15": "2023-11-01", "3.16": "2024-05-23", "3.17": "2024-11-22",
        "3.18": "2025-05-09", "3.19": "2025-11-01", "3.20": "2026-04-01", "3.21": "2026-11-01",
        "3.22": "2027-05-01", "3.23": "2027-11-01",
    },
    "debian": {
        "8": "2020-06-30", "9": "2022-06-30", "10": "2024-06-30", "11": "2026-08-31",
        "12": "2028-06-30", "13": "2030-06-30",
    },
    "ubuntu": {
        "16.04": "2021-04-30", "18.04": "2023-05-31", "20.04": "2025-05-31",
        "22.04": "2027-06-01", "23.10": "2024-07-11", "24.04": "2029-05-31",
        "24.10": "2025-07-10", "25.04": "2026-01-15",
    },
    "amazon": {"1": "2023-12-31", "2": "2026-06-30", "2023": "2029-06-30"},
    "centos": {"6": "2020-11-30", "7": "2024-06-30", "8": "2021-12-31"},
    "rhel": {"6": "2020-11-30", "7": "2024-06-30", "8": "2029-05-31", "9": "2032-05-31"},
    "rocky": {"8": "2029-05-31", "9": "2032-05-31"},
    "almalinux": {"8": "2029-03-01", "9": "2032-05-31"},
}
"""Distribution → release → last day of free security updates."""

_ALIASES = {"amzn": "amazon", "amazonlinux": "amazon", "amazon linux": "amazon",
            "redhat": "rhel", "red hat enterprise linux": "rhel", "ubi": "rhel",
            "alma": "almalinux", "rocky linux": "rocky", "debian gnu/linux": "debian"}
_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def _release_key(family: str, version: str) -> str | None:
    found = _NUMBER.search(version)
    if found is None:
        return None
    parts = found.group().split(".")
    if family in ("alpine", "ubuntu"):
        return ".".join(parts[:2]) if len(parts) >= 2 else None
    if family == "amazon" and parts[0].startswith("20") and len(parts[0]) == 4:
        return "2023" if parts[0] >= "2022" else "1"  # 2018.03 is Amazon Linux 1
    return parts[0]


def _as_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def end_of_life(os: OsRelease, today: date | None = None) -> str | None:
    """Why the release is past end of life, or ``None`` when it is supported or unknown."""
    label = f"{os.family} {os.version}"
    if os.eosl is True:
        return f"the scanner reports {label} as past end of service life"
    family = _ALIASES.get(os.family.lower(), os.family.lower())
    table = END_OF_LIFE.get(family)
    key = _release_key(family, os.version)
    if table is None or key is None:
        return None
    today = today or date.today()
    ended = table.get(key)
    if ended is not None:
        if date.fromisoformat(ended) < today:
            return f"{label} reached end of life on {ended}"
        return None
    oldest = min(table, key=_as_tuple)
    if _as_tuple(key) < _as_tuple(oldest):
        return f"{label} is older than {family} {oldest}, which reached end of life on " \
               f"{table[oldest]}"
    return None
