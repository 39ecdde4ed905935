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

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

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


class TripIndex:
    """A plan's trips by what they can collide on (``Candidate.keys``), built once a plan.

    Explaining asks :func:`neighbours` and :func:`fit` thousands of times of the same
    plan. Going through each of its trips every time was about two fifths of explaining a
    5,000-request plan (2,800 trips; benchmarks/findings.md, "Explaining without going
    through the whole plan"). Given this index and the list it was built on, or a part of
    that list in its order (the plan less a few rivals), they look only at the trips that
    share a traveller, unit or catalogue item with the request, or a country near its
    dates; given any other list, at every trip of it.
    """

    def __init__(self, trips: list[Placed]):
        self.trips = trips
        #: a trip's place in ``trips`` (by identity), so that answers keep the plan's order
        self.position = {id(p): i for i, p in enumerate(trips)}
        self._every = set(self.position)
        self.by_key: dict[tuple[str, str], list[Placed]] = defaultdict(list)
        self.by_id: dict[str, list[Placed]] = defaultdict(list)
        stays: dict[str, list[tuple[int, int, Placed]]] = defaultdict(list)
        for p in trips:
            self.by_id[p.candidate.id].append(p)
            for key in p.candidate.keys:
                self.by_key[key].append(p)
            for code, (offset, size) in p.candidate.country_spans.items():
                stays[code].append((p.start + offset, size, p))
        #: per country, its stays' first days in order, the trips, and the longest stay
        self.stays: dict[str, tuple[list[int], list[Placed], int]] = {}
        for code, found in stays.items():
            found.sort(key=lambda x: x[0])
            self.stays[code] = (
                [first for first, _, _ in found],
                [p for _, _, p in found],
                max(size for _, size, _ in found),
            )

    def part(self, placed: list[Placed]) -> set[int] | None:
        """The identities of ``placed`` when it is the indexed list or a part of it in its
        order, else None (a list of other trips, or in another order)."""
        if placed is self.trips:
            return self._every
        order = [self.position.get(id(p), -1) for p in placed]
        if -1 in order or order != sorted(order):
            return None
        ids = {id(p) for p in placed}
        return ids if len(ids) == len(placed) else None

    def sharing(self, keys: Iterable[tuple[str, str]]) -> Iterator[Placed]:
        """The trips that share one of ``keys`` (some more than once)."""
        return (p for key in keys for p in self.by_key.get(key, ()))

    def staying(self, code: str, lo: int, hi: int) -> list[Placed]:
        """The trips whose stay in ``code`` starts after ``lo`` less its length and before
        ``hi``: every stay that overlaps [lo, hi), and a few that do not."""
        if code not in self.stays:
            return []
        firsts, found, longest = self.stays[code]
        return found[bisect_right(firsts, lo - longest) : bisect_left(firsts, hi)]

    def with_ids(self, ids: Iterable[str], part: set[int]) -> list[Placed]:
        """The trips of ``part`` of these candidates, in the plan's order."""
        unique = {id(p): p for cid in ids for p in self.by_id.get(cid, ()) if id(p) in part}
        return sorted(unique.values(), key=lambda p: self.position[id(p)])


