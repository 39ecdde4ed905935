"""Terminal views of reasons, repairs and intake checks (``delegplan explain`` / ``check``).

Only presentation lives here: the facts come from ``plan.json`` (explain) or from
``solver.intake`` (check), already written in every language the plan carries.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText

from models.plan import Decision, Plan, Reason, Repair
from solver.intake import IntakeReport, Period

_KIND_LABEL = {
    "ineligible": "ineligible",
    "crowded_out": "crowded out",
    "not_worth": "not worth it",
    "time_limit": "time limit",
}


def message(item: Reason | Repair, lang: str) -> str:
    """The item's message in ``lang``, falling back to English when the plan lacks it."""
    if lang == "zh" and item.message_zh:
        return item.message_zh
    if lang == "vi" and item.message_vi:
        return item.message_vi
    return item.message


def rejections_table(plan: Plan, lang: str) -> Table:
    """One row per rejected request: why, against whom, and the best repair."""
    table = Table(title=f"{len(plan.rejected)} rejected request(s) of {plan.scenario}")
    for col in ("request", "kind", "rule", "article", "with", "best repair"):
        table.add_column(col, overflow="fold")
    for d in plan.decisions:
        if d.status != "rejected":
            continue
        kinds = sorted({_KIND_LABEL[r.kind] for r in d.reasons})
        rules = list(dict.fromkeys(r.rule for r in d.reasons))
        articles = list(dict.fromkeys(r.citation for r in d.reasons))
        rivals = list(dict.fromkeys(x for r in d.reasons for x in r.with_))
        best = _short(d.repairs[0]) if d.repairs else "-"
        table.add_row(
            d.request,
            ", ".join(kinds),
            "\n".join(rules),
            "\n".join(articles),
            ", ".join(rivals) or "-",
            best,
        )
    return table


def _short(repair: Repair) -> str:
    """A repair in a table cell: its kind and what to change."""
    change = "; ".join(f"{k} {v}" for k, v in repair.change.items())
    return f"{repair.kind}: {change}" if change else repair.kind


def _reason_block(reason: Reason, lang: str) -> Group:
    head = RichText.assemble(
        (reason.rule, "bold"),
        f"  {reason.citation}  ",
        (_KIND_LABEL[reason.kind], "yellow"),
        f"  (conflict {reason.conflict})" if reason.conflict else "",
    )
    parts = [head, RichText("  " + message(reason, lang))]
    if reason.with_:
        parts.append(RichText("  with: " + ", ".join(reason.with_), style="cyan"))
    if reason.quote:
        parts.append(RichText(f"  「{reason.quote}」", style="dim"))
    return Group(*parts)


def repairs_block(repairs: tuple[Repair, ...] | list[Repair], lang: str) -> Group:
    lines = []
    for k, repair in enumerate(repairs, start=1):
        lines.append(RichText(f"{k}. [{repair.kind}] {message(repair, lang)}"))
        for move in repair.moves:
            after = str(move.after) if move.after else "rejected"
            lines.append(RichText(f"     {move.request}: {move.before} -> {after}", style="dim"))
    if not lines:
        lines.append(RichText("none found: no single change the re-solve could confirm"))
    return Group(*lines)


def decision_story(plan: Plan, decision: Decision, lang: str) -> Panel:
    """The story of one request: its decision, every reason, and the checked repairs."""
    if decision.status == "approved":
        d = next(x for x in plan.delegations if x.id == decision.delegation)
        stops = ", ".join(f"{s.country} {s.start}..{s.end}" for s in d.stops)
        body = Group(
            RichText(f"approved in {d.id}: {d.start} to {d.end}", style="green"),
            RichText(f"head {d.head}; members {', '.join(d.members) or '-'}"),
            RichText(f"stops: {stops}"),
            RichText(f"with requests: {', '.join(d.requests)}")
            if len(d.requests) > 1
            else RichText(""),
        )
        return Panel(body, title=decision.request)
    blocks = [_reason_block(r, lang) for r in decision.reasons]
    body = Group(
        RichText("rejected", style="bold red"),
        *blocks,
        RichText("what would get it approved (each checked by a re-solve):", style="bold"),
        repairs_block(decision.repairs, lang),
    )
    return Panel(body, title=decision.request)


def _periods(periods: list[Period]) -> str:
    if not periods:
        return "none"
    shown = [f"{p.first}..{p.last}" if p.first != p.last else str(p.first) for p in periods]
    return ", ".join(shown)


def intake_view(report: IntakeReport, lang: str, with_plan: bool) -> Group:
    """What ``delegplan check`` prints for one request."""
    r = report.request
    parts: list = []
    title = (
        f"{r.id}: {r.unit}, head {r.head}, {', '.join(r.countries)}, {r.window[0]}..{r.window[1]}"
    )
    parts.append(RichText(title, style="bold"))
    if report.eligible:
        parts.append(RichText("eligible on its own: it breaks no hard rule", style="green"))
    else:
        parts.append(RichText("ineligible on its own:", style="bold red"))
    for rule, cost, text in report.soft:
        parts.append(RichText(f"  soft cost {rule} {cost}: {text.render(lang)}", style="yellow"))
    if report.quotas:
        table = Table(title="quotas")
        for col in ("person", "rank", "limit", "history", "in the plan", "left"):
            table.add_column(col)
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
        parts.append(
            RichText(
                f"budget of {b.unit}: {b.budget}; used by approved requests {b.used}; "
                f"left {b.left}; this request costs {b.cost}"
            )
        )
    if with_plan:
        for code, periods in report.free.items():
            parts.append(RichText(f"{code} free (no other group there): {_periods(periods)}"))
        parts.append(
            RichText(
                f"it fits beside the plan starting: {_periods(report.fits_on)}",
                style="green" if report.fits_on else "red",
            )
        )
    for reason in report.reasons:
        parts.append(_reason_block(reason, lang))
    if report.reasons:
        parts.append(RichText("what would get it approved:", style="bold"))
        parts.append(repairs_block(report.repairs, lang))
    return Group(*parts)


def print_to(console: Console, *items) -> None:
    for item in items:
        console.print(item)


def merges_view(found, plan: Plan | None) -> Group:
    """What ``delegplan merge`` prints: merges offered (and taken), and merges refused."""
    suggestions, refused = found
    taken = {d.requests for d in plan.delegations} if plan else set()
    table = Table(title=f"{len(suggestions)} possible composite delegation(s)")
    for col in (
        "requests",
        "head",
        "countries",
        "saves: groups",
        "leader-trips",
        "travel days",
        "cost (est.)",
        "in the plan",
    ):
        table.add_column(col)
    for sug in suggestions:
        sv = sug.savings
        table.add_row(
            ", ".join(sug.requests),
            sug.head,
            ", ".join(sug.countries),
            str(sv.delegations),
            str(sv.leader_trips),
            str(sv.travel_days),
            str(sv.cost),
            ("taken" if sug.requests in taken else "not taken") if plan else "-",
        )
    stopped = Table(title=f"{len(refused)} similar pair(s) that may not merge")
    for col in ("requests", "rule", "why"):
        stopped.add_column(col)
    for ref in refused:
        stopped.add_row(", ".join(ref.requests), ref.finding.rule, ref.finding.message)
    note = RichText(
        "cost (est.): each request's cost spread over its person-days; merged travellers "
        "counted once for the merged trip's days",
        style="dim",
    )
    return Group(table, note, stopped)


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
