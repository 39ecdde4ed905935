"""Day prices in a forked process, beside the improvement: a lower bound while the
improvement searches.

The relaxation's bound is loose on dates: at 5,000 generated requests the plans pay
12,800 in distance from preferred starts and 1,900 for host holidays where the relaxation
pays 800. Day prices (``solver.lagrange``) see every day of every calendar it leaves out
and bring the bound down step by step (1-2 s a step at 5,000 requests on two workers; at
20,000 a step is cut at ``STEP_SECONDS``). They do not fit in the relaxation's share of a
120 s solve, but the improvement's steps leave a core idle part of the time (each step's
presolve runs on one thread; a step on one worker gained nearly what it gains on two,
benchmarks/findings.md). So they run in a forked process at the lowest priority
(niceness 19), on one worker, in the cycles the improvement leaves; each better bound is
sent back at once, and the parent takes the least when the improvement ends
(``solver.phases``). The child first finds prices on the linear relaxation
(``solver.linear_prices``, up to ``solver.lagrange.LINEAR_STEPS`` quick steps), then
goes on with whole steps from the best of them: 120 s solves at 5,000 requests end at
1,537,131-1,537,141 without merging (1,538,716-1,538,782 with whole steps alone) and
1,563,694 with it (1,565,480); a 600 s solve at 20,000 requests at 4,353,765 (4,408,466).

The relaxation's second round (``solver.warmstart.tighten``, the crowding rows its first
round's plan breaks: 20-23 s of a core at 5,000 requests) used to run here first. Since
the steps aim just below the best bound (``solver.lagrange.AIM_BELOW``), day prices
alone go lower in the same seconds: 120 s solves at 5,000 requests, 1,539,223 against
1,539,635 after the second round without merging, 1,565,874 against 1,566,784 with it.

The child only reads the parent's state (forked, nothing is pickled), builds its own
model of the relaxation without date costs, and sends back integers. It ignores Ctrl-C,
which is the parent's to handle, dies with its parent, and is killed when the parent
closes it: a bound not proved by then is not waited for.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from models.loading import LoadedScenario
from models.policy import Policy
from solver.build import Prepared
from solver.candidates import Candidate
from solver.forked import can_fork, child_start, worker_count
from solver.lagrange import DayPrices, inner_model
from solver.model import ModelContext
from solver.options import SolveOptions, lp_solver


@dataclass(frozen=True)
class Work:
    """What the child works on. ``bound``: the relaxation's, which the child's must beat;
    ``policy``: the scenario's, with its date costs; ``build`` makes the relaxation
    without date costs (``solver.lagrange.inner_model``), in the child; ``target``: a
    plan's objective, for the steps' length; ``limit``: seconds."""

    bound: int
    policy: Policy
    build: Callable[[], ModelContext]
    target: int
    options: SolveOptions
    limit: float


def _lower_bounds(work: Work, writer, parent: int) -> None:
    """In the child, on one worker until ``work.limit`` seconds have passed: day prices'
    steps. Each bound below every one before (``work.bound`` to begin with) goes to
    ``writer`` as it is proved, so that the parent can take the least whenever the
    improvement ends; then None, for done. Only those: the parent reads the pipe now and
    then, and a full pipe would hold up the search. A step that finds no answer within
    its time (``STEP_SECONDS`` at first) is tried again with twice as much."""
    child_start(parent)
    os.nice(NICENESS)
    deadline = time.perf_counter() + work.limit
    least, most = work.bound, STEP_SECONDS

    def solver() -> cp_model.CpSolver | None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        return lp_solver(replace(work.options, workers=1), min(left, most))

    prices = DayPrices(work.build(), work.policy)
    # the linear steps end in time for whole ones (``whole_reserve``)
    linear_until = deadline - whole_reserve(work.limit)
    while time.perf_counter() < deadline:
        for bound in prices.bounds(solver, work.target, deadline=linear_until):
            if bound < least:
                least = bound
                writer.send(bound)
        # a step found no answer in its time (at 20,000 requests with merging, none in
        # 30 s on a core; its second step proved 5,311,145 in 100 s, against the first
        # round's 5,316,421): the steps go on with twice the time
        most *= 2
    writer.send(None)
    writer.close()


#: the most one step of day prices may take at first (twice as much after a step that
#: found no answer in it): at 5,000 requests a step is proved in 1-2 s on two workers,
#: but at 20,000 it is not proved in 60 s, and its answer after 10 s moved the prices as
#: far as one after 30 s (4,416,401 after 6 steps of 30 s, 4,415,826 after 8 of 10 s;
#: benchmarks/findings.md). Beside the improvement the child gets less than a core, so
#: it is given more than those 10 s
STEP_SECONDS = 30.0

#: the whole steps' least time after the linear ones, in steps of ``STEP_SECONDS``, or
#: this share of the child's time if less (``whole_reserve``). The linear steps stop by
#: their own patience at 5,000 requests (3.5-10.5 s of a core), but at 20,000 with
#: merging they ran 395 s of a 600 s solve beside the improvement (5,333,475 to
#: 5,258,292, the last 270 steps 4,500 of it), and a whole step from their prices then
#: proves 15,000 less (5,243,148). Two steps' time (60 s) holds one step: should it
#: find no answer in its 30 s, its retry, owed twice that, has the 30 s left. In the
#: table's run at 4a82b83 no whole step proved anything below the linear steps'
#: 5,258,292 (5.81% where the run before had 5.56%). Three steps' time holds the first
#: step and its retry
#: (benchmarks/findings.md, "The table at 4a82b83, and time for a whole step's retry")
WHOLE_STEPS, WHOLE_SHARE = 3, 0.2


def whole_reserve(limit: float) -> float:
    """Seconds of the child's ``limit`` kept for whole steps after the linear ones."""
    return min(WHOLE_STEPS * STEP_SECONDS, WHOLE_SHARE * limit)