def neighbours(
    focus: Iterable[Candidate],
    placed: Iterable[Placed],
    scenario: Scenario,
    policy: Policy,
    index: TripIndex | None = None,
    movers: Iterable[Candidate] = (),
    aside: Collection[str] = (),
) -> list[Placed]:
    """The trips of ``placed`` that some hard rule ties to a trip of ``focus`` or of
    ``movers``, in the order of ``placed``; none of ``aside``, trips counted as gone from
    the plan (a repair that rejects them), as if they were not in ``placed``.

    A shared traveller, unit or catalogue item ties two trips whatever their dates (the
    rules on them add up over the year). A shared country ties them only when their stays
    there can come within GEO-SAME-COUNTRY's gap of each other, the one rule on countries
    between trips: Germany in March and Germany in September cannot clash, and a small
    model that leaves such trips out explains and repairs in a fraction of the time.
    ``index``: when ``placed`` is the list it indexes or a part of it in its order, the
    same answer, looking only at the trips that share a key with ``focus``.

    ``movers`` are planned trips that a repair lets move or go (``fit``'s ``free`` and
    ``optional``). A mover ties through its travellers (their no-overlap; their quotas,
    which a term makes depend on the date) and its countries, but not through its unit or
    catalogue item: the rules on those (BUDGET-UNIT, MERGE-CATALOGUE) cap sums of forms
    that no date changes, and a mover that moves or goes keeps them at the plan's or
    below (``tests/test_local.py`` lists the rules posted, so that a new one is read
    against this). Without the trips tied to movers only that way, a room-making model is a
    relaxation whose every answer is still a plan, so its optimum is the same; it is
    smaller: a 5,000-request plan explains 3-8% sooner (benchmarks/findings.md).
    The whole-plan rules (the total budget, the controlled regions) count ``focus`` only,
    for the same reason.
    """
    focus = list(focus)
    movers = list(movers)
    placed = placed if isinstance(placed, list) else list(placed)
    part = index.part(placed) if index is not None else None
    keys = frozenset().union(*(c.keys for c in focus))
    mover_keys = frozenset().union(*(c.keys for c in movers))
    yearly = frozenset(k for k in keys if k[0] != "country") | frozenset(
        k for k in mover_keys if k[0] == "person"
    )
    keys |= frozenset(k for k in mover_keys if k[0] == "country")
    ids = {c.id for c in (*focus, *movers)}
    gap = policy.params("GEO-SAME-COUNTRY").min_gap_days
    # each focus trip's and mover's reachable days per country: [first day, end) over its
    # window
    reach: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c in (*focus, *movers):
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

    # ``p.candidate.id``, not ``p.id``: this runs for many trips, for each of thousands
    # of small questions
    if index is not None and part is not None:
        # through the index: the trips that share a yearly key, and those with a stay near
        # one of the focus's (each still asked ``ties``)
        near = chain(
            index.sharing(yearly),
            *(
                index.staying(code, lo - gap, hi + gap)
                for code, spans in reach.items()
                for lo, hi in spans
            ),
        )
        looked_at: Iterable[Placed] = (p for p in near if id(p) in part)
    else:
        looked_at = placed
    chosen = {p.candidate.id for p in looked_at if p.candidate.id not in ids and ties(p)}
    total = scenario.last_year_total
    if policy.hard("BUDGET-TOTAL") and total is not None:
        spent = sum(_cost(p.candidate) for p in placed if p.candidate.id not in aside)
        spent += sum(_cost(c) for c in focus)
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
    chosen.difference_update(aside)
    if index is not None and part is not None:
        return index.with_ids(chosen, part)
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
    rules: Collection[str] | None = None,
) -> Local:
    """The model of ``focus`` forced in beside ``placed`` (pinned, unless listed in ``free``).

    With ``guarded``, each placed trip's presence and each hard rule are left to
    assumption literals; otherwise every placed trip but the ``optional`` ones is forced
    to stay. ``rules``: the hard rules posted, when not all of them.
    """
    by_id = {p.id: p for p in placed}
    candidates = [focus] + [p.candidate if p.id in free else p.pinned() for p in by_id.values()]
    m = ModelContext(scenario, policy, candidates, waivers=waivers)
    create_variables(m)
    model = m.model
    model.add(m.form[focus.id] == 1)
    keep = {pid: m.form[pid] for pid in by_id}
    if not guarded:
        for pid, lit in keep.items():
            if pid not in optional:
                model.add(lit == 1)
    guards: dict[str, cp_model.IntVar] = {}
    for rule in REGISTRY:
        if rule.post is None or not policy.hard(rule.id):
            continue
        if rules is not None and rule.id not in rules:
            continue
        if guarded:
            guards[rule.id] = model.new_bool_var(f"rule[{rule.id}]")
            post_guarded(m, rule, guards[rule.id])
        else:
            rule.post(m)
    return Local(m, by_id, keep, guards)


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
    index: TripIndex | None = None,
) -> list[Conflict]:
    """Independent minimal conflicts that keep ``focus`` out (empty when it fits).

    After each conflict its rivals are set aside and the search goes on, so a request
    kept out by a quota *and* a budget is told both; at most ``limit`` are reported.
    ``index``: ``placed`` indexed (``TripIndex``), for a quicker :func:`neighbours`.
    """
    search = ConflictSearch(scenario, policy, focus, placed, index)
    out: list[Conflict] = []
    gone: set[str] = set()
    while len(out) < limit:
        conflict = search.minimal(gone)
        if conflict is None:
            break
        out.append(conflict)
        if not conflict.rivals:
            break
        gone.update(p.id for p in conflict.rivals)
    return out


