"""Day prices beside the improvement (``solver.beside``, ``solver.lagrange``).

Wherever a process can run beside the improvement, day prices' steps run there while the
improvement's steps run, and their bound is taken when they end. These tests force that
path on two groups that want Germany on one date (the first round misses the 10 days one
must move; day prices see them) and check the bound it brings.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from dataclasses import replace

import pytest
from ortools.sat.python import cp_model

from models.audit import Auditor
from models.plan import Status
from solver import SolveOptions, solve
from solver.beside import BoundBeside, Work, _lower_bounds
from solver.build import prepare
from solver.candidates import singletons
from solver.forked import can_fork
from solver.lagrange import inner_model
from solver.warmstart import relax
from tests.test_energy import _relaxed_model, _two_groups_for_germany

pytestmark = pytest.mark.skipif(not can_fork(), reason="the second round is forked")

OPTIONS = SolveOptions(time_limit=4, seed=1, workers=2, merge=False, explain_limit=0)
#: where nothing runs beside, the solve cannot prove its plan and runs to its limit: a
#: shorter one keeps the test quick (the improvement still takes 100 steps and more)
ALONE = replace(OPTIONS, time_limit=1.5)


def _first_round(loaded):
    model = _relaxed_model(loaded)
    first = relax(model, cp_model.CpSolver())
    assert first is not None and first.optimal
    return model, first


@pytest.mark.parametrize("proved", [True, False])
def test_the_bound_beside_proves_the_plan(tmp_path, monkeypatch, proved: bool) -> None:
    # Day prices need no proved first round: at 20,000 requests it is not proved in its
    # share, and they took its bound down 0.4% beside a 600 s solve
    loaded = _two_groups_for_germany(tmp_path)
    _, first = _first_round(loaded)
    monkeypatch.setattr("solver.improve.IMPROVE_FROM", 1)  # two requests: the improvement
    monkeypatch.setattr("solver.start.second_round", lambda spent, share: None)  # no time
    if not proved:
        real = sys.modules["solver.start"].relax
        monkeypatch.setattr(
            "solver.start.relax", lambda *a, **k: replace(real(*a, **k), optimal=False)
        )
    # a fair share of the cores: the other test process may keep both busy, and at the
    # lowest priority the child could then be starved for the few seconds the run has
    monkeypatch.setattr("solver.beside.NICENESS", 0)
    result = solve(loaded, OPTIONS)
    assert multiprocessing.active_children() == []  # the child is reaped with the solve
    plan = result.plan
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert sum(1 for d in plan.decisions if d.status == "approved") == 2
    price = loaded.policy.objective.preferred_date_per_day
    assert first.bound - plan.objective >= 10 * price  # what the first round misses
    # the child's bound is the optimum, and the plan is proved there
    assert result.stats["bound_beside"] == result.stats["relaxation_bound"] == plan.objective
    assert plan.status == "optimal" and plan.bound == plan.objective
    assert result.stats["proved_by"] == "relaxation bound"
    # the improvement's steps end there, not at the limit: no step could gain
    assert result.stats["improve_proved"] is True
    # without it, the bound is the first round's
    monkeypatch.setattr("solver.beside.BESIDE_ROUND", False)
    alone = solve(loaded, ALONE)
    assert "bound_beside" not in alone.stats and alone.stats["improve_proved"] is False
    assert alone.stats["relaxation_bound"] == first.bound


def test_after_a_probe_far_from_the_bound_day_prices_run_beside_the_improvement(
    tmp_path, monkeypatch
) -> None:
    # Below IMPROVE_FROM requests CP-SAT searches alone first; where it ends far from the
    # bound (full calendars: the 304 requests of the 5,000-request scenario that stay in
    # Oceania), the improvement follows, and day prices now run beside it too
    loaded = _two_groups_for_germany(tmp_path)
    _, first = _first_round(loaded)
    assert len(loaded.scenario.requests) < sys.modules["solver.improve"].IMPROVE_FROM
    run = sys.modules["solver.phases"].run_search
    searches: list[str] = []

    def unproved_probe(*args, **kwargs):
        """The first search is the probe. Two groups are proved at once, so it is told it
        proved nothing, and any gap it leaves counts as far (``PROBE_CLOSE``)."""
        search = run(*args, **kwargs)
        searches.append("probe" if not searches else "search")
        if searches == ["probe"]:
            return replace(search, status=Status.FEASIBLE)
        return search

    monkeypatch.setattr("solver.phases.run_search", unproved_probe)
    monkeypatch.setattr("solver.phases.PROBE_CLOSE", -1.0)
    monkeypatch.setattr("solver.start.second_round", lambda spent, share: None)
    monkeypatch.setattr("solver.beside.NICENESS", 0)  # as above: not starved in a test
    result = solve(loaded, OPTIONS)
    assert multiprocessing.active_children() == []
    stats, plan = result.stats, result.plan
    assert searches[0] == "probe" and "improve_steps" in stats  # the improvement after it
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert first.bound > plan.objective
    assert stats["bound_beside"] == stats["relaxation_bound"] == plan.objective
    assert plan.status == "optimal" and stats["proved_by"] == "relaxation bound"
    # not where they cannot run: the first round's bound stays
    monkeypatch.setattr("solver.beside.BESIDE_ROUND", False)
    searches.clear()
    alone = solve(loaded, ALONE)
    assert "improve_steps" in alone.stats and "bound_beside" not in alone.stats
    assert alone.stats["relaxation_bound"] == first.bound


def test_a_first_round_without_date_costs_puts_trips_on_their_cheapest_starts(
    tmp_path, monkeypatch
) -> None:
    # From DATELESS_FROM requests, where day prices run beside, the first round leaves out
    # the date costs (at 5,000 requests proved in 1 s against 10-13 s); its trips go to
    # the repair on their cheapest starts, and day prices bring the bound to the optimum
    loaded = _two_groups_for_germany(tmp_path)
    _, first = _first_round(loaded)
    monkeypatch.setattr("solver.improve.IMPROVE_FROM", 1)
    monkeypatch.setattr("solver.start.DATELESS_FROM", 1)
    monkeypatch.setattr("solver.beside.NICENESS", 0)  # as above: not starved in a test
    given: list[dict[str, int]] = []
    real_repair = sys.modules["solver.start"].repair

    def repair(scenario, policy, candidates, order, starts, **kwargs):
        given.append(dict(starts))
        return real_repair(scenario, policy, candidates, order, starts, **kwargs)

    monkeypatch.setattr("solver.start.repair", repair)
    result = solve(loaded, OPTIONS)
    stats, plan = result.stats, result.plan
    assert stats["relaxation_dateless"] is True
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert sum(1 for d in plan.decisions if d.status == "approved") == 2
    assert first.bound > plan.objective  # the first round misses the move, as above
    assert stats["bound_beside"] == plan.objective and plan.status == "optimal"
    # both trips go to the repair on the preferred start, 10 March (day 69 of 2020),
    # which the dateless round had no reason to choose
    trips = [c.id for c in singletons(loaded.scenario)]
    assert given and all(starts[cid] == 69 for starts in given for cid in trips), given
    # not in a reproducible run, where no day prices run: the round keeps its dates
    monkeypatch.setattr("solver.start.second_round", lambda spent, share: None)
    again = solve(loaded, replace(ALONE, reproducible=True))
    assert "relaxation_dateless" not in again.stats


def test_reproducible_runs_do_not_fork_it(tmp_path, monkeypatch) -> None:
    # its bound comes when it comes: a reproducible run would not be
    loaded = _two_groups_for_germany(tmp_path)
    monkeypatch.setattr("solver.improve.IMPROVE_FROM", 1)
    monkeypatch.setattr("solver.start.second_round", lambda spent, share: None)
    started: list[bool] = []
    monkeypatch.setattr(
        sys.modules["solver.beside"].BoundBeside,
        "start",
        classmethod(lambda cls, *a: started.append(True)),
    )
    solve(loaded, replace(ALONE, reproducible=True))
    assert started == []
    solve(loaded, ALONE)
    assert started == [True]


@pytest.mark.parametrize(
    ("rows", "reproducible", "where"),
    [
        # as long as the first round took: day prices beside go lower than the crowding
        # rows in turn would, and cost the improvement nothing
        ("crowding", False, ["beside"]),
        # a quick first round: both kinds of row in turn. Here they prove the repaired
        # plan optimal, so no improvement runs, and no day prices beside it
        ("both", False, ["in turn"]),
        ("crowding", True, ["in turn"]),  # reproducible: never beside
    ],
)
def test_day_prices_run_beside_where_they_can(
    tmp_path, monkeypatch, rows: str, reproducible: bool, where: list[str]
) -> None:
    # In turn, the crowding round took about as long as the first round from the
    # improvement (at 5,000 requests 14-17 s of a 120 s solve, often cut short)
    loaded = _two_groups_for_germany(tmp_path)
    monkeypatch.setattr("solver.improve.IMPROVE_FROM", 1)
    monkeypatch.setattr("solver.start.second_round", lambda spent, share: rows)
    seen: list[str] = []
    real = sys.modules["solver.start"].tighten
    monkeypatch.setattr(
        "solver.start.tighten", lambda *a, **k: seen.append("in turn") or real(*a, **k)
    )
    monkeypatch.setattr(
        sys.modules["solver.beside"].BoundBeside,
        "start",
        classmethod(lambda cls, *a: seen.append("beside")),
    )
    result = solve(loaded, replace(ALONE, reproducible=reproducible))
    assert seen == where
    if not reproducible:  # day prices run with the improvement, or not at all
        assert ("beside" in seen) == ("improve_steps" in result.stats)


def test_a_bound_below_the_plan_is_not_taken(tmp_path) -> None:
    # A proved bound is never below a plan's objective; one that is would cut off plans
    # (CP-SAT once reported 0 for a search stopped before any plan)
    from solver.build import build_model
    from solver.candidates import singletons
    from solver.phases import _bound_beside

    loaded = _two_groups_for_germany(tmp_path)
    m, _ = build_model(loaded, singletons(loaded.scenario), merge=False)

    class Told:
        def __init__(self, bound: int | None) -> None:
            self.told = bound

        def bound(self) -> int | None:
            return self.told

    cuts = len(m.cuts)
    for told, taken in [(None, 100), (99, 99), (50, 100), (120, 100), (80, 80)]:
        stats = {"relaxation_bound": 100}
        assert _bound_beside(m, Told(told), stats, 80) == taken  # type: ignore[arg-type]
        assert stats["relaxation_bound"] == taken
    assert len(m.cuts) == cuts + 2  # 99 and 80 are cut into the model, no other


def test_closing_stops_a_child_still_at_work(tmp_path) -> None:
    # Day prices that would outlast the run: closing kills them, at once
    loaded = _two_groups_for_germany(tmp_path)
    _, first = _first_round(loaded)
    work = Work(first.bound, loaded.policy, lambda: time.sleep(600), 0, OPTIONS, 600)
    beside = BoundBeside(work)
    time.sleep(0.5)
    assert beside._process.is_alive() and beside.bound() is None
    began = time.perf_counter()
    beside.close()
    assert not beside._process.is_alive() and time.perf_counter() - began < 5


class _Dropped:
    """The child's end of the pipe, dropping what is sent: these tests read its calls."""

    def send(self, bound) -> None:
        pass

    def close(self) -> None:
        pass


