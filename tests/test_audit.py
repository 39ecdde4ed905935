"""The auditor on hand-broken plans: each violation it must catch, and a clean plan."""

from __future__ import annotations

import datetime as dt

from models.audit import Auditor
from models.loading import load_scenario
from models.plan import Decision, Delegation, Plan, PlanStop, Reason
from tests.conftest import request, scenario, write

D = dt.date


def _loaded(tmp_path, data):
    return load_scenario(write(tmp_path, data))


def _delegation(
    did: str,
    rid: str,
    head: str,
    start: dt.date,
    country: str = "DE",
    members: tuple[str, ...] = (),
) -> Delegation:
    # the base trip: 1 travel day, 3 days in the country, 1 travel day
    return Delegation(
        id=did,
        requests=(rid,),
        head=head,
        members=members,
        start=start,
        end=start + dt.timedelta(4),
        stops=(
            PlanStop(country=country, start=start + dt.timedelta(1), end=start + dt.timedelta(3)),
        ),
    )


def _plan(delegations: list[Delegation], rejected: tuple[str, ...] = ()) -> Plan:
    decisions = [
        Decision(request=r, status="approved", delegation=d.id)
        for d in delegations
        for r in d.requests
    ]
    decisions += [
        Decision(
            request=r,
            status="rejected",
            reasons=(Reason(rule="TIME-WINDOW", citation="x", message="x"),),
        )
        for r in rejected
    ]
    return Plan(
        scenario="t",
        policy="changchun-2020",
        status="optimal",
        delegations=tuple(delegations),
        decisions=tuple(decisions),
    )


def _rules(loaded, plan) -> list[str]:
    return sorted(v.rule for v in Auditor(loaded.scenario, loaded.policy).audit(plan).violations)


def test_clean_plan_passes(tmp_path):
    loaded = _loaded(tmp_path, scenario([request("R1")]))
    assert _rules(loaded, _plan([_delegation("D1", "R1", "p1", D(2020, 3, 2))])) == []


def test_catches_two_groups_in_one_country(tmp_path):
    # A and B in Germany on 3-5 and 4-6 March share two days (GEO-SAME-COUNTRY).
    data = scenario(
        [request("A"), request("B", unit="u2", head="p2")],
        units=[{"id": "u1"}, {"id": "u2"}],
        people=[{"id": "p1", "unit": "u1"}, {"id": "p2", "unit": "u2"}],
    )
    loaded = _loaded(tmp_path, data)
    plan = _plan(
        [_delegation("D1", "A", "p1", D(2020, 3, 2)), _delegation("D2", "B", "p2", D(2020, 3, 3))]
    )
    assert _rules(loaded, plan) == ["GEO-SAME-COUNTRY"]


def test_catches_a_person_in_two_groups_and_a_window(tmp_path):
    # p1 heads both trips (2-6 and 5-9 March) and the second leaves its window (1-7 March).
    data = scenario(
        [
            request("A"),
            request(
                "B",
                window=[D(2020, 3, 1), D(2020, 3, 7)],
                stops=[{"country": "AT", "days": 3, "tasks": [{"text": "t"}] * 3}],
            ),
        ]
    )
    loaded = _loaded(tmp_path, data)
    plan = _plan(
        [
            _delegation("D1", "A", "p1", D(2020, 3, 2)),
            _delegation("D2", "B", "p1", D(2020, 3, 5), country="AT"),
        ]
    )
    assert _rules(loaded, plan) == ["PERS-BUSY", "TIME-WINDOW"]


def test_catches_quota_budget_and_late(tmp_path):
    data = scenario(
        [request("R1", cost=90_000, submitted=D(2019, 11, 5))],
        units=[{"id": "u1", "budget": 50_000}],
        people=[{"id": "p1", "unit": "u1", "rank": "bureau_chief"}],
        history=[{"person": "p1", "start": D(2019, 6, 1)}],
    )
    loaded = _loaded(tmp_path, data)
    plan = _plan([_delegation("D1", "R1", "p1", D(2020, 3, 2))])
    assert _rules(loaded, plan) == ["BUDGET-UNIT", "FREQ-RANK", "PLAN-DEADLINE"]


