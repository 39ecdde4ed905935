"""What-if re-plans: adjustment requests against an approved plan, with the fewest changes.

The regulations say an approved plan is in principle not changed (000 §1(一), §3.4;
RULES.md PLAN-STABILITY), so the re-plan is lexicographic, one CP-SAT solve per tier on
the same model, each tier's optimum fixed before the next:

1. grant the requested changes: the most value of added or changed requests approved
   (each kept trip of tier 2 counts too, less than any grant, so that the plans this tier
   finds stay near the baseline);
2. the fewest disturbed baseline trips: a trip is kept when the same delegation (same
   requests, so the same head and route) is formed on the same start; anything else
   (rejected, moved, re-headed, re-routed, re-merged) disturbs it;
3. the fewest days moved, over the baseline's delegations; one no longer formed counts
   one day more than its window allows any move, so moving a trip beats rejecting it;
4. the usual objective.

Every tier starts from a whole plan, each variable hinted: the first from the baseline's
untouched trips with the changed requests placed where they fit beside them (the clerk's
way, the auditor checking), each later one from the tier before. A hint of the baseline's
dates alone, which CP-SAT is left to complete, was not completed from a few thousand
requests: the tiers then started from plans of their own and ended far from the baseline
(benchmarks/findings.md). Tier 2 reports whether its minimum was proved.
Pins (``pins`` in the changes file) are hard: a pinned trip keeps its delegation and
dates (``all`` or ``dates``), or at least its head if it goes (``head``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.catalogue import rule_info
from models.changes import Withdraw
from models.errors import InputError, Problem
from models.loading import WhatIfInput
from models.plan import Decision, Plan, RefusedChange, Status, WhatIf, differences
from solver.budget import Phases, within_budget
from solver.build import build_model, check_policy, prepare
from solver.candidates import Placed, day_number, request_keys, singletons
from solver.decisions import Explained
from solver.forked import worker_count
from solver.greedy import Greedy, clerk_starts, make_room, nearest_starts, reaches_whole_plan
from solver.interrupts import ctrl_c, ctrl_c_stops
from solver.memory import give_back
from solver.model import ModelContext
from solver.objective import request_value
from solver.options import SolveOptions, cp_solver
from solver.pinning import hint_values, plan_values, solve_pinned
from solver.readback import plan_meta, read_plan
from solver.search import STATUS, Progress, Watcher

#: under a budget, the search's share goes to five phases in turn: the four tiers and,
#: after the first, the questions about conflicting changes (``solver.budget.Phases``)
PHASES = 5
#: CP-SAT's probing in each tier's presolve is off (``cp_model_probing_level`` 0; its
#: default is 2) from this many variables: at 5,000 requests probing took 5.3 of the 7.9 s
#: before a tier's first plan, though that plan is the whole hint, and without it the grant
#: tier gains more in 10 s and nearly proves itself in 30 s (benchmarks/findings.md,
#: "Deadlines for re-plans and sweeps"); at 1,000 requests (8,081 variables) the re-plan
#: takes 2.9 s without it, 5.7 s with it. Below, probing stays on: OR-Tools 9.15.6755
#: without it mis-loads some small tier models that presolve all but solves (the last
#: tier of a 7-request re-plan, ``tests/data/probing-off-model.txt``: it aborted the
#: process, "Check failed: heuristics.fixed_search != nullptr", and without the hint said
#: INFEASIBLE of a model whose hint is a plan), and there probing costs milliseconds.
#: The abort needs ``--reproducible``'s interleaved search on two workers or more as well
#: (without it, or on one worker, CP-SAT solves the hinted model), so a reproducible run
#: keeps probing at every size: the same plans, at 1,000 requests 19.9 s against 18.7 s,
#: at 5,000 331 s against 217 s (limits of 10 and 30 deterministic seconds)
TIER_PROBING_OFF_FROM = 2_000
#: variables from which the re-plan's last search (the usual objective, the tiers' results
#: held) runs on ``LEAN_WORKERS`` workers when no count was asked for (``--workers 0``).
#: Each CP-SAT worker holds a copy of the model, and that search's copies are the largest:
#: at 20,000 requests (191,418 variables) on eight workers every tier peaked at 3.6-4.3 GB
#: and the last search at 7.5 GB (benchmarks/findings.md). The tiers keep eight: on four,
#: 150 s of grant tier granted 6 of 8 changes where eight granted all 8
LEAN_FROM, LEAN_WORKERS = 100_000, 4
#: seconds below which a question about a pair of changes is not asked: too short for
#: CP-SAT's presolve of a model of a few thousand requests to end
LEAST_QUESTION = 0.2


@dataclass(frozen=True)
class Kept:
    """One baseline delegation the re-plan may keep: its candidate and start."""

    delegation: str
    candidate: str
    start: int
    keep: cp_model.IntVar


@dataclass
class WhatIfResult:
    plan: Plan
    stats: dict
    interrupted: bool = False  # Ctrl-C: the best re-plan so far, its later tiers skipped


def _changed_ids(inp: WhatIfInput) -> tuple[set[str], set[str]]:
    """(requests added or changed by admitted changes, requests withdrawn)."""
    changed: set[str] = set()
    withdrawn: set[str] = set()
    for k, change in enumerate(inp.changes.changes, start=1):
        if k in inp.refused:
            continue
        rid = inp.changes.request_id(change)
        (withdrawn if isinstance(change, Withdraw) else changed).add(rid)
    return changed - withdrawn, withdrawn


def _post_stability(m: ModelContext, inp: WhatIfInput, touched: set[str]) -> list[Kept]:
    """A ``keep`` literal per baseline delegation none of whose requests a change touches."""
    year = m.scenario.year
    pins = {p.request: p.field for p in inp.changes.pins}
    kept = []
    for d in inp.baseline.delegations:
        if touched & set(d.requests):
            continue
        cid = "+".join(d.requests)
        start = day_number(year, d.start)
        if cid not in m.form or not m.by_id[cid].earliest <= start <= m.by_id[cid].latest:
            pinned = [r for r in d.requests if pins.get(r) in ("all", "dates")]
            if pinned:  # a pin the changed scenario cannot honour: say so, never ignore it
                number = next(
                    k for k, pin in enumerate(inp.changes.pins, 1) if pin.request == pinned[0]
                )
                raise InputError(
                    [
                        Problem(
                            inp.changes_file,
                            f"pin {number}",
                            "request",
                            f"{d.id} ({'/'.join(d.requests)}) cannot stay as approved: it "
                            "breaks a rule on its own or no longer fits its window",
                        )
                    ]
                )
            continue  # it cannot be kept as it was: a disturbance in any plan
        keep = m.model.new_bool_var(f"keep[{d.id}]")
        m.model.add_implication(keep, m.form[cid])
        m.model.add(m.start[cid] == start).only_enforce_if(keep)
        if any(pins.get(r) in ("all", "dates") for r in d.requests):
            m.model.add(keep == 1)
        kept.append(Kept(d.id, cid, start, keep))
    for d in inp.baseline.delegations:
        for rid in d.requests:
            if pins.get(rid) != "head":
                continue
            for c in m.candidates:
                if rid in c.request_ids and c.head != d.head:
                    m.model.add(m.form[c.id] == 0)
    return kept


def tier_solver(
    options: SolveOptions, seconds: float, variables: int, workers: int | None = None
) -> cp_model.CpSolver:
    """The solver of one tier of a re-plan with ``variables`` variables: probing off in
    its presolve from ``TIER_PROBING_OFF_FROM`` variables unless the run is reproducible,
    CP-SAT's default otherwise."""
    solver = cp_solver(options, seconds, workers=workers)
    if variables >= TIER_PROBING_OFF_FROM and not options.reproducible:
        solver.parameters.cp_model_probing_level = 0
    return solver


