"""Sweeps: many plans or re-plans at once, each an independent job for a runner.

A ministry compares several scenarios (provinces, policy variants), or tries several sets
of adjustment requests against one approved plan. Each is a whole solve or what-if of its
own; ``solver.runners`` runs them in turn or on Ray, and the results come back in the
order given, the same either way.

Under a deadline (``finish_at``, on ``time.time``'s clock, which a cluster's machines
share) each job's budget is worked out as it starts: an even share of what is left with
the jobs still to run after it in its lane. Run in turn, every later job is in that lane,
so a job that ends early leaves its time to the rest; on a cluster each job is its own
lane, and a job that waits for room starts with less.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from models.loading import LoadedScenario, WhatIfInput
from solver.options import SolveOptions
from solver.runners import LocalRunner, Runner
from solver.solve import SolveResult, solve
from solver.whatif import WhatIfResult, replan


def sweep_plans(
    scenarios: Sequence[LoadedScenario],
    options: SolveOptions,
    runner: Runner | None = None,
    finish_at: float | None = None,
) -> list[SolveResult]:
    """One plan per scenario, in the scenarios' order; all by ``finish_at`` when given."""
    return _sweep(solve, _solve_by, scenarios, options, runner, finish_at)


def sweep_replans(
    inputs: Sequence[WhatIfInput],
    options: SolveOptions,
    runner: Runner | None = None,
    finish_at: float | None = None,
) -> list[WhatIfResult]:
    """One re-plan per set of adjustment requests, in the inputs' order; all by
    ``finish_at`` when given."""
    return _sweep(replan, _replan_by, inputs, options, runner, finish_at)


def _sweep(
    job: Callable, job_by: Callable, items: Sequence, options: SolveOptions,
    runner: Runner | None, finish_at: float | None,
) -> list:  # fmt: skip
    """``job(item, options)`` per item on ``runner``; under a deadline ``job_by``, which
    works out the job's budget as it starts."""
    runner = runner or LocalRunner()
    if finish_at is None:
        return runner.map(job, [(item, options) for item in items])
    after = jobs_after(runner, len(items))
    return runner.map(
        job_by, [(item, options, finish_at, k) for item, k in zip(items, after, strict=True)]
    )


def jobs_after(runner: Runner, count: int) -> list[int]:
    """How many jobs run after each in its lane: every later one when the runner runs
    them in turn, none on a cluster."""
    return [count - 1 - k for k in range(count)] if runner.in_turn else [0] * count


def job_budget(finish_at: float, after: int) -> float:
    """A job's budget as it starts: an even share of what is left until ``finish_at``
    with the ``after`` jobs that follow it in its lane."""
    return (finish_at - time.time()) / (after + 1)


def _solve_by(
    loaded: LoadedScenario, options: SolveOptions, finish_at: float, after: int
) -> SolveResult:
    """``solve`` within the job's budget (a module-level function: Ray ships it)."""
    return solve(loaded, replace(options, budget=job_budget(finish_at, after)))


def _replan_by(
    inp: WhatIfInput, options: SolveOptions, finish_at: float, after: int
) -> WhatIfResult:
    """``replan`` within the job's budget (a module-level function: Ray ships it)."""
    return replan(inp, replace(options, budget=job_budget(finish_at, after)))
