"""Independent pieces of work shared out to worker processes forked from this one.

Three steps of a large run are many small, independent pieces of pure Python, one core's
work unless shared out: explaining the rejections (``solver.decisions``, minutes at
5,000 requests), checking the pairs of requests that could merge (``solver.merge``,
about 30 s of building the model at 20,000 requests), and repairing the relaxation's plan
in two orders (``solver.greedy.repair_side_by_side``). The workers are forked, so they
start at once with the parent's whole state and nothing is pickled but the index range
of a batch and its answers; the answers come back in the order of the items, so the
result is the same as in one process.

Where forking is not safe (not Linux; a Ray driver, whose gRPC threads do not survive a
fork) or a second run in another thread already uses the workers, :func:`forked_map`
answers None and the caller does the work itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from solver.interrupts import ctrl_c

#: prctl's option to have a signal sent to this process when its parent dies (linux/prctl.h)
_PR_SET_PDEATHSIG = 1
#: How often the parent looks for Ctrl-C and reports progress while the workers run.
POLL_SECONDS = 0.2

#: The work of the run in hand, set by the parent just before it forks.
_WORK: Callable[[int, int], Sequence[Any]] | None = None
_STOP = None  # a multiprocessing Event: set on Ctrl-C in the parent
#: The two above are one run's: a second run in another thread works in its own process.
_IN_USE = threading.Lock()


def can_fork() -> bool:
    """Whether worker processes may be forked from this one: on Linux, and not in a Ray
    driver, whose gRPC threads do not survive a fork."""
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        return False
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def worker_count(requested: int) -> int:
    """Processes to share work out to: the run's workers, at most one per core."""
    return max(1, min(requested, os.cpu_count() or 1))


def stopped() -> bool:
    """In a worker: whether the parent heard Ctrl-C (the work then ends its items
    quickly, as the caller defines it). False outside a run."""
    return _STOP is not None and _STOP.is_set()


def child_start(parent: int) -> None:
    """A worker's start: Ctrl-C is the parent's to handle (it reaches the whole process
    group), and the worker dies with its parent.

    A parent killed outright (SIGKILL, the out-of-memory killer, or a SIGINT that finds
    no handler: CP-SAT's own Ctrl-C handler, on by default, leaves SIGINT at SIG_DFL when
    its solve ends) would leave its workers waiting for work for ever, holding open the
    pipes it shared with them: a CI run waited 90 minutes on a test process's orphans.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Linux's prctl(PR_SET_PDEATHSIG): the kernel kills this process when its parent dies
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _run(first: int, end: int) -> list[Any]:
    assert _WORK is not None
    return list(_WORK(first, end))


def forked_map(
    work: Callable[[int, int], Sequence[Any]],
    total: int,
    workers: int,
    batch: int,
    pressed: list[bool] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[Any] | None:
    """The answers for items ``0 .. total-1``, in order, worked out by ``workers`` forked
    processes in batches of ``batch`` items: ``work(first, end)`` answers items ``first``
    to ``end - 1``. None when workers cannot be forked here.

    ``pressed`` is the caller's Ctrl-C flag (``solver.interrupts.ctrl_c``): once set,
    :func:`stopped` is true in the workers. ``on_done`` hears how many items are answered,
    batch by batch. Where Ctrl-C would raise KeyboardInterrupt (no ``ctrl_c`` block open),
    a press drops the batches not started, tells the running ones to stop, waits for them,
    and then raises it.

    A press is only noted while the workers run, never raised there: a KeyboardInterrupt
    raised at any bytecode could leave a future's lock held (inside
    ``concurrent.futures.wait``), and the pool's shutdown would then wait for ever.
    """
    global _WORK, _STOP
    if not can_fork() or not _IN_USE.acquire(blocking=False):
        return None
    interrupts = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    try:
        context = multiprocessing.get_context("fork")
        _WORK, _STOP = work, context.Event()
        # the workers only read the parent's state: frozen, the collector in a worker does
        # not write to (and so copy) every page of the parent's objects
        gc.freeze()
        with ctrl_c() as heard:  # sets the caller's flag too (``pressed``), if it has one
            pool = ProcessPoolExecutor(
                workers, mp_context=context, initializer=child_start, initargs=(os.getpid(),)
            )
            try:
                futures: list[Future] = [
                    pool.submit(_run, k, min(k + batch, total)) for k in range(0, total, batch)
                ]
                waiting = set(futures)
                while waiting and not (heard and interrupts):
                    finished, waiting = wait(
                        waiting, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED
                    )
                    if pressed or heard:
                        _STOP.set()
                    if finished and on_done is not None:
                        on_done(sum(len(f.result()) for f in futures if f.done()))
                if not (heard and interrupts):
                    return [answer for f in futures for answer in f.result()]
            finally:
                if heard:
                    _STOP.set()  # the running batches end their items quickly
                pool.shutdown(wait=True, cancel_futures=True)
    except (BrokenProcessPool, OSError):
        return None
    finally:
        gc.unfreeze()
        _WORK, _STOP = None, None
        _IN_USE.release()
    raise KeyboardInterrupt  # pressed while the workers ran, and no ``ctrl_c`` block hears it


__all__ = ["POLL_SECONDS", "can_fork", "child_start", "forked_map", "stopped", "worker_count"]
