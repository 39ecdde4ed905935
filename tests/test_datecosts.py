"""Date costs by start (``solver.datecosts``), checked day by day against the host's
holidays and the preferred start, and the cheapest start they give."""

from __future__ import annotations

import datetime as dt

from delegplan.generate import synthetic
from models.holidays import public_holidays
from models.loading import load_scenario
from solver.candidates import singletons
from solver.datecosts import cheapest_start, date_costs
from tests.conftest import write


def test_each_start_costs_its_distance_and_its_holidays_and_the_cheapest_is_the_first_least(
    tmp_path,
) -> None:
    loaded = load_scenario(write(tmp_path, synthetic(100, 4), "generated.yaml"))
    scenario, policy = loaded.scenario, loaded.policy
    price = policy.objective.preferred_date_per_day
    weight = policy.rule("GEO-HOLIDAY").weight
    assert price > 0 and policy.soft("GEO-HOLIDAY") and weight > 0
    first = dt.date(scenario.year, 1, 1)
    moved_by_holidays = 0
    for c in singletons(scenario):
        if c.earliest > c.latest:
            continue  # no start at all (a window that closed)
        preferred = [r.preferred_start for r in c.requests if r.preferred_start]
        target = None
        if preferred:
            target = min((p - scenario.year_start).days for p in preferred)
            target = min(max(target, c.earliest), c.latest)
        expected = []
        for start in range(c.earliest, c.latest + 1):
            on_holidays = sum(
                first + dt.timedelta(start + off + k) in public_holidays(code, scenario.year)
                for (code, days), off in zip(c.stops, c.offsets, strict=True)
                for k in range(days)
            )
            distance = abs(start - target) if target is not None else 0
            expected.append(price * distance + weight * on_holidays)
        assert list(date_costs(c, scenario, policy, waived=False)) == expected
        least = c.earliest + expected.index(min(expected))
        assert cheapest_start(c, scenario, policy, waived=False) == least
        moved_by_holidays += target is not None and least != target
        # waived, the holidays cost nothing: the preferred start is the cheapest
        if target is not None:
            assert cheapest_start(c, scenario, policy, waived=True) == target
    assert moved_by_holidays > 0  # some preferred start meets a holiday
