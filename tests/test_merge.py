"""Composite delegations (issue 4): which requests merge, and that merging is chosen when
it raises the objective. Every plan here has passed the auditor (conftest.solve_data),
which checks a composite delegation under the same rules as any other."""

from __future__ import annotations

import datetime as dt

from models.loading import load_scenario
from solver.merge import compatibility_graph
from tests.conftest import approved, count_forked_runs, request, scenario, write

D = dt.date
WINDOW = [D(2020, 3, 1), D(2020, 3, 7)]  # one 5-day trip, Germany on days 2-4 of it


def _people(*specs):
    return [{"id": pid, "unit": unit, "rank": "staff", **extra} for pid, unit, extra in specs]


def _units(*ids):
    return [{"id": uid, "level": "municipal", "budget": 1_000_000} for uid in ids]


def _pair(**b_over) -> dict:
    return scenario(
        [
            request("A", priority=4, window=WINDOW),
            request("B", **{"unit": "u2", "head": "p2", "window": WINDOW, **b_over}),
        ],
        units=_units("u1", "u2"),
        people=_people(("p1", "u1", {}), ("p2", "u2", {})),
    )


def test_two_groups_that_fit_only_merged_travel_together(solve_data):
    # Apart, the two stays in Germany always share a day (GEO-SAME-COUNTRY): one would be
    # rejected. Merged, they are one group: both approved in one delegation headed by A's
    # head (same rank; A has the higher priority), B's head a member.
    plan = solve_data(_pair())
    assert approved(plan) == {"A", "B"}
    assert len(plan.delegations) == 1
    d = plan.delegations[0]
    assert d.requests == ("A", "B") and d.head == "p1" and d.members == ("p2",)
    assert d.savings is not None
    assert (d.savings.delegations, d.savings.travel_days, d.savings.cost) == (1, 2, 0)
    assert {x.delegation for x in plan.decisions} == {d.id}


def test_a_merge_that_breaks_leadership_is_never_made(solve_data):
    # Both heads sit on u1's leadership team (PERS-LEADERSHIP): merged they would break
    # it, so no composite is formed and B loses to A, as without merging.
    data = scenario(
        [
            request("A", priority=4, window=WINDOW),
            request("B", head="p2", window=WINDOW),
        ],
        people=_people(("p1", "u1", {"leadership": True}), ("p2", "u1", {"leadership": True})),
    )
    plan = solve_data(data)
    assert approved(plan) == {"A"}
    assert [r.rule for r in plan.decision("B").reasons] == ["GEO-SAME-COUNTRY"]


def test_a_merge_over_the_size_cap_is_never_made(solve_data):
    # Ninh Bình: a deputy-led group takes at most 7 (PERS-SIZE). Four and four make eight.
    staff_a = [f"a{k}" for k in range(3)]
    staff_b = [f"b{k}" for k in range(3)]
    people = _people(
        ("p1", "u1", {}),
        ("p2", "u2", {}),
        *((x, "u1", {}) for x in staff_a),
        *((x, "u2", {}) for x in staff_b),
    )
    window = [D(2021, 3, 1), D(2021, 3, 7)]
    data = scenario(
        [
            request("A", priority=4, members=staff_a, window=window),
            request("B", unit="u2", head="p2", members=staff_b, window=window),
        ],
        policy="ninhbinh-2021",
        units=[{"id": "u1", "level": "province"}, {"id": "u2", "level": "province"}],
        people=people,
    )
    plan = solve_data(data)
    # soft GEO-SAME-COUNTRY in Ninh Binh: both go, apart, at a cost; never together
    assert approved(plan) == {"A", "B"}
    assert all(len(d.requests) == 1 for d in plan.delegations)


def test_ninhbinh_merges_instead_of_paying_for_two_groups_in_one_country(solve_data):
    # Ninh Bình prices two groups in one country at once (150, "merge instead"); merged,
    # there is one group and no cost.
    window = [D(2021, 3, 1), D(2021, 3, 7)]
    data = scenario(
        [
            request("A", priority=4, window=window),
            request("B", unit="u2", head="p2", window=window),
        ],
        policy="ninhbinh-2021",
        units=[{"id": "u1", "level": "province"}, {"id": "u2", "level": "province"}],
        people=_people(("p1", "u1", {}), ("p2", "u2", {})),
    )
    plan = solve_data(data)
    assert [d.requests for d in plan.delegations] == [("A", "B")]
    assert not [c for c in plan.costs if c.rule == "GEO-SAME-COUNTRY"]


