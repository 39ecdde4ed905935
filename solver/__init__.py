"""CP-SAT planning of delegations: ``solve(loaded_scenario, SolveOptions(...))``."""

from solver.decisions import Explained
from solver.options import SolveOptions
from solver.solve import Progress, SolveResult, solve

__all__ = ["Explained", "Progress", "SolveOptions", "SolveResult", "solve"]
