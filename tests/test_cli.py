"""The command line as a planner runs it: exit codes, messages, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import request, scenario, write

CLI = [sys.executable, "-c", "from delegplan.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_solve_writes_plan_and_audit_accepts_it(tmp_path: Path) -> None:
    path = write(tmp_path, scenario([request("R1"), request("R2", submitted="2019-12-01")]))
    before = path.read_bytes()
    done = run(
        "solve",
        str(path),
        "--out",
        str(tmp_path / "out"),
        "--time-limit",
        "5",
        "--workers",
        "2",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert [d["status"] for d in plan["decisions"]] == ["approved", "rejected"]
    assert plan["decisions"][1]["reasons"][0]["rule"] == "PLAN-DEADLINE"
    assert path.read_bytes() == before  # inputs are never modified
    audited = run("audit", str(path), str(tmp_path / "out" / "plan.json"))
    assert audited.returncode == 0 and "every hard rule" in audited.stdout


def test_audit_exit_1_on_violation(tmp_path: Path) -> None:
    path = write(tmp_path, scenario([request("R1")]))
    plan = {
        "scenario": "t",
        "policy": "changchun-2020",
        "status": "optimal",
        "delegations": [
            {
                "id": "D1",
                "requests": ["R1"],
                "head": "p1",
                "members": [],
                "start": "2020-06-01",
                "end": "2020-06-05",
                "stops": [{"country": "DE", "start": "2020-06-02", "end": "2020-06-04"}],
            }
        ],
        "decisions": [{"request": "R1", "status": "approved", "delegation": "D1", "reasons": []}],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    done = run("audit", str(path), str(tmp_path / "plan.json"))
    assert done.returncode == 1 and "TIME-WINDOW" in done.stdout


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["requests"][0].update(unit="nowhere"), "request R1, field unit: unknown unit"),
        (
            lambda d: d["requests"][0].update(window=["2020-05-01", "2020-03-01"]),
            "request R1, field window: reversed range",
        ),
        (
            lambda d: d["requests"][0].update(window=["2021-05-01", "2021-06-01"]),
            "request R1, field window: 2021-05-01..2021-06-01 is not inside the planning year",
        ),
        (
            lambda d: d["requests"][0]["stops"][0].update(country="Atlantis"),
            "request R1, field stops[0].country: unknown country 'Atlantis'",
        ),
        (lambda d: d["requests"][0]["stops"][0].update(days=0), "request R1, field stops[0].days"),
        (lambda d: d.update(policy="nowhere-2020"), "field policy: unknown policy 'nowhere-2020'"),
        (lambda d: d["requests"].append(dict(d["requests"][0])), "request R1, field id: duplicate"),
        (
            lambda d: d.update(exceptions=[{"request": "R1", "rule": "NO-SUCH"}]),
            "exception #1, field rule: unknown rule id 'NO-SUCH'",
        ),
        (
            lambda d: d["requests"][0].update(members=["p1"]),
            "the head 'p1' is also listed among the members",
        ),
        (lambda d: d["requests"][0].pop("head"), "request R1, field head: is required"),
        (lambda d: d["requests"][0].update(cost=-5), "request R1, field cost"),
    ],
)
def test_bad_input_exit_2_with_location(tmp_path: Path, mutate, expected: str) -> None:
    data = scenario([request("R1")])
    mutate(data)
    path = write(tmp_path, data)
    done = run("validate", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr.replace("\n", " ")
    assert str(path) in done.stderr
    assert "Traceback" not in done.stderr


def test_malformed_yaml_and_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\nyear: 2020\n")
    done = run("validate", str(bad))
    assert done.returncode == 2 and "malformed YAML at line" in done.stderr
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    done = run("solve", str(empty))
    assert done.returncode == 2 and "is empty" in done.stderr


def test_misspelt_rank_is_a_warning(tmp_path: Path) -> None:
    data = scenario([request("R1")], people=[{"id": "p1", "unit": "u1", "rank": "bureau_cheif"}])
    done = run("validate", str(write(tmp_path, data)))
    assert done.returncode == 0
    assert "warning" in done.stderr and "did you mean 'bureau_chief'" in done.stderr


def test_country_names_in_three_languages(tmp_path: Path) -> None:
    from models.loading import load_scenario

    stops = [
        {"country": name, "days": 1, "tasks": [{"text": "t"}] * 3}
        for name in ("德国", "Pháp", "Netherlands")
    ]
    loaded = load_scenario(write(tmp_path, scenario([request("R1", stops=stops)])))
    assert loaded.scenario.requests[0].countries == ("DE", "FR", "NL")


def test_default_scenario_solves(tmp_path: Path) -> None:
    done = run("solve", "--out", str(tmp_path), "--time-limit", "20", "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "every hard rule holds" in done.stdout
    assert json.loads((tmp_path / "plan.json").read_text())["policy"] == "changchun-2020"
