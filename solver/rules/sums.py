"""A capped sum whose check can be waived by exceptions (budgets, quotas, catalogue items).

RULES.md: an exception skips the check whose subject is the excepted request, yet the
excepted trip still counts when others are checked. So ``sum(terms) <= cap`` must hold
whenever some non-excepted subject is in the plan, and need not hold otherwise.
"""

from __future__ import annotations

from ortools.sat.python import cp_model


def post_capped_sum(
    model: cp_model.CpModel,
    terms: list[tuple[int, cp_model.IntVar]],
    cap: int,
    checked_by: list[cp_model.IntVar],
    all_checked: bool,
    name: str,
) -> None:
    """``sum(coef * var) <= cap`` while any literal of ``checked_by`` is true.

    ``all_checked`` says that every term's subject is a non-excepted one, in which case
    the plain constraint is posted (the common case, and the strongest for the solver).
    """
    if not terms:
        return
    expr = sum(coef * var for coef, var in terms)
    if all_checked:
        model.add(expr <= cap).with_name(name)
        return
    if not checked_by:
        return
    checked = model.new_bool_var(f"checked[{name}]")
    for lit in checked_by:
        model.add_implication(lit, checked)
    model.add(expr <= cap).with_name(name).only_enforce_if(checked)
