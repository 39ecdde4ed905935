"""The large-neighbourhood search (``solver.improve``): better plans the auditor accepts."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from delegplan.generate import synthetic
from models.audit import Auditor
from models.loading import LoadedScenario, load_scenario
from scenarios import bundled_path
from solver import SolveOptions, solve
from solver.build import build_model
from solver.candidates import singletons
from solver.greedy import Greedy, first_come
from solver.improve import REPRODUCIBLE_STEP_COST, improve, improves
from solver.model import ModelContext
from solver.pinning import plan_values
from tests.conftest import write

OPTIONS = SolveOptions(seed=1, workers=2, reproducible=True)


def _generated(tmp_path: Path, n: int = 250, seed: int = 3) -> LoadedScenario:
    return load_scenario(write(tmp_path, synthetic(n, seed), f"generated-{n}-{seed}.yaml"))


def _clerks_plan(loaded: LoadedScenario) -> tuple[ModelContext, int, list[int]]:
    """The model, and the clerk's plan (first come, first served) as a value per variable."""
    s, p = loaded.scenario, loaded.policy
    m, _ = build_model(loaded, singletons(s))
    placed = first_come(s, p, [c for c in m.candidates if not c.is_composite])
    complete = plan_values(m, placed, OPTIONS)
    assert complete is not None
    return m, complete[0], complete[1]


def _violations(loaded: LoadedScenario, m: ModelContext, values: list[int]) -> list:
    """The hard rules the plan in ``values`` breaks, as the auditor (no solver) sees it."""
    s, p = loaded.scenario, loaded.policy
    layout = Greedy(s, p)
    trips = [
        layout.trip(c, values[m.start[c.id].index])
        for c in m.candidates
        if values[m.form[c.id].index]
    ]
    approved = [rid for t in trips for rid in (r.id for r in t.requests)]
    assert len(approved) == len(set(approved)), "a request in two delegations"
    return Auditor(s, p).check(trips)


def test_it_improves_the_clerks_plan_into_a_plan_the_auditor_accepts(tmp_path: Path) -> None:
    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    before = str(m.model.proto)
    heard: list[int] = []
    better = improve(m, values, start, 0.5, OPTIONS, heard.append)
    assert better.objective > start and better.better >= 1 and better.steps > better.better
    # reproducible: each step costs at least REPRODUCIBLE_STEP_COST deterministic seconds
    assert better.steps <= 0.5 / REPRODUCIBLE_STEP_COST + 1
    assert heard[0] == start and heard == sorted(heard) and heard[-1] == better.objective
    assert not better.interrupted
    assert _violations(loaded, m, values) == []  # the start was a plan of the rules
    assert _violations(loaded, m, better.values) == []  # and so is the improved one
    assert str(m.model.proto) == before  # the steps ran on a copy
    again = improve(m, values, start, 0.5, OPTIONS)
    assert (again.objective, again.values) == (better.objective, better.values)  # reproducible


def test_renumbered_steps_improve_into_a_plan_the_auditor_accepts(
    tmp_path: Path, monkeypatch
) -> None:
    # On a large model each step's model is renumbered (``solver.compact``); here on a
    # small one. The plan read back must be the auditor's, and its objective the one the
    # steps reported: the whole model's objective at those values.
    import solver.steps as steps_module
    from solver.proto import plain_proto

    monkeypatch.setattr(steps_module, "COMPACT_FROM", 0)
    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    made: list[bool] = []
    real = steps_module.StepModels.__init__

    def noted(self, *args, **kwargs) -> None:
        real(self, *args, **kwargs)
        made.append(self.compact)

    monkeypatch.setattr(steps_module.StepModels, "__init__", noted)
    better = improve(m, values, start, 0.5, OPTIONS)
    assert made == [True]
    assert better.objective > start and better.better >= 1
    assert _violations(loaded, m, better.values) == []
    objective = plain_proto(m.model).objective
    inner = objective.offset + sum(
        k * better.values[v] for v, k in zip(objective.vars, objective.coeffs, strict=True)
    )
    assert round(objective.scaling_factor * inner) == better.objective


