"""Load a folder of image archives and OCI layouts (``scan --images DIR``), or the one image
``ecs-exposure image`` checks, into the context.

Each entry is judged by content: a directory holding ``index.json`` or ``manifest.json`` is a
layout (not descended into further); any other file that is a tar archive (plain or gzip) is a
``docker save`` or OCI archive. Layouts holding only signatures (``cosign save`` of a ``.sig``)
are kept for signature lookup. A bad archive is an error naming it; the rest still load.
Each archive or layout is read within its own budget (``ImageLimits``): a cap that is hit is an
error naming the archive and the cap, and the next archive starts afresh. Only regular files
and directories are looked at (a FIFO in the folder is never opened).
"""

from __future__ import annotations

import os
from pathlib import Path

from ecs_exposure.analysis.images.context import ImageContext
from ecs_exposure.analysis.images.facts import inspect_entry
from ecs_exposure.analysis.images.layers import LayerCache
from ecs_exposure.analysis.images.layout import read_layout
from ecs_exposure.analysis.images.limits import Budget, ImageError, ImageLimits
from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.analysis.images.store import is_archive, open_store
from ecs_exposure.model import SourceError

_LAYOUT_MARKERS = ("index.json", "manifest.json")


def _candidates(root: Path, limits: ImageLimits) -> list[Path]:
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
            if not name.startswith(".") and is_archive(path, limits):
                found.append(path)
    return sorted(found)


def load_image(path: Path, ctx: ImageContext, limits: ImageLimits | None = None, *,
               extra_files: tuple[str, ...] = ()) -> list[SourceError]:
    """Inspect every image of one layout or archive, within ``limits``; returns the problems.
    ``extra_files``: files to look for besides the known components (the policy's
    ``extra_files``)."""
    budget = Budget(limits if limits is not None else ImageLimits(), str(path))
    try:
        return _load(path, ctx, budget, extra_files)
    finally:
        budget.close()          # the layout stays for signature lookups, outside the budget


def _load(path: Path, ctx: ImageContext, budget: Budget, extra_files: tuple[str, ...]
          ) -> list[SourceError]:
    errors: list[SourceError] = []
    try:
        store = open_store(path, budget)
    except ImageError as exc:
        return [SourceError(str(path), str(exc))]
    try:
        layout = read_layout(store)
    except ImageError as exc:
        store.close()
        return [SourceError(str(path), str(exc))]
    if layout not in ctx.layouts:
        ctx.layouts.append(layout)
    cache = LayerCache((layer for entry in layout.images for layer in entry.layers), budget)
    for entry in layout.images:
        try:
            ctx.add_facts(inspect_entry(layout, entry, extra_files, cache))
        except ImageError as exc:
            errors.append(SourceError(str(path), str(exc)))
    if not layout.images and not layout.artifacts:
        why = "".join(f"; {note}" for note in layout.notes[:5])   # e.g. an unreadable manifest
        errors.append(SourceError(str(path), f"no image or signature found in the layout{why}"))
    return errors


def load_images(root: Path, ctx: ImageContext, limits: ImageLimits | None = None, *,
                extra_files: tuple[str, ...] = ()) -> list[SourceError]:
    """Load every layout and archive under ``root``, each within its own ``limits``
    (``extra_files``: see :func:`load_image`)."""
    if not root.exists():
        return [SourceError(str(root), "no such file or directory")]
    if not root.is_dir() and not root.is_file():
        return [SourceError(str(root), "not a regular file or directory")]
    limits = limits if limits is not None else ImageLimits()
    errors: list[SourceError] = []
    for path in _candidates(root, limits):
        errors.extend(load_image(path, ctx, limits, extra_files=extra_files))
    return errors


def gate_target(target: str, reference: str | None, arch: str, ctx: ImageContext, *,
                extra_files: tuple[str, ...] = ()) -> tuple[str, bool]:
    """The reference ``ecs-exposure image TARGET`` checks, and whether it is the image's own.

    TARGET that is not a path is a reference already. An archive or layout is loaded into
    ``ctx``; its ``arch`` image (or its first) is checked as ``reference`` (which must name
    the image's digest, if it names one), else as the first reference the image names, else
    under a placeholder name for its digest (``False``: no registry or repository to judge).
    ``extra_files``: see :func:`load_image`. Raises :class:`ImageError` when the image cannot
    be read or named.
    """
    path = Path(target)
    if not path.exists():
        return reference or target, True
    before = len(ctx.facts)
    problems = load_image(path, ctx, extra_files=extra_files)
    if problems or len(ctx.facts) == before:
        lines = [f"{p.source}: {p.message}" for p in problems or [
            SourceError(target, "no image found")]]
        raise ImageError(lines[-1], lines[:-1])
    facts = next((f for f in ctx.facts[before:] if not f.platform
                  or f.platform.startswith(f"linux/{arch}")), ctx.facts[before])
    if reference is not None:
        pinned = parse_reference(reference)
        if pinned is not None and pinned.digest and pinned.digest not in facts.digests:
            raise ImageError(f"--ref names digest {pinned.digest}, but the image in {target} "
                             f"has {', '.join(facts.digests) or 'none'}")
        facts.refs.append(reference)   # the archive is the image this reference deploys
        return reference, True
    named = [r for r in facts.refs if parse_reference(r) is not None
             and ("/" in r or ":" in r.split("/")[-1])]
    if named:
        return named[0], True
    if facts.digests:
        return f"unnamed.invalid/image@{facts.digests[0]}", False
    raise ImageError("the archive names no reference and has no manifest digest; pass --ref")
