"""When Linux distribution releases stop getting security fixes: one table, one decision.

Both sources of the ``end-of-life-os`` trait decide here: scanner reports that name only the
distribution and version (Grype, Inspector, CycloneDX; Trivy's own ``EOSL`` verdict is taken as
it is by the caller) and an image's ``os-release`` read from an archive. One table, so the same
image gets the same verdict whichever way it was read.

Each release has two dates, each with its source (:data:`SOURCES`, and a comment where a row
needs one):

* ``regular``: the end of regular (standard) security support by the distribution itself
  (Debian Security Team, Ubuntu standard support, Alpine ``main``, Amazon Linux, RHEL
  maintenance support, ...);
* ``extended``: the end of an extended-support programme where one exists (Debian LTS, Ubuntu
  Pro ESM, RHEL ELS), with ``extended_public`` saying whether it is free and published in the
  distribution's own archive for every user.

**Which date the trait uses, and why.** The trait reports an OS whose *public* security fixes
have ended: ``regular``, or ``extended`` when the extended programme is public (only Debian LTS:
the Debian LTS team publishes fixes in the same ``<release>-security`` archive, free for
everyone, and Debian's own end-of-life announcements date a release's end at its LTS end). A
paid subscription (Ubuntu Pro ESM, RHEL ELS, Freexian ELTS) reaches no image built from the
default package sources, so it does not count. This is the line the trait's risk rests on
(after it, new vulnerabilities in the base image are no longer fixed, and scanners may stop
reporting them), and the one Trivy draws for its own ``EOSL`` verdict: its Debian table dates
each release at (about) its LTS end ("// LTS", ``pkg/detector/ospkg/debian/debian.go``), its
Ubuntu table at standard support (``-ESM`` rows only for images enrolled in ESM). Using the
same line keeps a Trivy report's verdict and ours in agreement.

A release older than every row of its distribution is past end of life too; a distribution or
release not in the table (or a rolling one) is unknown, never "supported".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Support:
    """The security-support dates of one release."""

    regular: date
    """Last day of regular (standard) security support by the distribution."""
    extended: date | None = None
    """Last day of the extended-support programme (LTS, ESM, ELS), where one exists."""
    extended_public: bool = False
    """The extended fixes are free and in the distribution's own archive (Debian LTS)."""

    @property
    def public_end(self) -> date:
        """Last day of public security fixes: the date the trait uses (see the module doc)."""
        if self.extended is not None and self.extended_public:
            return self.extended
        return self.regular


def _s(regular: str, extended: str | None = None, public: bool = False) -> Support:
    return Support(date.fromisoformat(regular),
                   date.fromisoformat(extended) if extended else None, public)


SOURCES: dict[str, str] = {
    "alpine": "https://alpinelinux.org/releases/ (end of support of the main repository)",
    "debian": "https://wiki.debian.org/DebianReleases (regular), https://wiki.debian.org/LTS "
              "(LTS end; the announcements on https://www.debian.org/News/ give the same dates)",
    "ubuntu": "https://ubuntu.com/about/release-cycle (end of standard support; end of "
              "Ubuntu Pro ESM, a subscription)",
    "amazon": "https://aws.amazon.com/amazon-linux-2/faqs/ (Amazon Linux 2), "
              "https://aws.amazon.com/amazon-linux-ami/faqs/ (Amazon Linux AMI 2018.03), "
              "https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html (AL2023)",
    "centos": "https://www.centos.org/centos-linux-eol/",
    "rhel": "https://access.redhat.com/support/policy/updates/errata (end of maintenance "
            "support; ELS is a paid add-on: RHEL 7 ELS to 2028-06-30 per "
            "https://www.redhat.com/en/blog/announcing-4-years-extended-life-cycle-support-els-"
            "red-hat-enterprise-linux-7)",
    "rocky": "https://wiki.rockylinux.org/rocky/version/ (end of security support)",
    "almalinux": "https://wiki.almalinux.org/release-notes/ (end of security support)",
    "fedora": "https://docs.fedoraproject.org/en-US/releases/eol/",
}
"""Where each distribution's dates come from."""