def test_with_no_time_left_it_does_not_read_the_model(tmp_path: Path, monkeypatch) -> None:
    # a 20,000-request solve given 150 s reaches the improvement with no time left;
    # reading the model for steps it cannot take would cost about 4 s there
    import solver.improve as module

    loaded = _generated(tmp_path, 60)
    m, start, values = _clerks_plan(loaded)

    def unread(*args, **kwargs):
        raise AssertionError("the steps' model was read")

    monkeypatch.setattr(module, "StepModels", unread)
    heard: list[int] = []
    kept = improve(m, values, start, 0.0, OPTIONS, heard.append)
    assert (kept.objective, kept.values, kept.steps) == (start, values, 0)
    assert heard == [start]


def test_ctrl_c_ends_it_after_the_step_with_the_best_plan_so_far(tmp_path: Path) -> None:
    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    heard: list[int] = []

    def press_ctrl_c(objective: int) -> None:
        heard.append(objective)
        if objective > start:  # at the first better plan
            os.kill(os.getpid(), signal.SIGINT)

    # the handler before (Python's own, or SIG_IGN when the tests run in the background)
    before = signal.getsignal(signal.SIGINT)
    better = improve(m, values, start, 60.0, OPTIONS, press_ctrl_c)
    assert better.interrupted and heard == [start, better.objective] and better.better == 1
    assert _violations(loaded, m, better.values) == []
    assert signal.getsignal(signal.SIGINT) is before  # handler restored


def test_solve_runs_it_when_told_reproducibly_and_audited(tmp_path: Path) -> None:
    loaded = _generated(tmp_path, n=100)
    options = SolveOptions(
        time_limit=1, seed=1, workers=2, reproducible=True, improve=True, explain_limit=0
    )
    first = solve(loaded, options)
    plan = first.plan
    assert first.stats["improve_steps"] > 0
    assert plan.objective >= first.stats["improved_objective"] >= first.stats["repaired_objective"]
    assert plan.bound is not None and plan.bound >= plan.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    assert solve(loaded, options).plan.to_json() == plan.to_json()


def test_ctrl_c_during_it_still_gives_an_audited_plan(tmp_path: Path) -> None:
    loaded = _generated(tmp_path, n=150)
    pressed: list[int] = []

    def press_once(progress) -> None:
        if not pressed:
            pressed.append(progress.objective)
            os.kill(os.getpid(), signal.SIGINT)

    options = SolveOptions(time_limit=20, seed=1, workers=2, improve=True, explain_limit=0)
    result = solve(loaded, options, on_progress=press_once)
    assert pressed and result.interrupted and result.plan.status == "feasible"
    assert result.plan.objective >= pressed[0]
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []


def test_below_its_size_it_is_left_to_cp_sat() -> None:
    result = solve(
        load_scenario(bundled_path("changchun-2020")), SolveOptions(time_limit=10, explain_limit=0)
    )
    assert result.plan.status == "optimal" and "improve_steps" not in result.stats


def test_below_its_size_cp_sat_far_from_the_bound_hands_over_to_it(
    tmp_path: Path, monkeypatch
) -> None:
    # Below IMPROVE_FROM CP-SAT searches alone first; ending farther than PROBE_CLOSE from
    # the bound, it hands its plan to the improvement (at 0 any gap left is far: full
    # calendars that leave 1.8% are too slow for a test, benchmarks/findings.md measures them)

    monkeypatch.setattr("solver.phases.PROBE_CLOSE", 0.0)
    loaded = _generated(tmp_path, n=100)
    options = SolveOptions(time_limit=0.5, seed=1, workers=2, reproducible=True, explain_limit=0)
    result = solve(loaded, options)
    stats, plan = result.stats, result.plan
    assert stats["probe_gap"] > 0  # CP-SAT alone first, short of a proof
    assert stats["improve_steps"] > 0  # then the improvement, from the better plan
    start = max(stats["probe_objective"], stats["repaired_objective"])
    assert plan.objective >= stats["improved_objective"] >= start
    assert plan.bound is not None and plan.bound >= plan.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    monkeypatch.setattr("solver.phases.PROBE_CLOSE", 1.0)  # near the bound: CP-SAT goes on alone
    near = solve(loaded, options)
    assert near.stats["probe_gap"] == stats["probe_gap"] and "improve_steps" not in near.stats
    assert near.plan.objective >= near.stats["probe_objective"]
    assert Auditor(loaded.scenario, loaded.policy).audit(near.plan).violations == []


