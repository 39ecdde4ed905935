"""Tasks and invitations (RULES.md, Tasks and invitations)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

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


def _repeats(value: Callable[[Any], int], forms: list[Any]) -> int:
    """How many groups of a plan (read by ``value``) repeat the first one's topic."""
    return max(sum(value(f) for f in forms) - 1, 0)


def post_task_duplicate(m: ModelContext) -> None:
    """Soft constraint (000 §1(五); 002 I.2): "严格控制任务重复团组" - a cost per group beyond
    the first working on one theme in one country ("merge them or keep one").

    Counted per topic (country, theme): ``extra = max(formed groups on it - 1, 0)``. A merged
    delegation is one group, so merging the repeats removes the cost. Charging the groups
    beyond the first rather than each pair keeps the objective linear, which gives the
    search a tight bound (a pair cost ``both >= a + b - 1`` is 0 at a = b = 1/2).
    """
    setting = m.policy.rule("TASK-DUPLICATE")
    if not setting.soft:
        return
    by_topic: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for c in m.candidates:
        if m.waived(c, "TASK-DUPLICATE"):
            continue
        for topic in _topics(c):
            by_topic[topic].append(c)
    for (code, theme), group in sorted(by_topic.items()):
        holders = {rid for c in group for rid in c.request_ids}
        if len(holders) < 2:
            continue  # one request alone (or in its merges) never repeats itself
        extra = m.model.new_int_var(0, len(group) - 1, f"duplicate[{code},{theme}]")
        forms = [m.form[c.id] for c in group]
        if m.exact_costs:
            m.model.add_max_equality(extra, [sum(forms) - 1, 0])
        else:  # a lower bound; the plan reports the true count (``exact``)
            m.model.add(extra >= sum(forms) - 1)
        m.add_topic_cost(
            "TASK-DUPLICATE",
            setting.weight,
            extra,
            [c.id for c in group],
            T("{theme} in {country}", theme=theme, country=Place(code)),
            exact=partial(_repeats, forms=forms),
        )
