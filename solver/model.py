"""The CP-SAT model's variables, created in one place with names that read like the domain.

For each candidate delegation ``c``: ``form[c]`` (it is formed), ``start[c]`` (its first
day, a day number of the year), ``trip[c]`` (an optional interval over the whole trip,
travel days included) and ``stay[c,XX]`` (an optional interval over its days in country
XX). For each request ``r``: ``approve[r]``, true when one candidate holding it is formed.
A conflict set or a log line thus reads ``approve[R-014]`` or ``stay[R-014,DE]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from models.policy import Policy
from models.scenario import Scenario
from models.text import Text
from solver.candidates import Candidate

if TYPE_CHECKING:  # solver.rules imports this module
    from solver.rules.energy import Stay


@dataclass(frozen=True)
class CostTerm:
    """One priced term of the objective: ``weight * var`` for a soft rule."""

    rule: str
    candidate: str
    requests: tuple[str, ...]
    weight: int
    var: cp_model.IntVar
    message: Text | None = None  # None: the facts are read from the solution
    #: a cost shared by several candidates (a topic several groups work on): their ids.
    #: ``candidate`` is then empty and the facts are read from the solution.
    group: tuple[str, ...] = ()
    #: the term's true amount (before ``weight``) in a solution, given ``solver.value``,
    #: when ``var`` is only bounded from below (``var >= ...``): the search is much faster
    #: on such terms than on equalities, and a plan short of optimal may carry slack in
    #: ``var``, so the plan reports this instead (``solver.readback.read_plan``)
    exact: Callable[[Callable[[Any], int]], int] | None = None


class CpModel(cp_model.CpModel):
    """OR-Tools' model without the camelCase aliases it gives every model it makes.

    ``cp_model.CpModel()`` sets a deprecated alias on each new model for each of its
    ``add_``, ``new_`` and ``clear_`` methods, looking every method up: 0.66 ms a model.
    Explaining a rejection builds two or three small models, and at 20,000 requests
    leaving the aliases out made it 5-13% quicker (benchmarks/findings.md, "Minimal
    conflicts on the core's trips"). Nothing here calls the aliases.

    Each alias held its model, so every model lived on until Python's cycle collector
    came by; now a model goes as soon as nothing holds it, and its ``proto`` with it.
    Hold the model, not only its ``proto``, for as long as the message is read.
    """

    def _add_pre_pep8_methods(self) -> None:
        """No aliases: they are all the cost."""


@dataclass
class ModelContext:
    """Everything a rule's ``post`` needs: the model, its variables, the data."""

    scenario: Scenario
    policy: Policy
    candidates: list[Candidate]
    model: cp_model.CpModel = field(default_factory=CpModel)
    form: dict[str, cp_model.IntVar] = field(default_factory=dict)
    approve: dict[str, cp_model.IntVar] = field(default_factory=dict)
    start: dict[str, cp_model.IntVar] = field(default_factory=dict)
    trip: dict[str, cp_model.IntervalVar] = field(default_factory=dict)
    stay: dict[tuple[str, str], cp_model.IntervalVar] = field(default_factory=dict)
    #: per candidate with a preferred start: ``(shift, target)``, where ``shift`` is at least
    #: the days between ``start`` and ``target``, the preferred start as a day number
    #: (``solver.objective.create_shifts``; empty when dates cost nothing)
    shift: dict[str, tuple[cp_model.IntVar, int]] = field(default_factory=dict)
    #: in a relaxation: the stays of each no-overlap it left out (per country, per person),
    #: by name, for the displacement rows its second round adds (``solver.warmstart.tighten``)
    left_out: list[tuple[str, list[Stay]]] = field(default_factory=list)
    costs: list[CostTerm] = field(default_factory=list)
    #: constraints that hold in every plan and only bound the objective (the relaxation's
    #: proved bound): an improvement step's model leaves them out (``solver.steps``)
    cuts: list[int] = field(default_factory=list)
    #: fixed costs per candidate from soft static findings: (rule, weight, message)
    static_costs: dict[str, list[tuple[str, int, Text]]] = field(default_factory=dict)
    #: (request, rule) exceptions beyond the scenario's, for repairs that try one
    waivers: frozenset[tuple[str, str]] = frozenset()
    #: the expression maximised (set by ``solver.objective``)
    objective: cp_model.LinearExprT = 0
    #: cost terms as equalities (exact in every solution) or as lower bounds (``CostTerm.exact``
    #: then gives the true amount); set by ``solver.build.build_model`` by size
    exact_costs: bool = True
    #: maximise the approved requests' value alone (``--objective approvals``): no soft
    #: costs, no date distances, no merge bonus in the objective
    approvals_only: bool = False
    _by_id: dict[str, Candidate] = field(default_factory=dict, repr=False)

    @property
    def by_id(self) -> dict[str, Candidate]:
        """Candidates by id (the candidate list is fixed once the model is built)."""
        if len(self._by_id) != len(self.candidates):
            self._by_id = {c.id: c for c in self.candidates}
        return self._by_id

    def excepted(self, request_id: str, rule: str) -> bool:
        return (request_id, rule) in self.waivers or self.scenario.excepted(request_id, rule)

    def waived(self, candidate: Candidate, rule: str) -> bool:
        return any(self.excepted(r.id, rule) for r in candidate.requests)

    def grouped(
        self, rule: str, keys: Callable[[Candidate], Iterable[str]]
    ) -> dict[str, list[Candidate]]:
        """The candidates a rule binds, under each of their keys (a country, a person), in
        key order; candidates with an exception to the rule are left out. A rule's
        constraints and the relaxation's rows for it (``Rule.relax``) read the same groups."""
        groups: dict[str, list[Candidate]] = {}
        for c in self.candidates:
            if not self.waived(c, rule):
                for key in keys(c):
                    groups.setdefault(key, []).append(c)
        return dict(sorted(groups.items()))

    def add_cost(
        self,
        rule: str,
        c: Candidate,
        weight: int,
        var: cp_model.IntVar,
        message: Text | None = None,
        exact: Callable[[Callable[[Any], int]], int] | None = None,
    ) -> None:
        if weight > 0:
            self.costs.append(
                CostTerm(rule, c.id, c.request_ids, weight, var, message, exact=exact)
            )

    def add_topic_cost(
        self,
        rule: str,
        weight: int,
        var: cp_model.IntVar,
        group: list[str],
        topic: Text,
        exact: Callable[[Callable[[Any], int]], int] | None = None,
    ) -> None:
        """A cost on what several candidates do together (``topic`` says what they share)."""
        if weight > 0:
            by_id = self.by_id
            requests = tuple(dict.fromkeys(r for cid in group for r in by_id[cid].request_ids))
            self.costs.append(CostTerm(rule, "", requests, weight, var, topic, tuple(group), exact))


def create_variables(m: ModelContext) -> None:
    """All decision variables, and the link between candidates and approvals."""
    model = m.model
    for c in m.candidates:
        form = model.new_bool_var(f"form[{c.id}]")
        start = model.new_int_var(c.earliest, c.latest, f"start[{c.id}]")
        m.form[c.id] = form
        m.start[c.id] = start
        m.trip[c.id] = model.new_optional_fixed_size_interval_var(
            start, c.length, form, f"trip[{c.id}]"
        )
        for code in c.countries:
            offset, size = c.country_span(code)
            m.stay[(c.id, code)] = model.new_optional_fixed_size_interval_var(
                start + offset, size, form, f"stay[{c.id},{code}]"
            )
    holders: dict[str, list[cp_model.IntVar]] = {}
    for c in m.candidates:
        for rid in c.request_ids:
            holders.setdefault(rid, []).append(m.form[c.id])
    for rid, forms in holders.items():
        if len(forms) == 1:
            m.approve[rid] = forms[0]
        else:
            approve = model.new_bool_var(f"approve[{rid}]")
            model.add(sum(forms) == approve)
            m.approve[rid] = approve
