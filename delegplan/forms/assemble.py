"""Putting the rows read from forms together into one scenario (INTERFACE.md §1, as data).

Units and people may be named by id or by name; a request's stops come from the
itinerary sheet when it has rows for the request (one row a task, with city, days and
theme), else from its countries, days per country and tasks columns. Every problem is
added to ``forms.problems`` with the file, sheet, row and column it comes from.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from delegplan.forms.cells import person_name
from delegplan.forms.reader import DEFAULT_TRAVEL_DAYS, Forms, Row
from models.geography import resolve_country

_ORDER = {
    "units": ("id", "name", "level", "system", "foreign_economic", "budget", "flagged"),
    "catalogue": ("id", "title", "groups"),
}


class Names:
    """Look-up of ids by id or by name (units, people)."""

    def __init__(self, records: list[dict[str, Any]], what: str, one: str):
        self.ids = {r["id"] for r in records}
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for r in records:
            if r.get("name"):
                self.by_name[r["name"]].append(r["id"])
        self.what, self.one = what, one

    def resolve(self, forms: Forms, row: Row, fld: str, text: str) -> str | None:
        if text in self.ids:
            return text
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            forms.problem(
                row, fld, f"{text!r} names {len(found)} {self.what}: write the id ({found})"
            )
        else:
            forms.problem(row, fld, f"unknown {self.one} {text!r} (an id or a name)")
        return None


def _pick(values: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: values[k] for k in keys if k in values}


_LABEL = {"units": "unit", "people": "person", "catalogue": "catalogue item"}


def _merge(forms: Forms, key: str, build) -> list[dict[str, Any]]:
    """Records by id; the same id twice must say the same thing."""
    out: dict[str, dict[str, Any]] = {}
    first: dict[str, Row] = {}
    for row in forms.rows.get(key, []):
        record = build(row)
        if record is None:
            continue
        rid = record["id"]
        if rid in out and out[rid] != record:
            seen = first[rid].where
            forms.problem(
                row, "id", f"{rid!r} is also in {seen.file}, {seen.record()}, with other values"
            )
            continue
        out.setdefault(rid, record)
        first.setdefault(rid, row)
        forms.origins.setdefault(f"{_LABEL[key]} {rid}", row.where)
    return list(out.values())


def _settings(forms: Forms, override: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    origin: dict[str, Row] = {}
    for row in forms.rows.get("settings", []):
        forms.origins.setdefault("scenario", row.where)
        for k, v in row.values.items():
            if k in settings and settings[k] != v:
                seen = origin[k].where
                forms.problem(
                    row, k, f"{v!r}, but {seen.file}, {seen.record()} says {settings[k]!r}"
                )
            settings.setdefault(k, v)
            origin.setdefault(k, row)
    settings.update({k: v for k, v in override.items() if v is not None})
    return settings


def _person(row: Row, units: Names, forms: Forms) -> dict[str, Any] | None:
    v = row.values
    record = _pick(v, ("id", "name"))
    unit = units.resolve(forms, row, "unit", v["unit"]) if "unit" in v else None
    if unit is None:
        return None
    record["unit"] = unit
    record.update(_pick(v, ("rank", "leadership", "head_of_agency", "district_official")))
    if ("term_start" in v) != ("term_end" in v):
        forms.problem(
            row, "term_end" if "term_start" in v else "term_start", "a term needs both dates"
        )
    elif "term_start" in v:
        record["term"] = [v["term_start"], v["term_end"]]
    record.update(_pick(v, ("multi_trip_approval",)))
    return record


def _stops_from_itinerary(forms: Forms, rows: list[Row]) -> list[dict[str, Any]]:
    stops: list[dict[str, Any]] = []
    for row in rows:
        v = row.values
        code = resolve_country(v["country"]) if "country" in v else None
        if code is None:
            forms.problem(row, "country", f"unknown country {v.get('country')!r}")
            continue
        if not stops or stops[-1]["country"] != code:
            stops.append({"country": code, "_row": row, "tasks": []})
        stop = stops[-1]
        if "days" in v and "days" not in stop:
            stop["days"] = v["days"]
        if "city" in v and "city" not in stop:
            stop["city"] = v["city"]
        if v.get("event"):
            stop["event"] = True
        task = _pick(v, ("theme", "text", "by"))
        if task:
            stop["tasks"].append(task)
    for stop in stops:
        row = stop.pop("_row")
        if "days" not in stop:
            forms.problem(row, "days", "the days in this country are missing")
    return stops


def _stops_from_columns(forms: Forms, row: Row) -> list[dict[str, Any]]:
    v = row.values
    countries: list[str] = v.get("countries", [])
    travel = v.get("travel_days", DEFAULT_TRAVEL_DAYS)
    try:
        days = [int(d) for d in v.get("days", [])]
    except ValueError:
        forms.problem(row, "days", f"{v['days']!r}: whole numbers, one per country")
        return []
    if not days and len(countries) == 1 and "days_abroad" in v:
        days = [v["days_abroad"] - travel]
    if len(days) != len(countries):
        forms.problem(
            row,
            "days",
            f"{len(countries)} countries but {len(days)} numbers of days: give one per country",
        )
        return []
    stops: list[dict[str, Any]] = [
        {"country": c, "days": d, "tasks": []} for c, d in zip(countries, days, strict=True)
    ]
    lines: list[str] = v.get("tasks", [])
    loose = []
    for line in lines:
        head, sep, rest = line.replace("：", ":").partition(":")
        code = resolve_country(head) if sep else None
        target = next((s for s in stops if s["country"] == code), None)
        if target is not None and rest.strip():
            target["tasks"].append({"text": rest.strip()})
        else:
            loose.append(line)
    if loose and len(stops) == 1:
        stops[0]["tasks"].extend({"text": t} for t in loose)
    elif loose and len(loose) == len(stops) and len(loose) == len(lines):
        for stop, text in zip(stops, loose, strict=True):
            stop["tasks"].append({"text": text})
    elif loose:
        forms.problem(
            row, "tasks", "with several countries, begin each task with its country (德国：会谈)"
        )
    return stops


def _request(
    forms: Forms, row: Row, units: Names, people: Names, itinerary: dict[str, list[Row]]
) -> dict[str, Any] | None:
    v = row.values
    record: dict[str, Any] = _pick(v, ("id", "title", "kind"))
    unit = units.resolve(forms, row, "unit", v["unit"]) if "unit" in v else None
    head = people.resolve(forms, row, "head", v["head"]) if "head" in v else None
    members = [people.resolve(forms, row, "members", person_name(m)) for m in v.get("members", [])]
    if unit is None or head is None or None in members:
        return None
    record.update(unit=unit, head=head)
    if members:
        record["members"] = members
    if v["id"] in itinerary:
        stops = _stops_from_itinerary(forms, itinerary[v["id"]])
        if "countries" in v and v["countries"] != list(dict.fromkeys(s["country"] for s in stops)):
            forms.problem(row, "countries", "not the countries of the itinerary sheet")
    else:
        stops = _stops_from_columns(forms, row)
    for stop in stops:
        if not stop["tasks"]:
            del stop["tasks"]
    travel = v.get("travel_days", DEFAULT_TRAVEL_DAYS)
    if "days_abroad" in v and stops and sum(s["days"] for s in stops) + travel != v["days_abroad"]:
        forms.problem(
            row,
            "days_abroad",
            f"{v['days_abroad']} days abroad, but the countries' days "
            f"({sum(s['days'] for s in stops)}) and {travel} travel days make "
            f"{sum(s['days'] for s in stops) + travel}",
        )
    record["stops"] = stops
    if "window_start" in v and "window_end" in v:
        record["window"] = [v["window_start"], v["window_end"]]
    record.update(_pick(v, ("preferred_start", "travel_days")))
    invitation = {k: v[f"invitation.{k}"] for k in ("from", "kind") if f"invitation.{k}" in v}
    if invitation:
        record["invitation"] = invitation
    record.update(_pick(v, ("cost", "themes", "catalogue", "priority", "submitted", "mergeable")))
    return record


def assemble(forms: Forms, override: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = _settings(forms, override or {})
    units = _merge(forms, "units", lambda row: _pick(row.values, _ORDER["units"]))
    unit_names = Names(units, "units", "unit")
    people = _merge(forms, "people", lambda row: _person(row, unit_names, forms))
    people_names = Names(people, "people", "person")
    catalogue = _merge(forms, "catalogue", lambda row: _pick(row.values, _ORDER["catalogue"]))
    history = []
    for row in forms.rows.get("history", []):
        person = people_names.resolve(forms, row, "person", row.values["person"])
        if person is not None:
            history.append({"person": person, **_pick(row.values, ("start", "countries", "note"))})
    itinerary: dict[str, list[Row]] = defaultdict(list)
    for row in forms.rows.get("itinerary", []):
        itinerary[row.values.get("request", "")].append(row)
    requests: list[dict[str, Any]] = []
    seen: dict[Any, Row] = {}  # a row without an id is keyed by None
    for row in forms.rows.get("requests", []):
        rid = row.values.get("id")
        if rid in seen:
            where = seen[rid].where
            forms.problem(row, "id", f"{rid!r} is also in {where.file}, {where.record()}")
            continue
        seen[rid] = row
        forms.origins[f"request {rid}"] = row.where
        record = _request(forms, row, unit_names, people_names, itinerary)
        if record is not None:
            requests.append(record)
    for rid, rows in itinerary.items():
        if rid not in seen:
            forms.problem(rows[0], "request", f"no request {rid!r} on the requests sheet")
    exceptions = [
        _pick(row.values, ("request", "rule", "note")) for row in forms.rows.get("exceptions", [])
    ]
    for key in ("year", "policy"):
        if key not in settings:
            forms.problems.append(_missing_setting(forms, key))
    data: dict[str, Any] = _pick(
        settings, ("name", "year", "policy", "deadline", "last_year_total")
    )
    data.update(units=units, people=people)
    if history:
        data["history"] = history
    if catalogue:
        data["catalogue"] = catalogue
    data["requests"] = requests
    if exceptions:
        data["exceptions"] = exceptions
    return data


def _missing_setting(forms: Forms, key: str):
    from models.errors import Problem

    rows = forms.rows.get("settings", [])
    file = rows[0].where.file if rows else "(the forms)"
    return Problem(
        file,
        "sheet 计划设置/Settings",
        key,
        f"no {key}: fill it in on the settings sheet or give --{key}",
    )


__all__ = ["assemble"]
