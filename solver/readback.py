"""Reading a plan back from a solved model: delegations, decisions with reasons, costs.

Every way to a plan (the search, the clerk's plan read back, a what-if's tiers, the
parts of a decomposed solve) ends here, so a plan looks the same whichever way it came:
each formed candidate laid out on its dates as a delegation, every request's decision
explained (``solver.decisions``), every soft cost with the facts behind it and its
article, and the objective less any slack the search left in lower-bounded cost terms
(``true_objective``). The auditor reads the finished plan once, for the exceptions used.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version

from ortools.sat.python import cp_model

from models.audit import Auditor
from models.catalogue import quote_for, rule_info
from models.holidays import public_holidays
from models.loading import LoadedScenario
from models.plan import Cost, Decision, Delegation, Plan, PlanStop, Status
from models.text import Place, T, Text, render_all
from models.trip import lay_out
from solver import budget
from solver.candidates import Candidate, Placed, day_date
from solver.decisions import Explained, explain_decisions
from solver.forked import worker_count
from solver.merge import savings
from solver.model import CostTerm, ModelContext
from solver.options import SolveOptions


def _versions() -> dict[str, str]:
    """delegplan's and OR-Tools' versions, for the plan's record: the same input and seed
    give the same plan only with the same versions."""
    out = {}
    for name in ("delegplan", "ortools"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            out[name] = "unknown"
    return out


def plan_meta(loaded: LoadedScenario, options: SolveOptions, stats: dict) -> dict:
    """The plan's ``solver`` block: what a planner needs to run it again (input hash,
    versions, options) and the model's size, with nothing that varies run to run."""
    return {
        "input_sha256": loaded.input_hash,
        "versions": _versions(),
        "seed": options.seed,
        "workers": options.num_workers,
        "time_limit": options.time_limit,
        "reproducible": options.reproducible,
        "time_measure": "deterministic" if options.reproducible else "wall-clock",
        "method": options.method,
        "objective": options.objective,
        "merge": options.merge,
        "warm_start": options.warm_start,
        "explain_limit": None if math.isinf(explain_limit(options)) else options.explain_limit,
        # seconds for the whole solve (``solver.budget``): the limits above are its shares
        "budget": None if options.budget is None else round(options.budget, 1),
        # wall-clock figures, the count of solutions the search reported (which depends on
        # when its callback ran), stay out of the plan, which must not vary run to run,
        # and where the parts ran (a cluster gives the same plan as this process)
        "model": {
            k: v
            for k, v in stats.items()
            if not k.endswith("_seconds") and k not in ("solutions", "runner")
        },
    }


def read_plan(
    loaded: LoadedScenario,
    m: ModelContext,
    solver: cp_model.CpSolver,
    removed: dict,
    status: Status,
    elapsed: float,
    options: SolveOptions,
    stats: dict,
    carried: dict[str, Decision] | None = None,
    on_explained: Callable[[Explained], None] | None = None,
    finish_by: float | None = None,
) -> Plan:
    """The plan of the solver's answer; ``carried``: rejections whose reasons still hold.
    ``elapsed`` is the solve's time so far, on whose clock ``on_explained`` hears;
    ``finish_by``: the budget's end on ``time.perf_counter``'s clock, which shortens the
    explanations' limit to what is left of it (``solver.budget``)."""
    s, p = loaded.scenario, loaded.policy
    year = s.year
    chosen = [c for c in m.candidates if solver.boolean_value(m.form[c.id])]
    starts = {c.id: solver.value(m.start[c.id]) for c in chosen}
    chosen.sort(key=lambda c: (starts[c.id], c.request_ids))
    delegations: list[Delegation] = []
    placed: dict[str, str] = {}
    for k, c in enumerate(chosen, start=1):
        dates = lay_out(day_date(year, starts[c.id]), c.stops, c.travel_days)
        did = f"D-{k:03d}"
        delegations.append(
            Delegation(
                id=did,
                requests=c.request_ids,
                head=c.head,
                members=c.travellers[1:],
                start=dates.start,
                end=dates.end,
                stops=tuple(
                    PlanStop(country=x.country, start=x.start, end=x.end) for x in dates.stops
                ),
                savings=savings(c, s) if c.is_composite else None,
            )
        )
        for rid in c.request_ids:
            placed[rid] = did

    trips = [Placed(c, starts[c.id]) for c in chosen]
    began = time.perf_counter()
    if finish_by is not None:  # recorded in the plan as the limit it ran with
        rejections = sum(1 for r in s.requests if r.id not in placed)
        left = budget.explain_limit(finish_by - began, rejections, len(s.requests))
        options = replace(options, explain_limit=round(min(options.explain_limit, left), 1))
    decisions = explain_decisions(
        loaded,
        m,
        trips,
        removed,
        placed,
        status is Status.OPTIMAL,
        explain_limit(options),
        carried,
        worker_count(options.num_workers),
        on_explained,
        elapsed,
    )
    stats["explain_seconds"] = round(time.perf_counter() - began, 3)

    # approvals only: the soft terms were not priced, so their values mean nothing
    costs = [] if m.approvals_only else _costs(m, solver, chosen, starts, year)
    auditor = Auditor(s, p)
    objective = true_objective(m, solver)
    bound = round(solver.best_objective_bound)
    gap = 0.0 if status is Status.OPTIMAL else abs(bound - objective) / max(1, abs(bound))
    plan = Plan(
        scenario=s.name,
        policy=p.id,
        status=status,
        objective=objective,
        bound=bound,
        gap=round(gap, 6),
        # reproducible: CP-SAT's deterministic seconds, so that plan.json is byte-identical
        solve_seconds=round(solver.response_proto.deterministic_time, 3)
        if options.reproducible
        else round(elapsed, 3),
        delegations=tuple(delegations),
        decisions=tuple(decisions),
        costs=tuple(costs),
        solver=plan_meta(loaded, options, stats),
    )
    used = auditor.audit(plan).exceptions_used
    return plan.model_copy(update={"exceptions_used": tuple(used)})


