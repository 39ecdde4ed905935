"""A step's model renumbered to the variables it names: for large models.

A step model (``solver.steps``) fixes every variable a step does not free, but keeps them
all, so that a plan of it is a plan of the whole model in one index space. CP-SAT reads
every variable it is given, fixed or not: at 20,000 generated requests (130,000 variables)
21 captured step models started their search 55-61 ms after the call on average, and
26-28 ms once renumbered to the 1,000-7,000 variables their constraints name; in 60 s of
steps the solves took 230 ms a step against 177 ms (benchmarks/findings.md, "Step models
renumbered at 20,000 requests").

Renumbering costs Python time: each kept constraint is rebuilt through OR-Tools' wrapper
(about 5 µs a linear row, 9 µs an interval), 15-16 ms a step. A fixed stay a step keeps
in a calendar becomes a constant interval instead (its days in the plan held, no
variable), made once and kept until a better plan moves it. At 20,000 requests the steps
then ran 238 against 201 in 60 s; at 5,000 (32,000 variables), where CP-SAT's reading
costs little, 346 against 372: so only from ``COMPACT_FROM`` variables.

A recipe is a constraint's fields read once from the model's message (``recipe``), so
that a step rebuilds it (``build``) without reading OR-Tools' wrapper again. Reading them
all costs 215 MB and 5.5 s at 20,000 requests with merging (335,541 constraints); read
only as steps first keep them, 94% were read within a 300 s solve, so they are read at
once (benchmarks/findings.md, "The table again, day prices alone at 20,000 requests, and
the memory of renumbered steps").
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model_helper

#: variables in the whole model from which a step's model is renumbered (20,000 requests
#: have 130,000 without merging; 5,000 have 32,000)
COMPACT_FROM = 100_000

#: a linear expression as read once: its variables, their coefficients, its offset
Expression = tuple[list[int], list[int], int]
#: a constraint as read once: its kind, its enforcement literals, then the kind's fields
Recipe = tuple[Any, ...]

#: kinds whose fields are literals alone
_LITERAL_KINDS = ("bool_or", "bool_and", "at_most_one", "exactly_one")


def _expression(e: Any) -> Expression:
    return list(e.vars), list(e.coeffs), e.offset


def recipe(c: Any) -> Recipe | None:
    """``c``'s fields (a constraint of the model's message, ``solver.proto.plain_proto``),
    or None for a kind ``build`` cannot rebuild (a model with one is never renumbered)."""
    kind = c.WhichOneof("constraint")
    enforced = list(c.enforcement_literal)
    if kind == "linear":
        return kind, enforced, list(c.linear.vars), list(c.linear.coeffs), list(c.linear.domain)
    if kind == "interval":
        i = c.interval
        return kind, enforced, _expression(i.start), _expression(i.end), _expression(i.size)
    if kind == "no_overlap":  # its intervals are renumbered by the step itself
        return kind, enforced
    if kind in _LITERAL_KINDS:
        return kind, enforced, list(getattr(c, kind).literals)
    if kind == "lin_max":
        m = c.lin_max
        return kind, enforced, _expression(m.target), [_expression(e) for e in m.exprs]
    return None


def renumbered(refs: list[int], new: dict[int, int]) -> list[int]:
    """Variable references (a negated literal is ``-index - 1``) in the step's numbering."""
    return [new[r] if r >= 0 else -new[-r - 1] - 1 for r in refs]


def _fill(target: Any, e: Expression, new: dict[int, int]) -> None:
    target.vars.extend([new[v] for v in e[0]])
    target.coeffs.extend(e[1])
    target.offset = e[2]


def build(target: Any, r: Recipe, new: dict[int, int]) -> None:
    """Write recipe ``r`` into ``target`` (an empty constraint of the step's model), its
    variables numbered by ``new`` (whole model's index -> the step's)."""
    kind = r[0]
    if r[1]:
        target.enforcement_literal.extend(renumbered(r[1], new))
    if kind == "linear":
        linear = target.linear
        linear.vars.extend([new[v] for v in r[2]])
        linear.coeffs.extend(r[3])
        linear.domain.extend(r[4])
    elif kind == "interval":
        interval = target.interval
        _fill(interval.start, r[2], new)
        _fill(interval.end, r[3], new)
        _fill(interval.size, r[4], new)
    elif kind in _LITERAL_KINDS:
        getattr(target, kind).literals.extend(renumbered(r[2], new))
    elif kind == "lin_max":
        _fill(target.lin_max.target, r[2], new)
        for e in r[3]:
            _fill(target.lin_max.exprs.add(), e, new)
    else:  # pragma: no cover - ``recipe`` gives no other kind
        raise NotImplementedError(kind)


def constant_interval(start: int, end: int) -> Any:
    """A stay fixed on days ``start`` to ``end`` (the day after its last): no variable."""
    c = cp_model_helper.ConstraintProto()
    c.interval.start.offset = start
    c.interval.end.offset = end
    c.interval.size.offset = end - start
    return c


__all__ = ["COMPACT_FROM", "Recipe", "build", "constant_interval", "recipe", "renumbered"]
