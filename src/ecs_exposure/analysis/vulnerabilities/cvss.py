"""CVSS vectors (v2, v3.0, v3.1, v4.0): just the exploitability metrics the exposure needs.

Whether a vulnerability can be reached over the network is the attack vector (``AV``), the
same letters in every version; privileges required and user interaction say how much help
the attacker needs. Scores come from the scanners, so no scoring engine is needed, and the
PyPI ``cvss`` package (LGPL, and it computes every score on construction) would cost time on
200,000 records for nothing. The parser validates what it reads: a vector with an unknown
version, an unknown value or a repeated metric is rejected rather than half-trusted.

Example::

    >>> parse_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    Metrics(version='3.1', attack_vector='N', privileges_required='N', user_interaction='N')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

ATTACK_VECTORS = {"N": "network", "A": "adjacent network", "L": "local", "P": "physical"}

_V3_ALLOWED = {
    "AV": "NALP", "AC": "LH", "PR": "NLH", "UI": "NR", "S": "UC", "C": "NLH", "I": "NLH",
    "A": "NLH",
}
_V4_ALLOWED = {
    "AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA", "VC": "NLH", "VI": "NLH",
    "VA": "NLH", "SC": "NLH", "SI": "NLH", "SA": "NLH",
}
_V2_ALLOWED = {"AV": "LAN", "AC": "HML", "Au": "MSN", "C": "NPC", "I": "NPC", "A": "NPC"}
_V2_AUTH_TO_PR = {"N": "N", "S": "L", "M": "H"}


@dataclass(frozen=True, slots=True)
class Metrics:
    """Exploitability metrics of one vector."""

    version: str
    """``2.0``, ``3.0``, ``3.1`` or ``4.0``."""
    attack_vector: str
    """``N`` network, ``A`` adjacent, ``L`` local, ``P`` physical."""
    privileges_required: str | None
    """``N``, ``L``, ``H`` (v2 authentication mapped: none, single, multiple)."""
    user_interaction: str | None
    """``N`` none, ``R`` required (v3), ``P``/``A`` passive/active (v4); v2 has none."""


@dataclass(frozen=True, slots=True)
class CvssVector:
    """A vector as a report gives it, with who scored it."""

    vector: str
    source: str
    """Scoring source, lower-case (``nvd``, ``redhat``, ``ghsa``, ``inspector``…)."""
    score: float | None = None
    """Base score reported with the vector, when given."""

    @property
    def metrics(self) -> Metrics | None:
        """Parsed metrics; ``None`` for a malformed vector."""
        return parse_vector(self.vector)


@lru_cache(maxsize=65536)
def vector(text: str, source: str, score: float | None = None) -> CvssVector:
    """A shared :class:`CvssVector`: 200,000 records use a few thousand distinct vectors."""
    return CvssVector(text, source, score)


def _check(metrics: dict[str, str], allowed: dict[str, str], required: tuple[str, ...]) -> bool:
    if any(key not in metrics for key in required):
        return False
    return all(key not in allowed or value in allowed[key] for key, value in metrics.items())


@lru_cache(maxsize=16384)
def parse_vector(vector: str) -> Metrics | None:
    """Parse a vector string; ``None`` when it is not a valid v2/v3.x/v4 vector."""
    if not isinstance(vector, str) or len(vector) > 512:
        return None
    text = vector.strip().strip("()")
    parts = [p for p in text.split("/") if p]
    version = "2.0"
    if parts and parts[0].upper().startswith("CVSS:"):
        version = parts[0].split(":", 1)[1]
        parts = parts[1:]
    metrics: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if not sep or key in metrics or len(value) != 1:
            return None
        metrics[key] = value.upper()
    if version in ("3.0", "3.1"):
        if not _check(metrics, _V3_ALLOWED, ("AV", "AC", "PR", "UI", "S", "C", "I", "A")):
            return None
        return Metrics(version, metrics["AV"], metrics["PR"], metrics["UI"])
    if version == "4.0":
        if not _check(metrics, _V4_ALLOWED, tuple(_V4_ALLOWED)):
            return None
        return Metrics(version, metrics["AV"], metrics["PR"], metrics["UI"])
    if version == "2.0":
        if not _check(metrics, _V2_ALLOWED, tuple(_V2_ALLOWED)):
            return None
        return Metrics(version, metrics["AV"], _V2_AUTH_TO_PR[metrics["Au"]], None)
    return None


def version_rank(metrics: Metrics) -> float:
    """Newer versions describe the attack better; rank them higher when a source has several."""
    return float(metrics.version)
