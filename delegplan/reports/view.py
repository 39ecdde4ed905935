"""What the calendar workbook, the calendar file and the HTML report show, worked out once.

``build_view`` reads a scenario and its plan and gives plain rows in the reader's
language (zh, en or vi): the approved delegations in date order, every decision with its
reasons and repairs, the composite delegations with their savings, the headline figures,
the per-unit and per-continent tables, the stays for the timeline, and for a what-if
re-plan what changed against the approved plan. The three writers
(``workbook.py``, ``ics.py``, ``html.py``) only lay these rows out, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from delegplan.reports.labels import label
from models.catalogue import rule_catalogue
from models.geography import CONTINENTS, country, country_name
from models.plan import Delegation, Difference, Plan
from models.scenario import Scenario
from models.text import Region, join


def message(item, lang: str) -> str:
    """A reason's, repair's or cost's message in ``lang`` (English where none is written)."""
    if lang == "zh" and item.message_zh:
        return item.message_zh
    if lang == "vi" and item.message_vi:
        return item.message_vi
    return item.message


@dataclass(frozen=True)
class Stay:
    delegation: str
    country: str  # code
    name: str  # in the reader's language
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class DelegationRow:
    id: str
    requests: str
    units: str
    title: str
    head: str
    members: str
    countries: str
    start: dt.date
    end: dt.date
    days: int
    people: int
    cost: int
    composite: bool
    stays: tuple[Stay, ...]


@dataclass(frozen=True)
class ReasonRow:
    rule: str
    citation: str
    message: str
    rivals: str


@dataclass(frozen=True)
class DecisionRow:
    request: str
    unit: str
    title: str
    status: str  # translated
    approved: bool
    delegation: str
    reasons: tuple[ReasonRow, ...]
    repairs: tuple[str, ...]


@dataclass(frozen=True)
class ChangeRow:
    """One way a request's outcome changed in a what-if re-plan (``plan.diff``)."""

    request: str
    field: str  # translated
    before: str
    after: str


@dataclass(frozen=True)
class TimelineRow:
    label: str
    kind: str  # "country" or "leader"
    bars: tuple[Stay, ...]


@dataclass
class View:
    lang: str
    title: str
    scenario: str
    policy: str
    year: int
    status: str
    gap: float | None
    figures: list[tuple[str, str]] = field(default_factory=list)
    delegations: list[DelegationRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    composites: list[dict] = field(default_factory=list)
    #: (rule, its title in the reader's language, article, rejected requests)
    rejected_by_rule: list[tuple[str, str, str, int]] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)
    continents: list[dict] = field(default_factory=list)
    costs: list[dict] = field(default_factory=list)
    countries: list[TimelineRow] = field(default_factory=list)
    leaders: list[TimelineRow] = field(default_factory=list)
    changes: list[ChangeRow] = field(default_factory=list)

    def label(self, key: str) -> str:
        return label(key, self.lang)


def _person(s: Scenario, pid: str) -> str:
    p = s.person_by_id.get(pid)
    return p.name or pid if p else pid


def _delegation_row(s: Scenario, d: Delegation, lang: str) -> DelegationRow:
    requests = [s.request_by_id[r] for r in d.requests if r in s.request_by_id]
    units = dict.fromkeys(s.unit_by_id[r.unit].name or r.unit for r in requests)
    stays = tuple(
        Stay(d.id, x.country, country_name(x.country, lang), x.start, x.end) for x in d.stops
    )
    return DelegationRow(
        id=d.id,
        requests=join(d.requests, lang),
        units=join(list(units), lang),
        title=join([r.title for r in requests if r.title], lang),
        head=_person(s, d.head),
        members=join([_person(s, m) for m in d.members], lang),
        countries=join(list(dict.fromkeys(st.name for st in stays)), lang),
        start=d.start,
        end=d.end,
        days=(d.end - d.start).days + 1,
        people=len(d.travellers),
        cost=sum(r.cost for r in requests),
        composite=len(d.requests) > 1,
        stays=stays,
    )


def build_view(s: Scenario, plan: Plan, lang: str = "zh") -> View:
    """The rows every output shows, in ``lang``."""
    view = View(
        lang=lang,
        title=label("Approved calendar of official delegations abroad", lang),
        scenario=plan.scenario,
        policy=plan.policy,
        year=s.year,
        status=str(plan.status),
        gap=plan.gap,
    )
    by_id = {}
    for d in sorted(plan.delegations, key=lambda d: (d.start, d.id)):
        row = _delegation_row(s, d, lang)
        view.delegations.append(row)
        by_id[d.id] = row
    rule_counts: Counter[str] = Counter()
    citations: dict[str, str] = {}
    for dec in plan.decisions:
        r = s.request_by_id.get(dec.request)
        reasons = tuple(
            ReasonRow(x.rule, x.citation, message(x, lang), join(x.with_, lang))
            for x in dec.reasons
        )
        for x in dec.reasons:
            citations.setdefault(x.rule, x.citation)
        for rule in dict.fromkeys(x.rule for x in dec.reasons):
            rule_counts[rule] += 1
        view.decisions.append(
            DecisionRow(
                request=dec.request,
                unit=(s.unit_by_id[r.unit].name or r.unit) if r else "",
                title=r.title if r else "",
                status=label(dec.status, lang),
                approved=dec.status == "approved",
                delegation=dec.delegation or "",
                reasons=reasons,
                repairs=tuple(message(x, lang) for x in dec.repairs),
            )
        )
    catalogue = rule_catalogue()
    view.rejected_by_rule = [
        (rule, catalogue[rule].title_in(lang) if rule in catalogue else "", citations[rule], n)
        for rule, n in sorted(rule_counts.items(), key=lambda x: -x[1])
    ]
    for d in plan.delegations:
        if d.savings is not None:
            view.composites.append(
                {
                    "row": by_id[d.id],
                    "delegations": d.savings.delegations,
                    "leader_trips": d.savings.leader_trips,
                    "travel_days": d.savings.travel_days,
                    "cost": d.savings.cost,
                }
            )
    view.costs = [
        {"rule": c.rule, "request": c.request, "cost": c.cost, "message": message(c, lang)}
        for c in plan.costs
    ]
    view.changes = [change_row(d, lang) for d in plan.diff]
    _figures(view, s, plan)
    _tables(view, s, plan)
    _timeline(view, s, plan)
    return view


