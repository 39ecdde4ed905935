"""Explanations and repairs (issue 3), checked with the auditor, never with solver code.

For every crowded-out request the reasons of each conflict must be a true and minimal
conflict (tests/verify.py: all dates blocked with the named rivals and rules; drop any
one and a date frees up). Every repair, carried out on the plan, must pass the auditor.
"""

from __future__ import annotations

import datetime as dt

import pytest
from ortools.sat.python import cp_model

from models.audit import Auditor
from models.loading import load_scenario
from models.plan import Plan
from scenarios import bundled_path
from solver import SolveOptions, solve
from solver.guards import post_guarded
from solver.model import ModelContext
from solver.rules.base import Rule
from tests.conftest import approved, policy_file, request, scenario, tasks, write
from tests.verify import apply_repair, conflict_groups, conflict_holds

D = dt.date


def _check_all(loaded, plan: Plan) -> tuple[int, int]:
    """Assert every conflict and every repair of the plan; return how many were checked."""
    s, p = loaded.scenario, loaded.policy
    auditor = Auditor(s, p)
    conflicts = repairs = 0
    for decision in plan.decisions:
        if decision.status != "rejected":
            continue
        assert decision.reasons, decision.request
        for number, (rules, rivals) in conflict_groups(decision).items():
            ok, why = conflict_holds(s, auditor, plan, decision.request, rules, rivals)
            assert ok, (
                f"{decision.request} conflict {number} {sorted(rules)} {sorted(rivals)}: {why}"
            )
            conflicts += 1
        for repair in decision.repairs:
            changed, repaired = apply_repair(s, plan, decision.request, repair)
            report = Auditor(changed, p).audit(repaired)
            assert report.violations == [], (decision.request, repair.message, report.violations)
            repairs += 1
    return conflicts, repairs


@pytest.fixture(scope="session")  # one solve per test process, however the tests are spread
def changchun():
    loaded = load_scenario(bundled_path("changchun-2020"))
    plan = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, reproducible=True)).plan
    return loaded, plan


@pytest.mark.xdist_group("changchun")  # one solve of the fixture
def test_bundled_conflicts_are_minimal_and_repairs_hold(changchun):
    loaded, plan = changchun
    conflicts, repairs = _check_all(loaded, plan)
    assert conflicts >= 20  # the bundled plan has dozens of crowded-out requests
    assert repairs >= 40


@pytest.mark.xdist_group("changchun")  # one solve of the fixture
def test_bundled_reasons_carry_translations_and_quotes(changchun):
    _, plan = changchun
    for decision in plan.decisions:
        for reason in decision.reasons:
            assert reason.message and reason.message_zh and reason.quote
            assert reason.message_vi is None  # changchun writes Chinese, not Vietnamese
            assert reason.message_zh != reason.message
    for cost in plan.costs:
        assert cost.message_zh and cost.citation


@pytest.mark.xdist_group("changchun")  # one solve of the fixture
def test_every_rejection_of_the_bundled_plan_has_a_repair(changchun):
    _, plan = changchun
    missing = [d.request for d in plan.decisions if d.status == "rejected" and not d.repairs]
    assert missing == []


def test_ninhbinh_messages_are_vietnamese_too():
    loaded = load_scenario(bundled_path("ninhbinh-2021"))
    plan = solve(loaded, SolveOptions(time_limit=20, seed=1, workers=2)).plan
    reasons = [r for d in plan.decisions for r in d.reasons]
    assert reasons
    for reason in reasons:
        assert reason.message_vi and reason.message_zh
    # a rule with a Vietnamese source quotes it in Vietnamese
    quoted = {r.rule: r.quote for r in reasons}
    if "GEO-MAX-COUNTRIES" in quoted:
        assert "nước" in quoted["GEO-MAX-COUNTRIES"]
    _check_all(loaded, plan)


def _solve(tmp_path, data) -> tuple:
    loaded = load_scenario(write(tmp_path, data))
    plan = solve(loaded, SolveOptions(time_limit=10, seed=1, workers=2)).plan
    assert Auditor(loaded.scenario, loaded.policy).audit(plan).violations == []
    return loaded, plan


