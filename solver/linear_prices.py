"""The priced relaxation's linear relaxation: quick steps of day prices, and their bound.

Day prices (``solver.lagrange``) solve the relaxation without date costs once a step, each
candidate paying its cheapest start under the prices. Solved whole by CP-SAT that takes
1-2 s at 5,000 generated requests and is not proved in 60 s at 20,000. Its linear
relaxation, solved by GLOP, takes a hundredth of that: 0.02 s at 5,000 requests and 0.6 s
at 20,000 at first, then 0.01 s and 0.1 s a step, since a step changes only the
objective and GLOP starts again from the last basis. For any prices the linear optimum
plus the prices' sum is a bound too, looser than the whole one (at 5,000 requests
without prices 1,560,514 against 1,543,792; at 20,000 4,437,274 against 4,432,630 after
150 s of CP-SAT), and its steps move the prices much as the whole ones do. Measured
(benchmarks/findings.md): at 20,000 requests 60 linear steps bring the bound to
4,385,492 in 58 s of one core, where a 600 s solve's whole steps brought it to
4,408,466; at 5,000, CP-SAT's bound at the prices 150 linear steps found is 1,537,366
(0.9 s), below the 1,538,509 of 40 whole steps.

The bound comes from GLOP's dual values, not from its objective: any duals ``y`` give
``c.x <= sum over rows of y_r times the row's bound on the side y_r pushes
+ sum over columns of (c - A'y)_j times x_j's bound on the side that reduced cost
pushes``, whatever tolerances GLOP solved to, so a bound stays a bound.
"""

from __future__ import annotations

import numpy as np
from ortools.linear_solver import pywraplp

from solver.model import ModelContext
from solver.proto import plain_proto

#: a bound past this is treated as no bound (CP-SAT's domains reach +-2^62)
_HUGE = 2.0**60


class LinearSubproblem:
    """The linear relaxation of ``inner`` (the relaxation without date costs) on GLOP,
    its objective less each candidate's priced cost."""

    def __init__(self, inner: ModelContext) -> None:
        # the objective goes into the model's message only when set; each whole step sets
        # its own priced one again, so setting the bare one here changes nothing for them
        inner.model.maximize(inner.objective)
        proto = plain_proto(inner.model)
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        infinity = self.solver.infinity()
        low = np.array([v.domain[0] for v in proto.variables], dtype=float)
        high = np.array([v.domain[len(v.domain) - 1] for v in proto.variables], dtype=float)
        self.low, self.high = low, high
        self.columns = [
            self.solver.NumVar(float(a), float(b), "") for a, b in zip(low, high, strict=True)
        ]
        rows, cols, coeffs, row_low, row_high = [], [], [], [], []
        self.rows: list[pywraplp.Constraint] = []
        for constraint in proto.constraints:
            # intervals and the rest are left out: fewer rows, a looser bound, still a bound
            if constraint.WhichOneof("constraint") != "linear" or constraint.enforcement_literal:
                continue
            domain = constraint.linear.domain
            a, b = float(domain[0]), float(domain[len(domain) - 1])
            row = self.solver.Constraint(
                a if a > -_HUGE else -infinity, b if b < _HUGE else infinity
            )
            for var, coeff in zip(constraint.linear.vars, constraint.linear.coeffs, strict=True):
                row.SetCoefficient(self.columns[var], float(coeff))
                rows.append(len(self.rows))
                cols.append(var)
                coeffs.append(float(coeff))
            row_low.append(a)
            row_high.append(b)
            self.rows.append(row)
        self.matrix = (
            np.array(rows, dtype=np.int64),
            np.array(cols, dtype=np.int64),
            np.array(coeffs),
        )
        self.row_low, self.row_high = np.array(row_low), np.array(row_high)
        # CP-SAT keeps a maximisation as the minimisation of its negation
        self.value = np.zeros(len(self.columns))
        np.add.at(
            self.value,
            np.array(proto.objective.vars, dtype=np.int64),
            -np.array(proto.objective.coeffs, dtype=float),
        )
        self.offset = -proto.objective.offset
        self.forms = np.array([inner.form[c.id].index for c in inner.candidates], dtype=np.int64)
        self.objective = self.solver.Objective()
        self.objective.SetMaximization()
        for column, value in zip(self.columns, self.value, strict=True):
            if value:
                self.objective.SetCoefficient(column, float(value))

    def solve(self, cost: np.ndarray) -> tuple[float, np.ndarray] | None:
        """The linear optimum's bound with each candidate paying ``cost`` when formed, and
        each candidate's ``form`` in it (a share of the trip); None if GLOP found none."""
        for index, price in zip(self.forms, cost, strict=True):
            self.objective.SetCoefficient(self.columns[index], float(self.value[index] - price))
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        objective = self.value.copy()
        objective[self.forms] -= cost
        duals = np.array([row.dual_value() for row in self.rows])
        bound = min(self._bound(objective, duals), self._bound(objective, -duals))
        shares = np.array([self.columns[i].solution_value() for i in self.forms])
        return bound, np.clip(shares, 0.0, 1.0)

    def _bound(self, objective: np.ndarray, duals: np.ndarray) -> float:
        """The bound any duals give (weak duality; inf where they leave it unbounded)."""
        rows, cols, coeffs = self.matrix
        reduced = objective - np.bincount(
            cols, weights=coeffs * duals[rows], minlength=len(objective)
        )
        with np.errstate(invalid="ignore"):
            on_rows = np.where(duals > 0, duals * self.row_high, duals * self.row_low)
            on_columns = np.where(reduced > 0, reduced * self.high, reduced * self.low)
        on_rows[duals == 0] = 0.0
        on_columns[reduced == 0] = 0.0
        total = float(on_rows.sum() + on_columns.sum()) + self.offset
        return total if np.isfinite(total) and abs(total) < _HUGE else float("inf")


__all__ = ["LinearSubproblem"]
