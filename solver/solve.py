"""Solve a scenario: screen, build the CP-SAT model, search, and read the plan back.

This is the library entry point the command line calls (a notebook can too)::

    from models.loading import load_scenario
    from solver import solve, SolveOptions
    result = solve(load_scenario("scenarios/changchun-2020.yaml"), SolveOptions(time_limit=10))
    result.plan.to_json()
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from models.loading import LoadedScenario
from models.plan import Plan, Status
from models.policy import Policy
from solver.beside import BoundBeside, Work
from solver.budget import within_budget
from solver.build import Prepared, build_model, check_policy, prepare
from solver.candidates import Candidate, Placed, singletons
from solver.datecosts import cheapest_start
from solver.decisions import Explained
from solver.forked import worker_count
from solver.greedy import first_come, repair, repair_orders, repair_side_by_side
from solver.improve import Improved, improve
from solver.interrupts import ctrl_c, ctrl_c_stops
from solver.lagrange import inner_model, undated
from solver.model import ModelContext
from solver.options import SolveOptions, cp_solver, lp_solver
from solver.overtime import MOST_SHARES, Overtime
from solver.parts import PartResult, independent_parts, sub_prepared, sub_scenario
from solver.proto import value_range
from solver.readback import plan_meta, read_plan, true_objective
from solver.runners import LocalRunner, Runner
from solver.warmstart import WarmStart, relax, tighten

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
}


@dataclass
class Progress:
    """One line of search progress: what a planner watching a long solve sees."""

    seconds: float
    objective: int
    bound: int
    solutions: int
    #: searching independent parts one by one: "2/5" (objective and bound are that part's)
    part: str = ""
    #: what ``objective`` counts when it is not the plan's objective: a what-if tier's
    #: "granted" (value of the changes granted), "kept" (trips), "moved" (days)
    measure: str = ""

    @property
    def gap(self) -> float:
        # over the larger of the two: a tier that minimises (days moved) has its bound below
        return abs(self.bound - self.objective) / max(1, abs(self.bound), abs(self.objective))


@dataclass
class SolveResult:
    plan: Plan
    stats: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Reports each better plan CP-SAT finds.

    ``floor``: a plan already reported (the improvement's), so worse ones are not shown as
    progress; ``cap``: a bound already proved (the relaxation's), shown until CP-SAT's own
    is lower (early in a search CP-SAT's bound is the objective's trivial range).
    ``measure`` and ``scale``: a what-if tier's objective, shown as what it counts (the
    grant tier's objective is the value granted times ``scale``, plus the trips kept).
    """

    def __init__(
        self,
        report: Callable[[Progress], None] | None,
        offset: float = 0.0,
        floor: int | None = None,
        cap: int | None = None,
        measure: str = "",
        scale: int = 1,
    ):
        super().__init__()
        self.report = report
        self.offset = offset  # seconds spent before this search (building, relaxation)
        self.count = 0
        self.floor, self.cap = floor, cap
        self.measure, self.scale = measure, scale

    def on_solution_callback(self) -> None:
        self.count += 1
        objective, bound = round(self.objective_value), round(self.best_objective_bound)
        if self.report is None or (self.floor is not None and objective < self.floor):
            return
        if self.cap is not None:
            bound = min(bound, self.cap)
        seconds = self.offset + self.wall_time
        objective, bound = objective // self.scale, bound // self.scale
        self.report(Progress(seconds, objective, bound, self.count, measure=self.measure))


