"""The small models behind explanations and repairs (``solver.local``) hold only the trips
that can stand in a request's way; leaving out the others must change no answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

import solver.local as local_module
from delegplan.generate import synthetic
from models.loading import load_scenario
from solver.candidates import Placed, day_number, singletons
from solver.greedy import first_come
from solver.local import (
    TripIndex,
    Undecided,
    find_conflict,
    find_conflicts,
    fit,
    neighbours,
)
from tests.conftest import D, gap_policy, request, scenario, tasks, write


@pytest.mark.parametrize("gap", [0, 5])
def test_a_country_ties_trips_only_on_dates_their_stays_can_meet(tmp_path, gap: int) -> None:
    # F may go to Germany any time in March. Other units' trips: M (Germany, 10 March)
    # can clash; S (Germany, September) cannot; E (Germany, late February) only
    # within a 5-day gap. Y is F's own head's trip in September: a traveller's rules
    # (quotas) add up over the year, so it is tied whatever its dates.
    units = [
        {"id": f"u{k}", "name": f"Unit {k}", "level": "municipal", "budget": 10**6}
        for k in (1, 2, 3, 4)
    ]
    people = [{"id": f"p{k}", "unit": f"u{k}", "rank": "staff"} for k in (1, 2, 3, 4)]
    september = [D(2020, 9, 1), D(2020, 9, 30)]
    data = scenario(
        [
            request("F"),
            request("M", unit="u2", head="p2"),
            request("S", unit="u3", head="p3", window=september),
            request("E", unit="u4", head="p4", window=[D(2020, 2, 1), D(2020, 2, 29)]),
            request("Y", window=september, stops=[{"country": "FR", "days": 3, "tasks": []}]),
        ],
        units=units,
        people=people,
        policy=gap_policy(tmp_path, gap),
    )
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    by_id = {c.id: c for c in singletons(s)}
    f, e = by_id["F"], by_id["E"]
    # E on its last start: its stay in Germany leaves 2 free days before F's first one
    e_start = e.latest
    e_end = e_start + sum(e.country_span("DE"))
    assert f.earliest + f.country_span("DE")[0] - e_end == 2
    placed = [
        Placed(by_id["M"], day_number(2020, D(2020, 3, 10))),
        Placed(by_id["S"], day_number(2020, D(2020, 9, 10))),
        Placed(e, e_start),
        Placed(by_id["Y"], day_number(2020, D(2020, 9, 10))),
    ]
    tied = {t.id for t in neighbours([f], placed, s, p)}
    assert tied == ({"M", "Y", "E"} if gap == 5 else {"M", "Y"})


def _clerk_and_rejected(tmp_path, data: dict, count: int) -> tuple:
    """The scenario, its policy, the clerk's plan of it and the first ``count`` requests
    that plan rejects."""
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    eligible = [c for c in singletons(s) if c.feasible_window]
    placed = first_come(s, p, eligible)
    taken = {t.id for t in placed}
    rejected = [c for c in eligible if c.id not in taken][:count]
    assert len(rejected) == count
    return s, p, placed, rejected


def _crowded(tmp_path, count: int, gap: int | None = 3) -> tuple:
    """A generated scenario on four full calendars (every stop in Germany, France,
    Italy or Spain, so that GEO-SAME-COUNTRY keeps requests out: in the generated
    spread it hardly does), with ``gap`` days between two groups in one country
    (None: the profile's), the clerk's plan of it and ``count`` requests it rejects."""
    data = synthetic(150, seed=5)
    for i, r in enumerate(data["requests"]):
        for j, stop in enumerate(r["stops"]):
            stop["country"] = ("DE", "FR", "IT", "ES")[(i + j) % 4]
            stop.pop("city", None)
    if gap is not None:
        data["policy"] = gap_policy(tmp_path, gap)
    return _clerk_and_rejected(tmp_path, data, count)


def test_leaving_far_trips_out_changes_no_answer(tmp_path, monkeypatch) -> None:
    """On a generated plan with a gap between groups, each rejected request's answers
    with the date-aware neighbours equal those with every trip sharing a key."""
    s, p, placed, rejected = _crowded(tmp_path, 16)

    def every_key(
        focus, placed_trips, scenario_, policy_, index=None, movers=(), aside=()
    ) -> list[Placed]:
        """The neighbours before: every trip sharing a key, whatever its dates."""
        keys = frozenset().union(*(x.keys for x in (*focus, *movers)))
        ids = {x.id for x in (*focus, *movers)} | set(aside)
        return [
            t for t in placed_trips if t.id not in ids and not keys.isdisjoint(t.candidate.keys)
        ]

    def answers() -> list[tuple]:
        out = []
        for c in rejected:
            where = fit(s, p, c, placed)
            conflict = find_conflict(s, p, c, placed)
            # the same trips free to move or go either way: only the pinned ones differ
            around = {t.id for t in every_key([c], placed, s, p)}
            room = fit(s, p, c, placed, free=around, optional=around)
            out.append(
                (
                    where is None,
                    conflict is None,
                    None if room is None else (len(room.rejected), len(room.moved)),
                )
            )
        return out

    dated = answers()
    sizes = [len(neighbours([c], placed, s, p)) for c in rejected]

    monkeypatch.setattr(local_module, "neighbours", every_key)
    whole = [len(every_key([c], placed, s, p)) for c in rejected]
    # the models are smaller (else this test proves nothing) and every answer the same
    assert sum(sizes) < sum(whole)
    assert dated == answers()
    assert any(kept_out for kept_out, _, _ in dated)  # some requests fit nowhere pinned


def test_trips_that_make_room_tie_only_through_travellers_and_countries(
    tmp_path, monkeypatch
) -> None:
    """A trip free to move or go for a request keeps its unit's spending and its catalogue
    item's count where the plan had them or lowers them, so the trips tied to it only
    through those stay out of the room-making model; with tight budgets each answer is
    as good as with them in (the same rejections, moves and days)."""
    data = synthetic(300, seed=7)
    data["policy"] = gap_policy(tmp_path, 4)
    staff = {}
    for person in data["people"]:
        if person["rank"] == "staff":
            staff.setdefault(person["unit"], person["id"])
    for i, r in enumerate(data["requests"]):
        # full calendars: four countries, and one traveller of each unit in half the groups
        for j, stop in enumerate(r["stops"]):
            stop["country"] = ("DE", "FR", "IT", "ES")[(i + j) % 4]
            stop.pop("city", None)
        if i % 2 and r["head"] != staff[r["unit"]]:
            r["members"] = [staff[r["unit"]]]
    spend: dict[str, int] = {}
    for r in data["requests"]:
        spend[r["unit"]] = spend.get(r["unit"], 0) + r.get("cost", 0)
    for u in data["units"]:  # half of what each unit asks: its budget binds
        u["budget"] = spend.get(u["id"], 0) // 2
    s, p, placed, rejected = _clerk_and_rejected(tmp_path, data, 30)
    spent: dict[str, int] = {}
    for t in placed:
        for r in t.candidate.requests:
            spent[r.unit] = spent.get(r.unit, 0) + r.cost
    budget = {u.id: u.budget for u in s.units}
    # some of them are over their unit's budget beside the plan: the budgets bind
    assert any(spent.get(r.unit, 0) + r.cost > budget[r.unit] for c in rejected for r in c.requests)
    index = TripIndex(placed)
    plain = local_module.neighbours

    def answers() -> list[tuple]:
        out = []
        for c in rejected:
            around = {t.id for t in plain([c], placed, s, p)}
            room = fit(s, p, c, placed, free=around, optional=around, index=index)
            if room is None:
                out.append(None)
                continue
            days = sum(abs(new - old) for old, new in room.moved.values())
            out.append((len(room.rejected), len(room.moved), days))
        return out

    sizes: list[int] = []

    def counted(*args, **kw) -> list[Placed]:
        found = plain(*args, **kw)
        sizes.append(len(found))
        return found

    monkeypatch.setattr(local_module, "neighbours", counted)
    lean = answers()
    lean_sizes, sizes[:] = sizes[:], []

    def movers_as_focus(focus, placed_trips, scenario_, policy_, index=None, movers=(), aside=()):
        """The room-making model before: every mover's keys as a request's."""
        found = plain([*focus, *movers], placed_trips, scenario_, policy_, index, aside=aside)
        sizes.append(len(found))
        return found

    monkeypatch.setattr(local_module, "neighbours", movers_as_focus)
    assert answers() == lean
    # the lean models are smaller (else this proves nothing), and some need room made
    assert sum(lean_sizes) < sum(sizes)
    assert any(a is not None and a[0] + a[1] > 0 for a in lean)


def test_the_rules_a_mover_skips_are_date_free_caps_on_forms() -> None:
    """``neighbours`` leaves out the trips tied to a mover only by its unit or catalogue
    item, because every rule posted on those keys caps a sum of forms that no date
    changes. A rule posted anew, or one that starts to link dates, must be read against
    that argument before this list is changed."""
    from solver.rules import REGISTRY

    assert {r.id for r in REGISTRY if r.post} == {
        "FREQ-RANK",  # per person: movers keep their travellers' ties
        "GEO-CONTROLLED-REGION",  # whole plan: counted for the request alone
        "GEO-SAME-COUNTRY",  # per country, dated: movers keep their countries' ties
        "GEO-HOLIDAY",  # soft: not posted in the small models
        "PERS-BUSY",  # per person, dated
        "TASK-DUPLICATE",  # soft
        "BUDGET-UNIT",  # per unit: a cap on a sum of forms
        "BUDGET-TOTAL",  # whole plan: counted for the request alone
        "MERGE-CATALOGUE",  # per item: a cap on a count of forms
    }
    assert {r.id for r in REGISTRY if r.links_dates} == {"GEO-SAME-COUNTRY", "PERS-BUSY"}


def test_a_trip_that_makes_room_keeps_its_travellers_busy_days(tmp_path) -> None:
    """M blocks F's one start. M's head p2 is away on every other day M could take, so M
    can only go; Z, p2's unit's trip in Japan, ties to M through the unit's budget alone
    and stays out of the model."""
    units = [
        {"id": f"u{k}", "name": f"Unit {k}", "level": "municipal", "budget": 10**6} for k in (1, 2)
    ]
    people = [
        {"id": "p1", "unit": "u1", "rank": "staff"},
        {"id": "p2", "unit": "u2", "rank": "staff"},
        {"id": "p3", "unit": "u2", "rank": "staff"},
    ]

    def away(rid: str, first: dt.date, last: dt.date, days: int, **over) -> dict:
        stops = [{"country": "AT", "days": days, "tasks": tasks()}]
        return request(rid, unit="u2", head="p2", window=[first, last], stops=stops, **over)

    data = scenario(
        [
            request("F", window=[D(2020, 3, 10), D(2020, 3, 14)]),  # one start: 10 March
            request("M", unit="u2", head="p2", window=[D(2020, 3, 1), D(2020, 4, 30)]),
            away("Q1", D(2020, 3, 1), D(2020, 3, 9), 7),  # 1-9 March
            away("Q2", D(2020, 3, 15), D(2020, 4, 30), 45),  # 15 March-30 April
            request(
                "Z",
                unit="u2",
                head="p3",
                window=[D(2020, 9, 1), D(2020, 9, 30)],
                stops=[{"country": "JP", "days": 3, "tasks": tasks()}],
            ),
        ],
        units=units,
        people=people,
    )
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    by_id = {c.id: c for c in singletons(s)}
    f, m = by_id["F"], by_id["M"]
    placed = [
        Placed(m, f.earliest),
        *(Placed(by_id[q], by_id[q].earliest) for q in ("Q1", "Q2", "Z")),
    ]
    assert by_id["Q1"].earliest == by_id["Q1"].latest and by_id["Q2"].earliest == by_id["Q2"].latest
    assert [t.id for t in neighbours([f], placed, s, p)] == ["M"]
    assert [t.id for t in neighbours([f], placed, s, p, movers=[m])] == ["Q1", "Q2"]
    room = fit(s, p, f, placed, free={"M"}, optional={"M"})
    assert room is not None and [t.id for t in room.rejected] == ["M"] and room.moved == {}
    # with Q2 gone, M moves instead
    moved = fit(s, p, f, placed[:2] + placed[3:], free={"M"}, optional={"M"})
    assert moved is not None and moved.rejected == () and set(moved.moved) == {"M"}


def test_the_plan_index_gives_the_same_neighbours_and_answers(tmp_path) -> None:
    """``TripIndex`` looks only at trips that share a key or a stay's dates with the
    request; the neighbours, conflicts and fits must be those of going through every trip,
    for the plan's own list, for a part of it in order, and for lists it does not know."""
    data = synthetic(300, seed=7)
    data["policy"] = gap_policy(tmp_path, 4)  # a gap, so that stays near a date matter
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    eligible = [c for c in singletons(s) if c.feasible_window]
    placed = first_come(s, p, eligible)
    taken = {t.id for t in placed}
    rejected = [c for c in eligible if c.id not in taken]
    assert len(placed) > 100 and len(rejected) > 40
    index = TripIndex(placed)
    part = [t for k, t in enumerate(placed) if k % 3]  # the plan less some trips, in order
    moved = [replace(t, start=t.start + 1) if k % 5 == 0 else t for k, t in enumerate(placed)]
    assert index.part(placed) is not None and index.part(part) is not None
    # not the indexed trips, or not in their order: looked through one by one
    assert index.part(moved) is None and index.part(placed[::-1]) is None
    # a trip left out of the part is not one of its trips, even by its id
    assert index.with_ids([placed[0].id, placed[1].id], index.part(part)) == [placed[1]]

    tied = 0
    for c in rejected:
        for trips in (placed, part, moved, placed[::-1]):
            alone = neighbours([c], trips, s, p)
            assert neighbours([c], trips, s, p, index) == alone
            tied += len(alone)
        rival = neighbours([c], placed, s, p)[:1]
        pair = [c, *(t.candidate for t in rival)]
        assert neighbours(pair, placed, s, p, index) == neighbours(pair, placed, s, p)
    assert tied > 0

    def answers(c, with_index: bool) -> tuple:
        kw = {"index": index} if with_index else {}
        conflicts = find_conflicts(s, p, c, placed, **kw)
        around = {t.id for t in neighbours([c], placed, s, p)}
        room = fit(s, p, c, placed, free=around, optional=around, **kw)
        return (
            [([t.id for t in x.rivals], x.rules) for x in conflicts],
            None if room is None else (room.start, room.moved, [t.id for t in room.rejected]),
        )

    for c in rejected[:12]:
        assert answers(c, True) == answers(c, False)


def test_a_conflict_on_a_wrong_core_is_solved_again_not_told(tmp_path, monkeypatch) -> None:
    """CP-SAT names the assumptions that suffice for a small model's infeasibility, and
    the conflict search shrinks to them without solving that part on its own, so the
    final set is solved once more before it is told. Here the solver names one item of
    each core, wrongly: no request whose conflict has more than one trip or rule may be
    told that one of them alone keeps it out."""
    s, p, placed, rejected = _crowded(tmp_path, 16, gap=None)
    honest = [find_conflict(s, p, c, placed) for c in rejected]
    kept_out = [
        c for c, x in zip(rejected, honest, strict=True) if x and len(x.rivals) + len(x.rules) > 1
    ]
    assert len(kept_out) >= 5

    real = local_module._solver

    def lying() -> cp_model.CpSolver:
        solver = real()
        named = solver.sufficient_assumptions_for_infeasibility
        solver.sufficient_assumptions_for_infeasibility = lambda: named()[:1]
        return solver

    monkeypatch.setattr(local_module, "_solver", lying)
    for c in kept_out:
        with pytest.raises(Undecided):
            find_conflict(s, p, c, placed)


def test_later_conflicts_are_those_of_the_plan_without_the_earlier_rivals(tmp_path) -> None:
    """``find_conflicts`` asks one model for every conflict, the rivals of the ones found
    assumed out; each must be the conflict a model of the plan without them gives (the
    way it was found before: one model per conflict, the plan's list shortened)."""
    s, p, placed, rejected = _crowded(tmp_path, 24)

    def one_model_per_conflict(c) -> list:
        rest, out = list(placed), []
        while len(out) < 3:
            conflict = find_conflict(s, p, c, rest)
            if conflict is None:
                break
            out.append(conflict)
            if not conflict.rivals:
                break
            gone = {t.id for t in conflict.rivals}
            rest = [t for t in rest if t.id not in gone]
        return out

    index = TripIndex(placed)
    asked = [find_conflicts(s, p, c, placed, index=index) for c in rejected]
    assert asked == [one_model_per_conflict(c) for c in rejected]
    # requests told more than one conflict (else the rivals set aside were never asked
    # about), whose rivals differ from one conflict to the next
    several = [cs for cs in asked if len(cs) > 1]
    assert len(several) >= 3
    for conflicts in several:
        told = [t.id for conflict in conflicts for t in conflict.rivals]
        assert len(told) == len(set(told))


def test_a_rival_set_aside_is_as_if_not_in_the_plan(tmp_path) -> None:
    """A repair that rejects a rival sets it ``aside`` in ``fit`` instead of copying the
    plan without it; every answer (where the request goes, what moves, what goes) must
    be the one the copy gives, with the trips around free to move or not."""
    s, p, placed, rejected = _crowded(tmp_path, 16)
    index = TripIndex(placed)
    compared = changed = 0
    for c in rejected:
        for conflict in find_conflicts(s, p, c, placed, index=index):
            for rival in conflict.rivals:
                without = [t for t in placed if t.id != rival.id]
                around = {t.id for t in neighbours([c], without, s, p)}
                for loose in (frozenset(), frozenset(around)):
                    aside = fit(
                        s, p, c, placed, free=loose, optional=loose, index=index, aside={rival.id}
                    )
                    copied = fit(s, p, c, without, free=loose, optional=loose)
                    assert aside == copied
                    compared += 1
                    kept = fit(
                        s, p, c, placed, free=loose - {rival.id}, optional=loose, index=index
                    )
                    changed += kept != copied
    # enough rivals whose presence changes the answer, or setting aside proves nothing
    assert compared >= 20 and changed >= 5


def test_a_core_shrunk_on_its_own_trips_is_the_one_the_whole_model_gives(
    tmp_path, monkeypatch
) -> None:
    """``ConflictSearch`` shrinks CP-SAT's core on a model of the focus and the core's
    trips and rules alone; each conflict must be the one deletion on the whole small
    model gives (the way it was found before), trip for trip and rule for rule."""
    s, p, placed, rejected = _crowded(tmp_path, 24)
    shrunk = [find_conflict(s, p, c, placed) for c in rejected]
    # cores with fewer trips than the whole small model (else no model was smaller)
    smaller = sum(
        conflict is not None and len(conflict.rivals) < len(neighbours([c], placed, s, p))
        for c, conflict in zip(rejected, shrunk, strict=True)
    )
    assert smaller >= 10
    monkeypatch.setattr(local_module.ConflictSearch, "shrinking", lambda search, *_: search.whole)
    assert shrunk == [find_conflict(s, p, c, placed) for c in rejected]
