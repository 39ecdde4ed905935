"""A warm start and an upper bound from a relaxation of the model.

Leave out the rules that tie one trip's dates to another's (no two groups in one country
at once, no one in two trips at once: ``Rule.links_dates``) and what remains is quotas,
budgets, catalogue limits, soft costs and each trip's own dates. CP-SAT's linear workers
(``solver.options.lp_solver``, the caller's choice of solver) solve that in seconds at a
thousand requests, where the full model's bound creeps. Its answer is used twice:

- as a start: its trips, in a few orders (``solver.greedy.repair_orders``), are placed
  where the auditor allows, packed or as near their relaxed dates as it allows
  (``solver.greedy.repair``), and that feasible plan is the search's hint;
- as a bound: whatever the full model achieves, the relaxation's bound is at least as
  high, so the smaller of the two bounds is still a proved bound on the plan.

The relaxation is solved in two rounds. The first has no rows pricing the date costs two
stays on one calendar force (``solver.rules.energy``: ``crowding_rows``, one per stay, and
``post_displacement``, one per two stays), which make it slower (at 5,000 requests the
two-stay rows 23 s instead of 12-17 s; with merging, the crowding rows 33 s, unproved,
instead of 19 s); its plan is the start. When its plan breaks a row, the second round
adds the rows it breaks, only to lower the bound: at 1,000 generated requests the gap
proved after 60 s fell from 0.13% to about 0.06%, and at 5,000 the bound from 1,543,792
to 1,541,674 without merging and from 1,568,780 to 1,567,006 with it. With the two-stay
rows too it runs in turn, when the first round was proved within a quarter of its share
(``solver.start.TIGHTEN_WITHIN``: its time is the improvement's). With the crowding rows
alone it runs in turn only where day prices (``solver.lagrange``) cannot run beside the
improvement instead (``solver.beside``: not with ``--reproducible`` or on one core), and
at least as much time is left in the share as the first round took; beside, day prices
go lower in the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from solver.model import ModelContext
from solver.rules.energy import (
    Stay,
    crowding_rows,
    displacement_pairs,
    post_crowding,
    post_displacement,
)


@dataclass(frozen=True)
class WarmStart:
    """What the relaxation found: its bound, and a plan (approvals and dates) to hint."""

    bound: int
    forms: dict[str, bool]
    starts: dict[str, int]
    optimal: bool


def relax(
    relaxed: ModelContext,
    solver: cp_model.CpSolver,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> WarmStart | None:
    """Solve the relaxed model with ``solver``'s parameters; None when it found nothing.

    ``callback`` hears each better plan (``solver.overtime``)."""
    code = solver.solve(relaxed.model, callback)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _answer(relaxed, solver, _bound(solver), code == cp_model.OPTIMAL)


def tighten(
    relaxed: ModelContext, warm: WarmStart, solver: cp_model.CpSolver, pairs: bool = True
) -> WarmStart | None:
    """The second round: add the rows that price crowded dates, for a lower bound.

    The crowding rows (``solver.rules.energy.crowding_rows``) always, and with ``pairs``
    the two-stay displacement rows too (``post_displacement``: slower to solve).
    Only the rows the first round's plan breaks are posted: every row is kept by every
    plan, so any of them gives a bound, and the rows that plan keeps cost the solve time
    without moving it much. Measured at 5,000 generated requests, one worker (2,660 of
    10,463 crowding rows with merging; 2,950 of 6,359 and 2,032 of 5,919 two-stay rows
    without): with merging 1,567,006 proved in 22.8 s against 1,566,988 in 71.5 s with
    every row; without merging, both kinds, 1,541,494 in 22.2 s against 1,541,493 in
    50.4 s (benchmarks/findings.md).
    ``warm`` (the first round's answer) is kept as the start unless this round proves its
    own plan optimal (that plan already pays for the shifts the rows foresee: at 1,000
    requests without merging its repair gave 332,525 against 331,838 from the first
    round's plan); its bound is replaced only by a lower one. None, with nothing solved,
    when the first round's plan already keeps every row: it is then optimal with the rows
    too, and its bound stands (the bundled scenarios: solving again only cost 0.5-3 s).
    Call it once per model: the rows stay in ``relaxed.model``.
    """
    crowds = [
        (name, [row for row in crowding_rows(stays) if _overfull(relaxed, warm, *row)])
        for name, stays in relaxed.left_out
    ]
    found = [
        (name, [pair for pair in displacement_pairs(stays) if _breaks(relaxed, warm, *pair)])
        for name, stays in (relaxed.left_out if pairs else [])
    ]
    if not any(rows for _, rows in crowds + found):
        return None
    for name, rows in crowds:
        post_crowding(relaxed.model, rows, name)
    for name, some in found:
        post_displacement(relaxed.model, some, name)
    # no hint from the first round: it steers the workers to plans the rows now price.
    # At 1,000 requests, hinted, the bound reached 334,156 in 11 s; unhinted it reaches
    # 334,050 (the optimum) in 8 s
    relaxed.model.clear_hints()
    code = solver.solve(relaxed.model)
    if code == cp_model.OPTIMAL:
        return _answer(relaxed, solver, min(warm.bound, _bound(solver)), warm.optimal)
    # only with a plan found: when it stops before any (UNKNOWN), CP-SAT reports a bound
    # of 0, which would cut off every plan (a 5,000-request benchmark run "proved" 0)
    if code == cp_model.FEASIBLE:
        return replace(warm, bound=min(warm.bound, _bound(solver)))
    return warm


def _answer(
    relaxed: ModelContext, solver: cp_model.CpSolver, bound: int, optimal: bool
) -> WarmStart:
    """The plan ``solver`` found for the relaxed model, with ``bound``."""
    return WarmStart(
        bound=bound,
        forms={cid: solver.boolean_value(v) for cid, v in relaxed.form.items()},
        starts={cid: solver.value(v) for cid, v in relaxed.start.items()},
        optimal=optimal,
    )


def _breaks(relaxed: ModelContext, warm: WarmStart, a: Stay, b: Stay, d: int) -> bool:
    """Whether the first round's plan breaks the row of ``a`` and ``b``: both formed, and
    moved less than ``d`` days in all from their preferred starts."""
    if not (warm.forms[a.owner] and warm.forms[b.owner]):
        return False
    moved = sum(_shift(relaxed, warm, s) for s in (a, b))
    return moved < d


def _shift(relaxed: ModelContext, warm: WarmStart, stay: Stay) -> int:
    """How far the first round's plan starts ``stay``'s trip from its preferred start."""
    return abs(warm.starts[stay.owner] - relaxed.shift[stay.owner][1])


def _overfull(
    relaxed: ModelContext, warm: WarmStart, terms: list[tuple[Stay, int]], length: int
) -> bool:
    """Whether the first round's plan breaks a crowding row: its formed stays' days there,
    less every stay's shift, are more than the span has."""
    days = sum(days for s, days in terms if warm.forms[s.owner])
    return days - sum(_shift(relaxed, warm, s) for s, _ in terms) > length


def _bound(solver: cp_model.CpSolver) -> int:
    # round, not int: the objective is whole, and the bound can come back as
    # 699.9999999999999 for 700 (int() then cut off the optimum; found by
    # tests/test_optimality.py)
    return round(solver.best_objective_bound)