def test_a_units_overspending_names_its_own_requests_and_no_other_units(tmp_path):
    # u1 spends 60,000 (two trips) against 50,000; u2 spends 40,000 of its 50,000. The
    # violation's subjects are u1's requests alone, its rivals none of u2's.
    data = scenario(
        [
            request("A1", cost=30_000),
            request("B1", unit="u2", head="p2", cost=40_000),
            request("A2", head="p3", cost=30_000),
        ],
        units=[{"id": "u1", "budget": 50_000}, {"id": "u2", "budget": 50_000}],
        people=[
            {"id": "p1", "unit": "u1", "rank": "division_chief"},
            {"id": "p2", "unit": "u2", "rank": "division_chief"},
            {"id": "p3", "unit": "u1", "rank": "division_chief"},
        ],
    )
    loaded = _loaded(tmp_path, data)
    plan = _plan(
        [
            _delegation("D1", "A1", "p1", D(2020, 3, 2)),
            _delegation("D2", "B1", "p2", D(2020, 4, 2), country="AT"),
            _delegation("D3", "A2", "p3", D(2020, 5, 2), country="FR"),
        ]
    )
    found = Auditor(loaded.scenario, loaded.policy).audit(plan).violations
    budget = [v for v in found if v.rule == "BUDGET-UNIT"]
    assert [(v.requests, v.with_) for v in budget] == [(("A1", "A2"), ())]
    assert "unit u1 would spend 60000 against its budget 50000" in budget[0].message


def test_catches_broken_structure(tmp_path):
    # Stops that do not follow the date convention, a missing decision, a stranger aboard.
    loaded = _loaded(tmp_path, scenario([request("R1"), request("R2")]))
    bad = _delegation("D1", "R1", "p1", D(2020, 3, 2), members=("ghost",))
    shifted = bad.model_copy(
        update={"stops": (PlanStop(country="DE", start=D(2020, 3, 4), end=D(2020, 3, 6)),)}
    )
    violations = Auditor(loaded.scenario, loaded.policy).audit(_plan([shifted])).violations
    text = " | ".join(str(v) for v in violations)
    assert "R2: has 0 decisions" in text
    assert "travellers differ" in text
    assert "first stop should begin" in text


def test_exception_is_used_only_when_needed(tmp_path):
    data = scenario(
        [request("R1")],
        people=[{"id": "p1", "unit": "u1", "rank": "bureau_chief"}],
        history=[{"person": "p1", "start": D(2019, 6, 1)}],
        exceptions=[{"request": "R1", "rule": "FREQ-RANK"}, {"request": "R1", "rule": "TASK-MIN"}],
    )
    loaded = _loaded(tmp_path, data)
    report = Auditor(loaded.scenario, loaded.policy).audit(
        _plan([_delegation("D1", "R1", "p1", D(2020, 3, 2))])
    )
    assert report.violations == []
    assert [(e.request, e.rule) for e in report.exceptions_used] == [("R1", "FREQ-RANK")]


def test_a_whole_plans_same_country_check_finds_every_close_pair_in_order(tmp_path) -> None:
    # A whole plan's check of GEO-SAME-COUNTRY looks only at the stays that start near each
    # stay (bisection: models.audit._Nearby). It must find the very pairs, in the very
    # order, that comparing every stay with every other stay finds, with or without a gap.
    from delegplan.generate import synthetic
    from models.policy import Policy
    from solver.candidates import singletons
    from solver.greedy import Greedy, first_come

    loaded = _loaded(tmp_path, synthetic(300, 2))
    s, p = loaded.scenario, loaded.policy
    greedy = Greedy(s, p)
    placed = first_come(s, p, singletons(s, use_windows=True))
    # the clerk's plan, and each trip again 2 to 30 days later: stays of many lengths cross
    trips = [greedy.trip(t.candidate, t.start) for t in placed]
    trips += [greedy.trip(t.candidate, t.start + 2 + 7 * k % 29) for k, t in enumerate(placed)]
    counts: list[int] = []
    for gap in (0, 3):
        rules = p.model_dump()["rules"]
        rules["GEO-SAME-COUNTRY"]["params"] = {"min_gap_days": gap}
        policy = Policy.model_validate({**p.model_dump(), "rules": rules})
        expected, seen = [], set()
        for f in trips:
            for stay in f.stops:
                for other in trips:
                    for o in other.stops:
                        if other is f or o.country != stay.country:
                            continue
                        if (o.start - stay.end).days > gap or (stay.start - o.end).days > gap:
                            continue  # more than ``gap`` free days apart
                        key = (*sorted((f.id, other.id)), stay.country)
                        if key not in seen:
                            seen.add(key)
                            expected.append((f.request_ids, other.request_ids))
        found = Auditor(s, policy)._same_country(trips, trips)
        assert [(v.requests, v.with_) for v in found] == expected
        assert len(expected) > 30 and {v.rule for v in found} == {"GEO-SAME-COUNTRY"}
        counts.append(len(expected))
    assert counts[0] < counts[1]  # 40 and 103 pairs when written: the gap counts