def test_same_country_rival_is_named_and_moving_it_is_a_repair(tmp_path):
    # A and B both want Germany; B's window (10-14 March) holds one 5-day trip only, in
    # Germany 11-13 March. A prefers 10 March (Germany 11-13 too); each day away from it
    # costs 150 here, so clearing Germany for B (3 days: 450) costs more than B is worth
    # (400): the plan keeps A and rejects B. Moving A, or B going outside its window,
    # are the repairs.
    people = [
        {"id": "p1", "unit": "u1", "rank": "staff"},
        {"id": "p2", "unit": "u1", "rank": "staff"},
    ]
    policy = policy_file(
        tmp_path,
        {"GEO-SAME-COUNTRY": {"severity": "hard"}, "TIME-WINDOW": {"severity": "hard"}},
        objective={"priority_value": {2: 400, 5: 800}, "preferred_date_per_day": 150},
    )
    data = scenario(
        [
            request(
                "A",
                priority=5,
                window=[D(2020, 3, 1), D(2020, 3, 31)],
                preferred_start=D(2020, 3, 10),
            ),
            request("B", head="p2", priority=2, window=[D(2020, 3, 10), D(2020, 3, 14)]),
        ],
        policy=policy,
        people=people,
    )
    loaded, plan = _solve(tmp_path, data)
    assert approved(plan) == {"A"}
    b = plan.decision("B")
    assert [(r.rule, r.kind, r.with_, r.conflict) for r in b.reasons] == [
        ("GEO-SAME-COUNTRY", "crowded_out", ("A",), 1)
    ]
    kinds = [r.kind for r in b.repairs]
    assert "move_window" in kinds and "move_rival" in kinds
    move = next(r for r in b.repairs if r.kind == "move_rival")
    assert move.moves[0].request == "A" and move.moves[0].after is not None
    assert move.start == D(2020, 3, 10)
    _check_all(loaded, plan)


def test_two_independent_conflicts_are_both_told(tmp_path):
    # C needs p1 (quota 1 a year as a bureau chief... here: a vice mayor of 1 a year)
    # and u1's budget: the quota is used by Q, the budget by M. Two conflicts, numbered.
    units = [
        {"id": "u1", "level": "municipal", "budget": 10_000},
        {"id": "u2", "level": "municipal", "budget": 1_000_000},
    ]
    people = [
        {"id": "mayor", "unit": "u2", "rank": "vice_municipal_fa", "leadership": True},
        {"id": "p1", "unit": "u1", "rank": "staff"},
        {"id": "p2", "unit": "u2", "rank": "staff"},
    ]
    data = scenario(
        [
            request(
                "Q",
                unit="u2",
                head="mayor",
                members=["p2"],
                priority=5,
                cost=1000,
                stops=[{"country": "FR", "days": 3, "tasks": tasks()}],
            ),
            request(
                "M",
                unit="u1",
                head="p1",
                priority=5,
                cost=8000,
                stops=[{"country": "IT", "days": 3, "tasks": tasks()}],
            ),
            request(
                "C",
                unit="u1",
                head="mayor",
                priority=1,
                cost=5000,
                stops=[{"country": "ES", "days": 3, "tasks": tasks()}],
            ),
        ],
        units=units,
        people=people,
    )
    loaded, plan = _solve(tmp_path, data)
    assert approved(plan) == {"Q", "M"}
    groups = conflict_groups(plan.decision("C"))
    assert sorted((sorted(r), sorted(v)) for r, v in groups.values()) == [
        (["BUDGET-UNIT"], ["M"]),
        (["FREQ-RANK"], ["Q"]),
    ]
    # no single rival is enough: the repair rejects both
    room = next(r for r in plan.decision("C").repairs if r.kind == "reject_rival")
    assert {m.request for m in room.moves} == {"Q", "M"}
    _check_all(loaded, plan)


def test_ineligible_request_gets_an_exception_and_a_member_repair(tmp_path):
    # R takes three people of u1 (PERS-UNIT-CAP: at most 2): leaving one out, or an
    # individual exception, gets it approved.
    people = [{"id": f"p{k}", "unit": "u1", "rank": "staff"} for k in (1, 2, 3)]
    data = scenario([request("R", members=["p2", "p3"])], people=people)
    loaded, plan = _solve(tmp_path, data)
    decision = plan.decision("R")
    assert decision.reasons[0].kind == "ineligible" and decision.reasons[0].rule == "PERS-UNIT-CAP"
    kinds = {r.kind: r for r in decision.repairs}
    assert kinds["drop_member"].change["remove_member"] in {"p2", "p3"}
    assert kinds["exception"].change == {"exception": "PERS-UNIT-CAP"}
    _check_all(loaded, plan)


