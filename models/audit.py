"""The auditor: an independent check of a plan against every hard rule.

Plain Python over the scenario and the plan. It shares the domain models with the solver
and nothing of its constraint code: each rule is read again from RULES.md, written here a
second time on purpose, so that a bug in the CP-SAT model shows up as a violation here
instead of being checked by the code that made it.

Checks are grouped the way RULES.md groups rules. Each returns :class:`Violation` records
naming the rule, the requests that break it (its subjects) and the rivals it clashes with.
An exception waives a check whose subject is the excepted request (RULES.md, Severities).
``check`` can focus on some trips only, which is how the solver asks "what would break if
this request were added on that date?" when it explains a rejection.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from models.catalogue import rule_info
from models.geography import country
from models.plan import Delegation, ExceptionUsed, Plan
from models.policy import FreqRankParams, Limit, Policy, Quota
from models.scenario import Person, Request, Scenario
from models.trip import StopDates

STRUCTURE = "PLAN-STRUCTURE"


@dataclass(frozen=True)
class Violation:
    rule: str
    requests: tuple[str, ...]  # the subjects: requests whose trip breaks the rule
    message: str
    with_: tuple[str, ...] = ()  # rival requests it clashes with

    @property
    def citation(self) -> str:
        if self.rule == STRUCTURE:
            return "INTERFACE.md §2"
        return rule_info(self.rule).citation

    def __str__(self) -> str:
        rivals = f" (with {', '.join(self.with_)})" if self.with_ else ""
        return f"{self.rule} [{self.citation}] {', '.join(self.requests)}: {self.message}{rivals}"


@dataclass(frozen=True)
class Trip:
    """A delegation as the auditor sees it: who goes, when, where, on whose requests."""

    id: str
    requests: tuple[Request, ...]
    head: str
    travellers: tuple[str, ...]
    start: dt.date
    end: dt.date
    stops: tuple[StopDates, ...]

    @property
    def request_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.requests)

    @property
    def countries(self) -> list[str]:
        return list(dict.fromkeys(s.country for s in self.stops))

    @property
    def is_training(self) -> bool:
        return any(r.kind == "training" for r in self.requests)


@dataclass
class AuditReport:
    violations: list[Violation] = field(default_factory=list)
    exceptions_used: list[ExceptionUsed] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _overlap(a0: dt.date, a1: dt.date, b0: dt.date, b1: dt.date, gap: int = 0) -> bool:
    """Do inclusive ranges share a day, or come closer than ``gap`` free days?"""
    return not ((b0 - a1).days - 1 >= gap or (a0 - b1).days - 1 >= gap)


def _by_traveller(trips: list[Trip], focus: list[Trip]) -> dict[str, list[Trip]]:
    """The trips of each of the focus's travellers, in listed order: only their calendars
    are read, so a check of one trip placed beside thousands stays cheap."""
    wanted = {p for f in focus for p in f.travellers}
    by_person: dict[str, list[Trip]] = defaultdict(list)
    for t in trips:
        for p in t.travellers:
            if p in wanted:
                by_person[p].append(t)
    return by_person


class _Nearby:
    """The stays in a country that can come within ``gap`` days of a given stay, found by
    bisection on the stays sorted by their first day, in the order they were listed.

    A whole plan's check of GEO-SAME-COUNTRY compared each stay with every other stay in
    its country (the whole check of a 20,000-request plan: 1.4 s then, 0.6 s with this).
    Only stays that start at most ``gap`` days after the stay ends, and at most ``gap``
    plus the country's longest stay days before it starts, can come that close. A check
    of one trip reads its countries' stays in turn: sorting them would cost more.
    """

    def __init__(self, stays: dict[str, list[tuple[Trip, StopDates]]], gap: int):
        self.stays = stays
        self.gap = dt.timedelta(days=gap)
        self.sorted: dict[str, tuple[list[int], list[dt.date], dt.timedelta]] = {}
        for c, listed in stays.items():
            order = sorted(range(len(listed)), key=lambda k: listed[k][1].start)
            longest = max(o.end - o.start for _, o in listed)
            self.sorted[c] = (order, [listed[k][1].start for k in order], longest)

    def around(self, stay: StopDates) -> list[tuple[Trip, StopDates]]:
        listed = self.stays.get(stay.country, [])
        if not listed:
            return []
        order, starts, longest = self.sorted[stay.country]
        first = bisect.bisect_left(starts, stay.start - self.gap - longest)
        end = bisect.bisect_right(starts, stay.end + self.gap)
        return [listed[k] for k in sorted(order[first:end])]


class Auditor:
    """Checks plans of one scenario under one policy."""

    def __init__(self, scenario: Scenario, policy: Policy, *, use_exceptions: bool = True):
        self.s = scenario
        self.p = policy
        self.use_exceptions = use_exceptions

    # ---- entry points --------------------------------------------------------------

    def audit(self, plan: Plan) -> AuditReport:
        """Every violation of the plan, and the exceptions it uses."""
        report = AuditReport()
        structure, trips = self._structure(plan)
        report.violations += structure
        report.violations += self.check(trips)
        if self.use_exceptions and self.s.exceptions:
            bare = Auditor(self.s, self.p, use_exceptions=False).check(trips)
            used = sorted(
                {(r, v.rule) for v in bare for r in v.requests if self.s.excepted(r, v.rule)}
            )
            report.exceptions_used = [ExceptionUsed(request=r, rule=k) for r, k in used]
        return report

    def trips_of(self, plan: Plan) -> list[Trip]:
        """The plan's delegations as trips (unknown request ids are skipped)."""
        return [t for t in (self._trip(d) for d in plan.delegations) if t is not None]

    def check(self, trips: list[Trip], focus: list[Trip] | None = None) -> list[Violation]:
        """Hard-rule violations among ``trips`` whose subject is one of ``focus`` (default all)."""
        focus = trips if focus is None else focus
        by_id: dict[str, list[Trip]] = defaultdict(list)  # equal trips share their id
        for t in trips:
            by_id[t.id].append(t)
        everything = trips + [t for t in focus if t not in by_id.get(t.id, ())]
        out: list[Violation] = []
        for trip in focus:
            out += self._request_rules(trip)
            out += self._group_rules(trip)
        out += self._busy(everything, focus)
        out += self._same_country(everything, focus)
        out += self._frequency(everything, focus)
        out += self._budgets(everything, focus)
        out += self._catalogue(everything, focus)
        out += self._controlled_cap(everything, focus)
        return out

    # ---- helpers -------------------------------------------------------------------

    def _hard(self, rule: str) -> bool:
        return self.p.hard(rule)

    def _waived(self, request_id: str, rule: str) -> bool:
        return self.use_exceptions and self.s.excepted(request_id, rule)

    def _trip_waived(self, trip: Trip, rule: str) -> bool:
        return any(self._waived(r.id, rule) for r in trip.requests)

    def _person(self, pid: str) -> Person | None:
        return self.s.person_by_id.get(pid)

    def _trip(self, d: Delegation) -> Trip | None:
        reqs = tuple(self.s.request_by_id[r] for r in d.requests if r in self.s.request_by_id)
        if not reqs:
            return None
        stops = tuple(StopDates(s.country, s.start, s.end) for s in d.stops)
        return Trip(d.id, reqs, d.head, d.travellers, d.start, d.end, stops)

    # ---- structure (INTERFACE.md §1, §2) ------------------------------------------

    def _structure(self, plan: Plan) -> tuple[list[Violation], list[Trip]]:
        out: list[Violation] = []

        def bad(reqs: Iterable[str], msg: str) -> None:
            out.append(Violation(STRUCTURE, tuple(reqs), msg))

        known = self.s.request_by_id
        seen: dict[str, int] = defaultdict(int)
        for dec in plan.decisions:
            seen[dec.request] += 1
            if dec.request not in known:
                bad([dec.request], "decision for a request the scenario does not have")
        for rid in known:
            if seen.get(rid, 0) != 1:
                bad([rid], f"has {seen.get(rid, 0)} decisions; every request has exactly one")
        placed: dict[str, str] = {}
        for d in plan.delegations:
            for rid in d.requests:
                if rid in placed:
                    bad([rid], f"is in delegations {placed[rid]} and {d.id}")
                placed[rid] = d.id
                if rid not in known:
                    bad([rid], f"delegation {d.id} holds an unknown request")
        for dec in plan.decisions:
            if dec.status == "approved" and placed.get(dec.request) != dec.delegation:
                bad(
                    [dec.request],
                    f"approved in {dec.delegation} but placed in {placed.get(dec.request)}",
                )
            if dec.status == "rejected":
                if dec.request in placed:
                    bad([dec.request], f"rejected yet placed in {placed[dec.request]}")
                if not dec.reasons:
                    bad([dec.request], "rejected without a reason")
        status = {dec.request: dec.status for dec in plan.decisions}
        for d in plan.delegations:
            for rid in d.requests:
                if rid in known and status.get(rid) != "approved":
                    bad([rid], f"is in delegation {d.id} but not approved")
        trips = []
        for d in plan.delegations:
            trip = self._trip(d)
            if trip is None:
                continue
            out += self._layout(d, trip)
            trips.append(trip)
        return out, trips

    def _layout(self, d: Delegation, trip: Trip) -> list[Violation]:
        out: list[Violation] = []
        ids = trip.request_ids

        def bad(msg: str) -> None:
            out.append(Violation(STRUCTURE, ids, f"delegation {d.id}: {msg}"))

        heads = {r.head for r in trip.requests}
        if d.head not in heads:
            bad(f"head {d.head} is not the head of any of its requests")
        wanted = {p for r in trip.requests for p in r.travellers}
        if len(set(trip.travellers)) != len(trip.travellers):
            bad("lists a traveller twice")
        if set(trip.travellers) != wanted:
            missing = sorted(wanted - set(trip.travellers))
            extra = sorted(set(trip.travellers) - wanted)
            bad(f"travellers differ from its requests' (missing {missing}, extra {extra})")
        want_days: dict[str, int] = defaultdict(int)
        for r in trip.requests:
            per_country: dict[str, int] = defaultdict(int)
            for s in r.stops:
                per_country[s.country] += s.days
            for c, n in per_country.items():
                want_days[c] = max(want_days[c], n)
        have_days: dict[str, int] = defaultdict(int)
        for placed in trip.stops:
            if placed.end < placed.start:
                bad(f"stop in {placed.country} ends before it starts")
            have_days[placed.country] += placed.days
        if dict(have_days) != dict(want_days):
            bad(
                f"days per country {dict(have_days)} differ from the requests' "
                f"longest stays {dict(want_days)}"
            )
        if not trip.stops:
            bad("has no stops")
            return out
        travel = max(r.travel_days for r in trip.requests)
        if trip.stops[0].start != trip.start + dt.timedelta(travel // 2):
            bad(f"first stop should begin {travel // 2} day(s) after the start")
        for a, b in zip(trip.stops, trip.stops[1:], strict=False):
            if b.start != a.end + dt.timedelta(1):
                bad(f"stop in {b.country} does not follow the stop in {a.country} directly")
        if trip.end != trip.stops[-1].end + dt.timedelta(travel - travel // 2):
            bad(f"should end {travel - travel // 2} day(s) after the last stop")
        if trip.start < self.s.year_start or trip.end > self.s.year_end:
            bad(f"runs {trip.start}..{trip.end}, outside the planning year {self.s.year}")
        return out

    # ---- rules on one request -----------------------------------------------------

    def _request_rules(self, trip: Trip) -> list[Violation]:
        out: list[Violation] = []
        deadline = self.s.deadline or self.p.params("PLAN-DEADLINE").deadline
        refused = set(self.p.params("INVITE-SOURCE").refused)
        task_min = self.p.params("TASK-MIN").min
        for r in trip.requests:

            def v(rule: str, msg: str, r: Request = r) -> None:
                if self._hard(rule) and not self._waived(r.id, rule):
                    out.append(Violation(rule, (r.id,), msg))

            if deadline and r.submitted and r.submitted > deadline:
                v("PLAN-DEADLINE", f"submitted {r.submitted}, after the deadline {deadline}")
            unit = self.s.unit_by_id.get(r.unit)
            if unit and unit.flagged:
                v("PLAN-UNIT-FLAGGED", f"unit {unit.id} has unremedied findings")
            if r.kind == "self" and r.invitation_kind == "none":
                v("INVITE-REQUIRED", "a self-organised group without an invitation")
            if r.invitation_kind in refused:
                v("INVITE-SOURCE", f"invitation of a refused kind: {r.invitation_kind}")
            for s in r.stops:
                if len(s.tasks) < task_min:
                    v("TASK-MIN", f"{len(s.tasks)} task(s) in {s.country}; at least {task_min}")
            lo, hi = r.window
            if trip.start < lo or trip.end > hi:
                v("TIME-WINDOW", f"trip {trip.start}..{trip.end} is outside the window {lo}..{hi}")
            named = {t.by for s in r.stops for t in s.tasks if t.by}
            if named:
                idle = [m for m in r.members if m not in named]
                if idle:
                    v("PERS-RELEVANT", f"no task names {', '.join(idle)}")
        return out

    # ---- rules on one delegation ----------------------------------------------------

    def _group_rules(self, trip: Trip) -> list[Violation]:
        out: list[Violation] = []
        ids = trip.request_ids

        def v(rule: str, msg: str) -> None:
            if self._hard(rule) and not self._trip_waived(trip, rule):
                out.append(Violation(rule, ids, msg))

        countries = trip.countries
        continents = sorted({country(c).continent for c in countries})
        if len(continents) > 1:
            v("GEO-ONE-CONTINENT", f"visits {', '.join(countries)} on {', '.join(continents)}")
        max_countries = self.p.params("GEO-MAX-COUNTRIES").max
        if max_countries is not None and len(countries) > max_countries:
            v("GEO-MAX-COUNTRIES", f"visits {len(countries)} countries; at most {max_countries}")
        controlled = self.p.params("GEO-CONTROLLED-REGION")
        if controlled.max_trips is None:
            hit = [c for c in countries if country(c).continent in controlled.continents]
            if hit:
                v("GEO-CONTROLLED-REGION", f"visits controlled {', '.join(hit)}")
        hot = self.p.params("GEO-HOTSPOT")
        hot_stops = [c for c in countries if c in hot.countries]
        hot_stops += [
            s.city for r in trip.requests for s in r.stops if s.city and s.city in hot.cities
        ]
        if hot_stops:
            v("GEO-HOTSPOT", f"visits hotspots {', '.join(str(h) for h in hot_stops)}")

        people = [p for p in (self._person(x) for x in trip.travellers) if p is not None]
        by_unit: dict[str, list[Person]] = defaultdict(list)
        for person in people:
            by_unit[person.unit].append(person)
        for unit_id, group in sorted(by_unit.items()):
            leaders = [p.id for p in group if p.leadership]
            if len(leaders) > 1:
                v("PERS-LEADERSHIP", f"{' and '.join(leaders)} both lead unit {unit_id}")
            cap = self.p.params("PERS-UNIT-CAP").max
            if len(group) > cap:
                v("PERS-UNIT-CAP", f"{len(group)} people of unit {unit_id}; at most {cap}")
        size = self.p.params("PERS-SIZE")
        head = self._person(trip.head)
        if trip.is_training:
            cap, why = size.training, "a training group"
        elif head is not None and head.head_of_agency:
            cap, why = size.head_of_agency, f"{head.id} heads the agency"
        else:
            cap, why = size.deputy, "a deputy leads"
        if len(trip.travellers) > cap:
            v("PERS-SIZE", f"{len(trip.travellers)} people; at most {cap} when {why}")
        dual = self.p.params("PERS-DUAL")
        levels = {
            self.s.unit_by_id[r.unit].level for r in trip.requests if r.unit in self.s.unit_by_id
        }
        if dual.municipal_no_district and levels == {"municipal"}:
            district = [p.id for p in people if p.district_official]
            if district:
                v("PERS-DUAL", f"municipal group with district officials {', '.join(district)}")
        if dual.training_one_system and trip.is_training:
            systems = set()
            for person in people:
                unit = self.s.unit_by_id.get(person.unit)
                systems.add((unit.system or f"unit:{unit.id}") if unit else person.unit)
            if len(systems) > 1:
                v("PERS-DUAL", f"training group mixes systems {', '.join(sorted(systems))}")

        per_country = self.p.params("TIME-PER-COUNTRY")
        days: dict[str, int] = defaultdict(int)
        for s in trip.stops:
            days[s.country] += s.days
        events = {s.country for r in trip.requests for s in r.stops if s.event}
        for c, n in days.items():
            limit = per_country.event_max_days if c in events else per_country.max_days
            if n > limit:
                v("TIME-PER-COUNTRY", f"{n} days in {c}; at most {limit}")
        if trip.is_training:
            training = self.p.params("TIME-TRAINING")
            total = sum(days.values())
            if not training.min_days <= total <= training.max_days:
                v(
                    "TIME-TRAINING",
                    f"{total} training days; between {training.min_days} and {training.max_days}",
                )
        if len(trip.requests) > 1:
            fixed = [r.id for r in trip.requests if not r.mergeable]
            if fixed:
                out.append(Violation("MERGE", ids, f"{', '.join(fixed)} may not be merged"))
            items = {r.catalogue for r in trip.requests if r.catalogue}
            if len(items) > 1:
                out.append(
                    Violation(
                        "MERGE-CATALOGUE", ids, f"mixes catalogue items {', '.join(sorted(items))}"
                    )
                )
        return out

    # ---- rules across delegations ---------------------------------------------------

    def _busy(self, trips: list[Trip], focus: list[Trip]) -> list[Violation]:
        if not self._hard("PERS-BUSY"):
            return []
        by_person = _by_traveller(trips, focus)
        out, seen = [], set()
        for f in focus:
            for p in f.travellers:
                for other in by_person[p]:
                    if other is f or not _overlap(f.start, f.end, other.start, other.end):
                        continue
                    key = (p, *sorted((f.id, other.id)))
                    if key in seen:
                        continue
                    seen.add(key)
                    if self._trip_waived(f, "PERS-BUSY") or self._trip_waived(other, "PERS-BUSY"):
                        continue
                    out.append(
                        Violation(
                            "PERS-BUSY",
                            f.request_ids,
                            f"{p} would be in two groups at once: {f.start}..{f.end} and "
                            f"{other.start}..{other.end}",
                            other.request_ids,
                        )
                    )
        return out

    def _same_country(self, trips: list[Trip], focus: list[Trip]) -> list[Violation]:
        if not self._hard("GEO-SAME-COUNTRY"):
            return []
        gap = self.p.params("GEO-SAME-COUNTRY").min_gap_days
        wanted = {s.country for f in focus for s in f.stops}  # only the focus's countries
        stays: dict[str, list[tuple[Trip, StopDates]]] = defaultdict(list)
        for t in trips:
            for s in t.stops:
                if s.country in wanted:
                    stays[s.country].append((t, s))
        near = _Nearby(stays, gap) if len(focus) > 1 else None
        out, seen = [], set()
        for f in focus:
            for s in f.stops:
                others = stays[s.country] if near is None else near.around(s)
                for other, o in others:
                    if other is f or not _overlap(s.start, s.end, o.start, o.end, gap):
                        continue
                    key = (*tuple(sorted((f.id, other.id))), s.country)
                    if key in seen:
                        continue
                    seen.add(key)
                    waived = self._trip_waived(f, "GEO-SAME-COUNTRY") or self._trip_waived(
                        other, "GEO-SAME-COUNTRY"
                    )
                    if waived:
                        continue
                    spacing = f" or closer than {gap} days" if gap else ""
                    out.append(
                        Violation(
                            "GEO-SAME-COUNTRY",
                            f.request_ids,
                            f"in {s.country} {s.start}..{s.end}, sharing days{spacing} with "
                            f"another group there {o.start}..{o.end}",
                            other.request_ids,
                        )
                    )
        return out

    def _quota(self, person: Person) -> Quota | None:
        params: FreqRankParams = self.p.params("FREQ-RANK")
        unit = self.s.unit_by_id.get(person.unit)
        if (
            self.p.rule("FREQ-ENTERPRISE").on
            and person.multi_trip_approval
            and unit
            and (unit.level == "enterprise")
        ):
            return None
        if unit and unit.foreign_economic and person.rank in params.foreign_economic:
            return params.foreign_economic[person.rank]
        return params.quotas.get(person.rank)

    @staticmethod
    def _limit_holds(limit: Limit, person: Person, start: dt.date, starts: list[dt.date]) -> bool:
        """Does the limit hold for a trip starting on ``start``, given every trip's start?

        A per-term limit counts trips starting inside the person's term and says nothing
        of a trip outside it or of a person with no term; a limit of ``w`` years checks
        every run of ``w`` calendar years that holds the trip's start year.
        """
        year = start.year
        if limit.per == "term":
            if person.term is None or not person.term[0] <= start <= person.term[1]:
                return True
            lo, hi = person.term
            return sum(lo <= s <= hi for s in starts) <= limit.count
        w = limit.window_years or 1
        for first in range(year - w + 1, year + 1):
            if sum(first <= s.year < first + w for s in starts) > limit.count:
                return False
        return True

    def _frequency(self, trips: list[Trip], focus: list[Trip]) -> list[Violation]:
        if not self._hard("FREQ-RANK"):
            return []
        by_person = _by_traveller(trips, focus)
        out = []
        for f in focus:
            if self._trip_waived(f, "FREQ-RANK"):
                continue
            for pid in f.travellers:
                person = self._person(pid)
                quota = self._quota(person) if person else None
                if person is None or quota is None:
                    continue
                history = self.s.history_by_person.get(pid, [])
                starts = [h.start for h in history] + [t.start for t in by_person[pid]]
                held = [self._limit_holds(lim, person, f.start, starts) for lim in quota.limits]
                ok = any(held) if quota.mode == "any_of" else all(held)
                if ok:
                    continue
                earlier = [f"{h.start} (history)" for h in history]
                rivals = tuple(r.id for t in by_person[pid] if t is not f for r in t.requests)
                earlier += [
                    f"{t.start} ({', '.join(t.request_ids)})" for t in by_person[pid] if t is not f
                ]
                out.append(
                    Violation(
                        "FREQ-RANK",
                        f.request_ids,
                        f"{pid} ({person.rank}) also travels on "
                        f"{', '.join(earlier) or 'no other date'}"
                        f"; the quota is {quota.describe()}",
                        rivals,
                    )
                )
        return out

    def _budgets(self, trips: list[Trip], focus: list[Trip]) -> list[Violation]:
        out: list[Violation] = []
        focus_reqs = [r for t in focus for r in t.requests]
        all_reqs = [r for t in trips for r in t.requests]
        if self._hard("BUDGET-UNIT"):
            zero = self.p.params("BUDGET-UNIT").missing_budget_is_zero
            # each unit's requests, in the plan's order: read unit by unit, the whole list
            # per unit made a 20,000-request plan's check take 24.6 s (now 1.7 s)
            of_unit: dict[str, list[Request]] = defaultdict(list)
            for r in all_reqs:
                of_unit[r.unit].append(r)
            focus_of_unit: dict[str, list[Request]] = defaultdict(list)
            for r in focus_reqs:
                focus_of_unit[r.unit].append(r)
            for unit_id in sorted(focus_of_unit):
                unit = self.s.unit_by_id.get(unit_id)
                if unit is None:
                    continue
                budget = unit.budget if unit.budget is not None else (0 if zero else None)
                if budget is None:
                    continue
                own = of_unit[unit_id]
                total = sum(r.cost for r in own)
                subjects = [
                    r.id for r in focus_of_unit[unit_id] if not self._waived(r.id, "BUDGET-UNIT")
                ]
                if total > budget and subjects:
                    out.append(
                        Violation(
                            "BUDGET-UNIT",
                            tuple(subjects),
                            f"unit {unit_id} would spend {total} against its budget {budget}",
                            tuple(r.id for r in own if r.id not in subjects),
                        )
                    )
        if self._hard("BUDGET-TOTAL") and self.s.last_year_total is not None:
            total = sum(r.cost for r in all_reqs)
            subjects = [r.id for r in focus_reqs if not self._waived(r.id, "BUDGET-TOTAL")]
            if total > self.s.last_year_total and subjects:
                out.append(
                    Violation(
                        "BUDGET-TOTAL",
                        tuple(subjects),
                        f"the plan's total {total} exceeds last year's {self.s.last_year_total}",
                        tuple(r.id for r in all_reqs if r.id not in subjects),
                    )
                )
        return out

    def _catalogue(self, trips: list[Trip], focus: list[Trip]) -> list[Violation]:
        if not self._hard("MERGE-CATALOGUE"):
            return []
        # only the focus's items can hold a violation of the focus (equal trips, equal items)
        wanted = {r.catalogue for f in focus for r in f.requests if r.catalogue}
        if not wanted:
            return []
        members: dict[str, list[Trip]] = defaultdict(list)
        for t in trips:
            for item in {r.catalogue for r in t.requests if r.catalogue} & wanted:
                members[item].append(t)
        out = []
        for item_id, group in sorted(members.items()):
            entry = self.s.catalogue_by_id.get(item_id)
            if entry is None or len(group) <= entry.groups:
                continue
            for f in focus:
                if f in group and not self._trip_waived(f, "MERGE-CATALOGUE"):
                    rivals = tuple(r.id for t in group if t is not f for r in t.requests)
                    out.append(
                        Violation(
                            "MERGE-CATALOGUE",
                            f.request_ids,
                            f"catalogue item {item_id} allows {entry.groups} delegation(s); "
                            f"{len(group)} are formed",
                            rivals,
                        )
                    )
        return out

    def _controlled_cap(self, trips: list[Trip], focus: list[Trip]) -> list[Violation]:
        params = self.p.params("GEO-CONTROLLED-REGION")
        if not self._hard("GEO-CONTROLLED-REGION") or params.max_trips is None:
            return []

        def controlled(t: Trip) -> bool:
            return any(country(c).continent in params.continents for c in t.countries)

        group = [t for t in trips if controlled(t)]
        if len(group) <= params.max_trips:
            return []
        return [
            Violation(
                "GEO-CONTROLLED-REGION",
                f.request_ids,
                f"{len(group)} trips to {', '.join(params.continents)}; at most "
                f"{params.max_trips} a year",
                tuple(r.id for t in group if t is not f for r in t.requests),
            )
            for f in focus
            if f in group and not self._trip_waived(f, "GEO-CONTROLLED-REGION")
        ]
