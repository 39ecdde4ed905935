"""Each rule of RULES.md as a pair: a tiny case where it binds and one where it does not.

Every test states the exact approved set and the cited rule, with the reasoning worked
out in a comment. The base request (tests/conftest.py) breaks nothing on its own: one
stop of 3 days in Germany with 3 tasks, 2 travel days (a trip of 5 days), a window in
March 2020, an invitation from a government, submitted before the deadline. Every plan
has passed the auditor before it reaches an assertion.
"""

from __future__ import annotations

import datetime as dt

from tests.conftest import (
    approved,
    policy_file,
    reason,
    reason_rules,
    request,
    scenario,
    tasks,
    write,
)

D = dt.date


def people(*specs: tuple[str, str, dict]) -> list[dict]:
    return [{"id": pid, "unit": unit, "rank": "staff", **extra} for pid, unit, extra in specs]


def units(*specs: tuple[str, dict]) -> list[dict]:
    return [{"id": uid, "level": "municipal", "budget": 1_000_000, **extra} for uid, extra in specs]


# ---- Plan discipline ------------------------------------------------------------------


def test_plan_deadline_binds_after_the_deadline(solve_data):
    # Changchun's deadline is 2019-10-31 (000 §3.1): a request of 1 November is refused,
    # one of 31 October (the last day) is accepted.
    plan = solve_data(
        scenario(
            [
                request("LATE", submitted=D(2019, 11, 1)),
                request(
                    "ONTIME",
                    submitted=D(2019, 10, 31),
                    stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
                ),
            ]
        )
    )
    assert approved(plan) == {"ONTIME"}
    assert reason_rules(plan, "LATE") == ["PLAN-DEADLINE"]
    assert reason(plan, "LATE", "PLAN-DEADLINE").citation == "000 §3.1"


def test_plan_deadline_scenario_override(solve_data):
    # The scenario's own deadline replaces the profile's: 2019-11-15 lets 1 November in.
    plan = solve_data(scenario([request("R1", submitted=D(2019, 11, 1))], deadline=D(2019, 11, 15)))
    assert approved(plan) == {"R1"}


def test_plan_unit_flagged(solve_data):
    # Unit u2 has unremedied findings (000 §1(五)): its request is refused; u1's is not.
    data = scenario(
        [
            request("FLAGGED", unit="u2", head="p2"),
            request("CLEAN", stops=[{"country": "AT", "days": 3, "tasks": tasks()}]),
        ],
        units=units(("u1", {}), ("u2", {"flagged": True})),
        people=people(("p1", "u1", {}), ("p2", "u2", {})),
    )
    plan = solve_data(data)
    assert approved(plan) == {"CLEAN"}
    assert reason_rules(plan, "FLAGGED") == ["PLAN-UNIT-FLAGGED"]


# ---- Frequency quotas -----------------------------------------------------------------


def _chief(history_year: int | None, foreign_economic: bool = False, **extra) -> dict:
    data = scenario(
        [request("R1")],
        units=units(("u1", {"foreign_economic": foreign_economic})),
        people=people(("p1", "u1", {"rank": "bureau_chief", "leadership": True})),
        **extra,
    )
    if history_year:
        data["history"] = [{"person": "p1", "start": D(history_year, 5, 3), "countries": ["FR"]}]
    return data


def test_freq_rank_bureau_chief_one_in_two_years(solve_data):
    # Bureau level: ≤1 in any 2 years (000 §1(二)). A trip in 2019 blocks 2020 (consecutive
    # start years); a trip in 2018 does not (2018 and 2020 are not consecutive).
    blocked = solve_data(_chief(2019))
    assert approved(blocked) == set()
    assert reason_rules(blocked, "R1") == ["FREQ-RANK"]
    assert "2019-05-03" in reason(blocked, "R1", "FREQ-RANK").message
    assert approved(solve_data(_chief(2018))) == {"R1"}


def test_freq_rank_foreign_economic_unit_one_a_year(solve_data):
    # 外经部门可1年1次: in a foreign_economic unit the same 2019 trip leaves 2020 free.
    assert approved(solve_data(_chief(2019, foreign_economic=True))) == {"R1"}


