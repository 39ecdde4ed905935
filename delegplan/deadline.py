"""``delegplan solve --deadline``: the whole command's wall-clock seconds.

A planner who must have the plan by a given time cares about the whole command, not the
search alone: loading comes before the search, and explanations and writing after it.
The command's clock starts as it is called; what is left of the deadline after loading,
less the time writing will take, is the solve's budget, which ``solver.budget`` shares
between the search and the explanations.
"""

from __future__ import annotations

import math
import time

#: ``--time-limit`` when neither it nor ``--deadline`` is given
DEFAULT_TIME_LIMIT = 30.0

#: seconds a request takes to render and write plan.json and the reports and to audit
#: the written plan, with room: measured 0.6 ms (3.0 s at 5,000 requests, 12.5 s at
#: 20,000; the workbook takes nearly half)
WRITING_SECONDS = 0.001
#: the same with ``--no-reports``: plan.json and its audit alone (0.4 s at 5,000 requests)
PLAN_ONLY_SECONDS = 0.0002
#: seconds kept back whatever the size: closing files, the summary, leaving the process
MARGIN_SECONDS = 0.5


def writing_seconds(requests: int, reports: bool) -> float:
    """Seconds to keep for writing and auditing the plan of ``requests`` requests."""
    each = WRITING_SECONDS if reports else PLAN_ONLY_SECONDS
    return MARGIN_SECONDS + requests * each


def solve_budget(deadline: float, started: float, requests: int, reports: bool) -> float:
    """The solve's budget: ``deadline`` seconds from ``started`` (``time.perf_counter``),
    less what has passed and what writing will take."""
    return deadline - (time.perf_counter() - started) - writing_seconds(requests, reports)


def search_seconds(time_limit: float | None, deadline: float | None) -> float:
    """The search's limit: ``--time-limit`` when given; else none of its own under a
    deadline (the search's share of it alone bounds it), else ``DEFAULT_TIME_LIMIT``."""
    if time_limit is not None:
        return time_limit
    return math.inf if deadline is not None else DEFAULT_TIME_LIMIT


__all__ = ["DEFAULT_TIME_LIMIT", "search_seconds", "solve_budget", "writing_seconds"]
