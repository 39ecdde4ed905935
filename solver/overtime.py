"""Overtime for the relaxation: past its share of the time while its plan is far from its bound.

The relaxation's plan is the start of everything after it (the repair, the improvement),
and at 20,000 requests it arrives late: on the benchmark machine the linear workers'
plans stay near 3.39M until, 127 s into the 150 s share, ``max_lp`` jumps to 4.47M,
0.21% from the bound (benchmarks/findings.md). On a slower machine the share could end
before that jump, and the repair would start from a plan a quarter below it.

So the relaxation is given up to three times its share, and once the share has passed it
is stopped as soon as its plan is within ``CLOSE_ENOUGH`` of its bound. Where the share is
enough (5,000 requests and fewer) nothing changes. Only without ``--reproducible``: there
the limit counts deterministic time, which a clock does not.

Twice the share was not enough. At 20,000 requests with merging on a 2-core Intel Xeon
(2026-12-03) ``max_lp``'s plan (5,306,301, 0.2% from the bound) came 283 s into the
relaxation, the plans before it near 2.9M; a whole 600 s solve whose relaxation stopped
at twice its share (300 s) had only a plan from before that jump (repaired: 3,131,849)
and ended 31.9% from the bound, where a run that caught the plan ended at 8.5%.

The first round without date costs (``solver.start``, from 2,000 requests) comes close
to its bound much sooner (at 20,000 requests within 0.26% after 6 s without merging,
0.77% after 23 s with it), and gains little after that; so it may also stop within its
share once it is close (``early``), but only after a while (``early_after``): at 5,000
requests with merging its plan 1.7 s in was 4,900 short of the optimum it proved at 3.4 s.
"""

from __future__ import annotations

import threading
import time

from ortools.sat.python import cp_model

#: the relaxation's plan this close to its bound (relative gap) ends its overtime
CLOSE_ENOUGH = 0.02
#: the most the relaxation may take, in shares
MOST_SHARES = 3.0
#: seconds between two looks at the gap once the share has passed
POLL_SECONDS = 0.25


class Overtime(cp_model.CpSolverSolutionCallback):
    """Tracks the relaxation's gap (a solution callback) and stops the solver from a
    watching thread once the share has passed and the gap is small enough.

    Use: ``with Overtime(solver, share) as overtime: solver.solve(model, overtime)``,
    with ``solver``'s limit set to ``share * MOST_SHARES``. ``stopped`` tells afterwards
    whether it ended the solve (rather than the limit, a proof or Ctrl-C).
    """

    def __init__(
        self,
        solver: cp_model.CpSolver,
        share: float,
        poll: float = POLL_SECONDS,
        early: float | None = None,
        early_after: float = 0.0,
    ):
        super().__init__()
        self.solver = solver
        self.share = share
        self.poll = poll
        #: with a gap: from ``early_after`` seconds on, the solve stops as soon as its plan
        #: is this close to its bound, share or not (the first round without date costs,
        #: ``solver.start``)
        self.early = early
        self.early_after = early_after
        #: relative gap of the best plan so far; 1.0 until there is one
        self.gap = 1.0
        self.stopped = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def on_solution_callback(self) -> None:
        bound = self.best_objective_bound
        self.gap = (bound - self.objective_value) / max(abs(bound), 1.0)

    def _watch(self) -> None:
        began = time.monotonic()
        share_ends = began + self.share
        while (left := share_ends - time.monotonic()) > 0:
            early, late = self.early, time.monotonic() - began >= self.early_after
            if early is not None and late and self.gap <= early:
                break
            if self._done.wait(left if self.early is None else min(self.poll, left)):
                return
        while self.gap > CLOSE_ENOUGH:
            if self._done.wait(self.poll):
                return
        if not self._done.is_set():
            self.stopped = True
            self.solver.stop_search()

    def __enter__(self) -> Overtime:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


__all__ = ["CLOSE_ENOUGH", "MOST_SHARES", "Overtime"]