def test_catalogue_items_never_mix_and_one_item_counts_once(solve_data):
    # Items never mix: A (c1) and B (c2) do not merge, so one of them loses Germany.
    catalogue = [{"id": "c1", "groups": 1}, {"id": "c2", "groups": 1}]
    mixed = _pair(catalogue="c2")
    mixed["requests"][0]["catalogue"] = "c1"
    mixed["catalogue"] = catalogue
    plan = solve_data(mixed)
    assert approved(plan) == {"A"}
    # One item of one group: apart, only one delegation of c1 may form; merged, the
    # two requests are that one delegation (MERGE-CATALOGUE counts delegations).
    same = _pair(catalogue="c1", window=[D(2020, 3, 1), D(2020, 3, 31)])
    same["requests"][0]["catalogue"] = "c1"
    same["catalogue"] = catalogue
    plan = solve_data(same)
    assert approved(plan) == {"A", "B"}
    assert [d.requests for d in plan.delegations] == [("A", "B")]


def test_compatibility_graph_names_the_rule_that_stops_a_merge(tmp_path):
    data = scenario(
        [
            request("A", window=WINDOW),
            request("B", head="p2", window=WINDOW),  # same unit, both leaders: refused
            request("C", unit="u2", head="p3", window=WINDOW),  # compatible with A and B
            request("D", unit="u2", head="p3", window=[D(2020, 6, 1), D(2020, 6, 30)]),
        ],
        units=_units("u1", "u2"),
        people=_people(
            ("p1", "u1", {"leadership": True}),
            ("p2", "u1", {"leadership": True}),
            ("p3", "u2", {}),
        ),
    )
    loaded = load_scenario(write(tmp_path, data))
    s = loaded.scenario
    graph, refused = compatibility_graph(s, loaded.policy, s.requests)
    assert sorted(tuple(sorted(e)) for e in graph.edges) == [("A", "C"), ("B", "C")]
    assert [(r.requests, r.finding.rule) for r in refused] == [(("A", "B"), "PERS-LEADERSHIP")]


def test_four_groups_that_fit_only_as_one_delegation(solve_data):
    # Four units' groups to Germany in one week: apart, only one could go. The merged
    # delegation of all four is a clique of the graph and is offered (groups of up to 4).
    ids = ["A", "B", "C", "D"]
    data = scenario(
        [
            request(rid, unit=f"u{k}", head=f"p{k}", window=WINDOW)
            for k, rid in enumerate(ids, start=1)
        ],
        units=_units("u1", "u2", "u3", "u4"),
        people=_people(*((f"p{k}", f"u{k}", {}) for k in range(1, 5))),
    )
    plan = solve_data(data)
    assert approved(plan) == set(ids)
    assert [d.requests for d in plan.delegations] == [tuple(ids)]
    assert plan.delegations[0].savings.delegations == 3


def test_a_merge_that_costs_more_is_refused_with_its_estimate(tmp_path):
    # B goes to Germany for 3 days at 1,000; A spends 9 days in France and Germany at
    # 1,000. Merged, B's traveller would ride the 9-day trip: more than the two apart.
    data = _pair(cost=1000)
    data["requests"][0]["stops"] = [
        {"country": "FR", "days": 6, "tasks": data["requests"][0]["stops"][0]["tasks"]},
        {"country": "DE", "days": 3, "tasks": data["requests"][0]["stops"][0]["tasks"]},
    ]
    data["requests"][0]["window"] = [D(2020, 3, 1), D(2020, 3, 20)]
    data["requests"][1]["window"] = [D(2020, 3, 1), D(2020, 3, 20)]
    data["requests"][1]["members"] = ["p3", "p4"]
    data["people"] += _people(("p3", "u2", {}), ("p4", "u3", {}))
    data["units"] += _units("u3")
    loaded = load_scenario(write(tmp_path, data))
    graph, refused = compatibility_graph(loaded.scenario, loaded.policy, loaded.scenario.requests)
    assert not graph.has_edge("A", "B")
    assert [(r.requests, r.finding.rule) for r in refused] == [(("A", "B"), "MERGE")]
    assert "more than the two apart" in refused[0].finding.message


def _continent_groups(loaded) -> list[list]:
    from solver.merge import _continents

    groups: dict[str, list] = {}
    for r in loaded.scenario.requests:
        continents = _continents(r)
        if r.mergeable and len(continents) == 1:
            groups.setdefault(next(iter(continents)), []).append(r)
    return list(groups.values())


