"""Static screening: each candidate against every rule that reads it alone.

Runs before the model is built. A hard finding removes the candidate (a lone request with
one is *ineligible*: decided here, it never enters the search); a soft finding becomes a
fixed cost on forming the candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.text import Text
from solver.candidates import Candidate
from solver.rules import REGISTRY, Context, Finding
from solver.rules.geography import subregion_spread

#: rules whose findings always exclude a candidate, whatever the profile says
_ALWAYS_HARD = {"MERGE"}


@dataclass
class Screened:
    kept: list[Candidate] = field(default_factory=list)
    #: candidate id -> hard findings that removed it
    removed: dict[str, list[Finding]] = field(default_factory=dict)
    #: candidate id -> (rule, cost, message) fixed soft costs
    costs: dict[str, list[tuple[str, int, Text]]] = field(default_factory=dict)


def _excludes(rule_id: str, ctx: Context) -> bool:
    """Whether a finding of this rule removes the candidate (a hard rule), rather than
    costing it something (a soft one)."""
    return rule_id in _ALWAYS_HARD or ctx.policy.rule(rule_id).hard


def static_findings(
    c: Candidate, ctx: Context
) -> tuple[list[Finding], list[tuple[str, int, Text]]]:
    """A candidate read alone by every rule: hard findings, and soft (rule, cost, facts).

    The one place static rules are applied: screening, merges, repairs and intake checks
    all ask here, so they can never disagree on what a rule says of a candidate.
    """
    hard: list[Finding] = []
    soft: list[tuple[str, int, Text]] = []
    for rule in REGISTRY:
        setting = ctx.policy.rule(rule.id)
        if rule.check is None or not (setting.on or rule.id in _ALWAYS_HARD):
            continue
        for finding in rule.check(c, ctx):
            if _excludes(rule.id, ctx):
                hard.append(finding)
            else:
                soft.append((rule.id, setting.weight * finding.units, finding.text))
    return hard, soft + subregion_spread(c, ctx)


class HardScreen:
    """The first of ``static_findings``'s hard findings of a candidate, or None.

    Asked of every pair of requests that could merge (``solver.merge``): at 5,000
    requests 45,000 merged trips. Reading every rule, soft ones too, for findings of
    which only the first is read took most of building the model; here the policy's hard
    rules are picked once, in ``static_findings``'s order, and the first finding ends it.
    """

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.checks = [
            rule.check for rule in REGISTRY if rule.check is not None and _excludes(rule.id, ctx)
        ]

    def first(self, c: Candidate) -> Finding | None:
        for check in self.checks:
            for finding in check(c, self.ctx):
                return finding
        return None


def screen(candidates: list[Candidate], ctx: Context) -> Screened:
    """Split candidates into those the model may form and those no date can save."""
    out = Screened()
    for c in candidates:
        hard, soft = static_findings(c, ctx)
        if hard:
            out.removed[c.id] = hard
            continue
        out.kept.append(c)
        if soft:
            out.costs[c.id] = soft
    return out
