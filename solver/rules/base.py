"""What a rule is to the solver: an id, and the functions that enforce or price it.

A rule has up to two functions:

* ``check(candidate, ctx)``: the rule read on one candidate delegation alone, before the
  search (a late request, a bad invitation, two leaders of one unit, three continents).
  It returns :class:`Finding` records: with the rule hard, the candidate never enters the
  model (a lone request is then *ineligible*, with the findings as its reasons); with the
  rule soft, each finding becomes a fixed cost on forming the candidate.
* ``post(m)``: constraints or costs that tie candidates together (a person in two groups,
  two groups in one country, quotas, budgets), posted on the CP-SAT model.
* ``explain(candidate, rivals, ctx)``: for a rule that ``post`` enforces, the facts that
  tie a rejected request to the approved trips that keep it out (``solver.explain``).

Citations and titles come from the shared catalogue (``models/data/rules.yaml``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from models.catalogue import rule_info
from models.policy import Policy
from models.scenario import Request, Scenario
from models.text import Place, Region, T, Text, clauses

__all__ = [
    "Context",
    "Finding",
    "Place",
    "Region",
    "Rule",
    "T",
    "Text",
    "clauses",
    "rival_ids",
    "stay_dates",
    "trip_dates",
]

if TYPE_CHECKING:
    from solver.candidates import Candidate, Placed
    from solver.model import ModelContext


@dataclass(frozen=True)
class Finding:
    """One breach of a rule by a candidate: what, by which requests, and how much."""

    rule: str
    text: Text
    requests: tuple[str, ...] = ()
    units: int = 1  # amount of violation, for soft costs (stops, days, sub-regions ...)

    @property
    def message(self) -> str:
        """The finding in English (``text.render(lang)`` for the others)."""
        return self.text.render("en")


@dataclass
class Context:
    """What a static check reads: the scenario and the policy."""

    scenario: Scenario
    policy: Policy
    #: (request, rule) exceptions beyond the scenario's, for repairs that try one
    waivers: frozenset[tuple[str, str]] = frozenset()

    @cached_property
    def all_waivers(self) -> frozenset[tuple[str, str]]:
        """The (request, rule) pairs waived here: the scenario's exceptions and ``waivers``
        (read once: the merge graph asks millions of times, mostly of none)."""
        return self.waivers | self.scenario.exception_set

    def waived(self, request: Request | str, rule: str) -> bool:
        rid = request if isinstance(request, str) else request.id
        return (rid, rule) in self.all_waivers

    def any_waived(self, candidate: Candidate, rule: str) -> bool:
        waivers = self.all_waivers
        return bool(waivers) and any((r.id, rule) in waivers for r in candidate.requests)


CheckFn = Callable[["Candidate", Context], list[Finding]]
PostFn = Callable[["ModelContext"], None]
#: the facts of a conflict between a request and approved trips, for its reason:
#: (message, the rivals this rule ties it to), or None when the rule ties it to none
ExplainFn = Callable[["Candidate", "list[Placed]", Context], "tuple[Text, tuple[str, ...]] | None"]


@dataclass(frozen=True)
class Rule:
    id: str
    check: CheckFn | None = None
    post: PostFn | None = None
    explain: ExplainFn | None = None
    severities: tuple[str, ...] = field(default=("hard", "soft", "off"))
    #: its constraints tie one trip's dates to another trip's (no-overlaps). Leaving these
    #: rules out gives a relaxation that the search solves in seconds (``solver.warmstart``)
    links_dates: bool = False
    #: what the relaxation keeps of a rule that links dates: rows its constraints imply on
    #: ``form`` alone (``solver.rules.energy``), so the relaxation's bound stays near a plan
    relax: PostFn | None = None

    @property
    def citation(self) -> str:
        return rule_info(self.id).citation

    @property
    def title(self) -> str:
        return rule_info(self.id).title


def rival_ids(rivals: list[Placed]) -> tuple[str, ...]:
    """The request ids of some approved trips, in order, each once."""
    return tuple(dict.fromkeys(rid for p in rivals for rid in p.candidate.request_ids))


def stay_dates(p: Placed, code: str, year: int) -> tuple[dt.date, dt.date]:
    """First and last day a placed trip spends in a country."""
    from solver.candidates import day_date

    offset, days = p.candidate.country_span(code)
    return day_date(year, p.start + offset), day_date(year, p.start + offset + days - 1)


def trip_dates(p: Placed, year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a placed trip, travel included."""
    from solver.candidates import day_date

    return day_date(year, p.start), day_date(year, p.start + p.candidate.length - 1)