def test_ctrl_c_while_cp_sat_searches_alone_ends_with_an_audited_plan(tmp_path: Path) -> None:
    loaded = _generated(tmp_path)
    pressed: list[int] = []

    def press_once(progress) -> None:  # the first plan reported is the probe's
        if not pressed:
            pressed.append(progress.objective)
            os.kill(os.getpid(), signal.SIGINT)

    options = SolveOptions(time_limit=60, seed=1, workers=2, explain_limit=0)
    result = solve(loaded, options, on_progress=press_once)
    assert pressed and result.interrupted and "improve_steps" not in result.stats
    assert "probe_objective" in result.stats
    assert result.plan.status == "feasible" and result.plan.objective >= pressed[0]
    assert result.plan.solve_seconds < 30
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []


def test_the_improvement_runs_to_the_limit_and_its_plan_is_read_back_unsearched(
    tmp_path: Path, monkeypatch
) -> None:
    # After the improvement CP-SAT's own search no longer runs (given the last 5% of the
    # time it found no plan at 5,000 and 20,000 requests): the improvement gets the whole
    # time left less the read-back's reserve, and its plan is read back from the model
    # fixed to it, with the relaxation's bound, not the fixed model's own optimum.
    import sys

    phases = sys.modules["solver.phases"]
    searched: list[tuple[float, bool]] = []
    run = phases.run_search

    def recorded(m, options, limit, *args):
        # pinned (``solver.pinning.pin``): a row per candidate since the improvement began
        fixed = len(m.model.proto.constraints) >= given[0][2] + len(m.candidates)
        searched.append((limit, fixed))
        return run(m, options, limit, *args)

    given: list[tuple[float, int, int]] = []
    improve_ = phases.improve

    def improve_recorded(m, values, objective, limit, *args):
        proto = m.model.proto
        given.append((limit, len(proto.variables), len(proto.constraints)))
        return improve_(m, values, objective, limit, *args)

    monkeypatch.setattr("solver.phases.run_search", recorded)
    monkeypatch.setattr("solver.phases.improve", improve_recorded)
    loaded = _generated(tmp_path, n=100)
    options = SolveOptions(
        time_limit=2, seed=1, workers=2, reproducible=True, improve=True, explain_limit=0
    )
    result = solve(loaded, options)
    plan = result.plan
    [(limit, variables, _)] = given
    left = options.time_limit * (1 - sys.modules["solver.start"].RELAXATION_SHARE)
    assert limit == pytest.approx(left - phases.READ_BACK_PER_VARIABLE * variables)
    assert searched == [(phases.READ_BACK_LIMIT, True)]  # the read-back alone, fixed
    assert result.stats["read_back"] == "improved plan" and "fallback" not in result.stats
    assert plan.status == "feasible" and plan.objective >= result.stats["improved_objective"]
    assert plan.bound == result.stats["relaxation_bound"] > plan.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []


