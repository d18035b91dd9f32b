"""Line and column of a JSON pointer in YAML templates and Terraform HCL files, for
:func:`ecs_exposure.sources.positions.locate`.

Each file is parsed once per content (the loader records positions anyway); a pointer that is
not recorded resolves to its nearest recorded ancestor, so evidence always lands on a line
inside the resource it belongs to.
"""

from __future__ import annotations

from functools import lru_cache

from ecs_exposure.sources.iac import hcl
from ecs_exposure.sources.iac.cloudformation import looks_like_yaml_template
from ecs_exposure.sources.iac.yamlload import Positions, load_yaml
from ecs_exposure.sources.jsonfile import InputError
from ecs_exposure.sources.positions import Position


def nearest(positions: Positions, pointer: str) -> Position | None:
    """Position of ``pointer`` or of its nearest recorded ancestor."""
    probe = pointer
    while True:
        found = positions.get(probe)
        if found is not None:
            return Position(*found)
        if not probe:
            return None
        probe = probe.rsplit("/", 1)[0]


@lru_cache(maxsize=16)
def _yaml_positions(data: bytes) -> Positions | None:
    try:
        return load_yaml(data)[1]
    except InputError:
        return None


def yaml_locator(data: bytes, pointer: str) -> Position | None:
    """Locator for YAML CloudFormation templates."""
    if not looks_like_yaml_template(data):
        return None
    positions = _yaml_positions(data)
    return nearest(positions, pointer) if positions else None


def hcl_locator(data: bytes, pointer: str) -> Position | None:
    """Locator for Terraform ``.tf`` files (pointers like ``/resource/<type>/<name>/…``)."""
    if not hcl.looks_like_hcl(data):
        return None
    positions = hcl._positions(data)
    return nearest(positions, pointer) if positions else None
