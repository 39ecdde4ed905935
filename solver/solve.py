"""Solve a scenario: screen, build the CP-SAT model, search, and read the plan back.

This is the library entry point the command line calls (a notebook can too)::

    from models.loading import load_scenario
    from solver import solve, SolveOptions
    result = solve(load_scenario("scenarios/changchun-2020.yaml"), SolveOptions(time_limit=10))
    result.plan.to_json()

What happens in between, each in its own module: the first plan (``solver.start``), the
phases of the search (``solver.phases``), one CP-SAT search and its progress lines
(``solver.search``), independent parts (``solver.in_parts``), the plan read back
(``solver.readback``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from models.loading import LoadedScenario
from models.plan import Status
from solver.budget import within_budget
from solver.build import build_model, check_policy, prepare
from solver.candidates import singletons
from solver.decisions import Explained
from solver.forked import worker_count
from solver.in_parts import solve_in_parts
from solver.options import SolveOptions
from solver.parts import independent_parts
from solver.phases import run_phases
from solver.pinning import fix_to
from solver.readback import read_plan
from solver.result import SolveResult, model_size, no_plan, with_bound
from solver.runners import Runner
from solver.search import Progress, run_search
from solver.start import clerks_trips


def solve(
    loaded: LoadedScenario,
    options: SolveOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    runner: Runner | None = None,
    on_explained: Callable[[Explained], None] | None = None,
) -> SolveResult:
    """The best plan the rules allow, with a decision and reasons for every request.

    ``options.method == "greedy"`` gives the clerk's first-come-first-served plan instead
    (``solver.greedy``), read back through the same model so its soft costs are priced
    the same way. When the model falls into independent parts (``solver.parts``), each is
    searched on its own, by ``runner`` (in turn here, or on Ray), and the plan reassembled.
    """
    options = options or SolveOptions()
    check_policy(loaded)
    s, p = loaded.scenario, loaded.policy
    began = time.perf_counter()
    options, finish_by = within_budget(options, began, len(s.requests))
    candidates = singletons(s, use_windows=p.rule("TIME-WINDOW").on)
    workers = worker_count(options.num_workers)
    prepared = prepare(loaded, candidates, merge=options.merge, workers=workers)
    approvals_only = options.objective == "approvals"
    m, removed = build_model(loaded, candidates, prepared=prepared, approvals_only=approvals_only)
    size = model_size(loaded, candidates, m)  # as built: before a plan or a bound is pinned to it
    stats: dict = {}
    if options.method == "greedy":
        placed = clerks_trips(loaded, m)
        stats["greedy_seconds"] = round(time.perf_counter() - began, 3)
        fix_to(m, placed)
        search = run_search(m, options, max(5.0, options.time_limit), on_progress, began)
    else:
        parts = independent_parts(m) if options.decompose else []
        if len(parts) > 1:
            return solve_in_parts(
                loaded, candidates, m, prepared, removed, parts, options, runner, began,
                on_progress, on_explained, finish_by,
            )  # fmt: skip
        search = run_phases(loaded, candidates, prepared, m, options, on_progress, began, stats)
    solver, status = search.solver, search.status
    if options.method == "greedy" and status is Status.OPTIMAL:
        status = Status.FEASIBLE  # optimal for its fixed choices only: no claim on the year
    elapsed = time.perf_counter() - began
    interrupted = options.method != "greedy" and search.interrupted()
    stats = {**size, "solutions": search.solutions, **stats}
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return SolveResult(no_plan(loaded, options, stats, status, elapsed), stats)
    plan = read_plan(
        loaded, m, solver, removed, status, elapsed, options, stats, None, on_explained, finish_by
    )
    if options.method == "greedy":  # the clerk's plan proves nothing about the year's best
        plan = plan.model_copy(update={"bound": None, "gap": None})
    elif search.bound is not None and search.bound != plan.bound:
        plan = with_bound(plan, search.bound)
    return SolveResult(plan, stats, interrupted)


__all__ = ["Progress", "SolveResult", "solve"]