def test_freq_rank_exception_waives_and_is_listed(solve_data):
    # The principal leader's individual approval (000 §1(二)) waives the quota for R1:
    # approved despite the 2019 trip, and the plan lists the exception as used.
    data = _chief(2019, exceptions=[{"request": "R1", "rule": "FREQ-RANK", "note": "mayor"}])
    plan = solve_data(data)
    assert approved(plan) == {"R1"}
    assert [(e.request, e.rule) for e in plan.exceptions_used] == [("R1", "FREQ-RANK")]


def test_freq_rank_crowded_out_names_the_rival(solve_data):
    # A vice-provincial leader may go once a year: R1 (priority 5, worth 800) and R2
    # (priority 3, worth 500) cannot both go, so R1 is approved and R2 lost to R1.
    data = scenario(
        [
            request("R1", priority=5),
            request(
                "R2",
                window=[D(2020, 5, 1), D(2020, 5, 31)],
                stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
            ),
        ],
        people=people(("p1", "u1", {"rank": "vice_provincial", "leadership": True})),
    )
    plan = solve_data(data)
    assert approved(plan) == {"R1"}
    r = reason(plan, "R2", "FREQ-RANK")
    assert r.with_ == ("R1",) and r.kind == "crowded_out"


def test_freq_rank_vice_municipal_any_of(solve_data):
    # other vice-municipal leaders: ≤2 a term OR ≤1 in any 2 years (the text's 或).
    # Trips in 2018 and 2019 inside the term break both: rejected. A 2019 trip alone
    # breaks "1 in 2 years" but leaves "2 a term" (2019 + 2020 = 2): approved.
    def data(years: list[int]) -> dict:
        d = scenario(
            [request("R1")],
            people=people(
                (
                    "p1",
                    "u1",
                    {
                        "rank": "vice_municipal",
                        "leadership": True,
                        "term": [D(2018, 1, 1), D(2022, 12, 31)],
                    },
                )
            ),
        )
        d["history"] = [{"person": "p1", "start": D(y, 6, 1), "countries": ["FR"]} for y in years]
        return d

    assert approved(solve_data(data([2018, 2019]))) == set()
    assert approved(solve_data(data([2019]))) == {"R1"}


def test_freq_enterprise_multi_trip_approval(solve_data, tmp_path):
    # With FREQ-ENTERPRISE on (004 §3(五)1), an enterprise manager holding a multi-trip
    # approval may go twice in a year though the rank's quota is 1 a year; without the
    # approval only one of the two trips goes.
    name = policy_file(
        tmp_path,
        {
            "FREQ-RANK": {
                "severity": "hard",
                "params": {"quotas": {"manager": [{"count": 1, "window_years": 1}]}},
            },
            "FREQ-ENTERPRISE": {"severity": "hard"},
            "PERS-BUSY": {"severity": "hard"},
            "TIME-WINDOW": {"severity": "hard"},
        },
    )

    def data(flag: bool) -> dict:
        return scenario(
            [request("R1", priority=4), request("R2", window=[D(2020, 6, 1), D(2020, 6, 30)])],
            policy=name,
            units=units(("u1", {"level": "enterprise"})),
            people=people(("p1", "u1", {"rank": "manager", "multi_trip_approval": flag})),
        )

    assert approved(solve_data(data(True))) == {"R1", "R2"}
    assert approved(solve_data(data(False))) == {"R1"}


# ---- Geography ------------------------------------------------------------------------


def _two_stops(a: str, b: str) -> list[dict]:
    return [
        {"country": a, "days": 2, "tasks": tasks()},
        {"country": b, "days": 2, "tasks": tasks()},
    ]


def test_geo_one_continent(solve_data):
    # Germany and Japan lie on two continents: refused. Russia is in Europe (UN M49), so
    # Germany and Russia are one continent. Turkey is in Western Asia: with Germany, two.
    plan = solve_data(
        scenario(
            [
                request("DE-JP", stops=_two_stops("DE", "JP")),
                request(
                    "DE-RU", stops=_two_stops("DE", "RU"), window=[D(2020, 5, 1), D(2020, 5, 31)]
                ),
                request(
                    "DE-TR", stops=_two_stops("DE", "TR"), window=[D(2020, 7, 1), D(2020, 7, 31)]
                ),
            ]
        )
    )
    assert approved(plan) == {"DE-RU"}
    assert reason_rules(plan, "DE-JP") == ["GEO-ONE-CONTINENT"]
    assert reason_rules(plan, "DE-TR") == ["GEO-ONE-CONTINENT"]


