"""Declaration forms (issue 6): template → filled in → import → the same scenario.

The workbooks are filled by ``tests/fill_forms.py`` through openpyxl alone, the way a
clerk types them; the import must give back exactly the scenario they were filled from.
Every import problem must name the file, the sheet, the row and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from delegplan.cli import app
from delegplan.forms import import_forms, write_imported
from delegplan.forms.cells import as_countries, as_date
from delegplan.forms.columns import REQUESTS, SHEETS
from delegplan.forms.template import template_bytes
from models.errors import InputError
from models.loading import load_scenario
from tests.fill_forms import fill

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _template(tmp: Path, lang: str) -> Path:
    path = tmp / f"template-{lang}.xlsx"
    result = runner.invoke(app, ["template", "--out", str(path), "--lang", lang])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize(
    ("name", "lang", "text_dates"),
    [
        ("changchun-2020", "zh", False),
        ("changchun-2020", "zh", True),
        ("ninhbinh-2021", "vi", True),
        ("sichuan-training-2020", "en", False),
    ],
)
def test_round_trip_gives_the_scenario_back(
    tmp_path: Path, name: str, lang: str, text_dates: bool
) -> None:
    original = load_scenario(ROOT / "scenarios" / f"{name}.yaml").scenario
    filled = fill(_template(tmp_path, lang), original, lang, tmp_path / "filled.xlsx", text_dates)
    out = tmp_path / "imported.yaml"
    result = runner.invoke(app, ["import", str(filled), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_scenario(out).scenario == original


def test_template_has_every_sheet_header_and_drop_down(tmp_path: Path) -> None:
    wb = load_workbook(_template(tmp_path, "zh"))
    assert [s.zh for s in SHEETS] == wb.sheetnames[:-1]
    assert wb["lists"].sheet_state == "hidden"
    ws = wb["申报表"]
    headers = [c.value for c in ws[1]]
    for needed in ("组团单位 *", "团组名称", "团长姓名及职务 *", "出访国家（地区） *", "出访任务",
                   "出访时间（起） *", "在外天数", "团组成员名单", "邀请单位", "经费预算（元）"):  # fmt: skip
        assert needed in headers
    assert ws.freeze_panes == "A2"
    kinds = {v.type for v in ws.data_validations.dataValidation}
    assert {"date", "list", "whole"} <= kinds
    people = wb["人员"]
    ranks = next(v for v in people.data_validations.dataValidation if "D2" in str(v.sqref))
    assert ranks.type == "list" and "lists!" in ranks.formula1


def _data_rows(path: Path, sheet: str, rows: list[list]) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    for row in rows:
        ws.append(row)
    wb.save(path)


def _minimal(tmp: Path, lang: str = "en") -> Path:
    """A filled English form: settings, two units, three people, one request."""
    path = _template(tmp, lang)
    wb = load_workbook(path)
    header = {
        s.key: {str(c.value).removesuffix(" *"): c.column for c in wb[s.title(lang)][1]}
        for s in SHEETS
    }

    def put(sheet, values: dict) -> None:
        s = next(x for x in SHEETS if x.key == sheet)
        ws = wb[s.title(lang)]
        row = 2  # the template formats 500 rows, so max_row is no guide
        while ws.cell(row=row, column=1).value is not None:
            row += 1
        for c in s.columns:
            if c.field in values:
                ws.cell(row=row, column=header[sheet][c.header(lang)], value=values[c.field])

    put("settings", {"name": "t", "year": 2020, "policy": "changchun-2020"})
    put("units", {"id": "u1", "name": "Foreign Affairs Office"})
    put("units", {"id": "u2", "name": "Commerce Bureau"})
    put("people", {"id": "p1", "name": "Zhang San", "unit": "u1", "rank": "bureau_chief"})
    put("people", {"id": "p2", "name": "Li Si", "unit": "Commerce Bureau", "rank": "staff"})
    put("people", {"id": "p3", "name": "Wang Wu", "unit": "u1"})
    put(
        "requests",
        {
            "id": "R1",
            "unit": "Foreign Affairs Office",
            "head": "Zhang San (Director)",
            "members": "Wang Wu",
            "countries": "Germany, France",
            "days": "3, 2",
            "tasks": "Germany: talks with Essen\nFrance: visit a port",
            "window_start": dt.date(2020, 3, 1),
            "window_end": dt.date(2020, 3, 31),
            "cost": "120,000",
        },
    )
    wb.save(path)
    return path


def test_names_posts_and_country_names_are_read(tmp_path: Path) -> None:
    data = import_forms([_minimal(tmp_path)])
    (r,) = data["requests"]
    assert r["unit"] == "u1" and r["head"] == "p1" and r["members"] == ["p3"]
    assert [s["country"] for s in r["stops"]] == ["DE", "FR"]
    assert [s["days"] for s in r["stops"]] == [3, 2]
    assert r["stops"][0]["tasks"] == [{"text": "talks with Essen"}]
    assert r["cost"] == 120000
    assert data["people"][1]["unit"] == "u2"  # a unit named by its name


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("德国、法国", ["DE", "FR"]),
        ("Đức, Pháp", ["DE", "FR"]),
        ("DE,FR", ["DE", "FR"]),
        ("Germany; France", ["DE", "FR"]),
        ("日本，韩国", ["JP", "KR"]),
        ("Nhật Bản\nHàn Quốc", ["JP", "KR"]),
    ],
)
def test_country_lists_in_every_language(text: str, codes: list[str]) -> None:
    assert as_countries(text) == codes


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("2020-03-01", "en"),
        ("2020/3/1", "zh"),
        ("2020年3月1日", "zh"),
        ("2020.3.1", "vi"),
        ("01/03/2020", "vi"),
        ("1/3/2020", "en"),
        ("ngày 1 tháng 3 năm 2020", "vi"),
    ],
)
def test_local_date_forms(text: str, lang: str) -> None:
    assert as_date(text, lang) == dt.date(2020, 3, 1)


def _office_workbook(tmp: Path) -> Path:
    """The office's workbook: settings, units and people (English), no requests."""
    base = _minimal(tmp)
    wb = load_workbook(base)
    wb["Requests"].delete_rows(2, 10)
    wb.save(base)
    return base


