"""Composite delegations: who may merge, and the year's catalogue (RULES.md, MERGE)."""

from __future__ import annotations

from collections import defaultdict

from solver.candidates import Candidate, Placed
from solver.model import ModelContext
from solver.rules.base import Context, Finding, T, Text, clauses, rival_ids
from solver.rules.sums import post_capped_sum


def mergeable(c: Candidate, ctx: Context) -> list[Finding]:
    """Requests with ``mergeable: false`` are never merged (RULES.md, MERGE)."""
    if not c.is_composite:
        return []
    fixed = [r.id for r in c.requests if not r.mergeable]
    if not fixed:
        return []
    return [Finding("MERGE", T("{requests} asked not to be merged", requests=fixed), c.request_ids)]


def catalogue(c: Candidate, ctx: Context) -> list[Finding]:
    """Hard constraint (000 annex 2): items never mix, and an item of 0 groups forms none."""
    items = sorted({r.catalogue for r in c.requests if r.catalogue})
    if ctx.any_waived(c, "MERGE-CATALOGUE"):
        return []
    if len(items) > 1:
        return [
            Finding(
                "MERGE-CATALOGUE",
                T(
                    "requests of different catalogue items ({items}) never share a delegation",
                    items=items,
                ),
                c.request_ids,
            )
        ]
    if items and ctx.scenario.catalogue_by_id[items[0]].groups == 0:
        return [
            Finding(
                "MERGE-CATALOGUE",
                T("catalogue item {item} forms no group this year", item=items[0]),
                c.request_ids,
            )
        ]
    return []


def post_catalogue(m: ModelContext) -> None:
    """Hard constraint (000 annex 2): at most ``groups`` delegations hold requests of an item.

    A delegation belongs to item X when any of its requests has ``catalogue: X``; a lone
    request of X counts as one delegation of X.
    """
    by_item: dict[str, list[Candidate]] = defaultdict(list)
    for c in m.candidates:
        for item in {r.catalogue for r in c.requests if r.catalogue}:
            by_item[item].append(c)
    for item_id, group in sorted(by_item.items()):
        cap = m.scenario.catalogue_by_id[item_id].groups
        subjects = [m.form[c.id] for c in group if not m.waived(c, "MERGE-CATALOGUE")]
        if len(group) <= cap:
            continue
        post_capped_sum(
            m.model,
            [(1, m.form[c.id]) for c in group],
            cap,
            subjects,
            len(subjects) == len(group),
            f"catalogue[{item_id}]",
        )


def explain_catalogue(
    c: Candidate, rivals: list[Placed], ctx: Context
) -> tuple[Text, tuple[str, ...]] | None:
    """Which delegations already hold the request's catalogue item."""
    facts: list[Text] = []
    tied: list[str] = []
    for item in sorted({r.catalogue for r in c.requests if r.catalogue}):
        holders = [p for p in rivals if any(r.catalogue == item for r in p.candidate.requests)]
        if not holders:
            continue
        ids = rival_ids(holders)
        facts.append(
            T(
                "catalogue item {item} forms at most {groups} delegation(s); {requests} "
                "already hold it",
                item=item,
                groups=ctx.scenario.catalogue_by_id[item].groups,
                requests=list(ids),
            )
        )
        tied += ids
    return (clauses(facts), tuple(dict.fromkeys(tied))) if facts else None