def test_geo_max_countries_ninhbinh(solve_data):
    # Ninh Bình allows at most 3 countries a trip (002 II.1): four are refused, three pass.
    four = [{"country": c, "days": 1} for c in ("DE", "FR", "BE", "NL")]
    three = [{"country": c, "days": 1} for c in ("DE", "FR", "BE")]
    plan = solve_data(
        scenario(
            [
                request("FOUR", stops=four, window=[D(2021, 3, 1), D(2021, 3, 31)]),
                request("THREE", stops=three, window=[D(2021, 5, 1), D(2021, 5, 31)]),
            ],
            policy="ninhbinh-2021",
        )
    )
    assert approved(plan) == {"THREE"}
    assert reason_rules(plan, "FOUR") == ["GEO-MAX-COUNTRIES"]


def test_geo_controlled_region_is_a_cost(solve_data):
    # Africa is strictly controlled (000 §1(三)): soft(200) in changchun. Kenya's trip is
    # still worth more (500) than its cost, so it goes, and the cost is listed; the
    # German trip has no such cost.
    plan = solve_data(
        scenario(
            [
                request("KE", stops=[{"country": "KE", "days": 3, "tasks": tasks()}]),
                request("DE", window=[D(2020, 5, 1), D(2020, 5, 31)]),
            ]
        )
    )
    assert approved(plan) == {"KE", "DE"}
    controlled = [c for c in plan.costs if c.rule == "GEO-CONTROLLED-REGION"]
    assert [(c.request, c.cost) for c in controlled] == [("KE", 200)]


def test_geo_controlled_region_yearly_cap(solve_data, tmp_path):
    # A policy may set a hard yearly cap instead: max_trips 1 lets one of two African trips
    # go (the higher priority, KE), and Ethiopia's loses to it.
    name = policy_file(
        tmp_path,
        {
            "GEO-CONTROLLED-REGION": {"severity": "hard", "params": {"max_trips": 1}},
            "TIME-WINDOW": {"severity": "hard"},
        },
    )
    plan = solve_data(
        scenario(
            [
                request("KE", priority=4, stops=[{"country": "KE", "days": 3}]),
                request("ET", stops=[{"country": "ET", "days": 3}]),
            ],
            policy=name,
        )
    )
    assert approved(plan) == {"KE"}
    assert reason(plan, "ET", "GEO-CONTROLLED-REGION").with_ == ("KE",)


def test_geo_hotspot_cost(solve_data):
    # France is on changchun's hotspot list (soft 60 per stop); Austria is not.
    plan = solve_data(
        scenario(
            [
                request("FR", stops=[{"country": "FR", "days": 3, "tasks": tasks()}]),
                request(
                    "AT",
                    stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
                    window=[D(2020, 5, 1), D(2020, 5, 31)],
                ),
            ]
        )
    )
    assert approved(plan) == {"FR", "AT"}
    assert [(c.request, c.cost) for c in plan.costs if c.rule == "GEO-HOTSPOT"] == [("FR", 60)]


def _two_groups(
    window_b: list[dt.date], policy: str = "changchun-2020", mergeable: bool = False
) -> dict:
    # A (priority 4) and B (priority 3): two units, two heads, both to Germany for 3 days.
    # B is not mergeable unless asked: these tests are about the rule, not about merging.
    return scenario(
        [
            request("A", priority=4, window=[D(2020, 3, 1), D(2020, 3, 7)]),
            request("B", unit="u2", head="p2", window=window_b, mergeable=mergeable),
        ],
        policy=policy,
        units=units(("u1", {}), ("u2", {})),
        people=people(("p1", "u1", {}), ("p2", "u2", {})),
    )


def test_geo_same_country_binds(solve_data):
    # Both windows are 1-7 March; a trip of 5 days starts 1..3 March and stays in Germany
    # days 2..6, so the two stays always share a day. Only A (worth more) goes; B lost to A.
    plan = solve_data(_two_groups([D(2020, 3, 1), D(2020, 3, 7)]))
    assert approved(plan) == {"A"}
    r = reason(plan, "B", "GEO-SAME-COUNTRY")
    assert r.with_ == ("A",) and r.kind == "crowded_out"


