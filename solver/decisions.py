"""One decision per request, each rejection with its reasons and checked repairs.

Explaining is most of a large run's tail: minimal conflicts and up to three repairs per
rejection, each a few small CP-SAT models (``solver.local``). It runs in two passes, the
most valuable rejection first in each:

1. **reasons**: every rejection's minimal conflicts (or, for one that breaks a rule on
   its own, the screening's findings): the rule, its article and the rivals, which every
   rejection must have (INTERFACE.md §2);
2. **repairs**: for each rejection, up to three checked changes that would get it
   approved, found from its conflicts. They take about four times what the reasons take
   (benchmarks/findings.md, "Where explaining a 5,000-request plan goes" and "Quicker
   explanations").

The reasons' pass may take half the time limit (``REASONS_SHARE``) and the repairs'
pass the rest. Where explaining fits the limit nothing changes; where it does not (20,000
requests), more rejections get their minimal conflicts, and fewer their repairs, than
when each was explained in full before the next.

The rejections do not depend on one another, so from ``PARALLEL_FROM`` of them each
pass is shared out to worker processes forked from this one, one per core the run may
use (``solver.forked``), in batches; the answers are the same as in one process (each
small model has a fixed seed and a deterministic limit), so a ``--reproducible`` plan
does not depend on how many processes explained it. Where forking is not safe (not
Linux; a Ray driver's threads) one process explains them all.

Two things cut explaining short, and neither loses the plan: the time limit
(``--explain-limit``, and its share for the reasons) and Ctrl-C. Past either, the
rejections still without reasons get the auditor's quick reasons
(``Explainer.quick``), and no rejection gets repairs it does not have yet. From 5,000
requests explaining takes minutes after the search, so it reports how far it is
(``Explained``), for the progress line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from models.loading import LoadedScenario
from models.plan import Decision, Reason, Repair
from models.policy import Policy
from models.scenario import Request, Scenario
from models.text import Text
from solver.candidates import Candidate, Placed
from solver.explain import Explainer, ineligible_reasons
from solver.forked import forked_map, stopped
from solver.interrupts import ctrl_c
from solver.local import Conflict, Undecided
from solver.model import ModelContext
from solver.objective import request_value
from solver.repair import Repairer
from solver.rules import Finding

#: Rejections to explain before worker processes pay off: forking one takes a few
#: milliseconds, and 40 rejections of a 1,000-request plan take about a second and a half.
PARALLEL_FROM = 40
#: Rejections per batch sent to a worker: enough to hide the round trip, few enough that
#: the workers end together.
BATCH = 8
#: Quick reasons only (``--explain-limit 0``): a few milliseconds each, shared out from
#: this many rejections, in batches of ``QUICK_BATCH``. On the clerk's 20,000-request
#: plan (14,304 rejections) a whole ``--method greedy`` run took 44.5 s with them in one
#: process and 37.6 s with them shared out, the decisions the same (2 cores).
QUICK_PARALLEL_FROM = 500
QUICK_BATCH = 200
#: The part of ``--explain-limit`` the reasons' pass may take before the rejections still
#: without reasons get quick ones; the repairs' pass has the rest. Where explaining fits
#: the limit (5,000 generated requests: the reasons take a fifteenth of it) this changes
#: nothing; where it does not (20,000), it keeps both: on one such plan, 120 s gave
#: minimal conflicts to 3,249 rejections and repairs to none with the reasons' pass
#: alone, and 1,055 conflicts and 1,389 repaired rejections explaining each in full in
#: turn (benchmarks/findings.md, "Explanations in two passes").
REASONS_SHARE = 0.5

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Explained:
    """How far explaining is: the rejections with their reasons so far, then those whose
    repairs were looked for, of all to decide. What a planner watching the progress line
    sees once the search is over."""

    #: on the whole solve's clock, as ``Progress.seconds``
    seconds: float
    done: int
    total: int
    #: rejections whose repairs were looked for (the second pass; 0 during the first)
    repaired: int = 0


@dataclass(frozen=True)
class Job:
    """One rejection to explain: its request, its own candidate (None when it broke a
    rule on its own) and the screening's findings."""

    request: Request
    candidate: Candidate | None
    findings: tuple[Finding, ...]


