"""Solver options: time limit, seed, workers, and what makes a run reproducible."""

from __future__ import annotations

import os
from dataclasses import dataclass


def default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


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

    @property
    def num_workers(self) -> int:
        return self.workers or default_workers()
