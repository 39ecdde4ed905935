"""Candidate delegations: the trips the model may choose to form.

A candidate is a fixed group of requests travelling together with a fixed route: who
goes, which countries in which order, how many days in each, how many travel days. Only
its start date is left to the search, so every stop lies at a fixed offset from the start
and each candidate needs one start variable. A lone request is a candidate of its own;
composite candidates (several requests) are added by the merge step and use the same
machinery: the model lets one delegation hold several requests.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property

from models.geography import country
from models.scenario import Person, Request, Scenario
from models.trip import stop_offsets, trip_length


def request_keys(r: Request) -> frozenset[tuple[str, str]]:
    """What a request's trip can collide on: its travellers, countries, unit, catalogue item.

    Two trips with no key in common break no hard rule together except the rules that add
    up over the whole plan (the total budget, a controlled-region cap:
    ``solver.greedy.reaches_whole_plan``).
    """
    keys = {("person", p) for p in r.travellers}
    keys |= {("country", code) for code in r.countries}
    keys.add(("unit", r.unit))
    if r.catalogue:
        keys.add(("item", r.catalogue))
    return frozenset(keys)


@dataclass(frozen=True)
class Candidate:
    id: str
    requests: tuple[Request, ...]
    head: str
    travellers: tuple[str, ...]  # head first
    stops: tuple[tuple[str, int], ...]  # (country, days) in travel order
    travel_days: int
    #: first and last possible start, as day numbers from 1 January of the year
    earliest: int
    latest: int
    offsets: tuple[int, ...] = field(default=())

    @cached_property
    def request_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.requests)

    @cached_property
    def length(self) -> int:
        """Days from departure to return (asked of every candidate by several rules)."""
        return trip_length([d for _, d in self.stops], self.travel_days)

    @cached_property
    def countries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.stops))

    @cached_property
    def keys(self) -> frozenset[tuple[str, str]]:
        """What the trip can collide on: its requests' keys (``request_keys``)."""
        return frozenset().union(*(request_keys(r) for r in self.requests))

    @property
    def is_composite(self) -> bool:
        return len(self.requests) > 1

    @property
    def is_training(self) -> bool:
        return any(r.kind == "training" for r in self.requests)

    @property
    def feasible_window(self) -> bool:
        return self.earliest <= self.latest

    def country_span(self, code: str) -> tuple[int, int]:
        """(first day offset, days) covering every stop in one country, for GEO-SAME-COUNTRY."""
        return self.country_spans[code]

    @cached_property
    def country_spans(self) -> dict[str, tuple[int, int]]:
        """``country_span`` of each of its countries, worked out once: explaining asks it of
        the same planned trips for thousands of small models."""
        first: dict[str, int] = {}
        end: dict[str, int] = {}
        for (code, days), off in zip(self.stops, self.offsets, strict=True):
            first[code] = min(first.get(code, off), off)
            end[code] = max(end.get(code, off + days), off + days)
        return {code: (first[code], end[code] - first[code]) for code in first}


def day_number(year: int, date: dt.date) -> int:
    return (date - dt.date(year, 1, 1)).days


def day_date(year: int, number: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(number)


def _rank_key(person: Person | None) -> int:
    """Higher is more senior; used to pick a composite delegation's head."""
    order = [
        "vice_provincial",
        "vice_municipal_fa",
        "vice_municipal",
        "bureau_chief",
        "bureau_deputy",
        "key_leader",
    ]
    if person is None:
        return 0
    if person.rank in order:
        return 100 - order.index(person.rank)
    return 50 if person.head_of_agency else (40 if person.leadership else 0)


def make_candidate(
    scenario: Scenario, requests: tuple[Request, ...], use_windows: bool = True
) -> Candidate:
    """The delegation of ``requests`` travelling together (one request: its own trip).

    A composite takes the union of the requests' countries, each for the longest stay
    any request asked there (RULES.md, MERGE), same UN sub-region together, in the order
    the countries first appear; its travel days are the largest of its requests'; its
    head is the most senior head (ties: the higher priority, then the first request).
    """
    if len(requests) == 1:
        r = requests[0]
        stops = tuple((s.country, s.days) for s in r.stops)
        head, travellers, travel = r.head, r.travellers, r.travel_days
    else:
        people = scenario.person_by_id
        best = max(
            enumerate(requests),
            key=lambda ir: (_rank_key(people.get(ir[1].head)), ir[1].priority, -ir[0]),
        )[1]
        head = best.head
        travellers = tuple(dict.fromkeys([head, *(p for r in requests for p in r.travellers)]))
        days: dict[str, int] = defaultdict(int)
        for r in requests:
            per: dict[str, int] = defaultdict(int)
            for s in r.stops:
                per[s.country] += s.days
            for c, n in per.items():
                days[c] = max(days[c], n)
        order = list(days)
        regions = list(dict.fromkeys(country(c).subregion for c in order))
        order.sort(key=lambda c: regions.index(country(c).subregion))
        stops = tuple((c, days[c]) for c in order)
        travel = max(r.travel_days for r in requests)
    length = trip_length([d for _, d in stops], travel)
    if use_windows:
        lo = max(day_number(scenario.year, r.window[0]) for r in requests)
        hi = min(day_number(scenario.year, r.window[1]) for r in requests) - length + 1
    else:  # TIME-WINDOW off: anywhere in the planning year
        lo, hi = 0, day_number(scenario.year, scenario.year_end) - length + 1
    cid = "+".join(r.id for r in requests)
    offsets = tuple(stop_offsets([d for _, d in stops], travel))
    return Candidate(cid, tuple(requests), head, travellers, stops, travel, lo, hi, offsets)


def singletons(scenario: Scenario, use_windows: bool = True) -> list[Candidate]:
    """One candidate per request: each request as its own delegation."""
    return [make_candidate(scenario, (r,), use_windows) for r in scenario.requests]


@dataclass(frozen=True)
class Placed:
    """A candidate delegation on a chosen start day: one trip of a plan, as the solver sees it."""

    candidate: Candidate
    start: int

    @property
    def id(self) -> str:
        return self.candidate.id

    def pinned(self) -> Candidate:
        """The candidate with its start fixed to this day: one copy per trip, kept, so that
        the thousands of small models explaining a plan (``solver.local``) share it and
        what it has worked out (its length, keys, country spans)."""
        return self._pinned

    @cached_property
    def _pinned(self) -> Candidate:
        return replace(self.candidate, earliest=self.start, latest=self.start)
