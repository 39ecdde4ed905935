"""The search's warm start: the relaxation bounds the plan and never changes the optimum."""

from __future__ import annotations

from ortools.sat.python import cp_model

from models.audit import Auditor
from models.loading import LoadedScenario, load_scenario
from scenarios import bundled_path
from solver import SolveOptions, solve
from solver.build import build_model
from solver.candidates import singletons
from solver.greedy import Greedy
from solver.warmstart import relax


def test_relaxation_leaves_out_only_the_rules_that_link_dates() -> None:
    loaded = load_scenario(bundled_path("changchun-2020"))
    candidates = singletons(loaded.scenario)
    full, _ = build_model(loaded, candidates)
    relaxed, _ = build_model(loaded, candidates, relaxed=True)
    names = lambda m: {c.name.split("[")[0] for c in m.model.proto.constraints}  # noqa: E731
    assert {"same-country", "busy"} <= names(full)
    assert not {"same-country", "busy"} & names(relaxed)
    # what it adds instead are the rows those no-overlaps imply (``solver.rules.energy``)
    assert names(relaxed) - {"same-country-days", "busy-days"} <= names(full)
    assert [c.id for c in relaxed.candidates] == [c.id for c in full.candidates]


def test_warm_start_keeps_the_optimum_and_bounds_it() -> None:
    # The relaxation's bound is added to the model as a cut; if it were not a true bound it
    # would cut off the optimum. Both ways must prove the same optimum.
    loaded = load_scenario(bundled_path("changchun-2020"))
    cold = solve(
        loaded, SolveOptions(time_limit=60, seed=1, workers=2, warm_start=False, explain_limit=0)
    )
    warm = solve(loaded, SolveOptions(time_limit=60, seed=1, workers=2, explain_limit=0))
    assert cold.plan.status == warm.plan.status == "optimal"
    assert cold.plan.objective == warm.plan.objective
    assert warm.stats["relaxation_bound"] >= warm.plan.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(warm.plan).violations == []


def test_repaired_relaxation_is_feasible_and_under_the_bound() -> None:
    # The hint the search starts from: the relaxation's trips placed by the auditor, then
    # the other requests. It must pass the auditor, and no plan beats the relaxation.
    from solver.greedy import repair

    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    s, p = loaded.scenario, loaded.policy
    candidates = singletons(s)
    relaxed, _ = build_model(loaded, candidates, relaxed=True)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 20
    warm = relax(relaxed, solver)
    assert warm is not None and warm.optimal
    chosen = [c for c in relaxed.candidates if warm.forms[c.id]]
    placed = repair(s, p, relaxed.candidates, chosen, warm.starts)
    assert len(placed) >= len(chosen) * 0.8
    delegations = [Greedy(s, p).trip(t.candidate, t.start) for t in placed]
    assert not Auditor(s, p).check(delegations)
    best = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, explain_limit=0)).plan
    assert warm.bound >= best.objective


def test_when_the_search_finds_nothing_the_repaired_relaxation_is_the_plan(monkeypatch) -> None:
    # Make the search report that it found nothing: the repaired relaxation (every trip
    # placed by the auditor) is read back as a feasible plan, bounded by the relaxation.

    monkeypatch.setattr("solver.search.STATUS", {})
    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    # (not improved: the improvement's own fallback is tested in test_improve.py)
    result = solve(loaded, SolveOptions(time_limit=20, seed=1, workers=2, improve=False))
    plan = result.plan
    assert result.stats["fallback"] == "repaired relaxation"
    assert plan.status == "feasible" and plan.approved and not result.interrupted
    assert plan.bound == result.stats["relaxation_bound"] >= plan.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []


