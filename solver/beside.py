"""Lower bounds in a forked process, beside the improvement: the relaxation's second
round, then day prices, while the improvement searches.

The relaxation's bound is loose on dates: at 5,000 generated requests the plans pay
12,800 in distance from preferred starts and 1,900 for host holidays where the relaxation
pays 800. Its second round (``solver.warmstart.tighten``: the crowding rows the first
round's plan breaks) takes 2,120 of that off in 20-23 s of a core; day prices
(``solver.lagrange``) see every day of every calendar it leaves out, and go further step
by step (1-2 s a step at 5,000 requests). Neither fits in the relaxation's share of a
120 s solve, but the improvement's steps leave a core idle part of the time (each step's
presolve runs on one thread; a step on one worker gained nearly what it gains on two,
benchmarks/findings.md). So both run in a forked process at the lowest priority
(niceness 19), on one worker, in the cycles the improvement leaves, the second round
first; each better bound is sent back at once, and the parent takes the least when the
improvement ends (``solver.solve``).

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

from solver.forked import can_fork, child_start
from solver.lagrange import DayPrices
from solver.model import ModelContext
from solver.options import SolveOptions, lp_solver
from solver.warmstart import WarmStart, tighten


@dataclass(frozen=True)
class Work:
    """What the child works on. ``relaxed``, ``warm``: the relaxation and its first round;
    ``second``: whether the second round is to run (not when it ran in turn); ``build``
    makes the relaxation without date costs (``solver.lagrange.inner_model``), in the
    child; ``target``: a plan's objective, for day prices' steps; ``limit``: seconds."""

    relaxed: ModelContext
    warm: WarmStart
    second: bool
    build: Callable[[], ModelContext]
    target: int
    options: SolveOptions
    limit: float


def _lower_bounds(work: Work, writer, parent: int) -> None:
    """In the child, on one worker until ``work.limit`` seconds have passed: the
    relaxation's second round on the crowding rows its first round's plan breaks (unless
    ``work.second`` is False: it ran in turn), then day prices' steps. Each bound below
    every one before (the first round's, ``work.warm.bound``, to begin with) goes to
    ``writer`` as it is proved, so that the parent can take the least whenever the
    improvement ends; then None, for done. Only those: the parent reads the pipe now and
    then, and a full pipe would hold up the search.

    The second round first: it is done in 20-23 s of a core at 5,000 requests, and day
    prices, which go lower given the time, get less of it in some runs than in others
    (beside the improvement's steps, one 120 s solve without merging reached 1,539,876
    and another 1,542,071, where the second round gives 1,541,674)."""
    child_start(parent)
    os.nice(NICENESS)
    deadline = time.perf_counter() + work.limit
    least = [work.warm.bound]

    def tell(bound: int) -> None:
        if bound < least[0]:
            least[0] = bound
            writer.send(bound)

    def solver() -> cp_model.CpSolver:
        left = max(deadline - time.perf_counter(), 0.0)
        return lp_solver(replace(work.options, workers=1), left)

    if work.second:
        crowding = solver()
        # the objective is whole (``solver.warmstart._bound``)
        crowding.best_bound_callback = lambda bound: tell(round(bound))
        tightened = tighten(work.relaxed, work.warm, crowding, pairs=False)
        if tightened is not None:
            tell(tightened.bound)
    if time.perf_counter() < deadline:
        prices = DayPrices(work.build(), work.relaxed.policy)
        for bound in prices.bounds(solver, work.target):
            tell(bound)
            if time.perf_counter() >= deadline:
                break
    writer.send(None)
    writer.close()


#: the child's priority: the lowest, so that it runs in the cycles the steps leave idle
#: and never slows them (with its own core instead, the steps on one worker fewer, the
#: plans came out 300-1,500 lower at 5,000 requests)
NICENESS = 19


class BoundBeside:
    """The second round, then day prices, running in a forked process on ``work``;
    :meth:`bound` is the least bound they have sent so far."""

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
        """The second round and day prices beside the caller, or None where no process
        can be forked."""
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


__all__ = ["BoundBeside", "Work"]