def test_geo_same_country_free(solve_data):
    # B's window 6-20 March lets it start on the 6th, after A's stay (at latest 4-6 March
    # if A starts on the 3rd; the solver can start A on the 1st): both go, stays disjoint.
    plan = solve_data(_two_groups([D(2020, 3, 6), D(2020, 3, 20)]))
    assert approved(plan) == {"A", "B"}
    a, b = sorted(plan.delegations, key=lambda d: d.start)
    assert a.stops[0].end < b.stops[0].start


def test_geo_same_country_soft_in_ninhbinh(solve_data):
    # Ninh Bình makes it soft (150 a pair, "merge instead"): both groups go, at a cost.
    data = _two_groups([D(2021, 3, 1), D(2021, 3, 7)], policy="ninhbinh-2021")
    plan = solve_data(data)
    assert approved(plan) == {"A", "B"}
    assert [c.rule for c in plan.costs if c.rule == "GEO-SAME-COUNTRY"] == ["GEO-SAME-COUNTRY"]


def test_geo_holiday_moves_the_trip(solve_data):
    # Ninh Bình avoids host holidays (002 I.2, soft 15 a day). Ascension Day is 13 May
    # 2021 in Germany. With a window of 10-20 May the trip stays clear of it: no cost.
    free = solve_data(
        scenario([request("R1", window=[D(2021, 5, 10), D(2021, 5, 20)])], policy="ninhbinh-2021")
    )
    stop = free.delegations[0].stops[0]
    assert not stop.start <= D(2021, 5, 13) <= stop.end
    assert not [c for c in free.costs if c.rule == "GEO-HOLIDAY"]
    # A window of 12-16 May forces the stay onto 13-15 May: one holiday day, cost 15.
    bound = solve_data(
        scenario([request("R1", window=[D(2021, 5, 12), D(2021, 5, 16)])], policy="ninhbinh-2021")
    )
    holiday = [c for c in bound.costs if c.rule == "GEO-HOLIDAY"]
    assert [c.cost for c in holiday] == [15] and "Ascension" in holiday[0].message


def test_holiday_table_counts_every_start_day_by_day():
    # The table behind GEO-HOLIDAY's cost runs is counted from per-country running totals;
    # checked here against the host's holidays read day by day, for two stops (Germany,
    # then France two days later) and for starts whose stays run past 31 December, which
    # count only the year's own holidays.
    from models.holidays import public_holidays
    from solver.candidates import Candidate
    from solver.rules.geography import holiday_table

    year = 2021
    first = dt.date(year, 1, 1)
    for earliest, latest in ((120, 140), (350, 363), (0, 10)):
        trip = Candidate(
            id="T", requests=(), head="p", travellers=("p",), stops=(("DE", 4), ("FR", 3)),
            travel_days=0, earliest=earliest, latest=latest, offsets=(0, 6),
        )  # fmt: skip
        expected = []
        for start in range(earliest, latest + 1):
            days = [
                (code, first + dt.timedelta(start + off + k))
                for (code, n), off in zip(trip.stops, trip.offsets, strict=True)
                for k in range(n)
            ]
            expected.append(sum(day in public_holidays(code, year) for code, day in days))
        assert holiday_table(trip, year) == expected
        assert any(expected)  # each range meets a holiday: Ascension, Christmas, New Year


# ---- Personnel ------------------------------------------------------------------------


def test_pers_leadership(solve_data):
    # p1 and p2 both sit on u1's leadership team (000 §1(四)): they may not travel in one
    # group. With p2 on u2's team instead, the same group is fine.
    def data(unit_of_p2: str) -> dict:
        return scenario(
            [request("R1", members=["p2"])],
            units=units(("u1", {}), ("u2", {})),
            people=people(
                ("p1", "u1", {"leadership": True}), ("p2", unit_of_p2, {"leadership": True})
            ),
        )

    plan = solve_data(data("u1"))
    assert approved(plan) == set() and reason_rules(plan, "R1") == ["PERS-LEADERSHIP"]
    assert approved(solve_data(data("u2"))) == {"R1"}


