"""Intake: before a full solve, what can be said of one request against an approved plan.

A clerk receiving a declaration wants to know at once: is it eligible on its own? how
many trips do its travellers have left this year? when are its countries free? does it
fit beside what is already approved, and if not, what keeps it out and what would let it
in? :func:`check_request` answers all of it; ``delegplan check`` prints it.

Dates on which the request fits are found by the independent auditor (``models.audit``),
date by date; conflicts and repairs come from the solver's small models, as in a plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models.plan import Plan, Reason, Repair
from models.policy import Policy
from models.scenario import Request, Scenario
from models.text import Text
from solver.candidates import Placed, day_date, day_number, make_candidate
from solver.explain import conflict_reasons, ineligible_reasons
from solver.greedy import Greedy
from solver.local import find_conflicts
from solver.repair import Repairer
from solver.rules import Context, Finding
from solver.rules.frequency import quota_of, rooms
from solver.rules.money import unit_budget
from solver.screening import static_findings


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class QuotaState:
    """One traveller's quota: each limit, the trips that use it, and what is left."""

    person: str
    rank: str
    limit: Text
    used_history: tuple[str, ...]
    used_plan: tuple[str, ...]
    left: int


@dataclass(frozen=True)
class BudgetState:
    unit: str
    budget: int
    used: int
    cost: int

    @property
    def left(self) -> int:
        return self.budget - self.used


@dataclass
class IntakeReport:
    request: Request
    eligible: bool
    findings: list[Finding]
    soft: list[tuple[str, int, Text]]
    quotas: list[QuotaState]
    budget: BudgetState | None
    #: country -> periods of the request's window when no approved group is there
    free: dict[str, list[Period]]
    #: start dates (as periods) on which the request fits beside the plan
    fits_on: list[Period]
    reasons: list[Reason] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.eligible and bool(self.fits_on)


def placed_from_plan(scenario: Scenario, policy: Policy, plan: Plan) -> list[Placed]:
    """The plan's delegations as the solver sees them: candidates on their start dates."""
    use_windows = policy.rule("TIME-WINDOW").on
    out = []
    for d in plan.delegations:
        requests = tuple(
            scenario.request_by_id[r] for r in d.requests if r in scenario.request_by_id
        )
        if not requests:
            continue
        c = make_candidate(scenario, requests, use_windows)
        out.append(Placed(c, day_number(scenario.year, d.start)))
    return out


def _periods(days: list[int], year: int) -> list[Period]:
    out: list[Period] = []
    for d in sorted(days):
        date = day_date(year, d)
        if out and (date - out[-1].last).days == 1:
            out[-1] = Period(out[-1].first, date)
        else:
            out.append(Period(date, date))
    return out


def check_request(
    scenario: Scenario, policy: Policy, request_id: str, plan: Plan | None = None
) -> IntakeReport:
    """Everything intake can say of one request, against ``plan`` when one is given."""
    r = scenario.request_by_id[request_id]
    year = scenario.year
    c = make_candidate(scenario, (r,), policy.rule("TIME-WINDOW").on)
    hard, soft = static_findings(c, Context(scenario, policy))
    placed = (
        [
            p
            for p in placed_from_plan(scenario, policy, plan)
            if request_id not in p.candidate.request_ids
        ]
        if plan
        else []
    )

    quotas = []
    if policy.rule("FREQ-RANK").on:
        for pid in r.travellers:
            person = scenario.person_by_id[pid]
            quota = quota_of(person, scenario, policy)
            if quota is None:
                continue
            planned = tuple(
                rid
                for p in placed
                if pid in p.candidate.travellers
                for rid in p.candidate.request_ids
            )
            for room in rooms(person, quota, scenario):
                quotas.append(
                    QuotaState(
                        pid,
                        person.rank,
                        room.limit.describe(),
                        room.history,
                        planned,
                        room.room - sum(1 for p in placed if pid in p.candidate.travellers),
                    )
                )

    budget = None
    amount = (
        unit_budget(r.unit, Context(scenario, policy)) if policy.rule("BUDGET-UNIT").on else None
    )
    if amount is not None:
        used = sum(q.cost for p in placed for q in p.candidate.requests if q.unit == r.unit)
        budget = BudgetState(r.unit, amount, used, r.cost)

    free: dict[str, list[Period]] = {}
    lo, hi = day_number(year, r.window[0]), day_number(year, r.window[1])
    if policy.rule("GEO-SAME-COUNTRY").on:
        gap = policy.params("GEO-SAME-COUNTRY").min_gap_days
        for code in r.countries:
            busy: set[int] = set()
            for p in placed:
                if code in p.candidate.countries:
                    offset, size = p.candidate.country_span(code)
                    first = p.start + offset
                    busy.update(range(first - gap, first + size + gap))
            free[code] = _periods([d for d in range(lo, hi + 1) if d not in busy], year)

    beside = Greedy(scenario, policy)  # the plan, indexed; fits are asked of the auditor
    for p in placed:
        beside.place(p.candidate, [p.start], check=False)
    fits = []
    if not hard and c.feasible_window:
        fits = [start for start in range(c.earliest, c.latest + 1) if beside.fits(c, start)]
    report = IntakeReport(r, not hard, hard, soft, quotas, budget, free, _periods(fits, year))
    repairer = Repairer(scenario, policy, placed)
    if hard:
        report.reasons = ineligible_reasons(hard, policy)
        report.repairs = repairer.repairs(r, None, hard, [])
    elif not fits:
        conflicts = find_conflicts(scenario, policy, c, placed)
        ctx = Context(scenario, policy)
        report.reasons = [
            reason
            for number, conflict in enumerate(conflicts, start=1)
            for reason in conflict_reasons(c, conflict, ctx, number)
        ]
        report.repairs = repairer.repairs(r, c, [], conflicts)
    return report


__all__ = ["IntakeReport", "Period", "check_request", "placed_from_plan"]