def _child_here(monkeypatch) -> None:
    """The child's work runs in this test process: no parent to watch, and not niced."""
    monkeypatch.setattr("solver.beside.child_start", lambda parent: None)
    monkeypatch.setattr("solver.beside.os.nice", lambda n: 0)


def test_each_step_of_day_prices_stops_at_its_share(tmp_path, monkeypatch) -> None:
    # At 20,000 requests a step is not proved in 60 s: given all the time left, the first
    # step would take it all, and the bound would stay the relaxation's. With merging
    # there, a step on one core finds no answer in 30 s: it is given more, not given up
    loaded = _two_groups_for_germany(tmp_path)
    _, first = _first_round(loaded)
    candidates = singletons(loaded.scenario)
    prepared = prepare(loaded, candidates, merge=False)
    limits: list[float] = []
    real = sys.modules["solver.beside"].lp_solver

    class NoAnswer:  # the first step finds nothing in its time
        def solve(self, model) -> int:
            return cp_model.UNKNOWN

    def recorded(options, limit):
        limits.append(limit)
        return NoAnswer() if len(limits) == 1 else real(options, limit)

    sent: list[int | None] = []

    class Writer:
        def send(self, bound: int | None) -> None:
            sent.append(bound)

        def close(self) -> None:
            pass

    monkeypatch.setattr("solver.beside.lp_solver", recorded)
    _child_here(monkeypatch)
    monkeypatch.setattr("solver.beside.STEP_SECONDS", 0.75)
    build = lambda: inner_model(loaded, candidates, False, prepared)  # noqa: E731
    _lower_bounds(Work(first.bound, loaded.policy, build, 0, OPTIONS, 3.0), Writer(), 0)
    # the step that found nothing is tried again with twice the time, and so on
    assert limits[:2] == [0.75, 1.5] and max(limits) <= 1.5
    assert sent[-1] is None and sent[:-1] == sorted(sent[:-1], reverse=True)
    assert sent[:-1] and sent[-2] < first.bound  # the steps brought it down


