"""Every bundled scenario loads, solves, and its plan passes the independent auditor."""

from __future__ import annotations

import pytest

from models.loading import load_scenario
from scenarios import BUNDLED, bundled_path
from tests.conftest import solve_loaded


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenario_solves_clean(name: str) -> None:
    loaded = load_scenario(bundled_path(name))
    plan = solve_loaded(loaded, time_limit=20)  # asserts the auditor finds nothing
    assert plan.status in ("optimal", "feasible")
    assert len(plan.decisions) == len(loaded.scenario.requests)
    assert plan.approved, "a bundled scenario approves some requests"
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    assert rejected, "each bundled scenario has requests that break a rule"
    for d in rejected:
        assert d.reasons and all(r.rule and r.citation and r.message for r in d.reasons)


def test_changchun_is_shaped_on_its_seed() -> None:
    s = load_scenario(bundled_path("changchun-2020")).scenario
    from models.geography import country

    assert 110 <= len(s.requests) <= 130 and 28 <= len(s.units) <= 32
    ranks = {p.rank for p in s.people}
    assert {
        "vice_provincial",
        "vice_municipal_fa",
        "vice_municipal",
        "bureau_chief",
        "bureau_deputy",
    } <= ranks
    assert {t.start.year for t in s.history} == {2018, 2019}
    continents = {country(st.country).continent for r in s.requests for st in r.stops}
    assert len(continents) == 6
    assert len(s.catalogue) == 18  # the items of 000 annex 2


def test_reproducible_runs_give_the_same_plan() -> None:
    # --reproducible counts deterministic time: same input, seed and workers, same plan
    # (all but the wall-clock solve time).
    from solver import SolveOptions, solve

    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    options = SolveOptions(time_limit=5, seed=7, workers=2, reproducible=True)
    plans = [solve(loaded, options).plan.model_dump(exclude={"solve_seconds"}) for _ in range(2)]
    assert plans[0] == plans[1]
