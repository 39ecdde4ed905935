"""Ctrl-C as a flag: long phases (the improvement's steps, explaining) look at it between
small pieces of work and end with what they have, instead of losing the plan."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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


__all__ = ["ctrl_c"]
