"""Load a folder of image archives and OCI layouts (``scan --images DIR``) into the context.

Each entry is judged by content: a directory holding ``index.json`` or ``manifest.json`` is a
layout (not descended into further); any other file that is a tar archive (plain or gzip) is a
``docker save`` or OCI archive. Layouts holding only signatures (``cosign save`` of a ``.sig``)
are kept for signature lookup. A bad archive is an error naming it; the rest still load.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from ecs_exposure.images.context import ImageContext
from ecs_exposure.images.facts import inspect_entry
from ecs_exposure.images.layout import read_layout
from ecs_exposure.images.store import ImageError, open_store
from ecs_exposure.model import SourceError

_LAYOUT_MARKERS = ("index.json", "manifest.json")


def _candidates(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if any((root / m).is_file() for m in _LAYOUT_MARKERS):
        return [root]
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        base = Path(current)
        dirs.sort()
        for name in list(dirs):
            if name.startswith(".") or any((base / name / m).is_file() for m in _LAYOUT_MARKERS):
                dirs.remove(name)
                if not name.startswith("."):
                    found.append(base / name)
        for name in sorted(files):
            path = base / name
            if not name.startswith(".") and tarfile.is_tarfile(path):
                found.append(path)
    return sorted(found)


def load_image(path: Path, ctx: ImageContext, extra_files: tuple[str, ...] = ()
               ) -> list[SourceError]:
    """Inspect every image of one layout or archive; returns the problems. ``extra_files``:
    files to look for besides the known components (the policy's ``extra_files``)."""
    errors: list[SourceError] = []
    try:
        store = open_store(path)
        layout = read_layout(store)
    except ImageError as exc:
        return [SourceError(str(path), str(exc))]
    if layout not in ctx.layouts:
        ctx.layouts.append(layout)
    for entry in layout.images:
        try:
            ctx.add_facts(inspect_entry(layout, entry, extra_files))
        except ImageError as exc:
            errors.append(SourceError(str(path), str(exc)))
    if not layout.images and not layout.artifacts:
        errors.append(SourceError(str(path), "no image or signature found in the layout"))
    return errors


def load_images(root: Path, ctx: ImageContext, extra_files: tuple[str, ...] = ()
                ) -> list[SourceError]:
    """Load every layout and archive under ``root`` (``extra_files``: see :func:`load_image`)."""
    if not root.exists():
        return [SourceError(str(root), "no such file or directory")]
    errors: list[SourceError] = []
    for path in _candidates(root):
        errors.extend(load_image(path, ctx, extra_files))
    return errors