def test_left_out_steps_bring_in_the_relaxations_trips_first(tmp_path: Path, monkeypatch) -> None:
    # Seeds of "left out" steps are drawn from the trips the relaxation formed while any is
    # left out: of the clerk's plan's hundreds of left-out candidates, only those.
    import solver.improve as module

    loaded = _generated(tmp_path)
    m, _, values = _clerks_plan(loaded)
    formed = {c.id for c in m.candidates if values[m.form[c.id].index]}
    approved = {rid for c in m.candidates if c.id in formed for rid in c.request_ids}
    out = sorted(c.id for c in m.candidates if approved.isdisjoint(c.request_ids))
    assert len(out) > 50
    wanted = set(out[::10])
    monkeypatch.setattr(module, "WANTED_SHARE", 1.0)
    hoods = module._Neighbourhoods(m, seed=1, wanted=wanted)
    seeds = [hoods.left_out(formed, 2) - formed for _ in range(20)]
    assert all(s and s <= wanted for s in seeds)
    assert len(set().union(*seeds)) > 2  # drawn at random among them
    unwanted = module._Neighbourhoods(m, seed=1)  # nothing wanted: any left-out candidate
    assert not set().union(*(unwanted.left_out(formed, 2) - formed for _ in range(20))) <= wanted


def test_for_the_approved_value_alone_it_runs_from_its_own_size(
    tmp_path: Path, monkeypatch
) -> None:
    # ``--objective approvals`` runs the improvement from IMPROVE_APPROVALS_FROM requests
    # (CP-SAT alone proves smaller scenarios quickly), the full objective from IMPROVE_FROM.
    import sys

    import solver.greedy

    # its repaired plan is short of the bound when the repair neither packs nor makes
    # room (either way it reaches the bound at this size, and nothing is left to improve)
    monkeypatch.setattr(solver.greedy, "MOST_MOVED", 0)
    # not packed: each trip on the start nearest its relaxed date
    real_repair = sys.modules["solver.start"].repair
    monkeypatch.setattr(
        "solver.start.repair", lambda *a, **k: real_repair(*a, **{**k, "packed": False})
    )
    loaded = _generated(tmp_path, n=300, seed=5)
    options = SolveOptions(
        time_limit=1, seed=1, workers=2, reproducible=True, objective="approvals", explain_limit=0
    )
    m, _ = build_model(loaded, singletons(loaded.scenario), approvals_only=True)
    unproved = {"relaxation_bound": 10**9}
    # the full objective's threshold is not it
    monkeypatch.setattr("solver.improve.IMPROVE_FROM", 1)
    assert not improves(m, options, unproved, 0)
    monkeypatch.setattr("solver.improve.IMPROVE_APPROVALS_FROM", len(m.approve))
    monkeypatch.setattr("solver.improve.IMPROVE_FROM", 10_000)
    assert improves(m, options, unproved, 0)
    result = solve(loaded, options)
    assert result.stats["repaired_objective"] < result.stats["relaxation_bound"]
    assert result.stats["improve_steps"] > 0
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []


def test_one_step_that_runs_out_of_time_does_not_slow_every_later_step(
    tmp_path: Path, monkeypatch
) -> None:
    # A step that ends before it reloads its plan doubles the next step's time (presolve
    # may need it, as at 20,000 requests). Once a step reaches its plan, the next gets
    # SEARCH_PER_PRESOLVE times what that took, at least STEP_SECONDS: here that is far
    # less, so the steps go back to STEP_SECONDS. Before, one such step
    # (0.49 s at 5,000 requests) made every later step take 1 s.
    from ortools.sat.python import cp_model

    import solver.improve as module

    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    limits: list[float] = []
    real = module.cp_solver

    def recording(options, limit, **kwargs):
        solver = real(options, limit, **kwargs)
        limits.append(limit)
        if len(limits) == 2:  # this step ends with no plan at all
            solver.solve = lambda *args: cp_model.UNKNOWN
        return solver

    monkeypatch.setattr(module, "cp_solver", recording)
    # the time a step took to reach its plan, doubled, is far below STEP_SECONDS even on a
    # loaded machine (under the whole suite a step once took over 0.25 s to reach it)
    monkeypatch.setattr(module, "SEARCH_PER_PRESOLVE", 0.1)
    options = SolveOptions(seed=1, workers=2)  # wall-clock steps
    better = improve(m, values, start, 3.0, options)
    assert better.steps == len(limits) >= 5
    assert limits[:3] == [module.STEP_SECONDS, module.STEP_SECONDS, 2 * module.STEP_SECONDS]
    assert all(limit <= module.STEP_SECONDS for limit in limits[3:])  # the last: time left
    assert _violations(loaded, m, better.values) == []


