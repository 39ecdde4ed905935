"""The time-indexed rows: with them the relaxation sees order and has the full model's optimum.

``solver.rules.timeindexed`` is the yardstick for an order-aware bound
(``benchmarks/time_indexed.py``). Its rows must hold in every plan (else the bound is
false) and, with whole literals, forbid every overlap the left-out rules forbid (else
it is no better than the sums): checked here against the full model's optimum and the
auditor, not against the rows themselves.
"""

from __future__ import annotations

from pathlib import Path

from ortools.sat.python import cp_model

from models.audit import Auditor
from models.loading import LoadedScenario, load_scenario
from solver.build import build_model
from solver.candidates import singletons
from solver.greedy import Greedy
from solver.rules.timeindexed import post_time_indexed
from solver.warmstart import WarmStart, relax
from tests.conftest import D, request, scenario, tasks, write

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "ninhbinh-2021.yaml"


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    solver.parameters.max_time_in_seconds = 120
    return solver


def _relaxed(loaded: LoadedScenario, day_rows: bool) -> tuple[WarmStart, int]:
    """The relaxation's answer (proved optimal), with or without the day rows, and the
    literals the rows added."""
    m, _ = build_model(loaded, singletons(loaded.scenario), merge=False, relaxed=True)
    starts = post_time_indexed(m).starts if day_rows else 0
    warm = relax(m, _solver())
    assert warm is not None and warm.optimal
    return warm, starts


def _optimum(loaded: LoadedScenario) -> int:
    m, _ = build_model(loaded, singletons(loaded.scenario), merge=False)
    solver = _solver()
    assert solver.solve(m.model) == cp_model.OPTIMAL
    return round(solver.objective_value)


def _violations(loaded: LoadedScenario, warm: WarmStart) -> list:
    """What the auditor finds in the relaxation's plan taken as it is."""
    greedy = Greedy(loaded.scenario, loaded.policy)
    candidates = {c.id: c for c in singletons(loaded.scenario)}
    trips = [greedy.trip(candidates[cid], warm.starts[cid]) for cid, on in warm.forms.items() if on]
    return Auditor(loaded.scenario, loaded.policy).check(trips)


def test_day_rows_give_the_relaxation_the_full_models_optimum() -> None:
    loaded = load_scenario(str(BUNDLED))
    optimum = _optimum(loaded)
    plain, _ = _relaxed(loaded, day_rows=False)
    rows, starts = _relaxed(loaded, day_rows=True)
    assert starts > 0
    # the sums over spans leave room no order of stays has (21,499 against 21,492)
    assert plain.bound > optimum
    assert rows.bound == optimum
    # and its plan, dates as they are, breaks no hard rule
    assert _violations(loaded, plain) != []
    assert _violations(loaded, rows) == []


def test_day_rows_see_two_stays_that_must_share_a_day(tmp_path) -> None:
    # two groups, ten days in Germany (twelve with travel) between 22 March and 11 April:
    # each stay covers 1 April wherever it starts, so only one of them can go. A third
    # may go any time in March and April. The spans' sums hold all three (their 30 days
    # in March and April's 59; either month alone need hold no more than 1 or 10 days of
    # the first two), so the relaxation without the day rows sends all three
    windows = [[D(2020, 3, 22), D(2020, 4, 11)]] * 2 + [[D(2020, 3, 1), D(2020, 4, 30)]]
    people = [{"id": f"p{k}", "unit": f"u{k}", "rank": "staff"} for k in range(3)]
    requests = [
        request(
            f"r{k}",
            unit=f"u{k}",
            head=f"p{k}",
            stops=[{"country": "DE", "days": 10, "tasks": tasks(theme=f"theme {k}")}],
            window=window,
        )
        for k, window in enumerate(windows)
    ]
    data = scenario(requests, people=people, units=[u for k in range(3) for u in _unit(k)])
    loaded = load_scenario(str(write(tmp_path, data)))
    plain, _ = _relaxed(loaded, day_rows=False)
    rows, _ = _relaxed(loaded, day_rows=True)
    assert sum(plain.forms.values()) == 3
    assert sum(rows.forms.values()) == 2
    assert rows.bound == _optimum(loaded) < plain.bound
    assert _violations(loaded, rows) == []


def _unit(k: int) -> list[dict]:
    return [{"id": f"u{k}", "name": f"Unit {k}", "level": "municipal", "budget": 10**6}]
