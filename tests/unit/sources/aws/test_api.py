from __future__ import annotations

import threading

import pytest

from ecs_exposure.sources.aws.api import together


def test_together_runs_every_step_at_once() -> None:
    barrier = threading.Barrier(3, timeout=10)    # passes only if all three run at once
    done: list[int] = []
    together(*(lambda n=n: (barrier.wait(), done.append(n)) for n in range(3)))
    assert sorted(done) == [0, 1, 2]


def test_together_finishes_the_other_steps_then_raises() -> None:
    done: list[str] = []

    def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        together(fails, lambda: done.append("network"), lambda: done.append("ecr"))
    assert sorted(done) == ["ecr", "network"]
