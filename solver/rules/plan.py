"""Plan discipline: deadlines and flagged units (RULES.md, Plan discipline).

PLAN-STABILITY and PLAN-ADJUST-WINDOW act on re-plans against an approved plan and are
posted by the what-if step, not here.
"""

from __future__ import annotations

from solver.candidates import Candidate
from solver.rules.base import Context, Finding, T


def deadline(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §3.1): "全市申报工作逾期将不予受理" - late requests are not accepted."""
    limit = ctx.scenario.deadline or ctx.policy.params("PLAN-DEADLINE").deadline
    if limit is None:
        return []
    return [
        Finding(
            "PLAN-DEADLINE",
            T(
                "{request} was submitted on {submitted}, after the declaration deadline {deadline}",
                request=r.id,
                submitted=r.submitted,
                deadline=limit,
            ),
            (r.id,),
        )
        for r in c.requests
        if r.submitted and r.submitted > limit and not ctx.waived(r, "PLAN-DEADLINE")
    ]


def unit_flagged(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(五)): "对既往出访团组未按要求完成任务的……不批准新的出访团组"."""
    out = []
    for r in c.requests:
        unit = ctx.scenario.unit_by_id[r.unit]
        if unit.flagged and not ctx.waived(r, "PLAN-UNIT-FLAGGED"):
            out.append(
                Finding(
                    "PLAN-UNIT-FLAGGED",
                    T(
                        "unit {unit} ({name}) has earlier findings not remedied; it gets no "
                        "new group",
                        unit=unit.id,
                        name=unit.name,
                    ),
                    (r.id,),
                )
            )
    return out