#: one request from each of two units, as the rows of their CSV files: a Vietnamese form
#: and a Chinese one
VI_ROW = {"id": "V1", "unit": "u2", "head": "Li Si", "countries": "Đức", "days": "3",
          "window_start": "01/04/2020", "window_end": "30/04/2020", "mergeable": "không"}  # fmt: skip
ZH_ROW = {**VI_ROW, "id": "Z1", "countries": "法国", "window_start": "2020年5月1日",
          "window_end": "2020/5/31", "mergeable": "是"}  # fmt: skip


def _unit_csvs(tmp: Path, vi_encoding: str, zh_encoding: str) -> tuple[Path, Path]:
    """The two units' CSV files (``VI_ROW`` with Vietnamese headers, ``ZH_ROW`` with
    Chinese ones), each a header row and its request's row, in the encodings given."""
    paths = tmp / "requests.csv", tmp / "申报表.csv"
    for path, lang, record, encoding in zip(
        paths, ("vi", "zh"), (VI_ROW, ZH_ROW), (vi_encoding, zh_encoding), strict=True
    ):
        with path.open("w", newline="", encoding=encoding) as fh:
            w = csv.writer(fh)
            w.writerow([getattr(c, lang) for c in REQUESTS.columns])
            w.writerow([record.get(c.field, "") for c in REQUESTS.columns])
    return paths