def test_slack_in_a_lower_bounded_cost_is_never_reported() -> None:
    # TASK-DUPLICATE is posted as extra >= groups - 1 (faster to search than an equality);
    # a plan short of optimal may leave extra at 1 with one group formed. The plan must
    # report the true amount (0) and the objective without that slack.
    from types import SimpleNamespace

    from ortools.sat.python import cp_model

    from solver.model import CostTerm
    from solver.readback import term_amount, true_objective

    model = cp_model.CpModel()
    a, b, extra = model.new_bool_var("a"), model.new_bool_var("b"), model.new_int_var(0, 1, "e")
    term = CostTerm(
        "TASK-DUPLICATE", "", ("A", "B"), 40, extra, None, ("a", "b"),
        exact=lambda value: max(value(a) + value(b) - 1, 0),
    )  # fmt: skip
    values = {a.index: 1, b.index: 0, extra.index: 1}
    solver = SimpleNamespace(value=lambda x: values[x.index], objective_value=460)
    assert term_amount(term, solver) == 0
    assert true_objective(SimpleNamespace(costs=[term], approvals_only=False), solver) == 500


def test_repair_places_the_trips_with_least_room_first(tmp_path, monkeypatch) -> None:
    # Two groups to Germany (3 days' stay, 2 travel days: 5 days). T's window holds exactly
    # one trip (8-12 March); W's has three weeks. The relaxation put both on 8 March.
    # Each placed near its relaxed date: T first (least room), T takes 8 March and W steps
    # aside (3 or 13 March): both go. W first (worth more), W takes 8 March and T has
    # nowhere to go, until room is made for it (``solver.greedy.make_room``: W moves
    # aside then).
    import datetime as dt

    import solver.greedy as module
    from solver.greedy import repair

    d = dt.date
    loaded = _two_trips_to_germany(
        tmp_path, ("W", 5, d(2020, 3, 1), d(2020, 3, 20)), ("T", 2, d(2020, 3, 8), d(2020, 3, 12))
    )
    s, p = loaded.scenario, loaded.policy
    candidates = singletons(s)
    starts = {c.id: 67 for c in candidates}  # 8 March 2020
    by_id = {c.id: c for c in candidates}
    least_room, most_valuable = [by_id["T"], by_id["W"]], [by_id["W"], by_id["T"]]
    both = repair(s, p, candidates, least_room, starts)
    made_room = repair(s, p, candidates, most_valuable, starts)
    with monkeypatch.context() as patch:
        patch.setattr(module, "MOST_MOVED", 0)
        one = repair(s, p, candidates, most_valuable, starts)
    assert sorted(t.id for t in both) == ["T", "W"] and [t.id for t in one] == ["W"]
    assert {t.id: t.start for t in both}["T"] == 67
    assert {t.id: t.start for t in made_room} == {t.id: t.start for t in both}
    # and the search's warm start keeps the better of the orders: both go
    result = solve(loaded, SolveOptions(time_limit=10, seed=1, workers=2))
    assert set(result.plan.approved) == {"T", "W"}


def test_packed_repair_fills_a_full_calendar_then_moves_trips_back_to_their_dates(
    tmp_path, monkeypatch
) -> None:
    # A and B to Germany, 5 days each (a travel day, 3 days' stay, a travel day), both
    # within 1-9 March: their stays part only if they start 3 days apart, on 1 and 4 March
    # or 1 and 5 or 2 and 5. The relaxation put both on 3 March. Near their dates (no room
    # made), the first starts on 3 March and the second fits nowhere. Packed, the first
    # starts on 1 March and the second on 4 March. C goes to France, alone, and its
    # relaxed date is 10 March: packed puts it on 1 March, and ``_polish`` moves it back.
    import datetime as dt

    import solver.greedy as module
    from solver.greedy import repair, repair_orders
    from tests.conftest import request, scenario, tasks, write
    from tests.test_rules import people, units

    d, march = dt.date, [dt.date(2020, 3, 1), dt.date(2020, 3, 9)]
    data = scenario(
        [
            request("A", window=march, travel_days=2),
            request("B", unit="u2", head="p2", window=march, travel_days=2),
            request(
                "C",
                unit="u3",
                head="p3",
                stops=[{"country": "FR", "days": 3, "tasks": tasks()}],
                window=[d(2020, 3, 1), d(2020, 3, 20)],
                travel_days=2,
            ),
        ],
        units=units(("u1", {}), ("u2", {}), ("u3", {})),
        people=people(("p1", "u1", {}), ("p2", "u2", {}), ("p3", "u3", {})),
    )
    loaded = load_scenario(write(tmp_path, data))
    s, p = loaded.scenario, loaded.policy
    candidates = singletons(s)
    starts = {"A": 62, "B": 62, "C": 69}  # 3 March, 3 March, 10 March 2020
    packed = repair_orders(candidates, p)[0]
    assert [c.id for c in packed][-1] == "C"  # latest start last
    monkeypatch.setattr(module, "MOST_MOVED", 0)
    near = repair(s, p, candidates, packed, starts)
    placed = repair(s, p, candidates, packed, starts, packed=True)
    assert sorted(t.id for t in near) == ["A", "C"]
    assert sorted((t.start, t.id) for t in placed) == [(60, "A"), (63, "B"), (69, "C")]
    trips = [Greedy(s, p).trip(t.candidate, t.start) for t in placed]
    assert not Auditor(s, p).check(trips)