LIFECYCLES: dict[str, dict[str, Support]] = {
    "alpine": {  # no extended programme
        "3.10": _s("2021-05-01"), "3.11": _s("2021-11-01"), "3.12": _s("2022-05-01"),
        "3.13": _s("2022-11-01"), "3.14": _s("2023-05-01"), "3.15": _s("2023-11-01"),
        "3.16": _s("2024-05-23"), "3.17": _s("2024-11-22"), "3.18": _s("2025-05-09"),
        "3.19": _s("2025-11-01"), "3.20": _s("2026-04-01"), "3.21": _s("2026-11-01"),
        "3.22": _s("2027-05-01"), "3.23": _s("2027-11-01"),
    },
    "debian": {  # regular: Debian Security Team; extended: Debian LTS (public). Paid
        # Freexian ELTS after that (https://www.freexian.com/lts/extended/) is not recorded.
        "8": _s("2018-06-17", "2020-06-30", public=True),
        "9": _s("2020-07-06", "2022-06-30", public=True),
        "10": _s("2022-09-10", "2024-06-30", public=True),
        "11": _s("2024-08-14", "2026-08-31", public=True),
        "12": _s("2026-06-10", "2028-06-30", public=True),
        "13": _s("2028-08-09", "2030-06-30", public=True),  # regular: 3 years after release
    },
    "ubuntu": {  # extended: Ubuntu Pro ESM (subscription); the page gives months, here the
        # month's last day. Interim releases (23.10, 24.10, 25.04) have no ESM.
        "16.04": _s("2021-04-30", "2026-04-30"), "18.04": _s("2023-05-31", "2028-04-30"),
        "20.04": _s("2025-05-31", "2030-04-30"), "22.04": _s("2027-06-01", "2032-04-30"),
        "23.10": _s("2024-07-11"), "24.04": _s("2029-05-31", "2034-04-30"),
        "24.10": _s("2025-07-10"), "25.04": _s("2026-01-15"),
    },
    "amazon": {  # "1" is the Amazon Linux AMI (2018.03); no extended programme. AL2023's
        # support includes its maintenance phase (security fixes) to 2029-06-30.
        "1": _s("2023-12-31"), "2": _s("2026-06-30"), "2023": _s("2029-06-30"),
    },
    "centos": {"6": _s("2020-11-30"), "7": _s("2024-06-30"), "8": _s("2021-12-31")},
    "rhel": {  # UBI images follow RHEL; ELS end recorded only where confirmed (see SOURCES)
        "6": _s("2020-11-30"), "7": _s("2024-06-30", "2028-06-30"), "8": _s("2029-05-31"),
        "9": _s("2032-05-31"),
    },
    "rocky": {"8": _s("2029-05-31"), "9": _s("2032-05-31")},
    "almalinux": {"8": _s("2029-03-01"), "9": _s("2032-05-31")},
    "fedora": {"39": _s("2024-11-26"), "40": _s("2025-05-13"), "41": _s("2025-12-15")},
}
"""Distribution → release → security-support dates."""

ROLLING = frozenset({"wolfi", "chainguard", "arch", "opensuse-tumbleweed", "gentoo"})
"""Rolling distributions have no release end of life."""

_ALIASES = {"amzn": "amazon", "amazonlinux": "amazon", "amazon linux": "amazon",
            "redhat": "rhel", "red hat enterprise linux": "rhel", "ubi": "rhel",
            "alma": "almalinux", "rocky linux": "rocky", "debian gnu/linux": "debian"}
"""Spellings of scanners (``redhat``, ``amazon``) and of ``os-release`` ``ID`` (``amzn``)."""
_NUMBER = re.compile(r"\d+(?:\.\d+)*")


@dataclass(frozen=True, slots=True)
class EndOfLife:
    """A release past the end of its public security fixes."""

    family: str
    """Canonical distribution name (``amazon`` for ``amzn``)."""
    release: str
    """Table row that decided: the release itself, or the oldest row it is older than."""
    ended: date
    """:attr:`Support.public_end` of that row."""
    older_than_table: bool
    """The release is older than every row (so it ended on or before :attr:`ended`)."""

    def describe(self, label: str) -> str:
        """``<label> reached end of life on <date>``, or the older-than-the-table wording."""
        if self.older_than_table:
            return (f"{label} is older than {self.family} {self.release}, which reached end of "
                    f"life on {self.ended.isoformat()}")
        return f"{label} reached end of life on {self.ended.isoformat()}"


def family_of(name: str) -> str:
    """Canonical distribution name of a scanner family or an ``os-release`` ``ID``."""
    lowered = name.strip().lower()
    return _ALIASES.get(lowered, lowered)


def release_key(family: str, version: str) -> str | None:
    """The table row a version string belongs to (``3.16.9`` → ``3.16``, ``2 (Karoo)`` → ``2``,
    ``12.5`` → ``12``, Amazon Linux AMI ``2018.03`` → ``1``), or ``None`` without a number."""
    found = _NUMBER.search(version)
    if found is None:
        return None
    parts = found.group().split(".")
    if family in ("alpine", "ubuntu"):
        return ".".join(parts[:2]) if len(parts) >= 2 else None
    if family == "amazon" and parts[0].startswith("20") and len(parts[0]) == 4:
        return "2023" if parts[0] >= "2022" else "1"
    return parts[0]


def _as_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def end_of_life(name: str, version: str, today: date | None = None) -> EndOfLife | None:
    """The release's public security fixes ended before ``today``; ``None`` when they have not,
    or when the release is unknown (rolling, unlisted distribution, no version number)."""
    family = family_of(name)
    table = LIFECYCLES.get(family)
    key = release_key(family, version)
    if table is None or key is None or family in ROLLING:
        return None
    today = today or date.today()
    row = table.get(key)
    if row is not None:
        return EndOfLife(family, key, row.public_end, False) if row.public_end < today else None
    oldest = min(table, key=_as_tuple)
    if _as_tuple(key) < _as_tuple(oldest):  # the oldest rows ended years ago
        return EndOfLife(family, oldest, table[oldest].public_end, True)
    return None


def end_of_life_reason(name: str, version: str, scanner_eosl: bool | None = None,
                       today: date | None = None) -> str | None:
    """Why a release a scanner report names is past end of life, or ``None``: the scanner's
    own verdict (Trivy ``EOSL``) first, then the table."""
    label = f"{name} {version}"
    if scanner_eosl is True:
        return f"the scanner reports {label} as past end of service life"
    ended = end_of_life(name, version, today)
    return ended.describe(label) if ended is not None else None
