"""The rule registry: every rule of RULES.md, in RULES.md's order, with its functions.

To change a rule, find its id here, then its function in the family module named beside
it. Rules with neither function are enforced elsewhere: TIME-WINDOW is the domain of each
start variable (``solver.model``), PLAN-STABILITY and PLAN-ADJUST-WINDOW belong to
what-if re-plans, FREQ-ENTERPRISE is read inside the FREQ-RANK quota, MERGE is a
suggestion whose only hard part is ``mergeable``.

Order matters in one place only: static checks run before the model is built, so a
request found ineligible never gets variables.
"""

from __future__ import annotations

from solver.rules import (
    composite,
    frequency,
    geography,
    money,
    personnel,
    plan,
    tasks,
    timing,
)
from solver.rules.base import Context, Finding, Rule

REGISTRY: tuple[Rule, ...] = (
    # Plan discipline
    Rule("PLAN-DEADLINE", check=plan.deadline),
    Rule("PLAN-STABILITY"),
    Rule("PLAN-ADJUST-WINDOW"),
    Rule("PLAN-UNIT-FLAGGED", check=plan.unit_flagged),
    # Frequency quotas
    Rule(
        "FREQ-RANK",
        check=frequency.alone,
        post=frequency.post,
        explain=frequency.explain,
        severities=("hard", "off"),
    ),
    Rule("FREQ-ENTERPRISE"),
    # Geography
    Rule("GEO-ONE-CONTINENT", check=geography.one_continent),
    Rule("GEO-MAX-COUNTRIES", check=geography.max_countries),
    Rule(
        "GEO-CONTROLLED-REGION",
        check=geography.controlled_region,
        post=geography.post_controlled_cap,
        explain=geography.explain_controlled_cap,
    ),
    Rule("GEO-HOTSPOT", check=geography.hotspot),
    Rule(
        "GEO-SAME-COUNTRY",
        post=geography.post_same_country,
        explain=geography.explain_same_country,
        links_dates=True,
        relax=geography.relax_same_country,
    ),
    Rule("GEO-HOLIDAY", post=geography.post_holiday, severities=("soft", "off")),
    # Personnel
    Rule("PERS-LEADERSHIP", check=personnel.leadership),
    Rule("PERS-UNIT-CAP", check=personnel.unit_cap),
    Rule("PERS-SIZE", check=personnel.size),
    Rule(
        "PERS-BUSY",
        post=personnel.post_busy,
        explain=personnel.explain_busy,
        severities=("hard", "off"),
        links_dates=True,
        relax=personnel.relax_busy,
    ),
    Rule("PERS-RELEVANT", check=personnel.relevant),
    Rule("PERS-DUAL", check=personnel.dual),
    # Tasks and invitations
    Rule("TASK-MIN", check=tasks.task_min),
    Rule(
        "TASK-DUPLICATE",
        post=tasks.post_task_duplicate,
        severities=("soft", "off"),
    ),
    Rule("INVITE-REQUIRED", check=tasks.invite_required),
    Rule("INVITE-SOURCE", check=tasks.invite_source),
    # Time
    Rule("TIME-WINDOW", check=timing.window, severities=("hard", "off")),
    Rule("TIME-PER-COUNTRY", check=timing.per_country),
    Rule("TIME-TRAINING", check=timing.training),
    # Money
    Rule(
        "BUDGET-UNIT",
        check=money.unit_alone,
        post=money.post_unit,
        explain=money.explain_unit,
        severities=("hard", "off"),
    ),
    Rule(
        "BUDGET-TOTAL",
        check=money.total_alone,
        post=money.post_total,
        explain=money.explain_total,
        severities=("hard", "off"),
    ),
    # Composite delegations
    Rule("MERGE", check=composite.mergeable),
    Rule(
        "MERGE-CATALOGUE",
        check=composite.catalogue,
        post=composite.post_catalogue,
        explain=composite.explain_catalogue,
        severities=("hard", "off"),
    ),
)

RULES_BY_ID = {rule.id: rule for rule in REGISTRY}

__all__ = ["REGISTRY", "RULES_BY_ID", "Context", "Finding", "Rule"]