def _two_trips_to_germany(tmp_path, first: tuple, second: tuple) -> LoadedScenario:
    """Two requests of two units to Germany (a 3-day stay, 2 travel days), each given as
    (id, priority, first day, last day of its window)."""
    from tests.conftest import request, scenario, write
    from tests.test_rules import people, units

    trips = [
        request(rid, unit=f"u{n}", head=f"p{n}", priority=priority, window=[a, b], travel_days=2)
        for n, (rid, priority, a, b) in enumerate((first, second), start=1)
    ]
    data = scenario(
        trips,
        units=units(("u1", {}), ("u2", {})),
        people=people(("p1", "u1", {}), ("p2", "u2", {})),
    )
    return load_scenario(write(tmp_path, data))


def test_packing_by_fortnights_places_the_valuable_trip_strict_packing_drops(
    tmp_path, monkeypatch
) -> None:
    # K (priority 1) and V (priority 5) to Germany, 5-day trips: K may start on 8 or 9
    # March, V on 8, 9 or 10 March, and any two of those starts clash. Strict packing
    # takes K first (its latest start is a day sooner) and V fits nowhere; with no room
    # made (as when a composite is blocked by more trips than ``MOST_MOVED``) V is dropped.
    # By fortnights both latest starts fall in one fortnight, and V, worth more per
    # possible start, goes first.
    import datetime as dt

    import solver.greedy as module
    from solver.greedy import repair, repair_orders

    d = dt.date
    loaded = _two_trips_to_germany(
        tmp_path, ("K", 1, d(2020, 3, 8), d(2020, 3, 13)), ("V", 5, d(2020, 3, 8), d(2020, 3, 14))
    )
    s, p = loaded.scenario, loaded.policy
    candidates = singletons(s)
    starts = {"K": 67, "V": 67}  # 8 March 2020
    strict, fortnights = repair_orders(candidates, p)[:2]
    assert [c.id for c in strict] == ["K", "V"]
    assert [c.id for c in fortnights] == ["V", "K"]
    monkeypatch.setattr(module, "MOST_MOVED", 0)
    dropped = repair(s, p, candidates, strict, starts, packed=True)
    kept = repair(s, p, candidates, fortnights, starts, packed=True)
    assert [(t.id, t.start) for t in dropped] == [("K", 67)]
    assert [(t.id, t.start) for t in kept] == [("V", 67)]
    trips = [Greedy(s, p).trip(t.candidate, t.start) for t in kept]
    assert not Auditor(s, p).check(trips)


def test_the_search_starts_from_the_whole_repaired_plan() -> None:
    # The repaired plan is hinted on every variable of the model (not only form and start:
    # CP-SAT does not complete such a hint at thousands of requests), so the hint is a
    # whole feasible solution: fixing every variable to it gives the repaired objective,
    # and the search's plan is never worse than it.
    import tempfile
    from pathlib import Path

    from delegplan.generate import synthetic
    from solver.build import prepare
    from solver.pinning import plan_values
    from solver.start import warm_start
    from tests.conftest import write

    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_scenario(write(Path(tmp), synthetic(200, seed=5)))
    # no explanations: only the objective is checked (they took about 3 s of the test)
    options = SolveOptions(time_limit=3, seed=1, workers=2, explain_limit=0)
    candidates = singletons(loaded.scenario)
    prepared = prepare(loaded, candidates)
    m, _ = build_model(loaded, candidates, prepared=prepared)
    stats: dict = {}
    start = warm_start(loaded, candidates, m, options, stats, prepared, pressed=[])
    placed, complete = start.placed, start.complete
    proto = m.model.proto
    assert len(proto.solution_hint.vars) == len(proto.variables)  # every variable hinted
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 2
    assert solver.solve(m.model) == cp_model.OPTIMAL
    assert round(solver.objective_value) == stats["repaired_objective"]
    assert plan_values(m, placed, options)[0] == stats["repaired_objective"] == complete[0]
    result = solve(loaded, options)
    assert result.plan.objective >= stats["repaired_objective"]


