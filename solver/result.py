"""What a solve returns (:class:`SolveResult`), and the plan's parts set outside the search:
the model's size, a plan with no trips, a bound proved elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.loading import LoadedScenario
from models.plan import Plan, Status
from solver.candidates import Candidate
from solver.model import ModelContext
from solver.options import SolveOptions
from solver.readback import plan_meta


@dataclass
class SolveResult:
    """The plan, the solve's figures (``plan.solver`` shows most), and whether Ctrl-C
    ended it short of proved."""

    plan: Plan
    stats: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False


def model_size(loaded: LoadedScenario, candidates: list[Candidate], m: ModelContext) -> dict:
    """The model as built, before a plan or a bound is pinned to it: the benchmark's
    "variables" and "constraints"."""
    proto = m.model.proto
    return {
        "requests": len(loaded.scenario.requests),
        "candidates": len(candidates),
        "eligible_candidates": len(m.candidates),
        "variables": len(proto.variables),
        "constraints": len(proto.constraints),
    }


def no_plan(
    loaded: LoadedScenario, options: SolveOptions, stats: dict, status: Status, elapsed: float
) -> Plan:
    """A plan with no trips, for a search that found none (infeasible, or no time)."""
    return Plan(
        scenario=loaded.scenario.name,
        policy=loaded.policy.id,
        status=status,
        solve_seconds=round(elapsed, 3),
        solver=plan_meta(loaded, options, stats),
    )


def with_bound(plan: Plan, bound: int) -> Plan:
    """The plan with a bound proved elsewhere (the relaxation's, or the parts' sum)."""
    gap = abs(bound - (plan.objective or 0)) / max(1, abs(bound))
    return plan.model_copy(update={"bound": bound, "gap": round(gap, 6)})
