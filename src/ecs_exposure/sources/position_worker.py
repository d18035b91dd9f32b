"""The worker process of a background evidence-position prefetch.

``python -m ecs_exposure.sources.position_worker`` reads ``{path: [pointer, ...]}`` as JSON on
standard input and writes ``{"found": {path: [[line, column] | null, ...] | null},
"peak_kib": int | null}`` on standard output (a file that is not JSON, or cannot be read, maps
to ``null``: the caller locates it). A plain child process, not :mod:`multiprocessing`: nothing
of the caller's program is imported again in it.
"""

from __future__ import annotations

import sys

import orjson

from ecs_exposure.sources.positions import locate_json_files


def _own_peak_kib() -> int | None:
    """This process's peak resident memory (``VmHWM``; Linux only). ``ru_maxrss`` would
    count the parent's memory at the moment the worker was started."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def main() -> None:
    """Locate, answer, exit."""
    groups = orjson.loads(sys.stdin.buffer.read())
    found = locate_json_files(groups)
    sys.stdout.buffer.write(orjson.dumps({"found": found, "peak_kib": _own_peak_kib()}))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
