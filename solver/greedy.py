"""First come, first served: the plan a clerk makes by hand, and a feasible start for the search.

A clerk takes the requests in the order they were submitted and approves each on its
preferred start, or else on the earliest start of its window, on which it breaks no hard
rule beside the trips already approved; a request that fits nowhere is rejected. That is
``first_come``: the yardstick the benchmark measures the search against
(``delegplan solve --method greedy``).

Whether a trip fits is asked of the auditor (``models.audit``), the same independent
checker that audits every plan, so the greedy plan obeys exactly the hard rules and
needs no rule logic of its own. To keep that fast at thousands of requests, the auditor
is shown only the approved trips that share a traveller, a country, a unit or a
catalogue item with the trip; the rules that add up over the whole plan (the total
budget, a yearly cap on controlled regions) get every trip, and are the slow case.

``repair`` places a relaxation's choices the same way, each as near the date the
relaxation gave it as the rules allow (or packed: each on the first start that fits, in
order of the latest start, then moved back toward its date), and makes room for those
that fit nowhere by moving placed trips aside (``make_room``): a complete, feasible plan
for the search to start from (``solver.warmstart``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from models.audit import Auditor, Trip, Violation
from models.policy import Policy
from models.scenario import Scenario
from models.trip import lay_out
from solver.candidates import Candidate, Placed, day_date, day_number
from solver.forked import forked_map, stopped
from solver.objective import candidate_value
from solver.occupancy import Occupancy


def reaches_whole_plan(scenario: Scenario, policy: Policy) -> bool:
    """True when a hard rule adds up over every trip (the total budget, a controlled-region cap)."""
    total = policy.hard("BUDGET-TOTAL") and scenario.last_year_total is not None
    capped = policy.hard("GEO-CONTROLLED-REGION") and (
        policy.params("GEO-CONTROLLED-REGION").max_trips is not None
    )
    return bool(total or capped)


class Greedy:
    """Approved trips so far, indexed by what a new trip can collide on."""

    def __init__(self, scenario: Scenario, policy: Policy, quick: bool = True):
        self.s = scenario
        self.auditor = Auditor(scenario, policy)
        #: rules out starts that clash in a country or for a traveller before the auditor
        #: is asked (``solver.occupancy``); ``quick=False`` asks the auditor every time
        self.occupancy = Occupancy(scenario, policy) if quick else None
        #: by id, in the order placed (dicts: a trip moved aside leaves in one step)
        self._placed: dict[str, Placed] = {}
        self._index: dict[tuple[str, str], dict[str, Trip]] = defaultdict(dict)
        self._all: dict[str, Trip] = {}
        self._global = reaches_whole_plan(scenario, policy)  # then show every trip

    @property
    def placed(self) -> list[Placed]:
        """The approved trips, in the order they were placed."""
        return list(self._placed.values())

    def trip(self, c: Candidate, start: int) -> Trip:
        dates = lay_out(day_date(self.s.year, start), c.stops, c.travel_days)
        return Trip(c.id, c.requests, c.head, c.travellers, dates.start, dates.end, dates.stops)

    def violations(self, c: Candidate, start: int, countries: bool = True) -> list[Violation]:
        """The hard rules the trip on this start breaks beside the approved ones.

        ``countries=False`` leaves out the trips that share only a country with ``c``: for
        when the index (``solver.occupancy``) has settled GEO-SAME-COUNTRY, the one rule
        they can break with it.
        """
        related = list(self._all.values()) if self._global else self._related(c, countries)
        return self.auditor.check(related, focus=[self.trip(c, start)])

    def _related(self, c: Candidate, countries: bool = True) -> list[Trip]:
        """The approved trips that share a traveller, a country, a unit or an item with ``c``.

        In an order that is the same in every process: the auditor lists rivals (``with``)
        in the order it is given the trips, and a frozenset of strings (``c.keys``) is
        iterated in an order that changes with each process's hash seed, which made two
        ``--reproducible`` runs write different plans (BUDGET-UNIT's quick reasons)."""
        seen: dict[str, Trip] = {}
        for key in sorted(c.keys):
            if countries or key[0] != "country":
                seen.update(self._index.get(key, {}))
        return list(seen.values())

    def fits(self, c: Candidate, start: int) -> bool:
        """True when the trip on this start breaks no hard rule beside the approved ones.

        With the index, a start it passes breaks neither rule that ties dates together, so
        the auditor is not shown the hundreds of trips that share only a country with ``c``
        (at 20,000 requests most of its work)."""
        if self.occupancy is None:
            return not self.violations(c, start)
        if self.occupancy.clashes(c, start):
            return False
        return not self.violations(c, start, countries=False)

    def place(self, c: Candidate, starts: Iterable[int], check: bool = True) -> int | None:
        """Approve the candidate on the first of ``starts`` where it fits; its start or None.

        ``check=False`` takes the first start as it is (to index a plan already made).
        """
        for start in starts:
            if not check or self.fits(c, start):
                t = self.trip(c, start)
                for key in c.keys:
                    self._index[key][c.id] = t
                self._all[c.id] = t
                self._placed[c.id] = Placed(c, start)
                if self.occupancy is not None:
                    self.occupancy.add(c, start)
                return start
        return None

    def remove(self, cid: str) -> Placed:
        """Take a placed trip back out: to move it aside for another (``repair``)."""
        gone = self._placed.pop(cid)
        for key in gone.candidate.keys:
            del self._index[key][cid]
        del self._all[cid]
        if self.occupancy is not None:
            self.occupancy.remove(gone.candidate, gone.start)
        return gone

    def blockers(self, c: Candidate, start: int) -> set[str]:
        """The placed trips (ids) the trip on ``start`` meets in a country or in a
        traveller's calendar: the ones that would have to move for it."""
        if self.occupancy is not None:
            return self.occupancy.blockers(c, start)
        trip = self.trip(c, start)
        return {
            t.id
            for t in self._related(c)
            if any(v.rule in _LINKING for v in self.auditor.check([t], focus=[trip]))
        }


#: the rules that tie one trip's dates to another's, which moving a trip aside can settle
_LINKING = frozenset({"GEO-SAME-COUNTRY", "PERS-BUSY"})


def clerk_starts(c: Candidate, year: int) -> list[int]:
    """The preferred start first (if any request has one in range), then earliest first."""
    days = list(range(c.earliest, c.latest + 1))
    preferred = [r.preferred_start for r in c.requests if r.preferred_start]
    if preferred:
        first = min(day_number(year, p) for p in preferred)
        if c.earliest <= first <= c.latest:
            days.remove(first)
            days.insert(0, first)
    return days


def nearest_starts(c: Candidate, target: int) -> list[int]:
    """Every start of the window, nearest to ``target`` first (earlier first on ties)."""
    return sorted(range(c.earliest, c.latest + 1), key=lambda d: (abs(d - target), d))


def submission_order(candidates: list[Candidate]) -> list[Candidate]:
    """Lone requests in the order a clerk reads them: by submission date, then file order."""
    lone = [c for c in candidates if not c.is_composite]
    rank = {c.id: k for k, c in enumerate(lone)}
    return sorted(
        lone,
        key=lambda c: (
            c.requests[0].submitted is None,
            c.requests[0].submitted or 0,
            rank[c.id],
        ),
    )


def first_come(scenario: Scenario, policy: Policy, eligible: list[Candidate]) -> list[Placed]:
    """The clerk's plan: each eligible request in submission order, where it first fits."""
    greedy = Greedy(scenario, policy)
    for c in submission_order(eligible):
        greedy.place(c, clerk_starts(c, scenario.year))
    return greedy.placed


def repair(
    scenario: Scenario,
    policy: Policy,
    eligible: list[Candidate],
    chosen: list[Candidate],
    starts: dict[str, int],
    quick: bool = True,
    packed: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> list[Placed]:
    """A feasible plan near a relaxation's: its choices first, each near its date.

    ``chosen`` come in the order given (``repair_orders``), each on the start nearest its
    relaxed date that fits, or with ``packed`` on the first start of its window that
    fits; those that fit nowhere then get room made for them (``make_room``), in the
    same order; when packed, every placed trip is then moved as near its relaxed date as
    it now fits (``_polish``); then every other eligible request not yet in a placed
    trip, in submission order, where it first fits. Making room keeps trips a plain
    placement drops: at 5,000 requests the repaired plan's objective rose from 1,483,238
    to 1,507,265 (the relaxation's bound: 1,543,792).

    Once ``stop()`` says so (Ctrl-C), the trips placed so far are the plan: each was
    placed where it fits beside the others, so they are a plan at any point.
    """
    greedy = Greedy(scenario, policy, quick)
    taken: set[str] = set()
    left: list[Candidate] = []
    for c in chosen:
        if stop():
            return greedy.placed
        if taken & set(c.request_ids):
            continue
        first = range(c.earliest, c.latest + 1) if packed else nearest_starts(c, starts[c.id])
        if greedy.place(c, first) is not None:
            taken |= set(c.request_ids)
        else:
            left.append(c)
    for c in left:
        if stop():
            return greedy.placed
        if not taken & set(c.request_ids):
            placed, dropped = make_room(greedy, c, starts[c.id], policy)
            if placed:
                taken |= set(c.request_ids)
            for t in dropped:
                taken -= set(t.candidate.request_ids)
    if packed and not stop():
        _polish(greedy, starts)
    for c in submission_order(eligible):
        if stop():
            break
        free = c.requests[0].id not in taken
        if free and greedy.place(c, clerk_starts(c, scenario.year)) is not None:
            taken.add(c.requests[0].id)
    return greedy.placed


def make_room(
    greedy: Greedy, c: Candidate, target: int, policy: Policy
) -> tuple[bool, list[Placed]]:
    """Place ``c``, which fits nowhere beside the placed trips, by moving placed ones aside.

    On each start of ``c``'s window, nearest ``target`` first, that at most
    ``MOST_MOVED`` placed trips block (``Greedy.blockers``), those trips are taken out,
    ``c`` put in, and each put back on its nearest start that still fits. Should some fit
    nowhere, ``c`` keeps the place only if it is worth more than they are. Returns whether
    ``c`` was placed, and the trips dropped for it.
    """

    for start in nearest_starts(c, target):
        found = greedy.blockers(c, start)
        if not found or len(found) > MOST_MOVED:
            continue
        moved = [greedy.remove(cid) for cid in sorted(found)]
        if greedy.place(c, [start]) is None:  # another rule refuses it there
            for t in moved:
                greedy.place(t.candidate, [t.start], check=False)
            continue
        dropped = [
            t
            for t in moved
            if greedy.place(t.candidate, nearest_starts(t.candidate, t.start)) is None
        ]
        if sum(candidate_value(t.candidate, policy) for t in dropped) < candidate_value(c, policy):
            return True, dropped
        greedy.remove(c.id)
        for t in moved:
            if t not in dropped:
                greedy.remove(t.id)
            greedy.place(t.candidate, [t.start], check=False)
    return False, []


#: the most placed trips ``make_room`` moves aside for one trip
MOST_MOVED = 3
#: the span of latest starts packed as one in the second repair order (``repair_orders``).
#: At 20,000 requests with merging 30 days gave 4,815,771 against 4,825,776 for 14 (7 not
#: tried there); at 5,000, where plain packing wins anyway, 7 days gave 1,544,246 with
#: merging against 1,543,651 for 14
PACK_BUCKET_DAYS = 14
#: the most rounds of ``_polish``. At 5,000 generated requests, packed, the rounds of its
#: first version moved 1,204, 583, 206 and 64 trips: objective 1,499,787 before, then
#: 1,516,189 after one round, 1,519,384 after two and 1,520,445 after four
POLISH_ROUNDS = 4


def _polish(greedy: Greedy, starts: dict[str, int]) -> None:
    """Move each placed trip to the start nearest its relaxed date that now fits.

    A trip is taken out and put on the nearest start nearer its date than where it was
    that fits, or else back where it was (unchecked: nothing else changed meanwhile, and
    most trips stay, so that saves asking the auditor again), so nothing is lost. Another
    trip moved may free the days a trip wants, so rounds repeat while any trip moves (at
    most ``POLISH_ROUNDS``).
    """
    for _ in range(POLISH_ROUNDS):
        moved = 0
        for t in greedy.placed:
            target = starts.get(t.id, t.start)
            if t.start == target:
                continue
            greedy.remove(t.id)
            nearer = [
                d
                for d in nearest_starts(t.candidate, target)
                if abs(d - target) < abs(t.start - target)
            ]
            if greedy.place(t.candidate, nearer) is None:
                greedy.place(t.candidate, [t.start], check=False)
            else:
                moved += 1
        if not moved:
            return


def repair_side_by_side(
    scenario: Scenario,
    policy: Policy,
    eligible: list[Candidate],
    orders: list[list[Candidate]],
    starts: dict[str, int],
    workers: int,
    pressed: list[bool],
) -> list[list[Placed]] | None:
    """``repair`` (packed) of each order, the orders side by side in forked processes:
    one plan per order, the same as repaired in turn. None where processes cannot be
    forked (the caller repairs them in turn).

    The repair is one core's pure Python: an order took 3.5-6 s at 5,000 requests and
    7-12 s at 20,000 on a 2-core Xeon, and in turn the second order's seconds came out of
    the improvement's. A press of Ctrl-C (``pressed``) ends each with the trips it has
    placed, as in turn.
    """
    by_id = {c.id: c for c in eligible}

    def work(first: int, end: int) -> list[list[tuple[str, int]]]:
        return [
            [(t.id, t.start) for t in repair(
                scenario, policy, eligible, orders[k], starts, packed=True, stop=stopped
            )]
            for k in range(first, end)
        ]  # fmt: skip

    found = forked_map(work, len(orders), min(workers, len(orders)), 1, pressed)
    if found is None:
        return None
    return [[Placed(by_id[i], start) for i, start in plan] for plan in found]


def repair_orders(chosen: list[Candidate], policy: Policy) -> list[list[Candidate]]:
    """The two orders in which ``repair`` packs a relaxation's choices; the better plan is
    kept.

    First, packed in order of the latest start: each trip on the first start that fits,
    the one that must start soonest first, as a scheduler fills one machine (earliest
    deadline first), then moved back toward its relaxed date. Where a country's calendar
    is full, trips placed near their relaxed dates leave gaps no later trip fits: at
    20,000 generated requests, where the relaxation fills every country's year, packing
    placed 7,102 of its 7,918 trips instead of 6,847 (objective 4,008,893 against
    3,954,926), and at 5,000 2,778 of 2,789 instead of 2,723 (1,519,618 against
    1,507,265).

    Second, packed by fortnights: the trips whose latest start falls in an earlier
    fortnight (``PACK_BUCKET_DAYS``) first, and within one, value per possible start
    first. Strict order of the latest start ignores what a trip is worth, so with merging
    a cheap trip that must start a day sooner takes the days a composite delegation (worth
    its requests together) needed, and the composite, blocked by more trips than room is
    made for, is dropped: at 20,000 requests with merging, from one relaxed plan of 6,297
    trips (2,395 composite), packed kept 2,241 composites and 8,265 approved requests,
    objective 4,757,206; by fortnights 2,321, 8,351 and 4,825,776. Without merging, and at
    5,000 requests, plain packing is best (20,000: 4,016,749 against 4,001,254 by
    fortnights; 5,000: 1,519,553 against 1,515,043, and with merging 1,545,208 against
    1,543,651).

    Three orders near the relaxed dates (value per possible start, least room first, most
    valuable first) were tried as well below 1,500 trips, and are not any more: packing by
    fortnights beat the best of them wherever both were measured, and what the three
    added to a repaired plan the search made up in the seconds they took. Whole solves,
    two seeds each, the five orders against these two: the bundled changchun-2020 4.3 and
    3.6 s against 3.6 and 2.7 s, the same optimum; 300 generated requests in 30 s 109,572
    and 109,580 against two with one order, 109,574 and 109,578; 1,000 requests in 60 s
    333,863 and 333,874 against 333,869 and 333,852 (benchmarks/findings.md).
    """
    values = {c.id: candidate_value(c, policy) for c in chosen}

    def per_start(c: Candidate) -> float:
        return values[c.id] / (c.latest - c.earliest + 1)

    return [
        sorted(chosen, key=lambda c: (c.latest, -values[c.id], c.id)),
        sorted(chosen, key=lambda c: (c.latest // PACK_BUCKET_DAYS, -per_start(c), c.id)),
    ]


__all__ = ["Greedy", "first_come", "repair", "repair_orders", "submission_order"]
