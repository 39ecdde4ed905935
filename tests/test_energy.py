"""Energetic and displacement rows: what a no-overlap implies, kept by the relaxation.

They must cut no plan (else the relaxation's bound is no bound) and must cut what the
no-overlap forbids when a country's month is crowded or two groups want one date (else
they are dead weight).
"""

from __future__ import annotations

import random

import pytest
from ortools.sat.python import cp_model

from models.audit import Auditor
from models.loading import load_scenario
from solver import SolveOptions, solve
from solver.build import build_model
from solver.candidates import singletons
from solver.rules.energy import (
    Stay,
    compulsory_table,
    crowding_rows,
    displacement,
    displacement_pairs,
    post_crowding,
    post_displacement,
    post_energy,
    spans,
)
from solver.warmstart import relax, tighten
from tests.conftest import BASE_UNIT, D, request, scenario, tasks, write


def test_the_table_of_compulsory_days_is_the_least_overlap_for_every_pair() -> None:
    # post_energy reads compulsory days from one table per resource (stays by spans)
    rng = random.Random(11)
    stays, cuts = [], []
    for _ in range(60):
        earliest = rng.randrange(0, 300)
        stays.append(Stay(None, earliest, earliest + rng.randrange(0, 60), rng.randrange(1, 20)))  # type: ignore[arg-type]
    for _ in range(30):
        a = rng.randrange(0, 340)
        cuts.append((a, a + rng.randrange(1, 100)))
    table = compulsory_table(stays, cuts)
    assert table.shape == (60, 30) and table.any()
    for i, stay in enumerate(stays):
        for j, (a, b) in enumerate(cuts):
            starts = range(stay.earliest, stay.latest + 1)
            brute = min(max(0, min(s + stay.size, b) - max(s, a)) for s in starts)
            assert table[i, j] == brute


def test_spans_are_runs_of_months_and_the_whole_horizon() -> None:
    found = spans(365)
    assert (0, 365) in found and (0, 31) in found and (31, 90) in found and (273, 365) in found
    assert len(found) == 12 + 11 + 10 + 1
    assert all(0 <= a < b <= 365 for a, b in found)


def _most_formed(stays: list[tuple[int, int, int]], rows: bool, overlap: bool) -> int:
    """The most stays one can form: with a no-overlap (``overlap`` False) and/or the rows."""
    model = cp_model.CpModel()
    forms, intervals = [], []
    for k, (earliest, latest, size) in enumerate(stays):
        form = model.new_bool_var(f"form{k}")
        start = model.new_int_var(earliest, latest, f"start{k}")
        intervals.append(model.new_optional_fixed_size_interval_var(start, size, form, f"i{k}"))
        forms.append(form)
    if not overlap:
        model.add_no_overlap(intervals)
    if rows:
        post_energy(model, [Stay(f, *s) for f, s in zip(forms, stays, strict=True)], "energy")
    model.maximize(sum(forms))
    return _optimum(model)


def _optimum(model: cp_model.CpModel) -> int:
    """The model's proved optimum (one worker)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


def test_rows_cut_no_plan_the_no_overlap_allows_and_cut_overlaps_it_forbids() -> None:
    rng = random.Random(3)
    tightened = 0
    for _ in range(40):
        stays = []
        for _ in range(rng.randrange(2, 9)):
            earliest = rng.randrange(0, 80)
            stays.append((earliest, earliest + rng.randrange(0, 30), rng.randrange(5, 25)))
        feasible = _most_formed(stays, rows=False, overlap=False)
        # the rows never forbid what the no-overlap allows
        assert _most_formed(stays, rows=True, overlap=False) == feasible
        # and without the no-overlap they still forbid part of what it forbids
        relaxed = _most_formed(stays, rows=True, overlap=True)
        assert feasible <= relaxed <= len(stays)
        tightened += relaxed < len(stays)
    assert tightened >= 10  # the rows bind on crowded months, not only in theory


def test_rows_count_only_the_days_from_the_first_a_stay_can_take() -> None:
    # three 8-day stays that must start between days 340 and 352: 24 days where 20 are
    # there, so two at most; December counted from its first day (334) holds all three
    stays = [(340, 352, 8)] * 3
    assert _most_formed(stays, rows=False, overlap=False) == 2
    assert _most_formed(stays, rows=True, overlap=True) == 2


def _groups_in_germany(tmp_path, n: int, window: list, **over):
    """``n`` groups (no one in common), each asking 10 days in Germany (12 with travel)
    within ``window``; ``over`` sets more fields of every request."""
    people = [{"id": f"p{k}", "unit": "u1", "rank": "staff"} for k in range(n)]
    requests = [
        request(
            f"r{k}",
            head=f"p{k}",
            stops=[{"country": "DE", "days": 10, "tasks": tasks()}],
            window=window,
            **over,
        )
        for k in range(n)
    ]
    return load_scenario(str(write(tmp_path, scenario(requests, people=people))))


def _relaxed_model(loaded):
    return build_model(loaded, singletons(loaded.scenario), merge=False, relaxed=True)[0]


def _relaxation(loaded) -> tuple[int, int]:
    """The relaxation's bound and how many trips its plan forms."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    warm = relax(_relaxed_model(loaded), solver)
    assert warm is not None and warm.optimal
    return warm.bound, sum(warm.forms.values())