#: a minimal conflict as a worker sends it back: its rivals' trip ids, and its rules
ConflictIds = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Reasoned:
    """A rejection's reasons (the first pass), and what its repairs start from."""

    reasons: tuple[Reason, ...]
    #: its minimal conflicts (none for a request that breaks a rule on its own); None
    #: when the reasons are the auditor's quick ones, which no repair is looked for from
    conflicts: tuple[ConflictIds, ...] | None


class Explaining:
    """Everything a process needs to explain rejections of one plan."""

    def __init__(
        self,
        scenario: Scenario,
        policy: Policy,
        trips: list[Placed],
        optimal: bool,
        static_costs: dict[str, list[tuple[str, int, Text]]],
    ):
        self.policy = policy
        self.explainer = Explainer(scenario, policy, trips, optimal, static_costs)
        self.repairer = Repairer(scenario, policy, trips)
        self.trip_by_id = {p.id: p for p in trips}

    def reasons(self, job: Job, full: bool) -> Reasoned:
        """The rejection's reasons: its minimal conflicts (``full``), or quick; quick too
        when a small model ran out of its limit (``Undecided``), since a quick reason is
        sure where a half-finished minimal conflict is not."""
        if job.candidate is None:
            return Reasoned(tuple(ineligible_reasons(list(job.findings), self.policy)), ())
        if full:
            try:
                reasons, conflicts = self.explainer.crowded_out(job.candidate)
            except Undecided:
                pass
            else:
                ids = tuple((tuple(p.id for p in c.rivals), c.rules) for c in conflicts)
                return Reasoned(tuple(reasons), ids)
        return Reasoned(tuple(self.explainer.quick(job.candidate)), None)

    def repairs(self, job: Job, reasoned: Reasoned) -> tuple[Repair, ...]:
        """Up to three checked repairs, found from the rejection's conflicts; none after
        quick reasons, or when a small model ran out of its limit."""
        if reasoned.conflicts is None:
            return ()
        conflicts = [
            Conflict(tuple(self.trip_by_id[pid] for pid in rivals), rules)
            for rivals, rules in reasoned.conflicts
        ]
        try:
            found = self.repairer.repairs(job.request, job.candidate, list(job.findings), conflicts)
        except Undecided:
            return ()
        return tuple(found)


def explain_decisions(
    loaded: LoadedScenario,
    m: ModelContext,
    trips: list[Placed],
    removed: dict[str, list[Finding]],
    placed: dict[str, str],
    optimal: bool,
    explain_limit: float = math.inf,
    carried: dict[str, Decision] | None = None,
    workers: int = 1,
    on_explained: Callable[[Explained], None] | None = None,
    clock: float = 0.0,
) -> list[Decision]:
    """One decision per request; a rejected one with its reasons and checked repairs.

    ``carried`` are rejections decided before (a what-if's baseline) that nothing since
    can have changed: they are kept as they were, not explained again. The others are
    explained the most valuable request first, reasons for all before repairs for any;
    after ``explain_limit`` seconds (or Ctrl-C) the remaining ones get quick reasons and
    no repairs. The decisions are in the file's order. ``on_explained`` hears how far it
    is, ``clock`` seconds into the solve at the start.
    """
    s = loaded.scenario
    by_request = {c.request_ids[0]: c for c in m.candidates if len(c.requests) == 1}
    jobs = [
        Job(r, by_request.get(r.id), tuple(removed.get(r.id, ())))
        for r in s.requests
        if r.id not in placed and not (carried and r.id in carried)
    ]
    state = Explaining(s, loaded.policy, trips, optimal, m.static_costs)
    on_done = on_repaired = None
    if on_explained is not None:
        began = time.perf_counter()

        def seconds() -> float:
            return clock + time.perf_counter() - began

        def on_done(done: int) -> None:
            on_explained(Explained(seconds(), done, len(jobs)))

        def on_repaired(repaired: int) -> None:
            on_explained(Explained(seconds(), len(jobs), len(jobs), repaired))

    # the most valuable rejections first: should the time limit (or Ctrl-C) cut explaining
    # short, the quick reasons fall on the requests worth least
    # (sorted is stable: in file order within one value)
    ranked = sorted(jobs, key=lambda job: -request_value(job.request, state.policy))
    decided = explain_all(state, ranked, explain_limit, workers, on_done, on_repaired)
    explained = {job.request.id: d for job, d in zip(ranked, decided, strict=True)}
    decisions = []
    for r in s.requests:
        if r.id in placed:
            decisions.append(Decision(request=r.id, status="approved", delegation=placed[r.id]))
        elif carried and r.id in carried:
            decisions.append(carried[r.id])
        else:
            decisions.append(explained[r.id])
    return decisions


