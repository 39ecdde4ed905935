"""The neighbourhood of one request: the plan's trips pinned, the request forced in.

Explanations, repairs and intake checks all ask small questions of the same kind: can
this request (perhaps changed) join the approved plan, beside these trips, under these
rules? Each question is a small CP-SAT model built with the very rule functions of the
full model (``solver.rules``), so an answer here is an answer about the real rules.
Only the trips that can stand in the request's way are put in (:func:`neighbours`): a
trip that shares no person, country, unit budget or catalogue item with it cannot,
except through a yearly total, which is included only when it binds; nor can one that
shares only a country where its stay can never come near the request's.

Two questions are asked:

* :func:`find_conflict`: with every trip kept on its dates, the request cannot go. Which
  trips and which rules are enough to keep it out? Each kept trip and each rule is an
  assumption literal; CP-SAT returns a set of them sufficient for infeasibility, which is
  shrunk by deletion (drop one; still infeasible? then it was not needed) to a minimal
  set: remove any one of its items and the request fits.
* :func:`fit`: with some trips free to move (or dropped), where does the request go, and
  what moves least?
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.geography import country
from models.policy import Policy
from models.scenario import Scenario
from solver.candidates import Candidate, Placed
from solver.guards import post_guarded
from solver.model import ModelContext, create_variables
from solver.rules import REGISTRY

#: Seconds one small model may take; they take milliseconds, this only bounds the odd one.
LOCAL_TIME_LIMIT = 5.0


def _cost(c: Candidate) -> int:
    return sum(r.cost for r in c.requests)


def neighbours(
    focus: Iterable[Candidate], placed: Iterable[Placed], scenario: Scenario, policy: Policy
) -> list[Placed]:
    """The trips of ``placed`` that some hard rule ties to a trip of ``focus``.

    A shared traveller, unit or catalogue item ties two trips whatever their dates (the
    rules on them add up over the year). A shared country ties them only when their stays
    there can come within GEO-SAME-COUNTRY's gap of each other, the one rule on countries
    between trips: Germany in March and Germany in September cannot clash, and a small
    model that leaves such trips out explains and repairs in a fraction of the time.
    """
    focus = list(focus)
    placed = list(placed)
    keys = frozenset().union(*(c.keys for c in focus))
    yearly = frozenset(k for k in keys if k[0] != "country")
    ids = {c.id for c in focus}
    gap = policy.params("GEO-SAME-COUNTRY").min_gap_days
    # each focus trip's reachable days per country: [first day, end) over its window
    reach: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c in focus:
        for code in c.countries:
            offset, size = c.country_span(code)
            reach[code].append((c.earliest + offset, c.latest + offset + size))

    def meets(p: Placed, code: str) -> bool:
        offset, size = p.candidate.country_span(code)
        first, end = p.start + offset, p.start + offset + size
        return any(lo < end + gap and first < hi + gap for lo, hi in reach[code])

    countries = keys - yearly

    def ties(p: Placed) -> bool:
        other = p.candidate.keys
        if not yearly.isdisjoint(other):
            return True
        if countries.isdisjoint(other):
            return False  # most trips of a plan: nothing shared
        return any(meets(p, code) for _, code in countries & other)

    # ``p.candidate.id``, not ``p.id``: this runs for every trip of the plan, for each of
    # thousands of small questions
    chosen = {p.candidate.id for p in placed if p.candidate.id not in ids and ties(p)}
    total = scenario.last_year_total
    if policy.hard("BUDGET-TOTAL") and total is not None:
        spent = sum(_cost(p.candidate) for p in placed) + sum(_cost(c) for c in focus)
        if spent > total:
            chosen.update(p.candidate.id for p in placed if _cost(p.candidate))
    cap = policy.params("GEO-CONTROLLED-REGION").max_trips
    if policy.hard("GEO-CONTROLLED-REGION") and cap is not None:
        continents = set(policy.params("GEO-CONTROLLED-REGION").continents)

        def controlled(c: Candidate) -> bool:
            return any(country(x).continent in continents for x in c.countries)

        if any(controlled(c) for c in focus):
            chosen.update(p.candidate.id for p in placed if controlled(p.candidate))
    chosen -= ids
    return [p for p in placed if p.candidate.id in chosen]


@dataclass
class Local:
    """A small model: the focus request forced in, the given trips around it."""

    m: ModelContext
    placed: dict[str, Placed]
    #: placed id -> its form literal (an assumption when explaining, fixed true otherwise)
    keep: dict[str, cp_model.IntVar]
    #: rule id -> its guard literal (explaining only)
    guards: dict[str, cp_model.IntVar]


def build_local(
    scenario: Scenario,
    policy: Policy,
    focus: Candidate,
    placed: Iterable[Placed],
    *,
    free: Collection[str] = (),
    optional: Collection[str] = (),
    guarded: bool = False,
    waivers: frozenset[tuple[str, str]] = frozenset(),
) -> Local:
    """The model of ``focus`` forced in beside ``placed`` (pinned, unless listed in ``free``).

    With ``guarded``, each placed trip's presence and each hard rule are left to
    assumption literals; otherwise every placed trip but the ``optional`` ones is forced
    to stay.
    """
    placed = {p.id: p for p in placed}
    candidates = [focus] + [p.candidate if p.id in free else p.pinned() for p in placed.values()]
    m = ModelContext(scenario, policy, candidates, waivers=waivers)
    create_variables(m)
    model = m.model
    model.add(m.form[focus.id] == 1)
    keep = {pid: m.form[pid] for pid in placed}
    if not guarded:
        for pid, lit in keep.items():
            if pid not in optional:
                model.add(lit == 1)
    guards: dict[str, cp_model.IntVar] = {}
    for rule in REGISTRY:
        if rule.post is None or not policy.hard(rule.id):
            continue
        if guarded:
            guards[rule.id] = model.new_bool_var(f"rule[{rule.id}]")
            post_guarded(m, rule, guards[rule.id])
        else:
            rule.post(m)
    return Local(m, placed, keep, guards)


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    # assumptions (and so cores) need a single worker; the models are tiny anyway
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    # deterministic time, so that explanations never depend on how busy the machine is
    # (``--reproducible`` promises byte-identical plans); the wall clock is only a backstop
    solver.parameters.max_deterministic_time = LOCAL_TIME_LIMIT
    solver.parameters.max_time_in_seconds = 6 * LOCAL_TIME_LIMIT
    # Ctrl-C is the caller's (``solver.decisions``): a small model it cut short would
    # answer nothing, and the caller would not know to stop
    solver.parameters.catch_sigint_signal = False
    return solver


@dataclass(frozen=True)
class Conflict:
    """A minimal reason a request cannot join the plan: these trips, under these rules."""

    rivals: tuple[Placed, ...]
    rules: tuple[str, ...]


class Undecided(Exception):
    """A small model ran out of time (it should not: they are tiny)."""


def find_conflicts(
    scenario: Scenario,
    policy: Policy,
    focus: Candidate,
    placed: Iterable[Placed],
    limit: int = 3,
) -> list[Conflict]:
    """Independent minimal conflicts that keep ``focus`` out (empty when it fits).

    After each conflict its rivals are set aside and the search goes on, so a request
    kept out by a quota *and* a budget is told both; at most ``limit`` are reported.
    """
    rest = list(placed)
    out: list[Conflict] = []
    while len(out) < limit:
        conflict = find_conflict(scenario, policy, focus, rest)
        if conflict is None:
            break
        out.append(conflict)
        if not conflict.rivals:
            break
        gone = {p.id for p in conflict.rivals}
        rest = [p for p in rest if p.id not in gone]
    return out


def find_conflict(
    scenario: Scenario,
    policy: Policy,
    focus: Candidate,
    placed: Iterable[Placed],
) -> Conflict | None:
    """A minimal set of placed trips and hard rules that keeps ``focus`` out; None if it fits."""
    local = build_local(
        scenario,
        policy,
        focus,
        neighbours([focus], placed, scenario, policy),
        guarded=True,
    )
    items: list[tuple[str, str]] = [("trip", pid) for pid in local.keep] + [
        ("rule", rule) for rule in local.guards
    ]
    literal = {
        **{("trip", pid): lit for pid, lit in local.keep.items()},
        **{("rule", rule): lit for rule, lit in local.guards.items()},
    }
    by_index = {literal[item].index: item for item in items}
    solver = _solver()

    def infeasible(subset: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
        local.m.model.clear_assumptions()
        local.m.model.add_assumptions([literal[item] for item in subset])
        status = solver.solve(local.m.model)
        if status == cp_model.INFEASIBLE:
            core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility()]
            return True, [item for item in subset if item in core] or subset
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, []
        raise Undecided(focus.id)

    blocked, core = infeasible(items)
    if not blocked:
        return None
    # deletion, trips first (a short list of rivals reads best), each step re-checked
    core.sort(key=lambda item: (item[0] != "trip", item[1]))
    i = 0
    while i < len(core):
        trial = core[:i] + core[i + 1 :]
        still, smaller = infeasible(trial)
        if still:
            core = [item for item in trial if item in smaller] if smaller else trial
            core.sort(key=lambda item: (item[0] != "trip", item[1]))
        else:
            i += 1
    if not infeasible(core)[0]:  # pragma: no cover - a wrong core; keep the proven set
        raise Undecided(focus.id)
    return Conflict(
        rivals=tuple(local.placed[pid] for kind, pid in core if kind == "trip"),
        rules=tuple(rule for kind, rule in core if kind == "rule"),
    )


@dataclass(frozen=True)
class Fit:
    """Where a request goes when it joins the plan, and which trips move for it."""

    start: int
    #: placed id -> (old start, new start), for trips that moved
    moved: dict[str, tuple[int, int]]
    #: optional trips the fit rejected
    rejected: tuple[Placed, ...] = ()


def fit(
    scenario: Scenario,
    policy: Policy,
    focus: Candidate,
    placed: Iterable[Placed],
    *,
    free: Collection[str] = (),
    optional: Collection[str] = (),
    target: tuple[int, int] | None = None,
    waivers: frozenset[tuple[str, str]] = frozenset(),
) -> Fit | None:
    """The least disturbing way ``focus`` joins ``placed``, or None.

    ``free`` trips may move inside their windows, ``optional`` ones may be rejected.
    Minimises, in this order: trips rejected, trips moved, days moved, and the days the
    focus starts outside ``target`` (its own window, when its domain was widened).
    """
    placed = list(placed)
    loose = {p.id for p in placed if p.id in free or p.id in optional}
    moving = [p for p in placed if p.id in loose]
    around = neighbours([focus, *(p.candidate for p in moving)], placed, scenario, policy)
    known = {p.id for p in around}
    around += [p for p in moving if p.id not in known]
    local = build_local(
        scenario, policy, focus, around, free=free, optional=optional, waivers=waivers
    )
    m = local.m
    model = m.model
    dropped, moved, shifts = [], [], []
    for p in moving:
        if p.id in optional:
            dropped.append(local.keep[p.id].negated())
        if p.id in free:
            shift = model.new_int_var(0, 366, f"shift[{p.id}]")
            model.add_abs_equality(shift, m.start[p.id] - p.start)
            changed = model.new_bool_var(f"moved[{p.id}]")
            model.add(shift <= 366 * changed)
            shifts.append(shift)
            moved.append(changed)
    outside = model.new_int_var(0, 366, "outside")
    if target is not None:
        model.add(outside >= target[0] - m.start[focus.id])
        model.add(outside >= m.start[focus.id] - target[1])
    model.minimize(10**9 * sum(dropped) + 10**6 * sum(moved) + 10**3 * sum(shifts) + outside)
    solver = _solver()
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.INFEASIBLE:
            return None
        raise Undecided(focus.id)
    moved = {}
    rejected = []
    for p in moving:
        if not solver.boolean_value(local.keep[p.id]):
            rejected.append(p)
            continue
        new = solver.value(m.start[p.id])
        if new != p.start:
            moved[p.id] = (p.start, new)
    return Fit(solver.value(m.start[focus.id]), moved, tuple(rejected))
