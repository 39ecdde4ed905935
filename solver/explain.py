"""Why each request was rejected (RULES.md, Severities; INTERFACE.md §2).

Every rejected request gets reasons of one kind:

* **ineligible**: it breaks a rule on its own (late, no invitation, too few tasks, a
  quota used up by history). The static screening's findings are its reasons.
* **crowded out**: it fits alone, but not beside the approved plan. The solver finds a
  minimal conflict (``solver.local.find_conflict``): approved trips and rules that keep
  it out, such that dropping any one of them lets it past that conflict. Each rule of the
  conflict gives one reason, with its facts and the rival requests (``with``). A request
  can be kept out in several independent ways (a quota and a budget): each is found in
  turn and numbered (``conflict``: 1, 2 ...).
* **not worth** / **time limit**: nothing keeps it out, yet it was not approved: its soft
  costs outweigh its value, or the search stopped before it got to it. Said as such.

Messages are :class:`models.text.Text`, written in English and Chinese, and in
Vietnamese for a profile that writes Vietnamese; each reason quotes its article.
"""

from __future__ import annotations

from collections import defaultdict

from models.catalogue import quote_for, rule_info
from models.plan import Reason
from models.policy import Policy
from models.scenario import Scenario
from models.text import T, Text, clauses, render_all
from solver.candidates import Candidate, Placed, day_date
from solver.greedy import Greedy
from solver.local import Conflict, TripIndex, find_conflicts, fit
from solver.objective import candidate_value
from solver.rules import RULES_BY_ID, Context, Finding
from solver.rules.base import rival_ids
from solver.rules.geography import holiday_table


def make_reason(
    rule: str, text: Text, kind: str, policy: Policy, with_: tuple[str, ...] = ()
) -> Reason:
    """A reason with its citation, the article's words and the message in every language."""
    return Reason(
        rule=rule,
        citation=rule_info(rule).citation,
        quote=quote_for(rule, policy.languages),
        with_=with_,
        kind=kind,  # type: ignore[arg-type]
        **render_all(text, policy.languages),
    )


def ineligible_reasons(findings: list[Finding], policy: Policy) -> list[Reason]:
    """Reasons for a request that breaks rules on its own: one per rule, all its facts."""
    by_rule: dict[str, list[Text]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f.text)
    return [
        make_reason(rule, clauses(texts), "ineligible", policy) for rule, texts in by_rule.items()
    ]


def conflict_reasons(
    focus: Candidate, conflict: Conflict, ctx: Context, number: int = 1
) -> list[Reason]:
    """One reason per rule of a minimal conflict, each naming the rivals it ties in.

    Together the reasons name every rival and every rule of the conflict, so that
    ``with`` and the rules are exactly the set the solver proved minimal.
    """
    out = []
    tied_all: set[str] = set()
    everyone = rival_ids(list(conflict.rivals))
    for rule_id in conflict.rules:
        explain = RULES_BY_ID[rule_id].explain
        found = explain(focus, list(conflict.rivals), ctx) if explain else None
        if found is None:
            text = T("it cannot go beside {requests} under this rule", requests=list(everyone))
            tied: tuple[str, ...] = everyone
        else:
            text, tied = found
        tied_all.update(tied)
        reason = make_reason(rule_id, text, "crowded_out", ctx.policy, tied)
        out.append(reason.model_copy(update={"conflict": number}))
    missing = tuple(r for r in everyone if r not in tied_all)
    if missing:  # a rival no rule's facts mention: name it rather than hide it
        out = [reason.model_copy(update={"with_": (*reason.with_, *missing)}) for reason in out]
    return out


