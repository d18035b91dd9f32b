"""End-of-life dates of the OS releases container images are commonly built on.

Data only, in one place, so it is easy to review and update. Dates are the end of standard
(free) security support as announced by each distribution; a release absent from the table is
"unknown", never "supported". Keys are ``(os-release ID, VERSION_ID major[.minor])``.
"""

from __future__ import annotations

from datetime import date

EOL: dict[tuple[str, str], date] = {
    # Debian: end of regular security support (LTS is a separate, volunteer effort).
    ("debian", "8"): date(2018, 6, 17),
    ("debian", "9"): date(2020, 7, 6),
    ("debian", "10"): date(2022, 9, 10),
    ("debian", "11"): date(2024, 8, 14),
    ("debian", "12"): date(2026, 6, 10),
    ("debian", "13"): date(2028, 8, 9),
    # Ubuntu: end of standard support.
    ("ubuntu", "16.04"): date(2021, 4, 30),
    ("ubuntu", "18.04"): date(2023, 5, 31),
    ("ubuntu", "20.04"): date(2025, 5, 31),
    ("ubuntu", "22.04"): date(2027, 6, 1),
    ("ubuntu", "24.04"): date(2029, 5, 31),
    # Alpine: end of support per branch.
    ("alpine", "3.12"): date(2022, 5, 1),
    ("alpine", "3.13"): date(2022, 11, 1),
    ("alpine", "3.14"): date(2023, 5, 1),
    ("alpine", "3.15"): date(2023, 11, 1),
    ("alpine", "3.16"): date(2024, 5, 23),
    ("alpine", "3.17"): date(2024, 11, 22),
    ("alpine", "3.18"): date(2025, 5, 9),
    ("alpine", "3.19"): date(2025, 11, 1),
    ("alpine", "3.20"): date(2026, 4, 1),
    ("alpine", "3.21"): date(2026, 11, 1),
    ("alpine", "3.22"): date(2027, 5, 1),
    # Amazon Linux.
    ("amzn", "2"): date(2026, 6, 30),
    ("amzn", "2018.03"): date(2023, 12, 31),
    ("amzn", "2023"): date(2029, 6, 30),
    # Red Hat family (end of maintenance support).
    ("centos", "7"): date(2024, 6, 30),
    ("centos", "8"): date(2021, 12, 31),
    ("rhel", "7"): date(2024, 6, 30),
    ("rhel", "8"): date(2029, 5, 31),
    ("rhel", "9"): date(2032, 5, 31),
    ("rocky", "8"): date(2029, 5, 31),
    ("rocky", "9"): date(2032, 5, 31),
    ("almalinux", "8"): date(2029, 3, 1),
    ("almalinux", "9"): date(2032, 5, 31),
    ("fedora", "39"): date(2024, 11, 26),
    ("fedora", "40"): date(2025, 5, 13),
    ("fedora", "41"): date(2025, 12, 15),
}
ROLLING = {"wolfi", "chainguard", "arch", "opensuse-tumbleweed", "gentoo"}
"""Rolling distributions have no release end of life."""


def end_of_life(os_id: str, version_id: str) -> date | None:
    """EOL date of a release, trying ``major.minor`` then ``major``; ``None`` when unknown."""
    os_id = os_id.lower().strip()
    version = version_id.strip()
    parts = version.split(".")
    for key in (version, ".".join(parts[:2]), parts[0]):
        found = EOL.get((os_id, key))
        if found is not None:
            return found
    return None
