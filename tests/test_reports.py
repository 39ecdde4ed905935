"""What ``delegplan solve`` writes beside plan.json (issue 6): calendar.xlsx, .ics, report.html.

Each file is read back with a tool that knows nothing of how it was written (openpyxl,
icalendar, an HTML parser, and headless Chromium) and compared with plan.json.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from delegplan.cli import app
from delegplan.progress import ProgressLine
from models.catalogue import rule_info
from models.plan import Plan
from solver import Explained, Progress

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
runner = CliRunner()


def _solve(out: Path, *extra: str, explained: bool = True) -> Plan:
    """Solve the bundled scenario into ``out``: reproducibly, every rejection explained in
    full; or, for tests of the files alone (``explained`` False), with quick reasons, which
    saves about 7 s a solve."""
    how = ["--reproducible"] if explained else ["--explain-limit", "0"]
    result = runner.invoke(
        app,
        ["solve", "--out", str(out), "--time-limit", "20", "--seed", "1", "--workers", "2",
         "--quiet", *how, *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return Plan.model_validate(json.loads((out / "plan.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")  # one solve per test process, however the tests are spread
def solved(tmp_path_factory) -> tuple[Path, Plan]:
    out = tmp_path_factory.mktemp("out")
    return out, _solve(out, "--lang", "en")


@pytest.mark.xdist_group("solved")  # one solve of the fixture
def test_workbook_sheets_match_the_plan(solved) -> None:
    out, plan = solved
    wb = load_workbook(out / "calendar.xlsx")
    assert wb.sheetnames == [
        "Approved delegations",
        "Decisions",
        "Composite delegations",
        "Summary",
    ]
    ws = wb["Approved delegations"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(plan.delegations)
    starts = [r[7] for r in rows]
    assert all(isinstance(s, dt.datetime) for s in starts) and starts == sorted(starts)
    assert {r[0] for r in rows} == {d.id for d in plan.delegations}
    assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert ws["H2"].number_format == "yyyy-mm-dd"
    assert ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["A"].width >= len("Delegation")
    decisions = list(wb["Decisions"].iter_rows(min_row=2, values_only=True))
    assert len(decisions) == len(plan.decisions)
    for row, d in zip(decisions, plan.decisions, strict=True):
        assert row[0] == d.request
        for reason in d.reasons:
            assert reason.rule in row[5] and reason.citation in row[6]
    composites = list(wb["Composite delegations"].iter_rows(min_row=2, values_only=True))
    merged = [d for d in plan.delegations if d.savings]
    assert len(composites) == len(merged) >= 1
    assert composites[0][9] == merged[0].savings.cost


@pytest.mark.xdist_group("solved")  # one solve of the fixture
def test_calendar_file_has_one_event_per_delegation(solved) -> None:
    out, plan = solved
    cal = Calendar.from_ical((out / "calendar.ics").read_bytes())
    events = {str(e["uid"]).split(".")[0]: e for e in cal.walk("VEVENT")}
    assert len(events) == len(plan.delegations)
    for d in plan.delegations:
        e = events[d.id]
        assert e.decoded("dtstart") == d.start
        assert e.decoded("dtend") == d.end + dt.timedelta(days=1)  # all-day: exclusive end
        description = str(e["description"])
        assert all(s.start.isoformat() in description for s in d.stops)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stays: list[dict] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "rect" and "stay" in (a.get("class") or "").split():
            self.stays.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.links.append(a[key])
        if a.get("id"):
            self.ids.add(a["id"])


@pytest.mark.xdist_group("solved")  # one solve of the fixture
def test_report_is_self_contained_and_complete(solved) -> None:
    out, plan = solved
    text = (out / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert page.links == [] and "url(" not in text and "<script" not in text  # works offline
    assert page.lang == "en"
    stops = [(d.id, s.country, s.start.isoformat()) for d in plan.delegations for s in d.stops]
    drawn = [(a["data-delegation"], a["data-country"], a["data-start"]) for a in page.stays]
    assert sorted(drawn) == sorted(stops)  # one bar per stay, each where the plan says
    assert {f"req-{r}" for r in plan.rejected} <= page.ids
    assert {d.id for d in plan.delegations} <= page.ids


@pytest.mark.parametrize(
    ("lang", "words"), [("zh", "未批准团组及理由"), ("vi", "Các đoàn được duyệt")]
)
def test_report_language_follows_lang(tmp_path: Path, lang: str, words: str) -> None:
    _solve(tmp_path, "--lang", lang, explained=False)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert words in page
    # the rules that rejected requests, by their titles in the reader's language: the
    # bundled scenario has requests declared after the deadline
    assert rule_info("PLAN-DEADLINE").title_in(lang) in page
    wb = load_workbook(tmp_path / "calendar.xlsx")
    assert wb.sheetnames[0] == {"zh": "批准的出访团组", "vi": "Các đoàn được duyệt"}[lang]


def test_no_reports_writes_only_the_plan(tmp_path: Path) -> None:
    _solve(tmp_path, "--no-reports", explained=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_a_failing_report_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    import delegplan.reports.html as html

    def broken(view):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(html, "html_text", broken)
    args = ["solve", "--out", str(tmp_path), "--time-limit", "5", "--explain-limit", "0"]
    result = runner.invoke(app, [*args, "--quiet"])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []  # not even plan.json: outputs are whole or absent


def test_progress_line_in_a_log_is_sparse_and_quiet_is_silent() -> None:
    def run(quiet: bool) -> str:
        buffer = io.StringIO()
        line = ProgressLine(Console(file=buffer, force_terminal=False, width=120), quiet)
        with line:
            for k in range(20):
                line.update(Progress(seconds=k * 0.75, objective=k, bound=100, solutions=k))
        return buffer.getvalue()

    logged = run(False).splitlines()
    assert len(logged) == 3  # at 0, 5.25 and 10.5 s of 0..14.25 s: one line every 5 s at most
    assert "objective" in logged[0] and "bound" in logged[0] and "gap" in logged[0]
    assert run(True) == ""


def test_progress_line_tells_how_far_explaining_is() -> None:
    buffer = io.StringIO()
    line = ProgressLine(Console(file=buffer, force_terminal=False, width=120))
    with line:
        line.update(Progress(seconds=9.0, objective=480, bound=500, solutions=3))
        for done in range(71):  # 70 rejections over 7 s after the search
            line.explained(Explained(seconds=10 + done / 10, done=done, total=70))
    logged = buffer.getvalue().splitlines()
    # at 9 s (the search), 14 s (5 s later), and the last count whenever it comes
    assert len(logged) == 3
    assert "explained 40/70 rejections" in logged[1] and "objective 480  gap 4.00%" in logged[1]
    assert all(len(text) <= 80 for text in logged[1:])  # a log's line, not two
    assert "17.0s" in logged[2] and "explained 70/70 rejections" in logged[2]


def test_progress_line_tells_how_far_the_repairs_are() -> None:
    buffer = io.StringIO()
    line = ProgressLine(Console(file=buffer, force_terminal=False, width=120))
    with line:
        line.update(Progress(seconds=9.0, objective=480, bound=500, solutions=3))
        line.explained(Explained(seconds=10.0, done=70, total=70))  # every reason
        for repaired in range(1, 71):  # then the repairs, over 7 s
            line.explained(Explained(10 + repaired / 10, done=70, total=70, repaired=repaired))
    logged = buffer.getvalue().splitlines()
    # the search; the reasons' last count; 5 s later; the repairs' last count
    assert len(logged) == 4
    assert "explained 70/70 rejections" in logged[1]
    assert "repairs for 50/70 rejections" in logged[2] and "gap 4.00%" in logged[2]
    assert "17.0s" in logged[3] and "repairs for 70/70 rejections" in logged[3]
    assert all(len(text) <= 80 for text in logged[1:])


def test_progress_line_of_a_whatif_tier_names_what_it_counts() -> None:
    buffer = io.StringIO()
    line = ProgressLine(Console(file=buffer, force_terminal=False, width=120))
    with line:
        line.update(Progress(6.0, objective=12, bound=0, solutions=2, measure="moved"))
        line.explained(Explained(seconds=12.0, done=5, total=5))
    shown, explained = buffer.getvalue().splitlines()
    assert shown.split()[:3] == ["6.0s", "moved", "12"] and "objective" not in shown
    assert "gap 100.00%" in shown  # days moved over a bound of none: all of it unproved
    assert "moved 12  gap 100.00%" in explained
    assert all(len(text) <= 80 for text in (shown, explained))


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    _chromium() is None and not os.environ.get("DELEGPLAN_REQUIRE_BROWSER"),
    reason="no Chromium here (CI installs it and sets DELEGPLAN_REQUIRE_BROWSER)",
)
@pytest.mark.xdist_group("solved")  # one solve of the fixture
def test_report_in_headless_chromium(solved) -> None:
    from playwright.sync_api import sync_playwright

    out, plan = solved
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((out / "report.html").as_uri())
        bars = page.locator("#timeline-countries rect.stay")
        assert bars.count() == sum(len(d.stops) for d in plan.delegations)
        box = bars.first.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0  # drawn, visible
        lanes = page.locator("#timeline-countries g.lane").count()
        assert lanes == len({s.country for d in plan.delegations for s in d.stops})
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file:")] == []  # nothing fetched
