"""The model of one improvement step (``solver.steps``): smaller, and the same answer."""

from __future__ import annotations

from collections.abc import Iterator
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


def _planned(steps: StepModels, model: cp_model.CpModel) -> tuple[int, list[int]]:
    """A step's optimum and its plan in the whole model's numbering: the plan held, with
    the step's live variables as it found them (``StepModels.read``)."""
    objective, solution = _optimum(model)
    plan = list(steps.values)
    for v, x in steps.read(solution).items():
        plan[v] = x
    return objective, plan


def _stays_apart(others: list[str], compact: bool) -> tuple[list[cp_model.IntVar], StepModels]:
    """Three-day stays in one calendar, the first ("free", days 0-10) the one to push
    late, each other one starting on days 0-50; their starts, and the step models."""
    model = cp_model.CpModel()
    starts = [model.new_int_var(0, 10, "free")]
    starts += [model.new_int_var(0, 50, name) for name in others]
    stays = [model.new_fixed_size_interval_var(s, 3, f"stay[{s.name}]") for s in starts]
    model.add_no_overlap(stays)
    model.maximize(starts[0])
    return starts, StepModels(model, [s.index for s in starts], [], compact)


#: both ways of making a step's model: the whole model's numbering, and renumbered
BOTH = pytest.mark.parametrize("compact", [False, True], ids=["whole", "renumbered"])


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


def _from_clerks_plan(tmp_path: Path, compact: bool) -> tuple:
    """A generated scenario, its model, its candidates' decisions, step models holding
    the clerk's plan, and neighbourhoods to pick steps from."""
    loaded = _generated(tmp_path)
    m, _, values = _clerks_plan(loaded)
    decisions = _decisions(m)
    steps = StepModels(m.model, [v for pair in decisions.values() for v in pair], m.cuts, compact)
    steps.hold(values)
    return loaded, m, decisions, steps, _Neighbourhoods(m, seed=5)


def _eight_steps(steps: StepModels, hoods: _Neighbourhoods, decisions: dict) -> Iterator[list]:
    """The decisions eight steps free, each picked around the plan held when it starts;
    every kind among them."""
    kinds = set()
    for step in range(1, 9):
        formed = {cid for cid, (form, _) in decisions.items() if steps.values[form]}
        kind, free = hoods.pick(step, formed)
        kinds.add(kind)
        yield _freed(kind, free, decisions)  # a "dates" step's starts alone
    assert kinds == {"left out", "countries", "dates"}


def test_a_step_model_has_the_whole_models_optimum_with_the_rest_fixed(tmp_path: Path) -> None:
    # What a step leaves out (constraints of fixed trips only, stays of trips out of the
    # plan) must change nothing: each neighbourhood's optimum is the narrowed whole model's,
    # and its plan is one the auditor accepts.
    loaded, m, decisions, steps, hoods = _from_clerks_plan(tmp_path, False)
    values = steps.values
    whole = len(m.model.proto.constraints)
    for freed in _eight_steps(steps, hoods, decisions):
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
    # the step model is put back: nothing of a step stays for the next
    assert len(steps.step.proto.constraints) == 0
    held = steps.step.proto.variables
    assert all(list(v.domain) == [x, x] for v, x in zip(held, values, strict=True))


def test_a_renumbered_step_model_has_the_same_optimum_and_far_fewer_variables(
    tmp_path: Path,
) -> None:
    # Renumbered (``solver.compact``), a step's model has only the variables its kept
    # constraints name, fixed stays as constant intervals and the fixed objective terms
    # in its offset: the same optimum as the narrowed whole model, read back (``read``)
    # into a plan the auditor accepts, from one plan held to the next.
    loaded, m, decisions, steps, hoods = _from_clerks_plan(tmp_path, True)
    assert steps.compact
    values = steps.values
    variables = len(m.model.proto.variables)
    for freed in _eight_steps(steps, hoods, decisions):
        with steps.around(freed) as model:
            assert len(model.proto.variables) < variables / 4  # the point of it
            objective, plan = _planned(steps, model)
        assert objective == _optimum(_narrowed(m, set(freed), values))[0]
        assert _violations(loaded, m, plan) == []
        if plan != values:  # hold the better plan: the next step starts from it
            steps.hold(plan, among=steps.last_live)
            values = plan


@BOTH
def test_a_better_plan_held_is_what_the_next_steps_fix(compact: bool) -> None:
    model = cp_model.CpModel()
    x, y = model.new_int_var(0, 5, "x"), model.new_int_var(0, 5, "y")
    model.add(x + y <= 6)
    model.maximize(x + 2 * y)
    steps = StepModels(model, [0, 1], [], compact)
    steps.hold([1, 1])
    with steps.around([1]) as step:
        assert _planned(steps, step) == (11, [1, 5])
    steps.hold([1, 5], among=steps.last_live)
    with steps.around([0]) as step:
        assert _planned(steps, step) == (11, [1, 5])  # y stays at 5 now: x can be 1 at most


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


def test_a_variable_the_objective_names_twice_counts_twice_in_a_renumbered_step() -> None:
    # The fixed terms go into the step's offset: y's two terms must both be in it
    model = cp_model.CpModel()
    x, y = model.new_int_var(0, 5, "x"), model.new_int_var(0, 5, "y")
    model.add(x + y >= 6)
    model.minimize(x)
    model.proto.objective.vars.extend([y.index, y.index])
    model.proto.objective.coeffs.extend([1, 1])  # x + y + y
    steps = StepModels(model, [x.index, y.index], [], compact=True)
    steps.hold([5, 1])
    with steps.around([x.index]) as step:
        assert _planned(steps, step) == (7, [5, 1])