def test_relaxation_with_the_rows_bounds_a_crowded_month_near_the_optimum(
    tmp_path, monkeypatch
) -> None:
    # six groups, each within March
    loaded = _groups_in_germany(tmp_path, 6, [D(2020, 3, 1), D(2020, 3, 31)])
    relaxed = _relaxed_model(loaded)  # held: the model's message lives only as long as it
    names = {c.name.split("[")[0] for c in relaxed.model.proto.constraints}
    assert "same-country-days" in names
    bound, formed = _relaxation(loaded)
    plan = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, merge=False)).plan
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert plan.status == "optimal"
    approved = sum(1 for d in plan.decisions if d.status == "approved")
    # the 12-day trips must start and end in March, so their German stays fall within
    # 2-30 March: two fit. The rows count those 29 days (not March's 31, which hold three
    # 10-day stays), so the relaxation forms two as well
    assert approved == 2 and formed == 2
    assert bound >= plan.objective  # still a bound
    with monkeypatch.context() as patched:  # the same relaxation without the rows
        patched.setattr("solver.rules.geography.post_energy", lambda *_: None)
        loose, every = _relaxation(loaded)
    assert every == 6 and loose > bound


def test_relaxation_keeps_a_person_to_the_trips_a_month_holds(tmp_path, monkeypatch) -> None:
    # one person asks for four 12-day trips (four countries) that must each fall in March
    requests = [
        request(f"r{k}", stops=[{"country": code, "days": 10, "tasks": tasks()}])
        for k, code in enumerate(("DE", "FR", "IT", "AT"))
    ]
    loaded = load_scenario(str(write(tmp_path, scenario(requests))))
    bound, formed = _relaxation(loaded)
    plan = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, merge=False)).plan
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert plan.status == "optimal"
    assert sum(1 for d in plan.decisions if d.status == "approved") == formed == 2
    assert bound >= plan.objective
    with monkeypatch.context() as patched:
        patched.setattr("solver.rules.personnel.post_energy", lambda *_: None)
        loose, every = _relaxation(loaded)
    assert every == 4 and loose > bound


def test_displacement_is_the_least_total_shift_that_parts_two_stays() -> None:
    rng = random.Random(11)
    for _ in range(300):
        a = Stay(None, 0, 0, rng.randrange(1, 15), None, rng.randrange(0, 30))  # type: ignore[arg-type]
        b = Stay(None, 0, 0, rng.randrange(1, 15), None, rng.randrange(0, 30))  # type: ignore[arg-type]
        brute = min(
            abs(da) + abs(db)
            for da in range(-30, 31)
            for db in range(-30, 31)
            if a.preferred + da + a.size <= b.preferred + db  # type: ignore[operator]
            or b.preferred + db + b.size <= a.preferred + da  # type: ignore[operator]
        )
        assert displacement(a, b) == brute


