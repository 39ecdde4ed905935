"""Independent parts (``solver.parts``), their runners, Ray and sweeps (issue 7).

The scenarios here fall apart on purpose: one unit travels to Germany in spring, another
in autumn. No person, budget or country-period joins them, so the model has two parts;
one request whose window spans both seasons joins them into one.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import solver.parts as parts_module
from delegplan.progress import ProgressLine
from models.audit import Auditor
from models.errors import InputError
from models.loading import load_scenario
from models.plan import Status
from solver import SolveOptions, solve
from solver.build import build_model, prepare
from solver.candidates import singletons
from solver.parts import independent_parts
from solver.runners import LocalRunner, RayRunner
from tests.conftest import request, scenario, tasks, write
from tests.test_cli import run, run_process
from tests.test_optimality import value

D = dt.date
OPTIONS = SolveOptions(time_limit=10, seed=1, workers=2, reproducible=True, explain_limit=5)


def _season(prefix: str, unit: str, people: list[str], month: int, country: str) -> list[dict]:
    """Six requests of one unit, competing for one country within three weeks."""
    return [
        request(
            f"{prefix}{k}",
            unit=unit,
            head=people[k % len(people)],
            stops=[{"country": country, "days": 3, "tasks": tasks()}],
            window=[D(2020, month, 1), D(2020, month, 20)],
            cost=6000,
            priority=1 + k % 3,
        )
        for k in range(6)
    ]


def seasons(*extra: dict, autumn_country: str = "DE") -> dict:
    units = [{"id": u, "name": u, "level": "municipal", "budget": 30_000} for u in ("u1", "u2")]
    people = [
        {"id": f"p{k}", "unit": "u1" if k < 4 else "u2", "rank": "staff"} for k in range(1, 7)
    ]
    requests = _season("S", "u1", ["p1", "p2", "p3"], 3, "DE")
    requests += _season("A", "u2", ["p4", "p5", "p6"], 9, autumn_country)
    return scenario([*requests, *extra], units=units, people=people)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of any size (the default packs components under 50 requests together)."""
    monkeypatch.setattr(parts_module, "MIN_PART", 1)


def _parts(tmp_path: Path, data: dict) -> list[list[str]]:
    loaded = load_scenario(write(tmp_path, data))
    candidates = singletons(loaded.scenario)
    m, _ = build_model(loaded, candidates, prepared=prepare(loaded, candidates))
    return independent_parts(m)


def test_parts_follow_people_units_and_country_periods(tmp_path: Path, small_parts) -> None:
    spring = [f"S{k}" for k in range(6)]
    autumn = [f"A{k}" for k in range(6)]
    # Germany in March and in September: the same country, periods that never meet
    assert _parts(tmp_path, seasons()) == [spring, autumn]
    # a u1 request that may go to Germany any time from March to October joins them
    bridge = request("B", unit="u1", head="p1", window=[D(2020, 3, 1), D(2020, 10, 31)], cost=1000)
    assert _parts(tmp_path, seasons(bridge)) == [[*spring, *autumn, "B"]]
    # the same request in November, in Japan, joins spring only (person p1, unit u1)
    late = request(
        "L",
        unit="u1",
        head="p1",
        stops=[{"country": "JP", "days": 3, "tasks": tasks()}],
        window=[D(2020, 11, 1), D(2020, 11, 30)],
    )
    assert _parts(tmp_path, seasons(late)) == [[*spring, "L"], autumn]


def test_small_components_are_packed_into_one_part(tmp_path: Path) -> None:
    assert parts_module.MIN_PART > 12
    assert len(_parts(tmp_path, seasons())) == 1


