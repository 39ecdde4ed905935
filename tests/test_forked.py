"""Work shared out to forked processes (``solver.forked``): answers in the items' order,
and a Ctrl-C in the parent drops the batches not started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
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

    # twenty batches on two workers: the last starts about 3 s after the flag is set
    out = forked_map(work, 20, workers=2, batch=1, pressed=pressed, on_done=pressed.append)
    assert out is not None and out[0] is False and out[-1] is True
    assert out == sorted(out)  # once stopped, stopped
    assert not stopped()  # outside a run


@pytest.fixture
def python_handles_ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt during the test, as at a terminal: a shell's
    background job starts with SIGINT ignored, and Python keeps that."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_in_the_parent_drops_the_batches_not_started(
    tmp_path: Path, python_handles_ctrl_c: None
) -> None:
    # the press comes from the fourth batch, in a worker: at the parent, which the
    # terminal's Ctrl-C would reach too, and only while the work runs. No ``ctrl_c`` block
    # is open, so the parent raises KeyboardInterrupt, once the running batches have ended
    # (told to stop) and the others are dropped
    parent = os.getpid()

    def work(first: int, end: int) -> list[int]:
        (tmp_path / f"batch-{first}").touch()
        if first == 3:
            os.kill(parent, signal.SIGINT)
            deadline = time.monotonic() + 10
            while not stopped() and time.monotonic() < deadline:
                time.sleep(0.01)
            if stopped():
                (tmp_path / "stopped").touch()
        time.sleep(0.2)
        return list(range(first, end))

    with pytest.raises(KeyboardInterrupt):
        forked_map(work, 40, workers=2, batch=1)
    started = len(list(tmp_path.glob("batch-*")))
    assert 3 < started < 40
    assert (tmp_path / "stopped").exists()  # the batch running was told to stop


ROOT = Path(__file__).resolve().parents[1]


def _script(tmp_path: Path, body: str) -> Path:
    """A Python script that imports this checkout's ``solver``, with Python's own handler
    for SIGINT (see ``python_handles_ctrl_c``)."""
    head = f"import os, signal, sys, time\nsys.path.insert(0, {str(ROOT)!r})\n"
    head += "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    script = tmp_path / "script.py"
    script.write_text(head + body)
    return script


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs: not gone, nor a zombie left for its new parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_press_after_a_bare_cp_sat_solve_still_raises_in_the_parent(tmp_path: Path) -> None:
    # A CpSolver left with its own Ctrl-C handler (the default) sets SIGINT to SIG_DFL
    # behind Python's back when its solve ends: a press would then kill the parent outright
    # and orphan its workers. In a test run, those orphans held the runner's pipes open
    # and CI waited 90 minutes. The press must still come out as KeyboardInterrupt.
    body = """
from ortools.sat.python import cp_model
from solver.forked import forked_map
model = cp_model.CpModel()
model.maximize(model.new_int_var(0, 1, "x"))
cp_model.CpSolver().solve(model)
parent = os.getpid()
def work(first, end):
    if first == 1:
        os.kill(parent, signal.SIGINT)
    time.sleep(0.3)
    return [first]
try:
    forked_map(work, 20, workers=2, batch=1)
except KeyboardInterrupt:
    print("KeyboardInterrupt")
"""
    out = tmp_path / "out.txt"
    with out.open("w") as sink:  # a file, not a pipe: orphans would hold a pipe open
        done = subprocess.run(
            [sys.executable, _script(tmp_path, body)], stdout=sink, stderr=sink, timeout=120
        )
    assert done.returncode == 0, out.read_text()
    assert out.read_text().strip() == "KeyboardInterrupt"


def test_the_workers_die_with_their_parent(tmp_path: Path) -> None:
    # a parent killed outright (SIGKILL, the out-of-memory killer) takes its workers along
    body = f"""
from solver.forked import forked_map
def work(first, end):
    open(os.path.join({str(tmp_path)!r}, f"worker-{{os.getpid()}}"), "w").close()
    time.sleep(120)
    return [first]
forked_map(work, 2, workers=2, batch=1)
"""
    parent = subprocess.Popen(
        [sys.executable, _script(tmp_path, body)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
    finally:
        parent.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
