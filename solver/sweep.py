"""Sweeps: many plans or re-plans at once, each an independent job for a runner.

A ministry compares several scenarios (provinces, policy variants), or tries several sets
of adjustment requests against one approved plan. Each is a whole solve or what-if of its
own; ``solver.runners`` runs them in turn or on Ray, and the results come back in the
order given, the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.loading import LoadedScenario, WhatIfInput
from solver.options import SolveOptions
from solver.runners import LocalRunner, Runner
from solver.solve import SolveResult, solve
from solver.whatif import WhatIfResult, replan


def sweep_plans(
    scenarios: Sequence[LoadedScenario], options: SolveOptions, runner: Runner | None = None
) -> list[SolveResult]:
    """One plan per scenario, in the scenarios' order."""
    return (runner or LocalRunner()).map(solve, [(loaded, options) for loaded in scenarios])


def sweep_replans(
    inputs: Sequence[WhatIfInput], options: SolveOptions, runner: Runner | None = None
) -> list[WhatIfResult]:
    """One re-plan per set of adjustment requests, in the inputs' order."""
    return (runner or LocalRunner()).map(replan, [(inp, options) for inp in inputs])