def test_the_linear_workers_prove_the_relaxation_the_full_portfolio_proves() -> None:
    # The relaxation runs on CP-SAT's linear workers alone (``lp_solver``), one of them
    # when one worker is asked for. Either way its optimum is the full portfolio's.
    from solver.options import LP_WORKERS, cp_solver, lp_solver

    loaded = load_scenario(bundled_path("changchun-2020"))
    candidates = singletons(loaded.scenario)
    answers = []
    for make in (
        lambda: cp_solver(SolveOptions(seed=1, workers=8), 30),
        lambda: lp_solver(SolveOptions(seed=1, workers=8), 30),
        lambda: lp_solver(SolveOptions(seed=1, workers=1), 30),
        lambda: lp_solver(SolveOptions(seed=1, workers=2, reproducible=True), 30),
    ):
        relaxed, _ = build_model(loaded, candidates, relaxed=True)
        solver = make()
        warm = relax(relaxed, solver)
        assert warm is not None and warm.optimal
        answers.append((warm.bound, list(solver.parameters.subsolvers)))
    assert len({bound for bound, _ in answers}) == 1
    assert [subsolvers for _, subsolvers in answers[1:]] == [
        list(LP_WORKERS),
        list(LP_WORKERS[:1]),
        list(LP_WORKERS),
    ]


