"""Day prices in a forked process, beside the improvement: a lower bound while it searches.

The relaxation's bound is loose on dates: at 5,000 generated requests the plans pay
12,800 in distance from preferred starts and 1,900 for host holidays where the relaxation
pays 800. Day prices (``solver.lagrange``) see every day of every calendar it leaves
out, and bring that bound down step by step (1-2 s a step at 5,000 requests). The
improvement's steps leave a core idle part of the time (each step's presolve runs on one
thread; a step on one worker gained nearly what it gains on two, benchmarks/findings.md).
So the steps of day prices run in a forked process at the lowest priority (niceness
19), on one worker, in the cycles the improvement leaves; each better bound is sent back
at once, and the parent takes the least when the improvement ends (``solver.solve``).

This process ran the relaxation's second round (the crowding rows the first round's plan
breaks) until day prices replaced it: at 5,000 requests that round proved 1,541,674
without merging and 1,567,006 with it, where day prices reach lower within seconds of
starting (benchmarks/findings.md, "Day prices").

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
from dataclasses import replace

from models.policy import Policy
from solver.forked import can_fork, child_start
from solver.lagrange import DayPrices
from solver.model import ModelContext
from solver.options import SolveOptions, lp_solver


def _day_prices(
    build: Callable[[], ModelContext],
    policy: Policy,
    above: int,
    target: int,
    options: SolveOptions,
    limit: float,
    writer,
    parent: int,
) -> None:
    """In the child: day prices' steps on one worker until ``limit`` seconds have passed.
    Each bound below ``above`` (the relaxation's) and below every one before goes to
    ``writer`` as it is proved, so that the parent can take the least whenever the
    improvement ends; then None, for done. Only those: the parent reads the pipe now and
    then, and a full pipe would hold up the steps. ``target``: the repaired plan's
    objective, for the steps' length."""
    child_start(parent)
    os.nice(NICENESS)
    deadline = time.perf_counter() + limit
    prices = DayPrices(build(), policy)

    def solver():
        return lp_solver(replace(options, workers=1), max(deadline - time.perf_counter(), 0.0))

    least = above
    for bound in prices.bounds(solver, target):
        if bound < least:
            least = bound
            writer.send(bound)
        if time.perf_counter() >= deadline:
            break
    writer.send(None)
    writer.close()


#: the child's priority: the lowest, so that it runs in the cycles the steps leave idle
#: and never slows them (with its own core instead, the steps on one worker fewer, the
#: plans came out 300-1,500 lower at 5,000 requests)
NICENESS = 19


class BoundBeside:
    """Day prices' steps running in a forked process; :meth:`bound` is the least bound
    they have sent so far. ``build`` makes the relaxation without date costs
    (``solver.lagrange.inner_model``), in the child; ``above``: the relaxation's bound;
    ``target``: a plan's objective, for the steps' length; ``limit``: seconds."""

    def __init__(
        self,
        build: Callable[[], ModelContext],
        policy: Policy,
        above: int,
        target: int,
        options: SolveOptions,
        limit: float,
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        # the child only reads: frozen, its collector does not copy every page it visits
        gc.freeze()
        try:
            self._process = context.Process(
                target=_day_prices,
                args=(build, policy, above, target, options, limit, writer, os.getpid()),
                daemon=True,
            )
            self._process.start()
        finally:
            gc.unfreeze()
        writer.close()
        self._least: int | None = None
        self._done = False

    @classmethod
    def start(cls, *args) -> BoundBeside | None:
        """Day prices beside the caller (the constructor's arguments), or None where no
        process can be forked."""
        if not can_fork():
            return None
        try:
            return cls(*args)
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
