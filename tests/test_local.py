"""The small models behind explanations and repairs (``solver.local``) hold only the trips
that can stand in a request's way; leaving out the others must change no answer."""

from __future__ import annotations

import pytest

import solver.local as local_module
from delegplan.generate import synthetic
from models.loading import load_scenario
from solver.candidates import Placed, day_number, singletons
from solver.greedy import first_come
from solver.local import find_conflict, fit, neighbours
from tests.conftest import D, gap_policy, request, scenario, write


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


def test_leaving_far_trips_out_changes_no_answer(tmp_path, monkeypatch) -> None:
    """On a generated plan with a gap between groups, each rejected request's answers
    with the date-aware neighbours equal those with every trip sharing a key."""
    data = synthetic(150, seed=5)
    # every stop in one of four countries, so that their calendars are full and
    # GEO-SAME-COUNTRY keeps requests out (in the generated spread it hardly does)
    for i, r in enumerate(data["requests"]):
        for j, stop in enumerate(r["stops"]):
            stop["country"] = ("DE", "FR", "IT", "ES")[(i + j) % 4]
            stop.pop("city", None)
    data["policy"] = gap_policy(tmp_path, 3)
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    eligible = [c for c in singletons(s) if c.feasible_window]
    placed = first_come(s, p, eligible)
    taken = {t.id for t in placed}
    rejected = [c for c in eligible if c.id not in taken][:16]
    assert len(rejected) == 16

    def every_key(focus, placed_trips, scenario_, policy_) -> list[Placed]:
        """The neighbours before: every trip sharing a key, whatever its dates."""
        keys = frozenset().union(*(x.keys for x in focus))
        ids = {x.id for x in focus}
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
