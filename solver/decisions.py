"""One decision per request, each rejection with its reasons and checked repairs.

Explaining is most of a large run's tail: a minimal conflict and up to three repairs per
rejection, each a few small CP-SAT models (``solver.local``). The rejections do not
depend on one another, so from ``PARALLEL_FROM`` of them they are shared out to worker
processes forked from this one, one per core the run may use (``solver.forked``). They
get batches of rejections, the most valuable requests first (so that a time limit or
Ctrl-C leaves the quick reasons to the least valuable); the answers are the same as in one process
(each small model has a fixed seed and a deterministic limit), so a ``--reproducible``
plan does not depend on how many processes explained it. Where forking is not safe (not
Linux; a Ray driver's threads) one process explains them all.

Two things cut explaining short, and neither loses the plan: the time limit
(``--explain-limit``) and Ctrl-C. Past either, the remaining rejections get the
auditor's quick reasons (``Explainer.quick``) and no repairs. From 5,000 requests
explaining takes minutes after the search, so it reports how far it is (``Explained``),
for the progress line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from models.loading import LoadedScenario
from models.plan import Decision
from models.policy import Policy
from models.scenario import Request, Scenario
from models.text import Text
from solver.candidates import Candidate, Placed
from solver.explain import Explainer, ineligible_reasons
from solver.forked import forked_map, stopped
from solver.interrupts import ctrl_c
from solver.local import Undecided
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


@dataclass(frozen=True)
class Explained:
    """How far explaining is: the rejections decided so far, of all to decide. What a
    planner watching the progress line sees once the search is over."""

    #: on the whole solve's clock, as ``Progress.seconds``
    seconds: float
    done: int
    total: int


@dataclass(frozen=True)
class Job:
    """One rejection to explain: its request, its own candidate (None when it broke a
    rule on its own) and the screening's findings."""

    request: Request
    candidate: Candidate | None
    findings: tuple[Finding, ...]


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

    def decide(self, job: Job, full: bool) -> Decision:
        """The rejection's decision: in full (minimal conflicts, checked repairs), or
        quick; quick too when a small model ran out of its limit (``Undecided``), since
        a quick reason is sure where a half-finished minimal conflict is not."""
        if full:
            try:
                return self._full(job)
            except Undecided:
                pass
        if job.candidate is None:
            reasons = ineligible_reasons(list(job.findings), self.policy)
        else:
            reasons = self.explainer.quick(job.candidate)
        return Decision(request=job.request.id, status="rejected", reasons=tuple(reasons))

    def _full(self, job: Job) -> Decision:
        conflicts = []
        if job.candidate is None:
            reasons = ineligible_reasons(list(job.findings), self.policy)
        else:
            reasons, conflicts = self.explainer.crowded_out(job.candidate)
        repairs = self.repairer.repairs(job.request, job.candidate, list(job.findings), conflicts)
        return Decision(
            request=job.request.id,
            status="rejected",
            reasons=tuple(reasons),
            repairs=tuple(repairs),
        )


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
    explained the most valuable request first; after ``explain_limit`` seconds (or
    Ctrl-C) the remaining ones get quick reasons. The decisions are in the file's order.
    ``on_explained`` hears how far it is, ``clock`` seconds into the solve at the start.
    """
    s = loaded.scenario
    by_request = {c.request_ids[0]: c for c in m.candidates if len(c.requests) == 1}
    jobs = [
        Job(r, by_request.get(r.id), tuple(removed.get(r.id, ())))
        for r in s.requests
        if r.id not in placed and not (carried and r.id in carried)
    ]
    state = Explaining(s, loaded.policy, trips, optimal, m.static_costs)
    on_done = None
    if on_explained is not None:
        began = time.perf_counter()

        def on_done(done: int) -> None:
            on_explained(Explained(clock + time.perf_counter() - began, done, len(jobs)))

    # the most valuable rejections first: should the time limit (or Ctrl-C) cut explaining
    # short, the quick reasons fall on the requests worth least
    # (sorted is stable: in file order within one value)
    ranked = sorted(jobs, key=lambda job: -request_value(job.request, state.policy))
    decided = explain_all(state, ranked, explain_limit, workers, on_done)
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
) -> list[Decision]:
    """The decisions of ``jobs``, in their order: in full until ``limit`` seconds have
    passed or Ctrl-C is pressed, quick after that (``limit`` ≤ 0: quick at once).
    ``on_done`` hears how many are decided: 0 first, then as they come."""
    heard = on_done or (lambda done: None)
    heard(0)
    if limit <= 0:
        if workers > 1 and len(jobs) >= QUICK_PARALLEL_FROM:
            state.explainer.beside_the_plan()  # built once, here, for every worker
            decided = _in_workers(state, jobs, 0.0, workers, [], heard, QUICK_BATCH)
            if decided is not None:
                return decided
        return _in_turn(state, jobs, lambda: False, heard)
    deadline = time.time() + limit  # the wall clock: workers in other processes read it too
    with ctrl_c() as pressed:
        if workers > 1 and len(jobs) >= PARALLEL_FROM:
            decided = _in_workers(state, jobs, deadline, workers, pressed, heard)
            if decided is not None:
                return decided
        return _in_turn(state, jobs, lambda: not pressed and time.time() < deadline, heard)


def _in_turn(
    state: Explaining,
    jobs: list[Job],
    in_full: Callable[[], bool],
    heard: Callable[[int], None],
) -> list[Decision]:
    """The decisions in this process, one after another, in full while ``in_full()``."""
    decided = []
    for job in jobs:
        decided.append(state.decide(job, full=in_full()))
        heard(len(decided))
    return decided


# ---- worker processes -------------------------------------------------------------


def _in_workers(
    state: Explaining,
    jobs: list[Job],
    deadline: float,
    workers: int,
    pressed: list[bool],
    heard: Callable[[int], None],
    batch: int = BATCH,
) -> list[Decision] | None:
    """The decisions, explained by forked worker processes (``solver.forked``); None if
    they could not run (the caller then explains in this process). Only two numbers go to
    a worker, and only the decisions come back. In full until ``deadline`` (quick only
    for a deadline passed)."""

    def decide(first: int, end: int) -> list[Decision]:
        return [
            state.decide(job, full=not stopped() and time.time() < deadline)
            for job in jobs[first:end]
        ]

    return forked_map(decide, len(jobs), workers, batch, pressed, heard)


__all__ = [
    "Explained",
    "Explaining",
    "Job",
    "explain_all",
    "explain_decisions",
]
