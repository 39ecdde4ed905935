"""Building the CP-SAT model of a scenario: screen, merge, post every rule, the objective.

Every solve builds its model here, once: the full model for the search, the relaxation
(``relaxed``: the rules that tie one trip's dates to another's left out) for the warm
start and its bound, and the what-if's model. The candidates are prepared first
(``prepare``: screening and the merge graph, the slow part at thousands of requests), so
that the full model and the relaxation share them. Each rule's constraints are posted
by its own function, found through the registry (``solver.rules.REGISTRY``); to change
a rule, start there.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import InputError, Problem
from models.loading import LoadedScenario
from solver.candidates import Candidate
from solver.merge import composite_candidates
from solver.model import ModelContext, create_variables
from solver.objective import create_shifts, post_objective
from solver.rules import REGISTRY, Context
from solver.screening import screen


def check_policy(loaded: LoadedScenario) -> None:
    """Refuse a severity the solver cannot honour for a rule (e.g. a soft budget)."""
    problems = []
    for rule in REGISTRY:
        setting = loaded.policy.rule(rule.id)
        if setting.severity not in rule.severities:
            problems.append(
                Problem(
                    loaded.scenario.policy,
                    "policy",
                    f"rules.{rule.id}.severity",
                    f"{setting.severity!r} is not supported for {rule.id}; use one of "
                    f"{', '.join(rule.severities)}",
                )
            )
    if problems:
        raise InputError(problems)


#: Cost terms (preferred-start distance, TASK-DUPLICATE count) are posted as equalities up
#: to this many requests and as lower bounds above it. Measured on the generated scenarios
#: (benchmarks/findings.md, 2 cores): at 1,000 requests equalities end 0.19% from the bound
#: after 60 s against 0.37% for lower bounds; at 5,000 lower bounds end at 6.6% after
#: 120 s against 15.5% for equalities. Either way the plan reports true amounts.
EXACT_COSTS_UP_TO = 2000


@dataclass(frozen=True)
class Prepared:
    """The candidates a model is built on: screened, with the composites of the eligible."""

    kept: list[Candidate]
    costs: dict
    removed: dict


def prepare(
    loaded: LoadedScenario, candidates: list[Candidate], merge: bool = True, workers: int = 1
) -> Prepared:
    """Screen the candidates and add the composites of the eligible ones (done once a solve:
    the merge graph is the slow part of building a large model, so its pairs are checked
    by ``workers`` processes)."""
    s, p = loaded.scenario, loaded.policy
    ctx = Context(s, p)
    screened = screen(candidates, ctx)
    kept, costs = list(screened.kept), dict(screened.costs)
    if merge:
        merged = screen(composite_candidates(s, p, screened.kept, workers), ctx)
        kept += merged.kept
        costs.update(merged.costs)
    return Prepared(kept, costs, screened.removed)


def build_model(
    loaded: LoadedScenario,
    candidates: list[Candidate],
    merge: bool = True,
    relaxed: bool = False,
    prepared: Prepared | None = None,
    approvals_only: bool = False,
) -> tuple[ModelContext, dict]:
    """Build the model on the prepared candidates (``prepare`` when none are given).

    ``relaxed`` leaves out the rules that tie one trip's dates to another's
    (``Rule.links_dates``), keeping only the sums they imply (``Rule.relax``): a
    relaxation whose optimum bounds the full model's.
    """
    s, p = loaded.scenario, loaded.policy
    prepared = prepared or prepare(loaded, candidates, merge)
    m = ModelContext(s, p, list(prepared.kept))
    m.static_costs = dict(prepared.costs)
    m.exact_costs = len(s.requests) <= EXACT_COSTS_UP_TO
    m.approvals_only = approvals_only
    create_variables(m)
    create_shifts(m)
    for rule in REGISTRY:
        if not p.rule(rule.id).on:
            continue
        if relaxed and rule.links_dates:
            if rule.relax is not None:
                rule.relax(m)
        elif rule.post is not None:
            rule.post(m)
    post_objective(m)
    return m, prepared.removed


__all__ = ["EXACT_COSTS_UP_TO", "Prepared", "build_model", "check_policy", "prepare"]
