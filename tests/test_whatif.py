"""What-if re-plans (issue 5): each op, fewest disturbances, pins, the adjustment cut-off.

Every re-plan is audited here with the auditor, which knows nothing of the solver."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from models.audit import Auditor
from models.errors import InputError
from models.loading import load_scenario, load_whatif
from models.plan import write_plan
from solver import SolveOptions, solve
from solver.whatif import replan
from tests.conftest import request, scenario, tasks, write
from tests.test_rules import people, units

D = dt.date
OPTIONS = SolveOptions(time_limit=20, seed=1, workers=2)


def _base(tmp_path: Path, policy: str = "changchun-2020", members_of_a: tuple[str, ...] = ()):
    # Four groups of four units to Germany in March, wide windows: all go, apart.
    year = 2021 if policy == "ninhbinh-2021" else 2020
    reqs = [
        request(
            rid,
            unit=f"u{k}",
            head=f"p{k}",
            window=[D(year, 3, 1), D(year, 3, 31)],
            mergeable=False,
            stops=[{"country": "DE", "days": 3, "tasks": tasks(3, theme=f"t{k}")}],
        )
        for k, rid in enumerate("ABCD", start=1)
    ]
    reqs[0]["members"] = list(members_of_a)
    data = scenario(
        reqs,
        policy=policy,
        units=units(*((f"u{k}", {}) for k in range(1, 7))),
        people=people(*((f"p{k}", f"u{k}", {}) for k in range(1, 7)), ("q1", "u1", {})),
    )
    path = write(tmp_path, data)
    plan = solve(load_scenario(path), OPTIONS).plan
    assert set(plan.approved) == set("ABCD")
    write_plan(plan, tmp_path / "base.json")
    return path, plan


def _run(tmp_path: Path, path: Path, changes: dict):
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes, sort_keys=False))
    inp = load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")
    plan = replan(inp, OPTIONS).plan
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations == []
    return plan


def _new(rid: str, start: dt.date, unit: str = "u5", head: str = "p5") -> dict:
    # a priority-5 group (of unit u5) whose 5-day window leaves one possible start
    return request(
        rid,
        unit=unit,
        head=head,
        priority=5,
        window=[start, start + dt.timedelta(4)],
        mergeable=False,
        stops=[{"country": "DE", "days": 3, "tasks": tasks(3, theme="t5")}],
    )


def excluding_pair(tmp_path: Path):
    """The what-if of two new groups that ask for A's five days in Germany: each fits
    alone (moving A), not both."""
    path, base = _base(tmp_path)
    a = next(d for d in base.delegations if d.requests == ("A",))
    added = [_new("N", a.start), _new("M", a.start, unit="u6", head="p6")]
    changes = {"changes": [{"op": "add", "request": r} for r in added]}
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes, sort_keys=False))
    return load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")


def test_add_moves_only_the_one_trip_in_its_way(tmp_path: Path) -> None:
    path, base = _base(tmp_path)
    a = next(d for d in base.delegations if d.requests == ("A",))
    plan = _run(tmp_path, path, {"changes": [{"op": "add", "request": _new("N", a.start)}]})
    assert "N" in plan.approved and plan.whatif.granted == ("N",)
    assert plan.whatif.disturbed == 1 and plan.whatif.disturbance_proved_minimal
    moved = {d.request for d in plan.diff if d.request != "N"}
    assert moved == {"A"} and {d.field for d in plan.diff if d.request == "A"} == {"dates"}
    # every other baseline trip keeps its dates
    kept = {d.requests: d.start for d in plan.delegations}
    for d in base.delegations:
        if d.requests != ("A",):
            assert kept[d.requests] == d.start
    # a plain re-solve of the changed scenario, blind to the baseline, moves more of them
    data = yaml.safe_load(path.read_text())
    data["requests"].append(_new("N", a.start))
    naive = solve(
        load_scenario(write(tmp_path, data, "naive.yaml")),
        SolveOptions(time_limit=20, seed=1, workers=2, reproducible=True),
    ).plan
    before = {d.requests: d.start for d in base.delegations}
    moved_naive = [d for d in naive.delegations if before.get(d.requests, d.start) != d.start]
    assert "N" in naive.approved and len(moved_naive) >= 3


def test_a_pinned_trip_never_moves(tmp_path: Path) -> None:
    path, base = _base(tmp_path)
    a = next(d for d in base.delegations if d.requests == ("A",))
    changes = {
        "changes": [{"op": "add", "request": _new("N", a.start)}],
        "pins": [{"request": "A", "field": "dates"}],
    }
    plan = _run(tmp_path, path, changes)
    assert plan.whatif.not_granted == ("N",) and "N" not in plan.approved
    assert {d.requests: d.start for d in plan.delegations}[("A",)] == a.start
    assert plan.whatif.disturbed == 0


@pytest.mark.parametrize(
    ("change", "field", "after"),
    [
        ({"op": "withdraw", "request": "B"}, "decision", None),
        (
            {"op": "move", "request": "B", "window": ["2020-06-01", "2020-06-30"]},
            "dates",
            "2020-06",
        ),
        ({"op": "replace_head", "request": "B", "head": "p6"}, "head", "p6"),
        (
            {
                "op": "set_stops",
                "request": "B",
                "stops": [{"country": "FR", "days": 3, "tasks": tasks(3)}],
            },
            "countries",
            "FR",
        ),
    ],
)
def test_each_op_changes_what_it_names(tmp_path: Path, change: dict, field: str, after) -> None:
    path, _ = _base(tmp_path)
    plan = _run(tmp_path, path, {"changes": [change]})
    diff = [d for d in plan.diff if d.request == "B" and d.field == field]
    assert diff, plan.diff
    if after is None:
        assert "B" not in plan.approved
    else:
        assert diff[0].after.startswith(after)
    assert {d.request for d in plan.diff} == {"B"}  # nothing else disturbed
    assert plan.whatif.disturbed == 0


def test_members_added_and_removed(tmp_path: Path) -> None:
    path, _ = _base(tmp_path)
    plan = _run(tmp_path, path, {"changes": [{"op": "add_member", "request": "A", "person": "q1"}]})
    assert "q1" in next(d for d in plan.delegations if d.requests == ("A",)).members
    other = tmp_path / "other"
    other.mkdir()
    path, base = _base(other, members_of_a=("q1",))
    assert "q1" in next(d for d in base.delegations if d.requests == ("A",)).members
    plan = _run(other, path, {"changes": [{"op": "remove_member", "request": "A", "person": "q1"}]})
    assert "q1" not in next(d for d in plan.delegations if d.requests == ("A",)).members


def test_no_changes_reproduce_the_baseline(tmp_path: Path) -> None:
    path, base = _base(tmp_path)
    plan = _run(tmp_path, path, {"changes": []})
    assert plan.diff == () and plan.whatif.disturbed == 0
    assert [(d.requests, d.start) for d in plan.delegations] == [
        (d.requests, d.start) for d in base.delegations
    ]


def test_changes_after_the_cutoff_are_refused_with_the_article(tmp_path: Path) -> None:
    # Ninh Bình takes adjustments submitted on or before 15 May 2021 (002 II.2).
    path, _ = _base(tmp_path, policy="ninhbinh-2021")
    change = {"op": "withdraw", "request": "B"}
    late = _run(tmp_path, path, {"submitted": "2021-06-01", "changes": [change]})
    assert [r.rule for r in late.whatif.refused] == ["PLAN-ADJUST-WINDOW"]
    assert "B" in late.approved and late.diff == ()
    assert "002" in late.whatif.refused[0].citation
    early = _run(tmp_path, path, {"submitted": "2021-05-15", "changes": [change]})
    assert early.whatif.refused == () and "B" not in early.approved


@pytest.mark.parametrize(
    ("changes", "record", "message"),
    [
        ({"changes": [{"op": "withdraw", "request": "ZZ"}]}, "change 1", "unknown request"),
        (
            {"changes": [{"op": "replace_head", "request": "A", "head": "nobody"}]},
            "change 1",
            "unknown person",
        ),
        ({"changes": [{"op": "teleport", "request": "A"}]}, "changes", "teleport"),
        ({"changes": [], "pins": [{"request": "ZZ"}]}, "pin 1", "not approved"),
    ],
)
def test_bad_changes_name_the_change_and_field(tmp_path: Path, changes, record, message) -> None:
    path, _ = _base(tmp_path)
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes, sort_keys=False))
    with pytest.raises(InputError) as exc:
        load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")
    text = str(exc.value)
    assert "changes.yaml" in text and record in text and message in text


def test_adjustments_that_exclude_each_other_are_reported_as_a_pair(tmp_path: Path) -> None:
    # Two new groups ask for the same five days in Germany: each fits alone (moving A),
    # not both. The re-plan grants one and names the pair for the planner to decide.
    inp = excluding_pair(tmp_path)
    plan = replan(inp, OPTIONS).plan
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations == []
    assert len(plan.whatif.granted) == 1 and len(plan.whatif.not_granted) == 1
    assert plan.whatif.conflicting == (("M", "N"),)


def test_a_pin_that_a_change_breaks_is_an_error_not_ignored(tmp_path: Path) -> None:
    # A is pinned, but another change moves A's window away from its approved dates.
    path, _ = _base(tmp_path)
    changes = {
        "changes": [{"op": "add_member", "request": "B", "person": "q1"}],
        "pins": [{"request": "A"}],
    }
    data = yaml.safe_load(path.read_text())
    data["requests"][0]["window"] = ["2020-07-01", "2020-07-31"]  # A's window moves
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(changes, sort_keys=False))
    inp = load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")
    with pytest.raises(InputError) as exc:
        replan(inp, OPTIONS)
    assert "pin 1" in str(exc.value) and "changes.yaml" in str(exc.value)


def test_carried_reasons_are_the_ones_a_fresh_explanation_gives(tmp_path: Path) -> None:
    # A re-plan keeps the baseline's reasons for rejections nothing near them changed
    # (solver.whatif._carried). Each kept reason must be what explaining afresh would say.
    import dataclasses

    path = Path("scenarios/ninhbinh-2021.yaml")
    options = SolveOptions(time_limit=20, seed=1, workers=2, reproducible=True)
    base = solve(load_scenario(path), options).plan
    write_plan(base, tmp_path / "base.json")
    gone = next(d for d in base.delegations if len(d.requests) == 1).requests[0]
    (tmp_path / "changes.yaml").write_text(
        yaml.safe_dump({"changes": [{"op": "withdraw", "request": gone}]})
    )
    inp = load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")
    kept = replan(inp, options)
    blank = dataclasses.replace(
        inp,
        baseline=inp.baseline.model_copy(
            update={"decisions": tuple(d for d in base.decisions if d.status == "approved")}
        ),
    )
    fresh = replan(blank, options)
    assert fresh.stats["carried_reasons"] == 0
    assert 0 < kept.stats["carried_reasons"] < len(kept.plan.decisions)
    assert kept.plan.delegations == fresh.plan.delegations
    assert kept.plan.decisions == fresh.plan.decisions
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(kept.plan).violations == []


def test_a_rejection_whose_rival_changed_is_explained_again(tmp_path: Path) -> None:
    # X (priority 5) keeps R (priority 1) out of Germany on the one start both allow.
    # An added N takes that start: X goes, R stays out, now because of N, not of X.
    start = D(2020, 3, 2)
    window = [start, start + dt.timedelta(4)]
    stops = [{"country": "DE", "days": 3, "tasks": tasks(3, theme="t")}]
    reqs = [
        request("X", unit="u1", head="p1", priority=5, window=window, stops=stops),
        request("R", unit="u2", head="p2", priority=1, window=window, stops=stops),
    ]
    for r in reqs:
        r["mergeable"] = False
    data = scenario(
        reqs,
        units=units(*((f"u{k}", {}) for k in range(1, 7))),
        people=people(*((f"p{k}", f"u{k}", {}) for k in range(1, 7))),
    )
    path = write(tmp_path, data)
    base = solve(load_scenario(path), OPTIONS).plan
    assert base.approved == ["X"]
    (rejected,) = [d for d in base.decisions if d.request == "R"]
    assert {w for reason in rejected.reasons for w in reason.with_} == {"X"}
    write_plan(base, tmp_path / "base.json")
    plan = _run(tmp_path, path, {"changes": [{"op": "add", "request": _new("N", start)}]})
    assert plan.approved == ["N"]
    (now,) = [d for d in plan.decisions if d.request == "R"]
    assert now.status == "rejected"
    assert {w for reason in now.reasons for w in reason.with_} == {"N"}


def test_tiers_out_of_time_give_the_baseline_with_what_fits_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From a few thousand requests a tier can run out of its share before it finds a plan
    # (measured at 1,000 requests with 2 s tiers). The re-plan is then the start every tier
    # is hinted with: the baseline's untouched trips on their dates, and each changed
    # request where it fits beside them or where moving a few aside lets it in (M: A moves
    # within March). No bound is claimed for it.
    import solver.whatif as whatif

    path, base = _base(tmp_path)
    a = next(d for d in base.delegations if d.requests == ("A",))
    real = whatif.cp_solver

    def out_of_time(options, limit, **kwargs):  # every tier's time spent before a plan
        solver = real(options, limit, **kwargs)
        solver.parameters.max_time_in_seconds = 0.0
        return solver

    monkeypatch.setattr(whatif, "cp_solver", out_of_time)
    changes = [
        {"op": "add", "request": _new("N", D(2020, 6, 1))},  # free days in June
        {"op": "add", "request": _new("M", a.start, unit="u6", head="p6")},  # A is there
        {"op": "withdraw", "request": "B"},
    ]
    result_plan = _run(tmp_path, path, {"changes": changes})  # audited there
    assert result_plan.status == "feasible" and result_plan.bound is None
    assert result_plan.whatif.granted == ("M", "N") and not result_plan.whatif.not_granted
    assert not result_plan.whatif.disturbance_proved_minimal
    now = {d.requests: d.start for d in result_plan.delegations}
    moved = abs((now[("A",)] - a.start).days)
    assert result_plan.whatif.disturbed == 1 and result_plan.whatif.shift_days == moved > 0
    assert now == {
        **{d.requests: d.start for d in base.delegations if d.requests not in {("A",), ("B",)}},
        ("A",): now[("A",)],
        ("M",): a.start,
        ("N",): D(2020, 6, 1),
    }


def _generated_whatif(tmp_path: Path):
    """150 generated requests, the clerk's plan as the baseline, and five changes: three
    approved requests asked again a month later as new ones, and two withdrawn."""
    from delegplan.generate import synthetic

    path = write(tmp_path, synthetic(150, 3), "generated.yaml")
    baseline = solve(load_scenario(path), SolveOptions(method="greedy", explain_limit=0)).plan
    write_plan(baseline, tmp_path / "base.json")
    data = yaml.safe_load(path.read_text())
    requests = {r["id"]: r for r in data["requests"]}
    singles = sorted(d.requests[0] for d in baseline.delegations if len(d.requests) == 1)
    changes: list[dict] = []
    for k, rid in enumerate(singles[:3]):
        like = dict(requests[rid], id=f"ADJ-{k}")
        like.pop("preferred_start", None)
        like["window"] = [d + dt.timedelta(30) for d in like["window"]]
        changes.append({"op": "add", "request": like})
    changes += [{"op": "withdraw", "request": rid} for rid in singles[3:5]]
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump({"changes": changes}, sort_keys=False))
    return load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")


def test_progress_names_what_each_tier_counts(tmp_path: Path) -> None:
    from solver.objective import request_value

    inp = _generated_whatif(tmp_path)
    heard = []
    result = replan(inp, SolveOptions(time_limit=20, seed=1, workers=2), heard.append)
    plan = result.plan
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations == []
    measures = [p.measure for p in heard]
    # the tiers in order, each heard at least once; the last tier is the plan's objective
    assert [m for k, m in enumerate(measures) if m not in measures[:k]] == [
        "granted", "kept", "moved", ""
    ]  # fmt: skip
    p, s = inp.loaded.policy, inp.loaded.scenario
    granted = [p_ for p_ in heard if p_.measure == "granted"][-1]
    # the grant tier's objective is shown as the value granted, not the weighted sum
    assert granted.objective == sum(
        request_value(s.request_by_id[r], p) for r in plan.whatif.granted
    )
    assert heard[-1].objective == plan.objective and not result.interrupted
    assert [h.seconds for h in heard] == sorted(h.seconds for h in heard)


def test_ctrl_c_in_a_tier_skips_the_rest_with_the_plan_found(tmp_path: Path) -> None:
    import os
    import signal

    inp = _generated_whatif(tmp_path)
    heard = []

    def press_ctrl_c(progress) -> None:  # at the grant tier's first plan (its start)
        heard.append(progress.measure)
        if len(heard) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    result = replan(inp, SolveOptions(time_limit=60, seed=1, workers=2), press_ctrl_c)
    plan = result.plan
    assert result.interrupted and heard == ["granted"]
    assert "disturb_seconds" not in result.stats and "shift_seconds" not in result.stats
    assert result.stats["from_tier"] == "grant"
    assert plan.status == "feasible" and plan.bound is None
    assert not plan.whatif.disturbance_proved_minimal
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations == []
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("where", ["start", "conflicts"])
def test_ctrl_c_between_tiers_skips_the_rest_with_the_plan_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    # a press outside any tier's search (completing the start from the baseline, asking
    # which changes conflict) used to raise KeyboardInterrupt and lose the re-plan
    import os
    import signal
    import sys

    module = sys.modules["solver.whatif"]
    press = lambda: os.kill(os.getpid(), signal.SIGINT)  # noqa: E731
    asked: list[list] = []
    complete, conflicting = module.plan_values, module._conflicting

    def pressed_completing(*args):
        done = complete(*args)
        press()
        return done

    def pressed_asking(*args):
        press()
        asked.append(conflicting(*args))
        return asked[-1]

    if where == "start":
        monkeypatch.setattr(module, "plan_values", pressed_completing)
        inp = _generated_whatif(tmp_path)
    else:  # two new groups that exclude each other: the pair is asked about, unless pressed
        monkeypatch.setattr(module, "_conflicting", pressed_asking)
        inp = excluding_pair(tmp_path)
    result = replan(inp, SolveOptions(time_limit=60, seed=1, workers=2))
    plan, stats = result.plan, result.stats
    assert result.interrupted and "disturb_seconds" not in stats
    if where == "start":
        assert "grant_seconds" not in stats and stats["from_tier"] == "start"
    else:
        # no pair asked after it (unpressed, ("M", "N") is named)
        assert asked == [[]] and plan.whatif.conflicting == () and stats["from_tier"] == "grant"
    assert plan.status == "feasible" and plan.bound is None
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations == []


@pytest.mark.parametrize(("asked", "tiers", "last"), [(0, 8, 4), (8, 8, 8), (2, 2, 2)])
def test_a_large_re_plan_searches_last_on_fewer_workers_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, asked: int, tiers: int, last: int
) -> None:
    # Each CP-SAT worker holds a copy of the model, and the last search's copies are the
    # largest (7.5 GB on eight workers at 20,000 requests, the tiers 4.3 GB): from
    # LEAN_FROM variables, with no worker count asked for, that search runs on
    # LEAN_WORKERS and the tiers on the default eight. A count asked for is kept. The
    # threshold is lowered here so that a small model counts as large.
    import solver.whatif as whatif

    path, _ = _base(tmp_path)
    monkeypatch.setattr(whatif, "LEAN_FROM", 1)
    real, counts = whatif.cp_solver, []

    def counting(options, limit, **kwargs):
        solver = real(options, limit, **kwargs)
        counts.append(solver.parameters.num_workers)
        return solver

    monkeypatch.setattr(whatif, "cp_solver", counting)
    inp = _withdrawing_b(tmp_path, path)
    result = replan(inp, SolveOptions(time_limit=20, seed=1, workers=asked))
    plan = result.plan
    assert Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan).violations == []
    assert len(counts) == 4 and counts == [tiers] * 3 + [last]  # three tiers, then the last
    assert result.stats.get("last_search_workers") == (last if last != tiers else None)
    assert plan.solver["workers"] == tiers  # what was asked for, or the default


def test_the_heap_is_given_back_before_each_search_of_a_re_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # glibc holds the pages a finished search freed; a re-plan gives them back before each
    # of its four searches, so that the next does not start on top of them
    import solver.whatif as whatif
    from solver.memory import give_back

    assert give_back() is True  # glibc here: the pages can be given back
    path, _ = _base(tmp_path)
    solvers: list[int] = []  # one entry per CP-SAT solver made
    calls: list[int] = []  # how many solvers had been made at each give_back
    real = whatif.cp_solver
    monkeypatch.setattr(whatif, "cp_solver", lambda *a, **k: solvers.append(1) or real(*a, **k))
    monkeypatch.setattr(whatif, "give_back", lambda: calls.append(len(solvers)) or True)
    replan(_withdrawing_b(tmp_path, path), SolveOptions(time_limit=20, seed=1, workers=2))
    assert calls == [0, 1, 2, 3]  # once before each of the four searches


def _withdrawing_b(tmp_path: Path, path: Path):
    """The what-if that withdraws B from ``_base``'s plan: a re-plan of four searches."""
    withdraw = {"changes": [{"op": "withdraw", "request": "B"}]}
    (tmp_path / "changes.yaml").write_text(yaml.safe_dump(withdraw))
    return load_whatif(path, tmp_path / "base.json", tmp_path / "changes.yaml")