def replan(
    inp: WhatIfInput,
    options: SolveOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_explained: Callable[[Explained], None] | None = None,
) -> WhatIfResult:
    """The re-plan of ``inp``: changes granted first, then the fewest disturbances.

    ``on_progress`` hears each better plan of each tier, as what the tier counts (value
    granted, trips kept, days moved, then the objective); ``on_explained``, the rejections
    explained. Ctrl-C ends the tier it falls in (or the questions between two tiers) and
    skips the rest: the re-plan is then the last whole plan found
    (``WhatIfResult.interrupted``).
    """
    with ctrl_c() as pressed:
        return _replan(inp, options or SolveOptions(), on_progress, on_explained, pressed)


def _replan(
    inp: WhatIfInput,
    options: SolveOptions,
    on_progress: Callable[[Progress], None] | None,
    on_explained: Callable[[Explained], None] | None,
    pressed: list[bool],
) -> WhatIfResult:
    """``replan``'s work; ``pressed`` is set by Ctrl-C anywhere in it."""
    loaded = inp.loaded
    check_policy(loaded)
    s, p = loaded.scenario, loaded.policy
    began = time.perf_counter()
    options, finish_by = within_budget(options, began, len(s.requests))
    # under a budget, building the model is in the search's share; then the tiers and the
    # questions about conflicting changes in turn, each an even share of what is left
    phases = None if finish_by is None else Phases(began + options.time_limit, PHASES)
    changed, withdrawn = _changed_ids(inp)
    candidates = singletons(s, use_windows=p.rule("TIME-WINDOW").on)
    workers = worker_count(options.num_workers)
    prepared = prepare(loaded, candidates, merge=options.merge, workers=workers)
    m, removed = build_model(loaded, candidates, prepared=prepared)
    kept = _post_stability(m, inp, changed | withdrawn)
    model = m.model
    stats: dict = {"requests": len(s.requests), "variables": len(model.proto.variables)}
    start = _start_from_baseline(m, inp, kept, changed | withdrawn)
    complete = plan_values(m, start, options)
    if complete is None:  # pragma: no cover - the auditor passed every trip of the start
        _hint_baseline(m, inp)
    else:
        _hint_all(m, complete[1], kept)
        stats["start_granted"] = sum(
            1 for t in start for r in t.candidate.request_ids if r in changed
        )
    share = options.time_limit / 4
    answers: dict[str, cp_model.CpSolver] = {}
    #: the last whole plan known to hold every tier's bound so far: the answer when a later
    #: tier runs out of time before it finds a plan, or Ctrl-C ends one
    last = start if complete is not None else None

    def search(
        measure: str, scale: int = 1, final: bool = False
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        seconds = share if phases is None else (phases.rest() if final else phases.next())
        give_back()  # the previous search's copies of the model, freed but held by the heap
        workers = _last_workers(options, stats["variables"]) if final else None
        if workers is not None:
            stats["last_search_workers"] = workers
        solver = tier_solver(options, seconds, stats["variables"], workers)
        watcher = Watcher(on_progress, time.perf_counter() - began, measure=measure, scale=scale)
        with ctrl_c_stops(solver):
            code = solver.solve(model, watcher)
        return solver, code

    def tier(
        name: str, expr, maximize: bool, measure: str, scale: int = 1
    ) -> tuple[int, bool] | None:
        nonlocal last
        (model.maximize if maximize else model.minimize)(expr)
        solver, code = search(measure, scale)
        stats[f"{name}_seconds"] = round(solver.wall_time, 3)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            stats[f"{name}_status"] = solver.status_name(code)
            return None
        answers[name] = solver
        last = _trips(m, solver)
        _hint_all(m, list(solver.response_proto.solution), kept)
        return round(solver.objective_value), code == cp_model.OPTIMAL

    wanted = [
        request_value(s.request_by_id[r], p) * m.approve[r]
        for r in sorted(changed)
        if r in m.approve
    ]
    # the keeps ride along, each worth less than the least grant: still lexicographic, and
    # the plans the grant tier finds on its way stay near the baseline it started from
    keeps = sum(k.keep for k in kept)
    scale = len(kept) + 1
    # Ctrl-C (``pressed``, set by a press anywhere in the re-plan) skips every tier after
    granted = (
        None if pressed else tier("grant", scale * sum(wanted) + keeps, True, "granted", scale)
    )
    kept_count = shift = None
    conflicting: list[tuple[str, str]] = []
    if granted is not None and not pressed:
        grant_value = round(answers["grant"].value(sum(wanted))) if wanted else 0
        asked = time.perf_counter()
        together = {r for r in changed if r in m.approve and answers["grant"].value(m.approve[r])}
        until = None if phases is None else time.perf_counter() + phases.next()
        conflicting = _conflicting(m, changed, together, options, pressed, until)
        stats["conflicts_seconds"] = round(time.perf_counter() - asked, 3)
        model.add(sum(wanted) >= grant_value)
        kept_count = None if pressed else tier("disturb", keeps, True, "kept")
    if kept_count is not None and not pressed:
        model.add(keeps >= kept_count[0])
        shifts = _post_shifts(m, kept, answers["disturb"])
        shift = tier("shift", sum(shifts), False, "moved")
        if shift is not None:
            model.add(sum(shifts) <= shift[0])
    code = cp_model.UNKNOWN  # Ctrl-C in a tier before: straight to its plan, below
    if not pressed:
        model.maximize(m.objective)
        solver, code = search("", final=True)
    stopped = bool(pressed)  # before explaining, which hears presses of its own
    status = STATUS.get(code, Status.UNKNOWN)
    bounded = status in (Status.OPTIMAL, Status.FEASIBLE)
    if not bounded:
        # out of time or Ctrl-C: the last whole plan, read back with its dates fixed (no bound)
        feasible = last is not None and code != cp_model.INFEASIBLE
        pinned = solve_pinned(m, last, options) if last is not None and feasible else None
        if pinned is None:
            return _no_plan(inp, options, began, stats, status)
        solver, status = pinned, Status.FEASIBLE
        stats["from_tier"] = next(
            (t for t in ("shift", "disturb", "grant") if t in answers), "start"
        )
    elapsed = time.perf_counter() - began
    stats["replan_seconds"] = round(elapsed, 3)
    carried = _carried(inp, m, solver, changed | withdrawn)
    stats["carried_reasons"] = len(carried)
    plan = read_plan(
        loaded, m, solver, removed, status, elapsed, options, stats, carried, on_explained,
        finish_by,
    )  # fmt: skip
    if not bounded:
        plan = plan.model_copy(update={"bound": None, "gap": None})
    # read from the plan itself (a tier out of time left no figure of its own)
    moved = [
        abs(solver.value(m.start[k.candidate]) - k.start)
        for k in kept
        if solver.boolean_value(m.form[k.candidate])
    ]
    as_before = moved.count(0)
    disturbed = len(inp.baseline.delegations) - as_before - _touched(inp, changed | withdrawn)
    plan = plan.model_copy(
        update={
            "diff": tuple(differences(inp.baseline, plan)),
            "whatif": WhatIf(
                granted=tuple(r for r in sorted(changed) if r in plan.approved),
                not_granted=tuple(r for r in sorted(changed) if r not in plan.approved),
                refused=tuple(_refused(inp)),
                disturbed=disturbed,
                disturbance_proved_minimal=bool(
                    granted and kept_count and granted[1] and kept_count[1]
                ),
                conflicting=tuple(conflicting),
                shift_days=sum(moved),
            ),
        }
    )
    return WhatIfResult(plan, stats, stopped)


def _last_workers(options: SolveOptions, variables: int) -> int | None:
    """The workers of the re-plan's last search when they are not ``options``'s own:
    ``LEAN_WORKERS`` where none were asked for and the model has ``LEAN_FROM`` variables."""
    if options.workers or variables < LEAN_FROM:
        return None
    return LEAN_WORKERS


def _conflicting(
    m: ModelContext,
    changed: set[str],
    together: set[str],
    options: SolveOptions,
    pressed: list[bool],
    until: float | None = None,
) -> list[tuple[str, str]]:
    """Pairs of adjustment requests each of which the rules allow alone, but not both.

    ``together`` were granted all at once by the grant tier, so no pair of them conflicts
    and each is allowed alone; only pairs with another request are asked. Each is asked
    of the model with both approvals as assumptions (nothing is added to the model). A
    pair whose answer does not come within its time is not reported, nor any once Ctrl-C
    is pressed (``pressed``) or, under a budget, once ``until`` (``time.perf_counter``)
    has passed.
    """
    ids = sorted(r for r in changed if r in m.approve)
    if len(ids) < 2 or set(ids) <= together:
        return []
    model = m.model
    model.clear_objective()  # a yes/no question: stop at the first plan, do not optimise
    limit = max(1.0, options.time_limit / 20)

    def feasible(*rids: str) -> bool | None:
        seconds = limit if until is None else min(limit, until - time.perf_counter())
        if pressed or seconds < LEAST_QUESTION:
            return None
        model.clear_assumptions()
        model.add_assumptions([m.approve[r] for r in rids])
        solver = cp_solver(options, seconds)
        with ctrl_c_stops(solver):
            code = solver.solve(model)
        model.clear_assumptions()
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return True
        return False if code == cp_model.INFEASIBLE else None

    alone = [r for r in ids if r in together or feasible(r)]
    return [
        (a, b)
        for k, a in enumerate(alone)
        for b in alone[k + 1 :]
        if not {a, b} <= together and feasible(a, b) is False
    ]


def _carried(
    inp: WhatIfInput, m: ModelContext, solver: cp_model.CpSolver, touched: set[str]
) -> dict[str, Decision]:
    """The baseline's rejections the re-plan cannot have changed, to keep as they were.

    A rejection's reasons and repairs depend only on the trips it can collide with (a
    shared traveller, country, unit or catalogue item: ``request_keys``). When no trip
    that moved, went or came, and no changed request, shares a key with a request that is
    still rejected, its baseline decision still holds and is not explained again. With a
    rule over the whole plan (the total budget) every trip counts, and nothing is carried.
    """
    s, original = inp.loaded.scenario, inp.original.scenario
    if reaches_whole_plan(s, inp.loaded.policy):
        return {}
    year = s.year
    before = {tuple(d.requests): day_number(year, d.start) for d in inp.baseline.delegations}
    after = {
        c.request_ids: solver.value(m.start[c.id])
        for c in m.candidates
        if solver.boolean_value(m.form[c.id])
    }
    differ = [ids for ids in set(before) | set(after) if before.get(ids) != after.get(ids)]
    moved = {rid for ids in differ for rid in ids}
    keys: set[tuple[str, str]] = set()
    for rid in moved | touched:
        for scenario in (original, s):
            if rid in scenario.request_by_id:
                keys |= request_keys(scenario.request_by_id[rid])
    approved = {rid for ids in after for rid in ids}
    return {
        d.request: d
        for d in inp.baseline.decisions
        if d.status == "rejected"
        and d.request not in touched | approved
        and d.request in s.request_by_id
        and not keys & request_keys(s.request_by_id[d.request])
    }


def _touched(inp: WhatIfInput, touched: set[str]) -> int:
    """Baseline delegations a change touches itself (their change is asked, not a knock-on)."""
    return sum(1 for d in inp.baseline.delegations if touched & set(d.requests))


def _post_shifts(m: ModelContext, kept: list[Kept], before: cp_model.CpSolver) -> list:
    """Tier 3's days moved, one variable per baseline trip that may be kept, each hinted
    from ``before`` (the disturbance tier's plan)."""
    model = m.model
    shifts = []
    for k in kept:
        c = m.by_id[k.candidate]
        span = max(c.latest - c.earliest, 0)
        dev = model.new_int_var(0, span + 1, f"moved[{k.delegation}]")
        model.add(dev >= m.start[k.candidate] - k.start).only_enforce_if(m.form[k.candidate])
        model.add(dev >= k.start - m.start[k.candidate]).only_enforce_if(m.form[k.candidate])
        # a trip not formed as it was counts more than any move: moving beats rejecting
        model.add(dev == span + 1).only_enforce_if(m.form[k.candidate].negated())
        formed = before.boolean_value(m.form[k.candidate])
        moved = abs(before.value(m.start[k.candidate]) - k.start)
        model.add_hint(dev, moved if formed else span + 1)
        shifts.append(dev)
    return shifts


def _trips(m: ModelContext, solver: cp_model.CpSolver) -> list[Placed]:
    """The plan of a solver's answer, as trips on their starts."""
    return [
        Placed(c, solver.value(m.start[c.id]))
        for c in m.candidates
        if solver.boolean_value(m.form[c.id])
    ]


def _start_from_baseline(
    m: ModelContext, inp: WhatIfInput, kept: list[Kept], touched: set[str]
) -> list[Placed]:
    """The first tier's start, a plan the auditor passes trip by trip.

    Every baseline trip that may be kept, on its date; then each changed request, most
    valuable first, on its preferred or earliest start where it breaks no rule beside
    them, or else where moving a few of them aside lets it in (``make_room``); then the
    untouched requests of a changed composite delegation, each alone as near its
    baseline date as it fits. What does not fit is left out, for the tiers.
    """
    year = m.scenario.year
    greedy = Greedy(m.scenario, m.policy)
    for k in kept:
        greedy.place(m.by_id[k.candidate], [k.start])
    alone = {c.request_ids[0]: c for c in m.candidates if len(c.requests) == 1}
    changed, _ = _changed_ids(inp)
    asked = [alone[r] for r in changed if r in alone]
    asked.sort(key=lambda c: (-request_value(c.requests[0], m.policy), c.id))
    for c in asked:
        starts = clerk_starts(c, year)
        if greedy.place(c, starts) is None:  # a few trips moved aside, if that lets it in
            make_room(greedy, c, starts[0], m.policy)
    for d in inp.baseline.delegations:
        for rid in d.requests:
            if touched & set(d.requests) and rid not in touched and rid in alone:
                greedy.place(alone[rid], nearest_starts(alone[rid], day_number(year, d.start)))
    return greedy.placed


def _hint_all(m: ModelContext, values: list[int], kept: list[Kept]) -> None:
    """Hint ``values`` (a whole plan) on every variable, each keep literal on wherever its
    trip is as in the baseline: the disturbance tier starts with the keeps the plan has."""
    values = list(values)
    for k in kept:
        formed = values[m.form[k.candidate].index]
        values[k.keep.index] = int(formed == 1 and values[m.start[k.candidate].index] == k.start)
    hint_values(m.model, values)


def _hint_baseline(m: ModelContext, inp: WhatIfInput) -> None:
    year = m.scenario.year
    on = {"+".join(d.requests): day_number(year, d.start) for d in inp.baseline.delegations}
    for c in m.candidates:
        m.model.add_hint(m.form[c.id], c.id in on)
        start = on.get(c.id, c.earliest)
        m.model.add_hint(m.start[c.id], min(max(start, c.earliest), c.latest))


def _refused(inp: WhatIfInput) -> list[RefusedChange]:
    info = rule_info("PLAN-ADJUST-WINDOW")
    return [
        RefusedChange(
            change=k,
            request=inp.changes.request_id(inp.changes.changes[k - 1]),
            rule="PLAN-ADJUST-WINDOW",
            citation=info.citation,
            message=why,
        )
        for k, why in sorted(inp.refused.items())
    ]


def _no_plan(
    inp: WhatIfInput, options: SolveOptions, began: float, stats: dict, status: Status
) -> WhatIfResult:
    """No re-plan: the changes or pins cannot hold (infeasible), or no plan in the time."""
    plan = Plan(
        scenario=inp.loaded.scenario.name,
        policy=inp.loaded.policy.id,
        status=status,
        solve_seconds=round(time.perf_counter() - began, 3),
        solver=plan_meta(inp.loaded, options, stats),
        whatif=WhatIf(refused=tuple(_refused(inp))),
    )
    return WhatIfResult(plan, stats)


__all__ = ["WhatIfResult", "replan"]