def _stretch_of(m: ModelContext, code: str, freed: set[str], days: dict) -> bool:
    """Whether ``freed`` is country ``code``'s candidates that meet one stretch of days.

    A stretch meeting every freed candidate ends after the last of their first days and
    starts before the first of their ends, so it meets every candidate of the country
    that can be away over all of that.
    """
    country = {c.id for c in m.candidates if code in c.countries}
    last_start = max(days[cid][0] for cid in freed)
    first_end = min(days[cid][1] for cid in freed)
    return freed <= country and all(
        cid in freed for cid in country if days[cid][0] <= last_start and days[cid][1] >= first_end
    )


def test_country_steps_free_one_stretch_of_a_countrys_calendar(tmp_path: Path) -> None:
    # A "countries" step frees the candidates of its countries that can be there during
    # one stretch of COUNTRY_SLICE_DAYS days, not their whole year (at 20,000 requests
    # no whole-year step was solved to optimality). The stretch falls where a candidate
    # is, so a step never frees nothing, and it frees every candidate meeting it.
    import solver.improve as module

    loaded = _generated(tmp_path, n=400)
    m, _, _ = _clerks_plan(loaded)
    hoods = module._Neighbourhoods(m, seed=1)
    days = {c.id: (c.earliest, c.latest + c.length) for c in m.candidates}
    span = module.COUNTRY_SLICE_DAYS
    part_of_the_year = 0
    for _ in range(40):
        freed = hoods.around_countries(1)
        assert freed
        first_end = min(days[cid][1] for cid in freed)
        last_start = max(days[cid][0] for cid in freed)
        assert last_start - first_end <= span - 2  # one stretch of `span` days meets them all
        shared = set.intersection(*(set(m.by_id[cid].countries) for cid in freed))
        (code,) = [code for code in sorted(shared) if _stretch_of(m, code, freed, days)][:1]
        country = {c.id for c in m.candidates if code in c.countries}
        part_of_the_year += len(freed) < len(country)
    assert part_of_the_year >= 30  # the country's candidates span more than a stretch


def test_dates_steps_free_the_starts_of_approved_trips_in_one_season(tmp_path: Path) -> None:
    # A "dates" step frees the approved trips of its countries that can meet one stretch
    # of DATES_SLICE_DAYS days, and of those only their starts: a schedule of the trips
    # the plan already holds
    import solver.improve as module

    loaded = _generated(tmp_path, n=400)
    m, _, values = _clerks_plan(loaded)
    formed = {c.id for c in m.candidates if values[m.form[c.id].index]}
    hoods = module._Neighbourhoods(m, seed=1)
    days = {c.id: (c.earliest, c.latest + c.length) for c in m.candidates}
    span = module.DATES_SLICE_DAYS
    for _ in range(40):
        freed = hoods.around_dates(formed, 1)
        assert freed and freed <= formed
        first_end = min(days[cid][1] for cid in freed)
        last_start = max(days[cid][0] for cid in freed)
        assert last_start - first_end <= span - 2  # one stretch of `span` days meets them all
        assert set.intersection(*(set(m.by_id[cid].countries) for cid in freed))
    kind, freed = hoods.pick(module.ROTATION.index("dates"), formed)
    decisions = {c.id: (m.form[c.id].index, m.start[c.id].index) for c in m.candidates}
    starts = {m.start[cid].index for cid in freed}
    assert kind == "dates" and set(module._freed(kind, freed, decisions)) == starts