#: the share of the time limit the relaxation may use (``solver.warmstart``)
RELAXATION_SHARE = 0.25
#: the least time left in that share for its second round (rows pricing crowded dates) to
#: be tried in turn; it is tried only with at least as much time left as the first round
#: took (the rows the first round's plan breaks: at 5,000 requests 20-23 s against the
#: first round's 13-17 s). Where it would have the crowding rows alone, day prices run
#: beside the improvement instead wherever they can (``_beside``); that process is started
#: only with at least this much time
MIN_TIGHTEN_SECONDS = 1.0
#: the two-stay displacement rows join the second round only when the first was proved
#: within this part of the share. They make it slower still, and its time comes out of
#: the improvement: at 1,000 requests (first round 1.8 s of 15) they halve the proved gap,
#: while at 5,000 (12-17 s of 30) they lowered the bound 0.13% where the improvement
#: gains more in the same 20 s (benchmarks/findings.md)
TIGHTEN_WITHIN = 0.25
#: day prices run beside the improvement where they can (``_beside``)
BESIDE_ROUND = True


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
    size = _size(loaded, candidates, m)  # as built: before a plan or a bound is pinned to it
    stats: dict = {}
    if options.method == "greedy":
        placed = _clerks_trips(loaded, m)
        stats["greedy_seconds"] = round(time.perf_counter() - began, 3)
        _fix(m, placed)
        search = _run(m, options, max(5.0, options.time_limit), on_progress, began)
    else:
        parts = independent_parts(m) if options.decompose else []
        if len(parts) > 1:
            return _solve_in_parts(
                loaded, candidates, m, prepared, removed, parts, options, runner, began,
                on_progress, on_explained, finish_by,
            )  # fmt: skip
        search = _search(loaded, candidates, prepared, m, options, on_progress, began, stats)
    solver, status = search.solver, search.status
    if options.method == "greedy" and status is Status.OPTIMAL:
        status = Status.FEASIBLE  # optimal for its fixed choices only: no claim on the year
    elapsed = time.perf_counter() - began
    interrupted = options.method != "greedy" and search.interrupted()
    stats = {**size, "solutions": search.solutions, **stats}
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return SolveResult(_no_plan(loaded, options, stats, status, elapsed), stats)
    plan = read_plan(
        loaded, m, solver, removed, status, elapsed, options, stats, None, on_explained, finish_by
    )
    if options.method == "greedy":  # the clerk's plan proves nothing about the year's best
        plan = plan.model_copy(update={"bound": None, "gap": None})
    elif search.bound is not None and search.bound != plan.bound:
        plan = _with_bound(plan, search.bound)
    return SolveResult(plan, stats, interrupted)


def _size(loaded: LoadedScenario, candidates: list[Candidate], m: ModelContext) -> dict:
    proto = m.model.proto
    return {
        "requests": len(loaded.scenario.requests),
        "candidates": len(candidates),
        "eligible_candidates": len(m.candidates),
        "variables": len(proto.variables),
        "constraints": len(proto.constraints),
    }


def _no_plan(
    loaded: LoadedScenario, options: SolveOptions, stats: dict, status: Status, elapsed: float
) -> Plan:
    return Plan(
        scenario=loaded.scenario.name,
        policy=loaded.policy.id,
        status=status,
        solve_seconds=round(elapsed, 3),
        solver=plan_meta(loaded, options, stats),
    )


def _with_bound(plan: Plan, bound: int) -> Plan:
    """The plan with a bound proved elsewhere (the relaxation's, or the parts' sum)."""
    gap = abs(bound - (plan.objective or 0)) / max(1, abs(bound))
    return plan.model_copy(update={"bound": bound, "gap": round(gap, 6)})


@dataclass
class _Search:
    """What one CP-SAT search left: the solver to read values from, and how it ended."""

    solver: cp_model.CpSolver
    status: Status
    solutions: int = 0
    pressed: bool = False  # Ctrl-C during the search
    stopped: bool = False  # Ctrl-C before the search (in a phase before it)
    #: the best bound proved on the whole model: CP-SAT's or the relaxation's, the lower
    #: (None: only CP-SAT's, read from ``solver``)
    bound: int | None = None

    def interrupted(self) -> bool:
        """Whether Ctrl-C ended it with a plan short of proved: during the relaxation or
        the improvement, or during the search."""
        return self.status is Status.FEASIBLE and (self.stopped or self.pressed)


def _run(
    m: ModelContext,
    options: SolveOptions,
    limit: float,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    floor: int | None = None,
    cap: int | None = None,
) -> _Search:
    """Search ``m`` for ``limit`` seconds, reporting each better plan (``_Watcher``)."""
    solver = cp_solver(options, limit)
    watcher = _Watcher(on_progress, time.perf_counter() - began, floor, cap)
    with ctrl_c_stops(solver) as pressed:
        code = solver.solve(m.model, watcher)
    if code == cp_model.MODEL_INVALID:  # pragma: no cover - a bug, not a user's mistake
        raise RuntimeError(m.model.validate())
    return _Search(solver, _STATUS.get(code, Status.UNKNOWN), watcher.count, bool(pressed))


