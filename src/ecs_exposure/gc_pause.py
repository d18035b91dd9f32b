"""Pausing Python's cycle collector around bulk work on vulnerability records.

A scan holds millions of live objects (parsed reports, records); creating 200,000 more makes
the cycle collector walk all of them again and again (measured: parsing and merging took two
to three times longer). Parsing and merging create no reference cycles, so reference counting
frees everything as usual while the collector rests.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Disable the cycle collector for the block, restoring its previous state (re-entrant)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
