"""The relaxation's second round in a forked process, beside the improvement.

The second round (``solver.warmstart.tighten``: rows pricing the dates that crowded stays
must give up) lowers the bound, but at 5,000 requests it does not fit in the
relaxation's share of a 120 s solve (the first round takes 13-26 s of its 30 s, the
crowding round 20-23 s more on one worker), and run in turn it would take its time from
the improvement. The improvement's steps leave a
core idle part of the time, though (each step's presolve runs on one thread; a step on
one worker gained nearly what it gains on two, benchmarks/findings.md). So the second
round with the crowding rows runs in a forked process at the lowest priority (niceness
19), on one worker, in the cycles the steps leave; each bound it proves is sent back at
once, and the parent takes the least when the improvement ends (``solver.solve``).

Measured at 5,000 requests without merging, 120 s (2 cores): the bound falls from
1,543,792 to 1,541,673 in each of three runs, and the plans are as good as without it;
in the benchmark table's run, whose first round took 31 s instead of 19-21 s, the child
had not finished when the improvement ended and gave 1,541,743. Since the second round
posts only the rows the first round's plan breaks, it is done with merging too (1,567,006
against 1,568,780; the proved gap 0.74% and 0.76% in two runs against 0.83% and 0.87%),
and it runs here wherever it can rather than in turn (without merging, in two runs each,
0.89% and 0.92% against 0.93% and 0.95% in turn).

The child only reads the parent's state (forked, nothing is pickled) and sends back
integers. It ignores Ctrl-C, which is the parent's to handle, dies with its parent, and is
killed when the parent closes it: a bound not proved by then is not waited for.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from dataclasses import replace

from solver.forked import can_fork, child_start
from solver.model import ModelContext
from solver.options import SolveOptions, lp_solver
from solver.warmstart import WarmStart, tighten


def _second_round(
    relaxed: ModelContext, warm: WarmStart, options: SolveOptions, limit: float, writer, parent: int
) -> None:
    """In the child: the second round with the crowding rows, on one worker. Each bound
    it proves below the first round's goes to ``writer`` as it is proved (CP-SAT's bound
    callback), so that the parent can take the least whenever the improvement ends; then
    None, for done. Only those: the parent reads the pipe now and then, and a full pipe
    would hold up the search in the callback."""
    child_start(parent)
    os.nice(NICENESS)
    solver = lp_solver(replace(options, workers=1), limit)
    least = [warm.bound]

    def heard(bound: float) -> None:
        whole = round(bound)  # the objective is whole (``solver.warmstart._bound``)
        if whole < least[0]:
            least[0] = whole
            writer.send(whole)

    solver.best_bound_callback = heard
    tightened = tighten(relaxed, warm, solver, pairs=False)
    if tightened is not None:
        writer.send(tightened.bound)
    writer.send(None)
    writer.close()


#: the child's priority: the lowest, so that it runs in the cycles the steps leave idle
#: and never slows them (with its own core instead, the steps on one worker fewer, the
#: plans came out 300-1,500 lower at 5,000 requests)
NICENESS = 19


class BoundBeside:
    """A second round running in a forked process; :meth:`bound` is the least bound it
    has sent so far."""

    def __init__(
        self, relaxed: ModelContext, warm: WarmStart, options: SolveOptions, limit: float
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        # the child only reads: frozen, its collector does not copy every page it visits
        gc.freeze()
        try:
            self._process = context.Process(
                target=_second_round,
                args=(relaxed, warm, options, limit, writer, os.getpid()),
                daemon=True,
            )
            self._process.start()
        finally:
            gc.unfreeze()
        writer.close()
        self._least: int | None = None
        self._done = False

    @classmethod
    def start(
        cls, relaxed: ModelContext, warm: WarmStart, options: SolveOptions, limit: float
    ) -> BoundBeside | None:
        """The second round beside the caller, or None where no process can be forked."""
        if not can_fork():
            return None
        try:
            return cls(relaxed, warm, options, limit)
        except OSError:
            return None

    def bound(self) -> int | None:
        """The least bound the child has proved so far; None before the first."""
        self._listen()
        return self._least

    def close(self) -> None:
        """Stop the child, if it still works, and release it (again: nothing more)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._reader.close()

    def _listen(self) -> None:
        try:
            while not self._done and self._reader.poll():
                answer = self._reader.recv()
                if answer is None:
                    self._done = True
                elif self._least is None or answer < self._least:
                    self._least = answer
        except (EOFError, OSError):  # the child died (or was stopped) mid-way
            self._done = True


__all__ = ["BoundBeside"]