def test_a_reproducible_search_ends_near_its_deterministic_limit(tmp_path) -> None:
    # CP-SAT checks a reproducible limit between batches of tasks, each up to a
    # deterministic second: one task per worker in a batch keeps the overrun within what
    # the workers ran since the last check (CP-SAT's own batch of 6 ran this one to 1.06 s)
    from delegplan.generate import synthetic
    from solver.options import cp_solver
    from tests.conftest import write

    loaded = load_scenario(write(tmp_path, synthetic(60, 2), "generated.yaml"))
    m, _ = build_model(loaded, singletons(loaded.scenario))
    solver = cp_solver(SolveOptions(seed=1, workers=2, reproducible=True), 0.5)
    assert solver.solve(m.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    assert solver.response_proto.deterministic_time <= 0.5 * 1.5


def test_large_relaxations_skip_the_two_stay_rows(monkeypatch) -> None:
    # They take time the improvement gains more in at thousands of requests
    # (``TIGHTEN_WITHIN``). A 120-request scenario is small enough for them; with the
    # threshold lowered it is treated as large: the second round still runs, on the
    # crowding rows alone, unless too little of the share is left
    # (``MIN_TIGHTEN_SECONDS``). Both repair orders (packed, and packed by fortnights) are
    # tried at any size. Either way the repaired plan passes the auditor.
    # Reproducible, so the time the first round took is deterministic time and the
    # decision does not depend on the machine.
    import sys
    import tempfile
    from pathlib import Path

    from delegplan.generate import synthetic
    from solver.build import prepare
    from solver.start import warm_start as _warm_start
    from tests.conftest import write

    start_module = sys.modules["solver.start"]

    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_scenario(write(Path(tmp), synthetic(120, seed=5)))
    s, p = loaded.scenario, loaded.policy
    calls: list[str] = []
    for name in ("repair", "tighten"):
        real = getattr(start_module, name)
        monkeypatch.setattr(
            start_module,
            name,
            lambda *a, _n=name, _f=real, **k: calls.append(_n + _rows(k)) or _f(*a, **k),
        )
    options = SolveOptions(time_limit=40, seed=1, workers=2, reproducible=True)
    candidates = singletons(s)

    def warm_start() -> list[str]:
        calls.clear()
        prepared = prepare(loaded, candidates)
        m, _ = build_model(loaded, candidates, prepared=prepared)
        start = _warm_start(loaded, candidates, m, options, {}, prepared, pressed=[])
        trips = [Greedy(s, p).trip(t.candidate, t.start) for t in start.placed]
        assert start.complete is not None and not Auditor(s, p).check(trips)
        return sorted(calls)

    assert warm_start() == ["repair"] * 2 + ["tighten: both rows"]
    monkeypatch.setattr("solver.start.TIGHTEN_WITHIN", 0.0)
    assert warm_start() == ["repair"] * 2 + ["tighten: crowding rows"]
    monkeypatch.setattr("solver.start.MIN_TIGHTEN_SECONDS", options.time_limit)
    assert warm_start() == ["repair"] * 2


def test_the_second_round_needs_as_much_time_left_as_the_first_took() -> None:
    from solver.start import MIN_TIGHTEN_SECONDS, TIGHTEN_WITHIN, second_round

    share = 30.0
    assert second_round(share * TIGHTEN_WITHIN, share) == "both"  # quick: both kinds
    assert second_round(12.0, share) == "crowding"  # 5,000 requests without merging
    assert second_round(15.0, share) == "crowding"  # exactly as much left as it took
    assert second_round(18.0, share) is None  # with merging: 12 s left of the 18 it took
    assert second_round(0.1, 1.0) is None  # less than MIN_TIGHTEN_SECONDS left
    assert second_round(0.1, 0.1 + MIN_TIGHTEN_SECONDS) == "both"


def _rows(kwargs: dict) -> str:
    """Which rows a recorded ``tighten`` call was asked for ("" for other calls)."""
    if "pairs" not in kwargs:
        return ""
    return ": both rows" if kwargs["pairs"] else ": crowding rows"


def test_a_repaired_plan_worth_the_relaxations_bound_is_optimal_without_a_search(
    tmp_path,
) -> None:
    # 300 generated requests, the approved value alone: the repair reaches the bound, so
    # the plan is proved there and CP-SAT's search does not run
    from dataclasses import replace

    from delegplan.generate import synthetic
    from tests.conftest import write

    loaded = load_scenario(write(tmp_path, synthetic(300, 5), "generated.yaml"))
    options = SolveOptions(time_limit=10, seed=1, workers=2, objective="approvals", explain_limit=0)
    result = solve(loaded, options)
    plan = result.plan
    assert result.stats["proved_by"] == "relaxation bound"
    assert result.stats["repaired_objective"] == result.stats["relaxation_bound"]
    assert (
        plan.status == "optimal"
        and plan.objective == plan.bound == result.stats["relaxation_bound"]
    )
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    # CP-SAT alone, without the relaxation, proves the same optimum
    alone = solve(loaded, replace(options, warm_start=False)).plan
    assert alone.status == "optimal" and alone.objective == plan.objective


def test_large_models_show_the_clerks_plan_first_and_start_from_it_without_a_relaxation(
    tmp_path, monkeypatch
) -> None:
    # From EARLY_PLAN_FROM requests the clerk's plan is made before the relaxation: it is
    # the first progress line (against the objective's trivial bound), and the start should
    # the relaxation give nothing.
    from dataclasses import replace

    from delegplan.generate import synthetic
    from tests.conftest import write

    loaded = load_scenario(write(tmp_path, synthetic(60, 2), "generated.yaml"))
    options = SolveOptions(time_limit=0.5, seed=1, workers=2, reproducible=True, explain_limit=0)
    clerks = SolveOptions(time_limit=10, seed=1, workers=2, method="greedy", explain_limit=0)
    clerk = solve(loaded, clerks).plan
    assert clerk.objective is not None
    heard: list = []
    assert "clerks_objective" not in solve(loaded, options, heard.append).stats  # too small
    monkeypatch.setattr("solver.phases.EARLY_PLAN_FROM", 1)
    heard.clear()
    result = solve(loaded, options, heard.append)
    assert heard[0].objective == clerk.objective == result.stats["clerks_objective"]
    assert heard[0].bound >= (result.plan.bound or 0) >= (result.plan.objective or 0)
    assert (result.plan.objective or 0) >= clerk.objective
    assert "started_from" not in result.stats  # the repaired relaxation was better
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []
    # the relaxation finds nothing: the improvement starts from the clerk's plan
    monkeypatch.setattr("solver.start.relax", lambda *args, **kwargs: None)
    result = solve(loaded, replace(options, improve=True))
    assert result.stats["started_from"] == "clerk's plan"
    assert result.stats["improve_steps"] > 0
    assert (result.plan.objective or 0) >= clerk.objective
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []


def test_the_clerks_plan_as_fallback_claims_no_bound_it_did_not_prove(
    tmp_path, monkeypatch
) -> None:
    # No relaxation, and a search that finds nothing (a 20,000-request model given 150 s):
    # the clerk's plan is read back from the model fixed to it, whose own optimum is that
    # plan. The plan once took that for its bound and said "gap 0.00%"; nothing proved
    # more than the objective's trivial bound, the first progress line's.

    from delegplan.generate import synthetic
    from tests.conftest import write

    monkeypatch.setattr("solver.phases.EARLY_PLAN_FROM", 1)
    monkeypatch.setattr("solver.start.relax", lambda *args, **kwargs: None)
    monkeypatch.setattr("solver.search.STATUS", {})  # the search finds nothing
    loaded = load_scenario(write(tmp_path, synthetic(60, 2), "generated.yaml"))
    heard: list = []
    options = SolveOptions(time_limit=2, seed=1, workers=2, explain_limit=0, improve=False)
    result = solve(loaded, options, heard.append)
    plan = result.plan
    assert result.stats["fallback"] == "clerk's plan"
    assert plan.status == "feasible" and plan.objective == result.stats["clerks_objective"]
    assert plan.bound == heard[0].bound > plan.objective
    assert plan.gap is not None and plan.gap > 0.05
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []


def test_no_relaxation_once_the_limit_has_passed(tmp_path, monkeypatch) -> None:
    # On a short limit at 20,000 requests the clerk's plan and building the relaxation use
    # up the limit; the relaxation then ran its overtime anyway, 25 s past it, for no
    # plan. Here the clerk's plan ends past the limit: no relaxation is solved, and the
    # clerk's plan is the plan.
    import sys
    import time
    from dataclasses import replace

    from delegplan.generate import synthetic
    from tests.conftest import write

    options = SolveOptions(time_limit=1, seed=1, workers=2, explain_limit=0)
    clerks_plan = sys.modules["solver.phases"].clerks_plan

    def slow_clerk(*args, **kwargs):
        time.sleep(options.time_limit * 1.2)
        return clerks_plan(*args, **kwargs)

    solved: list = []
    relax = sys.modules["solver.start"].relax

    def spied_relax(*args, **kwargs):
        solved.append(True)
        return relax(*args, **kwargs)

    monkeypatch.setattr("solver.phases.EARLY_PLAN_FROM", 1)
    monkeypatch.setattr("solver.phases.clerks_plan", slow_clerk)
    monkeypatch.setattr("solver.start.relax", spied_relax)
    loaded = load_scenario(write(tmp_path, synthetic(60, 2), "generated.yaml"))
    result = solve(loaded, options)
    assert solved == [] and "relaxation_bound" not in result.stats
    assert result.stats["started_from"] == "clerk's plan"
    assert (result.plan.objective or 0) >= result.stats["clerks_objective"]
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []
    # with time left, the same solve does solve the relaxation
    monkeypatch.setattr("solver.phases.clerks_plan", clerks_plan)
    result = solve(loaded, replace(options, time_limit=3))  # not proved in 3 s: its limit
    assert solved == [True] and "relaxation_bound" in result.stats


def _searches_limits(monkeypatch) -> list[float]:
    """The time limits CP-SAT's searches (``solver.search.run_search``, as the phases call
    it) are given, as the solve goes."""
    import sys

    limits: list[float] = []
    run = sys.modules["solver.phases"].run_search

    def recorded(m, options, limit, *args):
        limits.append(limit)
        return run(m, options, limit, *args)

    monkeypatch.setattr("solver.phases.run_search", recorded)
    return limits


def _pressed_solve(tmp_path, monkeypatch, press_in_relaxation: bool):
    """150 generated requests solved with Ctrl-C pressed in the relaxation or after the
    repair's twentieth question; what the repair's ``stop()`` answered, per repair, and
    the limits CP-SAT's searches were given."""
    import os
    import signal
    import sys

    from delegplan.generate import synthetic
    from solver.greedy import repair
    from tests.conftest import write

    press = lambda: os.kill(os.getpid(), signal.SIGINT)  # noqa: E731
    asked: list[list[bool]] = []

    def pressed_in_the_repair(*args, stop, **kwargs):
        answers: list[bool] = []
        asked.append(answers)

        def stop_after_twenty() -> bool:
            answers.append(stop())
            if len(answers) == 20 and not press_in_relaxation:
                press()
            return answers[-1]

        return repair(*args, stop=stop_after_twenty, **kwargs)

    relax_then_press = sys.modules["solver.start"].relax

    def pressed_in_the_relaxation(*args, **kwargs):
        warm = relax_then_press(*args, **kwargs)
        press()
        return warm

    limits = _searches_limits(monkeypatch)
    monkeypatch.setattr("solver.start.repair", pressed_in_the_repair)
    if press_in_relaxation:
        monkeypatch.setattr("solver.start.relax", pressed_in_the_relaxation)
    loaded = load_scenario(write(tmp_path, synthetic(150, 3), "generated.yaml"))
    result = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, explain_limit=0))
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []
    return result, asked, limits


