"""``ecs-exposure serve`` as a real process: uvicorn on a free loopback port (``--port 0``, the
address read from what it prints), stopped with SIGTERM after."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ADDRESS = re.compile(r"dashboard on (http://127\.0\.0\.1:\d+/)")
START_WAIT = 120
"""Seconds for the server to print its address (far above an honest start)."""
SRC = Path(__file__).resolve().parents[2] / "src"


def environment() -> dict[str, str]:
    """This checkout's sources first, as the tests import them."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


@contextmanager
def serving(store_url: str, *extra: str) -> Iterator[str]:
    """Run the dashboard over ``store_url``; yields its base address (``http://127.0.0.1:N/``).
    Whatever the server printed is attached to an error about it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ecs_exposure", "serve", "--store", store_url, "--port", "0",
         *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=environment())
    assert process.stderr is not None
    printed: list[str] = []
    found = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            printed.append(line)
            if ADDRESS.search(line):
                found.set()
        found.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        found.wait(timeout=START_WAIT)
        match = next((m for m in map(ADDRESS.search, printed) if m), None)
        if match is None:
            raise AssertionError("serve did not start: " + "".join(printed))
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
