"""``calendar.ics``: one all-day event per approved delegation (the ``icalendar`` library).

Leaders' offices import it into their calendars. Each event runs from the delegation's
first to its last day (an all-day event's end is the day after, as RFC 5545 says), and its
description lists the countries with their dates, the head and the members. Event ids
are derived from the scenario and the delegation, so re-importing a re-plan updates the
events instead of doubling them.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from delegplan.reports.view import View


def ics_bytes(view: View) -> bytes:
    L = view.label
    cal = Calendar()
    cal.add("prodid", "-//delegplan//approved calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{view.title} {view.year} ({view.scenario})")
    for d in view.delegations:
        event = Event()
        event.add("uid", f"{d.id}.{view.scenario}.{view.year}@delegplan")
        event.add("summary", f"{d.id} {d.title or d.requests}: {d.countries}")
        event.add("dtstart", d.start)
        event.add("dtend", d.end + dt.timedelta(days=1))
        event.add("dtstamp", dt.datetime(view.year, 1, 1, tzinfo=dt.UTC))
        stays = "\n".join(f"{s.name}: {s.start} – {s.end}" for s in d.stays)
        event.add(
            "description",
            f"{L('Countries')}:\n{stays}\n{L('Head')}: {d.head}\n"
            f"{L('Members')}: {d.members or '-'}\n{L('Requests')}: {d.requests}\n"
            f"{L('Unit')}: {d.units}",
        )
        event.add("location", d.countries)
        event.add("categories", [L("Delegation")])
        cal.add_component(event)
    return cal.to_ical()


__all__ = ["ics_bytes"]