def test_dates_steps_alone_move_trips_and_keep_the_approvals(tmp_path: Path, monkeypatch) -> None:
    # Every step a "dates" step: the clerk's trips (on their preferred start, or the
    # earliest that fits) move nearer their dates, and no request comes in or goes out
    import solver.improve as module

    monkeypatch.setattr(module, "ROTATION", ("dates",))
    recorded: list[tuple[str, int]] = []
    real = module._Neighbourhoods.record

    def record(self, kind: str, gain: int, seconds: float) -> None:
        assert seconds > 0
        recorded.append((kind, gain))
        real(self, kind, gain, seconds)

    monkeypatch.setattr(module._Neighbourhoods, "record", record)
    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    better = improve(m, values, start, 0.5, OPTIONS)
    assert better.objective > start and better.better >= 1
    # each step's gain is recorded, a step with no better plan as 0
    assert {kind for kind, _ in recorded} == {"dates"} and len(recorded) == better.steps
    assert sum(gain for _, gain in recorded) == better.objective - start
    assert sum(gain > 0 for _, gain in recorded) == better.better
    assert better.kinds == {"dates": {"steps": better.steps, "gained": better.objective - start}}
    formed = [c.id for c in m.candidates if values[m.form[c.id].index]]
    assert [c.id for c in m.candidates if better.values[m.form[c.id].index]] == formed
    index = [m.start[cid].index for cid in formed]
    assert any(better.values[i] != values[i] for i in index)  # some trip moved
    assert _violations(loaded, m, better.values) == []


def test_a_steps_kind_is_drawn_by_what_each_kind_gained_a_second(tmp_path: Path) -> None:
    # The kinds take turns (ROTATION) until each has RATE_WINDOW steps on record; then a
    # kind is drawn in proportion to what it gained a second over its last RATE_WINDOW
    # steps, each kind at least MIN_SHARE of the draws, so a kind that has run dry (at
    # 5,000 requests "left out" steps after their first fifth) gives way but is still tried
    import solver.improve as module

    loaded = _generated(tmp_path, n=400)
    m, _, values = _clerks_plan(loaded)
    formed = {c.id for c in m.candidates if values[m.form[c.id].index]}
    hoods = module._Neighbourhoods(m, seed=1)
    turns = module.ROTATION
    assert [hoods.kind(s) for s in range(1, 9)] == [turns[s % len(turns)] for s in range(1, 9)]
    assert set(turns) == set(module.KINDS)
    for _ in range(module.RATE_WINDOW - 1):
        hoods.record("left out", 0, 0.2)
        hoods.record("countries", 100, 1.0)  # 100 a second
        hoods.record("dates", 100, 0.25)  # 400 a second
    assert [hoods.kind(4 * k + 1) for k in range(20)] == ["left out"] * 20  # still turns
    hoods.record("left out", 0, 0.2)
    hoods.record("countries", 100, 1.0)
    hoods.record("dates", 100, 0.25)
    assert hoods.rates() == {"left out": 0.0, "countries": 100.0, "dates": 400.0}

    def shares() -> dict[str, float]:
        draws = [hoods.kind(1) for _ in range(4000)]
        return {kind: draws.count(kind) / len(draws) for kind in module.KINDS}

    share, least = shares(), module.MIN_SHARE
    spread = 1 - 3 * least
    assert share["left out"] == pytest.approx(least, abs=0.02)  # dry, and still tried
    assert share["countries"] == pytest.approx(least + spread * 0.2, abs=0.03)
    assert share["dates"] == pytest.approx(least + spread * 0.8, abs=0.03)
    # only the last RATE_WINDOW steps count: "left out" steps that gain again come back
    for _ in range(module.RATE_WINDOW):
        hoods.record("left out", 300, 0.5)  # 600 a second
    share = shares()
    assert share["left out"] == pytest.approx(least + spread * 600 / 1100, abs=0.03)
    # the draw gives the step its kind, with the candidates that kind frees
    drawn = {hoods.pick(1, formed)[0] for _ in range(60)}
    assert drawn == set(module.KINDS)
    # no kind gaining anything: each as likely as the others
    for kind in module.KINDS:
        for _ in range(module.RATE_WINDOW):
            hoods.record(kind, 0, 0.1)
    assert all(s == pytest.approx(1 / 3, abs=0.03) for s in shares().values())


