"""A model that falls into independent parts (``solver.parts``): each part searched on
its own, in turn here or on Ray, and the whole plan read back from the parts' plans.

Requests that share no person, unit budget, quota or country-period cannot affect each
other, so each part's best plan is part of the whole's best, and the parts' bounds sum to
the whole's. ``solve_part`` is module-level, with plain data in and out, so that Ray can
run it on another machine (``solver.runners``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from ortools.sat.python import cp_model

from models.loading import LoadedScenario
from models.plan import Status
from solver.build import Prepared, build_model
from solver.candidates import Candidate, Placed
from solver.decisions import Explained
from solver.model import ModelContext
from solver.options import SolveOptions, cp_solver
from solver.parts import PartResult, sub_prepared, sub_scenario
from solver.phases import run_phases
from solver.pinning import fix_to
from solver.readback import read_plan, true_objective
from solver.result import SolveResult, model_size, no_plan, with_bound
from solver.runners import LocalRunner, Runner
from solver.search import Progress


def solve_part(
    loaded: LoadedScenario,
    prepared: Prepared,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> PartResult:
    """Search one independent part (a sub-scenario and its own candidates) for its plan.

    Module-level and with plain data in and out, so that Ray can run it on another
    machine (``solver.parts``). The part's candidates are the whole model's, so its plan
    pins the whole model without translation.
    """
    began = time.perf_counter()
    m, _ = build_model(
        loaded,
        list(prepared.kept),
        prepared=prepared,
        approvals_only=options.objective == "approvals",
    )
    stats: dict = {}
    search = run_phases(
        loaded, list(prepared.kept), prepared, m, options, on_progress, began, stats
    )
    if search.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return PartResult(search.status, [], None, None, stats)
    solver = search.solver
    placed = [
        (c.id, solver.value(m.start[c.id]))
        for c in m.candidates
        if solver.boolean_value(m.form[c.id])
    ]
    return PartResult(
        search.status,
        placed,
        true_objective(m, solver),
        search.bound if search.bound is not None else round(solver.best_objective_bound),
        {**stats, "deterministic_seconds": solver.response_proto.deterministic_time},
        search.interrupted(),
    )


#: seconds each part still to come gets once Ctrl-C stopped one (enough for its repaired
#: relaxation to be read back as a plan)
AFTER_INTERRUPT = 1.0


def _in_turn(jobs: list[tuple]) -> list[PartResult]:
    """The parts one after the other; once Ctrl-C stopped one, the rest get a quick plan.

    CP-SAT stops the search it is running on Ctrl-C, not the ones after it: without this a
    planner who pressed Ctrl-C would wait out every remaining part's share.
    """
    results: list[PartResult] = []
    for loaded, prepared, options, *more in jobs:
        if any(r.interrupted for r in results):
            options = replace(options, time_limit=min(options.time_limit, AFTER_INTERRUPT))
        results.append(solve_part(loaded, prepared, options, *more))
    return results


def _labelled(
    report: Callable[[Progress], None], part: str, began: float
) -> Callable[[Progress], None]:
    """A part's progress, on the whole solve's clock and labelled with the part."""
    offset: list[float] = []  # when the part began, on the whole solve's clock

    def labelled(p: Progress) -> None:
        if not offset:
            offset.append(time.perf_counter() - began - p.seconds)
        report(replace(p, seconds=p.seconds + offset[0], part=part))

    return labelled


def solve_in_parts(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    m: ModelContext,
    prepared: Prepared,
    removed: dict,
    parts: list[list[str]],
    options: SolveOptions,
    runner: Runner | None,
    began: float,
    on_progress: Callable[[Progress], None] | None = None,
    on_explained: Callable[[Explained], None] | None = None,
    finish_by: float | None = None,
) -> SolveResult:
    """Search each independent part, then read the whole plan back from the whole model.

    Each part gets a share of the time limit by its size (the same shares on Ray, so that
    a reproducible run gives the same plan either way). The parts' plans together pin the
    whole model, which is then read back as any plan is: costs, reasons and repairs are
    worked out on the whole, and the bound is the sum of the parts' bounds.
    """
    runner = runner or LocalRunner()
    remaining = options.time_limit - (0 if options.reproducible else time.perf_counter() - began)
    jobs = []
    # shares by the requests each part searches (screened-out requests cost nothing)
    searched = [sum(1 for rid in ids if rid in m.approve) or 1 for ids in parts]
    for k, ids in enumerate(parts, start=1):
        share = max(remaining * searched[k - 1] / sum(searched), 1.0)
        job: tuple = (
            sub_scenario(loaded, ids),
            sub_prepared(prepared, ids),
            replace(options, time_limit=share),
        )
        if runner.name == "local" and on_progress is not None:  # a cluster reports nothing back
            job += (_labelled(on_progress, f"{k}/{len(parts)}", began),)
        jobs.append(job)
    results = _in_turn(jobs) if runner.name == "local" else runner.map(solve_part, jobs)
    stats: dict = {
        **model_size(loaded, candidates, m),
        "parts": len(parts),
        "largest_part": max(len(ids) for ids in parts),
        "runner": runner.name,
    }
    for key in ("relaxation_bound", "repaired_objective"):  # summed when every part has one
        if all(key in r.stats for r in results):
            stats[key] = sum(r.stats[key] for r in results)
    elapsed = time.perf_counter() - began
    if any(r.objective is None for r in results):
        status = next(r.status for r in results if r.objective is None)
        return SolveResult(no_plan(loaded, options, stats, status, elapsed), stats)
    starts = {cid: start for r in results for cid, start in r.placed}
    placed = [Placed(c, starts[c.id]) for c in m.candidates if c.id in starts]
    fix_to(m, placed)
    solver = cp_solver(options, 60.0)
    if solver.solve(m.model) != cp_model.OPTIMAL:  # pragma: no cover - parts are independent
        raise RuntimeError("the parts' plans do not fit together: the parts were not independent")
    optimal = all(r.status is Status.OPTIMAL for r in results)
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    plan = read_plan(
        loaded, m, solver, removed, status, elapsed, options, stats, None, on_explained, finish_by
    )
    if options.reproducible:  # the parts' deterministic seconds, as a whole solve reports
        seconds = round(sum(r.stats["deterministic_seconds"] for r in results), 3)
        plan = plan.model_copy(update={"solve_seconds": seconds})
    bounds = [r.bound for r in results if r.bound is not None]
    assert len(bounds) == len(results)  # a part with a plan has its bound (``solve_part``)
    plan = with_bound(plan, sum(bounds))
    if optimal:
        plan = plan.model_copy(update={"gap": 0.0})
    return SolveResult(plan, stats, any(r.interrupted for r in results))