def test_pers_unit_cap(solve_data):
    # At most 2 people of one unit in a group (000 §1(四)): p1, p2, p3 of u1 are 3.
    def data(unit_of_p3: str) -> dict:
        return scenario(
            [request("R1", members=["p2", "p3"])],
            units=units(("u1", {}), ("u2", {})),
            people=people(("p1", "u1", {}), ("p2", "u1", {}), ("p3", unit_of_p3, {})),
        )

    plan = solve_data(data("u1"))
    assert approved(plan) == set() and reason_rules(plan, "R1") == ["PERS-UNIT-CAP"]
    assert approved(solve_data(data("u2"))) == {"R1"}


def test_pers_size_by_head(solve_data):
    # Ninh Bình (002 II.1): ≤7 when a deputy leads, ≤10 when the agency's head leads.
    # A group of 8 (head and 7 members) is refused under a deputy and allowed under the head.
    def data(head_of_agency: bool) -> dict:
        crew = [(f"m{k}", "u1", {}) for k in range(7)]
        return scenario(
            [
                request(
                    "R1",
                    members=[f"m{k}" for k in range(7)],
                    window=[D(2021, 3, 1), D(2021, 3, 31)],
                )
            ],
            policy="ninhbinh-2021",
            people=people(("p1", "u1", {"head_of_agency": head_of_agency}), *crew),
        )

    plan = solve_data(data(False))
    assert approved(plan) == set() and reason_rules(plan, "R1") == ["PERS-SIZE"]
    assert approved(solve_data(data(True))) == {"R1"}


def test_pers_busy(solve_data):
    # p1 heads two trips to Germany and Austria. With both windows 1-7 March, two trips of
    # 5 days always share a day: only R1 (priority 4) goes. With R2 in 10-20 March, both go.
    def data(window2: list[dt.date]) -> dict:
        return scenario(
            [
                request("R1", priority=4, window=[D(2020, 3, 1), D(2020, 3, 7)]),
                request(
                    "R2", window=window2, stops=[{"country": "AT", "days": 3, "tasks": tasks()}]
                ),
            ]
        )

    plan = solve_data(data([D(2020, 3, 1), D(2020, 3, 7)]))
    assert approved(plan) == {"R1"}
    assert reason(plan, "R2", "PERS-BUSY").with_ == ("R1",)
    assert approved(solve_data(data([D(2020, 3, 10), D(2020, 3, 20)]))) == {"R1", "R2"}


def test_pers_relevant(solve_data):
    # Tasks name who does them: p3 has none, so p3 is unrelated to the trip (000 §1(四)).
    def data(by: list[str]) -> dict:
        return scenario(
            [
                request(
                    "R1",
                    members=["p2", "p3"],
                    stops=[{"country": "DE", "days": 3, "tasks": tasks(3, by=by)}],
                )
            ],
            units=units(("u1", {}), ("u2", {})),
            people=people(("p1", "u1", {}), ("p2", "u2", {}), ("p3", "u2", {})),
        )

    plan = solve_data(data(["p2"]))
    assert approved(plan) == set() and reason_rules(plan, "R1") == ["PERS-RELEVANT"]
    assert approved(solve_data(data(["p2", "p3"]))) == {"R1"}


def test_pers_dual_no_district_official_in_municipal_group(solve_data):
    # A municipal department's group takes no district official (000 §1(七)); the same
    # person in a district's own group is fine.
    def data(unit: str) -> dict:
        return scenario(
            [request("R1", unit=unit, members=["p2"])],
            units=units(("u1", {}), ("u2", {"level": "district"})),
            people=people(("p1", "u1", {}), ("p2", "u2", {"district_official": True})),
        )

    plan = solve_data(data("u1"))
    assert approved(plan) == set() and reason_rules(plan, "R1") == ["PERS-DUAL"]
    assert approved(solve_data(data("u2"))) == {"R1"}


