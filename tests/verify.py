"""Independent checks of explanations and repairs, with the auditor only (no solver code).

* :func:`conflict_holds`: a crowded-out conflict is true and minimal. With the request on
  any date of its window beside the named rivals (on their plan dates), the named rules
  break; drop any one rival, or any one rule, and some date is clean again.
* :func:`apply_repair`: the plan and scenario a repair describes (the request added on
  the repair's dates, changed as the repair says; rivals moved or rejected), for the
  auditor to check.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from models.audit import Auditor, Trip
from models.plan import Decision, Delegation, Plan, PlanStop, Reason, Repair
from models.scenario import Request, Scenario
from models.trip import lay_out


def request_trip(r: Request, start: dt.date, tid: str = "?") -> Trip:
    dates = lay_out(start, [(s.country, s.days) for s in r.stops], r.travel_days)
    return Trip(tid, (r,), r.head, r.travellers, dates.start, dates.end, dates.stops)


def conflict_groups(decision: Decision) -> dict[int, tuple[set[str], set[str]]]:
    """conflict number -> (rules, rival request ids) of a crowded-out decision."""
    groups: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for reason in decision.reasons:
        if reason.kind == "crowded_out":
            assert reason.conflict is not None
            rules, rivals = groups[reason.conflict]
            rules.add(reason.rule)
            rivals.update(reason.with_)
    return dict(groups)


def _breaks(auditor: Auditor, rivals: list[Trip], focus: Trip, rules: set[str]) -> bool:
    return any(v.rule in rules for v in auditor.check(rivals, focus=[focus]))


def conflict_holds(
    scenario: Scenario,
    auditor: Auditor,
    plan: Plan,
    request_id: str,
    rules: set[str],
    rivals: set[str],
) -> tuple[bool, str]:
    """(True, "") when the conflict is true and minimal; else (False, what failed)."""
    r = scenario.request_by_id[request_id]
    trips = {t.id: t for t in auditor.trips_of(plan)}
    holder = {rid: d.id for d in plan.delegations for rid in d.requests}
    chosen = {holder[x] for x in rivals}
    length = (
        lay_out(r.window[0], [(s.country, s.days) for s in r.stops], r.travel_days).end
        - r.window[0]
    ).days
    starts = [
        r.window[0] + dt.timedelta(k) for k in range((r.window[1] - r.window[0]).days - length + 1)
    ]

    def blocked(delegations: set[str], rule_set: set[str]) -> bool:
        kept = [trips[d] for d in delegations]
        return all(_breaks(auditor, kept, request_trip(r, s), rule_set) for s in starts)

    if not blocked(chosen, rules):
        return False, "some date is clean with every named rival and rule"
    for d in chosen:
        if blocked(chosen - {d}, rules):
            return False, f"still blocked without {d}"
    for rule in rules:
        if blocked(chosen, rules - {rule}):
            return False, f"still blocked without rule {rule}"
    return True, ""


def apply_repair(
    scenario: Scenario, plan: Plan, request_id: str, repair: Repair
) -> tuple[Scenario, Plan]:
    """The scenario and plan once ``repair`` is carried out."""
    data = scenario.model_dump(by_alias=True)
    for raw in data["requests"]:
        if raw["id"] != request_id:
            continue
        if "remove_member" in repair.change:
            raw["members"] = [m for m in raw["members"] if m != repair.change["remove_member"]]
        if "remove_country" in repair.change:
            raw["stops"] = [
                s for s in raw["stops"] if s["country"] != repair.change["remove_country"]
            ]
        if "window" in repair.change:
            lo, hi = repair.change["window"].split("..")
            raw["window"] = [dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)]
    if "exception" in repair.change:
        for rule in repair.change["exception"].split(","):
            data["exceptions"] = [*data["exceptions"], {"request": request_id, "rule": rule}]
    changed = Scenario.model_validate(data)
    moves = {m.request: m for m in repair.moves}
    delegations = []
    for d in plan.delegations:
        key = "/".join(d.requests)
        move = moves.get(key)
        if move is not None and move.after is None:
            continue
        if move is not None:
            shift = move.after - d.start
            d = d.model_copy(
                update={
                    "start": d.start + shift,
                    "end": d.end + shift,
                    "stops": tuple(
                        PlanStop(country=s.country, start=s.start + shift, end=s.end + shift)
                        for s in d.stops
                    ),
                }
            )
        delegations.append(d)
    r = changed.request_by_id[request_id]
    trip = request_trip(r, repair.start)
    assert trip.end == repair.end, (trip.end, repair.end)
    delegations.append(
        Delegation(
            id="D-REPAIR",
            requests=(request_id,),
            head=r.head,
            members=r.members,
            start=trip.start,
            end=trip.end,
            stops=tuple(PlanStop(country=s.country, start=s.start, end=s.end) for s in trip.stops),
        )
    )
    placed = {rid: d.id for d in delegations for rid in d.requests}
    before = {d.request: d for d in plan.decisions}
    why = (Reason(rule="PLAN-STABILITY", citation="-", message="rejected by the repair"),)
    decisions = tuple(
        Decision(request=q.id, status="approved", delegation=placed[q.id])
        if q.id in placed
        else Decision(request=q.id, status="rejected", reasons=before[q.id].reasons or why)
        for q in changed.requests
    )
    return changed, plan.model_copy(
        update={"delegations": tuple(delegations), "decisions": decisions}
    )
