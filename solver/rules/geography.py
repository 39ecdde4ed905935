"""Geography: continents, countries per trip, controlled regions, hotspots, one group per
country at a time, and host-country holidays (RULES.md, Geography)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from itertools import combinations

from models.geography import country
from models.holidays import public_holidays
from solver.candidates import Candidate, Placed, day_number
from solver.model import ModelContext
from solver.rules.base import Context, Finding, Place, Region, T, Text, rival_ids, stay_dates
from solver.rules.energy import Stay, post_energy
from solver.rules.sums import post_capped_sum


def one_continent(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(三)): "因公出访原则上控制在同一个洲内，原则不跨洲执行出访任务"."""
    if ctx.any_waived(c, "GEO-ONE-CONTINENT"):
        return []
    by_continent: dict[str, list[str]] = defaultdict(list)
    for code in c.countries:
        by_continent[country(code).continent].append(code)
    if len(by_continent) <= 1:
        return []
    parts = [
        T("{continent}: {countries}", continent=Region(k), countries=[Place(x) for x in v])
        for k, v in sorted(by_continent.items())
    ]
    return [
        Finding(
            "GEO-ONE-CONTINENT",
            T("the trip spans {n} continents ({parts})", n=len(by_continent), parts=parts),
            c.request_ids,
            len(by_continent) - 1,
        )
    ]