def test_guard_refuses_a_constraint_it_cannot_switch_off():
    m = ModelContext(None, None, [])  # type: ignore[arg-type]
    x = m.model.new_bool_var("x")
    y = m.model.new_bool_var("y")
    rule = Rule("X", post=lambda ctx: ctx.model.add_allowed_assignments([x, y], [(0, 1)]))
    with pytest.raises(NotImplementedError, match="X posts"):
        post_guarded(m, rule, m.model.new_bool_var("g"))


def test_guard_switches_a_no_overlap_off():
    m = ModelContext(None, None, [])  # type: ignore[arg-type]
    a = m.model.new_int_var(0, 10, "a")
    b = m.model.new_int_var(0, 10, "b")
    ia = m.model.new_optional_fixed_size_interval_var(a, 5, m.model.new_bool_var("pa"), "ia")
    ib = m.model.new_optional_fixed_size_interval_var(b, 5, m.model.new_bool_var("pb"), "ib")
    guard = m.model.new_bool_var("g")
    post_guarded(m, Rule("X", post=lambda ctx: ctx.model.add_no_overlap([ia, ib])), guard)
    for lit in ia.presence_literals() + ib.presence_literals():
        m.model.add(lit == 1)
    m.model.add(a == 0)
    m.model.add(b == 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    m.model.add_assumptions([guard])
    assert solver.solve(m.model) == cp_model.INFEASIBLE
    m.model.clear_assumptions()
    assert solver.solve(m.model) == cp_model.OPTIMAL
    assert not solver.boolean_value(guard)


def test_quick_reasons_when_the_time_for_explanations_is_spent() -> None:
    # With no time for minimal conflicts, each crowded-out rejection still gets reasons:
    # the rules the auditor finds broken on its preferred date, with the rivals, no repairs.
    from models.loading import load_scenario
    from scenarios import bundled_path
    from solver import SolveOptions, solve

    loaded = load_scenario(bundled_path("changchun-2020"))
    plan = solve(loaded, SolveOptions(time_limit=20, seed=1, workers=2, explain_limit=0)).plan
    quick = [
        d
        for d in plan.decisions
        if d.status == "rejected" and any("time for explanations" in r.message for r in d.reasons)
    ]
    assert len(quick) >= 10
    for d in quick:
        assert d.repairs == ()
        for reason in d.reasons:
            assert reason.kind == "crowded_out" and reason.rule and reason.citation
            assert reason.message_zh and "delegplan check" in reason.message_zh
        assert any(reason.with_ for reason in d.reasons)


def test_reproducible_runs_explain_in_full_unless_told_quick_reasons_only() -> None:
    # --reproducible ignores the clock of --explain-limit (every rejection explained in
    # full) except 0, quick reasons for every crowded-out rejection, which needs no clock.
    from models.loading import load_scenario
    from scenarios import bundled_path
    from solver import SolveOptions, solve

    loaded = load_scenario(bundled_path("ninhbinh-2021"))

    def rejected(explain_limit: float) -> tuple[list, dict]:
        options = SolveOptions(
            time_limit=3, seed=1, workers=2, reproducible=True, explain_limit=explain_limit
        )
        plan = solve(loaded, options).plan
        return [d for d in plan.decisions if d.status == "rejected"], plan.solver

    def quick(d) -> bool:
        return any("time for explanations" in r.message for r in d.reasons)

    full, meta = rejected(1e-9)  # a clock limit that any explanation would pass
    assert full and meta["explain_limit"] is None
    assert not any(quick(d) for d in full) and all(d.repairs for d in full)
    brief, meta = rejected(0)
    assert meta["explain_limit"] == 0 and [d.request for d in brief] == [d.request for d in full]
    assert any(quick(d) for d in brief) and not any(d.repairs for d in brief)
