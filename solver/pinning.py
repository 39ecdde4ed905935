"""A plan as values of the whole model, both ways: a plan's trips pinned or hinted on the
model, and a complete solution read back as trips.

A plan is its trips and their starts (``Placed``); the model has thousands of other
variables (approvals, date distances, soft costs, quota literals) that follow from them.
Every phase of a solve hands plans on in both forms: the repair and the clerk give trips,
the improvement and the searches give solutions, and each hint is a whole solution
(``hint_plan``: a hint on trips alone lost most of its value at 5,000 requests).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.candidates import Placed
from solver.model import ModelContext
from solver.options import SolveOptions, cp_solver


def hint_trips(m: ModelContext, placed: list[Placed], starts: dict[str, int]) -> None:
    """A complete hint: the placed trips formed on their dates, every other candidate not."""
    on = {t.id: t.start for t in placed}
    for c in m.candidates:
        m.model.add_hint(m.form[c.id], c.id in on)
        m.model.add_hint(m.start[c.id], on.get(c.id, starts.get(c.id, c.earliest)))


def plan_values(
    m: ModelContext, placed: list[Placed], options: SolveOptions
) -> tuple[int, list[int]] | None:
    """A feasible plan as a value for every variable of the model, and its objective.
    None when the model does not accept the plan, or there was no time."""
    solver = solve_pinned(m, placed, options)
    if solver is None:
        return None
    return round(solver.objective_value), list(solver.response_proto.solution)


def solve_pinned(
    m: ModelContext, placed: list[Placed], options: SolveOptions
) -> cp_model.CpSolver | None:
    """The model's answer for one plan: solved on a copy of the model with every ``form``
    and ``start`` fixed (a tenth of a second at 5,000 requests), which sets the cost and
    quota literals too. None when that fails (a plan the model does not accept, or no
    time)."""
    fixed = m.model.clone()
    pin(fixed, m, placed)
    fixed.clear_hints()
    solver = cp_solver(options, 30.0)
    if solver.solve(fixed) != cp_model.OPTIMAL:
        return None
    return solver


def hint_plan(
    m: ModelContext, placed: list[Placed], complete: tuple[int, list[int]] | None
) -> None:
    """Hint a feasible plan on every variable of the model, not only ``form`` and ``start``.

    A hint on those alone leaves CP-SAT to complete the cost and quota literals itself,
    and at thousands of requests it does not: measured on the 5,000-request benchmark, the
    search's first plan was worth 0.80M against the hinted plan's 1.44M, and 45 s later it
    had only climbed back to 1.44M. With the whole solution (``plan_values``) hinted, the
    hint is the search's first plan, at once.
    """
    if complete is None:
        m.model.clear_hints()
        hint_trips(m, placed, {})
        return
    hint_values(m.model, complete[1])


def hint_values(model: cp_model.CpModel, values: list[int]) -> None:
    """Hint a whole solution: one value per variable, in the model's order."""
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def pin(model: cp_model.CpModel, m: ModelContext, placed: list[Placed]) -> None:
    """Constrain ``model`` (``m``'s or a copy) to a plan: its trips on their dates, no other."""
    on = {t.id: t.start for t in placed}
    for c in m.candidates:
        model.add(m.form[c.id] == int(c.id in on))
        if c.id in on:
            model.add(m.start[c.id] == on[c.id])


def fix_to(m: ModelContext, placed: list[Placed]) -> None:
    """Fix the model to a given plan: its trips formed on their dates, nothing else."""
    pin(m.model, m, placed)
    m.model.clear_hints()  # a variable hinted twice makes the model invalid
    hint_trips(m, placed, {})


def placed_of(m: ModelContext, values: list[int]) -> list[Placed]:
    """The trips of a complete plan (one value per variable of ``m``)."""
    return [
        Placed(c, values[m.start[c.id].index]) for c in m.candidates if values[m.form[c.id].index]
    ]