#: a what-if difference's field (``models.plan.Difference``), as a report names it
_FIELD_LABEL = {"decision": "Decision", "delegation": "Delegation", "dates": "Dates",
                "countries": "Countries", "head": "Head"}  # fmt: skip


def change_row(d: Difference, lang: str) -> ChangeRow:
    """One difference as the reader reads it: its field, decisions and countries named."""

    def value(text: str | None) -> str:
        if text is None:
            return "-"
        if d.field == "countries":  # codes, as plan.json's diff has them: named here
            return join([country_name(code, lang) for code in text.split(",")], lang)
        return label(text, lang) if text in ("approved", "rejected") else text

    field = label(_FIELD_LABEL[d.field], lang)
    return ChangeRow(d.request, field, value(d.before), value(d.after))


def _leaders(s: Scenario, d: Delegation) -> list[str]:
    return [p for p in d.travellers if p in s.person_by_id and s.person_by_id[p].leadership]


def _figures(view: View, s: Scenario, plan: Plan) -> None:
    approved = set(plan.approved)
    cost = sum(r.cost for r in s.requests if r.id in approved)
    budget = sum(u.budget for u in s.units if u.budget is not None)
    lang = view.lang
    view.figures = [
        (label("Requests", lang), str(len(plan.decisions))),
        (label("Approved", lang), str(len(approved))),
        (label("Rejected", lang), str(len(plan.rejected))),
        (label("Delegations", lang), str(len(plan.delegations))),
        (label("Composite delegations", lang), str(len(view.composites))),
        (label("Leader-trips", lang), str(sum(len(_leaders(s, d)) for d in plan.delegations))),
        (label("Cost of approved trips", lang), f"{cost:,}"),
        (label("Units' budgets", lang), f"{budget:,}" if budget else "-"),
    ]
    if s.last_year_total is not None:
        view.figures.append((label("Last year's total", lang), f"{s.last_year_total:,}"))
    gap = "-" if plan.gap is None else f"{plan.gap:.2%}"
    view.figures.append((label("Status", lang), f"{label(str(plan.status), lang)} ({gap})"))


def _tables(view: View, s: Scenario, plan: Plan) -> None:
    decided = {d.request: d.status for d in plan.decisions}
    units: dict[str, dict] = {}
    for r in s.requests:
        u = units.setdefault(
            r.unit,
            {"unit": s.unit_by_id[r.unit].name or r.unit, "requests": 0, "approved": 0,
             "rejected": 0, "cost": 0, "budget": s.unit_by_id[r.unit].budget},
        )  # fmt: skip
        u["requests"] += 1
        if decided.get(r.id) == "approved":
            u["approved"] += 1
            u["cost"] += r.cost
        else:
            u["rejected"] += 1
    view.units = sorted(units.values(), key=lambda u: (-u["approved"], u["unit"]))
    continents: dict[str, dict] = defaultdict(lambda: {"delegations": set(), "stays": 0, "days": 0})
    for d in plan.delegations:
        for x in d.stops:
            c = continents[country(x.country).continent]
            c["delegations"].add(d.id)
            c["stays"] += 1
            c["days"] += (x.end - x.start).days + 1
    view.continents = [
        {
            "continent": Region(name).render(view.lang),
            "delegations": len(continents[name]["delegations"]),
            "stays": continents[name]["stays"],
            "days": continents[name]["days"],
        }
        for name in CONTINENTS
        if name in continents
    ]


def _timeline(view: View, s: Scenario, plan: Plan) -> None:
    by_country: dict[str, list[Stay]] = defaultdict(list)
    by_leader: dict[str, list[Stay]] = defaultdict(list)
    for row in view.delegations:
        for stay in row.stays:
            by_country[stay.country].append(stay)
    rows = {r.id: r for r in view.delegations}
    for d in plan.delegations:
        for pid in _leaders(s, d):
            by_leader[pid].extend(rows[d.id].stays)
    view.countries = [
        TimelineRow(stays[0].name, "country", tuple(stays))
        for _, stays in sorted(by_country.items(), key=lambda kv: kv[1][0].name)
    ]
    view.leaders = [
        TimelineRow(_person(s, pid), "leader", tuple(stays))
        for pid, stays in sorted(by_leader.items(), key=lambda kv: _person(s, kv[0]))
    ]


__all__ = ["ChangeRow", "View", "build_view", "change_row", "message"]