def _training(
    days: int = 14, system_of_s2: str = "science", members: int = 1, budget: int | None = 500_000
) -> dict:
    unit_s1 = {"system": "science"} | ({"budget": budget} if budget is not None else {})
    return scenario(
        [
            request(
                "T1",
                unit="s1",
                kind="training",
                members=[f"m{k}" for k in range(members)],
                stops=[{"country": "DE", "days": days}],
                window=[D(2020, 3, 1), D(2020, 5, 31)],
            )
        ],
        policy="sichuan-training-2020",
        units=[
            {"id": "s1", "level": "province", **unit_s1},
            {"id": "s2", "level": "province", "system": system_of_s2, "budget": 500_000},
        ],
        people=people(("p1", "s1", {}), *[(f"m{k}", "s2", {}) for k in range(members)]),
    )


def test_pers_dual_training_one_system(solve_data):
    # A training group mixes units of one system only (001 §2(三)2).
    plan = solve_data(_training(system_of_s2="health"))
    assert approved(plan) == set() and reason_rules(plan, "T1") == ["PERS-DUAL"]
    assert approved(solve_data(_training(system_of_s2="science"))) == {"T1"}


def test_pers_size_training_twenty(solve_data):
    # A training group is at most 20 (001 §4(三)): head plus 20 trainees is 21.
    plan = solve_data(_training(members=20))
    assert approved(plan) == set() and reason_rules(plan, "T1") == ["PERS-SIZE"]
    assert approved(solve_data(_training(members=19))) == {"T1"}


# ---- Tasks and invitations --------------------------------------------------------------


def test_task_min(solve_data):
    # At least 3 tasks for each country (000 §1(五)): 2 are too few.
    plan = solve_data(
        scenario(
            [
                request("TWO", stops=[{"country": "DE", "days": 3, "tasks": tasks(2)}]),
                request("THREE", stops=[{"country": "AT", "days": 3, "tasks": tasks(3)}]),
            ]
        )
    )
    assert approved(plan) == {"THREE"}
    assert reason_rules(plan, "TWO") == ["TASK-MIN"]


def test_task_duplicate_cost(solve_data):
    # Two groups to Germany on the same theme repeat each other's tasks (soft 80): both
    # still go (each worth 500), and the pair is priced. On different themes: no cost.
    def data(theme_b: str) -> dict:
        d = _two_groups([D(2020, 5, 1), D(2020, 5, 31)])
        d["requests"][0]["stops"][0]["tasks"] = tasks(3, theme="investment")
        d["requests"][1]["stops"][0]["tasks"] = tasks(3, theme=theme_b)
        return d

    plan = solve_data(data("investment"))
    assert approved(plan) == {"A", "B"}
    assert [c.cost for c in plan.costs if c.rule == "TASK-DUPLICATE"] == [80]
    other = solve_data(data("tourism"))
    assert approved(other) == {"A", "B"}
    assert not [c for c in other.costs if c.rule == "TASK-DUPLICATE"]


def test_task_duplicate_counts_groups_beyond_the_first(solve_data):
    # Three groups of three units on investment in Germany at different times: two of them
    # repeat the first one's tasks, so 2 x 80, not a price per pair (3 x 80).
    d = scenario(
        [
            request("A", window=[D(2020, 3, 1), D(2020, 3, 10)]),
            request("B", unit="u2", head="p2", window=[D(2020, 5, 1), D(2020, 5, 10)]),
            request("C", unit="u3", head="p3", window=[D(2020, 7, 1), D(2020, 7, 10)]),
        ],
        units=units(("u1", {}), ("u2", {}), ("u3", {})),
        people=people(("p1", "u1", {}), ("p2", "u2", {}), ("p3", "u3", {})),
    )
    for r in d["requests"]:
        r["mergeable"] = False
        r["stops"][0]["tasks"] = tasks(3, theme="investment")
    plan = solve_data(d)
    assert approved(plan) == {"A", "B", "C"}
    costs = [c for c in plan.costs if c.rule == "TASK-DUPLICATE"]
    assert [c.cost for c in costs] == [160]
    assert costs[0].request == "B"  # the first repeat, in date order
    assert all(rid in costs[0].message for rid in "ABC")


def test_invite_required(solve_data):
    # A self-organised group brings the foreign side's invitation (000 §1(六)); a
    # composite group organised by the city does not need its own.
    plan = solve_data(
        scenario(
            [
                request("SELF", invitation=None),
                request(
                    "COMPOSITE",
                    kind="composite",
                    invitation=None,
                    stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
                ),
            ]
        )
    )
    assert approved(plan) == {"COMPOSITE"}
    assert reason_rules(plan, "SELF") == ["INVITE-REQUIRED"]


