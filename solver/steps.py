"""The model of one improvement step: only the constraints its freed trips can reach.

A step of the large-neighbourhood search (``solver.improve``) frees a few hundred
candidates and keeps every other one on the current plan. Solving the whole model with
the others' domains narrowed is correct, but CP-SAT's presolve must still read all of it:
at 20,000 requests (130,000 variables, 250,000 constraints) that alone took 1.0-1.5 s a
step, before any search (benchmarks/findings.md). The step model here holds
only what the freed candidates can change:

* **live variables**: the freed candidates' ``form`` and ``start``, and every other
  variable (approvals, date distances, soft costs: not a candidate's decision) that
  shares a kept constraint with a live one, transitively;
* **kept constraints**: every constraint with a live variable, and the intervals a kept
  no-overlap names that can meet a live one; every other variable is fixed to its value
  in the current plan.

Every constraint left out has only fixed variables, whose values come from a plan that
obeys it, so a plan of the step model is a plan of the whole model: the same variables
(one index space), the same objective, each rule as it was posted. A constraint's
variables are read off the model (``solver.proto.references``), whatever its kind.
``cuts`` (the proved bound on the objective, a row over every objective variable) hold
in every plan and are left out; kept, they would make every variable live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ortools.sat.python import cp_model, cp_model_helper

from solver.compact import (
    COMPACT_FROM,
    Recipe,
    build,
    constant_interval,
    recipe,
    renumbered,
)
from solver.model import CpModel
from solver.proto import plain_proto, references


class StepModels:
    """Makes step models of one model, around the plan the search holds.

    ``decisions``: the variables that are candidates' decisions (``form``, ``start``);
    one not freed by a step is fixed, and a fixed decision makes nothing else live.
    One step model is kept and changed in place (:meth:`around`): copying 130,000
    variables for each step took a tenth of a second at 20,000 requests.
    """

    def __init__(
        self,
        model: cp_model.CpModel,
        decisions: Collection[int],
        cuts: Iterable[int],
        compact: bool | None = None,
    ):
        proto = model.proto
        readable = plain_proto(model)
        self.decisions = set(decisions)
        cut = set(cuts)
        self.reads: list[list[int]] = []
        self.uses: list[list[int]] = [[] for _ in readable.variables]
        self.intervals: dict[int, list[int]] = {}  # no-overlap -> its intervals
        self.presence: dict[int, list[int]] = {}  # interval -> its enforcement literals
        #: interval -> its start and end, each as (variables, coefficients, offset)
        self.ends: dict[int, tuple[_Linear, _Linear]] = {}
        for index, c in enumerate(readable.constraints):
            found: list[int] = []
            named: list[int] = []
            if index not in cut:
                references(c, found, named)
            kind = c.WhichOneof("constraint")
            if kind == "interval":
                self.presence[index] = list(c.enforcement_literal)
                self.ends[index] = (_linear(c.interval.start), _linear(c.interval.end))
            elif kind == "no_overlap":
                self.intervals[index] = named
            elif named:  # its interval indices would need renumbering in a step's model
                raise NotImplementedError(
                    f"constraint {index} ({kind}) names intervals; a step's model (solver/"
                    "steps.py) renumbers only a no-overlap's"
                )
            self.reads.append(found)
        #: whether a step's model is renumbered to the variables it names
        #: (``solver.compact``): by size unless told, never with a kind it cannot rebuild
        #: or an objective with a domain of its own (its offset changes)
        if compact is None:
            compact = len(readable.variables) >= COMPACT_FROM
        recipes = [recipe(c) for c in readable.constraints] if compact else []
        objective = readable.objective
        self.compact = compact and None not in recipes and not len(objective.domain)
        #: each constraint's recipe, where the steps are renumbered (else none is read)
        self.recipes: list[Recipe] = [r for r in recipes if r is not None] if self.compact else []
        #: the objective's terms, offset and scaling, and its sum over the plan held
        terms: dict[int, int] = defaultdict(int)
        for v, k in zip(objective.vars, objective.coeffs, strict=True):
            terms[v] += k  # a variable named twice counts both times
        self.terms = dict(terms)
        self.offset, self.scaling = objective.offset, objective.scaling_factor
        self.total = 0
        #: fixed stays as constant intervals (``constant_interval``), until a plan moves one
        self.constants: dict[int, Any] = {}
        #: the last step's numbering (whole model's index -> the step's) when renumbered
        self.last_index: dict[int, int] | None = None
        for index, named in self.intervals.items():  # a no-overlap's are its intervals'
            self.reads[index] += [v for i in named for v in self.reads[i]]
        for index, found in enumerate(self.reads):
            self.reads[index] = found = list(dict.fromkeys(found))
            for v in found:
                self.uses[v].append(index)
        # the variables and the objective, every variable fixed to the plan (``hold``)
        self.step = CpModel()
        self.step.proto.copy_from(proto)
        self.step.proto.constraints.clear()
        self.step.proto.clear_solution_hint()
        self.values: list[int] = []
        #: interval -> its first day and the day after its last in the plan held, for the
        #: intervals a step asked about (``_held_days``); dropped when a variable changes
        self.held_days: dict[int, tuple[int, int]] = {}
        #: the live variables of the last step: the only ones its plan can change
        self.last_live: set[int] = set()
        #: each variable of the whole model and of the step's, and the least and greatest
        #: value of each in the whole model: read once, since every read of OR-Tools'
        #: wrapper crosses into C++ (a domain set from the wrapper's own took 5.5 µs a
        #: variable; copied from one read once, 0.3 µs)
        self.whole_variables = list(proto.variables)
        self.step_variables = list(self.step.proto.variables)
        self.ranges = [(v.domain[0], v.domain[len(v.domain) - 1]) for v in readable.variables]
        #: every constraint of the whole model, read once: a step copies the ones it keeps
        #: in one call (``extend``), not one by one (a fifth of the time per constraint)
        self.constraints = list(proto.constraints)
        #: interval -> the no-overlaps that name it
        self.overlaps_of: dict[int, list[int]] = defaultdict(list)
        for index, named in self.intervals.items():
            for i in named:
                self.overlaps_of[i].append(index)
        #: no-overlap -> its intervals the plan held has in it (every enforcement literal
        #: true): kept up to date by ``hold``, so that a step reads those and the live
        #: ones, not every stay of every trip the country's calendar could take
        self.in_plan: dict[int, set[int]] = {
            index: {i for i in named if not self.presence[i]}  # always there
            for index, named in self.intervals.items()
        }
        #: no-overlap -> each of its intervals' place in it (made when first asked)
        self.places: dict[int, dict[int, int]] = {}

    def hold(self, values: list[int], among: Iterable[int] | None = None) -> None:
        """Make ``values`` (one per variable) the plan the steps fix their variables to.

        ``among``: the only variables that may differ from the plan held (the last step's
        ``last_live``); reading all 130,000 took 30 ms a step at 20,000 requests.
        """
        variables, held = self.step_variables, self.values  # held: empty before the first
        changed: Iterable[int]
        if among is None or not held:
            changed = range(len(values))
            # the objective's sum over the plan held: for renumbered steps
            self.total = sum(k * values[v] for v, k in self.terms.items())
        else:
            changed = among
            for v in changed:
                k = self.terms.get(v)
                if k is not None:
                    self.total += k * (values[v] - held[v])
        moved: set[int] = set()  # intervals some changed variable is read by
        for v in changed:
            if not held or held[v] != values[v]:
                _fix(variables[v].domain, [values[v], values[v]])
                for index in self.uses[v]:
                    self.held_days.pop(index, None)
                    self.constants.pop(index, None)
                    if index in self.presence:
                        moved.add(index)
        self.values = list(values)
        for interval in moved:
            there = all(
                (values[ref] == 1) if ref >= 0 else (values[-ref - 1] == 0)
                for ref in self.presence[interval]
            )
            for index in self.overlaps_of.get(interval, ()):
                if there:
                    self.in_plan[index].add(interval)
                else:
                    self.in_plan[index].discard(interval)

    def live(self, free: Iterable[int]) -> tuple[set[int], list[int]]:
        """The live variables and the kept constraints when ``free`` decisions may change."""
        live = set(free)
        frontier = list(live)
        kept: set[int] = set()
        while frontier:
            for index in self.uses[frontier.pop()]:
                if index in kept:
                    continue
                kept.add(index)
                for v in self.reads[index]:
                    if v not in live and v not in self.decisions:
                        live.add(v)
                        frontier.append(v)
        return live, sorted(kept)

    def _present(self, interval: int, live: set[int]) -> bool:
        """Whether a step may have this interval: each enforcement literal is live or true
        in the plan held (an interval it leaves out, the step cannot bring in)."""
        for ref in self.presence.get(interval, ()):
            var = ref if ref >= 0 else -ref - 1
            if var not in live and self.values[var] != (ref >= 0):
                return False
        return True

    def _kept_intervals(self, index: int, live: set[int], moving: list[int]) -> list[int]:
        """Of no-overlap ``index``'s intervals, those a step must keep, in their order:
        the live ones (``moving``: some variable of theirs is live) that it may have, and
        the fixed ones in the plan held whose days meet the days some live one can take.

        A fixed interval clear of every live one's reach cannot clash with it, and the
        plan held keeps it clear of the other fixed ones; one the plan leaves out (most
        stays: a plan leaves most requests out) needs no room. A step freeing a month of a
        country's calendar needs only the stays near that month, not the year's: at
        20,000 requests a step's model holds 4,096 constraints instead of 7,081 on average
        (5,000: 1,025 instead of 2,169; benchmarks/findings.md). With no live interval (the
        no-overlap kept for a live enforcement literal alone) every one in the plan stays.
        Only the plan's intervals and the live ones are read (``in_plan``), not all.
        """
        held = self.in_plan[index]
        mine = [i for i in moving if i in held or self._present(i, live)]
        if not mine:
            return self._in_order(index, held)
        first = min(self._reach(self.ends[i][0], live)[0] for i in mine)
        last = max(self._reach(self.ends[i][1], live)[1] for i in mine)
        keep = set(mine)
        for i in held:
            if i not in keep:
                start, end = self._held_days(i)
                if start < last and first < end:
                    keep.add(i)
        return self._in_order(index, keep)

    def _in_order(self, index: int, intervals: set[int]) -> list[int]:
        """``intervals`` in their order in no-overlap ``index``."""
        places = self.places.get(index)
        if places is None:
            places = self.places[index] = {i: k for k, i in enumerate(self.intervals[index])}
        return sorted(intervals, key=places.__getitem__)

    def _held_days(self, interval: int) -> tuple[int, int]:
        """The first day and the day after the last of an interval none of whose variables
        is live: its days in the plan held. Kept until one of its variables changes (most
        stays are asked about step after step: 433,000 times in 75 steps at 5,000 requests)."""
        days = self.held_days.get(interval)
        if days is None:
            start, end = (_value(e, self.values) for e in self.ends[interval])
            days = self.held_days[interval] = (start, end)
        return days

    def _reach(self, expr: _Linear, live: set[int]) -> tuple[int, int]:
        """The least and greatest value of ``expr``: live variables over their domains in
        the whole model, every other at its value in the plan held.

        ``solver.proto.value_range`` on the step's own model gives the same, but reads
        its domains through OR-Tools' wrapper: at 5,000 requests 46 ms a step against 29
        (with the ranges read once, ``ranges``, less still).
        """
        variables, coeffs, low = expr
        high = low
        for v, k in zip(variables, coeffs, strict=True):
            if v in live:
                least, most = self.ranges[v]
                a, b = k * least, k * most
                low, high = low + min(a, b), high + max(a, b)
            else:
                low, high = low + k * self.values[v], high + k * self.values[v]
        return low, high

    def read(self, solution: Any) -> dict[int, int]:
        """The last step's live variables' values in ``solution`` (its response's), by
        their index in the whole model: the only ones its plan can change."""
        index = self.last_index
        if index is None:
            return {v: solution[v] for v in self.last_live}
        return {v: solution[index[v]] for v in self.last_live}

    @contextmanager
    def around(self, free: Iterable[int]) -> Iterator[cp_model.CpModel]:
        """The step model while in the block: ``free`` decisions and what they reach live.

        A kept no-overlap names only the intervals that are in the plan or live, and of
        those only the ones that can meet a live one (``_kept_intervals``): an absent
        trip's stay (most of them: a plan leaves most requests out) needs no room, and
        neither does a stay months away from every freed one. Read its plan with
        :meth:`read`: on a large model it is renumbered (``compact``).
        """
        if self.compact:
            yield self._renumbered(free)
            return
        live, kept = self.live(free)
        self.last_live, self.last_index = live, None
        sub = self.step.proto
        variables, whole = self.step_variables, self.whole_variables
        for v in live:
            variables[v].copy_from(whole[v])
        moved: dict[int, int] = {}  # a constraint's index in the whole model -> in the step
        copies: list = []  # the step's constraints, in order, copied in at once below
        moving: dict[int, list[int]] = defaultdict(list)  # no-overlap -> its live intervals
        for index in kept:
            for overlap in self.overlaps_of.get(index, ()):
                moving[overlap].append(index)

        def add(index: int) -> int:
            if index not in moved:
                moved[index] = len(copies)
                copies.append(self.constraints[index])
            return moved[index]

        for index in kept:
            if index in self.intervals:
                inside = [add(i) for i in self._kept_intervals(index, live, moving[index])]
                copy = cp_model_helper.ConstraintProto()
                copy.no_overlap.intervals.extend(inside)
                copy.enforcement_literal.extend(self.constraints[index].enforcement_literal)
                copies.append(copy)
            else:
                add(index)
        sub.constraints.extend(copies)
        hint = sorted(live)
        sub.solution_hint.vars.extend(hint)
        sub.solution_hint.values.extend(self.values[v] for v in hint)
        try:
            yield self.step
        finally:
            sub.constraints.clear()
            sub.clear_solution_hint()
            for v in live:
                _fix(variables[v].domain, [self.values[v], self.values[v]])

    def _renumbered(self, free: Iterable[int]) -> cp_model.CpModel:
        """A fresh step model of only the variables its constraints name, numbered anew
        (``solver.compact``): live ones over their whole domains, the rest fixed. A fixed
        stay a kept no-overlap names is a constant interval, and the objective's fixed
        terms are its offset (their sum in the plan held)."""
        live, kept = self.live(free)
        is_kept = set(kept)
        moving: dict[int, list[int]] = defaultdict(list)  # no-overlap -> its live intervals
        for index in kept:
            for overlap in self.overlaps_of.get(index, ()):
                moving[overlap].append(index)
        rebuilt: list[int] = []  # kept constraints, rebuilt in the step's numbering
        constant: list[int] = []  # fixed stays of kept no-overlaps: constant intervals
        overlaps: list[tuple[int, list[int]]] = []
        seen: set[int] = set()
        for index in kept:
            if index in self.intervals:
                inside = self._kept_intervals(index, live, moving[index])
                for i in inside:
                    if i not in seen:
                        seen.add(i)
                        (rebuilt if i in is_kept else constant).append(i)
                overlaps.append((index, inside))
            elif index not in seen:
                seen.add(index)
                rebuilt.append(index)
        named = set(live)
        for index in rebuilt:
            named.update(self.reads[index])
        for index, _ in overlaps:
            named.update(r if r >= 0 else -r - 1 for r in self.recipes[index][1])
        order = sorted(named)
        new = {v: i for i, v in enumerate(order)}
        self.last_live, self.last_index = live, new
        step = CpModel()
        sub = step.proto
        fixed, whole = self.step_variables, self.whole_variables
        sub.variables.extend([whole[v] if v in live else fixed[v] for v in order])
        place: dict[int, int] = {}  # a constraint's index in the whole model -> in the step
        for index in rebuilt:
            place[index] = len(place)
            build(sub.constraints.add(), self.recipes[index], new)
        stays = []
        for i in constant:
            place[i] = len(place)
            stay = self.constants.get(i)
            if stay is None:
                stay = self.constants[i] = constant_interval(*self._held_days(i))
            stays.append(stay)
        sub.constraints.extend(stays)
        for index, inside in overlaps:
            apart = sub.constraints.add()
            apart.enforcement_literal.extend(renumbered(self.recipes[index][1], new))
            apart.no_overlap.intervals.extend([place[i] for i in inside])
        terms = [(v, k) for v in order if v in live and (k := self.terms.get(v)) is not None]
        objective = sub.objective
        objective.vars.extend([new[v] for v, _ in terms])
        objective.coeffs.extend([k for _, k in terms])
        objective.offset = self.offset + self.total - sum(k * self.values[v] for v, k in terms)
        objective.scaling_factor = self.scaling
        hint = [v for v in order if v in live]
        sub.solution_hint.vars.extend([new[v] for v in hint])
        sub.solution_hint.values.extend([self.values[v] for v in hint])
        return step


#: a linear expression: its variables, their coefficients, and its offset
_Linear = tuple[tuple[int, ...], tuple[int, ...], int]


def _linear(expr) -> _Linear:
    return tuple(expr.vars), tuple(expr.coeffs), expr.offset


def _value(expr: _Linear, values: list[int]) -> int:
    """A linear expression's value in a plan (one value per variable)."""
    variables, coeffs, offset = expr
    return offset + sum(k * values[v] for v, k in zip(variables, coeffs, strict=True))


def _fix(domain, values: list[int]) -> None:
    domain.clear()
    domain.extend(values)


__all__ = ["StepModels"]