def test_no_dates_steps_where_dates_are_worth_nothing(tmp_path: Path) -> None:
    # With --objective approvals a trip's dates are worth nothing: a "dates" step (its
    # trips' starts alone freed) could never gain, so none is drawn, in turns or after
    import solver.improve as module

    loaded = _generated(tmp_path, n=400)
    m, _, values = _clerks_plan(loaded)
    formed = {c.id for c in m.candidates if values[m.form[c.id].index]}
    m.approvals_only = True
    hoods = module._Neighbourhoods(m, seed=1)
    assert hoods.kinds == ("left out", "countries")
    turns = [hoods.pick(step, formed)[0] for step in range(1, 41)]
    assert "dates" not in turns and set(turns) == {"left out", "countries"}
    for _ in range(module.RATE_WINDOW):
        hoods.record("left out", 10, 1.0)
        hoods.record("countries", 10, 1.0)
    draws = [hoods.kind(1) for _ in range(400)]
    assert "dates" not in draws and draws.count("left out") == pytest.approx(200, abs=40)


def test_every_step_is_picked_around_the_trips_of_the_plan_it_improves(
    tmp_path: Path, monkeypatch
) -> None:
    # The trips a step is picked around (left out, or approved for a "dates" step) are
    # those of the best plan so far, kept up to date from each better step's own
    # variables rather than read again from the whole plan
    import solver.improve as module

    held: list[list[int]] = []
    real_hold, real_pick = module.StepModels.hold, module._Neighbourhoods.pick

    def hold(self, values: list[int], among=None) -> None:
        held.append(list(values))
        real_hold(self, values, among)

    picked: list[tuple[set[str], set[str]]] = []

    def pick(self, step: int, formed: set[str]):
        plan = held[-1]
        picked.append((set(formed), {c.id for c in m.candidates if plan[m.form[c.id].index]}))
        return real_pick(self, step, formed)

    monkeypatch.setattr(module.StepModels, "hold", hold)
    monkeypatch.setattr(module._Neighbourhoods, "pick", pick)
    loaded = _generated(tmp_path)
    m, start, values = _clerks_plan(loaded)
    better = improve(m, values, start, 0.5, OPTIONS)
    formed_changed = len({frozenset(plan) for _, plan in picked})
    assert better.better >= 1 and formed_changed >= 2  # some step changed the trips
    assert all(formed == plan for formed, plan in picked)


def test_the_steps_end_once_the_plan_is_worth_the_relaxations_bound(
    tmp_path: Path, monkeypatch
) -> None:
    # Two groups want Germany on one date; the relaxation's second round proves the
    # optimum (one group moves 10 days), and the repair reaches it. The improvement, told
    # to run all the same, takes no step: no step could gain on a plan worth a proved
    # bound, and it used to run to the limit (reproducible: no day prices beside, the
    # relaxation's bound alone)
    from tests.test_energy import _two_groups_for_germany

    loaded = _two_groups_for_germany(tmp_path)
    monkeypatch.setattr("solver.phases.improves", lambda *args: True)
    options = SolveOptions(time_limit=5, seed=1, workers=2, reproducible=True, explain_limit=0)
    result = solve(loaded, options)
    stats, plan = result.stats, result.plan
    assert stats["repaired_objective"] == stats["relaxation_bound"] == plan.objective
    assert stats["improve_proved"] is True and stats["improve_steps"] == 0
    assert plan.status == "optimal" and stats["proved_by"] == "relaxation bound"
    assert sum(1 for d in plan.decisions if d.status == "approved") == 2
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
