"""The scale benchmark script runs end to end on a small size and writes its table."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from models.geography import country

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run a benchmark script as a user would, from the project root."""
    return subprocess.run(
        [sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def _script(path: str) -> ModuleType:
    """A benchmark script loaded as a module, to call its functions."""
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_search_past_its_limit_is_noted_with_where_its_time_went() -> None:
    run = _script("benchmarks/run.py")
    row = {"requests": 20000, "method": "cpsat", "objective_kind": "approvals", "merge": True}
    row |= {"limit": 600.0, "search_s": 600.76, "improved_s": 598.1}  # within a second
    clerk = row | {"method": "greedy", "search_s": 700.0}  # the clerk's plan has no search
    assert run.past_limit([row, clerk]) == ""
    past = row | {"search_s": 607.02, "improved_s": 598.4}
    alone = row | {"merge": False, "search_s": 603.5, "improved_s": None}
    notes = run.past_limit([row, past, clerk, alone]).splitlines()
    listed = [line for line in notes if line.startswith("- ")]
    assert len(listed) == 2
    assert "merging on: search 607.02 s for a 600 s limit" in listed[0]
    assert "ended at 598.4 s" in listed[0] and "took the 8.62 s after it" in listed[0]
    assert "merging off: search 603.5 s" in listed[1] and "no improvement ran" in listed[1]


def test_benchmark_writes_a_table_of_audited_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = _run("benchmarks/run.py", "--sizes", "40", "--out", str(out), "--data", str(tmp_path))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Machine:" in text and "OR-Tools" in text
    # which code the rows measured, and where the hand-written findings are
    assert "Every row from this run of the script, on " in text and "at commit " in text
    assert "[findings.md](findings.md)" in text
    rows = [line for line in text.splitlines() if line.startswith("| 40 |")]
    # greedy, search without merging, with merging, and for the approved value alone
    assert len(rows) == 4
    assert all(row.rstrip().endswith("| clean |") for row in rows)
    assert "| greedy | full | off |" in rows[0] and "| cpsat | full | on |" in rows[2]
    assert "| cpsat | approvals | on |" in rows[3] and "| optimal |" in rows[3]
    assert "Searches past their limit" not in text  # proved long before their 60 s


def test_deadline_benchmark_writes_audited_rows_with_every_rejection_counted(
    tmp_path: Path,
) -> None:
    out = tmp_path / "deadline.md"
    args = ["--sizes", "40", "--deadline", "20", "--out", str(out), "--data", str(tmp_path)]
    done = _run("benchmarks/deadline.py", *args)
    assert done.returncode == 0, done.stderr
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in out.read_text().splitlines()
        if line.startswith("| 40 |")
    ]
    assert [row[1] for row in rows] == ["on", "off"]  # with and without merging
    for row in rows:
        assert row[2] == "20" and row[-1] == "clean"
        budget, search = float(row[5]), float(row[6])
        assert search < budget < 20  # loading and writing came off the deadline first
        rejected, full, quick = int(row[12]), int(row[13]), int(row[14])
        assert rejected > 0 and full + quick == rejected


def test_whatif_benchmark_writes_a_row_of_an_audited_replan(tmp_path: Path) -> None:
    out = tmp_path / "whatif.md"
    done = _run(
        "benchmarks/whatif.py",
        "--requests",
        "80",
        "--limit",
        "10",
        "--baseline-limit",
        "5",
        "--out",
        str(out),
        "--data",
        str(tmp_path),
        "--deadlines",
        "20",
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    lines = [line for line in text.splitlines() if line.startswith("|")]
    keys = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [
        dict(zip(keys, (c.strip() for c in r.strip("|").split("|")), strict=True))
        for r in lines[2:]
    ]
    assert len(rows) == 2 and "at commit" in text  # says which code it measured
    for row in rows:
        assert row["requests"] == "81"  # 80 requests, 3 added, 2 withdrawn
        assert row["changes"] == "10"  # ten adjustment requests, every kind
        assert row["audit clean"] == "True"  # the re-plan passes the auditor
    limited, deadlined = rows
    assert limited["deadline"] == "-" and limited["limit"] == "10.0"
    # under the deadline the search gets its share of what loading and writing leave
    assert deadlined["deadline"] == "20.0" and float(deadlined["limit"]) < 20 * 0.8


def test_loader_fuzzing_runs_and_finds_no_crash(tmp_path: Path) -> None:
    out = tmp_path / "fuzz.md"
    done = _run(
        "benchmarks/fuzz_loaders.py", "--examples", "60", "--derandomize", "--out", str(out)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [
        line
        for line in out.read_text().splitlines()
        if line.startswith("| ") and "|---" not in line
    ]
    assert len(rows) == 7  # header and six targets
    assert all(row.split("|")[5].strip() == "0" for row in rows[1:])  # no findings


def test_time_indexed_benchmark_writes_a_row_with_both_bounds(tmp_path: Path) -> None:
    out = tmp_path / "time_indexed.md"
    done = _run(
        "benchmarks/time_indexed.py",
        "--sizes",
        "40",
        "--limit",
        "20",
        "--out",
        str(out),
        "--data",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert "Machine:" in out.read_text()
    row = out.read_text().strip().splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "40" and cells[1] == "optimal" and cells[9] == "optimal"
    first, second, rows = int(cells[2]), int(cells[3]), int(cells[10])
    # proved with the day rows, it is the full model's optimum: never above either round's
    # bound, and below the first's (the 40 generated requests: 13,823 against 13,826)
    assert rows == int(cells[11]) and rows <= second <= first and rows < first


def test_dense_benchmark_cuts_one_continent_and_both_searches_agree(tmp_path: Path) -> None:
    out = tmp_path / "dense.md"
    args = ["--requests", "1000", "--continent", "Oceania", "--limits", "10"]
    args += ["--portfolio", "10", "--out", str(out), "--data", str(tmp_path)]
    done = _run("benchmarks/dense.py", *args)
    assert done.returncode == 0, done.stderr
    whole = json.loads((tmp_path / "synthetic-1000-seed1.json").read_text())
    part = json.loads((tmp_path / "synthetic-1000-seed1-oceania.json").read_text())
    assert len(whole["requests"]) == 1000  # the generated scenario is left as it was
    continents = [{country(s["country"]).continent for s in r["stops"]} for r in whole["requests"]]
    inside = [r for r, on in zip(whole["requests"], continents, strict=True) if on == {"Oceania"}]
    # a request that also goes elsewhere stays out (the generated scenario has one)
    assert any("Oceania" in on and len(on) > 1 for on in continents)
    assert 0 < len(part["requests"]) == len(inside) < 1000
    assert [r["id"] for r in part["requests"]] == [r["id"] for r in inside]
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in out.read_text().splitlines()
        if line.startswith("| delegplan solve") or line.startswith("| CP-SAT")
    ]
    assert len(rows) == 2
    ours, theirs = rows
    # so small a part is proved by both: two searches sharing no code, one optimum
    assert ours[3] == theirs[3] == "optimal"
    assert ours[4] == ours[5] == theirs[4] == theirs[5]
    assert ours[-1] == "clean"


def test_the_tables_provenance_names_the_code_not_its_own_markdown(
    tmp_path: Path, monkeypatch
) -> None:
    # The script writes its table (Markdown) after each size: that made every table of a
    # run in a checkout say "with uncommitted changes". Code changes still do, and a
    # commit made during a run is named.
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    def git(*args: str) -> str:
        who = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
        done = subprocess.run(
            ["git", *who, *args], cwd=tmp_path, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    git("init", "-q")
    (tmp_path / "solve.py").write_text("x = 1\n")
    (tmp_path / "results.md").write_text("old\n")
    git("add", ".")
    git("commit", "-qm", "one")
    first = git("rev-parse", "--short", "HEAD")
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    started = bench.code_state()
    assert started == first
    (tmp_path / "results.md").write_text("new\n")
    assert bench.code_state() == first  # its own table
    assert bench.provenance(started).endswith(f"at commit {first}.")
    (tmp_path / "solve.py").write_text("x = 2\n")
    assert bench.code_state() == f"{first} with uncommitted changes"
    git("commit", "-qam", "two")
    second = git("rev-parse", "--short", "HEAD")
    assert f"at commit {first} (and {second} by the end" in bench.provenance(started)


def test_spread_benchmark_runs_each_row_once_per_seed(tmp_path: Path) -> None:
    out = tmp_path / "spread.md"
    args = ["--sizes", "40", "--seeds", "3", "4", "--out", str(out), "--data", str(tmp_path)]
    done = _run("benchmarks/spread.py", *args)
    assert done.returncode == 0, done.stderr
    # every run is a fresh process with the seed asked for, and no explanations
    runs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["merge"], r["seed"]) for r in runs] == [
        (False, 3), (False, 4), (True, 3), (True, 4)
    ]  # fmt: skip
    assert all(r["explain_limit"] == 0 and r["audit_clean"] for r in runs)
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in out.read_text().splitlines()
        if line.startswith("| 40 |")
    ]
    assert [(row[1], row[2]) for row in rows] == [("full", "off"), ("full", "on")]
    for row in rows:
        assert row[5] == "3, 4" and len(row[6].split(", ")) == 2
        assert row[4] == "-" and row[11] == "-"  # no target is stated at 40 requests
        assert row[-1] == "clean"


def test_spread_verdicts_count_the_runs_within_each_target() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("spread", ROOT / "benchmarks" / "spread.py")
    assert spec is not None and spec.loader is not None
    spread = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(spread)

    def run(seed: int, gap: float | None, status: str = "feasible", **more) -> dict:
        figures = {"seed": seed, "gap": gap, "status": status, "objective_kind": "full"}
        figures |= {"proved_s": None, "audit_clean": True}
        return figures | more

    near = [run(1, 0.0049), run(2, 0.0051), run(3, 0.005), run(4, None, "optimal")]
    assert [spread.met(r, 5000) for r in near] == [True, False, True, True]
    assert spread.met(run(1, 0.0049), 20000) is True and spread.met(run(1, 0.03), 20000) is False
    assert spread.met(run(1, 0.0005), 1000) is True and spread.met(run(1, 0.002), 1000) is False
    assert spread.met(run(1, 0.0049), 40) is None  # no target at that size
    proved = [
        run(1, 0.0, "optimal", objective_kind="approvals", proved_s=3.1),
        run(2, 0.0, "optimal", objective_kind="approvals", proved_s=10.4),
        run(3, 0.001, objective_kind="approvals"),  # not proved at all
    ]
    assert [spread.met(r, 1000) for r in proved] == [True, False, False]
    line = spread.table([(5000, "full", False, 120.0, near)]).splitlines()[-1]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[4] == "gap within 0.5%" and cells[11] == "3 of 4"
    assert cells[6] == "0.490%, 0.510%, 0.500%, 0.000%"
    assert (cells[7], cells[8], cells[9]) == ("0.000%", "0.495%", "0.510%")
    assert spread.rows_for(1000)[-1] == ("approvals", True) and len(spread.rows_for(5000)) == 2
    # a run that found no plan misses the target and shows as the worst, not as a crash
    lost = run(5, None, "unknown")
    assert spread.met(lost, 5000) is False
    line = spread.table([(5000, "full", False, 120.0, [*near, lost])]).splitlines()[-1]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[6].endswith(", no plan") and cells[9] == "no plan" and cells[11] == "3 of 5"


def test_slack_sorts_each_rejection_by_what_keeps_it_out(tmp_path: Path) -> None:
    """A by hand: approved in Germany on 1-3 March. B (worth more) has only starts that
    meet it; C's country is free; D's calendar is free but it has no invitation."""
    from benchmarks.slack import FITS, IN_THE_WAY, OTHER_RULES, measure
    from models.loading import load_scenario
    from models.plan import Plan
    from models.trip import lay_out
    from tests.conftest import BASE_PERSON, D, request, scenario, tasks, write

    def one(rid: str, head: str, **over: object) -> dict:
        return request(rid, head=head, travel_days=0, **over)

    data = scenario(
        [
            one("A", "p1", priority=1, window=[D(2020, 3, 1), D(2020, 3, 3)]),
            one("B", "p2", priority=5, window=[D(2020, 3, 1), D(2020, 3, 5)]),
            one(
                "C",
                "p3",
                stops=[{"country": "FR", "days": 3, "tasks": tasks()}],
            ),
            one(
                "D",
                "p4",
                invitation={"from": "-", "kind": "none"},
                window=[D(2020, 4, 1), D(2020, 4, 30)],
            ),
        ],
        people=[{**BASE_PERSON, "id": f"p{k}"} for k in range(1, 5)],
    )
    path = write(tmp_path, data)
    trip = lay_out(D(2020, 3, 1), [("DE", 3)], 0)
    stops = [{"country": s.country, "start": s.start, "end": s.end} for s in trip.stops]
    delegation = {"id": "D-1", "requests": ["A"], "head": "p1", "members": [],
                  "start": trip.start, "end": trip.end, "stops": stops}  # fmt: skip
    plan = Plan.model_validate(
        {
            "scenario": "test",
            "policy": "changchun-2020",
            "status": "feasible",
            "objective": 300,
            "bound": 900,
            "delegations": [delegation],
        }
    )
    slack = measure(load_scenario(path), plan)
    assert slack.classes == {FITS: (1, 500), OTHER_RULES: (1, 500), IN_THE_WAY[0]: (1, 800)}
    assert slack.rules == {"INVITE-REQUIRED": 1}
    assert (slack.one_cheaper, slack.one_cheaper_value) == (1, 800 - 300)
    # Germany: B's and A's days in March (1-5) and D's April; France: C's March
    assert slack.countries == {"DE": (35, 3), "FR": (31, 0)}

    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.to_json(), encoding="utf-8")
    out = tmp_path / "slack.md"
    done = _run("benchmarks/slack.py", str(path), str(plan_path), "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "| DE | 35 | 3 | 32 |" in page and f"| {IN_THE_WAY[0]} | 1 | 800 |" in page
    assert "INVITE-REQUIRED 1" in page
