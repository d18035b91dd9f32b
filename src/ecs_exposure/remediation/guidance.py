"""Remediation guidance for every trait in the trait catalog, looked up by trait id.

The guidance itself lives on each trait's spec (``TraitSpec.guidance``, in the trait's family
module ``detectors/<family>.py``): what an attacker gains from the weakness, what to change
(naming the ECS / EC2 / IAM API fields), and how to limit the damage when the risky setting is
really needed. Results carry trait ids, so reporters look the guidance up here; they use
:meth:`Guidance.text` for a one-paragraph summary and :attr:`Guidance.references` for links
(e.g. an OCSF ``remediation.references`` list).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ecs_exposure.detectors.registry import catalog
from ecs_exposure.detectors.spec import Guidance

__all__ = ["GUIDANCE", "Guidance", "guidance_for"]

GUIDANCE: Mapping[str, Guidance] = MappingProxyType({spec.id: spec.guidance
                                                      for spec in catalog()})
"""Remediation guidance keyed by trait id (read-only), from the catalog."""


def guidance_for(trait_id: str) -> Guidance:
    """Return the guidance for ``trait_id``.

    Raises:
        KeyError: if ``trait_id`` is not a known trait id.
    """
    try:
        return GUIDANCE[trait_id]
    except KeyError:
        known = ", ".join(sorted(GUIDANCE))
        raise KeyError(
            f"no remediation guidance for unknown trait id {trait_id!r}; known trait ids: {known}"
        ) from None