class Explainer:
    """Explains the rejections of one solved scenario against its approved trips."""

    def __init__(
        self,
        scenario: Scenario,
        policy: Policy,
        placed: list[Placed],
        optimal: bool,
        static_costs: dict[str, list[tuple[str, int, Text]]],
    ):
        self.scenario = scenario
        self.policy = policy
        self.ctx = Context(scenario, policy)
        self.placed = placed
        self.index = TripIndex(placed)
        self.optimal = optimal
        self.static_costs = static_costs
        self._greedy: Greedy | None = None  # the plan indexed for quick reasons

    def crowded_out(self, c: Candidate) -> tuple[list[Reason], list[Conflict]]:
        """The reasons of a request that fits alone but was not approved, and its conflicts."""
        conflicts = find_conflicts(self.scenario, self.policy, c, self.placed, index=self.index)
        if conflicts:
            reasons = [
                reason
                for number, conflict in enumerate(conflicts, start=1)
                for reason in conflict_reasons(c, conflict, self.ctx, number)
            ]
            return reasons, conflicts
        return [self._free_but_left_out(c)], []

    def beside_the_plan(self) -> Greedy:
        """The plan's trips, indexed for the auditor's checks of ``quick``: built once,
        on the first call (before worker processes are forked, they share it)."""
        if self._greedy is None:
            self._greedy = Greedy(self.scenario, self.policy)
            for p in self.placed:
                self._greedy.place(p.candidate, [p.start], check=False)
        return self._greedy

    def quick(self, c: Candidate) -> list[Reason]:
        """Reasons read from the auditor alone, for when the time for explanations is spent.

        The request is laid beside the plan on its preferred start (or the first of its
        window); every hard rule the auditor finds broken there is a reason, with the
        approved requests it clashes with. True, but neither minimal nor about every date
        of the window: ``delegplan check`` gives the minimal conflicts and repairs.
        """
        greedy = self.beside_the_plan()
        preferred = next((r.preferred_start for r in c.requests if r.preferred_start), None)
        day = c.earliest
        if preferred is not None:
            day = min(max((preferred - self.scenario.year_start).days, c.earliest), c.latest)
        broken = greedy.violations(c, day)
        if not broken:
            # the auditor found ``day`` free, and it is the start nearest the preferred
            # one: what ``fit`` would find, without a small model that could run out of
            # time in the one path meant to be sure
            return [self._free_but_left_out(c, start=day)]
        first = day_date(self.scenario.year, day)
        return [
            make_reason(
                v.rule,
                T(
                    "on {first} it would break the rule beside the plan: {facts} (the time "
                    "for explanations ran out; delegplan check gives the minimal conflicts "
                    "and repairs)",
                    first=first,
                    facts=v.message,
                ),
                "crowded_out",
                self.policy,
                tuple(v.with_),
            )
            for v in broken
        ]

    def _free_but_left_out(self, c: Candidate, start: int | None = None) -> Reason:
        """Why a request that fits beside the plan was left out; ``start`` when a free
        start nearest its preferred one is known already, else a small model finds it."""
        scenario, policy = self.scenario, self.policy
        if start is None:
            preferred = next((r.preferred_start for r in c.requests if r.preferred_start), None)
            if preferred is not None:
                day = (preferred - scenario.year_start).days
                target = (day, day)
            else:
                target = (c.earliest, c.earliest)
            where = fit(scenario, policy, c, self.placed, target=target, index=self.index)
            start = where.start if where else c.earliest
        value = candidate_value(c, policy)
        costs = list(self.static_costs.get(c.id, []))
        if policy.soft("GEO-HOLIDAY"):
            days = holiday_table(c, scenario.year)[start - c.earliest]
            if days:
                weight = days * policy.rule("GEO-HOLIDAY").weight
                costs.append(
                    ("GEO-HOLIDAY", weight, T("{days} day(s) on host-country holidays", days=days))
                )
        total = sum(w for _, w, _ in costs)
        first = day_date(scenario.year, start)
        if costs and total >= value:
            rule = max(costs, key=lambda x: x[1])[0]
            detail = [T("{rule} {cost} ({facts})", rule=r, cost=w, facts=m) for r, w, m in costs]
            text = T(
                "it fits from {first}, but its soft costs {total} ({detail}) outweigh its "
                "value {value}",
                first=first,
                total=total,
                detail=detail,
                value=value,
            )
            return make_reason(rule, text, "not_worth", policy)
        rule = costs[0][0] if costs else "TIME-WINDOW"
        if not self.optimal:
            text = T(
                "it fits from {first} and breaks no hard rule; the search stopped at its time "
                "limit before placing it",
                first=first,
            )
            return make_reason(rule, text, "time_limit", policy)
        text = T(
            "it fits from {first}, but approving it would lower the plan's value: its value "
            "{value} does not cover the soft costs it adds beside approved groups",
            first=first,
            value=value,
        )
        return make_reason(rule, text, "not_worth", policy)