def test_invite_source(solve_data):
    # Invitations bought through an intermediary are refused (000 §1(六)).
    plan = solve_data(
        scenario(
            [
                request("AGENCY", invitation={"from": "X Consulting", "kind": "intermediary"}),
                request(
                    "UNI",
                    invitation={"from": "TU Wien", "kind": "university"},
                    stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
                ),
            ]
        )
    )
    assert approved(plan) == {"UNI"}
    assert reason_rules(plan, "AGENCY") == ["INVITE-SOURCE"]


# ---- Time -------------------------------------------------------------------------------


def test_time_window(solve_data):
    # A trip of 5 days does not fit in 1-4 March; in 1-5 March it must start on the 1st.
    plan = solve_data(
        scenario(
            [
                request("SHORT", window=[D(2020, 3, 1), D(2020, 3, 4)]),
                request(
                    "EXACT",
                    window=[D(2020, 3, 1), D(2020, 3, 5)],
                    stops=[{"country": "AT", "days": 3, "tasks": tasks()}],
                ),
            ]
        )
    )
    assert approved(plan) == {"EXACT"}
    assert reason_rules(plan, "SHORT") == ["TIME-WINDOW"]
    d = plan.delegations[0]
    assert (d.start, d.end) == (D(2020, 3, 1), D(2020, 3, 5))
    assert (d.stops[0].start, d.stops[0].end) == (D(2020, 3, 2), D(2020, 3, 4))


def test_time_per_country(solve_data):
    # Ninh Bình: ≤3 working days a country, ≤5 for a major event (002 II.1).
    plan = solve_data(
        scenario(
            [
                request(
                    "FOUR",
                    stops=[{"country": "DE", "days": 4}],
                    window=[D(2021, 3, 1), D(2021, 3, 31)],
                ),
                request(
                    "EVENT",
                    stops=[{"country": "AT", "days": 4, "event": True}],
                    window=[D(2021, 3, 1), D(2021, 3, 31)],
                ),
            ],
            policy="ninhbinh-2021",
        )
    )
    assert approved(plan) == {"EVENT"}
    assert reason_rules(plan, "FOUR") == ["TIME-PER-COUNTRY"]


def test_time_training(solve_data):
    # Training lasts 14 to 360 days of stops (001 §4(三)): 10 days is too short.
    plan = solve_data(_training(days=10))
    assert approved(plan) == set() and reason_rules(plan, "T1") == ["TIME-TRAINING"]
    assert approved(solve_data(_training(days=14))) == {"T1"}


# ---- Money --------------------------------------------------------------------------------


def test_budget_unit_crowds_out(solve_data):
    # u1's budget is 100,000; two requests of 60,000 cannot both go: R1 (priority 4) does,
    # and R2 lost to R1 on the budget. With 120,000 both go.
    def data(budget: int) -> dict:
        return scenario(
            [
                request("R1", priority=4, cost=60_000),
                request("R2", cost=60_000, window=[D(2020, 5, 1), D(2020, 5, 31)]),
            ],
            units=units(("u1", {"budget": budget})),
        )

    plan = solve_data(data(100_000))
    assert approved(plan) == {"R1"}
    r = reason(plan, "R2", "BUDGET-UNIT")
    assert r.with_ == ("R1",) and "100000" in r.message
    assert approved(solve_data(data(120_000))) == {"R1", "R2"}


def test_budget_unit_zero_and_absent(solve_data):
    # A budget of 0 sends no one (000 §1(八)): ineligible on its own.
    plan = solve_data(scenario([request("R1")], units=units(("u1", {"budget": 0}))))
    assert approved(plan) == set() and reason(plan, "R1", "BUDGET-UNIT").kind == "ineligible"
    # Sichuan: a unit without a budget may not apply (001 §4(一)); in changchun an absent
    # budget is not checked.
    assert approved(solve_data(_training(budget=None))) == set()
    no_budget = scenario([request("R1")], units=[{"id": "u1", "level": "municipal"}])
    assert approved(solve_data(no_budget)) == {"R1"}


