"""Frequency quotas per person by rank (RULES.md, Frequency quotas).

Trips count by the calendar year of their start, history included, for everyone in the
group. "≤1 in any 2 years" means no two trips whose start years are equal or consecutive;
a per-term limit counts trips starting inside the person's term. An exception lets the
excepted trip exceed the quota, but it still counts when the person's other trips are
checked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.policy import FreqRankParams, Limit, Quota
from models.scenario import Person, Scenario
from solver.candidates import Candidate, Placed, day_number
from solver.model import ModelContext
from solver.rules.base import Context, Finding, T, Text, clauses, rival_ids


def quota_of(person: Person, scenario: Scenario, ctx_policy) -> Quota | None:
    """The person's quota, or None (uncapped rank, or FREQ-ENTERPRISE multi-trip approval)."""
    params: FreqRankParams = ctx_policy.params("FREQ-RANK")
    unit = scenario.unit_by_id[person.unit]
    if (
        ctx_policy.rule("FREQ-ENTERPRISE").on
        and person.multi_trip_approval
        and unit.level == "enterprise"
    ):
        return None
    if unit.foreign_economic and person.rank in params.foreign_economic:
        return params.foreign_economic[person.rank]
    return params.quotas.get(person.rank)


@dataclass(frozen=True)
class LimitRoom:
    """How many planned trips a limit still allows, and the history that used the rest."""

    limit: Limit
    room: int  # planned trips allowed (may be negative: history alone breaks it)
    history: tuple[str, ...]


def rooms(person: Person, quota: Quota, scenario: Scenario) -> list[LimitRoom]:
    """For each limit, the planned trips it allows in the plan year given the history."""
    year = scenario.year
    trips = scenario.history_by_person.get(person.id, [])
    out = []
    for limit in quota.limits:
        if limit.per == "term":
            if person.term is None:
                out.append(LimitRoom(limit, 10**6, ()))
                continue
            lo, hi = person.term
            used = [t for t in trips if lo <= t.start <= hi]
        else:
            w = limit.window_years or 1
            used = []
            for first in range(year - w + 1, year + 1):
                inside = [t for t in trips if first <= t.start.year < first + w]
                if len(inside) > len(used):
                    used = inside
        out.append(LimitRoom(limit, limit.count - len(used), tuple(str(t.start) for t in used)))
    return out


def _term_days(person: Person, year: int) -> tuple[int, int] | None:
    if person.term is None:
        return None
    return day_number(year, person.term[0]), day_number(year, person.term[1])


