"""The rule catalogue: every rule id of RULES.md with its title, citation and quote.

Shared by the solver (reasons), the auditor (violations) and the reports, so that a
citation is written once, in ``models/data/rules.yaml``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict


class RuleInfo(BaseModel):
    """What a planner reads about a rule: its title, article and the article's words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    #: the title in Chinese and Vietnamese (every rule has both: a planner lists the rules
    #: in the language of the office, ``delegplan rules --lang``)
    title_zh: str
    title_vi: str
    citation: str
    quote: str
    quote_vi: str | None = None

    def title_in(self, lang: str) -> str:
        """The rule's title in ``lang`` (en, zh or vi)."""
        return {"zh": self.title_zh, "vi": self.title_vi}.get(lang, self.title)


@cache
def rule_catalogue() -> dict[str, RuleInfo]:
    """All rules of RULES.md by id, in the order of RULES.md."""
    text = resources.files("models").joinpath("data/rules.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return {rule_id: RuleInfo(id=rule_id, **body) for rule_id, body in raw.items()}


def rule_info(rule_id: str) -> RuleInfo:
    """The catalogue entry of one rule id (KeyError for an unknown id)."""
    return rule_catalogue()[rule_id]


def quote_for(rule_id: str, languages: tuple[str, ...] | list[str]) -> str:
    """The article's sentence in the regulation's language: Vietnamese for a profile that
    writes Vietnamese and has a Vietnamese source for the rule, else the first source."""
    info = rule_catalogue().get(rule_id)
    if info is None:
        return ""
    if "vi" in languages and info.quote_vi:
        return info.quote_vi
    return info.quote
