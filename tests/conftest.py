"""Fixtures: tiny scenarios built in code, solved with a fixed seed and worker count.

Every solve here goes through the independent auditor (``models.audit``): a test that
gets a plan back from ``solve_data`` knows that every hard rule holds in it.
"""

from __future__ import annotations

import copy
import datetime as dt
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ortools.sat.python import cp_model

from models.audit import Auditor
from models.loading import LoadedScenario, load_scenario
from models.plan import Plan
from solver import SolveOptions, solve

# OR-Tools keeps its pre-PEP8 names (``NewBoolVar``, ``Proto()``) as wrappers that warn only
# when asked to. Asked here, with that warning an error (pyproject.toml), they stay out of
# the code before a release of OR-Tools drops them.
cp_model.enable_warnings = True

D = dt.date


@pytest.fixture(autouse=True)
def _sigint_back_to_python() -> Iterator[None]:
    """Python's SIGINT handler, put back in the kernel after each test.

    A bare ``CpSolver`` (several tests solve with one) keeps CP-SAT's own Ctrl-C handler,
    which sets SIGINT to SIG_DFL behind Python's back when its solve ends: a later test's
    press (several send one to this process) would then kill the test process outright.
    delegplan's own solvers never use that handler (``catch_sigint_signal`` off).
    """
    yield
    handler = signal.getsignal(signal.SIGINT)
    if handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


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


def gap_policy(tmp: Path, gap: int) -> str:
    """changchun-2020 with ``gap`` days required between groups in one country
    (GEO-SAME-COUNTRY's ``min_gap_days``); returns the name to put in ``policy:``."""
    from models.policy import builtin_policy_path

    rules = yaml.safe_load(builtin_policy_path("changchun-2020").read_text(encoding="utf-8"))
    rules["id"] = f"gap-{gap}"
    rules["rules"]["GEO-SAME-COUNTRY"]["params"] = {"min_gap_days": gap}
    (tmp / f"gap-{gap}.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), "utf-8")
    return f"gap-{gap}.yaml"


def solve_loaded(loaded: LoadedScenario, time_limit: float = 10.0) -> Plan:
    result = solve(loaded, SolveOptions(time_limit=time_limit, seed=1, workers=2))
    report = Auditor(loaded.scenario, loaded.policy).audit(result.plan)
    assert report.violations == [], [str(v) for v in report.violations]
    assert_auditor_catches_forced_rejections(loaded, result.plan)
    return result.plan


def assert_auditor_catches_forced_rejections(loaded: LoadedScenario, plan: Plan) -> None:
    """Hand-break the plan: approve each rejected request anyway, on every start of its window.

    Where the solver rejected a request under hard rules (``ineligible`` or
    ``crowded_out``), the auditor, which knows nothing of the solver, must then find a
    violation of one of the rules the solver cited, on every date: otherwise either the
    reason or the auditor is wrong.
    """
    from models.plan import Delegation, PlanStop
    from models.trip import lay_out

    s, p = loaded.scenario, loaded.policy
    auditor = Auditor(s, p)
    assert auditor.audit(plan).violations == []
    trips = auditor.trips_of(plan)
    for decision in plan.decisions:
        reasons = decision.reasons
        if decision.status != "rejected" or not reasons:
            continue
        if any(r.kind not in ("ineligible", "crowded_out") or not p.hard(r.rule) for r in reasons):
            continue
        r = s.request_by_id[decision.request]
        first, last = r.window[0], r.window[1] - dt.timedelta(r.length - 1)
        starts = [first + dt.timedelta(k) for k in range(max((last - first).days, 0) + 1)]
        cited = {x.rule for x in reasons}
        for start in starts:
            dates = lay_out(start, tuple((x.country, x.days) for x in r.stops), r.travel_days)
            forced = Delegation(
                id="D-FORCED",
                requests=(r.id,),
                head=r.head,
                members=r.members,
                start=dates.start,
                end=dates.end,
                stops=tuple(
                    PlanStop(country=x.country, start=x.start, end=x.end) for x in dates.stops
                ),
            )
            # what the auditor finds with it approved, about it (the plan itself is clean)
            alone = auditor.trips_of(plan.model_copy(update={"delegations": (forced,)}))
            found = {v.rule for v in auditor.check(trips, focus=alone)}
            assert found & cited, (
                f"{r.id} on {start}: the solver cites {sorted(cited)}, the auditor finds "
                f"{sorted(found)}"
            )


@pytest.fixture
def solve_data(tmp_path: Path):
    """Write a scenario dict, load it, solve it, audit it; return the plan."""

    def run(data: dict, time_limit: float = 10.0) -> Plan:
        return solve_loaded(load_scenario(write(tmp_path, data)), time_limit)

    return run


def count_forked_runs(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Spy on ``module.name``, a function that shares work out to forked processes and
    answers None when it falls back to this one: one entry per call, True if the
    workers ran."""
    ran: list[bool] = []
    real = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        ran.append(out is not None)
        return out

    monkeypatch.setattr(module, name, spy)
    return ran


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
