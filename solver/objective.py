"""The objective: approve the most valuable requests, then keep soft costs low.

Maximise  sum(value[r] * approve[r])  -  sum(weight * cost term)  -  price * |start - preferred|.

With ``ModelContext.approvals_only`` (``--objective approvals``) only the first sum counts.

A request's value comes from the policy (``objective`` in the profile): its priority's
value, plus a bonus for each key-support theme of the year and for a priority region.
Soft rules add their terms (``ModelContext.costs``); fixed costs of soft static findings
are charged on ``form[c]``. Weights are data: nothing here is a number of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from models.policy import Policy
from models.scenario import Request
from solver.candidates import Candidate
from solver.model import CostTerm, ModelContext


def request_value(r: Request, policy: Policy) -> int:
    """What approving one request is worth in the objective."""
    obj = policy.objective
    value = obj.priority_value.get(r.priority, 0)
    value += sum(obj.theme_bonus.get(theme, 0) for theme in dict.fromkeys(r.themes))
    if obj.region_bonus and any(code in obj.region_countries for code in r.countries):
        value += obj.region_bonus
    return value


def candidate_value(c: Candidate, policy: Policy) -> int:
    """What forming a candidate is worth: the value of each request it approves."""
    return sum(request_value(r, policy) for r in c.requests)


def create_shifts(m: ModelContext) -> None:
    """``shift[c]``: how far a candidate starts from its requests' preferred start.

    Made before the rules are posted, so that a rule's rows may use it too (the
    relaxation's displacement rows, ``solver.rules.energy``); priced by ``post_objective``.
    Nothing is made when dates cost nothing or only approvals count.
    """
    if m.approvals_only or m.policy.objective.preferred_date_per_day <= 0:
        return
    model = m.model
    for c in m.candidates:
        preferred = [r.preferred_start for r in c.requests if r.preferred_start]
        if not preferred:
            continue
        target = min((p - m.scenario.year_start).days for p in preferred)
        target = min(max(target, c.earliest), c.latest)
        span = max(c.latest - c.earliest, 0)
        dev = model.new_int_var(0, span, f"shift[{c.id}]")
        if m.exact_costs:
            model.add_abs_equality(dev, m.start[c.id] - target)
        else:  # a lower bound; the plan reports the true distance (``exact``)
            model.add(dev >= m.start[c.id] - target)
            model.add(dev >= target - m.start[c.id])
        m.shift[c.id] = (dev, target)


def _distance(value: Callable[[Any], int], form: Any, start: Any, target: int) -> int:
    """A formed trip's days from its preferred start, read from a plan's ``value``s."""
    return abs(value(start) - target) * value(form)


def post_objective(m: ModelContext) -> None:
    """Set the model's objective from approvals, soft cost terms and date distances."""
    model = m.model
    gains = [
        request_value(m.scenario.request_by_id[rid], m.policy) * lit
        for rid, lit in m.approve.items()
    ]
    if m.approvals_only:  # which requests can go at all: the first question of a year
        m.objective = sum(gains)
        model.maximize(m.objective)
        return
    bonus = m.policy.rule("MERGE").weight if m.policy.soft("MERGE") else 0
    if bonus:  # 000 §2(二): composite groups are preferred; per delegation saved
        gains += [bonus * (len(c.requests) - 1) * m.form[c.id] for c in m.candidates]
    for c in m.candidates:
        for rule, weight, message in m.static_costs.get(c.id, []):
            if weight > 0:
                m.costs.append(CostTerm(rule, c.id, c.request_ids, weight, m.form[c.id], message))
    price = m.policy.objective.preferred_date_per_day
    for cid, (dev, target) in m.shift.items():
        c = m.by_id[cid]
        form, start = m.form[cid], m.start[cid]
        m.add_cost(
            "PREFERRED-START",
            c,
            price,
            dev,
            exact=partial(_distance, form=form, start=start, target=target),
        )
    penalties = [t.weight * t.var for t in m.costs]
    m.objective = sum(gains) - sum(penalties)
    model.maximize(m.objective)
