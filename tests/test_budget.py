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

    made: list[int] = []
    clerks_plan = sys.modules["solver.phases"].clerks_plan

    def counted(*args, **kwargs):
        made.append(1)
        return clerks_plan(*args, **kwargs)

    monkeypatch.setattr("solver.phases.clerks_plan", counted)
    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    assert len(loaded.scenario.requests) < sys.modules["solver.phases"].EARLY_PLAN_FROM
    plan = solve(loaded, SolveOptions(time_limit=3, seed=1, workers=2)).plan
    assert made == []
    _clean(loaded, plan)
    plan = solve(loaded, SolveOptions(time_limit=math.inf, budget=10, seed=1, workers=2)).plan
    assert made == [1]
    _clean(loaded, plan)


def test_phases_share_what_is_left_as_each_starts(monkeypatch) -> None:
    # on a clock the test sets: five phases in 100 s; the first ends early and leaves its
    # time to the rest; the last gets all that is left; past the end each gets its least
    import solver.budget as budget_module
    from solver.budget import LEAST_PHASE, Phases

    clock = [0.0]
    monkeypatch.setattr(budget_module.time, "perf_counter", lambda: clock[0])
    phases = Phases(100.0, 5)
    assert phases.next() == 20.0
    clock[0] = 10.0  # the first phase ended after 10 s of its 20
    assert phases.next() == 22.5
    clock[0] = 40.0
    assert phases.next() == 20.0
    clock[0] = 70.0  # one phase skipped: the last still gets all that is left
    assert phases.rest() == 30.0
    clock[0] = 120.0
    assert phases.next() == phases.rest() == LEAST_PHASE


def _replan_with_a_pair(tmp_path, options):
    # two added groups that each fit alone, not both (tests/test_whatif.py)
    from solver.whatif import replan
    from tests.test_whatif import excluding_pair

    inp = excluding_pair(tmp_path)
    plan = replan(inp, options).plan
    assert not Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations
    return inp, plan


def test_a_replan_shares_its_budget_among_its_tiers(tmp_path, monkeypatch) -> None:
    # the re-plan's search gets its share of the budget, handed to the four tiers and the
    # questions about conflicting changes in turn; the explanations get what is left
    import solver.whatif as whatif_module

    asked: list[str] = []

    class Recorded(whatif_module.Phases):
        def next(self) -> float:
            asked.append("next")
            return super().next()

        def rest(self) -> float:
            asked.append("rest")
            return super().rest()

    monkeypatch.setattr(whatif_module, "Phases", Recorded)
    options = SolveOptions(time_limit=math.inf, budget=30, seed=1, workers=2)
    inp, plan = _replan_with_a_pair(tmp_path, options)
    requests = len(inp.loaded.scenario.requests)
    assert plan.solver["budget"] == 30
    assert plan.solver["time_limit"] == round(search_limit(30, requests), 1)
    # the tiers end early on so small a re-plan: the explanations get the rest of the 30 s
    # (not their own 120 s)
    assert plan.solver["explain_limit"] < 30
    assert asked == ["next", "next", "next", "next", "rest"]
    assert plan.whatif.conflicting == (("M", "N"),)
    assert len(plan.whatif.granted) == 1


def test_a_replan_asks_no_question_past_its_phase(tmp_path, monkeypatch) -> None:
    # the questions about conflicting changes end with their phase: given none, the pair
    # goes unreported, and the re-plan is still whole and clean
    import solver.whatif as whatif_module

    class NoTimeForQuestions(whatif_module.Phases):
        def next(self) -> float:
            share = super().next()
            return 0.0 if self.count == whatif_module.PHASES - 2 else share

    monkeypatch.setattr(whatif_module, "Phases", NoTimeForQuestions)
    options = SolveOptions(time_limit=math.inf, budget=30, seed=1, workers=2)
    _, plan = _replan_with_a_pair(tmp_path, options)
    assert plan.whatif.conflicting == ()
    assert len(plan.whatif.granted) == 1 and plan.status in ("optimal", "feasible")


def test_a_sweep_in_turn_shares_its_deadline_as_each_job_starts() -> None:
    # two scenarios in turn by a finishing time 40 s away: the first gets half, and being
    # proved within seconds it leaves the rest to the second; both plans are clean
    import time

    from solver.runners import LocalRunner
    from solver.sweep import jobs_after, sweep_plans

    class AllAtOnce:  # what a cluster looks like to a sweep: every job in a lane of its own
        in_turn = False

    assert jobs_after(LocalRunner(), 3) == [2, 1, 0]
    assert jobs_after(AllAtOnce(), 3) == [0, 0, 0]
    loadeds = [load_scenario(bundled_path(n)) for n in ("changchun-2020", "ninhbinh-2021")]
    options = SolveOptions(time_limit=math.inf, seed=1, workers=2)
    plans = [r.plan for r in sweep_plans(loadeds, options, LocalRunner(), time.time() + 40)]
    first, second = (plan.solver["budget"] for plan in plans)
    assert 15 < first <= 20 and first + 5 < second < 40
    for loaded, plan in zip(loadeds, plans, strict=True):
        assert plan.status == "optimal"
        _clean(loaded, plan)