def _search(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    prepared: Prepared,
    m: ModelContext,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    stats: dict,
) -> _Search:
    """The relaxation's warm start, the improvement (``solver.improve``, when it runs), then
    CP-SAT's search on the rest of the time limit, hinted with the best plan so far.

    Below ``IMPROVE_FROM`` requests (when nothing told whether to improve) CP-SAT searches
    alone first for ``PROBE_SHARE`` of the time; what it does not prove there and leaves
    farther than ``PROBE_CLOSE`` from the bound goes to the improvement from its plan.

    Should the search find nothing in time, or end below that plan, the best plan so far
    (improved, or the repaired relaxation: feasible either way) is read back instead. A
    plan that reaches the relaxation's bound is proved optimal there: no search follows.

    Ctrl-C anywhere in it (in a phase's own search, or between them: making the clerk's
    plan, the repair) ends the phase it falls in and skips to a short search from the
    best plan so far (``SEARCH_AFTER_CTRL_C``).
    """
    # set by a press in any phase, or between two; the stack stops the bounds beside
    with ctrl_c() as pressed, contextlib.ExitStack() as cleanup:
        start = _Start()
        early = None
        # under a budget (``--deadline``) the search's share can end before the repaired
        # relaxation comes (5,000 requests given 13 s): the clerk's plan first, at any size
        if options.warm_start and (len(m.approve) >= EARLY_PLAN_FROM or options.budget is not None):
            early = _clerks_plan(loaded, m, options, on_progress, began, stats)
        if options.warm_start and not pressed:
            deadline = began + options.time_limit
            start = _warm_start(loaded, candidates, m, options, stats, prepared, pressed, deadline)
        if early is not None and (start.complete is None or early.complete[0] > start.complete[0]):
            start = replace(start, placed=early.placed, complete=early.complete)
            _hint_plan(m, early.placed, early.complete)
            stats["started_from"] = "clerk's plan"
        repaired, complete = start.placed, start.complete
        if options.reproducible:
            limit = options.time_limit * (1 - RELAXATION_SHARE if options.warm_start else 1)
        else:
            limit = options.time_limit - (time.perf_counter() - began)
        improved = (
            not pressed and complete is not None and _improves(m, options, stats, complete[0])
        )
        relaxed = stats.get("relaxation_bound")
        probed = not pressed and not improved and _probes(options, complete, relaxed)
        if probed:
            probe_limit = limit * PROBE_SHARE
            probe = _run(m, options, probe_limit, on_progress, began, None, relaxed)
            if probe.status is Status.OPTIMAL:
                probe.bound = round(probe.solver.objective_value)
                return probe
            complete = _better_of(m, complete, probe, relaxed, stats)
            repaired = _placed(m, complete[1]) if complete is not None else repaired
            far = stats.get("probe_gap", 1.0) > PROBE_CLOSE
            improved = not pressed and complete is not None and far
            limit = (
                limit - probe_limit if options.reproducible else options.time_limit - _since(began)
            )
        if improved and complete is not None:  # (``improved`` says it is not None)
            share = limit * IMPROVE_SHARE
            # day prices beside the improvement (``solver.beside``), after the relaxation
            # or after the probe: wherever it runs, from its first plan on
            beside = None
            if relaxed is not None and _can_price(m, options):
                beside = _price_beside(
                    loaded, candidates, prepared, options, relaxed, complete[0], share
                )
                if beside is not None:
                    cleanup.callback(beside.close)
            better = _improve(
                m, complete, share, options, stats, on_progress, began, start.chosen, beside
            )
            complete = better.objective, better.values
            repaired = _placed(m, better.values)
            limit = limit - share if options.reproducible else options.time_limit - _since(began)
            if beside is not None:  # its bound so far; it leaves the final search's cores
                relaxed = _bound_beside(m, beside, stats, complete[0])
                beside.close()
        stopped = bool(pressed)  # in any phase so far: the block's flag hears them all
        if not stopped and repaired is not None and _reaches(complete, relaxed):
            # the plan reaches a proved bound, so it is optimal and CP-SAT's search (whose
            # presolve alone took 4 s of the 7 s to prove 1,000 requests' approvals) has
            # nothing to add: the plan is read back from the model fixed to it
            _fix(m, repaired)
            search = _run(m, options, 30.0, on_progress, began)
            search.bound = relaxed
            stats["proved_by"] = "relaxation bound"
            return search
        if stopped:  # Ctrl-C in a phase before: a short search, then stop
            limit = min(limit, SEARCH_AFTER_CTRL_C)
        floor = complete[0] if (improved or probed) and complete is not None else None
        search = _run(m, options, limit, on_progress, began, floor, relaxed)
        search.stopped = stopped
        found = search.status in (Status.OPTIMAL, Status.FEASIBLE)
        # a short search may end before it has reloaded the hinted plan: keep the better one
        behind = (
            complete is not None
            and search.status is Status.FEASIBLE
            and round(search.solver.objective_value) < complete[0]
        )
        # the bound proved: the relaxation's, or the search's when lower (early in a short
        # search CP-SAT's bound is only the objective's range)
        search.bound = relaxed
        if found:
            own = round(search.solver.best_objective_bound)
            search.bound = own if relaxed is None else min(relaxed, own)
        if (not found or behind) and repaired is not None:
            if search.bound is None:
                # nothing proved (no relaxation, no search plan): the solve below, of the
                # model fixed to the plan, would "prove" the plan itself optimal
                search.bound = _trivial_bound(m)
            _fix(m, repaired)
            solver = cp_solver(options, 30.0)
            code = solver.solve(m.model)
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                search.solver, search.status = solver, Status.FEASIBLE
            stats["fallback"] = (
                "improved plan" if improved else stats.get("started_from", "repaired relaxation")
            )
        return search


