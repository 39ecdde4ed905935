"""What each possible start of a candidate costs in dates, and its cheapest start.

Two soft costs depend on a trip's start alone: its distance from the preferred start
(``solver.objective.create_shifts``, priced per day) and its stay days on host holidays
(GEO-HOLIDAY, ``solver.rules.geography.post_holiday``). Day prices (``solver.lagrange``)
add them to the price of each start's days; the relaxation's first round, where it leaves
them out to be quick, puts each trip it forms on its cheapest start (``solver.start``).
"""

from __future__ import annotations

import numpy as np

from models.policy import Policy
from models.scenario import Scenario
from solver.candidates import Candidate
from solver.rules.geography import holiday_table


def date_costs(c: Candidate, scenario: Scenario, policy: Policy, waived: bool) -> np.ndarray:
    """The date costs of each start of ``c``, from its first possible start on.

    ``waived``: whether an exception lifts GEO-HOLIDAY for ``c`` (``ModelContext.waived``).
    """
    starts = np.arange(c.earliest, c.latest + 1)
    cost = np.zeros(len(starts))
    price = policy.objective.preferred_date_per_day
    preferred = [r.preferred_start for r in c.requests if r.preferred_start]
    if preferred and price > 0:  # as ``solver.objective.create_shifts``
        target = min((p - scenario.year_start).days for p in preferred)
        cost += price * np.abs(starts - min(max(target, c.earliest), c.latest))
    holidays = policy.rule("GEO-HOLIDAY").weight if policy.soft("GEO-HOLIDAY") else 0
    if holidays and not waived:
        cost += holidays * np.array(holiday_table(c, scenario.year))
    return cost


def cheapest_start(c: Candidate, scenario: Scenario, policy: Policy, waived: bool) -> int:
    """The first start of ``c`` whose date costs are the least (``date_costs``)."""
    return c.earliest + int(np.argmin(date_costs(c, scenario, policy, waived)))


__all__ = ["cheapest_start", "date_costs"]
