"""The plan (INTERFACE.md §2): delegations, one decision per request, costs, exceptions.

A plan is data: it can be written by the solver, read back, and audited by
``models.audit`` without any solver. Extra fields beyond §2 (value, gap, notes,
solver parameters) extend the contract and never replace a field of it.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class PlanStop(_Model):
    country: str
    start: dt.date
    end: dt.date


class Savings(_Model):
    """What a composite delegation saves against its requests going alone.

    ``cost`` is an estimate (``method`` says how): each request's cost spread over its
    person-days, each merged traveller counted once for the merged trip's days.
    """

    delegations: int
    leader_trips: int
    travel_days: int
    cost: int
    method: str = "requests' costs per person-day; merged travellers counted once"


class Delegation(_Model):
    id: str
    requests: tuple[str, ...]
    head: str
    members: tuple[str, ...] = ()
    start: dt.date
    end: dt.date
    stops: tuple[PlanStop, ...]
    #: a composite delegation (several requests): what merging them saves
    savings: Savings | None = None

    @property
    def travellers(self) -> tuple[str, ...]:
        return (self.head, *self.members)


class Reason(_Model):
    """Why a request was rejected: a rule, its article, the facts, and its rivals.

    ``kind``: ``ineligible`` (it breaks the rule on its own), ``crowded_out`` (it fits
    alone; the approved requests in ``with`` keep it out under this rule: part of a
    minimal conflict found by the solver), ``not_worth`` (it fits, but its soft costs outweigh its
    value) or ``time_limit`` (it fits; the search stopped before placing it).
    ``quote`` is the article's sentence in the regulation's own language.
    """

    rule: str
    citation: str
    message: str
    message_zh: str | None = None
    message_vi: str | None = None
    quote: str = ""
    with_: tuple[str, ...] = Field(default=(), alias="with")
    kind: Literal["ineligible", "crowded_out", "not_worth", "time_limit"] = "ineligible"
    #: crowded out: which minimal conflict this reason belongs to (1, 2 ...). A request
    #: may be kept out in several independent ways (a quota and a budget); the reasons of
    #: one conflict together are minimal: drop any of their rules or rivals and that
    #: conflict is gone.
    conflict: int | None = None


class Move(_Model):
    """A trip a repair would move (``after`` a date) or reject (``after`` null)."""

    request: str
    before: dt.date
    after: dt.date | None = None


class Repair(_Model):
    """One change that would get a rejected request approved, checked by a re-solve.

    ``kind``: ``move_window`` (approve it on dates outside its window), ``drop_member``,
    ``split_country``, ``exception`` (individual approval against a named rule),
    ``move_rival`` or ``reject_rival``. ``change`` says what to change; ``start``/``end``
    are the request's dates once approved; ``moves`` lists the approved trips it would
    move or reject. Repairs are ranked by ``disturbance``: trips rejected, then moved.
    """

    kind: Literal[
        "move_window", "drop_member", "split_country", "exception", "move_rival", "reject_rival"
    ]
    change: dict[str, str]
    message: str
    message_zh: str | None = None
    message_vi: str | None = None
    start: dt.date
    end: dt.date
    moves: tuple[Move, ...] = ()
    disturbance: int = 0


class Decision(_Model):
    request: str
    status: Literal["approved", "rejected"]
    delegation: str | None = None
    reasons: tuple[Reason, ...] = ()
    repairs: tuple[Repair, ...] = ()


class Cost(_Model):
    rule: str
    request: str
    cost: int
    message: str
    message_zh: str | None = None
    message_vi: str | None = None
    citation: str = ""
    quote: str = ""


class ExceptionUsed(_Model):
    request: str
    rule: str


class Note(_Model):
    """Something the plan reports without refusing it (e.g. a cross-level group, PERS-DUAL)."""

    rule: str
    delegation: str
    message: str


class Difference(_Model):
    """One way a request's outcome differs from the baseline plan (what-if runs)."""

    request: str
    field: Literal["decision", "delegation", "dates", "countries", "head"]
    before: str | None = None
    after: str | None = None


class RefusedChange(_Model):
    """An adjustment request not carried out, with its rule and article."""

    change: int  # its number in the changes file, from 1
    request: str
    rule: str
    citation: str
    message: str


class WhatIf(_Model):
    """What a re-plan did with the adjustment requests, and what it disturbed."""

    granted: tuple[str, ...] = ()  # changed or added requests approved in the re-plan
    not_granted: tuple[str, ...] = ()  # changed or added requests the rules keep out
    refused: tuple[RefusedChange, ...] = ()
    disturbed: int = 0  # baseline trips rejected, moved, re-headed, re-routed or re-merged
    disturbance_proved_minimal: bool = False
    shift_days: int = 0  # total days the kept baseline trips moved
    #: pairs of adjustment requests the rules allow one at a time but not both
    conflicting: tuple[tuple[str, str], ...] = ()


class Plan(_Model):
    scenario: str
    policy: str
    status: Status
    objective: int | None = None
    bound: int | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    delegations: tuple[Delegation, ...] = ()
    decisions: tuple[Decision, ...] = ()
    costs: tuple[Cost, ...] = ()
    exceptions_used: tuple[ExceptionUsed, ...] = ()
    notes: tuple[Note, ...] = ()
    solver: dict[str, Any] = {}
    #: what-if runs only (INTERFACE.md §3): the differences from the baseline, per request
    diff: tuple[Difference, ...] = ()
    whatif: WhatIf | None = None

    def decision(self, request_id: str) -> Decision | None:
        for d in self.decisions:
            if d.request == request_id:
                return d
        return None

    @property
    def approved(self) -> list[str]:
        return [d.request for d in self.decisions if d.status == "approved"]

    @property
    def rejected(self) -> list[str]:
        return [d.request for d in self.decisions if d.status == "rejected"]

    def to_json(self) -> str:
        data = self.model_dump(mode="json", by_alias=True)
        if self.whatif is None:  # a plain solve: no what-if fields
            del data["diff"], data["whatif"]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def differences(before: Plan, after: Plan) -> list[Difference]:
    """Field by field, how each request's outcome changed from one plan to the other."""

    def facts(plan: Plan) -> dict[str, dict[str, str]]:
        out = {}
        for d in plan.delegations:
            for rid in d.requests:
                out[rid] = {
                    "decision": "approved",
                    "delegation": "+".join(d.requests),
                    "dates": f"{d.start}..{d.end}",
                    "countries": ",".join(s.country for s in d.stops),
                    "head": d.head,
                }
        for dec in plan.decisions:
            out.setdefault(dec.request, {"decision": dec.status})
        return out

    old, new = facts(before), facts(after)
    out = []
    for rid in sorted(set(old) | set(new)):
        a, b = old.get(rid, {}), new.get(rid, {})
        for field in ("decision", "delegation", "dates", "countries", "head"):
            if a.get(field) != b.get(field):
                out.append(
                    Difference(request=rid, field=field, before=a.get(field), after=b.get(field))
                )
    return out


def write_plan(plan: Plan, path: Path) -> None:
    """Write ``plan.json`` whole or not at all (a temporary file renamed into place)."""
    from models.files import write_atomic

    write_atomic(path, plan.to_json())
