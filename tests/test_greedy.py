"""The first-come-first-served planner: a clerk's plan, audit-clean, and beaten by the search."""

from __future__ import annotations

import datetime as dt

import pytest

from models.audit import Auditor
from models.loading import load_scenario
from scenarios import BUNDLED, bundled_path
from solver import SolveOptions, solve
from tests.conftest import approved, gap_policy, request, scenario, tasks, write
from tests.test_rules import people, units

D = dt.date


def _race(tmp_path):
    # Two groups to Germany in one week, so only one can go. L (priority 2) was submitted
    # first, H (priority 5) a week later: a clerk approves L, the search approves H.
    data = scenario(
        [
            request(
                "H",
                priority=5,
                window=[D(2020, 3, 2), D(2020, 3, 8)],
                submitted=D(2019, 10, 8),
                mergeable=False,
            ),
            request(
                "L",
                unit="u2",
                head="p2",
                priority=2,
                window=[D(2020, 3, 2), D(2020, 3, 8)],
                submitted=D(2019, 10, 1),
                mergeable=False,
            ),
        ],
        units=units(("u1", {}), ("u2", {})),
        people=people(("p1", "u1", {}), ("p2", "u2", {})),
    )
    return load_scenario(write(tmp_path, data))


def test_clerk_takes_requests_in_submission_order(tmp_path) -> None:
    loaded = _race(tmp_path)
    options = SolveOptions(time_limit=10, seed=1, workers=2)
    clerk = solve(loaded, SolveOptions(time_limit=10, seed=1, workers=2, method="greedy")).plan
    best = solve(loaded, options).plan
    assert approved(clerk) == {"L"} and approved(best) == {"H"}
    assert clerk.status == "feasible" and clerk.objective < best.objective
    assert clerk.bound is None and clerk.gap is None
    # the clerk's rejection is explained like any other: H is crowded out by L
    h = next(d for d in clerk.decisions if d.request == "H")
    assert h.reasons[0].rule == "GEO-SAME-COUNTRY" and "L" in h.reasons[0].with_


def test_clerk_uses_the_preferred_start_when_free(tmp_path) -> None:
    data = scenario(
        [request("R", window=[D(2020, 3, 1), D(2020, 3, 31)], preferred_start=D(2020, 3, 20))]
    )
    plan = solve(
        load_scenario(write(tmp_path, data)), SolveOptions(method="greedy", workers=2)
    ).plan
    assert plan.delegations[0].start == D(2020, 3, 20)


@pytest.mark.parametrize("name", BUNDLED)
def test_greedy_plans_are_clean_and_never_better_than_the_search(name: str) -> None:
    loaded = load_scenario(bundled_path(name))
    clerk = solve(loaded, SolveOptions(time_limit=10, seed=1, workers=2, method="greedy")).plan
    assert Auditor(loaded.scenario, loaded.policy).audit(clerk).violations == []
    assert clerk.approved
    best = solve(loaded, SolveOptions(time_limit=20, seed=1, workers=2, explain_limit=0)).plan
    assert best.status == "optimal"
    assert best.objective >= clerk.objective


