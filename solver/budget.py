"""How a budget of wall-clock seconds for the whole solve is shared out.

``--time-limit`` is the search's time; explanations and the read-back come on top of it
(at 5,000 requests a 120 s search took 203 s in all). A planner who must have the plan by
a given time gives a budget instead (``SolveOptions.budget``, the command line's
``--deadline``): the search gets most of it, the explanations what the search leaves,
and the rejections still without reasons when that runs out get the auditor's quick
reasons, which are reserved for from the start.

The per-item figures are measured on a 2-core machine (benchmarks/findings.md, "A
deadline for the whole command"), with room to spare: the auditor's quick reasons took
0.4-0.55 ms a rejection on two workers (2,219 at 5,000 requests in 0.9 s, 14,304 at
20,000 in 7.8 s).
"""

from __future__ import annotations

import time
from dataclasses import replace

from solver.options import SolveOptions

#: the search's share of the budget once the read-back is reserved; the explanations get
#: the rest, and more when the search ends early (a proved optimum)
SEARCH_SHARE = 0.8
#: seconds a rejection's quick reasons take (``Explainer.quick``), with room
QUICK_SECONDS = 0.001
#: seconds a request takes in the read-back after its explanations (costs, the plan's
#: own audit), with room
READBACK_SECONDS = 0.0002
#: seconds kept back whatever the size: the search's last step and CP-SAT's stop
MARGIN_SECONDS = 1.0
#: the least search: a plan needs the relaxation or the clerk's plan at the very least
LEAST_SEARCH = 1.0
#: the least a phase of a search run in phases gets (``Phases``): a what-if tier that
#: finds nothing in it leaves the last whole plan as the answer
LEAST_PHASE = 0.5


def reserved(rejections: int, requests: int) -> float:
    """Seconds to keep for the read-back: every rejection's quick reasons and the rest."""
    return rejections * QUICK_SECONDS + requests * READBACK_SECONDS + MARGIN_SECONDS


def _share(budget: float, requests: int) -> float:
    """The search's share of what is left once the read-back is reserved as if every
    request were rejected (before the search, how many will be is not known)."""
    return SEARCH_SHARE * (budget - reserved(requests, requests))


def search_limit(budget: float, requests: int) -> float:
    """The search's time limit within ``budget``: its share, or its least."""
    return max(LEAST_SEARCH, _share(budget, requests))


def squeezed(budget: float, requests: int) -> bool:
    """Whether ``budget`` leaves the search no more than its least (``search_limit``)."""
    return _share(budget, requests) <= LEAST_SEARCH


def explain_limit(left: float, rejections: int, requests: int) -> float:
    """The explanations' time limit when ``left`` seconds of the budget remain and the
    plan rejects ``rejections`` of ``requests``: what remains once their quick reasons and
    the read-back are reserved; 0 (quick reasons only) when nothing does."""
    return max(0.0, left - reserved(rejections, requests))


def within_budget(
    options: SolveOptions, began: float, requests: int
) -> tuple[SolveOptions, float | None]:
    """``options`` with the search's share of its budget as the time limit (or
    ``time_limit`` if that is less), and the budget's end on ``time.perf_counter``'s
    clock counted from ``began``; ``options`` as they are and None without a budget."""
    if options.budget is None:
        return options, None
    limit = min(options.time_limit, search_limit(options.budget, requests))
    return replace(options, time_limit=round(limit, 1)), began + options.budget


class Phases:
    """A search's time shared among phases run in turn (a what-if's tiers and its
    questions about conflicting changes).

    Each phase gets an even share of what is left when it starts, so one that ends early
    (a proved tier) leaves its time to those after it, and the last ends by ``end`` (on
    ``time.perf_counter``'s clock) unless every phase is down to ``LEAST_PHASE``.
    """

    def __init__(self, end: float, count: int) -> None:
        self.end = end
        self.count = count

    def next(self) -> float:
        """The seconds of the phase that starts now."""
        left = self.end - time.perf_counter()
        share = left / max(1, self.count)
        self.count -= 1
        return max(LEAST_PHASE, share)

    def rest(self) -> float:
        """The seconds of the last phase: all that is left, whatever was skipped."""
        self.count = 0
        return max(LEAST_PHASE, self.end - time.perf_counter())


__all__ = ["Phases", "explain_limit", "reserved", "search_limit", "squeezed", "within_budget"]
