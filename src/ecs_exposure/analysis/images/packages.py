"""Installed-package databases: dpkg (``status`` and distroless ``status.d``), apk, rpm sqlite.

Each parser takes the bytes of one database file and never trusts them: malformed stanzas are
skipped, counts are capped, and the rpm header parser bounds-checks every offset. Berkeley DB
(``Packages``, EL 7/8, Amazon Linux 2) and NDB (SUSE) rpm databases are recognised by their
magic numbers and reported as unsupported rather than silently ignored.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass

MAX_PACKAGES = 50_000

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
APK_DBS = ("lib/apk/db/installed", "usr/lib/apk/db/installed")
RPM_DBS = tuple(f"{base}/rpm/{name}" for base in ("var/lib", "usr/lib/sysimage", "usr/share")
                for name in ("rpmdb.sqlite", "Packages", "Packages.db"))
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BDB_HASH_MAGIC = (0x00061561).to_bytes(4, "little"), (0x00061561).to_bytes(4, "big")
_NDB_MAGIC = b"RpmP"


@dataclass(frozen=True)
class Package:
    """One installed package and where its record was found."""

    name: str
    version: str
    manager: str
    """``dpkg``, ``apk`` or ``rpm``."""
    database: str
    """Path of the database inside the image."""


def is_package_db(path: str) -> bool:
    """Paths whose content the squash keeps."""
    return (path == DPKG_STATUS or (path.startswith(DPKG_STATUS_D) and "/" not in
                                    path[len(DPKG_STATUS_D):])
            or path in APK_DBS or path in RPM_DBS)


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    """RFC 822-like paragraphs; continuation lines (leading space) are ignored."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif not line[0].isspace() and ":" in line:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    if fields:
        yield fields


def parse_dpkg(data: bytes, database: str) -> list[Package]:
    """dpkg ``status``/``status.d`` stanzas, skipping packages not actually installed."""
    found = []
    for fields in _stanzas(data.decode("utf-8", "replace")):
        name = fields.get("Package")
        if not name:
            continue
        status = fields.get("Status", "install ok installed")
        if any(word in status.split() for word in ("deinstall", "purge", "not-installed",
                                                    "config-files")):
            continue
        found.append(Package(name, fields.get("Version", ""), "dpkg", database))
        if len(found) >= MAX_PACKAGES:
            break
    return found


def parse_apk(data: bytes, database: str) -> list[Package]:
    """apk ``installed``: ``P:`` name, ``V:`` version, one stanza per package."""
    found = []
    name = version = ""
    for line in data.decode("utf-8", "replace").splitlines() + [""]:
        if not line.strip():
            if name:
                found.append(Package(name, version, "apk", database))
                if len(found) >= MAX_PACKAGES:
                    break
            name = version = ""
        elif line.startswith("P:"):
            name = line[2:].strip()
        elif line.startswith("V:"):
            version = line[2:].strip()
    return found


_NAME, _VERSION, _RELEASE, _EPOCH = 1000, 1001, 1002, 1003
_STRING_TYPES = {6, 8, 9}
_INT32 = 4


def parse_rpm_header(blob: bytes) -> dict[int, str | int]:
    """NAME/VERSION/RELEASE/EPOCH from one header blob (no magic; images.md §4.4)."""
    if len(blob) < 8:
        raise ValueError("header too short")
    index_count, data_length = struct.unpack(">ii", blob[:8])
    if index_count < 1 or data_length < 0 or index_count > 100_000:
        raise ValueError("bad header counts")
    store_start = 8 + 16 * index_count
    if store_start + data_length > len(blob):
        raise ValueError("header longer than blob")
    store = blob[store_start:store_start + data_length]
    tags: dict[int, str | int] = {}
    for i in range(index_count):
        tag, kind, offset, count = struct.unpack(">iIiI", blob[8 + 16 * i: 24 + 16 * i])
        if tag not in (_NAME, _VERSION, _RELEASE, _EPOCH) or not 0 <= offset < len(store):
            continue
        if kind in _STRING_TYPES:
            end = store.find(b"\x00", offset)
            tags[tag] = store[offset: end if end >= 0 else len(store)].decode("utf-8", "replace")
        elif kind == _INT32 and count >= 1 and offset + 4 <= len(store):
            tags[tag] = struct.unpack(">i", store[offset:offset + 4])[0]
    return tags


def rpm_format(data: bytes) -> str:
    """``sqlite``, ``bdb``, ``ndb`` or ``unknown``, from magic bytes."""
    if data.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if data[12:16] in _BDB_HASH_MAGIC:
        return "bdb"
    if data.startswith(_NDB_MAGIC):
        return "ndb"
    return "unknown"


def parse_rpm_sqlite(data: bytes, database: str) -> list[Package]:
    """``SELECT blob FROM Packages`` from an in-memory copy of the database (never on disk)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        conn.execute("PRAGMA query_only = ON")
        rows = conn.execute("SELECT blob FROM Packages LIMIT ?", (MAX_PACKAGES,)).fetchall()
    except sqlite3.Error as exc:
        raise ValueError(f"rpm sqlite database unreadable: {exc}") from None
    finally:
        conn.close()
    found = []
    for (blob,) in rows:
        if not isinstance(blob, bytes):
            continue
        try:
            tags = parse_rpm_header(blob)
        except (ValueError, struct.error):
            continue
        name = tags.get(_NAME)
        if not isinstance(name, str) or not name or name == "gpg-pubkey":
            continue
        version = f"{tags.get(_VERSION, '')}-{tags.get(_RELEASE, '')}"
        if isinstance(tags.get(_EPOCH), int):
            version = f"{tags[_EPOCH]}:{version}"
        found.append(Package(name, version, "rpm", database))
    return found


def read_packages(files: dict[str, bytes]) -> tuple[list[Package], list[str]]:
    """Packages from every database present, plus notes on unreadable/unsupported ones."""
    packages: list[Package] = []
    notes: list[str] = []
    for path in sorted(files):
        data = files[path]
        if path == DPKG_STATUS or path.startswith(DPKG_STATUS_D):
            if not path.endswith(".md5sums"):
                packages += parse_dpkg(data, path)
        elif path in APK_DBS:
            packages += parse_apk(data, path)
        elif path in RPM_DBS:
            kind = rpm_format(data)
            if kind == "sqlite":
                try:
                    packages += parse_rpm_sqlite(data, path)
                except ValueError as exc:
                    notes.append(f"{path}: {exc}")
            elif kind == "bdb":
                notes.append(f"{path}: Berkeley DB rpm database is not supported; "
                             "rpm packages not listed")
            elif kind == "ndb":
                notes.append(f"{path}: NDB rpm database is not supported; "
                             "rpm packages not listed")
            else:
                notes.append(f"{path}: unrecognised rpm database format")
    return packages, notes
