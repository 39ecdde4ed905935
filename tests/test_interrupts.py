"""Ctrl-C (``solver.interrupts``): a press is heard by every phase it falls in, never lost."""

from __future__ import annotations

import os
import signal
import threading

from ortools.sat.python import cp_model

from solver import SolveOptions
from solver.interrupts import ctrl_c, ctrl_c_stops
from solver.options import cp_solver


def _slow_model() -> cp_model.CpModel:
    """A model CP-SAT does not prove within seconds: as many ones as a 16 x 16 grid holds
    with no four forming a rectangle (a Zarankiewicz problem)."""
    model = cp_model.CpModel()
    n = 16
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(n)]
    for a in range(n):
        for b in range(a + 1, n):
            for c in range(n):
                for d in range(c + 1, n):
                    model.add_bool_or([x[a][c].Not(), x[a][d].Not(), x[b][c].Not(), x[b][d].Not()])
    model.maximize(sum(v for row in x for v in row))
    return model


def _press_in(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_a_press_sets_every_open_flag_and_the_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c() as outer:
        with ctrl_c() as inner:
            os.kill(os.getpid(), signal.SIGINT)
        assert inner and outer
        with ctrl_c() as later:
            pass
        assert not later  # a block opened after the press starts clear
    assert signal.getsignal(signal.SIGINT) is before


def test_a_press_during_a_short_solve_is_heard_not_swallowed() -> None:
    # A short solve (completing a plan, an improvement step) runs with no stopping of its
    # own; CP-SAT's handler, were it on, would end that solve and swallow the press
    solver = cp_solver(SolveOptions(seed=1, workers=2), 1.5)
    with ctrl_c() as pressed:
        timer = _press_in(0.3)
        code = solver.solve(_slow_model())
        timer.join()
    assert pressed
    # it ran out its time, the press did not end it; on a loaded machine (a CI run beside
    # other work) its 1.5 s once ended with no plan yet (UNKNOWN), which proves as much
    assert code in (cp_model.FEASIBLE, cp_model.UNKNOWN) and solver.wall_time > 1.0


def test_ctrl_c_stops_ends_a_long_search_and_tells_the_block_around_it() -> None:
    solver = cp_solver(SolveOptions(seed=1, workers=2), 60.0)
    with ctrl_c() as outer, ctrl_c_stops(solver) as pressed:
        timer = _press_in(0.5)
        code = solver.solve(_slow_model())
        timer.join()
    assert pressed and outer
    assert code != cp_model.OPTIMAL and solver.wall_time < 30  # stopped, not out of time
