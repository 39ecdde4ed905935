"""The search's first plan: the relaxation, repaired into a plan the rules allow, or the
clerk's plan.

The relaxation (``solver.warmstart``) leaves out the rules that tie one trip's dates to
another's (one group in a country at a time, one trip at a time for each traveller) and
keeps the rest (quotas, budgets, each trip's own dates); its bound holds for every plan,
and its plan is a list of trips worth forming. The repair (``solver.greedy.repair``)
places those trips on real dates, moving a few aside to make room. The plan it gives is
hinted on the whole model (``solver.pinning``) for the phases after it
(``solver.phases``), and the relaxation's bound is cut into the model so that a plan
that reaches it is proved.

Which relaxation runs depends on the size and on what runs beside the improvement:
with date costs and a second round in turn below ``DATELESS_FROM`` requests, without
them from there (``dateless_round``). From ``solver.phases.EARLY_PLAN_FROM`` requests
the clerk's plan (``clerks_plan``) comes first, so that a planner sees a plan within
seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from models.loading import LoadedScenario
from models.policy import Policy
from solver.beside import can_price
from solver.build import Prepared, build_model
from solver.candidates import Candidate, Placed
from solver.datecosts import cheapest_start
from solver.forked import worker_count
from solver.greedy import first_come, repair, repair_orders, repair_side_by_side
from solver.improve import wants_improvement
from solver.interrupts import ctrl_c_stops
from solver.lagrange import undated
from solver.model import ModelContext
from solver.options import SolveOptions, lp_solver
from solver.overtime import MOST_SHARES, Overtime
from solver.pinning import hint_plan, plan_values
from solver.search import Progress, since, trivial_bound
from solver.warmstart import WarmStart, relax, tighten

#: the share of the time limit the relaxation may use (``solver.warmstart``)
RELAXATION_SHARE = 0.25
#: the least time left in that share for its second round (rows pricing crowded dates) to
#: be tried in turn; it is tried only with at least as much time left as the first round
#: took (the rows the first round's plan breaks: at 5,000 requests 20-23 s against the
#: first round's 13-17 s). Where it would have the crowding rows alone, day prices run
#: beside the improvement instead wherever they can (``prices_beside``)
MIN_TIGHTEN_SECONDS = 1.0
#: the two-stay displacement rows join the second round only when the first was proved
#: within this part of the share. They make it slower still, and its time comes out of
#: the improvement: at 1,000 requests (first round 1.8 s of 15) they halve the proved gap,
#: while at 5,000 (12-17 s of 30) they lowered the bound 0.13% where the improvement
#: gains more in the same 20 s (benchmarks/findings.md)
TIGHTEN_WITHIN = 0.25


@dataclass
class Start:
    """What the warm start left for the search (``warm_start``)."""

    #: the repaired plan: the fallback should the search find none in time
    placed: list[Placed] | None = None
    #: its objective and its value for every variable of the model (``plan_values``)
    complete: tuple[int, list[int]] | None = None
    #: the candidates the relaxation formed
    chosen: set[str] = field(default_factory=set)


def prices_beside(m: ModelContext, options: SolveOptions) -> bool:
    """Whether day prices will run beside the improvement (``solver.beside``, started in
    ``solver.phases.run_phases``), so that the relaxation's second round on the crowding
    rows alone need not run in turn (``warm_start``): where the improvement is for the
    model (``solver.improve.wants_improvement``) and day prices can run
    (``solver.beside.can_price``). They need no proved first round: at 20,000 requests,
    where it is not proved, they took its bound from 4,432,623 to 4,413,914 in a 600 s
    solve (benchmarks/findings.md). Below ``solver.improve.IMPROVE_FROM`` requests the
    improvement, and day prices with it, follow the probe only when CP-SAT alone ends far
    from the bound (``solver.phases.run_phases``)."""
    return can_price(m, options) and wants_improvement(m, options)


def second_round(spent: float, share: float) -> str | None:
    """Which rows the relaxation's second round could add in turn after a first round
    proved in ``spent`` of its ``share``: "both" (crowding and two-stay rows),
    "crowding", or None (no time for it in turn). Even on the rows the first round's plan
    breaks, the model is slower to solve than the first round was (at 5,000 requests
    20-23 s against 13-17 s), and a round in turn takes its time from the improvement
    (``MIN_TIGHTEN_SECONDS``, ``TIGHTEN_WITHIN``). Where the crowding rows alone would
    run, day prices run beside the improvement instead wherever they can (``prices_beside``)."""
    if share - spent < max(spent, MIN_TIGHTEN_SECONDS):
        return None
    return "both" if spent <= share * TIGHTEN_WITHIN else "crowding"


#: relaxed trips from which the repair orders run side by side (``repair_side_by_side``):
#: at 5,000 requests each takes about 5 s; at 1,000 (545 trips) the first, 1.5 s, reaches
#: the bound with the approvals objective, and the second is then never run in turn.
SIDE_BY_SIDE_FROM = 1_500


def warm_start(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    m: ModelContext,
    options: SolveOptions,
    stats: dict,
    prepared: Prepared,
    pressed: list[bool],
    deadline: float = math.inf,
) -> Start:
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
    relaxation leaves out the date costs (``dateless_round``): far quicker to solve, and
    its trips go to the repair on their cheapest starts.

    Without ``--reproducible`` the relaxation does not run past ``deadline`` (the whole
    search's end, on ``time.perf_counter``'s clock): on a short limit at 20,000 requests
    the clerk's plan and building the relaxation leave less than its shares, and its
    overtime ran the solve 25 s past the limit for no plan.
    """
    s, p = loaded.scenario, loaded.policy
    began = time.perf_counter()
    if not options.reproducible and began >= deadline:
        return Start()  # not even the relaxation's model (10-20 s at 20,000 requests)
    dateless = dateless_round(m, options)
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
            return Start()
        relaxer = lp_solver(options, most)
        early = DATELESS_CLOSE if dateless else None
        overtime = Overtime(relaxer, share, early=early, early_after=share * DATELESS_PATIENCE)
        with overtime, ctrl_c_stops(relaxer):
            warm = relax(relaxed, relaxer, overtime)
    if warm is None:
        return Start()
    if dateless:  # its starts are any; the repair places trips near these
        warm = replace(warm, starts=cheapest_starts(m, p, warm))
        stats["relaxation_dateless"] = True
    response = relaxer.response_proto
    spent = response.deterministic_time if options.reproducible else relaxer.wall_time
    left = share - spent
    # the second round's rows price shifts, which a round without date costs has none of
    rows = None if dateless else second_round(spent, share)
    # the crowding rows alone take about as long as the first round did; day prices
    # beside the improvement go lower, and cost it nothing (``prices_beside``)
    aside = math.isfinite(deadline) and prices_beside(m, options) and not pressed
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
    plans: list[list[Placed]] | None = None
    if len(chosen) >= SIDE_BY_SIDE_FROM and workers > 1 and not pressed:
        plans = repair_side_by_side(s, p, m.candidates, orders, warm.starts, workers, pressed)
    for k, order in enumerate(orders):
        if plans is None:  # in turn
            trips = repair(s, p, m.candidates, order, warm.starts, packed=True, stop=again)
        else:
            trips = plans[k]
        tries.append((trips, plan_values(m, trips, options)))
        if reaches(tries[-1][1], warm.bound) or pressed:
            break  # proved optimal (no other order can do better), or Ctrl-C
    # the most valuable plan the model accepted (the first, should it accept none)
    placed, complete = max(tries, key=lambda t: -(1 << 62) if t[1] is None else t[1][0])
    stats["repaired_seconds"] = round(time.perf_counter() - began, 3)
    if complete is not None:
        stats["repaired_objective"] = complete[0]
    hint_plan(m, placed, complete)
    return Start(placed, complete, {c.id for c in chosen})


