"""Solver options: time limit, seed, workers, and what makes a run reproducible."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model


def default_workers() -> int:
    """Eight search workers, even on two cores.

    CP-SAT's portfolio differs with the worker count: with two it runs one linear-
    relaxation worker and one local search, and its bound stalls at a thousand requests
    (a 7% gap after 30 s on the benchmark); with eight, time-sliced on two cores, it adds
    the workers that close the bound (0.2%). See benchmarks/findings.md.
    """
    return 8


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float = 30.0
    seed: int = 0
    workers: int = 0  # 0: one per core, at most 8
    #: same input, seed and workers give the same plan: the limit counts CP-SAT's
    #: deterministic time instead of wall-clock time, and the search interleaves
    reproducible: bool = False
    #: offer the model composite delegations (merged requests) when the policy's MERGE is on
    merge: bool = True
    #: solve a relaxation first for a hint and a bound (``solver.warmstart``)
    warm_start: bool = True
    #: "cpsat": the search; "greedy": first come, first served (``solver.greedy``)
    method: str = "cpsat"
    #: seconds for minimal conflicts and repairs after the search; past them, the
    #: remaining rejections get quick reasons from the auditor (``Explainer.quick``)
    explain_limit: float = 120.0
    #: "full": approvals less soft costs and date distances; "approvals": the approved
    #: requests' value alone (``solver.objective``)
    objective: str = "full"
    #: search the model's independent parts one by one (``solver.parts``) when it has several
    decompose: bool = True
    #: a large-neighbourhood search between the warm start and CP-SAT's own search
    #: (``solver.improve``): None decides by size (``solver.improve.IMPROVE_FROM``)
    improve: bool | None = None
    #: wall-clock seconds for the whole solve, explanations and read-back included: the
    #: search's limit becomes the lower of ``time_limit`` and its share of the budget, and
    #: the explanations' the lower of ``explain_limit`` and what the search leaves
    #: (``solver.budget``); None: the limits alone
    budget: float | None = None

    def __post_init__(self) -> None:
        if self.budget is not None and self.reproducible:
            raise ValueError(
                "a budget is wall-clock time, and a reproducible run counts deterministic "
                "time: give one or the other"
            )

    @property
    def num_workers(self) -> int:
        return self.workers or default_workers()


def cp_solver(
    options: SolveOptions, limit: float, *, workers: int | None = None, seed_offset: int = 0
) -> cp_model.CpSolver:
    """A CP-SAT solver that stops after ``limit`` seconds, or after ``limit`` deterministic
    seconds when the run is reproducible (the wall clock then only caps a runaway)."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    # Ctrl-C is Python's (``solver.interrupts``): CP-SAT's own handler would end a short
    # solve (completing a plan, a step) and swallow the press, and the phase around it
    # would go on as if no key had been pressed
    params.catch_sigint_signal = False
    params.random_seed = options.seed + seed_offset
    params.num_workers = workers or options.num_workers
    if options.reproducible:
        params.interleave_search = True
        # one task per worker in each batch: the limit is checked between batches and a
        # full-problem task runs up to 1 deterministic second, so CP-SAT's own batch size
        # (6 with 2 workers) ran a 1.12 s limit to 3.07 s (10.2 s of wall time) on 60
        # generated requests; one task per worker, to 1.23 s (6.6 s)
        params.interleave_batch_size = params.num_workers
        params.max_deterministic_time = max(limit, 0.05)
        params.max_time_in_seconds = max(60.0, limit * 20)
    else:
        params.max_time_in_seconds = max(limit, 0.05)
    return solver


#: the CP-SAT workers the relaxation runs (``lp_solver``): the two that solve its linear
#: relaxation at every node (``max_lp``) and prove bounds from cores (``core``)
LP_WORKERS = ("max_lp", "core")


def lp_solver(options: SolveOptions, limit: float) -> cp_model.CpSolver:
    """A solver for the relaxation (``solver.warmstart``): the linear workers alone.

    The relaxation is quotas, budgets and day sums over each trip's own dates: its linear
    relaxation is nearly whole, and the worker that solves it at every node (``max_lp``)
    is the one that finds its optimum. In the default portfolio it gets a quarter of a
    core among eight workers and local searches whose plans are far from the optimum.
    Measured on the generated scenarios (2 cores; benchmarks/findings.md): at 5,000
    requests the relaxation is proved in 12 s instead of 30-33 s (18 s instead of
    unproved after 60 s with merging); at 1,000 in 1.8 s instead of 4.5-5.4 s; at 20,000,
    after 150 s, its plan is 0.21% from its bound (4,467,850) instead of 26% (3,306,467).
    """
    solver = cp_solver(options, limit, workers=min(len(LP_WORKERS), options.num_workers))
    params = solver.parameters
    params.subsolvers.extend(LP_WORKERS[: params.num_workers])
    params.use_lns = False
    params.use_feasibility_jump = False
    params.use_feasibility_pump = False
    params.num_violation_ls = 0
    return solver
