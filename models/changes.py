"""Adjustment requests against an approved plan (INTERFACE.md §3), and applying them.

During the year units ask to add, withdraw, move or change trips. A changes file lists
them (``op`` per change) with the date they were submitted, and optionally ``pins``: trips
(or one field of a trip: its dates or its head) the re-plan must not touch, e.g. because
visas are filed. ``apply_changes`` turns the scenario's data and the changes into the
scenario the re-plan solves; every reference is checked first, and a problem names the
changes file, the change (``change 3``) and the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.errors import Problem


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Add(_Change):
    op: Literal["add"]
    request: dict[str, Any]  # a request as in INTERFACE.md §1, validated with the scenario


class Withdraw(_Change):
    op: Literal["withdraw"]
    request: str


class MoveWindow(_Change):
    op: Literal["move"]
    request: str
    window: tuple[dt.date, dt.date]


class ReplaceHead(_Change):
    op: Literal["replace_head"]
    request: str
    head: str


class SetStops(_Change):
    op: Literal["set_stops"]
    request: str
    stops: list[dict[str, Any]]


class AddMember(_Change):
    op: Literal["add_member"]
    request: str
    person: str


class RemoveMember(_Change):
    op: Literal["remove_member"]
    request: str
    person: str


Change = Annotated[
    Add | Withdraw | MoveWindow | ReplaceHead | SetStops | AddMember | RemoveMember,
    Field(discriminator="op"),
]


class Pin(_Change):
    """A trip of the baseline the re-plan must keep: whole, or only its dates or its head."""

    request: str
    field: Literal["all", "dates", "head"] = "all"


class ChangeSet(_Change):
    submitted: dt.date | None = None
    changes: tuple[Change, ...] = ()
    pins: tuple[Pin, ...] = ()

    def request_id(self, change: Change) -> str:
        if isinstance(change, Add):
            return str(change.request.get("id", ""))
        return change.request


def check_references(
    changes: ChangeSet, data: dict[str, Any], baseline_ids: set[str], file: str
) -> list[Problem]:
    """Unknown requests and people, an added id that exists, pins of unapproved trips."""
    requests = {r.get("id"): r for r in data.get("requests") or [] if isinstance(r, dict)}
    people = {p.get("id") for p in data.get("people") or [] if isinstance(p, dict)}
    problems = []
    for k, change in enumerate(changes.changes, start=1):
        record = f"change {k}"
        if isinstance(change, Add):
            rid = change.request.get("id")
            if rid in requests:
                problems.append(Problem(file, record, "request.id", f"{rid!r} already exists"))
            continue
        if change.request not in requests:
            problems.append(Problem(file, record, "request", f"unknown request {change.request!r}"))
            continue
        person = getattr(change, "person", None) or getattr(change, "head", None)
        if person is not None and person not in people:
            field = "person" if isinstance(change, AddMember | RemoveMember) else "head"
            problems.append(Problem(file, record, field, f"unknown person {person!r}"))
        if isinstance(change, RemoveMember):
            members = requests[change.request].get("members") or []
            if change.person not in members:
                problems.append(
                    Problem(
                        file,
                        record,
                        "person",
                        f"{change.person!r} is not a member of {change.request}",
                    )
                )
        if isinstance(change, MoveWindow) and change.window[0] > change.window[1]:
            problems.append(
                Problem(
                    file,
                    record,
                    "window",
                    f"reversed range: {change.window[0]} is after {change.window[1]}",
                )
            )
    for k, pin in enumerate(changes.pins, start=1):
        if pin.request not in baseline_ids:
            problems.append(
                Problem(
                    file,
                    f"pin {k}",
                    "request",
                    f"{pin.request!r} is not approved in the baseline plan; only its trips pin",
                )
            )
    return problems


def apply_changes(data: dict[str, Any], changes: ChangeSet, allowed: set[int]) -> dict[str, Any]:
    """The scenario data with the changes numbered in ``allowed`` (1-based) carried out."""
    requests = [dict(r) for r in data.get("requests") or []]
    by_id = {r["id"]: r for r in requests}
    for k, change in enumerate(changes.changes, start=1):
        if k not in allowed:
            continue
        if isinstance(change, Add):
            requests.append(dict(change.request))
            continue
        raw = by_id[change.request]
        if isinstance(change, Withdraw):
            requests.remove(raw)
        elif isinstance(change, MoveWindow):
            raw["window"] = list(change.window)
            raw.pop("preferred_start", None)
        elif isinstance(change, ReplaceHead):  # the old head stays home; a member promoted
            raw["head"] = change.head
            raw["members"] = [m for m in raw.get("members") or [] if m != change.head]
        elif isinstance(change, SetStops):
            raw["stops"] = change.stops
        elif isinstance(change, AddMember):
            raw["members"] = [*(raw.get("members") or []), change.person]
        elif isinstance(change, RemoveMember):
            raw["members"] = [m for m in raw.get("members") or [] if m != change.person]
    return {**data, "requests": requests}


__all__ = ["Change", "ChangeSet", "Pin", "apply_changes", "check_references"]