#: requests in the model from which the clerk's plan (``solver.greedy.first_come``) is made
#: before the relaxation, as the first plan: at 20,000 requests with merging the
#: relaxation takes 231-315 s and the repaired plan came at 348 s; the clerk's plan takes
#: about 14 s, and came at 67-74 s. It is the start should the relaxation or its repair
#: give none (or a worse one). Below this size the repaired plan comes within 35 s (5,000
#: requests).
EARLY_PLAN_FROM = 10_000


def _clerks_plan(
    loaded: LoadedScenario,
    m: ModelContext,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    stats: dict,
) -> _Start | None:
    """The clerk's plan as a complete plan of ``m``, reported as the first progress line
    (against the objective's trivial bound: nothing is proved yet); None if the model
    refuses it."""
    placed = _clerks_trips(loaded, m)
    complete = _complete(m, placed, options)
    if complete is None:
        return None
    stats["clerks_objective"] = complete[0]
    stats["clerks_seconds"] = round(_since(began), 3)
    if on_progress is not None:
        on_progress(Progress(_since(began), complete[0], _trivial_bound(m), 1))
    return _Start(placed=placed, complete=complete)


def _clerks_trips(loaded: LoadedScenario, m: ModelContext) -> list[Placed]:
    """The clerk's plan (``solver.greedy.first_come``) over the model's lone requests."""
    lone = [c for c in m.candidates if not c.is_composite]
    return first_come(loaded.scenario, loaded.policy, lone)


def _trivial_bound(m: ModelContext) -> int:
    """The most the objective can be on its variables' domains alone (a bound no search
    proved, for a progress line before any)."""
    proto = m.model.proto
    low, high = value_range(proto.objective, proto)
    scale = proto.objective.scaling_factor or 1.0  # -1 for a maximisation
    return round(max(scale * low, scale * high))


def _reaches(complete: tuple[int, list[int]] | None, bound: int | None) -> bool:
    """Whether the plan so far is worth the relaxation's bound: then it is optimal."""
    return complete is not None and bound is not None and complete[0] >= bound


#: the share of the search's time given to the large-neighbourhood search first
#: (``solver.improve``); CP-SAT's own search then starts from its plan and proves the bound.
#: Where the improvement runs, CP-SAT's search barely moves a plan, and the steps gain
#: until the end. At 5,000 requests, with 0.95 and one repair order a solve ended 1.71% from
#: the bound, against 1.89% with 0.75 and three orders; without the second round too,
#: 1.44% (``TIGHTEN_WITHIN``; ``repair_orders``). At 1,000 both shares end within 0.06%
IMPROVE_SHARE = 0.95
#: seconds CP-SAT's search still gets after Ctrl-C during the relaxation or the improvement:
#: enough to reload the hinted plan below a few hundred requests and to report a bound;
#: where it is not, the best plan so far is read back (the fallback), so the user waits
#: little after pressing it
SEARCH_AFTER_CTRL_C = 2.0
#: requests in the model from which the large-neighbourhood search runs when not told
#: (``SolveOptions.improve``); below it CP-SAT proves most plans optimal on its own
IMPROVE_FROM = 500
#: the same for ``--objective approvals``: with no dates to price, CP-SAT proves 1,000
#: generated requests optimal in about 8 s on its own, while at 5,000 the improvement
#: (its left-out steps seeded with the relaxation's trips) ends 0.35% from the bound after
#: 120 s against 0.85% for CP-SAT alone (benchmarks/findings.md)
IMPROVE_APPROVALS_FROM = 2000


#: below ``IMPROVE_FROM`` (when not told), the share of the search's time CP-SAT gets on
#: its own first: small scenarios are proved in it or soon after (200 generated requests,
#: 60 s limit: proved 16 s into the solve alone, 18 s with the probe), and those it does
#: not prove it usually leaves within ``PROBE_CLOSE`` of the
#: bound (400 generated requests: 0.02% after 60 s). Calendars as full as a province's
#: are not: the 304 requests of the 5,000-request scenario that stay in Oceania (102-114
#: a country) ended 1.8% from the bound after 120 s of CP-SAT alone, and 0.97% with the
#: improvement (``benchmarks/findings.md``, "Few requests, full calendars").
PROBE_SHARE = 0.25
#: the probe's gap (to the lower of its bound and the relaxation's) past which the
#: improvement takes the rest of the time; at or below it CP-SAT's search goes on
PROBE_CLOSE = 0.002