def test_a_model_with_a_kind_it_cannot_rebuild_is_never_renumbered() -> None:
    # ``solver.compact`` rebuilds the kinds the rules post; a product is not one of them,
    # so the step models keep the whole model's numbering, and their plans are right
    model = cp_model.CpModel()
    x, y = model.new_int_var(0, 5, "x"), model.new_int_var(0, 5, "y")
    w = model.new_int_var(0, 25, "w")
    model.add_multiplication_equality(w, [y, y])
    model.add(x + y <= 6)
    model.maximize(x + w)
    assert StepModels(model, [x.index, y.index], [], compact=True).compact is False
    plain = cp_model.CpModel()
    a = plain.new_int_var(0, 5, "a")
    plain.maximize(a)
    assert StepModels(plain, [a.index], [], compact=True).compact is True
    assert StepModels(plain, [a.index], []).compact is False  # by size: a small model


def test_a_constraint_naming_intervals_it_cannot_renumber_is_refused() -> None:
    model = cp_model.CpModel()
    start = model.new_int_var(0, 5, "start")
    stay = model.new_interval_var(start, 2, start + 2, "stay")
    model.add_cumulative([stay], [1], 1)
    with pytest.raises(NotImplementedError, match="cumulative"):
        StepModels(model, [start.index], [])


@BOTH
def test_an_enforced_no_overlap_reads_its_own_literal_and_its_intervals(compact: bool) -> None:
    model = cp_model.CpModel()
    a, b = model.new_int_var(0, 5, "a"), model.new_int_var(0, 5, "b")
    on = model.new_bool_var("on")  # not a decision: live once the no-overlap is kept
    stays = [model.new_interval_var(s, 2, s + 2, f"stay{i}") for i, s in enumerate((a, b))]
    apart = model.add_no_overlap(stays)
    apart.only_enforce_if(on)
    model.maximize(a + b - on)
    steps = StepModels(model, [a.index, b.index], [], compact)
    steps.hold([0, 2, 1])
    live, kept = steps.live([a.index])
    assert live == {a.index, on.index} and apart.index in kept
    with steps.around([a.index]) as step:
        assert _planned(steps, step) == (7, [5, 2, 0])  # on = 0 is worth one more than a past b


@BOTH
def test_a_no_overlap_keeps_only_the_fixed_stays_a_freed_one_can_meet(compact: bool) -> None:
    # A freed stay can start on days 0-10 and lasts 3 days; one fixed stay is on days
    # 12-14, within its reach, another on days 40-42, far from it. The step's no-overlap
    # names the freed stay and the near one only, and the freed stay still keeps clear
    # of the near one (it may start on day 9 at the latest). Renumbered, the near stay is
    # a constant interval on its days, and the far one's variable is not in the model.
    starts, steps = _stays_apart(["near", "far"], compact)
    decisions = [s.index for s in starts]
    steps.hold([0, 12, 40])
    with steps.around([starts[0].index]) as step:
        proto = plain_proto(step)
        (apart,) = [c for c in proto.constraints if c.HasField("no_overlap")]
        inside = [proto.constraints[i].interval for i in apart.no_overlap.intervals]
        if compact:
            named = [(list(i.start.vars), i.start.offset, i.end.offset) for i in inside]
            assert sorted(named) == [([], 12, 15), ([0], 0, 3)]
            assert len(proto.variables) == 1  # the freed start alone
        else:
            named = [i.start.vars[0] for i in inside]
            assert sorted(named) == decisions[:2]
        assert _planned(steps, step) == (9, [9, 12, 40])


@BOTH
@pytest.mark.parametrize(
    ("held", "moved", "before", "after"),
    [(40, 9, 10, 6), (12, 11, 9, 8)],
    ids=["out-of-reach-then-near", "kept-then-moved"],
)
def test_a_fixed_stay_a_better_plan_moved_is_seen_where_it_now_is(
    compact: bool, held: int, moved: int, before: int, after: int
) -> None:
    # The days of fixed stays are kept from step to step (a renumbered step's fixed stays
    # as constant intervals, made once); a plan that moves one must drop them. The other
    # stay is first on days 40-42, out of the freed stay's reach (days 0-12), and a step
    # leaves it out; the next plan puts it on days 9-11, and the freed stay must start by
    # day 6. Or it is first on days 12-14, within reach, and a step keeps it (the freed
    # one starts by day 9); a plan that moves it a day sooner leaves the next step day 8.
    starts, steps = _stays_apart(["other"], compact)
    steps.hold([0, held])
    with steps.around([starts[0].index]) as step:
        assert _planned(steps, step) == (before, [before, held])
    steps.hold([0, moved], among=[starts[1].index])
    with steps.around([starts[0].index]) as step:
        assert _planned(steps, step) == (after, [after, moved])


@BOTH
def test_a_stay_a_better_plan_brings_in_or_leaves_out_is_seen_by_the_next_step(
    compact: bool,
) -> None:
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
    steps = StepModels(model, [free.index, guest.index, comes.index], [], compact)
    steps.hold([0, 9, 0])
    with steps.around([free.index]) as step:
        assert _planned(steps, step) == (10, [10, 9, 0])
    steps.hold([0, 9, 1], among=[guest.index, comes.index])
    with steps.around([free.index]) as step:
        assert _planned(steps, step) == (6, [6, 9, 1])
    steps.hold([0, 9, 0], among=[guest.index, comes.index])
    with steps.around([free.index]) as step:
        proto = plain_proto(step)
        (apart,) = [c for c in proto.constraints if c.HasField("no_overlap")]
        assert len(apart.no_overlap.intervals) == 1  # the guest's stay needs no room now
        assert _planned(steps, step) == (10, [10, 9, 0])
