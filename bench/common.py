"""Shared helpers of the estate generator: one seeded random source, AWS-looking identifiers,
fixed timestamps and exact quotas.

Determinism matters more than anything here: the same seed must give byte-identical files, so
every choice goes through one ``random.Random`` in a fixed order, nothing iterates over a set,
and timestamps are offsets from a fixed instant rather than the clock.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
BASE_TIME = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
"""Every timestamp is this instant minus a random offset, so files never depend on the clock."""

Json = dict[str, Any]


class Source:
    """The one random source of a generation run, with helpers for AWS-shaped values."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def hex(self, digits: int) -> str:
        """Lower-case hex of exactly ``digits`` characters (resource ids, digests)."""
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def resource_id(self, prefix: str) -> str:
        """``sg-0a1b…`` style ids: a prefix and 17 hex digits, as EC2 issues them."""
        return f"{prefix}-{self.hex(17)}"

    def uuid(self) -> str:
        """A UUID-shaped string (event ids, role ids) from the seeded source."""
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def timestamp(self, max_days: int = 900) -> str:
        """CLI v2 ISO-8601 timestamp up to ``max_days`` before the fixed base instant."""
        moment = BASE_TIME - timedelta(seconds=self.rng.randrange(max_days * 86400),
                                       microseconds=self.rng.randrange(1000) * 1000)
        return moment.isoformat()

    def chance(self, rate: float) -> bool:
        """True with probability ``rate``."""
        return self.rng.random() < rate

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        """One element, uniformly."""
        return items[self.rng.randrange(len(items))]

    def weighted(self, items: list[Any] | tuple[Any, ...], weights: list[float]) -> Any:
        """One element with the given relative weights."""
        return self.rng.choices(items, weights=weights, k=1)[0]

    def quota(self, population: list[int] | range, rate: float, minimum: int = 1) -> set[int]:
        """Exactly ``round(rate × size)`` members (at least ``minimum``) chosen at random.

        Quotas rather than independent draws keep trait rates exact at every size, so a
        50-service estate still holds one privileged container and a 50,000-service estate
        holds exactly the documented share.
        """
        size = len(population)
        if size == 0:
            return set()
        count = min(size, max(minimum, round(rate * size)))
        return set(self.rng.sample(list(population), count))


def arn(service: str, resource: str, region: str = REGION) -> str:
    """ARN in the generator's account."""
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def split_evenly(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` that add up to exactly ``total`` (largest
    remainder), so the estate holds exactly the requested number of records."""
    if not weights or total <= 0:
        return [0] * len(weights)
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    counts = [int(r) for r in raw]
    short = total - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[:short]:
        counts[i] += 1
    return counts
