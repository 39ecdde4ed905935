"""A search stopped for going a while without a better plan (``solver.stall``)."""

from __future__ import annotations

from pathlib import Path

from ortools.sat.python import cp_model

from solver import SolveOptions
from solver.improve import improve
from solver.stall import StallWatch
from tests.test_improve import _clerks_plan, _generated, _violations

HOLES = 14


def _pigeons() -> cp_model.CpModel:
    """As many of ``HOLES + 1`` pigeons as fit in ``HOLES`` holes, one a hole. A plan of
    ``HOLES`` comes at once (hinted); proving that no plan places them all is the
    pigeonhole principle, beyond CP-SAT's search in minutes without its linear
    relaxation, presolve and symmetry."""
    model = cp_model.CpModel()
    place = [[model.new_bool_var(f"p{p}h{h}") for h in range(HOLES)] for p in range(HOLES + 1)]
    for holes in place:
        model.add_at_most_one(holes)
    for h in range(HOLES):
        model.add_at_most_one(place[p][h] for p in range(HOLES + 1))
    model.maximize(sum(x for holes in place for x in holes))
    for p, holes in enumerate(place):
        for h, x in enumerate(holes):
            model.add_hint(x, p == h)
    return model


def _solver(limit: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = limit
    params.num_workers = 1
    params.linearization_level = 0
    params.cp_model_presolve = False
    params.symmetry_level = 0
    params.catch_sigint_signal = False
    return solver


def test_a_search_with_no_better_plan_is_stopped_long_before_its_limit() -> None:
    solver = _solver(30.0)
    watch = StallWatch(0.05)
    with watch.watching(solver):
        code = solver.solve(_pigeons(), watch)
    assert code == cp_model.FEASIBLE  # stopped, not proved
    assert watch.stalled
    assert round(solver.objective_value) == HOLES
    assert watch.first is not None
    assert solver.wall_time < 15  # the watch, not the limit, stopped it


def test_without_a_stall_only_the_limit_stops_it() -> None:
    solver = _solver(0.5)
    watch = StallWatch(None)
    with watch.watching(solver):
        code = solver.solve(_pigeons(), watch)
    assert code == cp_model.FEASIBLE
    assert not watch.stalled
    # its limit (a stall would have ended it within a tenth of a second); the wall time
    # CP-SAT reports can come out short of the limit on a loaded machine (0.39 s of 0.5 s
    # in one CI run while another test process ran beside it)
    assert solver.wall_time >= 0.3


def test_stalled_steps_still_give_plans_the_auditor_accepts(tmp_path: Path, monkeypatch) -> None:
    import solver.improve as module

    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    # a stall shorter than any step's search: every step that is not proved at once stops
    monkeypatch.setattr(module, "STALL_SECONDS", 0.0)
    better = improve(m, values, start, 2.0, SolveOptions(seed=1, workers=2))
    assert better.stalled > 0
    assert better.objective > start
    assert _violations(loaded, m, better.values) == []


def test_reproducible_steps_never_stall(tmp_path: Path, monkeypatch) -> None:
    import solver.improve as module

    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    monkeypatch.setattr(module, "STALL_SECONDS", 0.0)
    options = SolveOptions(seed=1, workers=2, reproducible=True)
    first = improve(m, values, start, 0.5, options)
    again = improve(m, values, start, 0.5, options)
    assert first.stalled == again.stalled == 0
    assert (first.objective, first.values) == (again.objective, again.values)
