"""Who is where on which days: a quick index of the two rules that tie trips' dates together.

The greedy planner and the repair of a relaxation (``solver.greedy``) try a trip on one
start after another and ask the auditor whether it fits. At 20,000 requests a country
holds hundreds of trips, each try audits all of them, and most tries fail on the same two
rules: no two groups in one country at once (GEO-SAME-COUNTRY) and no one in two groups
at once (PERS-BUSY). This index answers those two in a few comparisons, so the auditor is
asked only about starts that pass them.

It is exact, never stricter than the auditor (``models.audit.Auditor._same_country``,
``_busy``): a start it refuses is one the auditor refuses too, so the plans come out the
same with or without it (tests/test_greedy.py checks this). A trip with an exception to
a rule is left out of that rule's index, as the auditor lets any pair it is in pass.

Each range remembers its trip, so the index also names the trips in a start's way
(``blockers``) and lets a trip leave (``remove``): the repair moves trips aside with them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterator

from models.policy import Policy
from models.scenario import Scenario
from solver.candidates import Candidate


class _Days:
    """Day ranges (first, last, both included) on one line: one country, or one person,
    each with the trip it belongs to."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int, str]] = []  # sorted by first day
        #: the longest range ever added: an upper bound once ranges are removed, which
        #: only widens ``clashing``'s search
        self.longest = 0

    def add(self, first: int, last: int, owner: str) -> None:
        insort(self.ranges, (first, last, owner))
        self.longest = max(self.longest, last - first + 1)

    def remove(self, first: int, last: int, owner: str) -> None:
        k = bisect_left(self.ranges, (first, last, owner))
        assert self.ranges[k] == (first, last, owner), "removing a range never added"
        del self.ranges[k]

    def clashing(self, first: int, last: int, gap: int) -> Iterator[str]:
        """The trips whose ranges share a day with ``first..last``, or come closer than
        ``gap`` free days, one by one (a caller that needs only the first stops there).

        The auditor's test (``models.audit._overlap``): two ranges clash unless one ends
        at least ``gap`` free days before the other begins. Only ranges beginning between
        ``first - gap - longest`` and ``last + gap`` can clash, which bisection finds.
        """
        lo = bisect_left(self.ranges, (first - gap - self.longest, -1, ""))
        hi = bisect_right(self.ranges, (last + gap, 1 << 30, ""))
        for a, b, owner in self.ranges[lo:hi]:
            if a - last - 1 < gap and first - b - 1 < gap:
                yield owner


class Occupancy:
    """The stays per country and the trips per traveller of the trips placed so far."""

    def __init__(self, scenario: Scenario, policy: Policy):
        self.s = scenario
        self.country = policy.hard("GEO-SAME-COUNTRY")
        self.gap = policy.params("GEO-SAME-COUNTRY").min_gap_days if self.country else 0
        self.busy = policy.hard("PERS-BUSY")
        self._countries: dict[str, _Days] = defaultdict(_Days)
        self._people: dict[str, _Days] = defaultdict(_Days)

    def _waived(self, c: Candidate, rule: str) -> bool:
        return any(self.s.excepted(r.id, rule) for r in c.requests)

    def _stays(self, c: Candidate, start: int):
        for (code, days), off in zip(c.stops, c.offsets, strict=True):
            yield code, start + off, start + off + days - 1

    def clashes(self, c: Candidate, start: int) -> bool:
        """True when the trip on ``start`` breaks GEO-SAME-COUNTRY or PERS-BUSY beside the
        placed trips (False says nothing of the other rules: ask the auditor)."""
        return next(self._in_the_way(c, start), None) is not None

    def blockers(self, c: Candidate, start: int) -> set[str]:
        """The placed trips (ids) that ``clashes`` finds for the trip on ``start``: the ones
        to move aside for it (``solver.greedy.repair``)."""
        return set(self._in_the_way(c, start))

    def _in_the_way(self, c: Candidate, start: int) -> Iterator[str]:
        """The placed trips the trip on ``start`` meets in a country or a traveller's
        calendar, lazily (with repeats)."""
        if self.country and not self._waived(c, "GEO-SAME-COUNTRY"):
            for code, first, last in self._stays(c, start):
                line = self._countries.get(code)
                if line:
                    yield from line.clashing(first, last, self.gap)
        if self.busy and not self._waived(c, "PERS-BUSY"):
            last = start + c.length - 1
            for pid in c.travellers:
                line = self._people.get(pid)
                if line:
                    yield from line.clashing(start, last, 0)

    def add(self, c: Candidate, start: int) -> None:
        """Record a placed trip."""
        self._each(c, start, _Days.add)

    def remove(self, c: Candidate, start: int) -> None:
        """Forget a placed trip, recorded by ``add`` with the same start."""
        self._each(c, start, _Days.remove)

    def _each(self, c: Candidate, start: int, do) -> None:
        if self.country and not self._waived(c, "GEO-SAME-COUNTRY"):
            for code, first, last in self._stays(c, start):
                do(self._countries[code], first, last, c.id)
        if self.busy and not self._waived(c, "PERS-BUSY"):
            for pid in c.travellers:
                do(self._people[pid], start, start + c.length - 1, c.id)