def _least_shifts(
    stays: list[tuple[int, int, int]], rows: str, overlap: bool, worth: int = 1000
) -> int:
    """The best of forming stays (``worth`` each) less the days they move from their
    preferred starts (``(preferred, reach, size)``: a stay may move ``reach`` days either
    way), with a no-overlap unless ``overlap``, and ``rows``: "crowding", "pairs" or ""."""
    model = cp_model.CpModel()
    made, intervals = [], []
    for k, (preferred, reach, size) in enumerate(stays):
        form = model.new_bool_var(f"form{k}")
        start = model.new_int_var(preferred - reach, preferred + reach, f"start{k}")
        shift = model.new_int_var(0, reach, f"shift{k}")
        model.add_abs_equality(shift, start - preferred)
        intervals.append(model.new_optional_fixed_size_interval_var(start, size, form, f"i{k}"))
        reached = (preferred - reach, preferred + reach)
        made.append(Stay(form, *reached, size, shift, preferred, f"c{k}"))
    if not overlap:
        model.add_no_overlap(intervals)
    if rows == "crowding":
        post_crowding(model, crowding_rows(made), "crowd")
    elif rows == "pairs":
        post_displacement(model, displacement_pairs(made), "pairs")
    model.maximize(sum(worth * s.literal - s.shift for s in made))  # type: ignore[operator]
    return _optimum(model)


def test_crowding_rows_cut_no_dates_the_no_overlap_allows_and_price_crowded_ones() -> None:
    rng = random.Random(5)
    priced = 0
    for _ in range(40):
        stays = [
            (rng.randrange(0, 40), rng.randrange(0, 30), rng.randrange(2, 15))
            for _ in range(rng.randrange(2, 7))
        ]
        worth = rng.choice((5, 1000))  # 5: moving far costs more than the stay is worth
        best = _least_shifts(stays, "", overlap=False, worth=worth)
        # the rows never forbid what the no-overlap allows: same optimum with them
        assert _least_shifts(stays, "crowding", overlap=False, worth=worth) == best
        relaxed = _least_shifts(stays, "crowding", overlap=True, worth=worth)
        loose = _least_shifts(stays, "", overlap=True, worth=worth)
        assert best <= relaxed <= loose
        priced += relaxed < loose
    assert priced >= 10  # they price crowds, not only in theory


def test_each_crowding_row_holds_every_stay_that_meets_its_span() -> None:
    # brute force: for each stay's preferred days, every stay meeting them, with its days
    rng = random.Random(9)
    for _ in range(30):
        model = cp_model.CpModel()
        stays = []
        for k in range(rng.randrange(2, 12)):
            preferred, size = rng.randrange(0, 60), rng.randrange(1, 25)
            form, shift = model.new_bool_var(f"f{k}"), model.new_int_var(0, 99, f"s{k}")
            stays.append(Stay(form, 0, 99, size, shift, preferred, f"c{k}"))
        post_crowding(model, crowding_rows(stays), "crowd")
        wanted = set()
        for a, b in {(s.preferred, s.preferred + s.size) for s in stays}:  # type: ignore[operator]
            days = {
                k: max(0, min(s.preferred + s.size, b) - max(s.preferred, a))  # type: ignore[operator]
                for k, s in enumerate(stays)
            }
            if sum(days.values()) > b - a:
                wanted.add(frozenset((k, d) for k, d in days.items() if d > 0))
        index = {s.literal.index: k for k, s in enumerate(stays)}  # type: ignore[union-attr]
        posted = set()
        for row in model.proto.constraints:
            linear = row.linear
            coeffs = dict(zip(linear.vars, linear.coeffs, strict=True))
            # shift - days * form >= -(b - a): forms carry -days
            posted.add(frozenset((index[v], -c) for v, c in coeffs.items() if v in index))
        assert posted == wanted


def test_crowding_rows_price_a_chain_the_two_stay_rows_miss() -> None:
    # b meets a on its first two days and c on its last two: one of a and c moves, or b
    # moves 2 days one way and the other neighbour 4 more. Two-stay rows let b move 2 days
    # and call both pairs parted; the crowding row on b's days asks 4 in all
    chain = [(0, 20, 10), (8, 20, 10), (16, 20, 10)]
    assert _least_shifts(chain, "", overlap=False) == 3000 - 4
    assert _least_shifts(chain, "crowding", overlap=True) == 3000 - 4
    assert _least_shifts(chain, "pairs", overlap=True) == 3000 - 2


def _two_groups_for_germany(tmp_path, **over):
    """Two groups wanting Germany from 10 March; both windows run to the end of April."""
    window = [D(2020, 3, 1), D(2020, 4, 30)]
    return _groups_in_germany(tmp_path, 2, window, preferred_start=D(2020, 3, 10), **over)


