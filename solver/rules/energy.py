"""What a no-overlap implies for sums: the days stays must spend in a span fit in it.

The relaxation (``solver.warmstart``) leaves out the rules that tie one trip's dates to
another's, so on its own it may send three times as many groups to a country as the
country's calendar holds: at 20,000 generated requests the stays asked of a typical
country add up to 3.4 times the days their windows span. Its bound is then far from any
plan. Energetic reasoning keeps the part of a no-overlap that is a sum: for a span of days
``[a, b)``, every formed stay spends at least its *compulsory* days there (the days it
cannot avoid, wherever in its window it starts), and stays that may not overlap cannot
spend more than ``b - a`` days in it together. One linear row per span, on ``form`` alone.
Used for a country's stays (GEO-SAME-COUNTRY, ``geography.relax_same_country``) and a
person's trips (PERS-BUSY, ``personnel.relax_busy``).

These rows hold in every plan of the full model, so the relaxation with them is still a
relaxation: its optimum still bounds the full model's. Spans are whole months and runs of
two and three months, plus the whole year, each cut to start on the first day a stay can
take: long enough to catch a season's crowding, few enough (34 per country) to keep the
model small. A row that cannot bind (its stays' compulsory days fit anyway) is not posted.

The same count prices dates (``crowding_rows``): stays that want the same days must move,
and a stay moved ``shift`` days still spends all but ``shift`` of its preferred days in a
span. Those rows, and the two-stay displacement rows (``post_displacement``), are on
``form`` and ``shift``, and are kept for the relaxation's second round.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from ortools.sat.python import cp_model

#: lengths, in months, of the spans checked (each starting on every month's first day)
SPAN_MONTHS = (1, 2, 3)
#: the year's months as day numbers from 1 January (a leap day shifts nothing that matters:
#: any span is a valid row; these are only where rows are placed)
_MONTH_STARTS = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)


@dataclass(frozen=True)
class Stay:
    """One optional stay on a resource: formed by ``literal``, it starts on a day between
    ``earliest`` and ``latest`` and takes ``size`` days."""

    literal: cp_model.IntVar
    earliest: int
    latest: int
    size: int
    #: at least the days its trip starts away from the preferred start, and the day the
    #: stay starts when the trip keeps that date (None: no preferred date)
    shift: cp_model.IntVar | None = None
    preferred: int | None = None
    #: the candidate it belongs to, to read a plan's values for it
    owner: str = ""


@cache
def spans(horizon: int) -> tuple[tuple[int, int], ...]:
    """The spans rows are posted for: runs of whole months, and the whole horizon."""
    found = {(0, horizon)}
    starts = [d for d in _MONTH_STARTS if d < horizon]
    for months in SPAN_MONTHS:
        for i, a in enumerate(starts):
            if i + months < len(_MONTH_STARTS):
                found.add((a, min(_MONTH_STARTS[i + months], horizon)))
    return tuple(sorted(found))


def post_energy(model: cp_model.CpModel, stays: Iterable[Stay], name: str) -> None:
    """Post the rows a no-overlap of ``stays`` implies.

    Each span starts no earlier than the first day a stay can take: the days before it
    hold nothing, and a row that counts them lets the relaxation fill the rest of the span
    past what it holds. At 20,000 generated requests no country's stays start before day 6
    (7 January), so the whole-year row of a typical country counted 344 days where 338
    are there to fill, and the relaxation filled them all: cut, its bound after 150 s fell
    from 4,477,416 to 4,432,629 (no change at 5,000 requests, where no country's year is
    full).
    """
    stays = list(stays)
    if len(stays) < 2:
        return
    first = min(s.earliest for s in stays)
    horizon = max(s.latest + s.size for s in stays)
    cuts = sorted({(max(a, first), b) for a, b in spans(horizon) if b > first})
    days = compulsory_table(stays, cuts)
    lengths = np.array([b - a for a, b in cuts])
    for j in np.flatnonzero(days.sum(axis=0) > lengths):  # else every stay fits: no row
        a, b = cuts[j]
        held = np.flatnonzero(days[:, j])
        terms = sum(int(days[i, j]) * stays[i].literal for i in held)
        model.add(terms <= b - a).with_name(f"{name}[{a},{b})")


def compulsory_table(stays: list[Stay], cuts: list[tuple[int, int]]) -> np.ndarray:
    """The fewest days each stay (rows) spends in each span ``[a, b)`` (columns) over all
    its starts.

    The overlap of ``[s, s + size)`` with ``[a, b)`` rises, stays flat, then falls as ``s``
    grows, so its least value over ``[earliest, latest]`` is at one of the two ends. One
    array a resource: at 5,000 requests the relaxation needs 650,000 of these, and one
    call a pair took 4 s of building it."""
    size = np.array([s.size for s in stays])[:, None]
    a = np.array([a for a, _ in cuts])[None, :]
    b = np.array([b for _, b in cuts])[None, :]

    def overlap(start: np.ndarray) -> np.ndarray:
        start = start[:, None]
        return np.maximum(0, np.minimum(start + size, b) - np.maximum(start, a))

    earliest = np.array([s.earliest for s in stays])
    latest = np.array([s.latest for s in stays])
    return np.minimum(overlap(earliest), overlap(latest))


#: one crowding row: the stays meeting a span on their preferred days, with those days,
#: and the span's length
Crowd = tuple[list[tuple[Stay, int]], int]


def crowding_rows(stays: Iterable[Stay]) -> list[Crowd]:
    """For each dated stay, what crowding its preferred days costs in shifts.

    Take a span ``[a, b)`` and the stays whose preferred days meet it, ``o`` days each.
    Moved ``shift`` days, a stay still spends at least ``o - shift`` days there, and the
    formed stays cannot spend more than ``b - a`` days there together, so
    ``sum(shift) >= sum(o * form) - (b - a)``. Unlike the two-stay displacement rows it
    prices a chain: a stay that meets one neighbour on each side cannot dodge both by
    moving one way. The spans are the stays' own preferred days; runs of neighbours and
    their common days as well added 5,000-7,000 rows at 5,000 generated requests for 30-50
    more of the 2,120 these rows take off the bound (README, Solver). Only rows whose
    stays cannot all keep their days.
    """
    dated = sorted(
        (s for s in stays if s.shift is not None and s.preferred is not None),
        key=lambda s: s.preferred or 0,
    )
    starts = [s.preferred or 0 for s in dated]
    longest = max((s.size for s in dated), default=0)
    seen, rows = set(), []
    for stay in dated:
        a, b = stay.preferred or 0, (stay.preferred or 0) + stay.size
        if (a, b) in seen:
            continue
        seen.add((a, b))
        near = dated[bisect_right(starts, a - longest) : bisect_left(starts, b)]
        terms = [(s, days) for s in near if (days := _preferred_overlap(s, a, b)) > 0]
        if sum(days for _, days in terms) > b - a:  # else every stay keeps its days
            rows.append((terms, b - a))
    return rows


def post_crowding(model: cp_model.CpModel, rows: Iterable[Crowd], name: str) -> None:
    """Post ``sum(shift) >= sum(o * form) - length`` for each row (``crowding_rows``)."""
    for k, (terms, length) in enumerate(rows):
        shifts = [s.shift for s, _ in terms if s.shift is not None]
        assert len(shifts) == len(terms)  # ``crowding_rows`` keeps dated stays only
        row = model.add(sum(shifts) >= sum(days * s.literal for s, days in terms) - length)
        row.with_name(f"{name}-crowd[{k}]")


def _preferred_overlap(stay: Stay, a: int, b: int) -> int:
    """The days ``stay``, on its preferred days, spends in ``[a, b)``."""
    start = stay.preferred or 0
    return max(0, min(start + stay.size, b) - max(start, a))


def displacement(a: Stay, b: Stay) -> int:
    """The fewest days two stays must move, together, away from their preferred days so
    that they do not overlap (0 when they do not overlap there).

    Either ``a`` ends before ``b`` begins or the other way round; the shifts must then
    cover the overlap of that order, and the cheaper order is the least they pay.
    """
    assert a.preferred is not None and b.preferred is not None
    a_first = a.preferred + a.size - b.preferred
    b_first = b.preferred + b.size - a.preferred
    return max(0, min(a_first, b_first))


def displacement_pairs(stays: Iterable[Stay]) -> list[tuple[Stay, Stay, int]]:
    """The stays that overlap on their preferred days, two by two, with the days ``d`` they
    must move together to part (``displacement``)."""
    dated = sorted(
        (s for s in stays if s.shift is not None and s.preferred is not None),
        key=lambda s: s.preferred or 0,
    )
    pairs = []
    for i, a in enumerate(dated):
        for b in dated[i + 1 :]:
            if (b.preferred or 0) >= (a.preferred or 0) + a.size:
                break  # sorted: no later stay meets ``a`` on its preferred days
            d = displacement(a, b)
            if d > 0 and a.shift is not b.shift:
                pairs.append((a, b, d))
    return pairs


def post_displacement(
    model: cp_model.CpModel, pairs: Iterable[tuple[Stay, Stay, int]], name: str
) -> None:
    """For each two stays that overlap on their preferred days, their shifts cover the
    overlap when both are formed: ``shift[a] + shift[b] >= d * (form[a] + form[b] - 1)``.

    The energetic rows count days and so cannot see the date costs a no-overlap forces:
    at a thousand generated requests a plan paid 559 in date distances, and that was what
    kept it from its bound. These rows hold in every plan (a shift is at least the
    distance it measures), so the bound stays a bound. They also make the relaxation
    slower to solve (at 5,000 requests 23 s instead of 12-17 s), so they are added
    only for its second round (``solver.warmstart.tighten``).
    """
    for k, (a, b, d) in enumerate(pairs):
        assert a.shift is not None and b.shift is not None
        row = model.add(a.shift + b.shift >= d * a.literal + d * b.literal - d)
        row.with_name(f"{name}-shift[{k}]")


__all__ = [
    "Crowd",
    "Stay",
    "compulsory_table",
    "crowding_rows",
    "displacement",
    "displacement_pairs",
    "post_crowding",
    "post_displacement",
    "post_energy",
    "spans",
]
