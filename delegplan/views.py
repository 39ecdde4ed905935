"""Terminal views of reasons, repairs and intake checks (``delegplan explain`` / ``check``).

Only presentation lives here: the facts come from ``plan.json`` (explain) or from
``solver.intake`` (check), already written in every language the plan carries. The words
around them are ``T`` templates too, so that ``--lang zh`` or ``--lang vi`` gives a
planner one language, not Chinese facts under English headings; identifiers (request ids,
rule ids, repair kinds, country codes) stay as ``plan.json`` spells them in every language.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText

from delegplan.reports.labels import label
from delegplan.reports.view import change_row, message
from models.plan import Decision, Difference, Plan, Reason, Repair
from models.text import T, Text
from solver.intake import IntakeReport, Period

_KIND_LABEL = {
    "ineligible": T("ineligible"),
    "crowded_out": T("crowded out"),
    "not_worth": T("not worth it"),
    "time_limit": T("time limit"),
}


def _columns(table: Table, names: tuple[Text, ...], lang: str, **options: str) -> None:
    for name in names:
        table.add_column(name.render(lang), **options)  # type: ignore[arg-type]


def rejections_table(plan: Plan, lang: str) -> Table:
    """One row per rejected request: why, against whom, and the best repair."""
    table = Table(
        title=T(
            "{count} rejected request(s) of {scenario}",
            count=len(plan.rejected),
            scenario=plan.scenario,
        ).render(lang)
    )
    headers = (T("request"), T("kind"), T("rule"), T("article"), T("with"), T("best repair"))
    _columns(table, headers, lang, overflow="fold")
    for d in plan.decisions:
        if d.status != "rejected":
            continue
        kinds = sorted({_KIND_LABEL[r.kind].render(lang) for r in d.reasons})
        rules = list(dict.fromkeys(r.rule for r in d.reasons))
        articles = list(dict.fromkeys(r.citation for r in d.reasons))
        rivals = list(dict.fromkeys(x for r in d.reasons for x in r.with_))
        best = _short(d.repairs[0], lang) if d.repairs else "-"
        table.add_row(
            d.request,
            ", ".join(kinds),
            "\n".join(rules),
            "\n".join(articles),
            ", ".join(rivals) or "-",
            best,
        )
    return table


#: what each key of a repair's ``change`` (solver/repair.py) asks for, in a table cell
_CHANGE = {
    "reject": lambda v: T("reject {requests}", requests=v),
    "move": lambda v: T("move {requests}", requests=v),
    "to": lambda v: T("to {date}", date=v),
    "window": lambda v: T("window {window}", window=v),
    "exception": lambda v: T("exception to {rules}", rules=v),
    "remove_member": lambda v: T("without {what}", what=v),
    "remove_country": lambda v: T("without {what}", what=v),
}


def _short(repair: Repair, lang: str) -> str:
    """A repair in a table cell: what to change, or its kind where nothing is to change."""
    parts = [
        _CHANGE[k](v).render(lang) if k in _CHANGE else f"{k} {v}" for k, v in repair.change.items()
    ]
    return "; ".join(parts) or repair.kind


def _reason_block(reason: Reason, lang: str) -> Group:
    conflict = T("(conflict {number})", number=reason.conflict) if reason.conflict else None
    head = RichText.assemble(
        (reason.rule, "bold"),
        f"  {reason.citation}  ",
        (_KIND_LABEL[reason.kind].render(lang), "yellow"),
        f"  {conflict.render(lang)}" if conflict else "",
    )
    parts = [head, RichText("  " + message(reason, lang))]
    if reason.with_:
        rivals = T("with: {rivals}", rivals=list(reason.with_)).render(lang)
        parts.append(RichText("  " + rivals, style="cyan"))
    if reason.quote:
        parts.append(RichText(f"  「{reason.quote}」", style="dim"))
    return Group(*parts)


def repairs_block(repairs: tuple[Repair, ...] | list[Repair], lang: str) -> Group:
    lines = []
    for k, repair in enumerate(repairs, start=1):
        lines.append(RichText(f"{k}. [{repair.kind}] {message(repair, lang)}"))
        for move in repair.moves:
            after = str(move.after) if move.after else label("rejected", lang)
            lines.append(RichText(f"     {move.request}: {move.before} -> {after}", style="dim"))
    if not lines:
        none = T("none found: no single change the re-solve could confirm")
        lines.append(RichText(none.render(lang)))
    return Group(*lines)


def decision_story(plan: Plan, decision: Decision, lang: str) -> Panel:
    """The story of one request: its decision, every reason, and the checked repairs."""
    if decision.status == "approved":
        d = next(x for x in plan.delegations if x.id == decision.delegation)
        stops = ", ".join(f"{s.country} {s.start}..{s.end}" for s in d.stops)
        approved = T(
            "approved in {delegation}: {start} to {end}", delegation=d.id, start=d.start, end=d.end
        )
        people = T("head {head}; members {members}", head=d.head, members=list(d.members) or "-")
        together = T("with requests: {requests}", requests=list(d.requests))
        body = Group(
            RichText(approved.render(lang), style="green"),
            RichText(people.render(lang)),
            RichText(T("stops: {stops}", stops=stops).render(lang)),
            RichText(together.render(lang)) if len(d.requests) > 1 else RichText(""),
        )
        return Panel(body, title=decision.request)
    blocks = [_reason_block(r, lang) for r in decision.reasons]
    ask = T("what would get it approved (each checked by a re-solve):")
    body = Group(
        RichText(label("rejected", lang), style="bold red"),
        *blocks,
        RichText(ask.render(lang), style="bold"),
        repairs_block(decision.repairs, lang),
    )
    return Panel(body, title=decision.request)


def _periods(periods: list[Period], lang: str) -> str:
    if not periods:
        return T("none").render(lang)
    shown = [f"{p.first}..{p.last}" if p.first != p.last else str(p.first) for p in periods]
    return ", ".join(shown)


def intake_view(report: IntakeReport, lang: str, with_plan: bool) -> Group:
    """What ``delegplan check`` prints for one request."""
    r = report.request
    parts: list = []
    title = T(
        "{request}: {unit}, head {head}, {countries}, {first}..{last}",
        request=r.id,
        unit=r.unit,
        head=r.head,
        countries=list(r.countries),
        first=r.window[0],
        last=r.window[1],
    )
    parts.append(RichText(title.render(lang), style="bold"))
    if report.eligible:
        eligible = T("eligible on its own: it breaks no hard rule")
        parts.append(RichText(eligible.render(lang), style="green"))
    else:
        parts.append(RichText(T("ineligible on its own:").render(lang), style="bold red"))
    for rule, cost, text in report.soft:
        soft = T("soft cost {rule} {cost}: {text}", rule=rule, cost=cost, text=text)
        parts.append(RichText("  " + soft.render(lang), style="yellow"))
    if report.quotas:
        table = Table(title=T("quotas").render(lang))
        headers = (T("person"), T("rank"), T("limit"), T("history"), T("in the plan"), T("left"))
        _columns(table, headers, lang)
        for q in report.quotas:
            table.add_row(
                q.person,
                q.rank,
                q.limit.render(lang),
                ", ".join(q.used_history) or "-",
                ", ".join(q.used_plan) or "-",
                str(q.left),
            )
        parts.append(table)
    if report.budget:
        b = report.budget
        budget = T(
            "budget of {unit}: {budget}; used by approved requests {used}; left {left}; "
            "this request costs {cost}",
            unit=b.unit,
            budget=b.budget,
            used=b.used,
            left=b.left,
            cost=b.cost,
        )
        parts.append(RichText(budget.render(lang)))
    if with_plan:
        for code, periods in report.free.items():
            free = T(
                "{country} free (no other group there): {periods}",
                country=code,
                periods=_periods(periods, lang),
            )
            parts.append(RichText(free.render(lang)))
        fits = T(
            "it fits beside the plan starting: {periods}", periods=_periods(report.fits_on, lang)
        )
        parts.append(RichText(fits.render(lang), style="green" if report.fits_on else "red"))
    for reason in report.reasons:
        parts.append(_reason_block(reason, lang))
    if report.reasons:
        parts.append(RichText(T("what would get it approved:").render(lang), style="bold"))
        parts.append(repairs_block(report.repairs, lang))
    return Group(*parts)


def print_to(console: Console, *items) -> None:
    for item in items:
        console.print(item)


def merges_view(found, plan: Plan | None, lang: str = "en") -> Group:
    """What ``delegplan merge`` prints: merges offered (and taken), and merges refused."""
    suggestions, refused = found
    taken = {d.requests for d in plan.delegations} if plan else set()
    table = Table(
        title=T("{count} possible composite delegation(s)", count=len(suggestions)).render(lang)
    )
    headers = (T("requests"), T("head"), T("countries"), T("saves: groups"), T("leader-trips"),
               T("travel days"), T("cost (est.)"), T("in the plan"))  # fmt: skip
    _columns(table, headers, lang)
    for sug in suggestions:
        sv = sug.savings
        took = T("taken") if sug.requests in taken else T("not taken")
        table.add_row(
            ", ".join(sug.requests),
            sug.head,
            ", ".join(sug.countries),
            str(sv.delegations),
            str(sv.leader_trips),
            str(sv.travel_days),
            str(sv.cost),
            took.render(lang) if plan else "-",
        )
    stopped = Table(
        title=T("{count} similar pair(s) that may not merge", count=len(refused)).render(lang)
    )
    _columns(stopped, (T("requests"), T("rule"), T("why")), lang)
    for ref in refused:
        stopped.add_row(", ".join(ref.requests), ref.finding.rule, ref.finding.text.render(lang))
    note = T(
        "cost (est.): each request's cost spread over its person-days; merged travellers "
        "counted once for the merged trip's days"
    )
    return Group(table, RichText(note.render(lang), style="dim"), stopped)


def differences_view(found: list[Difference], lang: str) -> Table:
    """What ``delegplan diff`` prints: for each request, each field that changed (the rows
    of a what-if report's table of changes, ``delegplan.reports.view.change_row``)."""
    table = Table(title=T("{count} difference(s)", count=len(found)).render(lang))
    for name in ("Request", "Field", "Before", "After"):
        table.add_column(label(name, lang))
    for d in found:
        row = change_row(d, lang)
        table.add_row(row.request, row.field, row.before, row.after)
    return table


def whatif_view(plan, inp) -> Table:
    """The re-plan at a glance: changes granted, and every knock-on effect on other trips."""
    w = plan.whatif
    changed = {inp.changes.request_id(c) for c in inp.changes.changes}
    proved = "proved minimal" if w.disturbance_proved_minimal else "not proved minimal"
    table = Table(
        title=(
            f"what-if: {len(w.granted)} change(s) granted, {len(w.not_granted)} not, "
            f"{len(w.refused)} refused; {w.disturbed} approved trip(s) disturbed ({proved}), "
            f"{w.shift_days} day(s) moved"
        )
    )
    for name in ("request", "what", "before", "after", "why"):
        table.add_column(name)
    for d in plan.diff:
        why = "requested" if d.request in changed else "knock-on"
        decision = plan.decision(d.request)
        if why == "knock-on" and decision is not None and decision.reasons:
            r = decision.reasons[0]
            why = f"knock-on: {r.rule} [{r.citation}] {', '.join(r.with_)}"
        table.add_row(d.request, d.field, d.before or "-", d.after or "-", why)
    for a, b in w.conflicting:
        table.add_row(a, "conflicts with", b, "-", "both cannot be granted: choose one")
    return table
