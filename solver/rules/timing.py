"""Time: windows, days per country, training length (RULES.md, Time)."""

from __future__ import annotations

from collections import defaultdict

from solver.candidates import Candidate, day_date
from solver.rules.base import Context, Finding, Place, T


def window(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(一)): the whole trip lies inside every request's window.

    The window is the start variable's domain; this check only catches a window too short
    for the trip, which no date can fix.
    """
    if c.feasible_window:
        return []
    year = ctx.scenario.year
    out = []
    for r in c.requests:
        if ctx.waived(r, "TIME-WINDOW"):
            continue
        lo, hi = r.window
        if len(c.requests) == 1:
            msg = T(
                "{request} lasts {days} days but its window {first}..{last} has {room}",
                request=r.id,
                days=c.length,
                first=lo,
                last=hi,
                room=(hi - lo).days + 1,
            )
        else:
            msg = T(
                "the merged trip lasts {days} days; the windows leave {first}..{last}",
                days=c.length,
                first=day_date(year, c.earliest),
                last=day_date(year, c.latest + c.length - 1),
            )
        out.append(Finding("TIME-WINDOW", msg, (r.id,)))
    return out


def per_country(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (002 II.1): at most 3 working days a country, 5 for a major event."""
    if ctx.any_waived(c, "TIME-PER-COUNTRY"):
        return []
    params = ctx.policy.params("TIME-PER-COUNTRY")
    days: dict[str, int] = defaultdict(int)
    for code, n in c.stops:
        days[code] += n
    events = {s.country for r in c.requests for s in r.stops if s.event}
    out = []
    for code, n in days.items():
        limit = params.event_max_days if code in events else params.max_days
        if n > limit:
            facts = {"n": n, "country": Place(code), "limit": limit}
            text = (
                T("{n} working days in {country}; at most {limit} with a major event", **facts)
                if code in events
                else T("{n} working days in {country}; at most {limit}", **facts)
            )
            out.append(
                Finding(
                    "TIME-PER-COUNTRY",
                    text,
                    c.request_ids,
                    n - limit,
                )
            )
    return out


def training(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (001 §4(三)): "培训时间为14天-360天以内" (stop days, travel excluded)."""
    if not c.is_training or ctx.any_waived(c, "TIME-TRAINING"):
        return []
    params = ctx.policy.params("TIME-TRAINING")
    total = sum(n for _, n in c.stops)
    if params.min_days <= total <= params.max_days:
        return []
    short = max(params.min_days - total, total - params.max_days)
    return [
        Finding(
            "TIME-TRAINING",
            T(
                "training of {days} days; it must last {min} to {max} days",
                days=total,
                min=params.min_days,
                max=params.max_days,
            ),
            c.request_ids,
            short,
        )
    ]