def test_ctrl_c_in_the_repair_ends_it_with_the_trips_placed(tmp_path, monkeypatch) -> None:
    # The repair is Python between two searches, with no handler of its own: a press there
    # used to raise KeyboardInterrupt and lose the plan. Now it ends the repair, whose
    # trips so far are a plan, and a short search from it is written.
    import sys

    result, asked, limits = _pressed_solve(tmp_path, monkeypatch, press_in_relaxation=False)
    # one repair, ended at the first question after the press; no other order tried
    assert asked == [[False] * 20 + [True]]
    # no probe, no improvement: straight to the short search from the trips placed
    assert limits == [sys.modules["solver.phases"].SEARCH_AFTER_CTRL_C]
    assert "improve_steps" not in result.stats
    assert result.interrupted and result.plan.status == "feasible"
    assert result.plan.objective >= result.stats["repaired_objective"]


def test_ctrl_c_in_the_relaxation_still_repairs_its_plan_once(tmp_path, monkeypatch) -> None:
    # the relaxation's plan is no plan: the press that stopped it does not stop its repair
    import sys

    result, asked, limits = _pressed_solve(tmp_path, monkeypatch, press_in_relaxation=True)
    assert len(asked) == 1 and len(asked[0]) > 20 and not any(asked[0])
    assert limits == [sys.modules["solver.phases"].SEARCH_AFTER_CTRL_C]
    assert result.interrupted and result.plan.status == "feasible"
    repaired = result.stats["repaired_objective"]
    assert result.plan.objective >= repaired >= 0.9 * result.stats["relaxation_bound"]