def test_headers_in_any_language_and_csv_files_merge(tmp_path: Path) -> None:
    # The office's workbook holds settings, units and people (English); a unit sends its
    # requests as CSV with Vietnamese headers, another with Chinese headers.
    base = _office_workbook(tmp_path)
    vi, zh = _unit_csvs(tmp_path, "utf-8-sig", "utf-8-sig")
    data = import_forms([base, vi, zh])
    v1, z1 = data["requests"]
    assert v1["window"] == [dt.date(2020, 4, 1), dt.date(2020, 4, 30)]
    assert v1["mergeable"] is False and z1["mergeable"] is True
    assert z1["stops"] == [{"country": "FR", "days": 3}]
    out = tmp_path / "merged.yaml"
    write_imported(data, out)
    assert [r.id for r in load_scenario(out).scenario.requests] == ["V1", "Z1"]


def test_csv_files_as_excel_saves_them_on_chinese_windows(tmp_path: Path) -> None:
    # Excel's plain "CSV" on Chinese Windows is GBK; a file in UTF-16 with its byte-order
    # mark says so: both read. A file that is not UTF-8 and whose headers are English
    # says nothing of its code page (English reads the same in all of them): refused,
    # saying how to save it, rather than its cells read as the wrong letters.
    base = _office_workbook(tmp_path)
    vi, zh = _unit_csvs(tmp_path, "utf-16", "gbk")
    with pytest.raises(UnicodeDecodeError):  # not UTF-8 at all
        zh.read_bytes().decode("utf-8")
    data = import_forms([base, zh, vi])
    z1, v1 = data["requests"]
    assert z1["stops"] == [{"country": "FR", "days": 3}] and z1["mergeable"] is True
    assert v1["stops"] == [{"country": "DE", "days": 3}] and v1["mergeable"] is False
    english = tmp_path / "other.csv"
    english.write_bytes(",".join(c.en for c in REQUESTS.columns).encode() + b"\nX1,caf\xe9\n")
    output = " ".join(_error(tmp_path, [base, english]).split())
    assert f"{english.name}: cannot be read" in output and '"CSV UTF-8"' in output


def _error(tmp: Path, paths: list[Path], *extra: str) -> str:
    out = tmp / "out.yaml"
    result = runner.invoke(app, ["import", *map(str, paths), "--out", str(out), *extra])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing written
    return result.output


def _edit(path: Path, sheet: str, cell: str, value) -> Path:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)
    return path


# Requests sheet columns: A id, B unit, C title, D kind, E head, F members, G countries,
# H days, I days abroad, J tasks, K window from, L window to, ... (columns.REQUESTS)
@pytest.mark.parametrize(
    ("sheet", "cell", "value", "expected"),
    [
        ("Requests", "G2", "Germany, Atlantis", "sheet Requests, row 2, field column G (Countries): unknown country 'Atlantis'"),
        ("Requests", "K2", "31/02/2020", "sheet Requests, row 2, field column K (Window from): '31/02/2020' is not a date"),
        ("Requests", "E2", "Nobody", "sheet Requests, row 2, field column E (Head (name, post)): unknown person 'Nobody'"),
        ("Requests", "B2", "No Such Unit", "sheet Requests, row 2, field column B (Organising unit): unknown unit 'No Such Unit'"),
        ("Requests", "H2", "3", "sheet Requests, row 2, field column H (Days per country): 2 countries but 1 numbers of days"),
        ("Requests", "I2", 30, "column I (Days abroad): 30 days abroad, but the countries' days (5) and 2 travel days make 7"),
        ("Requests", "J2", "talks\nvisit\nmore", "column J (Tasks): with several countries, begin each task with its country"),
        ("Requests", "E2", None, "sheet Requests, row 2, field column E (Head (name, post)): required, but empty"),
        ("Requests", "W1", "Colour", "sheet Requests, row 1, field column W (Colour): unknown header"),
        ("Requests", "Q2", "a lot", "field column Q (Budget): 'a lot' is not a whole number"),
        ("People", "E2", "perhaps", "sheet People, row 2, field column E (Leader): 'perhaps' is not yes or no"),
        ("Requests", "L2", "2020-02-01", "sheet Requests, row 2, field window: reversed range"),
        ("Settings", "C2", "no-such-policy", "sheet Settings, row 2, field policy: unknown policy 'no-such-policy'"),
    ],
)  # fmt: skip
def test_every_import_error_is_located(
    tmp_path: Path, sheet: str, cell: str, value, expected: str
) -> None:
    path = _edit(_minimal(tmp_path), sheet, cell, value)
    output = " ".join(_error(tmp_path, [path]).split())
    assert str(path) in output
    assert expected in output


