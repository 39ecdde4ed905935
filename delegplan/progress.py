"""The live progress line of a long solve: elapsed, objective, bound, gap, solutions;
once the search is over, how many rejections have their reasons and then their repairs
(which takes minutes from a few thousand requests, ``--explain-limit``).

On a terminal it is one line redrawn in place (``rich.live``); in a log (CI, a pipe) it
prints a line at most every five seconds instead, so logs stay short. ``--quiet`` turns
it off. It is drawn on stderr, so the summary on stdout stays clean.
"""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from solver import Explained, Progress

LOG_EVERY = 5.0  # seconds between lines when stderr is not a terminal


class ProgressLine:
    def __init__(self, console: Console, quiet: bool = False):
        self.console = console
        self.quiet = quiet
        self.live: Live | None = None
        self.last_logged = -LOG_EVERY
        self.last: Progress | None = None

    @staticmethod
    def line(p: Progress) -> Text:
        part = f"  part {p.part}" if p.part else ""
        measure = p.measure or "objective"  # a what-if tier: granted, kept or moved
        return Text(
            f"  {p.seconds:7.1f}s{part}  {measure:>9} {p.objective:>10}  bound {p.bound:>10}  "
            f"gap {p.gap:7.2%}  solutions {p.solutions}"
        )

    @staticmethod
    def explaining(e: Explained, last: Progress | None) -> Text:
        """How many rejections have their reasons (then: have had their repairs looked
        for), and where the search ended (one line of a log's 80 columns)."""
        measure = (last.measure or "objective") if last else ""
        tail = f"  {measure} {last.objective}  gap {last.gap:.2%}" if last else ""
        if e.repaired:
            return Text(f"  {e.seconds:7.1f}s  repairs for {e.repaired}/{e.total} rejections{tail}")
        return Text(f"  {e.seconds:7.1f}s  explained {e.done}/{e.total} rejections{tail}")

    def __enter__(self) -> ProgressLine:
        if not self.quiet and self.console.is_terminal:
            self.live = Live(Text(""), console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def update(self, p: Progress) -> None:
        self.last = p
        self._show(p.seconds, self.line(p))

    def explained(self, e: Explained) -> None:
        # the last count of each pass always shows: whether every rejection got its
        # reasons, and then whether every one had its repairs looked for
        last = e.repaired == e.total if e.repaired else e.done == e.total
        self._show(e.seconds, self.explaining(e, self.last), last)

    def _show(self, seconds: float, text: Text, always: bool = False) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.update(text)
        elif always or seconds - self.last_logged >= LOG_EVERY:
            self.last_logged = seconds
            self.console.print(text, highlight=False)

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)


__all__ = ["ProgressLine"]