#: the child's priority: the lowest, so that it runs in the cycles the steps leave idle
#: and never slows them (with its own core instead, the steps on one worker fewer, the
#: plans came out 300-1,500 lower at 5,000 requests)
NICENESS = 19


class BoundBeside:
    """Day prices running in a forked process on ``work``; :meth:`bound` is the least
    bound they have sent so far."""

    def __init__(self, work: Work) -> None:
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        # the child only reads: frozen, its collector does not copy every page it visits
        gc.freeze()
        try:
            self._process = context.Process(
                target=_lower_bounds,
                args=(work, writer, os.getpid()),
                daemon=True,
            )
            self._process.start()
        finally:
            gc.unfreeze()
        writer.close()
        self._least: int | None = None
        self._done = False

    @classmethod
    def start(cls, work: Work) -> BoundBeside | None:
        """Day prices beside the caller, or None where no process can be forked."""
        if not can_fork():
            return None
        try:
            return cls(work)
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


#: day prices run beside the improvement where they can (``can_price``; off, the bound
#: is the relaxation's)
BESIDE_ROUND = True
#: the least time worth forking the process for
MIN_SECONDS = 1.0


def can_price(m: ModelContext, options: SolveOptions) -> bool:
    """Whether day prices can run beside an improvement: with date costs to price (for
    ``--objective approvals`` day prices were not measured), a second core for them, and
    a run that need not be reproducible (their bound comes when it comes)."""
    return (
        BESIDE_ROUND
        and not options.reproducible
        and not m.approvals_only
        and worker_count(options.num_workers) > 1
    )


def start_prices(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    prepared: Prepared,
    options: SolveOptions,
    bound: int,
    target: int,
    limit: float,
) -> BoundBeside | None:
    """Day prices in a forked process (:class:`BoundBeside`) for ``limit`` seconds, below
    ``bound`` (the relaxation's), their steps aimed from ``target`` (a plan's objective);
    None with too little time, or where no process can be forked."""
    if limit < MIN_SECONDS:
        return None
    work = Work(
        bound=bound,
        policy=loaded.policy,
        build=lambda: inner_model(loaded, candidates, options.merge, prepared),
        target=target,
        options=options,
        limit=limit,
    )
    return BoundBeside.start(work)


__all__ = ["BESIDE_ROUND", "BoundBeside", "Work", "can_price", "start_prices"]
