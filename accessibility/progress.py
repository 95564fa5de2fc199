"""Progress of a long computation: stages and steps, told to whoever shows them.

The library only tells; it shows nothing. :class:`Progress` is the quiet default (it
ignores what it is told); the command line passes one that draws stages and a bar on a
terminal (:mod:`accessibility.cli.progress`). A stage's name is a catalogue message
(``N_()``), translated where it is shown.
"""

from __future__ import annotations

__all__ = ["Progress"]


class Progress:
    """Receives the stages and steps of a computation; this base class does nothing.

    >>> p = Progress()
    >>> p.stage("Ranking the interventions", total=3); p.advance(); p.done()
    """

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins: ``name`` (a catalogue message), with ``total`` steps when
        they are known (a bar), else none (a spinner)."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current stage are done."""

    def done(self) -> None:
        """Everything is done: clear what is shown."""