def _probes(
    options: SolveOptions, complete: tuple[int, list[int]] | None, relaxed: int | None
) -> bool:
    """Whether CP-SAT searches alone first, the improvement to follow should it end far
    from the bound (``PROBE_SHARE``): only when nothing told whether to improve, from a
    plan to improve (the warm start's), and not once that plan is proved."""
    return options.improve is None and complete is not None and not _reaches(complete, relaxed)


def _better_of(
    m: ModelContext,
    complete: tuple[int, list[int]] | None,
    probe: _Search,
    relaxed: int | None,
    stats: dict,
) -> tuple[int, list[int]] | None:
    """The better of the plan so far and the probe's (hinted when it is the probe's), and
    the gap it leaves (``stats["probe_gap"]``, to the lower of the two bounds)."""
    if probe.status is not Status.FEASIBLE:
        return complete
    found = round(probe.solver.objective_value)
    stats["probe_objective"] = found
    if complete is None or found > complete[0]:
        complete = found, list(probe.solver.response_proto.solution)
        _hint_plan(m, [], complete)
    bound = round(probe.solver.best_objective_bound)
    bound = bound if relaxed is None else min(bound, relaxed)
    stats["probe_gap"] = round((bound - complete[0]) / max(abs(bound), 1), 6)
    return complete


def _since(began: float) -> float:
    return time.perf_counter() - began


def _wants_improvement(m: ModelContext, options: SolveOptions) -> bool:
    """Whether the large-neighbourhood search is for this model: told so, or by size and
    objective (``IMPROVE_FROM``, ``IMPROVE_APPROVALS_FROM``)."""
    if options.improve is not None:
        return options.improve
    return len(m.approve) >= (IMPROVE_APPROVALS_FROM if m.approvals_only else IMPROVE_FROM)


def _improves(m: ModelContext, options: SolveOptions, stats: dict, objective: int) -> bool:
    """Whether to run the large-neighbourhood search on a plan of ``objective``: it is for
    this model (``_wants_improvement``), and the plan is not proved optimal yet."""
    return _wants_improvement(m, options) and objective < stats.get(
        "relaxation_bound", objective + 1
    )


def _improve(
    m: ModelContext,
    complete: tuple[int, list[int]],
    limit: float,
    options: SolveOptions,
    stats: dict,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    wanted: set[str],
    beside: BoundBeside | None = None,
) -> Improved:
    """Run ``solver.improve`` on the repaired plan, report its progress, hint its best.

    ``wanted``: the trips the relaxation formed, which the improvement tries to bring in
    first (``solver.improve``). ``beside``: day prices in a process of their own
    (``solver.beside``), whose bound the progress shows as soon as it is proved."""
    # no relaxation bound when the improvement starts from the clerk's plan instead
    bound = stats.get("relaxation_bound", _trivial_bound(m))
    count = [0]

    def report(objective: int) -> None:
        count[0] += 1
        if on_progress is not None:
            lowered = beside.bound() if beside is not None else None
            shown = bound if lowered is None or lowered < objective else min(bound, lowered)
            on_progress(Progress(_since(began), objective, shown, count[0]))

    better = improve(m, complete[1], complete[0], limit, options, report, wanted)
    stats["improve_steps"] = better.steps
    stats["improved_objective"] = better.objective
    stats["improved_seconds"] = round(_since(began), 3)
    _hint_plan(m, [], (better.objective, better.values))
    return better


def _bound_beside(m: ModelContext, beside: BoundBeside, stats: dict, best: int) -> int | None:
    """The relaxation's bound, lowered to what day prices beside the improvement have
    proved so far (``solver.beside``), and cut into the model for the final search.

    A bound below ``best``, a plan's objective, cannot be a bound: it is not taken (a
    stop before any plan once made CP-SAT report 0 as the relaxation's bound)."""
    relaxed = stats.get("relaxation_bound")
    tighter = beside.bound()
    if tighter is None or relaxed is None or not best <= tighter < relaxed:
        return relaxed
    stats["relaxation_bound"] = tighter
    stats["bound_beside"] = tighter
    m.cuts.append(m.model.add(m.objective <= tighter).index)
    return tighter


def _placed(m: ModelContext, values: list[int]) -> list[Placed]:
    """The trips of a complete plan (one value per variable of ``m``)."""
    return [
        Placed(c, values[m.start[c.id].index]) for c in m.candidates if values[m.form[c.id].index]
    ]


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
    search = _search(loaded, list(prepared.kept), prepared, m, options, on_progress, began, stats)
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


