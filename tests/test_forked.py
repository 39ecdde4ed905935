"""Work shared out to forked processes (``solver.forked``): answers in the items' order,
and a Ctrl-C in the parent drops the batches not started."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from solver.forked import can_fork, forked_map, stopped

pytestmark = pytest.mark.skipif(not can_fork(), reason="forks worker processes (Linux)")


def test_answers_come_back_in_the_items_order_whatever_batch_ends_first() -> None:
    def work(first: int, end: int) -> list[int]:
        if first == 0:
            time.sleep(0.3)  # the first batch ends last
        return [k * k for k in range(first, end)]

    heard: list[int] = []
    out = forked_map(work, 23, workers=2, batch=5, on_done=heard.append)
    assert out == [k * k for k in range(23)]
    assert heard[-1] == 23 and heard == sorted(heard)


def test_the_callers_ctrl_c_flag_reaches_the_workers() -> None:
    # the flag is the caller's (``ctrl_c``'s): set here once the first batch is back,
    # as the handler would on a press; the batches started after it see it
    pressed: list[bool] = []

    def work(first: int, end: int) -> list[bool]:
        seen = [stopped() for _ in range(first, end)]
        time.sleep(0.4)
        return seen

    # ten batches on two workers: the last starts about a second after the flag is set
    out = forked_map(work, 10, workers=2, batch=1, pressed=pressed, on_done=pressed.append)
    assert out is not None and out[0] is False and out[-1] is True
    assert out == sorted(out)  # once stopped, stopped
    assert not stopped()  # outside a run


def test_ctrl_c_in_the_parent_drops_the_batches_not_started(tmp_path: Path) -> None:
    # the press comes from the fourth batch, in a worker: at the parent, which the
    # terminal's Ctrl-C would reach too, and only while the work runs
    parent = os.getpid()

    def work(first: int, end: int) -> list[int]:
        (tmp_path / f"batch-{first}").touch()
        if first == 3:
            os.kill(parent, signal.SIGINT)
        time.sleep(0.2)
        return list(range(first, end))

    with pytest.raises(KeyboardInterrupt):
        forked_map(work, 40, workers=2, batch=1)
    started = len(list(tmp_path.glob("batch-*")))
    assert 3 < started < 40
