"""Large-neighbourhood search: free a few trips and their rivals, keep the rest, solve again.

At thousands of requests CP-SAT's own search barely moves from the plan it is hinted
with: on the 5,000-request benchmark it gained 0.07% in 80 s (benchmarks/findings.md). Its
neighbourhoods are generic; the ones here follow the problem's structure, and each is a
small model that is solved, often to optimality, in a fraction of a second:

* **left out**: a few requests the plan leaves out, with every approved trip that shares a
  traveller or a country with one of them and could meet it in time. Can they come in if
  those trips move, or is one of those worth less than they are? Most steps draw them
  from the trips the relaxation formed (``wanted``): its quotas and day sums have room
  for them, where most of the thousands of other requests left out are out for good.
* **countries**: every trip that visits one of a few countries and could be there during
  one stretch of ``COUNTRY_SLICE_DAYS`` days, so that part of a country's calendar can
  be re-ordered (a trip moved nearer its preferred date, two swapped, a gap filled).
* **dates**: the approved trips through a few countries that could be there during a
  longer stretch of ``DATES_SLICE_DAYS`` days, their starts alone freed. They stay in the
  plan and every other trip stays out, so the step is a schedule of the trips already
  chosen, small enough to cover a season. Why: at 5,000 requests the trips the
  relaxation forms and those of day prices' answer differ by 20 of 2,789, and nine
  "countries" steps in ten found a better plan: what is left is mostly in the dates
  (benchmarks/findings.md). Where calendars are full it is in the trips left out instead.

Which kind a step is: at first they take turns (``ROTATION``); once each kind has
``RATE_WINDOW`` steps on record, a step's kind is drawn in proportion to what each kind
gained a second over its last ``RATE_WINDOW`` steps, each kind keeping ``MIN_SHARE`` of
the draws so that its record stays fresh (adaptive LNS). Why: what each kind finds runs
out at its own pace, and not the same way at every size. In a 120 s solve at 5,000
requests "left out" steps gained 2,793 in their first fifth and 46 in their last, while
"dates" steps still gained 49 a second at the end; at 20,000 requests "dates" steps gain
a seventh of what "countries" steps do. With ``--objective approvals`` there are no
"dates" steps: dates are worth nothing there, and such a step could never gain.

Every candidate holding a request of a freed trip is freed too (not in a "dates" step,
which frees starts only), so a request may go alone instead of merged, or the other way.
Each step is the model with every other candidate's ``form`` and ``start`` fixed to the
current plan, holding only the constraints the freed candidates reach (``solver.steps``),
hinted with the current plan, so a step's answer is a plan of the whole model: it obeys
every rule there is, with nothing rebuilt by hand. A better plan replaces the current one.
The number of seeds of each kind grows after a step solved to optimality and shrinks
after one that ran out of time or stalled. A step's time doubles after a step that ended before
reaching any plan, and after one that reached its plan it is twice what that took, at
least ``STEP_SECONDS`` (``SEARCH_PER_PRESOLVE``). Within that time a step stops once it
has gone ``STALL_SECONDS`` without a better plan (``solver.stall``): most of what a step
finds it finds at once, and the time it would search on for nothing goes to more steps.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.candidates import Candidate
from solver.interrupts import ctrl_c
from solver.model import ModelContext
from solver.options import SolveOptions, cp_solver
from solver.stall import StallWatch
from solver.steps import StepModels

#: seconds (deterministic seconds when reproducible) a step may take at first; doubled, up
#: to the most, while steps end with no plan at all (when steps solved the whole model,
#: 471 steps of 0.5 s found nothing at 20,000 requests: presolve alone took longer). On
#: their own models (``solver.steps``) 0.25 s and 1 s steps end where 0.5 s ones do at
#: 5,000 requests (90 s of steps: 1,526,904 and 1,527,252 against 1,526,580)
STEP_SECONDS, MAX_STEP_SECONDS = 0.5, 8.0
#: after a step that reached a plan, the next may take this many times what reaching it
#: took (presolve and the hint), at least ``STEP_SECONDS``. Before, one step that ran out
#: of time before its plan (0.49 s, at 5,000 requests where most reach it in 0.2-0.4 s)
#: doubled every later step to 1 s for good, and 1 s steps end lower than 0.5 s ones
#: (1,504,187 against 1,506,661 after 40 s). Not with ``--reproducible`` (deterministic
#: time hardly counts presolve): there only the doubling applies.
SEARCH_PER_PRESOLVE = 2.0
#: a step stops once this many seconds pass after its last plan with no better one
#: (``solver.stall``; not with ``--reproducible``, whose steps count deterministic time).
#: Whole 120 s solves at 5,000 requests without merging, seeds 1-3: 1,529,349,
#: 1,530,202 and 1,529,615 (0.447-0.502%; 598-657 steps) with 0.08 s, 1,528,791-1,529,968
#: (442-478 steps) with 0.15 s, against 1,528,227-1,529,149 (about 300 steps) without
STALL_SECONDS = 0.08
#: with ``--reproducible``, what a step costs at least, in deterministic seconds: its
#: deterministic time counts the search but hardly the copy, presolve and hint reload
#: around it, which take most of a small step's wall time. One second of steps from the
#: clerk's plan of 100 generated requests: 25-28 steps with the wall clock; reproducible,
#: 171 steps and 15.4 s of wall time without the floor, 20 steps and 0.9 s with it
REPRODUCIBLE_STEP_COST = 0.05
#: workers a step runs (one per core of the 2-core machine it was tuned on; a step is small)
STEP_WORKERS = 2
#: the kinds of step (``_Neighbourhoods.pick``)
KINDS = ("left out", "countries", "dates")
#: the fewest and most seeds of a neighbourhood (requests left out, or countries)
MIN_SEEDS, MAX_SEEDS = 1, 40
#: the share of "left out" steps whose seeds are trips the relaxation formed (while any is
#: left out). On the 5,000-request benchmark (40 s of steps from one repaired plan, no
#: merging): 1,504,970 with 0.8, 1,504,699 with 1.0, 1,501,718 and 1,496,505 with none
WANTED_SHARE = 0.8
#: the days of a country's calendar a "countries" step frees: the trips that could be in
#: the country during one stretch this long, drawn where one of its trips can be. At
#: 20,000 generated requests (Great Britain, the United States and Qatar have 379, 489 and
#: 365 candidates) no whole-year step of 225 was solved to optimality, and 300 s of steps
#: from one repaired plan gained 101,605 (3,949,637 → 4,051,242); 106 of 279 30-day
#: stretches were, and the same 300 s gained 156,659 (→ 4,106,296; stretches drawn
#: anywhere in the year: 4,102,849, 60 days: 4,100,492). At 5,000 requests (47 of 121
#: whole years solved) 100 s ended at 1,526,824 against 1,526,391 (README, Solver)
COUNTRY_SLICE_DAYS = 30
#: a "dates" step frees the starts of the approved trips through its countries that could
#: be there during a stretch of this many days. Whole solves at 5,000 requests, no
#: merging, 120 s: plans of 1,528,255-1,528,820 in six runs (one step in four, 90 days,
#: four runs; 180 days; or one in two, 90 days, with no "countries" steps), 1,528,531 on
#: average, against 1,527,655-1,528,362 in six runs without them, 1,527,995 on average
DATES_SLICE_DAYS = 90
#: the kinds of step, in the turns they take (by step number) until each kind has a
#: record: one "left out" step in two, one "dates" step in four, "countries" the rest
ROTATION = ("dates", "left out", "countries", "left out")
#: the last steps of each kind whose gains and seconds weigh its draws after that, and
#: each kind's least share of the draws. Whole 120 s solves at 5,000 requests without
#: merging: 1,529,510-1,530,322 in five runs (1,529,999 on average, 0.439-0.493%) against
#: 1,528,825-1,530,202 in eight with turns alone (1,529,488, 0.447-0.537%; "dates" turns
#: then gave way to "countries" steps while gaining less than half as much); at 20,000
#: requests, 600 s, 4,173,350 against 4,172,119 (benchmarks/findings.md)
RATE_WINDOW, MIN_SHARE = 20, 0.1


@dataclass
class Improved:
    """The best plan the search reached, as a value for every variable of the model."""

    objective: int
    values: list[int]
    steps: int = 0
    better: int = 0  # steps that found a better plan
    stalled: int = 0  # steps stopped for going ``STALL_SECONDS`` without a better plan
    #: each kind of step: how many ran and what they gained in all
    kinds: dict[str, dict[str, int]] = field(default_factory=dict)
    interrupted: bool = False  # Ctrl-C stopped it
    proved: bool = False  # stopped at a proved bound: no better plan exists


class _Neighbourhoods:
    """Which candidates a step frees: around requests left out, around countries, or
    the approved trips of a season ("dates", their starts alone)."""

    def __init__(self, m: ModelContext, seed: int, wanted: set[str] | None = None):
        self.m = m
        self.rng = random.Random(seed)
        self.wanted = wanted or set()
        #: the wanted candidates, in the model's order (a step reads only these, mostly)
        self.hoped = [c for c in m.candidates if c.id in self.wanted]
        self.rivals: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
        self.holding: dict[str, list[Candidate]] = defaultdict(list)
        for c in m.candidates:
            for key in c.keys:
                if key[0] in ("person", "country"):
                    self.rivals[key].append(c)
            for rid in c.request_ids:
                self.holding[rid].append(c)
        #: country -> its candidates, each with the first and the day after the last day
        #: it can be away (any start in its window, its whole length)
        self.visiting: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for c in m.candidates:
            days = (c.id, c.earliest, c.latest + c.length)
            for code in c.countries:
                self.visiting[code].append(days)
        self.countries = sorted(self.visiting)
        self.size = {"left out": 3, "countries": 2, "dates": 2}
        #: the kinds of step that can gain: with ``--objective approvals`` a trip's dates
        #: are worth nothing, and a "dates" step, which frees only starts, never gains
        #: (at 5,000 requests 96 of 365 steps were "dates" steps that gained nothing)
        self.kinds = tuple(k for k in KINDS if k != "dates" or not m.approvals_only)
        #: what each of the last ``RATE_WINDOW`` steps of each kind gained, and in how long
        self.record_of: dict[str, deque[tuple[int, float]]] = {
            kind: deque(maxlen=RATE_WINDOW) for kind in self.kinds
        }

    def left_out(self, formed: set[str], k: int) -> set[str]:
        """``k`` left-out candidates and the formed trips that can stand in their way.

        The seeds are wanted ones (``WANTED_SHARE`` of the time, while any is left out).
        """
        by_id = self.m.by_id
        approved = {rid for cid in formed for rid in by_id[cid].request_ids}
        hoped = [c for c in self.hoped if approved.isdisjoint(c.request_ids)]
        if hoped and self.rng.random() < WANTED_SHARE:
            out = hoped
        else:
            out = [c for c in self.m.candidates if approved.isdisjoint(c.request_ids)]
        free: set[str] = set()
        for c in self.rng.sample(out, min(k, len(out))):
            free.add(c.id)
            for key in c.keys:
                free.update(
                    other.id
                    for other in self.rivals.get(key, ())
                    if other.id in formed and _can_meet(c, other)
                )
        return free

    def around_countries(self, k: int) -> set[str]:
        """The candidates visiting one of ``k`` countries that can meet a stretch of days.

        The stretch, ``COUNTRY_SLICE_DAYS`` long, meets the days of one of those countries'
        candidates drawn at random, so it falls where they are busy and never on an empty
        calendar. A candidate is freed when its possible days (any start in its window, its
        whole length) meet the stretch; the rest of the countries' calendars stays as planned.
        """
        codes = self.rng.sample(self.countries, min(k, len(self.countries)))
        if not codes:
            return set()
        days = [d for code in codes for d in self.visiting[code]]
        a, b = self._stretch(days, COUNTRY_SLICE_DAYS)
        return {cid for code in codes for cid, lo, hi in self.visiting[code] if lo < b and a < hi}

    def around_dates(self, formed: set[str], k: int) -> set[str]:
        """The approved trips through one of ``k`` countries that can meet one stretch of
        ``DATES_SLICE_DAYS`` days (drawn, as ``around_countries`` draws its own, to meet
        one of them), for a step that frees their starts alone."""
        codes = self.rng.sample(self.countries, min(k, len(self.countries)))
        trips = [d for code in codes for d in self.visiting[code] if d[0] in formed]
        if not trips:
            return set()
        a, b = self._stretch(trips, DATES_SLICE_DAYS)
        return {cid for cid, lo, hi in trips if lo < b and a < hi}

    def _stretch(self, days: list[tuple[str, int, int]], length: int) -> tuple[int, int]:
        """The first day and the day after the last of a stretch of ``length`` days that
        meets the days of one of ``days`` (candidate, first day, day after the last), drawn
        at random."""
        _, first, end = self.rng.choice(days)
        a = self.rng.randrange(first - length + 1, end)
        return a, a + length

    def pick(self, step: int, formed: set[str]) -> tuple[str, set[str]]:
        """The step's kind (``kind``) and the candidates it frees (with every holder of
        their requests, but for a "dates" step, whose trips stay as they are but for their
        starts). A kind with nothing to free gives way to a "countries" step."""
        kind = self.kind(step)
        if kind == "dates":
            free = self.around_dates(formed, self.size["dates"])
            if free:
                return "dates", free
            kind = "countries"
        if kind == "left out":
            free = self.left_out(formed, self.size[kind])
            if not free:
                kind = "countries"
        if kind == "countries":
            free = self.around_countries(self.size[kind])
        requests = {rid for cid in free for rid in self.m.by_id[cid].request_ids}
        free |= {h.id for rid in requests for h in self.holding[rid]}
        return kind, free

    def kind(self, step: int) -> str:
        """The kind of step ``step``: its turn in ``ROTATION`` until every kind has
        ``RATE_WINDOW`` steps on record, then drawn by what each kind gained a second
        (``rates``), each kind at least ``MIN_SHARE`` of the draws."""
        if any(len(steps) < RATE_WINDOW for steps in self.record_of.values()):
            turn = ROTATION[step % len(ROTATION)]
            return turn if turn in self.kinds else "countries"
        rates = self.rates()
        total = sum(rates.values())
        kinds = self.kinds
        shares = [rates[k] / total if total else 1 / len(kinds) for k in kinds]
        weights = [MIN_SHARE + (1 - len(kinds) * MIN_SHARE) * share for share in shares]
        return self.rng.choices(kinds, weights)[0]

    def rates(self) -> dict[str, float]:
        """What each kind gained a second over its last ``RATE_WINDOW`` steps."""
        rates = {}
        for kind, steps in self.record_of.items():
            seconds = sum(s for _, s in steps)
            rates[kind] = sum(g for g, _ in steps) / seconds if seconds > 0 else 0.0
        return rates

    def record(self, kind: str, gain: int, seconds: float) -> None:
        """What a step of ``kind`` gained (0 for no better plan) and the seconds it took
        (deterministic seconds when reproducible: the draws must not hang on the clock)."""
        self.record_of[kind].append((gain, seconds))

    def adapt(self, kind: str, solved: bool) -> None:
        step = 1 if solved else -1
        self.size[kind] = min(MAX_SEEDS, max(MIN_SEEDS, self.size[kind] + step))


def _freed(kind: str, free: set[str], decisions: dict[str, tuple[int, int]]) -> list[int]:
    """The variables a step frees: each freed candidate's ``form`` and ``start``, or for a
    "dates" step its ``start`` alone (its ``form`` stays fixed: approved)."""
    if kind == "dates":
        return [decisions[cid][1] for cid in free]
    return [v for cid in free for v in decisions[cid]]


def _formed(decisions: dict[str, tuple[int, int]], values: list[int]) -> set[str]:
    """The candidates a plan (one value per variable) forms: its trips."""
    return {cid for cid, (form, _) in decisions.items() if values[form]}


def _can_meet(a: Candidate, b: Candidate) -> bool:
    """Whether the two trips' possible days overlap (starts within windows, whole length)."""
    return a.earliest < b.latest + b.length and b.earliest < a.latest + a.length


