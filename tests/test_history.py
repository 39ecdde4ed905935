"""Last year's approved plan as this year's history (``history_from``; models/history.py).

Each autumn the quotas of FREQ-RANK (000 §1(二): bureau level at most 1 trip in any 2
years) must see the trips of the plan approved the year before. Both years here are
solved through the command line, so every plan is audited as it is written.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.conftest import BASE_UNIT, request, scenario, write
from tests.test_cli import run

D = dt.date
PEOPLE = [
    {"id": "p1", "unit": "u1", "rank": "bureau_chief"},  # 1 trip in any 2 years
    {"id": "p2", "unit": "u1", "rank": "staff"},  # no quota
    {"id": "p3", "unit": "u2", "rank": "staff"},  # leaves before 2021
]


def _solve(path: Path, out: Path) -> dict:
    done = run("solve", str(path), "--out", str(out), "--workers", "2", "--quiet",
               "--reproducible", "--time-limit", "5", "--no-reports")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def _plan_2020(tmp_path: Path) -> dict:
    """2020: p1 heads R1 to Germany with p2 and p3, approved."""
    units = [BASE_UNIT, {**BASE_UNIT, "id": "u2", "name": "Unit 2"}]
    data = scenario([request("R1", members=["p2", "p3"])], people=PEOPLE, units=units)
    (tmp_path / "2020").mkdir()
    plan = _solve(write(tmp_path / "2020", data), tmp_path / "2020" / "out")
    assert [d["requests"] for d in plan["delegations"]] == [["R1"]]
    return plan


def _scenario_2021(tmp_path: Path, **over) -> Path:
    """2021: p1 asks to go to France in March; p3 has left. p2's 2020 trip is already
    typed into the history by hand."""
    france = [{"country": "FR", "days": 3, "tasks": [{"text": t} for t in "abc"]}]
    n1 = request("N1", window=[D(2021, 3, 1), D(2021, 3, 31)], submitted=D(2020, 10, 1),
                 stops=france)  # fmt: skip
    data = scenario([n1], people=PEOPLE[:2], year=2021, deadline=D(2020, 10, 31), **over)
    (tmp_path / "2021").mkdir(exist_ok=True)
    return write(tmp_path / "2021", data)


def test_last_years_plan_counts_for_this_years_quotas(tmp_path: Path) -> None:
    last = _plan_2020(tmp_path)
    started = last["delegations"][0]["start"]
    typed = [{"person": "p2", "start": D.fromisoformat(started), "countries": ["DE"]}]
    path = _scenario_2021(tmp_path, history=typed, history_from=["../2020/out/plan.json"])
    checked = run("validate", str(path))
    assert checked.returncode == 0, checked.stderr
    # p1's trip from the plan, p2's as typed (not twice); p3 is not a person of 2021
    assert "2 history trips (1 from history_from)" in checked.stdout
    assert "history_from" in checked.stderr and "1 traveller(s)" in checked.stderr
    assert "(p3)" in checked.stderr
    plan = _solve(path, tmp_path / "2021" / "out")
    (n1,) = plan["decisions"]
    assert n1["status"] == "rejected"
    assert n1["reasons"][0]["rule"] == "FREQ-RANK" and started in n1["reasons"][0]["message"]
    # a re-plan and an intake check read the same history
    changes = tmp_path / "2021" / "changes.yaml"
    changes.write_text("changes:\n  - {op: move, request: N1, window: [2021-04-01, 2021-04-30]}\n")
    moved = run("whatif", str(path), "--baseline", str(tmp_path / "2021" / "out" / "plan.json"),
                "--changes", str(changes), "--out", str(tmp_path / "2021" / "moved"),
                "--workers", "2", "--quiet", "--no-reports")  # fmt: skip
    assert moved.returncode == 0, moved.stdout + moved.stderr
    replan = json.loads((tmp_path / "2021" / "moved" / "plan.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in replan["decisions"]] == ["rejected"]
    new = tmp_path / "2021" / "n2.yaml"
    new.write_text(json.dumps({**request("N2", window=["2021-05-01", "2021-05-31"],
                                         submitted="2020-10-01"), "head": "p1"}))  # fmt: skip
    intake = run("check", str(path), str(new))
    assert intake.returncode == 1 and "FREQ-RANK" in intake.stdout
    # without last year's plan p1 has no trip in the two years, and goes
    alone = _scenario_2021(tmp_path, history=typed)
    assert _solve(alone, tmp_path / "2021" / "alone")["decisions"][0]["status"] == "approved"


def test_a_missing_or_same_year_plan_is_refused_naming_the_field(tmp_path: Path) -> None:
    _plan_2020(tmp_path)
    missing = run("validate", str(_scenario_2021(tmp_path, history_from=["nope.json"])))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "field history_from: nope.json: no such file" in missing.stderr
    not_a_list = run("validate", str(_scenario_2021(tmp_path, history_from=[3])))
    assert not_a_list.returncode == 2 and "plan.json files of earlier years" in not_a_list.stderr
    # this year's own plan as its history: it would count every trip against itself
    path = _scenario_2021(tmp_path)
    _solve(path, tmp_path / "2021" / "out")
    again = _scenario_2021(tmp_path, history_from=["out/plan.json"])
    same = run("validate", str(again))
    assert same.returncode == 2
    assert "start in 2021 or later" in same.stderr and "earlier year" in same.stderr


def test_import_names_last_years_plan_for_the_forms_scenario(tmp_path: Path) -> None:
    """``import --history-from``: the scenario the forms make counts the plan's trips."""
    from tests.test_forms import _minimal  # the filled form: p1 Zhang San heads R1 in 2020

    form = _minimal(tmp_path)
    past = tmp_path / "2019" / "plan.json"
    past.parent.mkdir()
    past.write_text(
        json.dumps(
            {
                "scenario": "t 2019",
                "policy": "changchun-2020",
                "status": "optimal",
                "delegations": [
                    {
                        "id": "D-001",
                        "requests": ["A1"],
                        "head": "p1",
                        "start": "2019-05-01",
                        "end": "2019-05-06",
                        "stops": [{"country": "DE", "start": "2019-05-02", "end": "2019-05-05"}],
                    }
                ],
                "decisions": [{"request": "A1", "status": "approved", "delegation": "D-001"}],
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "2020" / "scenario.yaml"
    out.parent.mkdir()
    done = run("import", str(form), "--out", str(out), "--history-from", str(past))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "history_from:\n- ../2019/plan.json" in out.read_text(encoding="utf-8")
    assert "1 history trips (1 from history_from)" in run("validate", str(out)).stdout
    # Zhang San went in May 2019: a bureau chief's second trip within two years is out
    intake = run("check", str(out), "R1")
    assert intake.returncode == 1 and "FREQ-RANK" in intake.stdout and "2019-05-01" in intake.stdout
