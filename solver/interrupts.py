"""Ctrl-C: long phases end with what they have, instead of losing the plan.

Phases of many small solves (the improvement's steps, explaining) hold a flag Ctrl-C sets
(``ctrl_c``) and look at it between solves. One long CP-SAT search is stopped by Ctrl-C
while it runs, and returns the best plan it has (``ctrl_c_stops``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model

#: the flags of the ``ctrl_c`` blocks open now, outermost first: a press sets them all
_OPEN: list[list[bool]] = []


def _note(*_: object) -> None:
    for flag in _OPEN:
        flag.append(True)


@contextmanager
def ctrl_c() -> Iterator[list[bool]]:
    """A flag Ctrl-C sets while the block runs (non-empty once pressed).

    Blocks nest: a press sets the flag of every block open, so a phase that holds the
    whole solve hears presses in the phases inside it as well as between them (in the
    repair, say, which has no flag of its own); without it Python would raise
    KeyboardInterrupt there and the plan in hand would be lost.

    Off the main thread (Ray, a test runner's thread) Python cannot take signals: there
    is no handler then, and the flag stays empty.
    """
    pressed: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    _OPEN.append(pressed)
    previous = signal.signal(signal.SIGINT, _note)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
        _OPEN[:] = [flag for flag in _OPEN if flag is not pressed]  # by identity: [True] == [True]


@contextmanager
def ctrl_c_stops(solver: cp_model.CpSolver) -> Iterator[list[bool]]:
    """Ctrl-C during the block stops ``solver``'s search, which then returns the best plan
    it has, and sets the flag (non-empty once pressed).

    CP-SAT can catch Ctrl-C itself, but a search it stops that way looks like one that ran
    out of time, and telling them apart by the clock failed: CP-SAT ended the what-if's
    grant tier at 5,000 requests at 9.4 s of its 10, and that was taken for Ctrl-C. Here
    Python's handler notes the press (``ctrl_c``), and the byte Python writes at once to
    its wakeup descriptor (``signal.set_wakeup_fd``) wakes a thread that stops the search
    while it runs. Off the main thread there is no handler, and the flag stays empty.
    """
    with ctrl_c() as pressed:
        if threading.current_thread() is not threading.main_thread():
            yield pressed
            return
        solver.parameters.catch_sigint_signal = False
        read, write = os.pipe()
        os.set_blocking(write, False)
        previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)

        def watch() -> None:
            while signals := os.read(read, 64):  # each byte a signal's number
                if signal.SIGINT in signals:
                    _note()  # at once: Python's handler runs once the search returns
                    solver.stop_search()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield pressed
        finally:
            signal.set_wakeup_fd(previous)
            os.close(write)  # the watcher reads the end of the pipe and returns
            watcher.join()
            os.close(read)


__all__ = ["ctrl_c", "ctrl_c_stops"]