def improve(
    m: ModelContext,
    values: list[int],
    objective: int,
    limit: float,
    options: SolveOptions,
    on_better: Callable[[int], None] | None = None,
    wanted: set[str] | None = None,
    proved: Callable[[], int | None] | None = None,
) -> Improved:
    """Improve a complete plan of ``m`` (``values``, one per variable) for ``limit`` seconds.

    ``m.model`` is not changed; the steps run on a model of their own. ``on_better``
    hears the starting objective, then each better one. ``wanted``: candidates worth
    bringing in first (the relaxation's trips). ``proved``: the least bound proved so far
    (the relaxation's, or day prices' beside, ``solver.beside``), asked between steps: once
    the plan reaches it no step can gain, and the rest of the limit would be spent for
    nothing.
    With ``options.reproducible`` the limit counts deterministic seconds and the same input
    gives the same steps and the same plan.
    """
    if limit <= 0:
        # no time left (a short limit on a large model, whose clerk's plan and relaxation
        # took it all): reading the model for the steps alone takes about 4 s at 20,000
        # requests, and would only run the solve past its limit
        if on_better is not None:
            on_better(objective)
        return Improved(objective, list(values))
    began, spent, step_seconds = time.perf_counter(), 0.0, STEP_SECONDS
    decisions = {c.id: (m.form[c.id].index, m.start[c.id].index) for c in m.candidates}
    steps = StepModels(m.model, [v for pair in decisions.values() for v in pair], m.cuts)
    steps.hold(values)
    best = Improved(objective, list(values))
    hoods = _Neighbourhoods(m, options.seed, wanted)
    formed = _formed(decisions, best.values)
    form_of = {form: cid for cid, (form, _) in decisions.items()}
    # each step is short: Ctrl-C is noticed within one, and the best plan so far kept
    with ctrl_c() as pressed:
        if on_better is not None:  # the plan it starts from is a plan: Ctrl-C now writes it
            on_better(objective)
        while spent < limit and not pressed:
            # equal, not below: a "bound" below a plan is no bound (``solver.phases``)
            if proved is not None and proved() == best.objective:
                best.proved = True
                break
            before = spent
            best.steps += 1
            kind, free = hoods.pick(best.steps, formed)
            step_limit = min(step_seconds, limit - spent)
            workers = min(STEP_WORKERS, options.num_workers)
            solver = cp_solver(options, step_limit, workers=workers, seed_offset=best.steps)
            reached = StallWatch(None if options.reproducible else STALL_SECONDS)
            with steps.around(_freed(kind, free, decisions)) as work, reached.watching(solver):
                code = solver.solve(work, reached)
            best.stalled += reached.stalled
            if options.reproducible:
                spent += max(solver.response_proto.deterministic_time, REPRODUCIBLE_STEP_COST)
            else:
                spent = time.perf_counter() - began
            if code == cp_model.UNKNOWN:  # not even the hint reloaded: presolve took it all
                step_seconds = min(2 * step_seconds, MAX_STEP_SECONDS)
            else:
                hoods.adapt(kind, code == cp_model.OPTIMAL)
                if reached.first is not None and not options.reproducible:
                    step_seconds = SEARCH_PER_PRESOLVE * reached.first
                    step_seconds = min(max(step_seconds, STEP_SECONDS), MAX_STEP_SECONDS)
            found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
            value = round(solver.objective_value) if found else best.objective
            gain = max(value - best.objective, 0)
            hoods.record(kind, gain, spent - before)
            tally = best.kinds.setdefault(kind, {"steps": 0, "gained": 0})
            tally["steps"] += 1
            tally["gained"] += gain
            if found and value > best.objective:
                # only the step's live variables can differ from the plan held (every other
                # is fixed to it): reading those alone, not all 32,000 values of the
                # 5,000-request model (5 ms), leaves more of a 0.15 s step to the search
                for v, x in steps.read(solver.response_proto.solution).items():
                    best.values[v] = x
                best.objective = value
                steps.hold(best.values, among=steps.last_live)
                for v in steps.last_live:  # the trips formed: only a live form can change
                    cid = form_of.get(v)
                    if cid is not None:
                        (formed.add if best.values[v] else formed.discard)(cid)
                best.better += 1
                if on_better is not None:
                    on_better(value)
        best.interrupted = bool(pressed)
    return best


