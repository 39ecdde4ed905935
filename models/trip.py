"""A trip's dates from its start (INTERFACE.md §1 date conventions).

The first stop begins ``start + floor(travel_days / 2)``; stops follow one another
without gaps; the trip ends ``ceil(travel_days / 2)`` days after the last stop's last day.
Its length is ``travel_days + sum(days)`` days, both ends included. The solver, the
auditor and the reports all lay trips out with this one function, so there is one place
where the convention lives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class StopDates:
    country: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class TripDates:
    start: dt.date
    end: dt.date  # inclusive
    stops: tuple[StopDates, ...]


def stop_offsets(days: list[int] | tuple[int, ...], travel_days: int) -> list[int]:
    """Day offsets of each stop's first day from the trip's start."""
    offsets = []
    at = travel_days // 2
    for d in days:
        offsets.append(at)
        at += d
    return offsets


def trip_length(days: list[int] | tuple[int, ...], travel_days: int) -> int:
    return travel_days + sum(days)


def lay_out(
    start: dt.date, stops: list[tuple[str, int]] | tuple[tuple[str, int], ...], travel_days: int
) -> TripDates:
    """The dates of a trip that starts on ``start`` and visits ``(country, days)`` in order."""
    days = [d for _, d in stops]
    offsets = stop_offsets(days, travel_days)
    out = tuple(
        StopDates(country, start + dt.timedelta(off), start + dt.timedelta(off + d - 1))
        for (country, d), off in zip(stops, offsets, strict=True)
    )
    end = start + dt.timedelta(trip_length(days, travel_days) - 1)
    return TripDates(start, end, out)
