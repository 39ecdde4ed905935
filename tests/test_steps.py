"""The model of one improvement step (``solver.steps``): smaller, and the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from solver.improve import _freed, _Neighbourhoods
from solver.model import ModelContext
from solver.proto import plain_proto
from solver.steps import StepModels
from tests.test_improve import _clerks_plan, _generated, _violations


def _decisions(m: ModelContext) -> dict[str, tuple[int, int]]:
    return {c.id: (m.form[c.id].index, m.start[c.id].index) for c in m.candidates}


def _optimum(model: cp_model.CpModel) -> tuple[int, list[int]]:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value), list(solver.response_proto.solution)


def _narrowed(m: ModelContext, free: set[int], values: list[int]) -> cp_model.CpModel:
    """The whole model with every decision variable outside ``free`` fixed to ``values``."""
    whole = m.model.clone()
    proto = whole.proto
    for c in m.candidates:
        for var in (m.form[c.id], m.start[c.id]):
            if var.index not in free:
                domain = proto.variables[var.index].domain
                domain.clear()
                domain.extend([values[var.index]] * 2)
    return whole


def test_a_step_model_has_the_whole_models_optimum_with_the_rest_fixed(tmp_path: Path) -> None:
    # What a step leaves out (constraints of fixed trips only, stays of trips out of the
    # plan) must change nothing: each neighbourhood's optimum is the narrowed whole model's,
    # and its plan is one the auditor accepts.
    loaded = _generated(tmp_path)
    m, _, values = _clerks_plan(loaded)
    decisions = _decisions(m)
    steps = StepModels(m.model, [v for pair in decisions.values() for v in pair], m.cuts)
    steps.hold(values)
    hoods = _Neighbourhoods(m, seed=5)
    formed = {cid for cid, (form, _) in decisions.items() if values[form]}
    whole = len(m.model.proto.constraints)
    kinds = set()
    for step in range(1, 9):
        kind, free = hoods.pick(step, formed)
        kinds.add(kind)
        freed = _freed(kind, free, decisions)  # a "dates" step's starts alone
        with steps.around(freed) as model:
            proto = model.proto
            assert len(proto.constraints) < whole / 2  # the point of it
            live = steps.last_live
            for v, variable in enumerate(proto.variables):
                if v in live:
                    assert list(variable.domain) == list(m.model.proto.variables[v].domain)
                else:
                    assert list(variable.domain) == [values[v]] * 2
            objective, plan = _optimum(model)
        assert objective == _optimum(_narrowed(m, set(freed), values))[0]
        assert _violations(loaded, m, plan) == []
    assert kinds == {"left out", "countries", "dates"}
    # the step model is put back: nothing of a step stays for the next
    assert len(steps.step.proto.constraints) == 0
    held = steps.step.proto.variables
    assert all(list(v.domain) == [x, x] for v, x in zip(held, values, strict=True))


def test_a_better_plan_held_is_what_the_next_steps_fix() -> None:
    model = cp_model.CpModel()
    x, y = model.new_int_var(0, 5, "x"), model.new_int_var(0, 5, "y")
    model.add(x + y <= 6)
    model.maximize(x + 2 * y)
    steps = StepModels(model, [0, 1], [])
    steps.hold([1, 1])
    with steps.around([1]) as step:
        assert _optimum(step) == (11, [1, 5])
    steps.hold([1, 5], among=steps.last_live)
    with steps.around([0]) as step:
        assert _optimum(step) == (11, [1, 5])  # y stays at 5 now: x can be 1 at most


def test_it_keeps_only_what_a_freed_variable_reaches_and_leaves_cuts_out() -> None:
    model = cp_model.CpModel()
    x, y = model.new_int_var(0, 5, "x"), model.new_int_var(0, 5, "y")
    z = model.new_int_var(0, 25, "z")  # not a decision: live when it shares a row with x
    w = model.new_int_var(0, 25, "w")
    row = model.add(z == x + 1)
    product = model.add_multiplication_equality(w, [y, y])  # any kind is read
    cut = model.add(x + y + z + w <= 60)
    model.maximize(x + y + z + w)
    steps = StepModels(model, [x.index, y.index], [cut.index])
    steps.hold([2, 2, 3, 4])
    live, kept = steps.live([x.index])
    assert live == {x.index, z.index} and kept == [row.index]
    with steps.around([x.index]) as step:
        objective, plan = _optimum(step)
    assert plan == [5, 2, 6, 4] and objective == 17  # y and w held
    live, kept = steps.live([y.index])
    assert live == {y.index, w.index} and kept == [product.index]
    with steps.around([y.index]) as step:
        objective, plan = _optimum(step)
    assert plan == [2, 5, 3, 25] and objective == 35  # the product still holds


def test_a_constraint_naming_intervals_it_cannot_renumber_is_refused() -> None:
    model = cp_model.CpModel()
    start = model.new_int_var(0, 5, "start")
    stay = model.new_interval_var(start, 2, start + 2, "stay")
    model.add_cumulative([stay], [1], 1)
    with pytest.raises(NotImplementedError, match="cumulative"):
        StepModels(model, [start.index], [])


def test_an_enforced_no_overlap_reads_its_own_literal_and_its_intervals() -> None:
    model = cp_model.CpModel()
    a, b = model.new_int_var(0, 5, "a"), model.new_int_var(0, 5, "b")
    on = model.new_bool_var("on")  # not a decision: live once the no-overlap is kept
    stays = [model.new_interval_var(s, 2, s + 2, f"stay{i}") for i, s in enumerate((a, b))]
    apart = model.add_no_overlap(stays)
    apart.only_enforce_if(on)
    model.maximize(a + b - on)
    steps = StepModels(model, [a.index, b.index], [])
    steps.hold([0, 2, 1])
    live, kept = steps.live([a.index])
    assert live == {a.index, on.index} and apart.index in kept
    with steps.around([a.index]) as step:
        assert _optimum(step) == (7, [5, 2, 0])  # on = 0 is worth one more than a past b


def test_a_no_overlap_keeps_only_the_fixed_stays_a_freed_one_can_meet() -> None:
    # A freed stay can start on days 0-10 and lasts 3 days; one fixed stay is on days
    # 12-14, within its reach, another on days 40-42, far from it. The step's no-overlap
    # names the freed stay and the near one only, and the freed stay still keeps clear
    # of the near one (it may start on day 9 at the latest).
    model = cp_model.CpModel()
    starts = [model.new_int_var(0, 10, "free"), model.new_int_var(0, 50, "near")]
    starts.append(model.new_int_var(0, 50, "far"))
    stays = [model.new_fixed_size_interval_var(s, 3, f"stay[{s.name}]") for s in starts]
    model.add_no_overlap(stays)
    model.maximize(starts[0])
    decisions = [s.index for s in starts]
    steps = StepModels(model, decisions, [])
    steps.hold([0, 12, 40])
    with steps.around([starts[0].index]) as step:
        proto = plain_proto(step)
        (apart,) = [c for c in proto.constraints if c.HasField("no_overlap")]
        named = [proto.constraints[i].interval.start.vars[0] for i in apart.no_overlap.intervals]
        assert sorted(named) == decisions[:2]
        assert _optimum(step) == (9, [9, 12, 40])


def test_a_fixed_stay_a_better_plan_moved_is_seen_where_it_now_is() -> None:
    # The days of fixed stays are kept from step to step; a plan that moves one must
    # drop them. Here the "far" stay is first on days 40-42, out of the freed stay's
    # reach (days 0-12), so a step leaves it out; the next plan held puts it on days
    # 9-11, and a step must keep the freed stay clear of it there (start by day 6).
    model = cp_model.CpModel()
    starts = [model.new_int_var(0, 10, "free"), model.new_int_var(0, 50, "far")]
    stays = [model.new_fixed_size_interval_var(s, 3, f"stay[{s.name}]") for s in starts]
    model.add_no_overlap(stays)
    model.maximize(starts[0])
    decisions = [s.index for s in starts]
    steps = StepModels(model, decisions, [])
    steps.hold([0, 40])
    with steps.around([starts[0].index]) as step:
        assert _optimum(step) == (10, [10, 40])
    with steps.around([starts[1].index]):  # the step that moved it
        pass
    steps.hold([0, 9], among=steps.last_live)
    with steps.around([starts[0].index]) as step:
        assert _optimum(step) == (6, [6, 9])


def test_a_stay_a_better_plan_brings_in_or_leaves_out_is_seen_by_the_next_step() -> None:
    # A step's no-overlap names the fixed stays the plan held has (``in_plan``, kept up
    # to date as plans change), not every stay that could be. The guest's stay (days
    # 9-11) is first out of the plan: the freed stay may start on day 10. A plan that
    # brings the guest in leaves it day 6 at the latest; one that leaves it out, day 10.
    model = cp_model.CpModel()
    free = model.new_int_var(0, 10, "free")
    guest, comes = model.new_int_var(0, 20, "guest"), model.new_bool_var("comes")
    stays = [model.new_fixed_size_interval_var(free, 3, "stay[free]")]
    stays.append(model.new_optional_fixed_size_interval_var(guest, 3, comes, "stay[guest]"))
    model.add_no_overlap(stays)
    model.maximize(free)
    steps = StepModels(model, [free.index, guest.index, comes.index], [])
    steps.hold([0, 9, 0])
    with steps.around([free.index]) as step:
        assert _optimum(step) == (10, [10, 9, 0])
    steps.hold([0, 9, 1], among=[guest.index, comes.index])
    with steps.around([free.index]) as step:
        assert _optimum(step) == (6, [6, 9, 1])
    steps.hold([0, 9, 0], among=[guest.index, comes.index])
    with steps.around([free.index]) as step:
        proto = plain_proto(step)
        (apart,) = [c for c in proto.constraints if c.HasField("no_overlap")]
        assert len(apart.no_overlap.intervals) == 1  # the guest's stay needs no room now
        assert _optimum(step) == (10, [10, 9, 0])
