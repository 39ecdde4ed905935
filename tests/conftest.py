"""Fixtures: tiny scenarios built in code, solved with a fixed seed and worker count.

Every solve here goes through the independent auditor (``models.audit``): a test that
gets a plan back from ``solve_data`` knows that every hard rule holds in it.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.audit import Auditor
from models.loading import LoadedScenario, load_scenario
from models.plan import Plan
from solver import SolveOptions, solve

D = dt.date

BASE_UNIT = {"id": "u1", "name": "Unit 1", "level": "municipal", "budget": 1_000_000}
BASE_PERSON = {"id": "p1", "unit": "u1", "rank": "staff"}


def tasks(n: int = 3, theme: str | None = None, by: list[str] | None = None) -> list[dict]:
    out = []
    for k in range(n):
        task: dict[str, Any] = {"text": f"task {k + 1}"}
        if theme:
            task["theme"] = theme
        if by:
            task["by"] = by[k % len(by)]
        out.append(task)
    return out


def request(rid: str, **over: Any) -> dict[str, Any]:
    """A request that breaks no rule of changchun-2020 on its own: one stop of 3 days in
    Germany, 3 tasks, an invitation from a government, submitted before the deadline."""
    base: dict[str, Any] = {
        "id": rid,
        "kind": "self",
        "unit": "u1",
        "head": "p1",
        "stops": [{"country": "DE", "days": 3, "tasks": tasks()}],
        "window": [D(2020, 3, 1), D(2020, 3, 31)],
        "invitation": {"from": "Stadt Essen", "kind": "government"},
        "cost": 1000,
        "submitted": D(2019, 10, 1),
    }
    base.update(over)
    return base


def scenario(requests: list[dict], policy: str = "changchun-2020", **over: Any) -> dict:
    year = 2021 if policy == "ninhbinh-2021" else 2020
    data: dict[str, Any] = {
        "name": "test",
        "year": year,
        "policy": policy,
        "units": [copy.deepcopy(BASE_UNIT)],
        "people": [copy.deepcopy(BASE_PERSON)],
        "requests": requests,
    }
    data.update(over)
    if year == 2021:
        for r in data["requests"]:
            r["window"] = [d.replace(year=2021) for d in r["window"]]
            if "preferred_start" in r:
                r["preferred_start"] = r["preferred_start"].replace(year=2021)
    return data


def write(tmp: Path, data: dict, name: str = "scenario.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def policy_file(tmp: Path, rules: dict[str, dict], name: str = "policy.yaml", **over: Any) -> str:
    """A custom policy with just these rules on; returns the name to put in ``policy:``."""
    data = {"id": "test-policy", "rules": rules, **over}
    (tmp / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return name


def solve_loaded(loaded: LoadedScenario, time_limit: float = 10.0) -> Plan:
    result = solve(loaded, SolveOptions(time_limit=time_limit, seed=1, workers=2))
    report = Auditor(loaded.scenario, loaded.policy).audit(result.plan)
    assert report.violations == [], [str(v) for v in report.violations]
    return result.plan


@pytest.fixture
def solve_data(tmp_path: Path):
    """Write a scenario dict, load it, solve it, audit it; return the plan."""

    def run(data: dict, time_limit: float = 10.0) -> Plan:
        return solve_loaded(load_scenario(write(tmp_path, data)), time_limit)

    return run


def approved(plan: Plan) -> set[str]:
    return set(plan.approved)


def reason_rules(plan: Plan, rid: str) -> list[str]:
    decision = plan.decision(rid)
    assert decision is not None
    return [r.rule for r in decision.reasons]


def reason(plan: Plan, rid: str, rule: str):
    decision = plan.decision(rid)
    assert decision is not None
    return next(r for r in decision.reasons if r.rule == rule)
