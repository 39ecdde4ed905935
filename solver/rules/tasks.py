"""Tasks and invitations (RULES.md, Tasks and invitations)."""

from __future__ import annotations

from itertools import combinations

from solver.candidates import Candidate
from solver.model import ModelContext
from solver.rules.base import Context, Finding, Place, T


def task_min(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(五)): "原则上出访一个国家须执行三项以上工作任务".

    Counted per request and per stop: a merged delegation does not pool its requests' tasks.
    """
    need = ctx.policy.params("TASK-MIN").min
    out = []
    for r in c.requests:
        if ctx.waived(r, "TASK-MIN"):
            continue
        for s in r.stops:
            if len(s.tasks) < need:
                out.append(
                    Finding(
                        "TASK-MIN",
                        T(
                            "{request} has {n} task(s) in {country}; each country needs at "
                            "least {need}",
                            request=r.id,
                            n=len(s.tasks),
                            country=Place(s.country),
                            need=need,
                        ),
                        (r.id,),
                        need - len(s.tasks),
                    )
                )
    return out


def invite_required(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(六)): "各单位自组出访的团组，需自行提供外方邀请函"."""
    return [
        Finding(
            "INVITE-REQUIRED",
            T(
                "{request} is a self-organised group without an invitation from the foreign side",
                request=r.id,
            ),
            (r.id,),
        )
        for r in c.requests
        if r.kind == "self" and r.invitation_kind == "none" and not ctx.waived(r, "INVITE-REQUIRED")
    ]


def invite_source(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 §1(六); 002 II.1): refused invitation sources."""
    refused = set(ctx.policy.params("INVITE-SOURCE").refused)
    out = []
    for r in c.requests:
        if r.invitation_kind in refused and not ctx.waived(r, "INVITE-SOURCE"):
            who = r.invitation.from_ if r.invitation else ""
            out.append(
                Finding(
                    "INVITE-SOURCE",
                    T(
                        "{request} is invited by {host} of kind {kind}, which this policy refuses",
                        request=r.id,
                        host=who or "-",
                        kind=r.invitation_kind,
                    ),
                    (r.id,),
                )
            )
    return out


def _topics(c: Candidate) -> set[tuple[str, str]]:
    """(country, theme) pairs a candidate's tasks work on (tasks without a theme: none)."""
    return {(s.country, t.theme) for r in c.requests for s in r.stops for t in s.tasks if t.theme}


def post_task_duplicate(m: ModelContext) -> None:
    """Soft constraint (000 §1(五); 002 I.2): "严格控制任务重复团组" - a cost per pair of
    groups working on the same theme in the same country (they should merge)."""
    setting = m.policy.rule("TASK-DUPLICATE")
    if not setting.soft:
        return
    topics = {c.id: _topics(c) for c in m.candidates}
    for a, b in combinations(m.candidates, 2):
        if set(a.request_ids) & set(b.request_ids):
            continue
        if m.waived(a, "TASK-DUPLICATE") or m.waived(b, "TASK-DUPLICATE"):
            continue
        shared = topics[a.id] & topics[b.id]
        if not shared:
            continue
        both = m.model.NewBoolVar(f"duplicate[{a.id},{b.id}]")
        m.model.Add(both >= m.form[a.id] + m.form[b.id] - 1)
        what = [
            T("{theme} in {country}", theme=theme, country=Place(code))
            for code, theme in sorted(shared)
        ]
        m.add_cost(
            "TASK-DUPLICATE",
            a,
            setting.weight,
            both,
            T(
                "{first} and {second} both work on {topics}",
                first="/".join(a.request_ids),
                second="/".join(b.request_ids),
                topics=what,
            ),
        )
