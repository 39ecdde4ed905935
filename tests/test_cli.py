"""The command line as a planner runs it: exit codes, messages, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import request, scenario, write
from tests.test_optimality import value

CLI = [sys.executable, "-c", "from delegplan.cli import main; main()"]


def run_process(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The command line in a process of its own, through the console entry point
    (``main``): what a planner runs, exit codes and all (``env``: more variables)."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", **env},
        encoding="utf-8",
        errors="strict",
    )


def run(*args: str) -> subprocess.CompletedProcess:
    """The command line in this process (typer's runner), as ``run_process`` reports it.

    A process of its own spends about 1.7 s of CPU importing the solver before it starts;
    the tests that need the process itself (the entry point, Ray) use ``run_process``.
    An exception the command did not turn into a message is raised here, as the
    traceback a process would print.
    """
    from typer.testing import CliRunner

    from delegplan import cli

    # the consoles took their width when imported; a process of its own has 200 columns
    widths = cli.out._width, cli.err._width
    cli.out.width = cli.err.width = 200
    try:
        done = CliRunner().invoke(cli.app, list(args), env={"COLUMNS": "200"})
    finally:
        cli.out._width, cli.err._width = widths
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception
    return subprocess.CompletedProcess(list(args), done.exit_code, done.stdout, done.stderr)


def test_solve_writes_plan_and_audit_accepts_it(tmp_path: Path) -> None:
    path = write(tmp_path, scenario([request("R1"), request("R2", submitted="2019-12-01")]))
    before = path.read_bytes()
    done = run_process(
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
    audited = run_process("audit", str(path), str(tmp_path / "out" / "plan.json"))
    assert audited.returncode == 0 and "every hard rule" in audited.stdout


def test_a_terminal_without_chinese_gets_question_marks_not_a_traceback() -> None:
    # The rules' articles are Chinese ("000 §1(三)"): a terminal whose encoding lacks them
    # (here ASCII; a Chinese Windows console redirected to a file has no Vietnamese
    # letters) used to end the command with a UnicodeEncodeError and exit 1.
    done = run_process("rules", "--policy", "changchun-2020", PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "GEO-SAME-COUNTRY" in done.stdout and "000 ?1(?)" in done.stdout


def test_audit_exit_1_on_violation(tmp_path: Path) -> None:
    path = write(tmp_path, scenario([request("R1")]))
    plan = {
        "scenario": "test",
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
    done = run_process("audit", str(path), str(tmp_path / "plan.json"))
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
    # in this process (typer's runner: no interpreter to start for each of these cases);
    # the entry point itself is run in processes of their own (``run_process``) above
    from typer.testing import CliRunner

    from delegplan.cli import app

    data = scenario([request("R1")])
    mutate(data)
    path = write(tmp_path, data)
    done = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)  # no traceback
    assert expected in done.stderr.replace("\n", " ")
    assert str(path) in done.stderr


def test_malformed_yaml_and_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\nyear: 2020\n")
    done = run_process("validate", str(bad))
    assert done.returncode == 2 and "malformed YAML at line" in done.stderr
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    done = run_process("solve", str(empty))
    assert done.returncode == 2 and "is empty" in done.stderr


def test_misspelt_rank_is_a_warning(tmp_path: Path) -> None:
    data = scenario([request("R1")], people=[{"id": "p1", "unit": "u1", "rank": "bureau_cheif"}])
    done = run("validate", str(write(tmp_path, data)))
    assert done.returncode == 0
    assert "warning" in done.stderr and "did you mean 'bureau_chief'" in done.stderr


def test_a_scenario_saved_as_utf16_with_its_mark_loads(tmp_path: Path) -> None:
    # Windows Notepad's "Unicode" is UTF-16 with a byte-order mark, which says so; the
    # same text in GBK is refused with where its first byte that is not UTF-8 is
    from scenarios import bundled_path

    text = bundled_path("changchun-2020").read_text(encoding="utf-8")
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes(text.encode("utf-16"))  # Python's "utf-16" writes the mark first
    done = run("validate", str(utf16))
    assert done.returncode == 0, done.stderr
    assert "126 requests" in done.stdout
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(text.encode("gbk"))
    done = run("validate", str(gbk))
    first = text.encode("utf-8").split(b"\n")[0].decode()  # "name: 长春市2020年..."
    column = next(k for k, ch in enumerate(first, start=1) if not ch.isascii())
    assert done.returncode == 2
    assert (
        f"is not UTF-8 text: byte 0x{gbk.read_bytes()[column - 1]:02X} at line 1, " in done.stderr
    )
    assert f"column {column} (save the file as UTF-8" in done.stderr


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


@pytest.mark.parametrize(
    "command",
    [
        ["solve", "{missing}", "--out", "{out}"],
        ["whatif", "{missing}", "--baseline", "{missing}", "--changes", "{missing}", "--out",
         "{out}"],
        ["sweep", "{missing}", "--out", "{out}"],
        ["template", "--out", "{out}/form.xlsx"],
        ["generate", "--requests", "5", "--out", "{out}/generated.yaml"],
        ["import", "{missing}", "--out", "{out}/imported.yaml"],
    ],
    ids=lambda c: c[0],
)  # fmt: skip
def test_an_output_inside_a_file_is_refused_first(tmp_path: Path, command: list[str]) -> None:
    # --out names a file where a folder must be: refused before any input is read (the
    # scenario named does not exist, and the message is the output's), so a planner
    # does not wait out a whole solve to learn it; exit 2, no traceback, nothing written.
    taken = tmp_path / "taken"
    taken.write_text("a file already")
    paths = {"missing": str(tmp_path / "no-such.yaml"), "out": str(taken)}
    done = run(*[part.format(**paths) for part in command])
    assert done.returncode == 2, done.stderr
    assert f"{taken}: is a file: give a folder to write into" in " ".join(done.stderr.split())
    assert "no such file" not in done.stderr
    assert taken.read_text() == "a file already"


def test_an_output_the_system_refuses_is_named_not_a_traceback(tmp_path: Path, monkeypatch):
    # A full disk (or no permission) while writing the plan: the file is named, exit 2,
    # and neither it nor its temporary file is left behind.
    import errno

    real = Path.write_text

    def full(self: Path, *args, **kwargs):
        if self.name.endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "out"
    done = run("solve", "--out", str(out), "--time-limit", "1", "--quiet", "--no-reports")
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert f"{out / 'plan.json'}: cannot be written: No space left on device" in said
    assert not any(out.iterdir())


def test_a_deadline_counts_loading_and_keeps_time_for_writing(tmp_path: Path) -> None:
    from delegplan.deadline import writing_seconds

    done = run("solve", "--out", str(tmp_path), "--deadline", "30", "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "plan.json").read_text())["solver"]
    # the solve's budget is the deadline less loading (which took some time) and writing
    assert 20 < meta["budget"] < 30 - writing_seconds(126, reports=True)
    assert meta["time_limit"] < meta["budget"] and meta["explain_limit"] < meta["budget"]


@pytest.mark.parametrize("command", ["solve", "whatif", "sweep"])
def test_the_time_limits_default_is_in_the_help(command: str) -> None:
    # rich reads "[default: ...]" in a help text as markup and drops it
    done = run(command, "--help")
    assert done.returncode == 0 and "default 30; with --deadline" in done.stdout


def test_a_deadline_is_not_reproducible_and_a_short_one_is_told(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run("solve", "--out", str(out), "--deadline", "30", "--reproducible")
    assert done.returncode == 2 and "--deadline" in done.stderr and "--reproducible" in done.stderr
    assert not out.exists()
    done = run("solve", "--out", str(out), "--deadline", "1", "--workers", "2", "--quiet")
    assert "--deadline 1: loading, explaining and writing 126 requests take" in done.stderr
    done = run("solve", "--out", str(out), "--deadline", "30", "--workers", "2", "--quiet")
    assert done.returncode == 0 and "warning" not in done.stderr


def _solved(tmp_path: Path) -> tuple[Path, Path]:
    """R1 and R2 want Germany on the same dates (R2 is crowded out); R3 is late."""
    people = [
        {"id": "p1", "unit": "u1", "rank": "staff"},
        {"id": "p2", "unit": "u1", "rank": "staff"},
    ]
    window = ["2020-03-10", "2020-03-14"]
    data = scenario(
        [
            request("R1", priority=5, window=window),
            request("R2", head="p2", priority=2, window=window, mergeable=False),
            request("R3", submitted="2019-12-01"),
        ],
        people=people,
    )
    path = write(tmp_path, data)
    done = run("solve", str(path), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    return path, tmp_path / "out" / "plan.json"


def test_explain_tells_each_rejection_with_rule_rival_and_repair(tmp_path: Path) -> None:
    _, plan = _solved(tmp_path)
    table = run("explain", str(plan))
    assert table.returncode == 0, table.stderr
    assert "R2" in table.stdout and "GEO-SAME-COUNTRY" in table.stdout
    assert "R3" in table.stdout and "PLAN-DEADLINE" in table.stdout
    # the best repair says what to change: R2's window, to take in dates before R1's stay
    assert "window 2020-03-07..2020-03-14" in table.stdout
    assert "exception to PLAN-DEADLINE" in table.stdout  # R3's: waive the deadline
    story = run("explain", str(plan), "R2", "--lang", "zh")
    assert story.returncode == 0, story.stderr
    assert "竞争对象：R1" in story.stdout and "000 §1(三)" in story.stdout
    assert "同一时段内出访同一国家" in story.stdout  # the article's own words
    assert "德国" in story.stdout  # the facts, in Chinese
    assert "move_window" in story.stdout  # a checked repair, by its kind in plan.json


#: what ``explain`` and ``check`` say around the facts, in English (delegplan/views.py)
ENGLISH_WORDS = ("rejected request(s)", "best repair", "crowded out", "ineligible",
                 "what would get it approved", "approved in", "members", "stops:", "with:",
                 "free (no other group there)", "fits beside the plan", "budget of",
                 "eligible on its own", "window 2020", "exception to PLAN")  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ("2项申请未获批准", "申请", "类别", "竞争对象", "最佳调整", "因竞争未获安排",
                "不符合条件", "申请时段改为", "特批", "如何获批", "已批准，编入", "团长",
                "行程", "空闲（无其他团组）", "可与计划并行的出发日期：无", "的预算")),
        ("vi", ("2 đề nghị không được duyệt", "loại", "cạnh tranh với", "điều chỉnh tốt nhất",
                "bị đoàn khác chiếm chỗ", "không đủ điều kiện", "khoảng thời gian",
                "ngoại lệ đối với", "cách để được duyệt", "được duyệt, trong đoàn",
                "trưởng đoàn", "lịch trình", "trống (không có đoàn khác)",
                "có thể xếp cùng kế hoạch nếu khởi hành: không có", "ngân sách của")),
    ],
)  # fmt: skip
def test_explain_and_check_speak_the_language_asked(tmp_path: Path, lang, words) -> None:
    """With --lang zh or vi a planner reads one language: the headings, kinds and repairs
    as well as the facts (the words around the facts used to stay English). The test
    policy writes no Vietnamese, so there the facts of ``check``'s reasons are English."""
    path, plan = _solved(tmp_path)
    shown = "".join(
        run(*args, "--lang", lang).stdout
        for args in (
            ("explain", str(plan)),  # the table: R2 crowded out by R1, R3 late
            ("explain", str(plan), "R2"),  # a rejection's story
            ("explain", str(plan), "R1"),  # an approval's
            ("check", str(path), "R2", "--plan", str(plan)),  # intake against the plan
        )
    )
    assert [w for w in words if w not in shown] == []
    assert [w for w in ENGLISH_WORDS if w in shown] == []


def test_rules_list_titles_in_the_language_asked() -> None:
    english = run("rules")
    assert english.returncode == 0 and "No two groups in one country at one time" in english.stdout
    zh = run("rules", "--lang", "zh")
    assert zh.returncode == 0, zh.stderr
    assert "changchun-2020的规则" in zh.stdout and "约束类型" in zh.stdout
    assert "同一时段不同团组不得出访同一国家" in zh.stdout
    vi = run("rules", "--policy", "ninhbinh-2021", "--lang", "vi")
    assert vi.returncode == 0 and "Không hai lãnh đạo chủ chốt của một cơ quan" in vi.stdout
    assert run("rules", "--lang", "fr").returncode == 2


def test_explain_unknown_request_is_a_usage_error(tmp_path: Path) -> None:
    _, plan = _solved(tmp_path)
    done = run("explain", str(plan), "R9")
    assert done.returncode == 2
    assert "request R9" in done.stderr and "Traceback" not in done.stderr


def test_check_says_when_a_request_fits_beside_the_plan(tmp_path: Path) -> None:
    path, plan = _solved(tmp_path)
    late = run("check", str(path), "R3")
    assert late.returncode == 1 and "PLAN-DEADLINE" in late.stdout
    crowded = run("check", str(path), "R2", "--plan", str(plan))
    assert crowded.returncode == 1
    assert "fits beside the plan starting: none" in crowded.stdout
    assert "DE free" in crowded.stdout and "with: R1" in crowded.stdout
    new = tmp_path / "new.yaml"
    new.write_text(
        "id: N1\nkind: self\nunit: u1\nhead: p2\nwindow: [2020-03-01, 2020-03-31]\n"
        "invitation: {from: Stadt Essen, kind: government}\nsubmitted: 2019-10-01\n"
        "stops: [{country: DE, days: 3, tasks: [{text: a}, {text: b}, {text: c}]}]\n",
        encoding="utf-8",
    )
    fits = run("check", str(path), str(new), "--plan", str(plan))
    assert fits.returncode == 0, fits.stdout + fits.stderr
    # R1 is in Germany 11-13 March: N1 (3 days there, from its second day) starts by the
    # 7th (there 8-10) or from the 13th (there 14-16), up to the last start of its window
    assert "starting: 2020-03-01..2020-03-07, 2020-03-13..2020-03-27" in fits.stdout


def test_check_bad_request_file_names_the_file_and_field(tmp_path: Path) -> None:
    path, _ = _solved(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: N1\nkind: self\nunit: u1\nhead: nobody\nwindow: [2020-03-01, 2020-03-31]\n"
        "stops: [{country: DE, days: 3}]\n",
        encoding="utf-8",
    )
    done = run("check", str(path), str(bad))
    assert done.returncode == 2
    assert "bad.yaml" in done.stderr and "head" in done.stderr and "nobody" in done.stderr
    assert "Traceback" not in done.stderr


def test_merge_lists_merges_taken_and_refused(tmp_path: Path) -> None:
    # A and B (two units) fit in Germany only together: the plan merges them. C shares
    # A's unit leadership, so C and A may not merge (PERS-LEADERSHIP).
    people = [
        {"id": "p1", "unit": "u1", "rank": "staff", "leadership": True},
        {"id": "p2", "unit": "u2", "rank": "staff"},
        {"id": "p3", "unit": "u1", "rank": "staff", "leadership": True},
    ]
    units = [{"id": u, "level": "municipal", "budget": 1_000_000} for u in ("u1", "u2")]
    window = ["2020-03-01", "2020-03-07"]
    data = scenario(
        [
            request("A", priority=4, window=window),
            request("B", unit="u2", head="p2", window=window),
            request("C", head="p3", window=["2020-03-01", "2020-03-20"], priority=1),
        ],
        units=units,
        people=people,
    )
    path = write(tmp_path, data)
    done = run("solve", str(path), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    merged = [d for d in plan["delegations"] if len(d["requests"]) > 1]
    assert [d["requests"] for d in merged] == [["A", "B"]]
    assert merged[0]["savings"]["delegations"] == 1
    listed = run("merge", str(path), "--plan", str(tmp_path / "out" / "plan.json"))
    assert listed.returncode == 0, listed.stderr
    assert "A, B" in listed.stdout and "taken" in listed.stdout
    assert "A, C" in listed.stdout and "PERS-LEADERSHIP" in listed.stdout
    # in Chinese: the merge taken, and why A and C may not go together, in the same words
    # the rejections use (two leaders of u1 in one group)
    zh = run("merge", str(path), "--plan", str(tmp_path / "out" / "plan.json"), "--lang", "zh")
    assert zh.returncode == 0, zh.stderr
    assert "可组成2个合并团组" in zh.stdout and "已采用" in zh.stdout
    assert "不能合并" in zh.stdout and "领导班子" in zh.stdout
    assert "taken" not in zh.stdout and "similar pair" not in zh.stdout
    # a plan of another scenario is refused, not read against this one (check too)
    other = write(tmp_path, {**data, "name": "another"}, "other.yaml")
    for args in (("merge", str(other)), ("check", str(other), "A")):
        refused = run(*args, "--plan", str(tmp_path / "out" / "plan.json"))
        assert (
            refused.returncode == 2 and "the plan is of 'test', not of 'another'" in refused.stderr
        )


def test_generate_is_deterministic_and_solvable_by_both_methods(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.json"
    for path, seed in ((a, "3"), (b, "3"), (c, "3")):
        done = run("generate", "--requests", "60", "--seed", seed, "--out", str(path))
        assert done.returncode == 0, done.stderr
    assert a.read_bytes() == b.read_bytes()
    from models.loading import load_scenario

    loaded = load_scenario(a)
    ya, js, policy = loaded.scenario, load_scenario(c).scenario, loaded.policy
    assert len(ya.requests) == 60 and ya.model_dump() == js.model_dump()
    assert 4 <= len(ya.units) <= 8 and 30 <= len(ya.people) <= 42
    other = tmp_path / "d.yaml"
    run("generate", "--requests", "60", "--seed", "4", "--out", str(other))
    assert other.read_bytes() != a.read_bytes()
    worth = {}
    for method, objective in (("greedy", "full"), ("cpsat", "full"), ("cpsat", "approvals")):
        out_dir = tmp_path / f"{method}-{objective}"
        done = run(
            "solve", str(a), "--out", str(out_dir), "--method", method, "--time-limit", "4",
            "--workers", "2", "--quiet", "--objective", objective, "--no-reports",
            "--explain-limit", "0",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "every hard rule holds" in done.stdout
        plan = json.loads((out_dir / "plan.json").read_text())
        assert plan["delegations"] and plan["solver"]["objective"] == objective
        # the approved value alone is proved at this size: the comparison below then holds
        assert objective != "approvals" or plan["status"] == "optimal"
        approved = [d["request"] for d in plan["decisions"] if d["status"] == "approved"]
        worth[method, objective] = sum(value(ya.request_by_id[r], policy) for r in approved)
    # the approvals objective approves at least the value of either other plan
    assert worth["cpsat", "approvals"] >= max(worth["cpsat", "full"], worth["greedy", "full"])


def test_generate_and_method_usage_errors(tmp_path: Path) -> None:
    done = run("generate", "--requests", "5", "--out", str(tmp_path / "x.txt"))
    assert done.returncode == 2 and ".yaml or .json" in done.stderr
    done = run(
        "generate", "--requests", "5", "--profile", "nowhere", "--out", str(tmp_path / "x.yaml")
    )
    assert done.returncode == 2 and "nowhere" in done.stderr
    done = run("solve", "--method", "guess", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "cpsat or greedy" in done.stderr
    done = run("solve", "--objective", "most", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "full or approvals" in done.stderr
    assert not (tmp_path / "o").exists()


def _withdrawing_r2(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A scenario of two requests, its plan (both approved) and a change withdrawing R2."""
    path = write(
        tmp_path, scenario([request("R1"), request("R2", window=["2020-05-01", "2020-05-31"])])
    )
    base = tmp_path / "base"
    assert run("solve", str(path), "--out", str(base), "--workers", "2", "--quiet").returncode == 0
    changes = tmp_path / "changes.yaml"
    changes.write_text("changes:\n  - {op: withdraw, request: R2}\n")
    return path, base, changes


def test_whatif_writes_a_replan_with_its_diff(tmp_path: Path) -> None:
    path, base, changes = _withdrawing_r2(tmp_path)
    done = run(
        "whatif", str(path), "--baseline", str(base / "plan.json"), "--changes", str(changes),
        "--out", str(tmp_path / "new"), "--workers", "2", "--lang", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "every hard rule holds" in done.stdout and "R2" in done.stdout
    plan = json.loads((tmp_path / "new" / "plan.json").read_text())
    assert plan["whatif"]["disturbed"] == 0
    assert {d["request"] for d in plan["diff"]} == {"R2"}
    # the re-planned calendar to hand out, with what changed against the approved plan
    wb = load_workbook(tmp_path / "new" / "calendar.xlsx")
    rows = [[c.value for c in row] for row in wb["Changes"].iter_rows(min_row=2)]
    shown = {"decision": "Decision", "delegation": "Delegation", "dates": "Dates",
             "countries": "Countries", "head": "Head"}  # fmt: skip
    named = {"DE": "Germany"}  # countries by name, where plan.json has their codes
    assert rows == [
        [d["request"], shown[d["field"]], named.get(d["before"], d["before"] or "-"), "-"]
        for d in plan["diff"]
    ]
    assert ["R2", "Decision", "approved", "-"] in rows  # withdrawn: no decision now
    assert ["R2", "Countries", "Germany", "-"] in rows
    page = (tmp_path / "new" / "report.html").read_text(encoding="utf-8")
    assert 'id="changes"' in page and "<td>R2</td>" in page
    assert (tmp_path / "new" / "calendar.ics").exists()
    # ``diff`` tells the same differences from the two plan files alone
    told = run("diff", str(base / "plan.json"), str(tmp_path / "new" / "plan.json"))
    assert told.returncode == 0, told.stderr
    assert f"{len(plan['diff'])} difference(s)" in told.stdout
    lines = [line.split("│")[1:5] for line in told.stdout.splitlines() if "│ R" in line]
    assert [[c.strip() for c in line] for line in lines] == rows  # as the sheet says them
    same = run("diff", str(base / "plan.json"), str(base / "plan.json"), "--lang", "vi")
    assert same.returncode == 0 and "0 điểm khác nhau" in same.stdout
    quiet = run(
        "whatif", str(path), "--baseline", str(base / "plan.json"), "--changes", str(changes),
        "--out", str(tmp_path / "zh"), "--workers", "2", "--lang", "zh", "--quiet",
    )  # fmt: skip
    assert quiet.returncode == 0, quiet.stderr
    assert "变动" in load_workbook(tmp_path / "zh" / "calendar.xlsx").sheetnames
    assert "与已批准计划相比的变动" in (tmp_path / "zh" / "report.html").read_text("utf-8")
    alone = run(
        "whatif", str(path), "--baseline", str(base / "plan.json"), "--changes", str(changes),
        "--out", str(tmp_path / "alone"), "--workers", "2", "--no-reports", "--quiet",
    )  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    assert [p.name for p in (tmp_path / "alone").iterdir()] == ["plan.json"]
    changes.write_text("changes:\n  - {op: withdraw, request: NOPE}\n")
    bad = run(
        "whatif", str(path), "--baseline", str(base / "plan.json"), "--changes", str(changes),
        "--out", str(tmp_path / "bad"),
    )  # fmt: skip
    assert bad.returncode == 2 and "change 1" in bad.stderr and "NOPE" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "bad").exists()


def test_whatif_keeps_a_deadline(tmp_path: Path) -> None:
    from delegplan.deadline import writing_seconds

    path, base, changes = _withdrawing_r2(tmp_path)
    args = ["whatif", str(path), "--baseline", str(base / "plan.json"), "--changes", str(changes)]
    done = run(*args, "--out", str(tmp_path / "r"), "--deadline", "20", "--reproducible")
    assert done.returncode == 2 and "--deadline" in done.stderr
    assert not (tmp_path / "r").exists()
    done = run(*args, "--out", str(tmp_path / "new"), "--deadline", "20", "--workers", "2")
    assert done.returncode == 0, done.stderr
    plan = json.loads((tmp_path / "new" / "plan.json").read_text())
    meta = plan["solver"]
    # the budget is the deadline less loading and writing plan.json and reports, to 0.1 s
    assert 10 < meta["budget"] <= round(20 - writing_seconds(2, reports=True), 1)
    assert meta["time_limit"] < meta["budget"] and meta["explain_limit"] < meta["budget"]
    assert {d["request"] for d in plan["diff"]} == {"R2"}
