"""Host-country public holidays, from the maintained ``holidays`` library (GEO-HOLIDAY)."""

from __future__ import annotations

import datetime as dt
from functools import cache


@cache
def public_holidays(code: str, year: int) -> dict[dt.date, str]:
    """Public holidays of a country in a year; empty for a country the library lacks."""
    import holidays

    try:
        table = holidays.country_holidays(code, years=year)
    except NotImplementedError:
        return {}
    return {day: str(name) for day, name in sorted(table.items())}