@pytest.mark.parametrize(("step", "left"), [(0.03, 0.09), (0.5, 0.2)])
def test_the_linear_steps_end_in_time_for_whole_ones(monkeypatch, step, left) -> None:
    # At 20,000 requests with merging the linear steps ran nearly to the end and a whole
    # step, 15,000 lower, came after it in one run: they now end three whole steps' time
    # before the child's end, or a fifth of its time if less (here 1 s: 0.09 s, then 0.2 s)
    ends: list[float] = []

    class Prices:  # no step proves anything: the child only waits for its end
        def __init__(self, inner, policy) -> None:
            pass

        def bounds(self, solver, target, deadline=None):
            ends.append(deadline)
            return iter(())

    monkeypatch.setattr("solver.beside.DayPrices", Prices)
    _child_here(monkeypatch)
    monkeypatch.setattr("solver.beside.STEP_SECONDS", step)
    began = time.perf_counter()
    _lower_bounds(Work(100, None, lambda: None, 0, OPTIONS, 1.0), _Dropped(), 0)
    assert ends and len(set(ends)) == 1
    assert began + 1.0 - left <= ends[0] <= began + 1.0 - left + 0.05


def test_a_whole_step_that_finds_nothing_has_time_for_its_retry(monkeypatch) -> None:
    # With 60 s left after the linear steps, a first whole step with no answer in its
    # 30 s left its retry, owed 60 s, the 30 s left (in the table's run at 4a82b83,
    # 20,000 requests with merging, no whole step proved anything). The reserve now
    # holds both in full
    step = 0.1
    limits: list[float] = []

    class Prices:  # the linear steps run to their end; every whole step finds nothing
        def __init__(self, inner, policy) -> None:
            self.linear_done = False

        def bounds(self, solver, target, deadline=None):
            if not self.linear_done:
                self.linear_done = True
                time.sleep(max(0.0, deadline - time.perf_counter()))
            search = solver()
            if search is not None:
                time.sleep(limits[-1])
            return iter(())

    def recorded(options, limit):
        limits.append(limit)
        return object()

    monkeypatch.setattr("solver.beside.DayPrices", Prices)
    monkeypatch.setattr("solver.beside.lp_solver", recorded)
    _child_here(monkeypatch)
    monkeypatch.setattr("solver.beside.STEP_SECONDS", step)
    _lower_bounds(Work(100, None, lambda: None, 0, OPTIONS, 2.0), _Dropped(), 0)
    assert limits[0] == pytest.approx(step)
    # the retry, given twice the time, is not cut short by the child's end
    assert limits[1] == pytest.approx(2 * step, abs=0.03)
