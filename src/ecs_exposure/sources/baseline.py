"""Reading ``--baseline PREVIOUS.json``: an earlier run's JSON result, to compare a scan with
(:mod:`ecs_exposure.exposure.baseline`)."""

from __future__ import annotations

from pathlib import Path

import orjson

from ecs_exposure.exposure.baseline import BaselineError, PreviousResult, previous_result


def load_baseline(path: Path) -> PreviousResult:
    """Read and check a previous JSON result; :class:`BaselineError` names the problem."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BaselineError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BaselineError(f"{source}: not JSON ({exc})") from None
    return previous_result(doc, source)


__all__ = ["load_baseline"]
