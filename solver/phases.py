"""The phases of one search, in turn: the first plan, CP-SAT alone (the probe) or the
improvement with day prices beside it, then CP-SAT's final search from the best plan
(where the improvement ran, its plan is read back instead: ``READ_BACK_PER_VARIABLE``).

Each phase hands the next the best plan so far as a whole solution (``solver.pinning``)
and the best bound proved so far; each may be cut short by the time limit or by Ctrl-C,
and what it has is kept. Which phases run is decided here, by size and by what the
phases before left (``run_phases``): the first plan is ``solver.start``'s, the
improvement ``solver.improve``'s, day prices ``solver.beside``'s.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace

from ortools.sat.python import cp_model

from models.loading import LoadedScenario
from models.plan import Status
from solver.beside import BoundBeside, can_price, start_prices
from solver.build import Prepared
from solver.candidates import Candidate, Placed
from solver.improve import Improved, improve, improves
from solver.interrupts import ctrl_c
from solver.model import ModelContext
from solver.options import SolveOptions, cp_solver
from solver.pinning import fix_to, hint_plan, placed_of
from solver.search import Progress, Search, run_search, since, trivial_bound
from solver.start import RELAXATION_SHARE, Start, clerks_plan, reaches, warm_start

#: requests in the model from which the clerk's plan (``solver.greedy.first_come``) is made
#: before the relaxation, as the first plan: at 20,000 requests with merging the
#: relaxation takes 231-315 s and the repaired plan came at 348 s; the clerk's plan takes
#: about 14 s, and came at 67-74 s. It is the start should the relaxation or its repair
#: give none (or a worse one). Below this size the repaired plan comes within 35 s (5,000
#: requests).
EARLY_PLAN_FROM = 10_000


#: seconds per model variable kept back from the improvement to read its plan back (the
#: model fixed to the plan and solved: 0.23 s at 5,000 requests, 32,643 variables; 1.13 s
#: at 20,000, 129,818), with room. The improvement gets the rest of the search's time and
#: CP-SAT's own search after it does not run: given the last 5% of the time it found no
#: plan at all (5.5 s at 5,000 requests, 19 s at 20,000: status UNKNOWN, the hint not even
#: reloaded), and no plan of the benchmark's table had ended more than 18 above the
#: improvement's, while the steps still gain about 30 a second at 5,000 requests and 100
#: at 20,000 at the end (``benchmarks/findings.md``, "The final search after the
#: improvement")
READ_BACK_PER_VARIABLE = 1.5e-5
#: the read-back's own limit: a model fixed to a plan is solved in a second or two
READ_BACK_LIMIT = 30.0
#: seconds CP-SAT's search still gets after Ctrl-C during the relaxation or the repair:
#: enough to reload the hinted plan below a few hundred requests and to report a bound;
#: where it is not, the best plan so far is read back (the fallback), so the user waits
#: little after pressing it
SEARCH_AFTER_CTRL_C = 2.0


#: below ``solver.improve.IMPROVE_FROM`` (when not told), the share of the search's time
#: CP-SAT gets on its own first: small scenarios are proved in it or soon after (200
#: generated requests, 60 s limit: proved 16 s into the solve alone, 18 s with the probe),
#: and those it does not prove it usually leaves within ``PROBE_CLOSE`` of the bound (400
#: generated requests: 0.02% after 60 s). Calendars as full as a province's are not: the
#: 304 requests of the 5,000-request scenario that stay in Oceania (102-114 a country)
#: ended 1.8% from the bound after 120 s of CP-SAT alone, and 0.97% with the improvement
#: (``benchmarks/findings.md``, "Few requests, full calendars").
PROBE_SHARE = 0.25
#: the probe's gap (to the lower of its bound and the relaxation's) past which the
#: improvement takes the rest of the time; at or below it CP-SAT's search goes on
PROBE_CLOSE = 0.002


def run_phases(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    prepared: Prepared,
    m: ModelContext,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    stats: dict,
) -> Search:
    """The relaxation's warm start, then the improvement (``solver.improve``, when it runs)
    to the end of the time limit and its plan read back, or else CP-SAT's search on the
    rest of the time limit, hinted with the best plan so far.

    Below ``solver.improve.IMPROVE_FROM`` requests (when nothing told whether to improve)
    CP-SAT searches alone first for ``PROBE_SHARE`` of the time; what it does not prove
    there and leaves farther than ``PROBE_CLOSE`` from the bound goes to the improvement
    from its plan.

    Should the search find nothing in time, or end below that plan, the best plan so far
    (the probe's or the repaired relaxation: feasible either way) is read back instead. A
    plan that reaches the relaxation's bound is proved optimal there: no search follows.

    Ctrl-C anywhere in it (in a phase's own search, or between them: making the clerk's
    plan, the repair) ends the phase it falls in and skips to a short search from the
    best plan so far (``SEARCH_AFTER_CTRL_C``), or, in the improvement, to its plan read
    back.
    """
    # set by a press in any phase, or between two; the stack stops the bounds beside
    with ctrl_c() as pressed, contextlib.ExitStack() as cleanup:
        start = Start()
        early = None
        # under a budget (``--deadline``) the search's share can end before the repaired
        # relaxation comes (5,000 requests given 13 s): the clerk's plan first, at any size
        if options.warm_start and (len(m.approve) >= EARLY_PLAN_FROM or options.budget is not None):
            early = clerks_plan(loaded, m, options, on_progress, began, stats)
        if options.warm_start and not pressed:
            deadline = began + options.time_limit
            start = warm_start(loaded, candidates, m, options, stats, prepared, pressed, deadline)
        if (
            early is not None
            and early.placed is not None
            and early.complete is not None
            and (start.complete is None or early.complete[0] > start.complete[0])
        ):
            start = replace(start, placed=early.placed, complete=early.complete)
            hint_plan(m, early.placed, early.complete)
            stats["started_from"] = "clerk's plan"
        repaired, complete = start.placed, start.complete
        if options.reproducible:
            limit = options.time_limit * (1 - RELAXATION_SHARE if options.warm_start else 1)
        else:
            limit = options.time_limit - (time.perf_counter() - began)
        improved = not pressed and complete is not None and improves(m, options, stats, complete[0])
        relaxed = stats.get("relaxation_bound")
        probed = not pressed and not improved and _probes(options, complete, relaxed)
        if probed:
            probe_limit = limit * PROBE_SHARE
            probe = run_search(m, options, probe_limit, on_progress, began, None, relaxed)
            if probe.status is Status.OPTIMAL:
                probe.bound = round(probe.solver.objective_value)
                return probe
            complete = _better_of(m, complete, probe, relaxed, stats)
            repaired = placed_of(m, complete[1]) if complete is not None else repaired
            far = stats.get("probe_gap", 1.0) > PROBE_CLOSE
            improved = not pressed and complete is not None and far
            limit = (
                limit - probe_limit if options.reproducible else options.time_limit - since(began)
            )
        if improved and complete is not None:  # (``improved`` says it is not None)
            share = max(0.0, limit - READ_BACK_PER_VARIABLE * len(m.model.proto.variables))
            # day prices beside the improvement (``solver.beside``), after the relaxation
            # or after the probe: wherever it runs, from its first plan on
            beside = None
            if relaxed is not None and can_price(m, options):
                beside = start_prices(
                    loaded, candidates, prepared, options, relaxed, complete[0], share
                )
                if beside is not None:
                    cleanup.callback(beside.close)
            better = _improve(
                m, complete, share, options, stats, on_progress, began, start.chosen, beside
            )
            complete = better.objective, better.values
            repaired = placed_of(m, better.values)
            if beside is not None:  # its bound so far; it leaves the read-back's cores
                relaxed = _bound_beside(m, beside, stats, complete[0])
                beside.close()
        stopped = bool(pressed)  # in any phase so far: the block's flag hears them all
        if not stopped and repaired is not None and reaches(complete, relaxed):
            # the plan reaches a proved bound, so it is optimal and CP-SAT's search (whose
            # presolve alone took 4 s of the 7 s to prove 1,000 requests' approvals) has
            # nothing to add: the plan is read back from the model fixed to it
            stats["proved_by"] = "relaxation bound"
            return _read_back(m, options, repaired, relaxed, True, on_progress, began)
        if improved and repaired is not None:  # no final search: see READ_BACK_PER_VARIABLE
            stats["read_back"] = "improved plan"
            search = _read_back(m, options, repaired, relaxed)
            search.stopped = stopped
            return search
        if stopped:  # Ctrl-C in a phase before: a short search, then stop
            limit = min(limit, SEARCH_AFTER_CTRL_C)
        floor = complete[0] if probed and complete is not None else None
        search = run_search(m, options, limit, on_progress, began, floor, relaxed)
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
                search.bound = trivial_bound(m)
            # solved directly, not through ``_read_back``'s ``run_search``: the way out
            # must not depend on the search path that has just given nothing
            fix_to(m, repaired)
            solver = cp_solver(options, READ_BACK_LIMIT)
            code = solver.solve(m.model)
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                search.solver, search.status = solver, Status.FEASIBLE
            stats["fallback"] = stats.get("started_from", "repaired relaxation")
        return search


def _read_back(
    m: ModelContext,
    options: SolveOptions,
    plan: list[Placed],
    bound: int | None,
    proved: bool = False,
    shown: Callable[[Progress], None] | None = None,
    began: float = 0.0,
) -> Search:
    """A plan as the search's answer, no search run: the model fixed to its trips and
    solved (which prices its soft costs and quotas again, so it can only gain), with
    ``bound``, the best proved (the relaxation's, lowered by day prices), or with none the
    objective's trivial bound. The fixed model's own optimum is that plan, so it counts as
    optimal only when told (``proved``: the plan reaches ``bound``); taken as the bound,
    it once made a 20,000-request solve write "gap 0.00%". ``shown`` hears its line of
    progress, timed from ``began`` (a proved optimum is worth showing; a plan read back is
    not news)."""
    fix_to(m, plan)
    search = run_search(m, options, READ_BACK_LIMIT, shown, began)
    if not proved and search.status is Status.OPTIMAL:
        search.status = Status.FEASIBLE
    search.bound = bound if bound is not None else trivial_bound(m)
    return search


def _probes(
    options: SolveOptions, complete: tuple[int, list[int]] | None, relaxed: int | None
) -> bool:
    """Whether CP-SAT searches alone first, the improvement to follow should it end far
    from the bound (``PROBE_SHARE``): only when nothing told whether to improve, from a
    plan to improve (the warm start's), and not once that plan is proved."""
    return options.improve is None and complete is not None and not reaches(complete, relaxed)


def _better_of(
    m: ModelContext,
    complete: tuple[int, list[int]] | None,
    probe: Search,
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
        hint_plan(m, [], complete)
    bound = round(probe.solver.best_objective_bound)
    bound = bound if relaxed is None else min(bound, relaxed)
    stats["probe_gap"] = round((bound - complete[0]) / max(abs(bound), 1), 6)
    return complete


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
    (``solver.beside``), whose bound the progress shows as soon as it is proved. The steps
    end once the plan reaches the least bound proved (the relaxation's or day prices'):
    the plan is then optimal."""
    # no relaxation bound when the improvement starts from the clerk's plan instead
    bound = stats.get("relaxation_bound", trivial_bound(m))
    count = [0]

    def lowest() -> int:
        """The least bound proved so far: the steps end once the plan reaches it."""
        told = beside.bound() if beside is not None else None
        return bound if told is None else min(bound, told)

    def report(objective: int) -> None:
        count[0] += 1
        if on_progress is not None:
            least = lowest()  # one below the plan is no bound: the relaxation's is shown
            shown = least if least >= objective else bound
            on_progress(Progress(since(began), objective, shown, count[0]))

    better = improve(m, complete[1], complete[0], limit, options, report, wanted, lowest)
    stats["improve_steps"] = better.steps
    stats["improve_proved"] = better.proved
    stats["improve_stalled"] = better.stalled
    stats["improve_kinds"] = better.kinds
    stats["improved_objective"] = better.objective
    stats["improved_seconds"] = round(since(began), 3)
    hint_plan(m, [], (better.objective, better.values))
    return better


def _bound_beside(m: ModelContext, beside: BoundBeside, stats: dict, best: int) -> int | None:
    """The relaxation's bound, lowered to what day prices beside the improvement have
    proved so far (``solver.beside``), and cut into the model for the read-back.

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
