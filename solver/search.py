"""One CP-SAT search of a model, and the progress lines a planner watches while it runs.

Every search of a solve goes through :func:`run_search` (the probe, the final search, a
plan read back); the what-if re-plan's tiers use :class:`Watcher` and ``STATUS`` too
(``solver.whatif``). Kept apart from the phases that call it (``solver.phases``) so that
a progress line means the same wherever a search runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.plan import Status
from solver.interrupts import ctrl_c_stops
from solver.model import ModelContext
from solver.options import SolveOptions, cp_solver
from solver.proto import value_range

#: CP-SAT's answers as a plan's status (any other: UNKNOWN)
STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
}


@dataclass
class Progress:
    """One line of search progress: what a planner watching a long solve sees."""

    seconds: float
    objective: int
    bound: int
    solutions: int
    #: searching independent parts one by one: "2/5" (objective and bound are that part's)
    part: str = ""
    #: what ``objective`` counts when it is not the plan's objective: a what-if tier's
    #: "granted" (value of the changes granted), "kept" (trips), "moved" (days)
    measure: str = ""

    @property
    def gap(self) -> float:
        # over the larger of the two: a tier that minimises (days moved) has its bound below
        return abs(self.bound - self.objective) / max(1, abs(self.bound), abs(self.objective))


class Watcher(cp_model.CpSolverSolutionCallback):
    """Reports each better plan CP-SAT finds.

    ``floor``: a plan already reported (the improvement's), so worse ones are not shown as
    progress; ``cap``: a bound already proved (the relaxation's), shown until CP-SAT's own
    is lower (early in a search CP-SAT's bound is the objective's trivial range).
    ``measure`` and ``scale``: a what-if tier's objective, shown as what it counts (the
    grant tier's objective is the value granted times ``scale``, plus the trips kept).
    """

    def __init__(
        self,
        report: Callable[[Progress], None] | None,
        offset: float = 0.0,
        floor: int | None = None,
        cap: int | None = None,
        measure: str = "",
        scale: int = 1,
    ):
        super().__init__()
        self.report = report
        self.offset = offset  # seconds spent before this search (building, relaxation)
        self.count = 0
        self.floor, self.cap = floor, cap
        self.measure, self.scale = measure, scale

    def on_solution_callback(self) -> None:
        self.count += 1
        objective, bound = round(self.objective_value), round(self.best_objective_bound)
        if self.report is None or (self.floor is not None and objective < self.floor):
            return
        if self.cap is not None:
            bound = min(bound, self.cap)
        seconds = self.offset + self.wall_time
        objective, bound = objective // self.scale, bound // self.scale
        self.report(Progress(seconds, objective, bound, self.count, measure=self.measure))


@dataclass
class Search:
    """What one CP-SAT search left: the solver to read values from, and how it ended."""

    solver: cp_model.CpSolver
    status: Status
    solutions: int = 0
    pressed: bool = False  # Ctrl-C during the search
    stopped: bool = False  # Ctrl-C before the search (in a phase before it)
    #: the best bound proved on the whole model: CP-SAT's or the relaxation's, the lower
    #: (None: only CP-SAT's, read from ``solver``)
    bound: int | None = None

    def interrupted(self) -> bool:
        """Whether Ctrl-C ended it with a plan short of proved: during the relaxation or
        the improvement, or during the search."""
        return self.status is Status.FEASIBLE and (self.stopped or self.pressed)


def run_search(
    m: ModelContext,
    options: SolveOptions,
    limit: float,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    floor: int | None = None,
    cap: int | None = None,
) -> Search:
    """Search ``m`` for ``limit`` seconds, reporting each better plan (``Watcher``)."""
    solver = cp_solver(options, limit)
    watcher = Watcher(on_progress, time.perf_counter() - began, floor, cap)
    with ctrl_c_stops(solver) as pressed:
        code = solver.solve(m.model, watcher)
    if code == cp_model.MODEL_INVALID:  # pragma: no cover - a bug, not a user's mistake
        raise RuntimeError(m.model.validate())
    return Search(solver, STATUS.get(code, Status.UNKNOWN), watcher.count, bool(pressed))


def trivial_bound(m: ModelContext) -> int:
    """The most the objective can be on its variables' domains alone (a bound no search
    proved, for a progress line before any)."""
    proto = m.model.proto
    low, high = value_range(proto.objective, proto)
    scale = proto.objective.scaling_factor or 1.0  # -1 for a maximisation
    return round(max(scale * low, scale * high))


def since(began: float) -> float:
    """Seconds since ``began`` (on ``time.perf_counter``'s clock)."""
    return time.perf_counter() - began
