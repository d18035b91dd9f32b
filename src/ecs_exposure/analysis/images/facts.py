"""Image facts: what the hardening checks need to know about one image, from any source.

Offline sources (an OCI layout or ``docker save`` archive) give everything: config, packages,
files. Live sources give less (ECR ``describe-images`` has push time but no files; a Trivy
report has the config). Every field is optional and "unknown" is never read as "safe".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecs_exposure.analysis.images.components import FILE_INDEX
from ecs_exposure.analysis.images.layers import LayerCache, Tree, squash
from ecs_exposure.analysis.images.layout import ImageEntry, Layout
from ecs_exposure.analysis.images.packages import Package, is_package_db, read_packages

OS_RELEASE = ("etc/os-release", "usr/lib/os-release")
_KEPT = set(OS_RELEASE) | {"etc/alpine-release"}


@dataclass(frozen=True)
class OsRelease:
    """``ID``/``VERSION_ID``/``PRETTY_NAME`` from os-release, and where they were read."""

    id: str
    version_id: str
    pretty_name: str
    path: str


@dataclass
class ImageFacts:
    """Everything known about one image; ``None`` means unknown."""

    source: str
    refs: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    """Manifest digest first, then any index digest that points to it."""
    config_digest: str | None = None
    user: str | None = None
    """Config ``User`` ("" when the config sets none); ``None`` when no config is known."""
    created: datetime | None = None
    env_names: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    os: OsRelease | None = None
    packages: list[Package] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    """Catalogued or policy-listed paths present in the squashed tree → layer index."""
    file_kinds: dict[str, str] = field(default_factory=dict)
    """Same paths → ``file``, ``symlink`` or ``hardlink``."""
    all_paths: frozenset[str] = frozenset()
    setuid: list[tuple[str, int, int]] = field(default_factory=list)
    """``(path, mode, layer)`` of setuid/setgid regular files."""
    notes: list[str] = field(default_factory=list)
    platform: str = ""
    """``linux/amd64``…, from the index; empty when the layout does not say."""
    inspected: bool = False
    """True when the file tree was read (package and component checks are meaningful)."""
    layout: Layout | None = None


def parse_time(value: Any) -> datetime | None:
    """RFC 3339 strings (any fraction, ``Z``), epoch seconds, or datetimes → aware UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # trim nanoseconds to what fromisoformat accepts
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _os_release(tree: Tree) -> OsRelease | None:
    for path in OS_RELEASE:
        data = tree.content(path)
        if data is None:
            continue
        values: dict[str, str] = {}
        for line in data.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip("\"'")
        if values.get("ID"):
            return OsRelease(values["ID"], values.get("VERSION_ID", ""),
                             values.get("PRETTY_NAME", ""), path)
    alpine = tree.content("etc/alpine-release")
    if alpine:
        return OsRelease("alpine", alpine.decode("ascii", "replace").strip(), "",
                         "etc/alpine-release")
    return None


def apply_config(facts: ImageFacts, config: dict[str, Any]) -> None:
    """Config fields shared by archives and scanner reports (Trivy ``ImageConfig``)."""
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    assert isinstance(inner, dict)
    user = inner.get("User")
    facts.user = user if isinstance(user, str) else ""
    facts.created = parse_time(config.get("created"))
    facts.env_names = [str(e).split("=", 1)[0] for e in inner.get("Env") or []
                       if isinstance(e, str)]
    facts.history = [str(h.get("created_by", ""))[:500] for h in config.get("history") or []
                     if isinstance(h, dict) and h.get("created_by")]


def inspect_entry(layout: Layout, entry: ImageEntry, extra_files: tuple[str, ...] = (),
                  cache: LayerCache | None = None) -> ImageFacts:
    """Full facts of one image in a layout: config, squashed tree, packages, components.

    ``cache`` (one per load) lets images that share layers read each shared blob once.
    """
    facts = ImageFacts(layout.store.label, list(entry.refs), list(entry.digests),
                       entry.config_digest, layout=layout, platform=entry.platform)
    apply_config(facts, entry.config)
    facts.notes.extend(layout.notes)
    wanted = set(FILE_INDEX) | set(extra_files)

    def keep(path: str) -> bool:
        return path in _KEPT or is_package_db(path)

    tree = squash(layout.store, entry.layers, keep, cache)
    facts.notes.extend(tree.warnings)
    dbs: dict[str, bytes] = {}
    for path, item in tree.entries.items():
        if item.kind == "dir":
            continue
        if path in wanted:
            facts.files[path] = item.layer
            facts.file_kinds[path] = item.kind
        if item.kind == "file" and item.mode & 0o6000:
            facts.setuid.append((path, item.mode, item.layer))
        if item.content is not None and is_package_db(path):
            dbs[path] = item.content
    for path in wanted - set(facts.files):
        resolved = tree.resolve(path)  # merged-usr: bin -> usr/bin
        if resolved is not None and resolved.kind != "dir":
            facts.files[path] = resolved.layer
            facts.file_kinds[path] = "file via a linked directory"
    facts.all_paths = frozenset(p for p, e in tree.entries.items() if e.kind != "dir")
    facts.packages, notes = read_packages(dbs)
    facts.notes.extend(notes)
    facts.os = _os_release(tree)
    facts.inspected = True
    return facts