def test_budget_total_zero_growth(solve_data):
    # Last year's total was 100,000 (000 §1(八) zero growth): two requests of 60,000 from
    # two units cannot both go; with 120,000 they can.
    def data(total: int) -> dict:
        d = _two_groups([D(2020, 5, 1), D(2020, 5, 31)])
        for r in d["requests"]:
            r["cost"] = 60_000
        d["last_year_total"] = total
        return d

    plan = solve_data(data(100_000))
    assert approved(plan) == {"A"}
    assert reason(plan, "B", "BUDGET-TOTAL").with_ == ("A",)
    assert approved(solve_data(data(120_000))) == {"A", "B"}


# ---- Composite delegations ------------------------------------------------------------


def test_merge_catalogue_bounds_groups(solve_data):
    # The catalogue item 'investment' allows 1 group (000 annex 2): of two lone requests
    # of the item, one (A, priority 4) goes. With 2 groups, both go.
    def data(groups: int) -> dict:
        d = _two_groups([D(2020, 5, 1), D(2020, 5, 31)])
        for r in d["requests"]:
            r["catalogue"] = "investment"
        d["catalogue"] = [{"id": "investment", "title": "招商团组", "groups": groups}]
        return d

    plan = solve_data(data(1))
    assert approved(plan) == {"A"}
    assert reason(plan, "B", "MERGE-CATALOGUE").with_ == ("A",)
    assert approved(solve_data(data(2))) == {"A", "B"}


def test_every_rule_of_rules_md_is_in_the_registry():
    # RULES.md is the spec: every id in its tables has an entry in the solver's registry,
    # the auditor's catalogue, and every built-in profile.
    from pathlib import Path

    from models.catalogue import rule_catalogue
    from models.policy import BUILTIN_PROFILES, builtin_policy
    from solver.rules import RULES_BY_ID

    spec = Path(__file__).resolve().parents[2] / "shared" / "RULES.md"
    ids = set(rule_catalogue())
    if spec.exists():
        import re

        ids_in_spec = set(re.findall(r"^\| ([A-Z]+(?:-[A-Z]+)*) \|", spec.read_text(), re.M))
        assert ids_in_spec == ids
    assert set(RULES_BY_ID) == ids
    for profile in BUILTIN_PROFILES:
        assert set(builtin_policy(profile).rules) == ids, profile


def test_policy_copy_can_be_edited(solve_data, tmp_path):
    # A planner copies a profile, edits it, and points the scenario at the copy: here
    # TASK-MIN drops to 2, so a request with 2 tasks a country goes.
    import yaml

    from models.policy import builtin_policy_path

    raw = yaml.safe_load(builtin_policy_path("changchun-2020").read_text(encoding="utf-8"))
    raw["rules"]["TASK-MIN"]["params"]["min"] = 2
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    data = scenario(
        [request("TWO", stops=[{"country": "DE", "days": 3, "tasks": tasks(2)}])],
        policy="mine.yaml",
    )
    write(tmp_path, data)
    assert approved(solve_data(data)) == {"TWO"}


def test_merge_respects_mergeable_false(tmp_path):
    # RULES.md, MERGE: requests with `mergeable: false` are never merged. The screening
    # removes a composite candidate holding one; the lone candidates stay. (Choosing
    # merges is issue 4; this is the guard every merged candidate passes.)
    from models.loading import load_scenario
    from solver.candidates import make_candidate, singletons
    from solver.rules import Context
    from solver.screening import screen

    data = _two_groups([D(2020, 3, 1), D(2020, 3, 31)])
    data["requests"][1]["mergeable"] = False
    loaded = load_scenario(write(tmp_path, data))
    s = loaded.scenario
    pair = make_candidate(s, s.requests)
    assert pair.travellers == ("p1", "p2") and pair.stops == (("DE", 3),)
    screened = screen([*singletons(s), pair], Context(s, loaded.policy))
    assert [f.rule for f in screened.removed[pair.id]] == ["MERGE"]
    assert {c.id for c in screened.kept} == {"A", "B"}
    data["requests"][1]["mergeable"] = True
    loaded = load_scenario(write(tmp_path, data))
    s = loaded.scenario
    assert (
        make_candidate(s, s.requests).id
        not in screen([make_candidate(s, s.requests)], Context(s, loaded.policy)).removed
    )