def _pairs_by_dictionary(group: list, tries: int | None) -> list[tuple[str, str]]:
    """The similar pairs as they were first written: a dictionary of pair counts, sorted."""
    from collections import defaultdict
    from itertools import combinations

    keys: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, r in enumerate(group):
        for code in r.countries:
            keys[("country", code)].append(k)
        for theme in dict.fromkeys(r.themes):
            keys[("theme", theme)].append(k)
    affinity: dict[tuple[int, int], int] = defaultdict(int)
    for members in keys.values():
        for i, j in combinations(members, 2):
            affinity[(i, j)] += 1
    apart = lambda a, b: a.window[1] < b.window[0] or b.window[1] < a.window[0]  # noqa: E731
    pairs = [ij for ij in affinity if not apart(group[ij[0]], group[ij[1]])]
    pairs.sort(key=None if tries is None else (lambda ij: (-affinity[ij], ij)))
    tried: dict[int, int] = defaultdict(int)
    kept = []
    for i, j in pairs:
        if tries is not None and (tried[i] >= tries or tried[j] >= tries):
            continue
        tried[i] += 1
        tried[j] += 1
        kept.append((group[i].id, group[j].id))
    return kept


def test_similar_pairs_are_the_dictionarys_in_its_order(tmp_path) -> None:
    # counted in arrays for speed (20,000 requests: 32 s -> 3.5 s), they must be the very
    # pairs, in the very order, a plain count gives: the order decides which pairs a
    # bounded check keeps, and so the model
    from delegplan.generate import synthetic
    from solver.merge import TRIES, _similar_pairs

    loaded = load_scenario(write(tmp_path, synthetic(600, 2), "generated.yaml"))
    groups = _continent_groups(loaded)
    assert sum(len(g) for g in groups) > 400
    for tries in (None, TRIES, 2):
        for group in groups:
            mine = [(a.id, b.id) for a, b in _similar_pairs(group, tries)]
            assert mine == _pairs_by_dictionary(group, tries)
    # the bound binds here: fewer pairs with it
    assert sum(len(_pairs_by_dictionary(g, 2)) for g in groups) < sum(
        len(_pairs_by_dictionary(g, None)) for g in groups
    )


def test_the_hard_screen_names_the_first_hard_finding_of_every_rule_read(tmp_path) -> None:
    from delegplan.generate import synthetic
    from scenarios import bundled_path
    from solver.candidates import make_candidate
    from solver.merge import _similar_pairs
    from solver.rules import Context
    from solver.screening import HardScreen, static_findings

    generated = load_scenario(write(tmp_path, synthetic(300, 4), "generated.yaml"))
    refused = passed = 0
    bundled = [load_scenario(bundled_path(name)) for name in ("changchun-2020", "ninhbinh-2021")]
    for loaded in (generated, *bundled):
        ctx = Context(loaded.scenario, loaded.policy)
        hard = HardScreen(ctx)
        for group in _continent_groups(loaded):
            for a, b in _similar_pairs(group, None):
                merged = make_candidate(loaded.scenario, (a, b), True)
                every = static_findings(merged, ctx)[0]
                assert hard.first(merged) == (every[0] if every else None)
                refused, passed = refused + bool(every), passed + (not every)
    assert refused > 100 and passed > 10


def test_pairs_checked_by_worker_processes_make_the_same_graph(tmp_path, monkeypatch) -> None:
    # at 20,000 requests the pairs' checks are shared out to forked workers (29-31 s -> 22 s
    # on two cores); the graph, its edges' order and every refusal must not change
    import solver.merge as merge
    from delegplan.generate import synthetic

    loaded = load_scenario(write(tmp_path, synthetic(600, 2), "generated.yaml"))
    s, p = loaded.scenario, loaded.policy

    def described(graph, refused):
        edges = [(a, b, sorted(data.items())) for a, b, data in graph.edges(data=True)]
        refusals = [(r.requests, r.finding.rule, str(r.finding.text)) for r in refused]
        return list(graph.nodes), edges, refusals

    alone = described(*compatibility_graph(s, p, s.requests, tries=merge.TRIES))
    ran = count_forked_runs(monkeypatch, merge, "forked_map")
    monkeypatch.setattr(merge, "PARALLEL_FROM", 1)
    monkeypatch.setattr(merge, "BATCH", 37)  # many batches, the last one short
    shared = described(*compatibility_graph(s, p, s.requests, tries=merge.TRIES, workers=2))
    assert ran == [True]
    assert len(alone[1]) > 20 and len(alone[2]) > 500  # both kinds of answer came back
    assert shared == alone
