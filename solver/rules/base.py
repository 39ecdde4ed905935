"""What a rule is to the solver: an id, and the functions that enforce or price it.

A rule has up to two functions:

* ``check(candidate, ctx)``: the rule read on one candidate delegation alone, before the
  search (a late request, a bad invitation, two leaders of one unit, three continents).
  It returns :class:`Finding` records: with the rule hard, the candidate never enters the
  model (a lone request is then *ineligible*, with the findings as its reasons); with the
  rule soft, each finding becomes a fixed cost on forming the candidate.
* ``post(m)``: constraints or costs that tie candidates together (a person in two groups,
  two groups in one country, quotas, budgets), posted on the CP-SAT model.

Citations and titles come from the shared catalogue (``models/data/rules.yaml``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.catalogue import rule_info
from models.policy import Policy
from models.scenario import Request, Scenario

if TYPE_CHECKING:
    from solver.candidates import Candidate
    from solver.model import ModelContext


@dataclass(frozen=True)
class Finding:
    """One breach of a rule by a candidate: what, by which requests, and how much."""

    rule: str
    message: str
    requests: tuple[str, ...] = ()
    units: int = 1  # amount of violation, for soft costs (stops, days, sub-regions ...)


@dataclass
class Context:
    """What a static check reads: the scenario and the policy."""

    scenario: Scenario
    policy: Policy

    def waived(self, request: Request | str, rule: str) -> bool:
        rid = request if isinstance(request, str) else request.id
        return self.scenario.excepted(rid, rule)

    def any_waived(self, candidate: Candidate, rule: str) -> bool:
        return any(self.waived(r, rule) for r in candidate.requests)


CheckFn = Callable[["Candidate", Context], list[Finding]]
PostFn = Callable[["ModelContext"], None]


@dataclass(frozen=True)
class Rule:
    id: str
    check: CheckFn | None = None
    post: PostFn | None = None
    severities: tuple[str, ...] = field(default=("hard", "soft", "off"))

    @property
    def citation(self) -> str:
        return rule_info(self.id).citation

    @property
    def title(self) -> str:
        return rule_info(self.id).title
