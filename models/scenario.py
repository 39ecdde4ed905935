"""The scenario of one planning year (INTERFACE.md §1): units, people, history, requests.

Every model is frozen and forbids unknown fields, so a typo in a scenario file is an
error rather than a silently ignored setting. Country names are resolved to ISO codes as
they are read. Cross-references (unknown unit, duplicate id ...) are checked in one place,
``models.validation``, which can name the file, the record and the field.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.geography import resolve_country

UnitLevel = Literal["municipal", "district", "province", "enterprise", "university", "organisation"]
RequestKind = Literal["self", "composite", "training"]
InvitationKind = Literal[
    "government",
    "university",
    "institution",
    "enterprise",
    "intermediary",
    "chinese_enterprise_abroad",
    "foreign_agency_in_china",
    "overseas_chinese",
    "none",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _country_code(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a country is a code or a name")
    code = resolve_country(value)
    if code is None:
        raise ValueError(f"unknown country {value!r} (use an ISO code or a name in en/zh/vi)")
    return code


def _check_range(value: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    if value[1] < value[0]:
        raise ValueError(f"reversed range: {value[0]} is after {value[1]}")
    return value


class Unit(_Frozen):
    id: str = Field(min_length=1)
    name: str = ""
    level: UnitLevel = "municipal"
    system: str | None = None
    foreign_economic: bool = False
    budget: int | None = Field(default=None, ge=0)
    flagged: bool = False


class Person(_Frozen):
    id: str = Field(min_length=1)
    name: str = ""
    unit: str
    rank: str = "staff"
    leadership: bool = False
    head_of_agency: bool = False
    district_official: bool = False
    term: tuple[dt.date, dt.date] | None = None
    #: FREQ-ENTERPRISE: one approval valid for several trips within a year (004 §3(五)1)
    multi_trip_approval: bool = False

    _term = field_validator("term")(lambda v: None if v is None else _check_range(v))


class HistoryTrip(_Frozen):
    person: str
    start: dt.date
    countries: tuple[str, ...] = ()
    note: str = ""

    @field_validator("countries", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(_country_code(v) for v in value)
        return value


class CatalogueItem(_Frozen):
    id: str = Field(min_length=1)
    title: str = ""
    groups: int = Field(ge=0)


class Task(_Frozen):
    theme: str | None = None
    text: str = ""
    by: str | None = None


class Stop(_Frozen):
    country: str
    days: int = Field(ge=1)
    event: bool = False
    city: str | None = None
    tasks: tuple[Task, ...] = ()

    _country = field_validator("country", mode="before")(lambda v: _country_code(v))


class Invitation(_Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: str = Field(default="", alias="from")
    kind: InvitationKind = "none"


class Request(_Frozen):
    id: str = Field(min_length=1)
    title: str = ""
    kind: RequestKind = "self"
    unit: str
    head: str
    members: tuple[str, ...] = ()
    stops: tuple[Stop, ...] = Field(min_length=1)
    window: tuple[dt.date, dt.date]
    preferred_start: dt.date | None = None
    travel_days: int = Field(default=2, ge=0, le=30)
    invitation: Invitation | None = None
    cost: int = Field(default=0, ge=0)
    themes: tuple[str, ...] = ()
    catalogue: str | None = None
    priority: int = Field(default=3, ge=1, le=5)
    submitted: dt.date | None = None
    mergeable: bool = True

    _window = field_validator("window")(lambda v: _check_range(v))

    @model_validator(mode="after")
    def _people(self) -> Request:
        if self.head in self.members:
            raise ValueError(f"the head {self.head!r} is also listed among the members")
        seen: set[str] = set()
        for member in self.members:
            if member in seen:
                raise ValueError(f"member {member!r} is listed twice")
            seen.add(member)
        return self

    @property
    def travellers(self) -> tuple[str, ...]:
        """Head first, then members in their order."""
        return (self.head, *self.members)

    @property
    def invitation_kind(self) -> InvitationKind:
        return self.invitation.kind if self.invitation else "none"

    @property
    def working_days(self) -> int:
        return sum(stop.days for stop in self.stops)

    @property
    def length(self) -> int:
        """Days from start to end, both included: travel days plus working days."""
        return self.travel_days + self.working_days

    @cached_property
    def countries(self) -> tuple[str, ...]:
        """Distinct countries in travel order (asked millions of times by the merge graph)."""
        return tuple(dict.fromkeys(stop.country for stop in self.stops))


class RuleException(_Frozen):
    """An individually approved waiver of one rule for one request (RULES.md, Severities)."""

    request: str
    rule: str
    note: str = ""


class Scenario(_Frozen):
    name: str = "scenario"
    year: int = Field(ge=1900, le=2200)
    policy: str
    deadline: dt.date | None = None
    last_year_total: int | None = Field(default=None, ge=0)
    units: tuple[Unit, ...]
    people: tuple[Person, ...]
    history: tuple[HistoryTrip, ...] = ()
    #: plan.json files of earlier years whose trips count as history too (relative to the
    #: scenario file); ``models.loading`` has already added their trips to ``history``
    history_from: tuple[str, ...] = ()
    catalogue: tuple[CatalogueItem, ...] = ()
    requests: tuple[Request, ...]
    exceptions: tuple[RuleException, ...] = ()

    # Index maps, built once (the model is frozen, so they never go stale).
    @cached_property
    def unit_by_id(self) -> dict[str, Unit]:
        return {u.id: u for u in self.units}

    @cached_property
    def person_by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def request_by_id(self) -> dict[str, Request]:
        return {r.id: r for r in self.requests}

    @cached_property
    def catalogue_by_id(self) -> dict[str, CatalogueItem]:
        return {c.id: c for c in self.catalogue}

    @cached_property
    def history_by_person(self) -> dict[str, list[HistoryTrip]]:
        out: dict[str, list[HistoryTrip]] = {}
        for trip in sorted(self.history, key=lambda t: t.start):
            out.setdefault(trip.person, []).append(trip)
        return out

    @cached_property
    def exception_set(self) -> frozenset[tuple[str, str]]:
        """(request id, rule id) pairs waived by an exception."""
        return frozenset((e.request, e.rule) for e in self.exceptions)

    def excepted(self, request_id: str, rule_id: str) -> bool:
        return (request_id, rule_id) in self.exception_set

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)
