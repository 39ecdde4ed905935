"""Policy profiles: which rules apply, how hard, with which numbers.

A profile is a YAML file (``models/policies/<id>.yaml`` for the built-in ones) listing
every rule id of RULES.md with its severity (``hard``, ``soft`` with a weight, ``off``) and
its parameters, plus the objective's weights. A planner copies one, edits it, and points a
scenario's ``policy:`` at the copy. Parameters are typed per rule, so a misspelt parameter
is an error at load time, not a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from models.catalogue import rule_catalogue
from models.text import T, Text

Severity = Literal["hard", "soft", "off"]
BUILTIN_PROFILES = ("changchun-2020", "ninhbinh-2021", "sichuan-training-2020")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Limit(_Frozen):
    """At most ``count`` trips in any ``window_years`` consecutive calendar years, or per term."""

    count: int = Field(ge=0)
    window_years: int | None = Field(default=None, ge=1)
    per: Literal["term"] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Limit:
        if (self.window_years is None) == (self.per is None):
            raise ValueError("a limit has either window_years or per: term")
        return self

    def describe(self) -> Text:
        """'1 a year', '1 in any 2 years', '2 a term'."""
        if self.per == "term":
            return T("{count} a term", count=self.count)
        if self.window_years == 1:
            return T("{count} a year", count=self.count)
        return T("{count} in any {years} years", count=self.count, years=self.window_years)


class Quota(_Frozen):
    """A rank's limits: all must hold (``all_of``), or any one suffices (``any_of``, the 或)."""

    mode: Literal["all_of", "any_of"] = "all_of"
    limits: tuple[Limit, ...]

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"mode": "all_of", "limits": data}
        if isinstance(data, dict) and ("any_of" in data or "all_of" in data):
            mode = "any_of" if "any_of" in data else "all_of"
            return {"mode": mode, "limits": data[mode]}
        return data

    def describe(self) -> Text:
        parts = [limit.describe() for limit in self.limits]
        out = parts[0]
        for part in parts[1:]:
            if self.mode == "any_of":
                out = T("{first} or {second}", first=out, second=part)
            else:
                out = T("{first} and {second}", first=out, second=part)
        return out


# ---- parameters, one model per rule that has any ------------------------------------


class DeadlineParams(_Frozen):
    deadline: dt.date | None = None


class AdjustWindowParams(_Frozen):
    cutoff: dt.date | None = None


class FreqRankParams(_Frozen):
    quotas: dict[str, Quota] = {}
    #: quotas that replace ``quotas`` for people of a ``foreign_economic`` unit
    foreign_economic: dict[str, Quota] = {}


class MaxCountriesParams(_Frozen):
    max: int | None = Field(default=None, ge=1)
    #: soft cost per sub-region beyond the first (the "close to each other" part)
    subregion_weight: int = Field(default=0, ge=0)


class ControlledRegionParams(_Frozen):
    continents: tuple[str, ...] = ("Africa", "South America")
    #: a hard yearly cap on trips to these continents, when given
    max_trips: int | None = Field(default=None, ge=0)


class HotspotParams(_Frozen):
    countries: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()


class SameCountryParams(_Frozen):
    min_gap_days: int = Field(default=0, ge=0)


class UnitCapParams(_Frozen):
    max: int = Field(default=2, ge=1)


class SizeParams(_Frozen):
    head_of_agency: int = Field(default=10, ge=1)
    deputy: int = Field(default=7, ge=1)
    training: int = Field(default=20, ge=1)


class DualParams(_Frozen):
    municipal_no_district: bool = True
    training_one_system: bool = True


class TaskMinParams(_Frozen):
    min: int = Field(default=3, ge=0)


class InviteSourceParams(_Frozen):
    refused: tuple[str, ...] = ()


class PerCountryParams(_Frozen):
    max_days: int = Field(default=3, ge=1)
    event_max_days: int = Field(default=5, ge=1)


class TrainingParams(_Frozen):
    min_days: int = Field(default=14, ge=0)
    max_days: int = Field(default=360, ge=1)


class BudgetUnitParams(_Frozen):
    missing_budget_is_zero: bool = False


class NoParams(_Frozen):
    pass


PARAMS: dict[str, type[_Frozen]] = {
    "PLAN-DEADLINE": DeadlineParams,
    "PLAN-ADJUST-WINDOW": AdjustWindowParams,
    "FREQ-RANK": FreqRankParams,
    "GEO-MAX-COUNTRIES": MaxCountriesParams,
    "GEO-CONTROLLED-REGION": ControlledRegionParams,
    "GEO-HOTSPOT": HotspotParams,
    "GEO-SAME-COUNTRY": SameCountryParams,
    "PERS-UNIT-CAP": UnitCapParams,
    "PERS-SIZE": SizeParams,
    "PERS-DUAL": DualParams,
    "TASK-MIN": TaskMinParams,
    "INVITE-SOURCE": InviteSourceParams,
    "TIME-PER-COUNTRY": PerCountryParams,
    "TIME-TRAINING": TrainingParams,
    "BUDGET-UNIT": BudgetUnitParams,
}