def _solve_in_parts(
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
        job = (
            sub_scenario(loaded, ids),
            sub_prepared(prepared, ids),
            replace(options, time_limit=share),
        )
        if runner.name == "local" and on_progress is not None:  # a cluster reports nothing back
            job += (_labelled(on_progress, f"{k}/{len(parts)}", began),)
        jobs.append(job)
    results = _in_turn(jobs) if runner.name == "local" else runner.map(solve_part, jobs)
    stats: dict = {
        **_size(loaded, candidates, m),
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
        return SolveResult(_no_plan(loaded, options, stats, status, elapsed), stats)
    starts = {cid: start for r in results for cid, start in r.placed}
    placed = [Placed(c, starts[c.id]) for c in m.candidates if c.id in starts]
    _fix(m, placed)
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
    plan = _with_bound(plan, sum(r.bound for r in results))
    if optimal:
        plan = plan.model_copy(update={"gap": 0.0})
    return SolveResult(plan, stats, any(r.interrupted for r in results))


@dataclass
class _Start:
    """What the warm start left for the search (``_warm_start``)."""

    #: the repaired plan: the fallback should the search find none in time
    placed: list[Placed] | None = None
    #: its objective and its value for every variable of the model (``_complete``)
    complete: tuple[int, list[int]] | None = None
    #: the candidates the relaxation formed
    chosen: set[str] = field(default_factory=set)


def _beside(m: ModelContext, options: SolveOptions) -> bool:
    """Whether day prices will run beside the improvement (``solver.beside``, started in
    ``_search``), so that the relaxation's second round on the crowding rows alone need
    not run in turn (``_warm_start``): where the improvement is for the model
    (``_wants_improvement``) and day prices can run (``_can_price``). They need no proved
    first round: at 20,000 requests, where it is not proved, they took its bound from
    4,432,623 to 4,413,914 in a 600 s solve (benchmarks/findings.md). Below
    ``IMPROVE_FROM`` requests the improvement, and day prices with it, follow the probe
    only when CP-SAT alone ends far from the bound (``_search``)."""
    return _can_price(m, options) and _wants_improvement(m, options)


def _can_price(m: ModelContext, options: SolveOptions) -> bool:
    """Whether day prices can run beside an improvement: with date costs to price (for
    ``--objective approvals`` day prices were not measured), a second core for them, and
    a run that need not be reproducible (their bound comes when it comes)."""
    return (
        BESIDE_ROUND
        and not options.reproducible
        and not m.approvals_only
        and worker_count(options.num_workers) > 1
    )


def _price_beside(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    prepared: Prepared,
    options: SolveOptions,
    bound: int,
    target: int,
    limit: float,
) -> BoundBeside | None:
    """Day prices in a forked process (``solver.beside``) for ``limit`` seconds, below
    ``bound`` (the relaxation's), their steps aimed from ``target`` (a plan's objective);
    None with too little time, or where no process can be forked."""
    if limit < MIN_TIGHTEN_SECONDS:
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


def _second_round(spent: float, share: float) -> str | None:
    """Which rows the relaxation's second round could add in turn after a first round
    proved in ``spent`` of its ``share``: "both" (crowding and two-stay rows),
    "crowding", or None (no time for it in turn). Even on the rows the first round's plan
    breaks, the model is slower to solve than the first round was (at 5,000 requests
    20-23 s against 13-17 s), and a round in turn takes its time from the improvement
    (``MIN_TIGHTEN_SECONDS``, ``TIGHTEN_WITHIN``). Where the crowding rows alone would
    run, day prices run beside the improvement instead wherever they can (``_beside``)."""
    if share - spent < max(spent, MIN_TIGHTEN_SECONDS):
        return None
    return "both" if spent <= share * TIGHTEN_WITHIN else "crowding"


#: relaxed trips from which the repair orders run side by side (``repair_side_by_side``):
#: at 5,000 requests each takes about 5 s; at 1,000 (545 trips) the first, 1.5 s, reaches
#: the bound with the approvals objective, and the second is then never run in turn.
SIDE_BY_SIDE_FROM = 1_500


def _warm_start(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    m: ModelContext,
    options: SolveOptions,
    stats: dict,
    prepared: Prepared,
    pressed: list[bool],
    deadline: float = math.inf,
) -> _Start:
    """Solve the relaxation, repair its plan into a feasible one and hint it.

    The repair is tried in two orders (``solver.greedy.repair_orders``) and the better
    plan kept; not the second once the first reaches the relaxation's bound. From
    ``SIDE_BY_SIDE_FROM`` relaxed trips the two run side by side in forked processes. The
    relaxation's bound becomes a constraint on the objective (it is a proved bound, so no
    plan is cut off) and lets the search stop as soon as it reaches it.

    Ctrl-C (``pressed``) during the relaxation stops it, and its plan is repaired in one
    order only: a plan worth having, where the relaxation's own is none. A press during
    the repair ends it with the trips placed so far, a plan all the same.

    From ``DATELESS_FROM`` requests, where day prices run beside the improvement, the
    relaxation leaves out the date costs (``_dateless_round``): far quicker to solve, and
    its trips go to the repair on their cheapest starts.

    Without ``--reproducible`` the relaxation does not run past ``deadline`` (the whole
    search's end, on ``time.perf_counter``'s clock): on a short limit at 20,000 requests
    the clerk's plan and building the relaxation leave less than its shares, and its
    overtime ran the solve 25 s past the limit for no plan.
    """
    s, p = loaded.scenario, loaded.policy
    began = time.perf_counter()
    if not options.reproducible and began >= deadline:
        return _Start()  # not even the relaxation's model (10-20 s at 20,000 requests)
    dateless = _dateless_round(m, options)
    relaxed, _ = build_model(
        replace(loaded, policy=undated(p)) if dateless else loaded,
        candidates,
        merge=options.merge,
        relaxed=True,
        prepared=prepared,
        approvals_only=m.approvals_only,
    )
    share = options.time_limit * RELAXATION_SHARE
    if options.reproducible:
        relaxer = lp_solver(options, share)
        with ctrl_c_stops(relaxer):
            warm = relax(relaxed, relaxer)
    else:  # past the share while its plan is far from its bound (``solver.overtime``)
        most = min(share * MOST_SHARES, deadline - time.perf_counter())
        if most <= 0:
            return _Start()
        relaxer = lp_solver(options, most)
        early = DATELESS_CLOSE if dateless else None
        overtime = Overtime(relaxer, share, early=early, early_after=share * DATELESS_PATIENCE)
        with overtime, ctrl_c_stops(relaxer):
            warm = relax(relaxed, relaxer, overtime)
    if warm is None:
        return _Start()
    if dateless:  # its starts are any; the repair places trips near these
        warm = replace(warm, starts=_cheapest_starts(m, p, warm))
        stats["relaxation_dateless"] = True
    response = relaxer.response_proto
    spent = response.deterministic_time if options.reproducible else relaxer.wall_time
    left = share - spent
    # the second round's rows price shifts, which a round without date costs has none of
    rows = None if dateless else _second_round(spent, share)
    # the crowding rows alone take about as long as the first round did; day prices
    # beside the improvement go lower, and cost it nothing (``_beside``)
    aside = math.isfinite(deadline) and _beside(m, options) and not pressed
    in_turn = warm.optimal and not pressed and rows is not None
    if in_turn and not (aside and rows == "crowding"):
        tightener = lp_solver(options, left)
        with ctrl_c_stops(tightener):
            tightened = tighten(relaxed, warm, tightener, pairs=rows == "both")
        if tightened is not None:
            warm = tightened
    stats["relaxation_bound"] = warm.bound
    stats["relaxation_seconds"] = round(time.perf_counter() - began, 3)
    m.cuts.append(m.model.add(m.objective <= warm.bound).index)
    chosen = [c for c in m.candidates if warm.forms.get(c.id)]
    tries = []
    before = len(pressed)  # a press during the relaxation still has its plan repaired

    def again() -> bool:
        return len(pressed) > before

    orders = repair_orders(chosen, p)
    workers = worker_count(options.num_workers)
    plans = None
    if len(chosen) >= SIDE_BY_SIDE_FROM and workers > 1 and not pressed:
        plans = repair_side_by_side(s, p, m.candidates, orders, warm.starts, workers, pressed)
    for order, placed in zip(orders, plans or [None] * len(orders), strict=True):
        if placed is None:  # in turn
            placed = repair(s, p, m.candidates, order, warm.starts, packed=True, stop=again)
        tries.append((placed, _complete(m, placed, options)))
        if _reaches(tries[-1][1], warm.bound) or pressed:
            break  # proved optimal (no other order can do better), or Ctrl-C
    # the most valuable plan the model accepted (the first, should it accept none)
    placed, complete = max(tries, key=lambda t: -(1 << 62) if t[1] is None else t[1][0])
    stats["repaired_seconds"] = round(time.perf_counter() - began, 3)
    if complete is not None:
        stats["repaired_objective"] = complete[0]
    _hint_plan(m, placed, complete)
    return _Start(placed, complete, {c.id for c in chosen})


def _dateless_round(m: ModelContext, options: SolveOptions) -> bool:
    """Whether the relaxation's first round leaves out date costs (``DATELESS_FROM``):
    from that many requests, where day prices will run beside the improvement and price
    the dates for the bound (``_beside``)."""
    return len(m.approve) >= DATELESS_FROM and not m.approvals_only and _beside(m, options)


def _cheapest_starts(m: ModelContext, policy: Policy, warm: WarmStart) -> dict[str, int]:
    """``warm``'s starts, each formed trip's moved to its cheapest start
    (``solver.datecosts``): the round without date costs left them anywhere."""
    starts = dict(warm.starts)
    for cid, formed in warm.forms.items():
        if formed:
            c = m.by_id[cid]
            starts[cid] = cheapest_start(c, m.scenario, policy, m.waived(c, "GEO-HOLIDAY"))
    return starts


#: from this many requests (and where day prices run beside the improvement) the
#: relaxation's first round leaves out the date costs (the distance from the preferred
#: start, host holidays), puts each trip it forms on its cheapest start, and stops as
#: soon as its plan is within ``DATELESS_CLOSE`` of its bound once ``DATELESS_PATIENCE``
#: of its share has passed (at 5,000 requests with merging its plan is within 0.46% of
#: the bound 1.7 s in and optimal at 3.4 s, 4,900 more: stopped at the first, the whole
#: solve ended 0.71% from its bound against 0.42-0.48%). Without their variables it
#: is solved far sooner: at 5,000 generated requests (no merging) in 0.8-1.1 s against
#: 10-13 s, its bound 1,544,590 against 1,543,792 (day prices beside take both to
#: 1,537,1xx), and the repaired plan as good (1,518,971-1,519,860 against 1,519,380). At
#: 20,000 its plan came within 0.26% of its bound after 5.8 s without merging and 0.77%
#: after 22.9 s with it (no closer in 150 s), where the round with date costs came within
#: 0.21% 127 s into its 150 s share (benchmarks/findings.md). At 1,000 requests the round
#: with date costs is proved in 2-5 s and its second round, which prices shifts, runs in
#: turn
DATELESS_FROM = 2_000
DATELESS_CLOSE, DATELESS_PATIENCE = 0.01, 0.25


def _hint(m: ModelContext, placed: list[Placed], starts: dict[str, int]) -> None:
    """A complete hint: the placed trips formed on their dates, every other candidate not."""
    on = {t.id: t.start for t in placed}
    for c in m.candidates:
        m.model.add_hint(m.form[c.id], c.id in on)
        m.model.add_hint(m.start[c.id], on.get(c.id, starts.get(c.id, c.earliest)))


def _complete(
    m: ModelContext, placed: list[Placed], options: SolveOptions
) -> tuple[int, list[int]] | None:
    """A feasible plan as a value for every variable of the model, and its objective.
    None when the model does not accept the plan, or there was no time."""
    solver = solve_pinned(m, placed, options)
    if solver is None:
        return None
    return round(solver.objective_value), list(solver.response_proto.solution)


def solve_pinned(
    m: ModelContext, placed: list[Placed], options: SolveOptions
) -> cp_model.CpSolver | None:
    """The model's answer for one plan: solved on a copy of the model with every ``form``
    and ``start`` fixed (a tenth of a second at 5,000 requests), which sets the cost and
    quota literals too. None when that fails (a plan the model does not accept, or no
    time)."""
    fixed = m.model.clone()
    _pin(fixed, m, placed)
    fixed.clear_hints()
    solver = cp_solver(options, 30.0)
    if solver.solve(fixed) != cp_model.OPTIMAL:
        return None
    return solver


def _hint_plan(
    m: ModelContext, placed: list[Placed], complete: tuple[int, list[int]] | None
) -> None:
    """Hint a feasible plan on every variable of the model, not only ``form`` and ``start``.

    A hint on those alone leaves CP-SAT to complete the cost and quota literals itself,
    and at thousands of requests it does not: measured on the 5,000-request benchmark, the
    search's first plan was worth 0.80M against the hinted plan's 1.44M, and 45 s later it
    had only climbed back to 1.44M. With the whole solution (``_complete``) hinted, the
    hint is the search's first plan, at once.
    """
    if complete is None:
        m.model.clear_hints()
        _hint(m, placed, {})
        return
    hint_values(m.model, complete[1])


def hint_values(model: cp_model.CpModel, values: list[int]) -> None:
    """Hint a whole solution: one value per variable, in the model's order."""
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def _pin(model: cp_model.CpModel, m: ModelContext, placed: list[Placed]) -> None:
    """Constrain ``model`` (``m``'s or a copy) to a plan: its trips on their dates, no other."""
    on = {t.id: t.start for t in placed}
    for c in m.candidates:
        model.add(m.form[c.id] == int(c.id in on))
        if c.id in on:
            model.add(m.start[c.id] == on[c.id])


def _fix(m: ModelContext, placed: list[Placed]) -> None:
    """Fix the model to a given plan: its trips formed on their dates, nothing else."""
    _pin(m.model, m, placed)
    m.model.clear_hints()  # a variable hinted twice makes the model invalid
    _hint(m, placed, {})