def find_conflict(
    scenario: Scenario,
    policy: Policy,
    focus: Candidate,
    placed: Iterable[Placed],
    index: TripIndex | None = None,
) -> Conflict | None:
    """A minimal set of placed trips and hard rules that keeps ``focus`` out; None if it fits."""
    return ConflictSearch(scenario, policy, focus, placed, index).minimal(())


class _Checks:
    """A guarded model of ``focus`` beside ``trips`` (``build_local``), asked whether the
    focus cannot go under assumed items (trips kept, rules on)."""

    def __init__(
        self,
        scenario: Scenario,
        policy: Policy,
        focus: Candidate,
        trips: Iterable[Placed],
        rules: Collection[str] | None = None,
    ):
        self.focus = focus
        self.local = build_local(scenario, policy, focus, trips, guarded=True, rules=rules)
        self.items: list[tuple[str, str]] = [("trip", pid) for pid in self.local.keep] + [
            ("rule", rule) for rule in self.local.guards
        ]
        self.literal = {
            **{("trip", pid): lit for pid, lit in self.local.keep.items()},
            **{("rule", rule): lit for rule, lit in self.local.guards.items()},
        }
        self.by_index = {self.literal[item].index: item for item in self.items}
        self.solver = _solver()
        # no presolve, symmetry search or probing: each question is a feasibility check
        # of a model of a few dozen trips, asked about ten times a rejection, and the
        # three took over half of a solve's time (benchmarks/findings.md, "Quicker
        # explanations" and "Minimal conflicts on the core's trips")
        self.solver.parameters.cp_model_presolve = False
        self.solver.parameters.symmetry_level = 0
        self.solver.parameters.cp_model_probing_level = 0

    def infeasible(
        self, subset: list[tuple[str, str]], aside: Sequence[cp_model.LiteralT] = ()
    ) -> tuple[bool, list[tuple[str, str]]]:
        """Whether the focus cannot go with ``subset`` assumed and the trips ``aside``
        out; if so, the part of ``subset`` CP-SAT names as enough (all of it when it
        names none of it)."""
        model = self.local.m.model
        model.clear_assumptions()
        model.add_assumptions([*(self.literal[item] for item in subset), *aside])
        status = self.solver.solve(model)
        if status == cp_model.INFEASIBLE:
            named = self.solver.sufficient_assumptions_for_infeasibility()
            core = {self.by_index[i] for i in named if i in self.by_index}
            return True, [item for item in subset if item in core] or subset
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, []
        raise Undecided(self.focus.id)


