"""Ctrl-C: long phases end with what they have, instead of losing the plan.

Phases of many small solves (the improvement's steps, explaining) hold a flag Ctrl-C sets
(``ctrl_c``) and look at it between solves. One long CP-SAT search catches Ctrl-C itself
and returns the best it has; ``cut_short`` tells that apart from a search that ran its time.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model


@contextmanager
def ctrl_c() -> Iterator[list[bool]]:
    """A flag Ctrl-C sets while the block runs (non-empty once pressed).

    Off the main thread (Ray, a test runner's thread) Python cannot take signals: there
    is no handler then, and the flag stays empty.
    """
    pressed: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def cut_short(solver: cp_model.CpSolver, code: int, reproducible: bool) -> bool:
    """Whether Ctrl-C ended this search: it stopped unproved well before its time limit.

    CP-SAT says nothing of why it stopped, but an unproved search stops early only when
    told to. A reproducible run's limit is deterministic time, which the wall clock does
    not measure, so there it is never taken for Ctrl-C.
    """
    if reproducible or code not in (cp_model.FEASIBLE, cp_model.UNKNOWN):
        return False
    return solver.wall_time < solver.parameters.max_time_in_seconds * 0.95


__all__ = ["ctrl_c", "cut_short"]
