"""An approved plan of an earlier year as history trips (``history_from`` in a scenario).

Why: trip quotas count a person's trips over years (FREQ-RANK: "1 in any 2 years", "2 a
term"; 000 §1(二), 002 II.1), so each autumn's scenario needs the trips the year before's
approved plan sent, for every traveller. Typed by hand that is a row per traveller per
trip, hundreds of rows that drift from the plan; read from the plan's own ``plan.json``
they are exactly its delegations. A trip counts from its start (README, Interpretations:
quotas count trips by their start year), so each traveller of a delegation gets one
history trip starting that day, through its countries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.plan import Plan


@dataclass
class PastTrips:
    """What one earlier plan adds to a scenario's history, and what it leaves out."""

    #: history trips as a scenario file writes them (INTERFACE.md §1, ``history``)
    trips: list[dict[str, Any]] = field(default_factory=list)
    #: travellers of the plan who are not among the scenario's people (not counted)
    strangers: list[str] = field(default_factory=list)
    #: the plan's delegations that start in the scenario's own year or later
    too_late: list[str] = field(default_factory=list)


def past_trips(
    plan: Plan, name: str, people: set[str], year: int, known: set[tuple[str, str]]
) -> PastTrips:
    """The history trips of ``plan`` (its file named ``name`` in each trip's note) for a
    scenario of ``year`` whose people are ``people`` and whose history already holds the
    (person, ISO start) pairs ``known``; the trips added join ``known``, so that a trip in
    two plans given is counted once."""
    out = PastTrips()
    strangers: set[str] = set()
    for d in sorted(plan.delegations, key=lambda d: (d.start, d.id)):
        if d.start.year >= year:
            out.too_late.append(d.id)
            continue
        countries = list(dict.fromkeys(s.country for s in d.stops))
        for person in d.travellers:
            if person not in people:
                strangers.add(person)
                continue
            key = (person, d.start.isoformat())
            if key in known:  # typed in already, or in an earlier plan given: once
                continue
            known.add(key)
            out.trips.append(
                {
                    "person": person,
                    "start": d.start.isoformat(),
                    "countries": countries,
                    "note": f"{name} {d.id} ({'+'.join(d.requests)})",
                }
            )
    out.strangers.extend(sorted(strangers))
    return out


__all__ = ["PastTrips", "past_trips"]
