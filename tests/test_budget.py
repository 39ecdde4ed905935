"""A budget for the whole solve (``SolveOptions.budget``, the command line's ``--deadline``):
the search gets its share, the explanations what the search leaves, and the rejections
left when that runs out get the auditor's quick reasons."""

from __future__ import annotations

import math

import pytest

from models.audit import Auditor
from models.loading import load_scenario
from scenarios import bundled_path
from solver import SolveOptions, solve
from solver.budget import LEAST_SEARCH, search_limit


def _quick(decision) -> bool:
    return any("time for explanations" in r.message for r in decision.reasons)


def _rejected(plan) -> list:
    return [d for d in plan.decisions if d.status == "rejected"]


def _clean(loaded, plan) -> None:
    report = Auditor(loaded.scenario, loaded.policy).audit(plan)
    assert not report.violations, report.violations
    assert all(d.reasons for d in _rejected(plan))


def test_the_explanations_get_what_an_early_search_leaves() -> None:
    # changchun-2020 is proved within seconds: the explanations get the rest of the
    # budget, far more than the search's share leaves them, and every rejection is
    # explained in full
    loaded = load_scenario(bundled_path("changchun-2020"))
    options = SolveOptions(time_limit=math.inf, budget=40, seed=1, workers=2)
    plan = solve(loaded, options).plan
    meta = plan.solver
    assert plan.status == "optimal"
    assert meta["budget"] == 40
    assert meta["time_limit"] == round(search_limit(40, len(loaded.scenario.requests)), 1)
    assert meta["time_limit"] < 40
    assert 40 - meta["time_limit"] < meta["explain_limit"] < 40
    _clean(loaded, plan)
    assert _rejected(plan) and not any(_quick(d) for d in _rejected(plan))


def test_a_budget_spent_by_the_search_leaves_quick_reasons() -> None:
    # 1.5 s: the search gets its least, and nothing is left for explaining once the quick
    # reasons are reserved: every rejection still has its reasons, quick ones
    loaded = load_scenario(bundled_path("changchun-2020"))
    options = SolveOptions(time_limit=math.inf, budget=1.5, seed=1, workers=2)
    plan = solve(loaded, options).plan
    assert plan.solver["time_limit"] == LEAST_SEARCH
    assert plan.solver["explain_limit"] == 0
    _clean(loaded, plan)
    assert sum(_quick(d) for d in _rejected(plan)) >= 10
    assert not any(d.repairs for d in _rejected(plan))


def test_the_time_limit_still_caps_the_search_within_a_budget() -> None:
    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    plan = solve(loaded, SolveOptions(time_limit=2, budget=60, seed=1, workers=2)).plan
    assert plan.solver["time_limit"] == 2 and plan.solver["budget"] == 60
    _clean(loaded, plan)


def test_a_budget_is_not_reproducible() -> None:
    with pytest.raises(ValueError, match="reproducible"):
        SolveOptions(budget=10, reproducible=True)


def test_under_a_budget_the_clerks_plan_comes_first_at_any_size(monkeypatch) -> None:
    # a short share can end before the repaired relaxation comes (5,000 requests given
    # --deadline 30: no plan at all before): under a budget the clerk's plan is made
    # first, as it is from EARLY_PLAN_FROM requests without one
    import sys

    solve_module = sys.modules["solver.solve"]
    made: list[int] = []
    clerks_plan = solve_module._clerks_plan

    def counted(*args, **kwargs):
        made.append(1)
        return clerks_plan(*args, **kwargs)

    monkeypatch.setattr(solve_module, "_clerks_plan", counted)
    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    assert len(loaded.scenario.requests) < solve_module.EARLY_PLAN_FROM
    plan = solve(loaded, SolveOptions(time_limit=3, seed=1, workers=2)).plan
    assert made == []
    _clean(loaded, plan)
    plan = solve(loaded, SolveOptions(time_limit=math.inf, budget=10, seed=1, workers=2)).plan
    assert made == [1]
    _clean(loaded, plan)