def dateless_round(m: ModelContext, options: SolveOptions) -> bool:
    """Whether the relaxation's first round leaves out date costs (``DATELESS_FROM``):
    from that many requests, where day prices will run beside the improvement and price
    the dates for the bound (``prices_beside``)."""
    return len(m.approve) >= DATELESS_FROM and not m.approvals_only and prices_beside(m, options)


def cheapest_starts(m: ModelContext, policy: Policy, warm: WarmStart) -> dict[str, int]:
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


def clerks_plan(
    loaded: LoadedScenario,
    m: ModelContext,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    stats: dict,
) -> Start | None:
    """The clerk's plan as a complete plan of ``m``, reported as the first progress line
    (against the objective's trivial bound: nothing is proved yet); None if the model
    refuses it."""
    placed = clerks_trips(loaded, m)
    complete = plan_values(m, placed, options)
    if complete is None:
        return None
    stats["clerks_objective"] = complete[0]
    stats["clerks_seconds"] = round(since(began), 3)
    if on_progress is not None:
        on_progress(Progress(since(began), complete[0], trivial_bound(m), 1))
    return Start(placed=placed, complete=complete)


def clerks_trips(loaded: LoadedScenario, m: ModelContext) -> list[Placed]:
    """The clerk's plan (``solver.greedy.first_come``) over the model's lone requests."""
    lone = [c for c in m.candidates if not c.is_composite]
    return first_come(loaded.scenario, loaded.policy, lone)


def reaches(complete: tuple[int, list[int]] | None, bound: int | None) -> bool:
    """Whether the plan so far is worth the relaxation's bound: then it is optimal."""
    return complete is not None and bound is not None and complete[0] >= bound
