"""CP-SAT planning of delegations: ``solve(loaded_scenario, SolveOptions(...))``."""

from solver.options import SolveOptions
from solver.solve import Progress, SolveResult, solve

__all__ = ["Progress", "SolveOptions", "SolveResult", "solve"]
