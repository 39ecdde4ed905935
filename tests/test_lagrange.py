"""Day prices (``solver.lagrange``): a bound on every plan, below the relaxation's.

A bound above the optimum is weak; one below it cuts off plans and "proves" plans optimal
that are not. Each bound the steps give is checked against the optimum the full model
proves, on cases where the relaxation's bound is above it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from delegplan.generate import synthetic
from models.audit import Auditor
from models.loading import LoadedScenario, load_scenario
from solver import SolveOptions, solve
from solver.build import build_model, prepare
from solver.candidates import singletons
from solver.lagrange import SMOOTHING, DayPrices, inner_model, undated
from solver.linear_prices import LinearSubproblem
from solver.warmstart import relax
from tests.conftest import write
from tests.test_energy import _relaxed_model, _two_groups_for_germany


def _prices(loaded: LoadedScenario, merge: bool) -> DayPrices:
    candidates = singletons(loaded.scenario)
    prepared = prepare(loaded, candidates, merge=merge)
    return DayPrices(inner_model(loaded, candidates, merge, prepared), loaded.policy)


def _bounds(
    loaded: LoadedScenario,
    merge: bool,
    target: int,
    steps: int,
    linear_steps: int = 0,
    prices: DayPrices | None = None,
) -> list[int]:
    """Every better bound ``linear_steps`` linear steps, then ``steps`` whole steps of day
    prices give (one worker)."""
    prices = prices or _prices(loaded, merge)

    def solver() -> cp_model.CpSolver:
        search = cp_model.CpSolver()
        search.parameters.num_workers = 1
        search.parameters.random_seed = 1
        return search

    return list(prices.bounds(solver, target, steps, linear_steps=linear_steps))


#: the optima proved so far in this test process, by scenario and merging: several tests
#: bound the same generated scenario, and proving its optimum is most of their time
_OPTIMA: dict[tuple[str, bool], int] = {}


def _optimum(loaded: LoadedScenario, merge: bool) -> int:
    key = (loaded.scenario.model_dump_json(), merge)
    if key not in _OPTIMA:
        plan = solve(loaded, SolveOptions(time_limit=60, seed=1, workers=2, merge=merge)).plan
        assert plan.status == "optimal" and plan.objective is not None
        assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
        _OPTIMA[key] = plan.objective
    return _OPTIMA[key]


def test_day_prices_come_down_to_the_optimum_two_groups_wanting_one_date_pay(
    tmp_path,
) -> None:
    # Both groups can go, but one must move 10 days or more: the relaxation keeps both on
    # their date; priced days make one of them pay for the move
    loaded = _two_groups_for_germany(tmp_path)
    first = relax(_relaxed_model(loaded), cp_model.CpSolver())
    assert first is not None and first.optimal
    best = _optimum(loaded, merge=False)
    price = loaded.policy.objective.preferred_date_per_day
    assert first.bound - best >= 10 * price
    found = _bounds(loaded, False, best, steps=30)
    assert found and all(bound >= best for bound in found)
    assert found == sorted(found, reverse=True)  # each one better than the one before
    assert found[-1] == best


@pytest.mark.xdist_group("optima")  # meant: one proof of each (README, Development)
@pytest.mark.parametrize(("seed", "merge"), [(1, False), (4, False), (1, True)])
def test_every_bound_of_day_prices_is_at_least_the_optimum(
    tmp_path: Path, seed: int, merge: bool
) -> None:
    loaded = load_scenario(write(tmp_path, synthetic(100, seed), f"generated-{seed}.yaml"))
    best = _optimum(loaded, merge)
    found = _bounds(loaded, merge, best, steps=25)
    assert found and all(bound >= best for bound in found)
    # the first step prices no day: each trip on its cheapest start, distance and host
    # holidays paid, which is the relaxation's first round
    relaxed = build_model(loaded, singletons(loaded.scenario), merge=merge, relaxed=True)[0]
    first = relax(relaxed, cp_model.CpSolver())
    assert first is not None and first.optimal and found[0] == first.bound
    # the first step prices nothing: the relaxation with each trip on its cheapest start,
    # above the optimum on these; the steps after it bring the bound down (to the optimum
    # itself here: 36,362, 35,466 and 36,986, from 36,376, 35,478 and 36,998)
    assert found[0] > best and found[-1] < found[0]


@pytest.mark.xdist_group("optima")  # meant: one proof of each (README, Development)
def test_day_prices_aimed_at_a_far_plan_still_come_down_to_the_optimum(tmp_path) -> None:
    # The plan the solver aims the steps at can be far below the optimum (the repaired
    # plan: 9.6% below the bound at 20,000 requests). Aimed there, every step overshoots;
    # aimed a little below the best bound, they come down as when aimed at the optimum
    loaded = load_scenario(write(tmp_path, synthetic(100, 1), "generated-1.yaml"))
    best = _optimum(loaded, merge=False)
    found = _bounds(loaded, False, best // 2, steps=25)
    assert found and all(bound >= best for bound in found)
    assert found[-1] == best


def test_each_step_keeps_part_of_the_last_direction_and_moves_as_far_as_the_bare_one(
    tmp_path,
) -> None:
    # The bare subgradient zig-zags (a day overfilled, then empty, then overfilled): each
    # step moves along SMOOTHING of it and the rest of the direction before, a day priced
    # 0 never lower, as far as Polyak's length over the two norms' product
    loaded = _two_groups_for_germany(tmp_path)
    candidates = singletons(loaded.scenario)
    inner = inner_model(loaded, candidates, False, prepare(loaded, candidates, merge=False))
    prices = DayPrices(inner, loaded.policy)
    both = list(range(len(prices.candidates)))
    start = np.array([c.earliest + 9 for c in prices.candidates])  # both on 10 March
    prices._step(both, start, 1.0)  # the days they share priced, the others left at 0
    first = [cal.prices.copy() for cal in prices.calendars]
    assert prices.direction is not None
    bare = [np.where(p > 0, 1.0, 0.0) for p in first]  # +1 where two stays, 0 elsewhere
    shared = sum(float(b.sum()) for b in bare)
    assert shared > 0
    for p, b in zip(first, bare, strict=True):
        assert np.allclose(p, b / shared)
    prices._step([], start, 1.0)  # nothing chosen: every priced day is now empty
    empty = [-b for b in bare]
    direction = [SMOOTHING * e + (1 - SMOOTHING) * b for e, b in zip(empty, bare, strict=True)]
    assert np.allclose(prices.direction, np.concatenate(direction))  # laid end to end
    norm = math.sqrt(
        sum(float((e * e).sum()) for e in empty) * sum(float((d * d).sum()) for d in direction)
    )
    for cal, p, d in zip(prices.calendars, first, direction, strict=True):
        assert np.allclose(cal.prices, np.maximum(0.0, p + d / norm))
    # the bare step would have taken every shared day back to 0; smoothed, they keep a price
    assert all(
        cal.prices[b > 0].min() > 0
        for cal, b in zip(prices.calendars, bare, strict=True)
        if b.any()
    )


def test_the_inner_model_leaves_only_the_date_costs_out(tmp_path) -> None:
    loaded = _two_groups_for_germany(tmp_path)
    policy = undated(loaded.policy)
    assert policy.objective.preferred_date_per_day == 0
    assert not policy.soft("GEO-HOLIDAY") and not policy.rule("GEO-HOLIDAY").on
    changed = {
        rule for rule, setting in loaded.policy.rules.items() if policy.rules.get(rule) != setting
    }
    assert changed <= {"GEO-HOLIDAY"}
    candidates = singletons(loaded.scenario)
    inner = inner_model(loaded, candidates, False, prepare(loaded, candidates, merge=False))
    assert inner.shift == {}  # no date distance in it: the prices price the start
    assert inner.left_out  # the calendars it leaves out, which the prices price


def test_each_candidate_pays_the_least_of_all_its_starts(tmp_path) -> None:
    # All starts are priced at once, from prefix sums laid end to end; here each start of
    # each candidate is priced one by one, day by day, and the least must be the same
    loaded = load_scenario(write(tmp_path, synthetic(100, 1), "generated-1.yaml"))
    prices = _prices(loaded, merge=False)
    rng = np.random.default_rng(3)
    for cal in prices.calendars:
        days = len(cal.prices)
        cal.prices[:] = np.where(rng.random(days) < 0.4, 5 * rng.random(days), 0.0)
    least, start = prices.priced()
    priced_more = 0
    for i, c in enumerate(prices.candidates):
        costs = []
        for day in range(c.earliest, c.latest + 1):
            cost = prices.base[i][day - c.earliest]
            for k, offset, size in prices.days[i]:
                at = day + offset - prices.calendars[k].first
                cost += prices.calendars[k].prices[at : at + size].sum()
            costs.append(cost)
        assert least[i] == pytest.approx(min(costs), abs=1e-9)
        assert costs[int(start[i]) - c.earliest] == pytest.approx(min(costs), abs=1e-9)
        priced_more += min(costs) > prices.base[i].min() + 1e-9
    assert priced_more > 10  # the prices moved many candidates' least cost
    # and the days a step counts: each chosen candidate's stays from its start, by share
    chosen = [i for i in range(len(prices.candidates)) if rng.random() < 0.5]
    shares = rng.random(len(chosen))
    counted = [np.zeros(len(cal.prices)) for cal in prices.calendars]
    for i, share in zip(chosen, shares, strict=True):
        for k, offset, size in prices.days[i]:
            at = int(start[i]) + offset - prices.calendars[k].first
            counted[k][at : at + size] += share
    used = prices._starts.used(chosen, start, shares, len(prices.flat))
    assert np.allclose(used, np.concatenate(counted)) and used.max() > 1


def test_the_linear_bound_from_its_duals_is_its_optimum_and_above_the_whole_one(
    tmp_path,
) -> None:
    # The bound is worked out from GLOP's duals (valid for any duals): on the optimum's
    # duals it must be the linear optimum itself, and no lower than the relaxation's own
    loaded = load_scenario(write(tmp_path, synthetic(100, 2), "generated-2.yaml"))
    prices = _prices(loaded, merge=False)
    linear = LinearSubproblem(prices.inner)
    answer = linear.solve(np.zeros(len(prices.candidates)))
    assert answer is not None
    bound, shares = answer
    optimum = linear.objective.Value() + linear.offset
    assert optimum - 1e-6 <= bound <= optimum + 1e-6 * abs(optimum)
    whole = _bounds(loaded, False, 0, steps=1)  # no prices yet: the relaxation's first round
    assert bound >= whole[0]
    assert len(shares) == len(prices.candidates) and shares.max() == pytest.approx(1.0)


@pytest.mark.xdist_group("optima")  # meant: one proof of each (README, Development)
@pytest.mark.parametrize(("seed", "merge"), [(1, False), (1, True)])
def test_linear_steps_bound_every_plan_and_leave_their_best_prices(
    tmp_path: Path, seed: int, merge: bool
) -> None:
    loaded = load_scenario(write(tmp_path, synthetic(100, seed), f"generated-{seed}.yaml"))
    best = _optimum(loaded, merge)
    prices = _prices(loaded, merge)
    linear = _bounds(loaded, merge, best, steps=0, linear_steps=40, prices=prices)
    assert len(linear) > 1 and all(bound >= best for bound in linear)
    assert linear == sorted(linear, reverse=True)
    # the prices are left at the best the linear steps found: their bound is the last one
    bound, _ = LinearSubproblem(prices.inner).solve(prices.priced()[0]) or (None, None)
    total = sum(float(cal.prices.sum()) for cal in prices.calendars)
    assert linear[-1] <= bound + total < linear[-1] + 1  # the bound, rounded down
    # the whole steps go on from there, once: no more linear steps on a second call
    whole = _bounds(loaded, merge, best, steps=15, linear_steps=40, prices=prices)
    assert whole and all(bound >= best for bound in whole) and whole[0] < linear[-1]
    # the linear bounds are far above the optimum here (37,961 to 37,953 without merging,
    # optimum 36,362), but at their prices the first whole step proves 36,368 (36,992
    # with merging, optimum 36,986), below the relaxation's own 36,376 (36,998), and the
    # whole steps come down from there (to 36,364 and 36,986 within 15)
    first_round = _bounds(loaded, merge, best, steps=1)[0]
    assert whole[0] < first_round and whole[-1] < whole[0]
    assert whole[-1] - best <= (first_round - best) / 2