class RuleSetting(_Frozen):
    """One rule in one profile."""

    severity: Severity = "off"
    #: cost per unit of violation when soft (per stop, per day, per pair: RULES.md, README)
    weight: int = Field(default=0, ge=0)
    params: dict[str, Any] = {}

    @field_validator("severity", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare `off` as false; a planner who writes `severity: off` means off
        return "off" if value is False else value

    @property
    def hard(self) -> bool:
        return self.severity == "hard"

    @property
    def soft(self) -> bool:
        return self.severity == "soft"

    @property
    def on(self) -> bool:
        return self.severity != "off"


class Objective(_Frozen):
    """The objective's weights: value of approving a request, and the date-distance price."""

    #: value of approving a request, by its priority 1..5
    priority_value: dict[int, int] = {1: 300, 2: 400, 3: 500, 4: 600, 5: 800}
    #: themes of the year's key support fields (000 annex 1) or training priorities (001 §2)
    theme_bonus: dict[str, int] = {}
    #: countries the year's regional priorities favour (003, 004: ASEAN, Belt and Road...)
    region_countries: tuple[str, ...] = ()
    region_bonus: int = 0
    #: cost of each day between a trip's start and its preferred start
    preferred_date_per_day: int = 1


OFF = RuleSetting()


class Policy(_Frozen):
    """A validated profile. ``rules`` names every rule it turns on; the rest are off."""

    id: str
    title: str = ""
    source: str = ""
    languages: tuple[str, ...] = ("zh", "en")
    rules: dict[str, RuleSetting]
    objective: Objective = Objective()
    #: typed parameters by rule, parsed once: the model builder asks for them per request
    _params: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _known_rules_and_params(self) -> Policy:
        known = rule_catalogue()
        for rule_id, setting in self.rules.items():
            if rule_id not in known:
                raise ValueError(f"unknown rule id {rule_id!r}")
            model = PARAMS.get(rule_id, NoParams)
            try:
                model.model_validate(setting.params)
            except ValidationError as exc:
                details = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}"
                    for e in exc.errors()
                )
                raise ValueError(f"rule {rule_id}: bad params: {details}") from None
            if (
                setting.severity == "soft"
                and setting.weight == 0
                and rule_id != "GEO-MAX-COUNTRIES"
            ):
                raise ValueError(f"rule {rule_id}: soft needs a positive weight")
        return self

    def rule(self, rule_id: str) -> RuleSetting:
        """The setting of a rule; a rule the profile does not name is off."""
        return self.rules.get(rule_id, OFF)

    def params(self, rule_id: str) -> Any:
        """The typed parameters of a rule (defaults where the profile gives none)."""
        private = self.__pydantic_private__
        assert private is not None  # ``_params`` is a private attribute: always set
        cache = private["_params"]  # the slot itself: asked ~10^5 times
        if rule_id not in cache:
            model = PARAMS.get(rule_id, NoParams)
            cache[rule_id] = model.model_validate(self.rule(rule_id).params)
        return cache[rule_id]

    def hard(self, rule_id: str) -> bool:
        return self.rule(rule_id).hard

    def soft(self, rule_id: str) -> bool:
        return self.rule(rule_id).soft

    def quota_ranks(self) -> set[str]:
        """Every rank the profile gives a quota to (used to warn of misspelt ranks)."""
        params: FreqRankParams = self.params("FREQ-RANK")
        return set(params.quotas) | set(params.foreign_economic)


def builtin_policy_path(profile_id: str) -> Path | None:
    """Where a built-in profile's YAML lies, or None for an unknown id."""
    if profile_id not in BUILTIN_PROFILES:
        return None
    return Path(str(resources.files("models").joinpath(f"policies/{profile_id}.yaml")))


def parse_policy(raw: Any) -> Policy:
    """A policy from parsed YAML (raises pydantic.ValidationError on bad data)."""
    return Policy.model_validate(raw)


@cache
def builtin_policy(profile_id: str) -> Policy:
    """A built-in profile by id (KeyError for an unknown id)."""
    path = builtin_policy_path(profile_id)
    if path is None:
        raise KeyError(profile_id)
    return parse_policy(yaml.safe_load(path.read_text(encoding="utf-8")))
