"""Property: on random small scenarios, the auditor finds nothing in the solver's plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.audit import Auditor
from models.loading import LoadedScenario, parse_model
from models.policy import builtin_policy
from models.scenario import Scenario
from solver import SolveOptions, solve

COUNTRIES = ["DE", "AT", "FR", "JP", "KR", "KE", "BR"]
RANKS = ["staff", "bureau_chief", "bureau_deputy", "vice_provincial"]


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    n_units = draw(st.integers(1, 3))
    units = [
        {
            "id": f"u{k}",
            "level": draw(st.sampled_from(["municipal", "district"])),
            "budget": draw(st.sampled_from([None, 0, 50_000, 200_000])),
            "foreign_economic": draw(st.booleans()),
        }
        for k in range(n_units)
    ]
    for u in units:
        if u["budget"] is None:
            del u["budget"]
    n_people = draw(st.integers(2, 6))
    people = [
        {
            "id": f"p{k}",
            "unit": f"u{draw(st.integers(0, n_units - 1))}",
            "rank": draw(st.sampled_from(RANKS)),
            "leadership": draw(st.booleans()),
            "head_of_agency": draw(st.booleans()),
            "district_official": draw(st.booleans()),
        }
        for k in range(n_people)
    ]
    history = [
        {
            "person": f"p{draw(st.integers(0, n_people - 1))}",
            "start": dt.date(draw(st.sampled_from([2018, 2019, 2020])), 4, 1),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    requests = []
    for k in range(draw(st.integers(1, 6))):
        crew = draw(st.lists(st.integers(0, n_people - 1), min_size=1, max_size=3, unique=True))
        stops = [
            {
                "country": c,
                "days": draw(st.integers(1, 4)),
                "tasks": [
                    {"text": "t", "theme": draw(st.sampled_from(["a", "b"]))}
                    for _ in range(draw(st.integers(2, 4)))
                ],
            }
            for c in draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True))
        ]
        lo = draw(st.integers(0, 40))
        span = draw(st.integers(4, 25))
        start = dt.date(2020, 3, 1) + dt.timedelta(lo)
        requests.append(
            {
                "id": f"R{k}",
                "unit": people[crew[0]]["unit"],
                "head": f"p{crew[0]}",
                "members": [f"p{i}" for i in crew[1:]],
                "stops": stops,
                "window": [start, start + dt.timedelta(span)],
                "invitation": {"kind": draw(st.sampled_from(["government", "intermediary"]))},
                "cost": draw(st.sampled_from([0, 30_000, 60_000])),
                "priority": draw(st.integers(1, 5)),
                "catalogue": draw(st.sampled_from([None, "c1"])),
                "submitted": dt.date(2019, 10, draw(st.sampled_from([1, 31]))),
            }
        )
        if requests[-1]["catalogue"] is None:
            del requests[-1]["catalogue"]
    exceptions = []
    if requests and draw(st.booleans()):
        exceptions.append(
            {
                "request": "R0",
                "rule": draw(
                    st.sampled_from(
                        ["FREQ-RANK", "GEO-SAME-COUNTRY", "BUDGET-UNIT", "PERS-UNIT-CAP"]
                    )
                ),
            }
        )
    return {
        "name": "random",
        "year": 2020,
        "policy": "changchun-2020",
        "units": units,
        "people": people,
        "history": history,
        "catalogue": [{"id": "c1", "groups": draw(st.integers(0, 2))}],
        "requests": requests,
        "exceptions": exceptions,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_auditor_finds_nothing_in_solver_plans(data: dict) -> None:
    scenario = parse_model(Scenario, data, "random")
    loaded = LoadedScenario(scenario, builtin_policy("changchun-2020"), Path("random"), "x")
    plan = solve(loaded, SolveOptions(time_limit=10, seed=1, workers=2)).plan
    assert plan.status == "optimal"
    report = Auditor(scenario, loaded.policy).audit(plan)
    assert report.violations == [], [str(v) for v in report.violations]
    assert {d.request for d in plan.decisions} == {r["id"] for r in data["requests"]}


@st.composite
def competing(draw) -> dict:
    """Eligible requests that compete: few countries, few people, tight windows and
    budgets, a catalogue item of one group, quota-bound leaders."""
    people = [
        {
            "id": f"p{k}",
            "unit": f"u{k % 2}",
            "rank": draw(st.sampled_from(["staff", "vice_municipal_fa", "bureau_chief"])),
        }
        for k in range(4)
    ]
    units = [
        {
            "id": f"u{k}",
            "level": "municipal",
            "budget": draw(st.sampled_from([60_000, 90_000, 500_000])),
        }
        for k in range(2)
    ]
    requests = []
    for k in range(draw(st.integers(2, 6))):
        head = draw(st.sampled_from(people))
        others = [p["id"] for p in people if p["unit"] != head["unit"]]
        members = draw(st.lists(st.sampled_from(others), max_size=1, unique=True))
        first = dt.date(2020, 3, draw(st.integers(1, 8)))
        request = {
            "id": f"R{k}",
            "kind": "self",
            "unit": head["unit"],
            "head": head["id"],
            "members": members,
            "stops": [
                {
                    "country": draw(st.sampled_from(["DE", "FR"])),
                    "days": draw(st.integers(2, 3)),
                    "tasks": [{"text": f"t{j}"} for j in range(3)],
                }
            ],
            "window": [first, first + dt.timedelta(draw(st.integers(6, 12)))],
            "invitation": {"kind": "government"},
            "cost": draw(st.sampled_from([20_000, 40_000])),
            "priority": draw(st.integers(1, 5)),
            "submitted": dt.date(2019, 10, 1),
        }
        if draw(st.booleans()):
            request["catalogue"] = "c1"
        requests.append(request)
    return {
        "name": "competing",
        "year": 2020,
        "policy": "changchun-2020",
        "units": units,
        "people": people,
        "catalogue": [{"id": "c1", "groups": 1}],
        "requests": requests,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(scenarios(), competing()))
def test_conflicts_are_minimal_and_repairs_hold_on_random_scenarios(data: dict) -> None:
    # Every crowded-out conflict is true and minimal, and every repair, carried out,
    # passes the auditor (tests/verify.py checks both with the auditor alone).
    from tests.test_explain import _check_all

    scenario = parse_model(Scenario, data, "random")
    loaded = LoadedScenario(scenario, builtin_policy("changchun-2020"), Path("random"), "x")
    plan = solve(loaded, SolveOptions(time_limit=10, seed=1, workers=2)).plan
    _check_all(loaded, plan)
    for decision in plan.decisions:
        if decision.status == "rejected":
            assert decision.reasons