def _relaxed_choices(tmp_path, n: int, seed: int):
    """A generated scenario, its relaxation's model and plan, and the trips it chose."""
    from delegplan.generate import synthetic
    from tests.conftest import write

    loaded = load_scenario(write(tmp_path, synthetic(n, seed), "generated.yaml"))
    relaxed, _ = build_model(loaded, singletons(loaded.scenario), relaxed=True)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    solver.parameters.max_time_in_seconds = 5
    warm = relax(relaxed, solver)
    assert warm is not None
    return loaded, relaxed, warm, [c for c in relaxed.candidates if warm.forms[c.id]]


def test_repair_orders_side_by_side_are_the_orders_repaired_in_turn(tmp_path) -> None:
    # From 1,500 relaxed trips the two repair orders run in forked processes; each must
    # give the very plan it gives in turn, on the parent's own candidates.
    from solver.greedy import repair, repair_orders, repair_side_by_side

    loaded, relaxed, warm, chosen = _relaxed_choices(tmp_path, 150, 5)
    s, p = loaded.scenario, loaded.policy
    orders = repair_orders(chosen, p)
    side = repair_side_by_side(s, p, relaxed.candidates, orders, warm.starts, 2, [])
    in_turn = [repair(s, p, relaxed.candidates, o, warm.starts, packed=True) for o in orders]
    assert side is not None and len(side) == len(orders) == 2
    as_ids = lambda plans: [[(t.id, t.start) for t in plan] for plan in plans]  # noqa: E731
    assert as_ids(side) == as_ids(in_turn)
    assert min(len(plan) for plan in side) >= 0.8 * len(chosen)
    by_id = {c.id: c for c in relaxed.candidates}
    assert all(t.candidate is by_id[t.id] for plan in side for t in plan)


