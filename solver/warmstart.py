"""A warm start and an upper bound from a relaxation of the model.

Leave out the rules that tie one trip's dates to another's (no two groups in one country
at once, no one in two trips at once: ``Rule.links_dates``) and what remains is quotas,
budgets, catalogue limits, soft costs and each trip's own dates. CP-SAT solves that in
seconds at a thousand requests, where the full model's bound creeps. Its answer is used
twice:

- as a start: its trips, most valuable first, are placed as near their relaxed dates as the
  auditor allows (``solver.greedy.repair``), and that feasible plan is the search's hint
  (most relaxed trips never meet, so little is lost);
- as a bound: whatever the full model achieves, the relaxation's bound is at least as
  high, so the smaller of the two bounds is still a proved bound on the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.model import ModelContext


@dataclass(frozen=True)
class WarmStart:
    """What the relaxation found: its bound, and a plan (approvals and dates) to hint."""

    bound: int
    forms: dict[str, bool]
    starts: dict[str, int]
    optimal: bool


def relax(relaxed: ModelContext, solver: cp_model.CpSolver) -> WarmStart | None:
    """Solve the relaxed model with ``solver``'s parameters; None when it found nothing."""
    code = solver.Solve(relaxed.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return WarmStart(
        # round, not int: the objective is whole, and the bound can come back as
        # 699.9999999999999 for 700 (int() then cut off the optimum; found by
        # tests/test_optimality.py)
        bound=round(solver.BestObjectiveBound()),
        forms={cid: solver.BooleanValue(v) for cid, v in relaxed.form.items()},
        starts={cid: solver.Value(v) for cid, v in relaxed.start.items()},
        optimal=code == cp_model.OPTIMAL,
    )