@pytest.mark.parametrize("pairs", [True, False])
def test_second_round_bounds_the_shift_two_groups_wanting_one_date_must_pay(
    tmp_path, pairs: bool
) -> None:
    # Both can go, but one must move 10 days or more. The first round keeps both on their
    # date; the second round's rows price the move (the crowding rows alone, or with the
    # two-stay rows), and its bound is the optimum.
    loaded = _two_groups_for_germany(tmp_path)
    model = _relaxed_model(loaded)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    first = relax(model, solver)
    assert first is not None and first.optimal and all(first.forms.values())
    second = tighten(model, first, cp_model.CpSolver(), pairs=pairs)
    assert second is not None
    stopped = cp_model.CpSolver()  # stopped before it finds a plan: CP-SAT's bound is 0 then
    stopped.parameters.max_time_in_seconds = 1e-9
    cut_short = tighten(_relaxed_model(loaded), first, stopped, pairs=pairs)
    assert cut_short is not None and cut_short.bound == first.bound
    result = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, merge=False))
    plan = result.plan
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert plan.status == "optimal"
    assert sum(1 for d in plan.decisions if d.status == "approved") == 2
    price = loaded.policy.objective.preferred_date_per_day
    assert first.bound - plan.objective >= 10 * price  # the move the first round misses
    assert second.bound == plan.objective  # the rows see it
    assert result.stats["relaxation_bound"] == plan.objective  # and the solve uses them


def test_second_round_is_skipped_when_the_first_plan_keeps_every_row(tmp_path) -> None:
    # The unit's budget pays for one of the two trips only: the first round forms one, so
    # no row is broken by its plan, and that plan is optimal with the rows too. Nothing
    # is solved again.
    loaded = _two_groups_for_germany(tmp_path, cost=600_000)
    relaxed = _relaxed_model(loaded)
    first = relax(relaxed, cp_model.CpSolver())
    assert first is not None and first.optimal and sum(first.forms.values()) == 1
    assert tighten(relaxed, first, cp_model.CpSolver()) is None
    result = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, merge=False))
    assert result.plan.status == "optimal"
    assert result.stats["relaxation_bound"] == first.bound == result.plan.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []


@pytest.mark.parametrize("pairs", [True, False])
def test_second_round_posts_only_the_rows_the_first_rounds_plan_breaks(
    tmp_path, pairs: bool
) -> None:
    # Two groups want Germany from 10 March, but their unit's budget pays one trip: the
    # first round forms one, and Germany's rows are kept. Two groups of another unit want
    # France from the same day and both go: France's rows are broken. Only France's are
    # posted (each kept row costs the solve time, and every row holds in every plan), and
    # the bound is still the optimum.
    window, day = [D(2020, 3, 1), D(2020, 4, 30)], D(2020, 3, 10)
    units = [dict(BASE_UNIT), {**BASE_UNIT, "id": "u2", "name": "Unit 2"}]
    people = [{"id": f"p{k}", "unit": "u1" if k < 2 else "u2", "rank": "staff"} for k in range(4)]
    requests = [
        request(
            f"r{k}",
            unit="u1" if k < 2 else "u2",
            head=f"p{k}",
            stops=[{"country": "DE" if k < 2 else "FR", "days": 10, "tasks": tasks()}],
            window=window,
            preferred_start=day,
            cost=600_000 if k < 2 else 1000,
        )
        for k in range(4)
    ]
    data = scenario(requests, people=people, units=units)
    loaded = load_scenario(str(write(tmp_path, data)))
    relaxed = _relaxed_model(loaded)
    first = relax(relaxed, cp_model.CpSolver())
    assert first is not None and first.optimal
    formed = {r for r, on in first.forms.items() if on}
    assert len(formed & {"r0", "r1"}) == 1 and {"r2", "r3"} <= formed
    before = len(relaxed.model.proto.constraints)
    second = tighten(relaxed, first, cp_model.CpSolver(), pairs=pairs)
    assert second is not None
    proto = relaxed.model.proto
    posted = [proto.constraints[k].name for k in range(before, len(proto.constraints))]
    assert posted and all(name.startswith("same-country-days[FR]") for name in posted)
    assert any("-crowd[" in name for name in posted)
    assert any("-shift[" in name for name in posted) == pairs
    result = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, merge=False))
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []
    assert result.plan.status == "optimal"
    assert second.bound == result.plan.objective < first.bound
