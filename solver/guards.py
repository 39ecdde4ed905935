"""Switch one rule's constraints on and off with a literal, for explanations.

To explain a rejection the solver is asked which rules and which approved trips keep the
request out. Each rule gets one literal, its *guard*, passed to CP-SAT as an assumption:
with the guard false, the rule is off. Rather than teach every rule's ``post`` about
guards (and trust future rules to remember), :func:`post_guarded` posts the rule as usual
and then rewrites the constraints it added:

* a linear, clause or conjunction gets the guard as one more enforcement literal;
* a no-overlap gets copies of its intervals whose presence is ``presence and guard``
  (CP-SAT has no enforcement literal on a no-overlap);
* an interval on its own is a definition, not a restriction, and is left as it is.

A constraint of any other kind raises an error naming the rule, so a new rule that posts
one cannot silently escape its guard.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.model import ModelContext
from solver.rules.base import Rule

_ENFORCEABLE = ("linear", "bool_or", "bool_and")
_DEFINITIONS = ("interval",)
_KINDS = (*_ENFORCEABLE, *_DEFINITIONS, "no_overlap", "at_most_one", "exactly_one", "element")


def _kind(ct) -> str:
    for kind in _KINDS:
        if getattr(ct, f"has_{kind}")():
            return kind
    return "other"


def post_guarded(m: ModelContext, rule: Rule, guard: cp_model.IntVar) -> None:
    """Post ``rule`` on ``m`` so that all it adds holds only while ``guard`` is true."""
    assert rule.post is not None
    proto = m.model.proto
    first = len(proto.constraints)
    rule.post(m)
    last = len(proto.constraints)
    overlaps = []
    for index in range(first, last):
        ct = proto.constraints[index]
        kind = _kind(ct)
        if kind in _ENFORCEABLE:
            ct.enforcement_literal.append(guard.index)
        elif kind == "no_overlap":
            overlaps.append(index)
        elif kind not in _DEFINITIONS:
            raise NotImplementedError(f"{rule.id} posts a {kind} constraint that cannot be guarded")
    for index in overlaps:
        _guard_no_overlap(m, index, guard)


def _guard_no_overlap(m: ModelContext, index: int, guard: cp_model.IntVar) -> None:
    model = m.model
    proto = model.proto
    copies = []
    for interval_index in list(proto.constraints[index].no_overlap.intervals):
        presence = list(proto.constraints[interval_index].enforcement_literal)
        if any(i < 0 for i in presence):  # pragma: no cover - rules use positive presences
            raise NotImplementedError("a negated interval presence cannot be guarded")
        present = model.new_bool_var(f"guarded-presence[{interval_index}]")
        lits = [model.get_bool_var_from_proto_index(i) for i in presence]
        model.add_bool_or([*(lit.negated() for lit in lits), guard.negated(), present])
        copy_index = len(proto.constraints)
        copy = proto.constraints.add()
        copy.copy_from(proto.constraints[interval_index])
        copy.enforcement_literal.clear()
        copy.enforcement_literal.append(present.index)
        copies.append(copy_index)
    target = proto.constraints[index].no_overlap
    target.intervals.clear()
    target.intervals.extend(copies)
