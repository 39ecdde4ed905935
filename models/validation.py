"""Cross-reference checks of a scenario against itself and its policy.

Pydantic checks each record alone; this module checks what ties records together
(unknown or duplicate ids, windows outside the year, exceptions naming unknown rules) and
warns of ranks that look misspelt. Ranks are open: a rank the policy does not name has no
quota (staff, experts), so an unknown rank is only a warning, and only when it is close to
a known one.
"""

from __future__ import annotations

import difflib
from collections import Counter

from models.catalogue import rule_catalogue
from models.errors import Problem
from models.policy import Policy
from models.scenario import Scenario

#: Ranks without quotas that are common enough not to be mistaken for a misspelling.
UNCAPPED_RANKS = frozenset({"staff", "expert", "interpreter", "official", "researcher"})


def _duplicates(file: str, label: str, ids: list[str]) -> list[Problem]:
    return [
        Problem(file, f"{label} {key}", "id", f"duplicate id: {count} {label} records use it")
        for key, count in Counter(ids).items()
        if count > 1
    ]


def check_scenario(scenario: Scenario, policy: Policy, file: str) -> list[Problem]:
    """Every cross-reference problem (errors) and suspicious value (warnings)."""
    out: list[Problem] = []
    out += _duplicates(file, "unit", [u.id for u in scenario.units])
    out += _duplicates(file, "person", [p.id for p in scenario.people])
    homes: dict[str, list[str]] = {}
    for p in scenario.people:
        homes.setdefault(p.id, []).append(p.unit)
    out += [
        Problem(
            file,
            f"person {pid}",
            "unit",
            f"in {len(set(units))} units ({', '.join(dict.fromkeys(units))}): a person belongs "
            "to one unit; list them once",
        )
        for pid, units in homes.items()
        if len(set(units)) > 1
    ]
    out += _duplicates(file, "request", [r.id for r in scenario.requests])
    out += _duplicates(file, "catalogue item", [c.id for c in scenario.catalogue])
    units = scenario.unit_by_id
    people = scenario.person_by_id
    known_ranks = policy.quota_ranks()

    for person in scenario.people:
        where = f"person {person.id}"
        if person.unit not in units:
            out.append(Problem(file, where, "unit", f"unknown unit {person.unit!r}"))
        if person.rank not in known_ranks and person.rank not in UNCAPPED_RANKS:
            close = difflib.get_close_matches(person.rank, sorted(known_ranks), n=1, cutoff=0.75)
            if close:
                msg = (
                    f"rank {person.rank!r} has no quota in {policy.id}; did you mean {close[0]!r}?"
                )
                out.append(Problem(file, where, "rank", msg, level="warning"))

    for i, trip in enumerate(scenario.history):
        if trip.person not in people:
            out.append(
                Problem(file, f"history trip #{i + 1}", "person", f"unknown person {trip.person!r}")
            )

    for req in scenario.requests:
        out += _check_request(scenario, req, file)

    for i, exc in enumerate(scenario.exceptions):
        where = f"exception #{i + 1}"
        if exc.request not in scenario.request_by_id:
            out.append(Problem(file, where, "request", f"unknown request {exc.request!r}"))
        if exc.rule not in rule_catalogue():
            out.append(Problem(file, where, "rule", f"unknown rule id {exc.rule!r}"))
    return out


def _check_request(scenario: Scenario, req, file: str) -> list[Problem]:
    out: list[Problem] = []
    where = f"request {req.id}"
    people = scenario.person_by_id
    if req.unit not in scenario.unit_by_id:
        out.append(Problem(file, where, "unit", f"unknown unit {req.unit!r}"))
    if req.head not in people:
        out.append(Problem(file, where, "head", f"unknown person {req.head!r}"))
    for j, member in enumerate(req.members):
        if member not in people:
            out.append(Problem(file, where, f"members[{j}]", f"unknown person {member!r}"))
    if req.catalogue is not None and req.catalogue not in scenario.catalogue_by_id:
        out.append(Problem(file, where, "catalogue", f"unknown catalogue id {req.catalogue!r}"))
    lo, hi = req.window
    if lo < scenario.year_start or hi > scenario.year_end:
        out.append(
            Problem(
                file, where, "window", f"{lo}..{hi} is not inside the planning year {scenario.year}"
            )
        )
    if req.preferred_start is not None and not lo <= req.preferred_start <= hi:
        out.append(
            Problem(
                file,
                where,
                "preferred_start",
                f"{req.preferred_start} is outside the window {lo}..{hi}",
            )
        )
    travellers = set(req.travellers)
    for s, stop in enumerate(req.stops):
        for t, task in enumerate(stop.tasks):
            if task.by is None:
                continue
            field = f"stops[{s}].tasks[{t}].by"
            if task.by not in people:
                out.append(Problem(file, where, field, f"unknown person {task.by!r}"))
            elif task.by not in travellers:
                out.append(
                    Problem(
                        file, where, field, f"{task.by!r} is not in this request's group", "warning"
                    )
                )
    return out
