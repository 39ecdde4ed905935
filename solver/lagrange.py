"""Day prices: a bound that sees every day of the calendars the relaxation leaves out.

The relaxation (``solver.warmstart``) leaves out the rules that tie one trip's dates to
another's: no two stays in one country on a day (GEO-SAME-COUNTRY, gap included), no
traveller on two trips at once (PERS-BUSY). Its rows for them are sums over months
(``solver.rules.energy``), which let a country's calendar fill to the last day however its
stays' windows and lengths fall, and price crowded dates only where stays want the very
same days. Here every day of every such calendar gets a price ``v >= 0`` instead
(Lagrangian relaxation of "at most one stay a day"). Each candidate then pays, beside its
value and soft costs, its cheapest start: its distance from the preferred start, its stay
days on host holidays, and the prices of the days its stays (a traveller's: its whole
trip) take from there. For any prices, the relaxation without date costs, so priced, plus
the sum of all prices, bounds every plan: a plan keeps each day to one stay, so the prices
it pays are at most their sum, and each of its trips pays at least its cheapest start.
Subgradient steps raise the prices of the days the priced relaxation's answer fills
twice and lower those it leaves empty.

Why: at 5,000 generated requests the plans pay 12,800 in distance and 1,900 in host
holidays where the relaxation pays 800, and rows that price dates two stays at a time or
one span at a time took only 2,120 of that off the bound (benchmarks/findings.md). Day
prices took 4,800 off it: 1,543,792 to 1,538,996 after 60 steps (80 s on two workers),
against 1,541,674 with the crowding rows. On the generated 20,000-request scenario's
South American part (818 requests on 7 full countries) 185,970 after 150 steps, against
191,017 for the relaxation (190,213 with its second round given 600 s), where no other
method measured moved it by more than half a percent.

Without date costs the relaxation is also quicker to solve: 1-2 s a step at 5,000
requests, where the relaxation with them takes 12-17 s. At the whole 20,000-request
scenario a step is not proved in 60 s, but one cut at 10 s moves the prices as far, and
20 such steps took the bound from 4,432,832 to 4,409,280. So the prices are first found
on the relaxation's linear relaxation (``solver.linear_prices``: GLOP, 0.01 s a step at
5,000 requests and 0.1 s at 20,000, each a bound too), and the whole steps go on from
the best of them: at 5,000 requests the first whole step then proves 1,537,260 (12 s of
one core in all) where 40 whole steps from no prices came to 1,538,509 (69 s of two); at
20,000, 589 linear steps (177 s of one core) bring the bound to 4,357,235. The prices
of all calendars are one array (``flat``), so that a step moves them all at once. The
steps run beside the improvement
(``solver.beside``): there they get only the cycles the improvement leaves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
from ortools.sat.python import cp_model

from models.loading import LoadedScenario
from models.policy import Policy, RuleSetting
from solver.build import Prepared, build_model
from solver.candidates import Candidate
from solver.datecosts import date_costs
from solver.linear_prices import LinearSubproblem
from solver.model import ModelContext

#: prices and costs are scaled by this before CP-SAT sees them (its coefficients are whole;
#: each candidate's priced cost is rounded down, so the bound stays a bound)
SCALE = 16
#: the first step's share of the distance from the bound to the aim (Polyak's rule), and
#: how many steps without a better bound halve it. Measured at 5,000 requests: 2 overshot
#: for ten steps, 0.5 came down from the first step on
FIRST_STEP, PATIENCE = 0.5, 4
#: the steps aim this share below the best bound so far, or at the plan where that is
#: nearer. Aimed at the repaired plan alone, 1.6% below the bound at 5,000 requests and
#: 9.6% at 20,000, every step overshot: at 5,000 requests 1,542,044 after 25 steps (75 s),
#: against 1,539,114 after 25 steps (45 s) aiming 0.25% below; 0.1% and 0.5% came to
#: 1,539,271 and 1,539,479, 1% to 1,540,830 (two workers, benchmarks/findings.md)
AIM_BELOW = 0.0025
#: each step moves along this share of the new subgradient plus the rest of the direction
#: the step before moved along (a smoothed, "volume"-like direction), as far as the bare
#: subgradient would have moved (Polyak's length over the product of the two norms). The
#: bare subgradient zig-zags: at 5,000 requests most priced days go from overfilled to
#: empty and back, and its squared norm stayed near 6,000-7,500 over 50 steps, the
#: smoothed direction's near 550-1,000. The steps alone on two workers, 5,000 requests
#: without merging, the bound after 10, 20 and 40 steps: bare 1,539,889, 1,539,268 and
#: 1,538,777; 0.3 1,539,463, 1,538,881 and 1,538,509; 0.15 1,540,673, 1,539,007 and
#: 1,538,518. Moved by Polyak's length over the smoothed norm alone they went farther in
#: the end (1,537,757 after 50 with 0.3) but overshot in the first ten, and lost in a
#: 120 s solve with merging (benchmarks/findings.md)
SMOOTHING = 0.3
#: the most steps on the linear relaxation (``solver.linear_prices``) before the whole
#: steps, how many without a better bound halve their share, and the share below which
#: they end. A linear step is quick (at 5,000 requests 0.045 s, at 20,000 0.28 s), and
#: the prices they end at decide where the whole steps start. At 5,000 requests, the
#: first whole step's bound after linear steps with patience 2, 4, 8, 12, 16 and 24:
#: 1,537,814, 1,537,685, 1,537,486, 1,537,276, 1,537,260 and 1,537,225 (74 to 239 steps,
#: 3.5 to 10.5 s of one core); whole steps from no prices: 1,538,509 after 40 (69 s of two
#: cores). At 20,000 requests they were still coming down after 500 steps (4,378,005 after
#: 100, 4,362,889 after 306, 4,357,235 after 589, 177 s), where 600 s of whole steps
#: beside the improvement reached 4,408,466 (benchmarks/findings.md)
LINEAR_STEPS, LINEAR_PATIENCE, LINEAR_LEAST_STEP = 1000, 16, FIRST_STEP / 16
#: a share of a candidate in the linear answer below this counts as none
SHARE_TOLERANCE = 1e-9


def undated(policy: Policy) -> Policy:
    """The policy with the date costs left out: no price per day from the preferred start,
    no cost for host holidays (day prices price the start instead)."""
    return policy.model_copy(
        update={
            "rules": {**policy.rules, "GEO-HOLIDAY": RuleSetting()},
            "objective": policy.objective.model_copy(update={"preferred_date_per_day": 0}),
        }
    )


def inner_model(
    loaded: LoadedScenario, candidates: list[Candidate], merge: bool, prepared: Prepared
) -> ModelContext:
    """The relaxation without date costs, on the same candidates (a second build: at 5,000
    requests under a second)."""
    inner, _ = build_model(
        replace(loaded, policy=undated(loaded.policy)),
        candidates,
        merge=merge,
        relaxed=True,
        prepared=prepared,
    )
    return inner


@dataclass
class _Calendar:
    """One calendar left out: its first day, and a price for each of its days."""

    first: int
    prices: np.ndarray


class DayPrices:
    """Prices on the days of every calendar ``inner`` leaves out, and the bound they give."""

    def __init__(self, inner: ModelContext, policy: Policy):
        self.inner = inner
        #: the direction the last step moved the prices along, laid as ``flat`` (``SMOOTHING``)
        self.direction: np.ndarray | None = None
        self.candidates = inner.candidates
        index = {c.id: i for i, c in enumerate(self.candidates)}
        #: each candidate's date costs by start, from its first possible start
        self.base: list[np.ndarray] = [
            date_costs(c, inner.scenario, policy, inner.waived(c, "GEO-HOLIDAY"))
            for c in self.candidates
        ]
        self.calendars: list[_Calendar] = []
        #: per candidate: (calendar, days from its start to the stay's first, stay's days)
        self.days: list[list[tuple[int, int, int]]] = [[] for _ in self.candidates]
        for _, stays in inner.left_out:
            if len(stays) < 2:
                continue  # a calendar one stay cannot overfill
            k = len(self.calendars)
            first = min(s.earliest for s in stays)
            last = max(s.latest + s.size for s in stays)
            self.calendars.append(_Calendar(first, np.zeros(last - first)))
            for s in stays:
                i = index[s.owner]
                self.days[i].append((k, s.earliest - self.candidates[i].earliest, s.size))
        #: every calendar's prices laid end to end; each calendar's ``prices`` is a view
        #: of its days here, so that a step moves all of them at once
        lengths = [len(cal.prices) for cal in self.calendars]
        self.laid = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
        self.flat = np.zeros(int(self.laid[-1]))
        for cal, a, b in zip(self.calendars, self.laid[:-1], self.laid[1:], strict=True):
            cal.prices = self.flat[a:b]
        self._starts = _Starts(self)
        #: the least bound so far, linear steps' and whole ones'
        self.best = math.inf
        #: the linear steps run once, before the first whole one (``LINEAR_STEPS``)
        self.linear_done = False
        #: the whole steps' first share of Polyak's length
        self.first_step = FIRST_STEP

    def priced(self) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's cheapest start under today's prices, and what it pays there."""
        return self._starts.cheapest(self.calendars)

    def bounds(
        self,
        solver: Callable[[], cp_model.CpSolver | None],
        target: int,
        steps: int | None = None,
        *,
        linear_steps: int = LINEAR_STEPS,
        deadline: float | None = None,
    ) -> Iterator[int]:
        """Each better bound, as the steps prove it: first, on the first call, up to
        ``linear_steps`` steps on the linear relaxation (``solver.linear_prices``; until
        ``deadline``, a ``time.perf_counter()``), then whole steps from the best prices
        they found (at most ``steps`` of them; None: until no time is left). The steps'
        length aims ``AIM_BELOW`` under the best bound so far,
        never under ``target`` (a plan's objective: no bound goes below it). ``solver``
        gives the solver for one whole step, or None when no time is left (given no time,
        CP-SAT still solves a small model, so the steps would not end); a step it stops
        before any answer ends them too."""
        yield from self._linear(target, linear_steps, deadline)
        model, form = self.inner.model, self.inner.form
        objective = self.inner.objective
        theta, stalled, step = self.first_step, 0, 0
        while steps is None or step < steps:
            step += 1
            cost, start = self.priced()
            paid = [
                math.floor(SCALE * x) * form[c.id]
                for x, c in zip(cost, self.candidates, strict=True)
                if x > 0
            ]
            model.maximize(SCALE * objective - sum(paid))
            search = solver()
            if search is None:
                return
            code = search.solve(model)
            if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return
            # whole, rounded down only past a float's error: the objective is whole
            bound = math.floor(search.best_objective_bound / SCALE + self._total() + 1e-6)
            if bound < self.best:
                self.best, stalled = bound, 0
                yield bound
            else:
                stalled += 1
                if stalled >= PATIENCE:
                    theta, stalled = theta / 2, 0
            chosen = [i for i, c in enumerate(self.candidates) if search.boolean_value(form[c.id])]
            aim = max(target, self.best - AIM_BELOW * abs(self.best))
            self._step(chosen, start, theta * max(bound - aim, 1))

    def _linear(self, target: int, steps: int, deadline: float | None) -> Iterator[int]:
        """Steps on the linear relaxation (once), each better bound as they prove it;
        then the prices are left at the best they found, for the whole steps to go on
        from (with no direction of their own yet)."""
        if self.linear_done or steps <= 0:
            return
        self.linear_done = True
        linear = LinearSubproblem(self.inner)
        theta, stalled, kept = FIRST_STEP, 0, None
        for _ in range(steps):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            cost, start = self.priced()
            answer = linear.solve(cost)
            if answer is None:
                break
            relaxed, shares = answer
            total = self._total()
            # the objective is whole; the margin covers the float sums' error
            bound = math.floor(relaxed + total + 1e-7 * abs(relaxed + total) + 1e-6)
            if bound < self.best:
                self.best, stalled = bound, 0
                kept = self.flat.copy()
                yield bound
            else:
                stalled += 1
                if stalled >= LINEAR_PATIENCE:
                    theta, stalled = theta / 2, 0
                    if theta < LINEAR_LEAST_STEP:
                        break
            chosen = np.flatnonzero(shares > SHARE_TOLERANCE)
            aim = max(target, self.best - AIM_BELOW * abs(self.best))
            self._step(chosen.tolist(), start, theta * max(bound - aim, 1), shares[chosen])
        if kept is not None:
            self.flat[:] = kept
        self.direction = None
        self.first_step = theta

    def _total(self) -> float:
        return float(self.flat.sum())

    def _step(
        self,
        chosen: list[int],
        start: np.ndarray,
        length: float,
        shares: np.ndarray | None = None,
    ) -> None:
        """Move the prices along a direction: ``SMOOTHING`` of the subgradient (each day's
        stays in the answer, less one) and the rest of the last step's direction, by
        Polyak's step (``length`` over the squared norm, here the product of the
        subgradient's and the direction's norms). A day priced 0 is never moved lower, by
        either part: its price stays at least 0. ``shares``: how much of each chosen
        candidate the answer holds (a linear answer's), 1 each if not given."""
        used = self._starts.used(chosen, start, shares, len(self.flat))
        move = self._kept(used - 1)
        bare = float((move * move).sum())
        if self.direction is not None:
            move = self._kept(SMOOTHING * move + (1 - SMOOTHING) * self.direction)
        self.direction = move
        norm = math.sqrt(bare * float((move * move).sum()))
        if norm == 0:
            return
        np.maximum(self.flat + length / norm * move, 0.0, out=self.flat)

    def _kept(self, move: np.ndarray) -> np.ndarray:
        """``move`` without the part that would take a day priced 0 below 0."""
        move[(self.flat <= 0) & (move < 0)] = 0
        return move


