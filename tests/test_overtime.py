"""The relaxation's overtime (``solver.overtime``): it ends the solve once the share has
passed and the plan is close to its bound, and never before the share."""

from __future__ import annotations

import time

from solver.overtime import CLOSE_ENOUGH, Overtime


class _Solver:
    """Stands in for a CP-SAT solver: records when it is told to stop."""

    def __init__(self) -> None:
        self.stopped_at: float | None = None

    def stop_search(self) -> None:  # CP-SAT's name
        self.stopped_at = time.perf_counter()


def _wait_for(condition, seconds: float = 5.0) -> bool:
    end = time.perf_counter() + seconds
    while not condition() and time.perf_counter() < end:
        time.sleep(0.01)
    return condition()


def test_it_runs_past_the_share_while_the_plan_is_far_and_stops_once_it_is_close() -> None:
    solver = _Solver()
    began = time.perf_counter()
    with Overtime(solver, share=0.1, poll=0.01) as overtime:
        overtime.gap = 0.25  # a plan a quarter below its bound
        time.sleep(0.4)  # the share is long past: still running
        assert solver.stopped_at is None and not overtime.stopped
        overtime.gap = CLOSE_ENOUGH / 2
        assert _wait_for(lambda: solver.stopped_at is not None)
    assert overtime.stopped and solver.stopped_at - began >= 0.4


def test_a_close_plan_waits_for_the_share_and_a_finished_solve_is_left_alone() -> None:
    solver = _Solver()
    began = time.perf_counter()
    with Overtime(solver, share=0.3, poll=0.01) as overtime:
        overtime.gap = 0.0
        assert _wait_for(lambda: solver.stopped_at is not None)
    assert overtime.stopped and solver.stopped_at - began >= 0.3
    # the solve ended (proved, or its limit) before the share: nothing is stopped
    solver = _Solver()
    with Overtime(solver, share=30.0) as overtime:
        overtime.gap = 0.0
    assert solver.stopped_at is None and not overtime.stopped


def test_with_an_early_gap_a_close_plan_ends_the_solve_within_the_share() -> None:
    # the relaxation's first round without date costs (``solver.start``): at 20,000
    # requests its plan came within 0.26% of its bound after 6 s of a 150 s share
    solver = _Solver()
    began = time.perf_counter()
    with Overtime(solver, share=30.0, poll=0.01, early=0.005, early_after=0.3) as overtime:
        overtime.gap = 0.004  # close, but too soon: at 5,000 requests with merging the
        time.sleep(0.15)  # plan 1.7 s in was 4,900 short of the optimum at 3.4 s
        assert solver.stopped_at is None and not overtime.stopped
        assert _wait_for(lambda: solver.stopped_at is not None)
    assert overtime.stopped and 0.3 <= solver.stopped_at - began < 5.0
    # past the wait, a plan not yet close enough keeps it running
    solver = _Solver()
    with Overtime(solver, share=30.0, poll=0.01, early=0.005) as overtime:
        overtime.gap = 0.01
        time.sleep(0.2)
        assert solver.stopped_at is None and not overtime.stopped
        overtime.gap = 0.004
        assert _wait_for(lambda: solver.stopped_at is not None)
    assert overtime.stopped
    # without an early gap the same plan waits for the share
    solver = _Solver()
    with Overtime(solver, share=30.0, poll=0.01) as overtime:
        overtime.gap = 0.004
        time.sleep(0.2)
    assert solver.stopped_at is None and not overtime.stopped