def test_missing_required_header_and_unknown_sheet(tmp_path: Path) -> None:
    path = _minimal(tmp_path)
    wb = load_workbook(path)
    wb["Requests"].delete_cols(7)  # Countries
    wb.create_sheet("Notes")["A1"] = "remember"
    wb.save(path)
    output = " ".join(_error(tmp_path, [path]).split())
    assert "sheet Requests, row 1, field Countries: missing required column 'Countries'" in output
    assert "sheet Notes: unknown sheet" in output


def test_same_request_twice_across_files(tmp_path: Path) -> None:
    a = _minimal(tmp_path)
    b = tmp_path / "b.xlsx"
    b.write_bytes(a.read_bytes())
    output = " ".join(_error(tmp_path, [a, b]).split())
    assert (
        f"{b}: sheet Requests, row 2, field column A (Request ID): 'R1' is also in {a}, sheet Requests, row 2"
        in output
    )


def test_conflicting_settings_and_no_settings(tmp_path: Path) -> None:
    a = _minimal(tmp_path)
    b = tmp_path / "other.xlsx"
    wb = load_workbook(a)
    wb["Requests"].delete_rows(2, 10)
    wb["Settings"]["B2"] = 2021
    wb.save(b)
    assert "2021, but" in " ".join(_error(tmp_path, [a, b]).split())
    bare = tmp_path / "bare.xlsx"
    wb = load_workbook(a)
    del wb["Settings"]
    wb.save(bare)
    assert "no year: fill it in on the settings sheet or give --year" in _error(tmp_path, [bare])
    out = tmp_path / "ok.yaml"
    result = runner.invoke(
        app,
        ["import", str(bare), "--out", str(out), "--year", "2020", "--policy", "changchun-2020"],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_broken_workbook_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    assert f"{path}: not a readable workbook" in " ".join(_error(tmp_path, [path]).split())


def test_missing_file_and_wrong_suffix(tmp_path: Path) -> None:
    (tmp_path / "form.txt").write_text("x")
    output = _error(tmp_path, [tmp_path / "nope.xlsx", tmp_path / "form.txt"])
    assert "nope.xlsx: no such file" in output and "form.txt: not a workbook" in output


def test_import_never_touches_its_inputs(tmp_path: Path) -> None:
    path = _minimal(tmp_path)
    before = path.read_bytes()
    runner.invoke(app, ["import", str(path), "--out", str(tmp_path / "s.yaml")])
    assert path.read_bytes() == before


def test_itinerary_rows_for_an_unknown_request(tmp_path: Path) -> None:
    path = _minimal(tmp_path)
    wb = load_workbook(path)
    wb["Itinerary"].append(["R9", "Japan", None, 3])
    wb.save(path)
    output = " ".join(_error(tmp_path, [path]).split())
    assert (
        "sheet Itinerary, row 2, field column A (Request ID): no request 'R9' on the requests sheet"
        in output
    )


def test_an_empty_workbook_imports_nothing_silently(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)  # one sheet named "Sheet": not a form sheet
    assert "sheet Sheet: unknown sheet" in " ".join(_error(tmp_path, [path]).split())


def test_import_error_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    path = _edit(_minimal(tmp_path), "Requests", "K2", "soon")
    with pytest.raises(InputError):
        import_forms([path])


def test_template_languages(tmp_path: Path) -> None:
    for lang, sheet, header in (("en", "Requests", "Countries *"), ("vi", "Đăng ký", "Nước đến *")):
        wb = load_workbook(_template(tmp_path, lang))
        assert header in [c.value for c in wb[sheet][1]]
    assert template_bytes("zh")[:2] == b"PK"
