"""Progress of a live collection: one line per account and region on a terminal, nothing
otherwise (CI logs and pipes stay clean).

Status text comes from the collectors (``services of prod``, ``done: 12 services``) and is
rendered as plain text, never as markup: cluster names are user data.
"""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.text import Text

from ecs_exposure.reporters.inert import safe


class CollectionProgress:
    """A context manager whose :meth:`report` is the collector's progress callback."""

    def __init__(self, console: Console) -> None:
        self.enabled = console.is_terminal
        self._progress = Progress(SpinnerColumn(finished_text="✓"),
                                  TextColumn("{task.fields[where]}"),
                                  TextColumn("{task.fields[status]}"),
                                  console=console, transient=False)
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> CollectionProgress:
        if self.enabled:
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.enabled:
            self._progress.stop()

    def report(self, account: str, region: str, status: str) -> None:
        """Update the line of ``account``/``region`` (called from worker threads)."""
        if not self.enabled:
            return
        done = status.startswith(("done", "failed"))
        text = Text(safe(status), style="red" if status.startswith("failed") else "")
        with self._lock:
            key = (account, region)
            if key not in self._tasks:
                self._tasks[key] = self._progress.add_task(
                    "", total=1, where=Text(f"{safe(account)} {safe(region):<16}"), status=text)
            self._progress.update(self._tasks[key], status=text, completed=1 if done else 0)