def explain_limit(options: SolveOptions) -> float:
    """The seconds explanations may take: reproducible runs explain every rejection in
    full, whatever the clock says (infinite), except at 0 (quick reasons only), which
    does not depend on the clock."""
    if options.reproducible and options.explain_limit > 0:
        return float("inf")
    return options.explain_limit


def term_amount(term: CostTerm, solver: cp_model.CpSolver) -> int:
    """A cost term's true amount in the solution (its variable may carry slack)."""
    return term.exact(solver.value) if term.exact else solver.value(term.var)


def true_objective(m: ModelContext, solver: cp_model.CpSolver) -> int:
    """The plan's objective: the solver's, less any slack in lower-bounded cost terms.

    A term posted as ``var >= ...`` (``CostTerm.exact``) is exact at the optimum; short of
    it the search may leave ``var`` above the true amount, which only lowers the solver's
    objective value. The model's bound still bounds this true objective.
    """
    if m.approvals_only:  # the cost terms are not in the objective
        return round(solver.objective_value)
    slack = sum(
        (solver.value(t.var) - t.exact(solver.value)) * t.weight for t in m.costs if t.exact
    )
    return round(solver.objective_value) + slack


def _costs(
    m: ModelContext,
    solver: cp_model.CpSolver,
    chosen: list[Candidate],
    starts: dict[str, int],
    year: int,
) -> list[Cost]:
    """Every soft cost the objective charged, with the facts behind it."""
    formed = {c.id for c in chosen}
    by_id = m.by_id
    out = []
    for term in m.costs:
        amount = term_amount(term, solver) * term.weight
        if amount <= 0 or (term.candidate and term.candidate not in formed):
            continue
        if term.group:
            rid, message = _topic_facts(term, formed, starts, by_id, year)
        else:
            c = by_id[term.candidate]
            rid, message = c.request_ids[0], _term_facts(term, c, solver, starts, year)
        preferred_rule = term.rule == "PREFERRED-START"
        out.append(
            Cost(
                rule=term.rule,
                request=rid,
                cost=amount,
                citation="INTERFACE.md §1 preferred_start"
                if preferred_rule
                else rule_info(term.rule).citation,
                quote="" if preferred_rule else quote_for(term.rule, m.policy.languages),
                **render_all(message, m.policy.languages),
            )
        )
    return out


def _term_facts(
    term: CostTerm, c: Candidate, solver: cp_model.CpSolver, starts: dict[str, int], year: int
) -> Text:
    """What one candidate's cost term charged, in words."""
    if term.rule == "GEO-HOLIDAY":
        return _holiday_message(c, starts[c.id], year)
    if term.rule == "PREFERRED-START":
        preferred = next(r.preferred_start for r in c.requests if r.preferred_start)
        return T(
            "starts {start}, {days} day(s) from the preferred {preferred}",
            start=day_date(year, starts[c.id]),
            days=solver.value(term.var),
            preferred=preferred,
        )
    return term.message or Text("{rule}", {"rule": term.rule})


def _topic_facts(
    term: CostTerm,
    formed: set[str],
    starts: dict[str, int],
    by_id: dict[str, Candidate],
    year: int,
) -> tuple[str, Text]:
    """The groups that repeat one topic, in date order; charged to the first repeat."""
    groups = sorted((cid for cid in term.group if cid in formed), key=lambda c: (starts[c], c))
    names = ["/".join(by_id[cid].request_ids) for cid in groups]
    message = T(
        "{groups} all work on {topic}: {extra} group(s) beyond the first",
        groups=names,
        topic=term.message,
        extra=len(groups) - 1,
    )
    return by_id[groups[1]].request_ids[0], message


def _holiday_message(c: Candidate, start: int, year: int) -> Text:
    """The host holidays a trip's stays meet, by name, country and date."""
    dates = lay_out(day_date(year, start), c.stops, c.travel_days)
    hits = []
    for stop in dates.stops:
        marks = public_holidays(stop.country, year)
        day = stop.start
        while day <= stop.end:
            if day in marks:
                hits.append(
                    T(
                        "{holiday} ({country}, {date})",
                        holiday=marks[day],
                        country=Place(stop.country),
                        date=day,
                    )
                )
            day = day.fromordinal(day.toordinal() + 1)
    return T("stays on host-country public holidays: {holidays}", holidays=hits)


__all__ = ["explain_limit", "plan_meta", "read_plan", "term_amount", "true_objective"]
