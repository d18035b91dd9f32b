"""Local files a Terraform configuration reads: ``file()``, ``templatefile()`` and the folders
of local modules, only ever inside the folders being scanned.

A configuration that says ``file("../../secrets/x.json")`` or ``source = "../../../../etc"``
must not make the scanner read whatever the path names: every path is resolved (symbolic links
included) and used only when it lies inside one of the scan's roots; anything else stays
*unknown*, with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ecs_exposure.analysis.unknown import Unknown

MAX_READ_BYTES = 4 * 1024 * 1024
"""The largest file ``file()``/``templatefile()`` reads (the limit of a ``.tf`` file)."""


def real(path: str) -> str:
    """``path`` resolved to an absolute path without symbolic links."""
    return os.path.realpath(path or ".")


def inside(path: str, roots: tuple[str, ...]) -> bool:
    """Whether ``path`` (resolved) lies in one of ``roots`` (already resolved)."""
    resolved = real(path)
    for root in roots:
        try:
            if os.path.commonpath([resolved, root]) == root:
                return True
        except ValueError:      # different drives
            continue
    return False


@dataclass(frozen=True)
class FileAccess:
    """Where the module being evaluated lives, and the folders it may read from."""

    module_dir: str
    """``path.module``: the folder of the ``.tf`` file, as the scan names it."""
    root_dir: str
    """``path.root``: the folder of the root module (relative paths start there)."""
    roots: tuple[str, ...]
    """Resolved folders of the scan; nothing outside them is read."""

    @property
    def path_module(self) -> str:
        """``path.module`` as Terraform gives it: relative to the root module's folder."""
        return os.path.relpath(self.module_dir or ".", self.root_dir or ".")

    def read(self, name: str, call: str) -> str | Unknown:
        """The text of file ``name`` (relative to ``path.root``), or why it is unknown."""
        path = name if os.path.isabs(name) else os.path.join(self.root_dir or ".", name)
        if not inside(path, self.roots):
            return Unknown(f"hcl: {call} (outside the scanned folders)")
        try:
            file = Path(path)
            if not file.is_file():
                return Unknown(f"hcl: {call} (no such file)")
            if file.stat().st_size > MAX_READ_BYTES:
                return Unknown(f"hcl: {call} (file above {MAX_READ_BYTES:,} bytes)")
            return file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return Unknown(f"hcl: {call} (cannot read: {exc.__class__.__name__})")