def max_countries(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (002 II.1): "Một chuyến công tác không quá 03 nước"; the "close to each
    other, in one region" part is a soft cost per UN sub-region beyond the first."""
    if ctx.any_waived(c, "GEO-MAX-COUNTRIES"):
        return []
    params = ctx.policy.params("GEO-MAX-COUNTRIES")
    out = []
    n = len(c.countries)
    if params.max is not None and n > params.max:
        out.append(
            Finding(
                "GEO-MAX-COUNTRIES",
                T(
                    "{n} countries ({countries}); at most {max} a trip",
                    n=n,
                    countries=[Place(x) for x in c.countries],
                    max=params.max,
                ),
                c.request_ids,
                n - params.max,
            )
        )
    return out


def subregion_spread(c: Candidate, ctx: Context) -> list[tuple[str, int, Text]]:
    """Soft part of GEO-MAX-COUNTRIES: (rule, cost, message) per extra UN sub-region."""
    params = ctx.policy.params("GEO-MAX-COUNTRIES")
    if not ctx.policy.rule("GEO-MAX-COUNTRIES").on or params.subregion_weight == 0:
        return []
    if ctx.any_waived(c, "GEO-MAX-COUNTRIES"):
        return []
    regions = sorted({country(code).subregion for code in c.countries})
    if len(regions) <= 1:
        return []
    return [
        (
            "GEO-MAX-COUNTRIES",
            params.subregion_weight * (len(regions) - 1),
            T(
                "countries in {n} UN sub-regions ({regions})",
                n=len(regions),
                regions=[Region(x) for x in regions],
            ),
        )
    ]


def _controlled(c: Candidate, ctx: Context) -> list[str]:
    continents = ctx.policy.params("GEO-CONTROLLED-REGION").continents
    return [code for code in c.countries if country(code).continent in continents]


def controlled_region(c: Candidate, ctx: Context) -> list[Finding]:
    """Soft constraint (000 §1(三)): "严格控制出访非洲和南美洲" - a cost per trip, unless the
    policy sets a yearly cap (``max_trips``), which is posted on the model instead."""
    if ctx.policy.params("GEO-CONTROLLED-REGION").max_trips is not None:
        return []
    if ctx.any_waived(c, "GEO-CONTROLLED-REGION"):
        return []
    hit = _controlled(c, ctx)
    if not hit:
        return []
    where = sorted({country(code).continent for code in hit})
    return [
        Finding(
            "GEO-CONTROLLED-REGION",
            T(
                "visits {countries} in {continents}, strictly controlled",
                countries=[Place(x) for x in hit],
                continents=[Region(x) for x in where],
            ),
            c.request_ids,
        )
    ]


def post_controlled_cap(m: ModelContext) -> None:
    """Hard or soft yearly cap on trips to controlled continents, when the policy sets one."""
    ctx = Context(m.scenario, m.policy)
    cap = m.policy.params("GEO-CONTROLLED-REGION").max_trips
    if cap is None or not m.policy.hard("GEO-CONTROLLED-REGION"):
        return
    hit = [c for c in m.candidates if _controlled(c, ctx)]
    subjects = [m.form[c.id] for c in hit if not m.waived(c, "GEO-CONTROLLED-REGION")]
    post_capped_sum(
        m.model,
        [(1, m.form[c.id]) for c in hit],
        cap,
        subjects,
        len(subjects) == len(hit),
        "controlled-cap",
    )


def hotspot(c: Candidate, ctx: Context) -> list[Finding]:
    """Soft constraint (000 §1(三); 001 §1(三)): "严格控制出访旅游热点国家和城市" - a cost per
    stop in a hotspot country or city of the policy's list."""
    if ctx.any_waived(c, "GEO-HOTSPOT"):
        return []
    params = ctx.policy.params("GEO-HOTSPOT")
    out = [
        Finding(
            "GEO-HOTSPOT", T("{country} is on the hotspot list", country=Place(code)), c.request_ids
        )
        for code in c.countries
        if code in params.countries
    ]
    cities = dict.fromkeys(
        (s.city, s.country)
        for r in c.requests
        for s in r.stops
        if s.city in params.cities and s.country not in params.countries
    )
    out += [
        Finding(
            "GEO-HOTSPOT",
            T("{city} ({country}) is a hotspot city", city=city, country=Place(code)),
            c.request_ids,
        )
        for city, code in cities
    ]
    return out


def post_same_country(m: ModelContext) -> None:
    """Hard constraint (000 §1(三)): "严格控制不同团组在同一时段内出访同一国家和地区".

    Hard: per country, the stays (extended by ``min_gap_days``) never overlap. Soft
    (ninhbinh: merge instead): a cost per pair of groups whose stays in one country share a
    day. A pair is allowed when either side has an exception.
    """
    setting = m.policy.rule("GEO-SAME-COUNTRY")
    if not setting.on:
        return
    gap = m.policy.params("GEO-SAME-COUNTRY").min_gap_days
    for code, group in m.grouped("GEO-SAME-COUNTRY", lambda c: c.countries).items():
        if len(group) < 2:
            continue
        if setting.hard:
            if gap == 0:
                intervals = [m.stay[(c.id, code)] for c in group]
            else:
                intervals = []
                for c in group:
                    offset, size = c.country_span(code)
                    intervals.append(
                        m.model.new_optional_fixed_size_interval_var(
                            m.start[c.id] + offset,
                            size + gap,
                            m.form[c.id],
                            f"stay+gap[{c.id},{code}]",
                        )
                    )
            m.model.add_no_overlap(intervals).with_name(f"same-country[{code}]")
        else:
            _soft_pairs(m, code, group, gap, setting.weight)


def relax_same_country(m: ModelContext) -> None:
    """The relaxation's share of GEO-SAME-COUNTRY: per country, the days stays must spend
    in a month (or two, or three) fit in it (``solver.rules.energy``). Hard rule only: a
    soft one lets stays overlap at a cost."""
    setting = m.policy.rule("GEO-SAME-COUNTRY")
    if not setting.hard:
        return
    gap = m.policy.params("GEO-SAME-COUNTRY").min_gap_days
    for code, group in m.grouped("GEO-SAME-COUNTRY", lambda c: c.countries).items():
        stays = []
        for c in group:
            offset, size = c.country_span(code)
            shift, target = m.shift.get(c.id, (None, None))
            stays.append(
                Stay(
                    m.form[c.id],
                    c.earliest + offset,
                    c.latest + offset,
                    size + gap,
                    shift,
                    None if target is None else target + offset,
                    c.id,
                )
            )
        post_energy(m.model, stays, f"same-country-days[{code}]")
        m.left_out.append((f"same-country-days[{code}]", stays))


def _soft_pairs(m: ModelContext, code: str, group: list[Candidate], gap: int, weight: int) -> None:
    for a, b in combinations(group, 2):
        if set(a.request_ids) & set(b.request_ids):
            continue
        oa, na = a.country_span(code)
        ob, nb = b.country_span(code)
        # stays can only meet if their reachable ranges meet
        if (
            a.earliest + oa >= b.latest + ob + nb + gap
            or b.earliest + ob >= a.latest + oa + na + gap
        ):
            continue
        clash = m.model.new_bool_var(f"clash[{a.id},{b.id},{code}]")
        a_first = m.model.new_bool_var(f"order[{a.id},{b.id},{code}]")
        both = [m.form[a.id], m.form[b.id], clash.negated()]
        m.model.add(m.start[b.id] + ob >= m.start[a.id] + oa + na + gap).only_enforce_if(
            [*both, a_first]
        )
        m.model.add(m.start[a.id] + oa >= m.start[b.id] + ob + nb + gap).only_enforce_if(
            [*both, a_first.negated()]
        )
        m.add_cost(
            "GEO-SAME-COUNTRY",
            a,
            weight,
            clash,
            T(
                "{first} and {second} are in {country} at the same time",
                first="/".join(a.request_ids),
                second="/".join(b.request_ids),
                country=Place(code),
            ),
        )


@cache
def _holidays_before(code: str, year: int) -> tuple[int, ...]:
    """``counts[d]``: the host's public holidays on day numbers below ``d`` of ``year``
    (days past the year count none: its holidays are the year's own). Counted once per
    country, so that a candidate's table is a subtraction per start and stop; day by day
    it took 6.5 s per model at 20,000 requests."""
    marks = {day_number(year, day) for day in public_holidays(code, year)}
    counts = [0]
    for d in range(day_number(year, dt.date(year + 1, 1, 1))):
        counts.append(counts[-1] + (d in marks))
    return tuple(counts)


def holiday_table(c: Candidate, year: int) -> list[int]:
    """For each possible start of the candidate, the number of stay days on host holidays."""
    starts = c.latest - c.earliest + 1
    table = [0] * starts
    for (code, days), off in zip(c.stops, c.offsets, strict=True):
        counts = _holidays_before(code, year)
        last = len(counts) - 1
        lo = c.earliest + off  # the stay's first day at the earliest start
        ends: Sequence[int]
        begins: Sequence[int]
        if lo >= 0 and lo + starts - 1 + days <= last:  # the stays all within the year
            ends, begins = counts[lo + days : lo + days + starts], counts[lo : lo + starts]
        else:
            ends = [counts[min(max(d + days, 0), last)] for d in range(lo, lo + starts)]
            begins = [counts[min(max(d, 0), last)] for d in range(lo, lo + starts)]
        table = [n + end - begin for n, end, begin in zip(table, ends, begins, strict=True)]
    return table


def post_holiday(m: ModelContext) -> None:
    """Soft constraint (002 I.2): "tránh tổ chức các đoàn … vào các dịp nghỉ lễ của nước bạn" -
    a cost per stay day on a public holiday of the host country.

    The cost depends on the start only, and is constant over runs of starts (holidays are
    few), so one literal per run says the start lies in it: ``sum(runs) == form`` and the
    cost is ``sum(days on holidays in run * run)``. The search's linear relaxation then
    sees the cheapest run exactly, which an element constraint over every day would not.
    """
    setting = m.policy.rule("GEO-HOLIDAY")
    if not setting.soft:
        return
    model = m.model
    for c in m.candidates:
        if m.waived(c, "GEO-HOLIDAY"):
            continue
        table = holiday_table(c, m.scenario.year)
        if not any(table):
            continue
        runs = _runs(table, c.earliest)
        if len(runs) == 1:  # every start meets the same holidays: a fixed cost
            m.add_cost("GEO-HOLIDAY", c, setting.weight * table[0], m.form[c.id])
            continue
        cost = model.new_int_var(0, max(table), f"holidays[{c.id}]")
        literals = []
        for first, last, days in runs:
            inside = model.new_bool_var(f"holiday-run[{c.id},{first}]")
            model.add(m.start[c.id] >= first).only_enforce_if(inside)
            model.add(m.start[c.id] <= last).only_enforce_if(inside)
            literals.append((inside, days))
        model.add(sum(lit for lit, _ in literals) == m.form[c.id])
        model.add(cost == sum(days * lit for lit, days in literals))
        m.add_cost("GEO-HOLIDAY", c, setting.weight, cost)


def _runs(table: list[int], first: int) -> list[tuple[int, int, int]]:
    """Maximal runs of equal values: (first start, last start, value)."""
    out: list[tuple[int, int, int]] = []
    for k, value in enumerate(table):
        if out and out[-1][2] == value:
            out[-1] = (out[-1][0], first + k, value)
        else:
            out.append((first + k, first + k, value))
    return out


def explain_same_country(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which groups hold the request's countries on the dates it could go."""
    year = ctx.scenario.year
    gap = ctx.policy.params("GEO-SAME-COUNTRY").min_gap_days
    stays: list[Text] = []
    tied: list[str] = []
    for code in c.countries:
        for p in rivals:
            if code not in p.candidate.countries:
                continue
            first, last = stay_dates(p, code, year)
            stays.append(
                T(
                    "{requests} in {country} from {first} to {last}",
                    requests="/".join(p.candidate.request_ids),
                    country=Place(code),
                    first=first,
                    last=last,
                )
            )
            tied += p.candidate.request_ids
    if not stays:
        return None
    if gap:
        text = T(
            "on every date of its window it would be in a country less than {gap} day(s) "
            "from another group: {stays}",
            gap=gap,
            stays=stays,
        )
    else:
        text = T(
            "on every date of its window it would be in a country at the same time as "
            "another group: {stays}",
            stays=stays,
        )
    return text, tuple(dict.fromkeys(tied))


def explain_controlled_cap(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which trips already use the yearly cap on controlled continents."""
    params = ctx.policy.params("GEO-CONTROLLED-REGION")
    with_ = [p for p in rivals if _controlled(p.candidate, ctx)]
    if not with_ or params.max_trips is None:
        return None
    ids = rival_ids(with_)
    text = T(
        "at most {cap} trip(s) a year may go to {continents}; {requests} already go",
        cap=params.max_trips,
        continents=[Region(x) for x in params.continents],
        requests=list(ids),
    )
    return text, ids