#: requests in the model from which the large-neighbourhood search runs when not told
#: (``SolveOptions.improve``); below it CP-SAT proves most plans optimal on its own
IMPROVE_FROM = 500
#: the same for ``--objective approvals``: with no dates to price, CP-SAT proves 1,000
#: generated requests optimal in about 8 s on its own, while at 5,000 the improvement
#: (its left-out steps seeded with the relaxation's trips) ends 0.35% from the bound after
#: 120 s against 0.85% for CP-SAT alone (benchmarks/findings.md)
IMPROVE_APPROVALS_FROM = 2000


def wants_improvement(m: ModelContext, options: SolveOptions) -> bool:
    """Whether the large-neighbourhood search is for this model: told so, or by size and
    objective (``IMPROVE_FROM``, ``IMPROVE_APPROVALS_FROM``)."""
    if options.improve is not None:
        return options.improve
    return len(m.approve) >= (IMPROVE_APPROVALS_FROM if m.approvals_only else IMPROVE_FROM)


def improves(m: ModelContext, options: SolveOptions, stats: dict, objective: int) -> bool:
    """Whether to run the large-neighbourhood search on a plan of ``objective``: it is for
    this model (``wants_improvement``), and the plan is not proved optimal yet."""
    return wants_improvement(m, options) and objective < stats.get(
        "relaxation_bound", objective + 1
    )


__all__ = [
    "IMPROVE_APPROVALS_FROM",
    "IMPROVE_FROM",
    "Improved",
    "improve",
    "improves",
    "wants_improvement",
]