class _Starts:
    """Every candidate's possible starts in one array, and each stay's days from each of
    them, so that a step prices all starts at once (a loop over candidates took 0.16 s a
    step at 5,000 requests, this 0.024 s; it matters for the linear steps, whose solve
    takes 0.01 s).

    ``pos[e]`` is the start an entry prices (an index into ``base``), ``first[e]`` and
    ``end[e]`` the stay's first day and the day after its last from there, as indices
    into the calendars' prefix sums laid end to end."""

    def __init__(self, prices: DayPrices) -> None:
        self.widths = np.array([len(b) for b in prices.base], dtype=np.int64)
        self.seg = np.concatenate(([0], np.cumsum(self.widths)[:-1])).astype(np.int64)
        self.base = np.concatenate(prices.base) if prices.base else np.zeros(0)
        self.owner = np.repeat(np.arange(len(self.widths)), self.widths)
        self.earliest = np.array([c.earliest for c in prices.candidates], dtype=np.int64)
        sizes = np.array([len(cal.prices) + 1 for cal in prices.calendars], dtype=np.int64)
        # where each calendar's prefix sums begin (one place more than its days; the
        # prices themselves are laid without it, ``DayPrices.laid``)
        sums_at = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        stays = np.array(
            [
                (i, k, offset, size)
                for i, days in enumerate(prices.days)
                for k, offset, size in days
            ],
            dtype=np.int64,
        ).reshape(-1, 4)
        i, k, offset, size = stays.T
        firsts = np.array([cal.first for cal in prices.calendars], dtype=np.int64)
        width = self.widths[i]
        entry = np.repeat(np.arange(len(i)), width)
        within = np.arange(int(width.sum())) - np.repeat(np.cumsum(width) - width, width)
        self.pos = self.seg[i][entry] + within
        self.first = (sums_at[k] + self.earliest[i] + offset - firsts[k])[entry] + within
        self.end = self.first + size[entry]
        #: per stay: its candidate, its first day's place in ``flat`` when the candidate
        #: starts on day 0, and its days
        self.stay_owner, self.stay_size = i, size
        self.stay_base = prices.laid[k] + offset - firsts[k]

    def used(
        self, chosen: list[int], start: np.ndarray, shares: np.ndarray | None, days: int
    ) -> np.ndarray:
        """How many of the chosen candidates' stays (or shares of them) each day holds,
        laid as ``DayPrices.flat``, each candidate on its ``start``."""
        weight = np.zeros(len(self.widths))
        weight[np.asarray(chosen, dtype=np.int64)] = 1.0 if shares is None else shares
        w = weight[self.stay_owner]
        on = w > 0
        first = self.stay_base[on] + start[self.stay_owner[on]]
        ends = first + self.stay_size[on]
        change = np.bincount(first, w[on], minlength=days + 1)
        change -= np.bincount(ends, w[on], minlength=days + 1)
        return np.cumsum(change[:-1])

    def cheapest(self, calendars: list[_Calendar]) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's least cost over its starts, and the first start costing it."""
        if not len(self.widths):
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        sums = np.concatenate(
            [np.concatenate(([0.0], np.cumsum(cal.prices))) for cal in calendars] or [np.zeros(1)]
        )
        days = sums[self.end] - sums[self.first]
        total = self.base + np.bincount(self.pos, weights=days, minlength=len(self.base))
        least = np.minimum.reduceat(total, self.seg)
        hits = np.flatnonzero(total == np.repeat(least, self.widths))
        owners = self.owner[hits]
        firsts = hits[np.r_[True, owners[1:] != owners[:-1]]]
        return least, self.earliest + firsts - self.seg


__all__ = ["DayPrices", "inner_model", "undated"]