@pytest.mark.parametrize("gap", [0, 3])
def test_occupancy_index_changes_no_plan(tmp_path, monkeypatch, gap: int) -> None:
    """The quick country/traveller index (solver.occupancy) only saves auditor calls: with
    it and without it the clerk and the repair place the same trips on the same days,
    with a spacing between groups in one country and exceptions to both rules."""

    import solver.greedy as greedy_module
    from delegplan.generate import synthetic
    from solver.candidates import singletons
    from solver.greedy import Greedy, first_come, repair, submission_order

    data = synthetic(150, seed=3)
    data["policy"] = gap_policy(tmp_path, gap)
    ids = [r["id"] for r in data["requests"]]
    data["exceptions"] = [{"request": rid, "rule": "GEO-SAME-COUNTRY"} for rid in ids[::9]]
    data["exceptions"] += [{"request": rid, "rule": "PERS-BUSY"} for rid in ids[4::11]]
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    eligible = [c for c in singletons(s) if c.feasible_window]

    def clerk(quick: bool) -> list[tuple[str, int]]:
        greedy = Greedy(s, p, quick=quick)
        for c in submission_order(eligible):
            greedy.place(c, range(c.earliest, c.latest + 1))
        return [(t.id, t.start) for t in greedy.placed]

    fast, slow = clerk(True), clerk(False)
    assert fast == slow and len(fast) > 60
    # the quick index does refuse starts (else this test would prove nothing)
    greedy = Greedy(s, p)
    for c in submission_order(eligible):
        greedy.place(c, range(c.earliest, c.latest + 1))
    refused = sum(
        greedy.occupancy.clashes(c, d) for c in eligible[:80] for d in (c.earliest, c.latest)
    )
    assert refused > 10
    placed = first_come(s, p, eligible)
    assert Auditor(s, p).check([greedy.trip(t.candidate, t.start) for t in placed]) == []
    starts = {c.id: c.latest for c in eligible}
    repaired = repair(s, p, eligible, eligible[::2], starts)
    assert repaired == repair(s, p, eligible, eligible[::2], starts, quick=False)
    # and that repair made room (``Occupancy.blockers`` against the auditor's clashes)
    monkeypatch.setattr(greedy_module, "MOST_MOVED", 0)
    assert repair(s, p, eligible, eligible[::2], starts) != repaired


MID_MARCH = [D(2020, 3, 10), D(2020, 3, 14)]  # one start: five days with the travel


def _repaired(tmp_path, priorities: dict[str, int]) -> set[str]:
    """Two groups to Germany that can only go on 10-14 March, both put there by the
    relaxation: which the repair keeps, W placed first."""
    from solver.candidates import singletons
    from solver.greedy import Greedy, repair

    data = scenario(
        [
            request("W", priority=priorities["W"], window=MID_MARCH),
            request("N", unit="u2", head="p2", priority=priorities["N"], window=MID_MARCH),
        ],
        units=units(("u1", {}), ("u2", {})),
        people=people(("p1", "u1", {}), ("p2", "u2", {})),
    )
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    chosen = singletons(s)
    assert [(c.id, c.latest - c.earliest) for c in chosen] == [("W", 0), ("N", 0)]
    placed = repair(s, p, chosen, chosen, {c.id: c.earliest for c in chosen})
    layout = Greedy(s, p)
    assert Auditor(s, p).check([layout.trip(t.candidate, t.start) for t in placed]) == []
    return {t.id for t in placed}


def test_repair_drops_the_trip_in_the_way_only_for_a_more_valuable_one(tmp_path) -> None:
    # One of them must stay home: the less valuable. (Where W can step aside, both go:
    # tests/test_search.py, least room first.)
    assert _repaired(tmp_path, {"W": 2, "N": 5}) == {"N"}
    assert _repaired(tmp_path, {"W": 5, "N": 2}) == {"W"}


def test_the_clerk_counts_a_travellers_trips_for_other_units(tmp_path) -> None:
    # p1 (vice-provincial: one trip a year) heads u1's R1 and travels with u2's R2, in
    # another country and month. The clerk reads R1 first; R2 shares no country or unit
    # with it, only p1, and must be refused for FREQ-RANK. Both with the index and without.
    from solver.candidates import singletons
    from solver.greedy import Greedy, first_come

    data = scenario(
        [
            request("R1", submitted=D(2019, 9, 1)),
            request(
                "R2",
                unit="u2",
                head="p2",
                members=["p1"],
                window=[D(2020, 5, 1), D(2020, 5, 31)],
                stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
            ),
        ],
        units=units(("u1", {}), ("u2", {})),
        people=people(
            ("p1", "u1", {"rank": "vice_provincial", "leadership": True}), ("p2", "u2", {})
        ),
    )
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    eligible = [c for c in singletons(s) if c.feasible_window]
    assert [c.id for c in eligible] == ["R1", "R2"]
    placed = first_come(s, p, eligible)
    assert [t.id for t in placed] == ["R1"]
    slow = Greedy(s, p, quick=False)
    assert slow.place(eligible[0], [eligible[0].earliest]) is not None
    assert slow.place(eligible[1], range(eligible[1].earliest, eligible[1].latest + 1)) is None
    assert [v.rule for v in slow.violations(eligible[1], eligible[1].earliest)] == ["FREQ-RANK"]