def test_a_solve_repairs_side_by_side_from_the_threshold_with_the_same_plan(
    tmp_path, monkeypatch
) -> None:
    # the same repaired plan whichever way the orders run, from the same relaxed plan
    import sys

    import solver.greedy as greedy
    from delegplan.generate import synthetic
    from tests.conftest import write

    relaxed: list = []
    real_relax = sys.modules["solver.start"].relax

    def relaxed_once(*args, **kwargs):  # both solves repair the first one's relaxed plan
        relaxed.append(real_relax(*args, **kwargs))
        return relaxed[0]

    monkeypatch.setattr("solver.start.relax", relaxed_once)
    monkeypatch.setattr("solver.start.tighten", lambda *args, **kwargs: None)
    loaded = load_scenario(write(tmp_path, synthetic(150, 4), "generated.yaml"))
    # the relaxation takes 0.2 s of its 0.5 s share here: room for a slower machine
    options = SolveOptions(time_limit=2, seed=1, workers=2, explain_limit=0)
    in_turn = solve(loaded, options)
    calls: list[int] = []

    def recorded(*args, **kwargs):
        plans = greedy.repair_side_by_side(*args, **kwargs)
        calls.append(len(plans or []))
        return plans

    monkeypatch.setattr("solver.start.SIDE_BY_SIDE_FROM", 0)
    monkeypatch.setattr("solver.start.repair_side_by_side", recorded)
    side = solve(loaded, options)
    assert calls == [2]
    assert side.stats["repaired_objective"] == in_turn.stats["repaired_objective"]
    assert Auditor(loaded.scenario, loaded.policy).audit(side.plan).violations == []


def test_ctrl_c_while_the_orders_repair_side_by_side_ends_each_with_its_trips(
    tmp_path, monkeypatch
) -> None:
    # A press reaches the parent, which tells the forked repairs to stop: each ends with
    # the trips placed so far (a plan), and a short search from the better one follows.
    import os
    import signal
    import sys
    import time

    import solver.greedy as greedy
    from delegplan.generate import synthetic
    from tests.conftest import write

    whole = greedy.repair

    def pressed_in_a_worker(*args, stop, **kwargs):  # runs in the forked processes
        asked = [0]

        def stop_after_twenty() -> bool:
            asked[0] += 1
            if asked[0] == 20:
                os.kill(os.getppid(), signal.SIGINT)  # the parent hears Ctrl-C
                deadline = time.monotonic() + 20
                while not stop() and time.monotonic() < deadline:
                    time.sleep(0.01)  # until the parent passes the press on
            return stop()

        return whole(*args, stop=stop_after_twenty, **kwargs)

    limits = _searches_limits(monkeypatch)
    monkeypatch.setattr(greedy, "repair", pressed_in_a_worker)
    monkeypatch.setattr("solver.start.SIDE_BY_SIDE_FROM", 0)
    loaded = load_scenario(write(tmp_path, synthetic(150, 3), "generated.yaml"))
    result = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, explain_limit=0))
    assert limits == [sys.modules["solver.phases"].SEARCH_AFTER_CTRL_C]
    assert result.interrupted and result.plan.status == "feasible"
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []
    # each repair stopped at its twentieth question: a few trips, far from the relaxation
    assert result.stats["repaired_objective"] < 0.5 * result.stats["relaxation_bound"]
    assert result.plan.objective >= result.stats["repaired_objective"]
