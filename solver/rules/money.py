"""Money: unit budgets and zero growth of the total (RULES.md, Money)."""

from __future__ import annotations

from collections import defaultdict

from solver.candidates import Candidate, Placed
from solver.model import ModelContext
from solver.rules.base import Context, Finding, T, Text, clauses, rival_ids
from solver.rules.sums import post_capped_sum


def unit_budget(unit_id: str, ctx: Context | ModelContext) -> int | None:
    unit = ctx.scenario.unit_by_id[unit_id]
    if unit.budget is not None:
        return unit.budget
    return 0 if ctx.policy.params("BUDGET-UNIT").missing_budget_is_zero else None


def unit_alone(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(八); 001 §4(一)): a request costing more than its unit's
    whole budget (0, or absent where the profile counts absent as 0) is ineligible."""
    out = []
    for r in c.requests:
        budget = unit_budget(r.unit, ctx)
        if budget is None or ctx.waived(r, "BUDGET-UNIT") or r.cost <= budget:
            continue
        if budget == 0:
            msg = T(
                "unit {unit} has no outbound budget; {request} costs {cost}",
                unit=r.unit,
                request=r.id,
                cost=r.cost,
            )
        else:
            msg = T(
                "{request} costs {cost}, more than the whole budget {budget} of unit {unit}",
                request=r.id,
                cost=r.cost,
                budget=budget,
                unit=r.unit,
            )
        out.append(Finding("BUDGET-UNIT", msg, (r.id,), r.cost - budget))
    return out


def total_alone(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(八)): a request costing more than last year's total."""
    cap = ctx.scenario.last_year_total
    if cap is None:
        return []
    return [
        Finding(
            "BUDGET-TOTAL",
            T(
                "{request} costs {cost}, more than last year's total {total}",
                request=r.id,
                cost=r.cost,
                total=cap,
            ),
            (r.id,),
        )
        for r in c.requests
        if r.cost > cap and not ctx.waived(r, "BUDGET-TOTAL")
    ]


def post_unit(m: ModelContext) -> None:
    """Hard constraint (000 §1(八)): a unit's own approved requests cost at most its budget.

    Budgets bind a unit's own requests only, not its people in other units' requests.
    """
    by_unit: dict[str, list[str]] = defaultdict(list)
    for rid in m.approve:
        by_unit[m.scenario.request_by_id[rid].unit].append(rid)
    for unit_id, rids in sorted(by_unit.items()):
        budget = unit_budget(unit_id, m)
        if budget is None:
            continue
        reqs = [m.scenario.request_by_id[r] for r in rids]
        terms = [(r.cost, m.approve[r.id]) for r in reqs if r.cost > 0]
        if sum(r.cost for r in reqs) <= budget:
            continue
        subjects = [m.approve[r.id] for r in reqs if not m.excepted(r.id, "BUDGET-UNIT")]
        post_capped_sum(
            m.model, terms, budget, subjects, len(subjects) == len(reqs), f"budget[{unit_id}]"
        )


def post_total(m: ModelContext) -> None:
    """Hard constraint (000 §1(八)): "实行经费总额零增长" - the total at most last year's."""
    cap = m.scenario.last_year_total
    if cap is None:
        return
    reqs = [m.scenario.request_by_id[r] for r in m.approve]
    terms = [(r.cost, m.approve[r.id]) for r in reqs if r.cost > 0]
    subjects = [m.approve[r.id] for r in reqs if not m.excepted(r.id, "BUDGET-TOTAL")]
    post_capped_sum(m.model, terms, cap, subjects, len(subjects) == len(reqs), "budget-total")


def explain_unit(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which of the unit's approved requests use up its budget."""
    facts, tied = [], []
    for r in c.requests:
        budget = unit_budget(r.unit, ctx)
        if budget is None:
            continue
        same = [q for p in rivals for q in p.candidate.requests if q.unit == r.unit]
        if not same:
            continue
        facts.append(
            T(
                "unit {unit} has a budget of {budget}; {requests} already use {used}, and "
                "{request} costs {cost}",
                unit=r.unit,
                budget=budget,
                requests=[q.id for q in same],
                used=sum(q.cost for q in same),
                request=r.id,
                cost=r.cost,
            )
        )
        tied += [q.id for q in same]
    return (clauses(facts), tuple(dict.fromkeys(tied))) if facts else None


def explain_total(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which approved requests use up last year's total."""
    cap = ctx.scenario.last_year_total
    ids = rival_ids(rivals)
    if cap is None or not ids:
        return None
    text = T(
        "the year's total may not exceed last year's {total}; {requests} already use {used}, "
        "and this request costs {cost}",
        total=cap,
        requests=list(ids),
        used=sum(r.cost for p in rivals for r in p.candidate.requests),
        cost=sum(r.cost for r in c.requests),
    )
    return text, ids
