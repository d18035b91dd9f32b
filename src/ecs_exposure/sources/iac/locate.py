"""Line and column of a JSON pointer in YAML templates and Terraform HCL files, for
:func:`ecs_exposure.sources.positions.locate` (which reads JSON itself and asks
:data:`LOCATORS` about every other file).

Each file is parsed once per content (the loader records positions anyway); a pointer that is
not recorded resolves to its nearest recorded ancestor, so evidence always lands on a line
inside the resource it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from ecs_exposure.sources.iac import hcl
from ecs_exposure.sources.iac.cfn_template import looks_like_yaml_template
from ecs_exposure.sources.iac.yamlload import Positions, load_yaml
from ecs_exposure.sources.jsonfile import InputError

Locator = Callable[[bytes, str], tuple[int, int] | None]
"""``(file bytes, JSON pointer) → (line, column)``, 1-based, for one file format; ``None`` if
the file is not of its format."""


def nearest(positions: Positions, pointer: str) -> tuple[int, int] | None:
    """Line and column of ``pointer`` or of its nearest recorded ancestor."""
    probe = pointer
    while True:
        found = positions.get(probe)
        if found is not None:
            return found
        if not probe:
            return None
        probe = probe.rsplit("/", 1)[0]


@lru_cache(maxsize=16)
def _yaml_positions(data: bytes) -> Positions | None:
    try:
        return load_yaml(data)[1]
    except InputError:
        return None


def yaml_locator(data: bytes, pointer: str) -> tuple[int, int] | None:
    """Locator for YAML CloudFormation templates."""
    if not looks_like_yaml_template(data):
        return None
    positions = _yaml_positions(data)
    return nearest(positions, pointer) if positions else None


def hcl_locator(data: bytes, pointer: str) -> tuple[int, int] | None:
    """Locator for Terraform ``.tf`` files (pointers like ``/resource/<type>/<name>/…``)."""
    if not hcl.looks_like_hcl(data):
        return None
    positions = hcl._positions(data)
    return nearest(positions, pointer) if positions else None


LOCATORS: tuple[Locator, ...] = (yaml_locator, hcl_locator)
"""Every format other than JSON whose lines evidence can point at, asked in this order."""