def test_a_plan_solved_in_parts_is_the_whole_solve_s_optimum(tmp_path: Path, small_parts) -> None:
    loaded = load_scenario(write(tmp_path, seasons()))
    s, p = loaded.scenario, loaded.policy
    whole = solve(loaded, SolveOptions(**{**OPTIONS.__dict__, "decompose": False}))
    seen: list = []
    split = solve(loaded, OPTIONS, on_progress=seen.append)
    assert "parts" not in whole.stats and split.stats["parts"] == 2
    # progress names the part searched, on the whole solve's clock
    assert {p.part for p in seen} == {"1/2", "2/2"}
    assert [p.seconds for p in seen] == sorted(p.seconds for p in seen)
    assert "part 2/2" in ProgressLine.line(seen[-1]).plain
    assert split.stats["relaxation_bound"] >= split.plan.objective
    assert split.stats["largest_part"] == 6
    for plan in (whole.plan, split.plan):
        assert plan.status == "optimal" and plan.gap == 0.0
        assert Auditor(s, p).audit(plan).violations == []
    assert split.plan.objective == whole.plan.objective == split.plan.bound
    # both seasons are crowded: Germany holds a few groups in three weeks, budgets bind
    assert split.plan.rejected and {r[0] for r in split.plan.approved} == {"S", "A"}
    assert sum(value(s.request_by_id[r], p) for r in split.plan.approved) == sum(
        value(s.request_by_id[r], p) for r in whole.plan.approved
    )
    # one decision per request, in the scenario's order; ids point at real delegations
    assert [d.request for d in split.plan.decisions] == [r.id for r in s.requests]
    ids = [d.id for d in split.plan.delegations]
    assert ids == [f"D-{k:03d}" for k in range(1, len(ids) + 1)]
    held = {rid: d.id for d in split.plan.delegations for rid in d.requests}
    for d in split.plan.decisions:
        assert d.delegation == held.get(d.request)
        if d.status == "rejected":
            assert d.reasons  # explained on the whole plan, like any rejection
    # the plan says it was solved in two parts, and a second run is the same plan
    assert split.plan.solver["model"]["parts"] == 2
    assert solve(loaded, OPTIONS).plan.to_json() == split.plan.to_json()


def test_after_ctrl_c_in_one_part_the_rest_get_a_quick_plan(
    tmp_path: Path, small_parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C stops the part being searched (CP-SAT catches it); the parts after it must not
    each wait out their share. Simulated: the first part reports itself interrupted."""

    real = sys.modules["solver.in_parts"].solve_part
    limits: list[float] = []

    def part(loaded, prepared, options, *more):
        limits.append(options.time_limit)
        result = real(loaded, prepared, options, *more)
        if len(limits) > 1:
            return result
        return replace(result, interrupted=True, status=Status.FEASIBLE)  # as Ctrl-C leaves it

    monkeypatch.setattr("solver.in_parts.solve_part", part)
    loaded = load_scenario(write(tmp_path, seasons()))
    result = solve(loaded, SolveOptions(time_limit=30, seed=1, workers=2, explain_limit=0))
    assert result.interrupted and result.plan.status == "feasible"
    assert limits[0] > 10 and limits[1] == sys.modules["solver.in_parts"].AFTER_INTERRUPT
    assert Auditor(loaded.scenario, loaded.policy).audit(result.plan).violations == []


@pytest.fixture(scope="module")
def ray_local():
    """A Ray cluster on this machine for this file's Ray tests (starting one takes about
    6 s), shut down after them."""
    import ray  # in the test extra: the Ray tests run wherever the tests do

    runner = RayRunner("local")
    yield runner
    ray.shutdown()


@pytest.mark.xdist_group("ray")  # meant: one Ray cluster at a time (README, Development)
def test_ray_runs_the_parts_to_the_same_plan(tmp_path: Path, small_parts, ray_local) -> None:
    loaded = load_scenario(write(tmp_path, seasons()))
    here = solve(loaded, OPTIONS, runner=LocalRunner())
    there = solve(loaded, OPTIONS, runner=ray_local)
    assert there.stats["runner"] == "ray" and there.stats["parts"] == 2
    assert here.plan.to_json() == there.plan.to_json()
    assert Auditor(loaded.scenario, loaded.policy).audit(there.plan).violations == []


@pytest.mark.xdist_group("ray")  # meant: one Ray cluster at a time (README, Development)
def test_sweep_on_ray_writes_the_same_plans_as_here(
    tmp_path: Path, ray_local, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``delegplan sweep --ray local`` in this process, on the cluster already started
    here (a fresh process cannot join it: Ray's token authentication refuses a second
    process; the entry point itself runs in processes of its own in ``tests/test_cli.py``)."""
    from typer.testing import CliRunner

    from delegplan.cli import app

    a = write(tmp_path, seasons(), "spring-autumn.yaml")
    b = write(tmp_path, seasons(autumn_country="FR"), "other.yaml")
    common = ["--time-limit", "5", "--seed", "1", "--workers", "2", "--reproducible"]
    mapped: list[int] = []  # jobs sent to Ray tasks, per call
    to_ray = RayRunner.map
    monkeypatch.setattr(
        RayRunner, "map", lambda self, fn, jobs: mapped.append(len(jobs)) or to_ray(self, fn, jobs)
    )
    cli = CliRunner()
    here = cli.invoke(app, ["sweep", str(a), str(b), "--out", str(tmp_path / "here"), *common])
    assert here.exit_code == 0, here.output
    assert "spring-autumn" in here.output and "clean" in here.output
    there = cli.invoke(
        app, ["sweep", str(a), str(b), "--out", str(tmp_path / "ray"), "--ray", "local", *common]
    )
    assert there.exit_code == 0, there.output
    assert mapped == [2]  # both scenarios solved as Ray tasks
    for name in ("spring-autumn", "other"):
        mine = (tmp_path / "here" / name / "plan.json").read_text()
        assert mine == (tmp_path / "ray" / name / "plan.json").read_text()
        assert json.loads(mine)["status"] == "optimal"


