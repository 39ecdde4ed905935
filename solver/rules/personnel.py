"""Personnel: leadership, unit caps, size, busy people, relevance, dual levels.

RULES.md, Personnel. Group rules read the candidate's travellers: for a merged
delegation, everyone of every request.
"""

from __future__ import annotations

from collections import defaultdict

from solver.candidates import Candidate, Placed
from solver.model import ModelContext
from solver.rules.base import Context, Finding, T, Text, trip_dates
from solver.rules.energy import Stay, post_energy


def _by_unit(c: Candidate, ctx: Context) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for pid in c.travellers:
        out[ctx.scenario.person_by_id[pid].unit].append(pid)
    return out


def leadership(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(四); 002 II.1): "同一单位领导班子成员不得同团出访"."""
    if ctx.any_waived(c, "PERS-LEADERSHIP"):
        return []
    people = ctx.scenario.person_by_id
    out = []
    for unit, group in sorted(_by_unit(c, ctx).items()):
        leaders = [p for p in group if people[p].leadership]
        if len(leaders) > 1:
            out.append(
                Finding(
                    "PERS-LEADERSHIP",
                    T(
                        "{people} are all on the leadership of {unit} and may not travel together",
                        people=leaders,
                        unit=unit,
                    ),
                    c.request_ids,
                    len(leaders) - 1,
                )
            )
    return out


def unit_cap(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(四)): "原则上同团中同一单位人员不得超过2人"."""
    if ctx.any_waived(c, "PERS-UNIT-CAP"):
        return []
    cap = ctx.policy.params("PERS-UNIT-CAP").max
    return [
        Finding(
            "PERS-UNIT-CAP",
            T(
                "{n} people of {unit} ({people}); at most {cap} of one unit in a group",
                n=len(group),
                unit=unit,
                people=group,
                cap=cap,
            ),
            c.request_ids,
            len(group) - cap,
        )
        for unit, group in sorted(_by_unit(c, ctx).items())
        if len(group) > cap
    ]


def size(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (002 II.1; 001 §4(三)): ≤10 if the agency's head leads, ≤7 if a
    deputy leads, ≤20 for a training group; the head counts."""
    if ctx.any_waived(c, "PERS-SIZE"):
        return []
    params = ctx.policy.params("PERS-SIZE")
    head = ctx.scenario.person_by_id[c.head]
    n = len(c.travellers)
    if c.is_training:
        cap = params.training
        text = T("{n} people; at most {cap} for a training group", n=n, cap=cap)
    elif head.head_of_agency:
        cap = params.head_of_agency
        text = T(
            "{n} people; at most {cap} when the head of the agency ({head}) leads",
            n=n,
            cap=cap,
            head=head.id,
        )
    else:
        cap = params.deputy
        text = T(
            "{n} people; at most {cap} when a deputy ({head}) leads", n=n, cap=cap, head=head.id
        )
    if n <= cap:
        return []
    return [Finding("PERS-SIZE", text, c.request_ids, n - cap)]


def relevant(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(四)): "与出访任务无关人员一律不得参团".

    Read where a request's tasks name people (``by``): then each member is named by at
    least one task of that request. The head leads the group and needs no task.
    """
    out = []
    for r in c.requests:
        if ctx.waived(r, "PERS-RELEVANT"):
            continue
        named = {t.by for s in r.stops for t in s.tasks if t.by}
        if not named:
            continue
        idle = [p for p in r.members if p not in named]
        if idle:
            out.append(
                Finding(
                    "PERS-RELEVANT",
                    T("{people} of {request} have no task", people=idle, request=r.id),
                    (r.id,),
                    len(idle),
                )
            )
    return out


def dual(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(七); 001 §2(三)2): no district officials in a municipal
    group; a training group mixes units of one system only (no system: its own)."""
    if ctx.any_waived(c, "PERS-DUAL"):
        return []
    params = ctx.policy.params("PERS-DUAL")
    s = ctx.scenario
    out = []
    levels = {s.unit_by_id[r.unit].level for r in c.requests}
    if params.municipal_no_district and levels == {"municipal"}:
        district = [p for p in c.travellers if s.person_by_id[p].district_official]
        if district:
            out.append(
                Finding(
                    "PERS-DUAL",
                    T(
                        "a municipal group may not take district or county officials: {people}",
                        people=district,
                    ),
                    c.request_ids,
                    len(district),
                )
            )
    if params.training_one_system and c.is_training:
        systems = sorted(
            {
                s.unit_by_id[s.person_by_id[p].unit].system or s.person_by_id[p].unit
                for p in c.travellers
            }
        )
        if len(systems) > 1:
            out.append(
                Finding(
                    "PERS-DUAL",
                    T("a training group mixes systems {systems}", systems=systems),
                    c.request_ids,
                    len(systems) - 1,
                )
            )
    return out


def post_busy(m: ModelContext) -> None:
    """Hard constraint (physical): a person is in one group at a time, travel days included."""
    for pid, group in m.grouped("PERS-BUSY", lambda c: c.travellers).items():
        if len(group) > 1:
            m.model.add_no_overlap([m.trip[c.id] for c in group]).with_name(f"busy[{pid}]")


def relax_busy(m: ModelContext) -> None:
    """The relaxation's share of PERS-BUSY: per person, the days their trips must take in
    a month (or two, or three) fit in it (``solver.rules.energy``)."""
    for pid, group in m.grouped("PERS-BUSY", lambda c: c.travellers).items():
        stays = []
        for c in group:
            shift, preferred = m.shift.get(c.id, (None, None))
            stays.append(Stay(m.form[c.id], c.earliest, c.latest, c.length, shift, preferred, c.id))
        post_energy(m.model, stays, f"busy-days[{pid}]")
        m.left_out.append((f"busy-days[{pid}]", stays))


def explain_busy(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which travellers are away with other groups."""
    year = ctx.scenario.year
    facts: list[Text] = []
    tied: list[str] = []
    for pid in c.travellers:
        for p in rivals:
            if pid not in p.candidate.travellers:
                continue
            first, last = trip_dates(p, year)
            facts.append(
                T(
                    "{person} travels with {requests} from {first} to {last}",
                    person=pid,
                    requests="/".join(p.candidate.request_ids),
                    first=first,
                    last=last,
                )
            )
            tied += p.candidate.request_ids
    if not facts:
        return None
    text = T("on every date of its window a traveller is away: {facts}", facts=facts)
    return text, tuple(dict.fromkeys(tied))
