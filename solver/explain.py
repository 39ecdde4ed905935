"""Why each request was rejected.

Two kinds of answer (RULES.md, Severities; INTERFACE.md §2):

* **ineligible**: the request breaks a rule on its own (late, no invitation, too few
  tasks, a quota used up by history). The screening's findings are its reasons.
* **crowded out**: it fits alone, but not beside the approved plan. For every start date
  in its window we ask the independent auditor what would break if it were added on that
  date, and report the date where the least breaks: the rules, and the approved requests
  it would clash with (``with``).

A request that would break nothing on some date was left out because its soft costs
outweigh its value (``not_worth``), or, when the search stopped at its time limit, because
the search did not get to it (``time_limit``); both are said as such.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from models.audit import Auditor, Trip, Violation
from models.catalogue import rule_info
from models.plan import Reason
from models.trip import lay_out
from solver.candidates import Candidate, day_date, day_number
from solver.objective import request_value
from solver.rules import Finding
from solver.rules.geography import holiday_table


def ineligible_reasons(findings: list[Finding]) -> list[Reason]:
    """Reasons for a request that breaks rules on its own."""
    by_rule: dict[str, list[str]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f.message)
    return [
        Reason(
            rule=rule, citation=rule_info(rule).citation, message="; ".join(msgs), kind="ineligible"
        )
        for rule, msgs in by_rule.items()
    ]


def _trip_at(c: Candidate, start: dt.date) -> Trip:
    dates = lay_out(start, c.stops, c.travel_days)
    return Trip(f"?{c.id}", c.requests, c.head, c.travellers, dates.start, dates.end, dates.stops)


def _reasons_from(violations: list[Violation], start: dt.date) -> list[Reason]:
    by_rule: dict[str, list[Violation]] = defaultdict(list)
    for v in violations:
        by_rule[v.rule].append(v)
    out = []
    for rule, group in by_rule.items():
        rivals = tuple(dict.fromkeys(r for v in group for r in v.with_))
        messages = list(dict.fromkeys(v.message for v in group))
        shown = "; ".join(messages[:3]) + (
            f"; and {len(messages) - 3} more" if len(messages) > 3 else ""
        )
        out.append(
            Reason(
                rule=rule,
                citation=rule_info(rule).citation,
                message=f"starting {start}: {shown}",
                with_=rivals,
                kind="crowded_out",
            )
        )
    return out


class Explainer:
    """Explains rejections of one solved scenario against its approved trips."""

    def __init__(
        self,
        auditor: Auditor,
        approved_trips: list[Trip],
        optimal: bool,
        static_costs: dict[str, list[tuple[str, int, str]]],
    ):
        self.auditor = auditor
        self.trips = approved_trips
        self.optimal = optimal
        self.static_costs = static_costs

    def crowded_out(self, c: Candidate) -> list[Reason]:
        """The reasons of a request that fits alone but was not approved."""
        scenario = self.auditor.s
        year = scenario.year
        preferred = next((r.preferred_start for r in c.requests if r.preferred_start), None)
        target = day_number(year, preferred) if preferred else c.earliest
        best: tuple[int, int, int] | None = None
        best_violations: list[Violation] = []
        for number in range(c.earliest, c.latest + 1):
            start = day_date(year, number)
            violations = self.auditor.check(self.trips, focus=[_trip_at(c, start)])
            key = (len({v.rule for v in violations}), len(violations), abs(number - target))
            if best is None or key < best:
                best, best_violations = key, violations
                best_start = start
            if key[0] == 0 and key[2] == 0:
                break
        if best is None:
            return []
        if best_violations:
            return _reasons_from(best_violations, best_start)
        return [self._free_but_left_out(c, best_start)]

    def _free_but_left_out(self, c: Candidate, start: dt.date) -> Reason:
        scenario = self.auditor.s
        policy = self.auditor.p
        value = sum(request_value(r, policy) for r in c.requests)
        costs = [(rule, w, msg) for rule, w, msg in self.static_costs.get(c.id, [])]
        if policy.soft("GEO-HOLIDAY"):
            table = holiday_table(c, scenario.year)
            days = table[day_number(scenario.year, start) - c.earliest]
            if days:
                costs.append(
                    (
                        "GEO-HOLIDAY",
                        days * policy.rule("GEO-HOLIDAY").weight,
                        f"{days} day(s) on host-country holidays",
                    )
                )
        total = sum(w for _, w, _ in costs)
        if costs and total >= value:
            rule, _, _ = max(costs, key=lambda x: x[1])
            detail = "; ".join(f"{r} {w} ({m})" for r, w, m in costs)
            return Reason(
                rule=rule,
                citation=rule_info(rule).citation,
                kind="not_worth",
                message=f"it fits from {start}, but its soft costs {total} "
                f"({detail}) outweigh its value {value}",
            )
        kind = "time_limit" if not self.optimal else "not_worth"
        msg = (
            f"it fits from {start} and breaks no hard rule; the search stopped at its time "
            "limit before placing it"
            if kind == "time_limit"
            else f"it fits from {start}, but approving it would lower the plan's value: its "
            f"value {value} does not cover the soft costs it adds beside approved groups"
        )
        rule = costs[0][0] if costs else "TIME-WINDOW"
        return Reason(rule=rule, citation=rule_info(rule).citation, message=msg, kind=kind)