def explain_all(
    state: Explaining,
    jobs: list[Job],
    limit: float = math.inf,
    workers: int = 1,
    on_done: Callable[[int], None] | None = None,
    on_repaired: Callable[[int], None] | None = None,
) -> list[Decision]:
    """The decisions of ``jobs``, in their order: every rejection's reasons first (its
    minimal conflicts until ``REASONS_SHARE`` of ``limit`` seconds have passed or Ctrl-C
    is pressed, quick after that; ``limit`` ≤ 0: quick at once), then its repairs while
    the ``limit`` lasts.
    ``on_done`` hears how many have their reasons (0 first, then as they come), and
    ``on_repaired`` how many have had their repairs looked for (as they come)."""
    heard = on_done or (lambda done: None)
    if limit <= 0:
        heard(0)
        state.explainer.beside_the_plan()  # built once, here, for every worker
        quick = _each(
            lambda job: state.reasons(job, full=False),
            jobs,
            workers if len(jobs) >= QUICK_PARALLEL_FROM else 1,
            [],
            heard,
            QUICK_BATCH,
        )
        return [_decision(job, reasoned, ()) for job, reasoned in zip(jobs, quick, strict=True)]
    # the wall clock: workers in other processes read it too
    began = time.time()
    deadline = began + limit
    with ctrl_c() as pressed:

        def in_time(by: float = deadline) -> bool:
            # ``pressed`` in this process, ``stopped()`` in a worker (set on Ctrl-C)
            return not pressed and not stopped() and time.time() < by

        shared = workers if len(jobs) >= PARALLEL_FROM else 1
        heard(0)
        reasons_by = began + limit * REASONS_SHARE
        reasoned = _each(
            lambda job: state.reasons(job, full=in_time(reasons_by)), jobs, shared, pressed, heard
        )
        repairs: list[tuple[Repair, ...]] = [() for _ in jobs]
        # the second pass, while time is left for it (forked workers then see ``reasoned``)
        if in_time():
            # (not told of 0: the line still says every rejection has its reasons)
            told = on_repaired or (lambda repaired: None)
            pairs = list(zip(jobs, reasoned, strict=True))
            repairs = _each(
                lambda pair: state.repairs(*pair) if in_time() else (),
                pairs,
                shared,
                pressed,
                told,
            )
    return [_decision(job, r, found) for job, r, found in zip(jobs, reasoned, repairs, strict=True)]


def _decision(job: Job, reasoned: Reasoned, repairs: tuple[Repair, ...]) -> Decision:
    return Decision(
        request=job.request.id, status="rejected", reasons=reasoned.reasons, repairs=repairs
    )


def _each(
    work: Callable[[T], U],
    items: list[T],
    workers: int,
    pressed: list[bool],
    heard: Callable[[int], None],
    batch: int = BATCH,
) -> list[U]:
    """``work`` of each item, in their order: in forked worker processes
    (``_in_workers``) when ``workers`` > 1 and they can run, else here, one after
    another."""
    if workers > 1:
        answers = _in_workers(work, items, workers, pressed, heard, batch)
        if answers is not None:
            return answers
    answers = []
    for item in items:
        answers.append(work(item))
        heard(len(answers))
    return answers


# ---- worker processes -------------------------------------------------------------


def _in_workers(
    work: Callable[[T], U],
    items: list[T],
    workers: int,
    pressed: list[bool],
    heard: Callable[[int], None],
    batch: int = BATCH,
) -> list[U] | None:
    """``work`` of each item, worked out by forked worker processes
    (``solver.forked``); None if they could not run (the caller then works in this
    process). Only two numbers go to a worker, and only the answers come back."""

    def each(first: int, end: int) -> list[U]:
        return [work(item) for item in items[first:end]]

    return forked_map(each, len(items), workers, batch, pressed, heard)


__all__ = [
    "Explained",
    "Explaining",
    "Job",
    "Reasoned",
    "explain_all",
    "explain_decisions",
]