def alone(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(二); 002 II.1): a traveller whose history alone leaves no
    room for this trip, on any date of its window, makes it ineligible."""
    if ctx.any_waived(c, "FREQ-RANK"):
        return []
    out = []
    s = ctx.scenario
    for pid in c.travellers:
        person = s.person_by_id[pid]
        quota = quota_of(person, s, ctx.policy)
        if quota is None:
            continue
        limits = rooms(person, quota, s)
        term = _term_days(person, s.year)
        can_be_in = term is None or (c.earliest <= term[1] and c.latest >= term[0])
        can_be_out = term is not None and (c.earliest < term[0] or c.latest > term[1])

        def holds(room: LimitRoom, in_term: bool) -> bool:
            if room.limit.per == "term" and not in_term:
                return True
            return room.room >= 1

        options = [in_term for in_term, ok in ((True, can_be_in), (False, can_be_out)) if ok]
        combine = any if quota.mode == "any_of" else all
        if any(combine(holds(r, t) for r in limits) for t in options):
            continue
        earlier = sorted({d for r in limits for d in r.history})
        out.append(
            Finding(
                "FREQ-RANK",
                T(
                    "{person} ({rank}) already travelled on {dates}; the quota is {quota}",
                    person=pid,
                    rank=person.rank,
                    dates=earlier or "-",
                    quota=quota.describe(),
                ),
                c.request_ids,
            )
        )
    return out


def post(m: ModelContext) -> None:
    """Hard constraint (000 §1(二); 002 II.1): trips per person within the rank's quota."""
    s = m.scenario
    by_person: dict[str, list[Candidate]] = defaultdict(list)
    for c in m.candidates:
        for pid in c.travellers:
            by_person[pid].append(c)
    model = m.model
    for pid, group in sorted(by_person.items()):
        person = s.person_by_id[pid]
        quota = quota_of(person, s, m.policy)
        if quota is None:
            continue
        limits = rooms(person, quota, s)
        subjects = [c for c in group if not m.waived(c, "FREQ-RANK")]
        if not subjects:
            continue
        term = _term_days(person, s.year)
        in_term = {c.id: _in_term(m, c, term) for c in group}
        plain = (
            quota.mode == "all_of"
            and len(subjects) == len(group)
            and all(lim.limit.per != "term" for lim in limits)
        )
        if plain:
            for lim in limits:
                model.add(sum(m.form[c.id] for c in group) <= lim.room).with_name(
                    f"quota[{pid},{lim.limit.describe()}]"
                )
            continue
        holds: list[tuple[LimitRoom, cp_model.IntVar]] = []
        for k, lim in enumerate(limits):
            ok = model.new_bool_var(f"quota-holds[{pid},{k}]")
            if lim.limit.per == "term":
                count = sum(
                    m.form[c.id] * 1
                    if in_term[c.id] is True
                    else (_and(m, m.form[c.id], in_term[c.id]) if in_term[c.id] is not False else 0)
                    for c in group
                )
            else:
                count = sum(m.form[c.id] for c in group)
            model.add(count <= lim.room).only_enforce_if(ok)
            holds.append((lim, ok))
        for c in subjects:
            #: per limit, the literals one of which must hold (None: the limit says nothing)
            lits: list[list[cp_model.IntVar] | None] = []
            for lim, ok in holds:
                if lim.limit.per == "term":
                    flag = in_term[c.id]
                    if flag is False:
                        lits.append(None)  # the limit says nothing of a trip outside the term
                        continue
                    lits.append([ok] if flag is True else [ok, flag.negated()])
                else:
                    lits.append([ok])
            form = m.form[c.id]
            if quota.mode == "any_of":
                if any(x is None for x in lits):
                    continue
                either = [lit for group_lits in lits if group_lits for lit in group_lits]
                model.add_bool_or(either).only_enforce_if(form)
            else:
                for group_lits in lits:
                    if group_lits is not None:
                        model.add_bool_or(group_lits).only_enforce_if(form)


def _in_term(m: ModelContext, c: Candidate, term: tuple[int, int] | None):
    """True, False, or a literal: does the candidate start inside the person's term?"""
    if term is None:
        return False
    lo, hi = term
    if lo <= c.earliest and c.latest <= hi:
        return True
    if c.latest < lo or c.earliest > hi:
        return False
    key = f"in-term[{c.id},{lo},{hi}]"
    lit = m.model.new_bool_var(key)
    after = m.model.new_bool_var(key + ">=")
    before = m.model.new_bool_var(key + "<=")
    m.model.add(m.start[c.id] >= lo).only_enforce_if(after)
    m.model.add(m.start[c.id] < lo).only_enforce_if(after.negated())
    m.model.add(m.start[c.id] <= hi).only_enforce_if(before)
    m.model.add(m.start[c.id] > hi).only_enforce_if(before.negated())
    m.model.add_bool_and([after, before]).only_enforce_if(lit)
    m.model.add_bool_or([after.negated(), before.negated()]).only_enforce_if(lit.negated())
    return lit


def _and(m: ModelContext, a, b):
    both = m.model.new_bool_var("")
    m.model.add_bool_and([a, b]).only_enforce_if(both)
    m.model.add_bool_or([a.negated(), b.negated()]).only_enforce_if(both.negated())
    return both


def explain(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which traveller's quota the approved trips use up."""
    s = ctx.scenario
    facts: list[Text] = []
    tied: list[str] = []
    for pid in c.travellers:
        person = s.person_by_id[pid]
        quota = quota_of(person, s, ctx.policy)
        with_ = [p for p in rivals if pid in p.candidate.travellers]
        if quota is None or not with_:
            continue
        ids = rival_ids(with_)
        history = sorted(str(t.start) for t in s.history_by_person.get(pid, []))
        facts.append(
            T(
                "{person} ({rank}) may travel {quota}; the plan already sends them with "
                "{requests} (earlier trips: {history})",
                person=pid,
                rank=person.rank,
                quota=quota.describe(),
                requests=list(ids),
                history=history or "-",
            )
        )
        tied += ids
    return (clauses(facts), tuple(dict.fromkeys(tied))) if facts else None
