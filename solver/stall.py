"""Stop a CP-SAT search that has gone a while without a better plan.

An improvement step (``solver.improve``) is a small model hinted with the current plan.
Most of what a step gains it finds within a tenth of a second of reloading that plan;
after that, a step that has not proved its optimum mostly searches on for nothing until
its time is up. On 40 steps of the 5,000-request benchmark given 2 s each, 22 found a
better plan, 18 of them all of it within 0.2 s of their first plan, while 19 ran the whole
2 s (benchmarks/findings.md). Stopped once ``stall`` seconds pass with no better plan,
the steps of a 120 s solve run twice as often and end higher.

CP-SAT calls back only when it finds a plan, so the watch is a thread that looks at the
time of the last one every ``POLL`` seconds and asks the solver to stop
(``CpSolver.stop_search``, which any thread may call); the solver's own time limit
still holds. Wall-clock time: a reproducible run does not use it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model

#: how often, in seconds, the watch looks at the time of the last plan
POLL = 0.01


class StallWatch(cp_model.CpSolverSolutionCallback):
    """A solve's plans as they come: when it reached its first (``first``, wall seconds
    from its start), and whether the watch stopped it for going ``stall`` seconds
    without a better one (``stalled``). ``stall`` None: it never stops a search."""

    def __init__(self, stall: float | None = None) -> None:
        super().__init__()
        self.stall = stall
        self.first: float | None = None
        self.stalled = False
        self._last: float | None = None  # perf_counter at the last plan

    def on_solution_callback(self) -> None:
        if self.first is None:
            self.first = self.wall_time
        self._last = time.perf_counter()

    @contextmanager
    def watching(self, solver: cp_model.CpSolver) -> Iterator[None]:
        """While in the block (the solve), stop ``solver`` once its last plan is ``stall``
        seconds old. Before its first plan nothing stops it but its own limit: reloading
        the hint is what a step cannot do without."""
        if self.stall is None:
            yield
            return
        done, stall = threading.Event(), self.stall

        def watch() -> None:
            while not done.wait(POLL):
                last = self._last
                if last is not None and time.perf_counter() - last > stall:
                    self.stalled = True
                    solver.stop_search()
                    return

        thread = threading.Thread(target=watch, name="stall-watch", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


__all__ = ["POLL", "StallWatch"]