def test_whatif_sweep_replans_each_changes_file(tmp_path: Path) -> None:
    path = write(tmp_path, seasons())
    base = tmp_path / "base"
    done = run(
        "solve", str(path), "--out", str(base), "--workers", "2", "--quiet", "--time-limit", "5"
    )
    assert done.returncode == 0, done.stderr
    approved = json.loads((base / "plan.json").read_text())["delegations"][0]["requests"][0]
    first, second = tmp_path / "withdraw.yaml", tmp_path / "add.yaml"
    first.write_text(f"changes:\n  - {{op: withdraw, request: {approved}}}\n")
    second.write_text("changes: []\n")

    def sweep(out: str, *limit: str) -> None:
        done = run(
            "sweep", str(path), "--baseline", str(base / "plan.json"), "--changes", str(first),
            "--changes", str(second), "--out", str(tmp_path / out), "--workers", "2", *limit,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    sweep("sw", "--time-limit", "5")
    withdrawn = json.loads((tmp_path / "sw" / "withdraw" / "plan.json").read_text())
    assert {d["request"] for d in withdrawn["diff"]} >= {approved}
    unchanged = json.loads((tmp_path / "sw" / "add" / "plan.json").read_text())
    assert unchanged["diff"] == [] and unchanged["whatif"]["disturbed"] == 0
    # the same under a deadline for the whole sweep: each job records the budget it got
    sweep("dl", "--deadline", "20")
    budgets = [
        json.loads((tmp_path / "dl" / job / "plan.json").read_text())["solver"]["budget"]
        for job in ("withdraw", "add")
    ]
    assert 5 < budgets[0] <= 10 < budgets[1] < 20


def test_sweep_and_ray_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, seasons())
    done = run("sweep", str(path), "--changes", str(path), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "--baseline" in done.stderr
    done = run(
        "sweep", str(path), "--deadline", "9", "--reproducible", "--out", str(tmp_path / "o")
    )
    assert done.returncode == 2 and "--deadline" in done.stderr
    # a deadline that leaves the first job's search its least is told (the sweep goes on)
    done = run("sweep", str(path), str(path), "--deadline", "1", "--out", str(tmp_path / "s"))
    assert "--deadline 1: 2 jobs of up to" in done.stderr, done.stderr
    done = run("sweep", str(path), "--deadline", "20", "--out", str(tmp_path / "t"))
    assert done.returncode == 0 and "warning" not in done.stderr
    # a process of its own: in this one a Ray cluster may be running already (``ray_local``)
    done = run_process("solve", str(path), "--ray", "127.0.0.1:1", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "no Ray cluster answers" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "o").exists()
    monkeypatch.setitem(sys.modules, "ray", None)  # a plain install: no Ray
    with pytest.raises(InputError, match=r"delegplan\[ray\]"):
        RayRunner("local")


def test_generated_regions_fall_into_independent_parts(tmp_path: Path, small_parts) -> None:
    from delegplan.generate import synthetic

    assert synthetic(120, 2) == synthetic(120, 2, regions=1)  # the option changes nothing
    data = synthetic(300, 2, regions=3)
    region = {u["id"]: k % 3 for k, u in enumerate(data["units"])}
    unit = {r["id"]: r["unit"] for r in data["requests"]}
    loaded = load_scenario(write(tmp_path, data, "regions.yaml"))
    candidates = singletons(loaded.scenario)
    m, _ = build_model(loaded, candidates, prepared=prepare(loaded, candidates))
    searched = [[rid for rid in ids if rid in m.approve] for ids in independent_parts(m)]
    assert len(searched) >= 3
    # no part holds the searched requests of two regions
    assert all(len({region[unit[rid]] for rid in ids}) == 1 for ids in searched if ids)
    done = run("generate", "--requests", "50", "--regions", "9", "--out", str(tmp_path / "x.json"))
    assert done.returncode == 2 and "at most 5" in done.stderr
