"""Fill a blank ``delegplan template`` workbook from a scenario, the way a clerk would.

Used by the round-trip tests: template → filled here → ``delegplan import`` → the same
scenario. It writes through openpyxl only, knowing nothing of the importer: countries as
names in the form's language, dates as date cells or as text in the local way, yes/no in
the form's language, stops with their tasks on the itinerary sheet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel import Locale
from openpyxl import load_workbook

from delegplan.forms.columns import SHEETS, Sheet
from models.scenario import Scenario

YES_NO = {"zh": ("是", "否"), "en": ("yes", "no"), "vi": ("có", "không")}
SEP = {"zh": "、", "en": ", ", "vi": ", "}


def _date(value: dt.date, lang: str, as_text: bool) -> Any:
    if not as_text:
        return value
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    if lang == "vi":
        return value.strftime("%d/%m/%Y")
    return value.isoformat()


def rows_of(s: Scenario, lang: str, text_dates: bool = False) -> dict[str, list[dict]]:
    """field -> value rows for each sheet key, in the form's language."""
    names = Locale.parse(lang).territories
    yes, no = YES_NO[lang]

    def b(v: bool) -> str:
        return yes if v else no

    def d(v: dt.date | None) -> Any:
        return None if v is None else _date(v, lang, text_dates)

    def countries(codes) -> str:
        return SEP[lang].join(names.get(c, c) for c in codes)

    out: dict[str, list[dict]] = {sheet.key: [] for sheet in SHEETS}
    out["settings"].append(
        {
            "name": s.name,
            "year": s.year,
            "policy": s.policy,
            "deadline": d(s.deadline),
            "last_year_total": s.last_year_total,
        }
    )
    for u in s.units:
        out["units"].append(
            {
                "id": u.id,
                "name": u.name or None,
                "level": u.level,
                "system": u.system,
                "foreign_economic": b(u.foreign_economic),
                "budget": u.budget,
                "flagged": b(u.flagged),
            }
        )
    for p in s.people:
        out["people"].append(
            {
                "id": p.id,
                "name": p.name or None,
                "unit": p.unit,
                "rank": p.rank,
                "leadership": b(p.leadership),
                "head_of_agency": b(p.head_of_agency),
                "district_official": b(p.district_official),
                "term_start": d(p.term[0]) if p.term else None,
                "term_end": d(p.term[1]) if p.term else None,
                "multi_trip_approval": b(p.multi_trip_approval),
            }
        )
    for h in s.history:
        out["history"].append(
            {
                "person": h.person,
                "start": d(h.start),
                "countries": countries(h.countries) or None,
                "note": h.note or None,
            }
        )
    for c in s.catalogue:
        out["catalogue"].append({"id": c.id, "title": c.title or None, "groups": c.groups})
    for e in s.exceptions:
        out["exceptions"].append({"request": e.request, "rule": e.rule, "note": e.note or None})
    for r in s.requests:
        out["requests"].append(
            {
                "id": r.id,
                "unit": r.unit,
                "title": r.title or None,
                "kind": r.kind,
                "head": r.head,
                "members": SEP[lang].join(r.members) or None,
                "countries": countries(stop.country for stop in r.stops),
                "window_start": d(r.window[0]),
                "window_end": d(r.window[1]),
                "preferred_start": d(r.preferred_start),
                "travel_days": r.travel_days,
                "invitation.from": r.invitation.from_ or None if r.invitation else None,
                "invitation.kind": r.invitation.kind if r.invitation else None,
                "cost": r.cost,
                "themes": SEP[lang].join(r.themes) or None,
                "catalogue": r.catalogue,
                "priority": r.priority,
                "submitted": d(r.submitted),
                "mergeable": b(r.mergeable),
            }
        )
        for stop in r.stops:
            tasks = stop.tasks or (None,)
            for task in tasks:
                out["itinerary"].append(
                    {
                        "request": r.id,
                        "country": names.get(stop.country, stop.country),
                        "city": stop.city,
                        "days": stop.days,
                        "event": b(stop.event),
                        "text": task.text or None if task else None,
                        "theme": task.theme if task else None,
                        "by": task.by if task else None,
                    }
                )
    return out


def fill(template: Path, s: Scenario, lang: str, out: Path, text_dates: bool = False) -> Path:
    """Write the scenario into a copy of the blank template."""
    wb = load_workbook(template)
    rows = rows_of(s, lang, text_dates)
    for sheet in SHEETS:
        ws = wb[sheet.title(lang)]
        _write(ws, sheet, lang, rows[sheet.key])
    wb.save(out)
    return out


def _write(ws, sheet: Sheet, lang: str, rows: list[dict]) -> None:
    header = {str(cell.value).removesuffix(" *"): cell.column for cell in ws[1] if cell.value}
    for k, row in enumerate(rows, start=2):
        for column in sheet.columns:
            value = row.get(column.field)
            if value is not None:
                ws.cell(row=k, column=header[column.header(lang)], value=value)
