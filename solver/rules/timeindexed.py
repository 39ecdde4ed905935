"""Day-by-day rows for the calendars the relaxation leaves out: a bound that sees order.

The relaxation (``solver.warmstart``) drops the rules that tie one trip's dates to
another's (no two groups in one country at once, no one in two trips at once) and keeps
their sums (``solver.rules.energy``). Sums over spans cannot see order: stays that fit a
span's days together may fit them in no order, and a calendar left in gaps too short for
any stay counts those days as full. At 20,000 generated requests the relaxation fills
Slovakia's calendar with 336 days of stays, where at most 296 fit in one order.

The time-indexed form sees order. Each candidate gets one literal per possible start
(it starts on that day), and each day of a calendar a row: at most one stay covers it.
With whole literals the rows are the no-overlap itself, so the relaxation with them has
the full model's optimum; its linear relaxation is the classical time-indexed bound, the
strongest known for scheduling one machine.

Measured (``benchmarks/time_indexed.py``, ``benchmarks/time_indexed.md``): at 1,000
generated requests CP-SAT's linear workers prove the relaxation with these rows optimal
in about half a minute, and that is the full model's optimum. From 2,000 requests, and
in calendars as full as 5,000 requests make them, CP-SAT does not solve its linear
relaxation within minutes (nor does GLOP the smaller one of one plan's trips with only
their dates free, at 5,000 requests). So the solver does not post the rows;
the benchmark does, as the yardstick for an order-aware bound.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.model import ModelContext
from solver.rules.energy import Stay


@dataclass(frozen=True)
class TimeIndexedSize:
    """What the rows added: literals (one per possible start), rows, and terms in them."""

    starts: int
    rows: int
    terms: int


def post_time_indexed(m: ModelContext) -> TimeIndexedSize:
    """Add the day rows of every calendar the relaxed model ``m`` left out (``m.left_out``).

    Only days that two stays can both cover get a row, and only candidates with a stay
    that can cover such a day get literals: elsewhere the rows could not bind. Every row
    holds in every plan of the full model, so the model stays a relaxation.
    """
    calendars = [(stays, _shared_days(stays)) for _, stays in m.left_out]
    owners = sorted({s.owner for stays, shared in calendars for s in stays if _meets(s, shared)})
    starts = {cid: _post_starts(m, cid) for cid in owners}
    rows = terms = 0
    for stays, shared in calendars:
        covering: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for s in stays:
            if s.owner not in starts:
                continue
            offset = s.earliest - m.by_id[s.owner].earliest
            for day, on in starts[s.owner].items():
                for d in range(day + offset, day + offset + s.size):
                    if d in shared:
                        covering[d].append(on)
        for literals in covering.values():
            if len(literals) > 1:
                m.model.add(sum(literals) <= 1)
                rows += 1
                terms += len(literals)
    return TimeIndexedSize(sum(len(v) for v in starts.values()), rows, terms)


def _shared_days(stays: list[Stay]) -> set[int]:
    """The days at least two of ``stays`` can cover."""
    reach: Counter[int] = Counter()
    for s in stays:
        reach.update(range(s.earliest, s.latest + s.size))
    return {d for d, n in reach.items() if n > 1}


def _meets(stay: Stay, shared: set[int]) -> bool:
    return any(d in shared for d in range(stay.earliest, stay.latest + stay.size))


def _post_starts(m: ModelContext, cid: str) -> dict[int, cp_model.IntVar]:
    """One literal per possible start of candidate ``cid``, tied to its form, start and
    distance from the preferred start (so the linear relaxation prices dates too)."""
    c = m.by_id[cid]
    model = m.model
    days = range(c.earliest, c.latest + 1)
    on = {day: model.new_bool_var(f"starts-on[{cid},{day}]") for day in days}
    model.add(sum(on.values()) == m.form[cid])
    model.add(sum(day * lit for day, lit in on.items()) == m.start[cid]).only_enforce_if(
        m.form[cid]
    )
    if cid in m.shift:
        shift, target = m.shift[cid]
        model.add(shift >= sum(abs(day - target) * lit for day, lit in on.items()))
    return on