class ConflictSearch:
    """One request's guarded model (``build_local``), asked for minimal conflicts.

    The model is built once and asked again with trips set aside: a trip set aside is
    assumed out (its ``keep`` literal false), which is what leaving it out of the model
    would say. Why: building the model took a fifth of explaining a rejection, and
    rebuilding it for each of up to three conflicts, with the plan's trips filtered
    again each time, about a third in all (benchmarks/findings.md, "Quicker
    explanations").

    The core CP-SAT names is shrunk on a model of the focus and the core's trips and
    rules alone (``shrinking``): at 20,000 requests a conflict holds 8 of the 32 trips of
    a small model on average, and each check of the deletion, about ten a conflict, took
    0.25 ms there against 0.73 ms on the whole small model (probing off too;
    benchmarks/findings.md, "Minimal conflicts on the core's trips"). The answers are the
    same: in either model a trip or rule not assumed is free to go, and no hard rule is
    broken by a trip going (the whole-plan rules count what is kept), so a trip or rule
    left out of the model is as good as one free to go.
    """

    def __init__(
        self,
        scenario: Scenario,
        policy: Policy,
        focus: Candidate,
        placed: Iterable[Placed],
        index: TripIndex | None = None,
    ):
        self.scenario, self.policy, self.focus = scenario, policy, focus
        self.whole = _Checks(
            scenario, policy, focus, neighbours([focus], placed, scenario, policy, index)
        )

    def shrinking(self, rivals: list[Placed], rules: list[str]) -> _Checks:
        """The model a core of these trips and rules is shrunk on: the focus and them
        alone."""
        return _Checks(self.scenario, self.policy, self.focus, rivals, rules)

    def minimal(self, gone: Collection[str]) -> Conflict | None:
        """A minimal conflict among the trips not ``gone`` and the rules; None if the
        focus fits once ``gone`` are set aside."""
        whole = self.whole
        keep = whole.local.keep
        aside = [keep[pid].negated() for pid in gone if pid in keep]
        items = [item for item in whole.items if not (item[0] == "trip" and item[1] in gone)]
        blocked, core = whole.infeasible(items, aside)
        if not blocked:
            return None
        checks = self.shrinking(
            [whole.local.placed[pid] for kind, pid in core if kind == "trip"],
            [rule for kind, rule in core if kind == "rule"],
        )
        # deletion, trips first (a short list of rivals reads best), each step re-checked
        core.sort(key=lambda item: (item[0] != "trip", item[1]))
        i = 0
        while i < len(core):
            trial = core[:i] + core[i + 1 :]
            still, smaller = checks.infeasible(trial)
            if still:
                core = [item for item in trial if item in smaller] if smaller else trial
                core.sort(key=lambda item: (item[0] != "trip", item[1]))
            else:
                i += 1
        if not checks.infeasible(core)[0]:  # CP-SAT named a wrong core: none is told
            raise Undecided(self.focus.id)
        return Conflict(
            rivals=tuple(whole.local.placed[pid] for kind, pid in core if kind == "trip"),
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
    index: TripIndex | None = None,
    aside: Collection[str] = (),
) -> Fit | None:
    """The least disturbing way ``focus`` joins ``placed``, or None.

    ``free`` trips may move inside their windows, ``optional`` ones may be rejected, and
    ``aside`` ones are rejected (not in the model: the plan as if without them).
    Minimises, in this order: trips rejected, trips moved, days moved, and the days the
    focus starts outside ``target`` (its own window, when its domain was widened).
    ``index``: ``placed`` indexed (``TripIndex``), for a quicker :func:`neighbours`.
    """
    loose = {*free, *optional}
    placed = placed if isinstance(placed, list) else list(placed)
    part = index.part(placed) if index is not None else None
    if index is not None and part is not None:
        moving = index.with_ids(loose, part)
    else:
        moving = [p for p in placed if p.candidate.id in loose]
    around = neighbours(
        [focus], placed, scenario, policy, index, [p.candidate for p in moving], aside
    )
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
    shifted: dict[str, tuple[int, int]] = {}
    rejected = []
    for p in moving:
        if not solver.boolean_value(local.keep[p.id]):
            rejected.append(p)
            continue
        new = solver.value(m.start[p.id])
        if new != p.start:
            shifted[p.id] = (p.start, new)
    return Fit(solver.value(m.start[focus.id]), shifted, tuple(rejected))
