"""CVSS vectors (v2, v3.0, v3.1, v4.0): just the exploitability metrics the exposure needs.

Whether a vulnerability can be reached over the network is the attack vector (``AV``), the
same letters in every version; privileges required and user interaction say how much help
the attacker needs. Scores come from the scanners, so no scoring engine is needed, and the
PyPI ``cvss`` package (LGPL, and it computes every score on construction) would cost time on
200,000 records for nothing; the tests check this parser against it instead.

The parser follows each version's vector-string grammar exactly, because a rejected vector is
read as "attack vector unknown" (treated as network and flagged), so rejecting a valid vector
raises false alarms and accepting a malformed one trusts letters nobody defined:

* **v2** (FIRST, *A Complete Guide to CVSS v2*, §2.4): no prefix; the six base metrics, then the
  optional temporal (``E``, ``RL``, ``RC``) and environmental (``CDP``, ``TD``, ``CR``, ``IR``,
  ``AR``) ones, in that predetermined order, ``ND`` for not defined. NVD's legacy
  parenthesised form ``(AV:N/…)`` is accepted as well.
* **v3.0 / v3.1** (specification §6): prefix ``CVSS:3.0/`` or ``CVSS:3.1/``; every base metric,
  temporal and environmental ones optional, ``X`` for not defined; "programs reading vector
  strings must accept metrics in any order".
* **v4.0** (specification §7): prefix ``CVSS:4.0/``; every base metric, threat, environmental
  and supplemental ones optional; "a vector string must contain metrics in the order shown in
  Table 23, every other ordering is invalid" (the order of FIRST's JSON schema:
  ``VC/VI/VA/SC/SI/SA``).

In every version metric names and values are case-sensitive, and a metric must not appear
twice. Anything else (an unknown version, metric or value, a missing base metric, an empty
field) makes the whole vector invalid rather than half-trusted.

Example::

    >>> parse_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    Metrics(version='3.1', attack_vector='N', privileges_required='N', user_interaction='N')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

ATTACK_VECTORS = {"N": "network", "A": "adjacent network", "L": "local", "P": "physical"}


@dataclass(frozen=True, slots=True)
class Grammar:
    """The vector-string rules of one CVSS version."""

    prefix: str
    """``CVSS:3.1/`` and the like; empty for v2, which has none."""
    values: dict[str, frozenset[str]]
    """Every metric of the version, in the specification's order, with its allowed values."""
    mandatory: tuple[str, ...]
    """The base metrics, which every vector must hold."""
    ordered: bool
    """Whether metrics must appear in the specification's order (v2, v4) or in any (v3.x)."""


def _metrics(table: str) -> dict[str, frozenset[str]]:
    """``"AV:N,A AC:L,H"`` → ``{"AV": {"N", "A"}, "AC": {"L", "H"}}``, order kept."""
    pairs = (item.split(":") for item in table.split())
    return {name: frozenset(values.split(",")) for name, values in pairs}


_V2 = _metrics(
    "AV:L,A,N AC:H,M,L Au:M,S,N C:N,P,C I:N,P,C A:N,P,C "
    "E:U,POC,F,H,ND RL:OF,TF,W,U,ND RC:UC,UR,C,ND "
    "CDP:N,L,LM,MH,H,ND TD:N,L,M,H,ND CR:L,M,H,ND IR:L,M,H,ND AR:L,M,H,ND")
_V3 = _metrics(
    "AV:N,A,L,P AC:L,H PR:N,L,H UI:N,R S:U,C C:H,L,N I:H,L,N A:H,L,N "
    "E:X,H,F,P,U RL:X,U,W,T,O RC:X,C,R,U "
    "CR:X,H,M,L IR:X,H,M,L AR:X,H,M,L MAV:X,N,A,L,P MAC:X,L,H MPR:X,N,L,H MUI:X,N,R "
    "MS:X,U,C MC:X,N,L,H MI:X,N,L,H MA:X,N,L,H")
_V4 = _metrics(
    "AV:N,A,L,P AC:L,H AT:N,P PR:N,L,H UI:N,P,A VC:H,L,N VI:H,L,N VA:H,L,N "
    "SC:H,L,N SI:H,L,N SA:H,L,N "
    "E:X,A,P,U "
    "CR:X,H,M,L IR:X,H,M,L AR:X,H,M,L MAV:X,N,A,L,P MAC:X,L,H MAT:X,N,P MPR:X,N,L,H "
    "MUI:X,N,P,A MVC:X,H,L,N MVI:X,H,L,N MVA:X,H,L,N MSC:X,H,L,N MSI:X,S,H,L,N "
    "MSA:X,S,H,L,N "
    "S:X,N,P AU:X,N,Y R:X,A,U,I V:X,D,C RE:X,L,M,H U:X,Clear,Green,Amber,Red")

GRAMMARS = {
    "2.0": Grammar("", _V2, ("AV", "AC", "Au", "C", "I", "A"), ordered=True),
    "3.0": Grammar("CVSS:3.0/", _V3, ("AV", "AC", "PR", "UI", "S", "C", "I", "A"),
                   ordered=False),
    "3.1": Grammar("CVSS:3.1/", _V3, ("AV", "AC", "PR", "UI", "S", "C", "I", "A"),
                   ordered=False),
    "4.0": Grammar("CVSS:4.0/", _V4, tuple(_V4)[:11], ordered=True),
}
"""Each supported version's grammar, by version number."""

_V2_AUTH_TO_PR = {"N": "N", "S": "L", "M": "H"}
_MAX_LENGTH = 512
"""Far above the longest valid vector (a full v4.0 one is about 200 characters)."""


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


def _version_and_body(text: str) -> tuple[str, str] | None:
    """Split off the ``CVSS:x.y/`` prefix; a vector without one is v2."""
    if text.startswith("CVSS:"):
        label, sep, body = text.partition("/")
        version = label[len("CVSS:"):]
        if not sep or version == "2.0" or version not in GRAMMARS:
            return None  # v2 has no prefix, so ``CVSS:2.0/`` is no version either
        return version, body
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]  # NVD's legacy way of writing a v2 vector
    return "2.0", text


def read_metrics(text: str) -> tuple[str, dict[str, str]] | None:
    """Version and every metric of a vector that follows its version's grammar, else ``None``."""
    split = _version_and_body(text)
    if split is None:
        return None
    version, body = split
    grammar = GRAMMARS[version]
    order = list(grammar.values)
    metrics: dict[str, str] = {}
    last = -1
    for field in body.split("/"):
        name, sep, value = field.partition(":")
        allowed = grammar.values.get(name)
        if not sep or allowed is None or value not in allowed or name in metrics:
            return None
        if grammar.ordered:
            position = order.index(name)
            if position < last:
                return None
            last = position
        metrics[name] = value
    if any(name not in metrics for name in grammar.mandatory):
        return None
    return version, metrics


@lru_cache(maxsize=16384)
def parse_vector(vector: str) -> Metrics | None:
    """Parse a vector string; ``None`` when it is not a valid v2/v3.x/v4 vector."""
    if not isinstance(vector, str) or len(vector) > _MAX_LENGTH:
        return None
    parsed = read_metrics(vector)
    if parsed is None:
        return None
    version, metrics = parsed
    if version == "2.0":
        return Metrics(version, metrics["AV"], _V2_AUTH_TO_PR[metrics["Au"]], None)
    return Metrics(version, metrics["AV"], metrics["PR"], metrics["UI"])


def version_rank(metrics: Metrics) -> float:
    """Newer versions describe the attack better; rank them higher when a source has several."""
    return float(metrics.version)
