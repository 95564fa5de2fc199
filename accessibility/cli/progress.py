"""Progress on a terminal for the long commands: the stage, a bar when the steps are known.

Drawn with ``rich`` on standard error when it is a terminal; nothing at all otherwise
(a pipe, a log file, a test), so the output of a command stays what it was.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from accessibility.i18n import _
from accessibility.progress import Progress

__all__ = ["TerminalProgress"]


class TerminalProgress(Progress):
    """Stages and a bar on standard error, when it is a terminal; quiet otherwise.

    Use it as a context manager around the work::

        with TerminalProgress() as progress:
            city.audit(..., progress=progress)
    """

    def __init__(self, force: bool | None = None, console: Console | None = None) -> None:
        console = console or Console(file=sys.stderr)
        self.enabled = console.is_terminal if force is None else force
        self._bar = (
            RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            if self.enabled
            else None
        )
        self._task: TaskID | None = None

    def __enter__(self) -> TerminalProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.done()

    def stage(self, name: str, total: int | None = None) -> None:
        if self._bar is None:
            return
        if self._task is not None:
            self._bar.update(self._task, visible=False)
        self._task = self._bar.add_task(_(name), total=total)

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, steps)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
