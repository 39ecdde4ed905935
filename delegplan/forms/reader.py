"""``delegplan import``: filled-in declaration forms (.xlsx or .csv) into one scenario.

Each file is read sheet by sheet (a CSV file is the sheet its name says, ``人员.csv`` or
``people.csv``, else the requests sheet). Headers may be in Chinese, English or
Vietnamese (``columns.py``); the form's language is the one most of its headers are in,
and decides how an ambiguous date like ``01/03/2020`` is read (``cells.py``). Every
problem names the file, the sheet, the row and the column, and nothing is dropped
silently: an unknown sheet or header is an error, not ignored. Several files merge into
one scenario: units, people and catalogue items may repeat if they agree; a request id
may not repeat; the settings must agree.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from delegplan.forms import cells
from delegplan.forms.columns import (
    LANGS,
    REQUESTS,
    SHEETS,
    Column,
    Sheet,
    column_for,
    fold,
    sheet_for,
)
from delegplan.forms.template import LISTS_SHEET
from models.errors import Problem

DEFAULT_TRAVEL_DAYS = 2
#: the code pages a CSV file that is not UTF-8 may be in (``csv_text``): what Excel's plain
#: "CSV" saves on Chinese Windows (GBK, a part of GB18030) and on Vietnamese Windows
LEGACY_CSV = ("gb18030", "cp1258")


@dataclass(frozen=True)
class Where:
    file: str
    sheet: str
    row: int

    def record(self) -> str:
        return f"sheet {self.sheet}, row {self.row}"


@dataclass
class Row:
    where: Where
    values: dict[str, Any]  # field -> parsed value (blank cells left out)
    letters: dict[str, str]  # field -> "D (出访国家（地区）)", to name a column in a problem


@dataclass
class Forms:
    """Everything read from the files, by sheet key, before it is put together."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    problems: list[Problem] = field(default_factory=list)
    #: "request R-1", "person li" ... -> the row it came from, to place a later problem
    origins: dict[str, Where] = field(default_factory=dict)

    def problem(self, row: Row | Where, fld: str, message: str) -> None:
        where = row.where if isinstance(row, Row) else row
        column = row.letters.get(fld, fld) if isinstance(row, Row) else fld
        self.problems.append(Problem(where.file, where.record(), column, message))


def _table(path: Path) -> list[tuple[str, Sheet | None, list[tuple[Any, ...]]]]:
    """(title, the sheet it stands for, rows of cell values) for each sheet of a file."""
    if path.suffix.lower() == ".csv":
        sheet = sheet_for(path.stem) or REQUESTS
        rows = [tuple(r) for r in csv.reader(io.StringIO(csv_text(path.read_bytes(), sheet)))]
        return [(path.stem, sheet, rows)]
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return [
            (ws.title, sheet_for(ws.title), [tuple(r) for r in ws.iter_rows(values_only=True)])
            for ws in wb.worksheets
            if ws.title != LISTS_SHEET
        ]
    finally:
        wb.close()


def csv_text(raw: bytes, sheet: Sheet) -> str:
    """A CSV file's text: UTF-8 (Excel's "CSV UTF-8"), UTF-16 with its byte-order mark, or
    the legacy code page Excel's plain "CSV" saves on Chinese (GBK, read as GB18030) or
    Vietnamese (cp1258) Windows.

    A legacy code page is taken only when a header with letters outside ASCII reads, in
    it, as one of the sheet's own headers: English headers read the same in every code
    page, and the cells below them would then be read as whatever the first one makes of
    them, wrong without a word. Otherwise the file is refused with how to save it again.
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in LEGACY_CSV:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        headers = next(csv.reader(io.StringIO(text)), [])
        if any(not h.isascii() and column_for(sheet, h) is not None for h in headers):
            return text
    raise ValueError(
        "is neither UTF-8 text nor a CSV file in GBK or cp1258 with Chinese or Vietnamese "
        'headers: save it from Excel as "CSV UTF-8"'
    )


def _language(headers: list[str], sheet: Sheet) -> str:
    votes: Counter[str] = Counter()
    for header in headers:
        for column in sheet.columns:
            for lang in LANGS:
                if fold(header) == fold(column.header(lang)):
                    votes[lang] += 1
    return votes.most_common(1)[0][0] if votes else "en"


def _parse(column: Column, value: Any, lang: str) -> Any:
    if column.kind == "int":
        return cells.as_int(value)
    if column.kind == "date":
        return cells.as_date(value, lang)
    if column.kind == "bool":
        return cells.as_bool(value)
    if column.kind == "countries":
        return cells.as_countries(value)
    if column.kind in ("list", "people"):
        return cells.as_list(value)
    if column.kind == "lines":
        return cells.as_lines(value)
    if column.kind == "person":
        return cells.person_name(value)
    return cells.as_text(value)


def read_sheet(
    forms: Forms, file: str, title: str, sheet: Sheet | None, rows: list[tuple[Any, ...]]
) -> None:
    if sheet is None:
        forms.problems.append(
            Problem(
                file,
                f"sheet {title}",
                "",
                "unknown sheet (use the sheets of `delegplan template`: "
                + ", ".join(f"{s.zh}/{s.en}/{s.vi}" for s in SHEETS)
                + ")",
            )
        )
        return
    if not rows or all(cells.blank(v) for v in rows[0]):
        if any(not cells.blank(v) for r in rows for v in r):
            forms.problems.append(
                Problem(file, f"sheet {title}, row 1", "", "the first row must hold the headers")
            )
        return
    headers = ["" if cells.blank(v) else cells.as_text(v) for v in rows[0]]
    lang = _language(headers, sheet)
    columns: dict[int, Column] = {}
    letters: dict[str, str] = {}
    for k, header in enumerate(headers):
        if not header:
            if any(len(r) > k and not cells.blank(r[k]) for r in rows[1:]):
                where = f"column {get_column_letter(k + 1)}"
                forms.problems.append(
                    Problem(file, f"sheet {title}, row 1", where, "a column with no header")
                )
            continue
        column = column_for(sheet, header)
        where = f"column {get_column_letter(k + 1)} ({header.removesuffix('*').strip()})"
        if column is None:
            known = ", ".join(c.header(lang) for c in sheet.columns)
            forms.problems.append(
                Problem(file, f"sheet {title}, row 1", where, f"unknown header (known: {known})")
            )
        elif column.field in letters:
            forms.problems.append(
                Problem(
                    file,
                    f"sheet {title}, row 1",
                    where,
                    f"the same column as {letters[column.field]}",
                )
            )
        else:
            columns[k] = column
            letters[column.field] = where
    for column in sheet.columns:
        if column.required and column.field not in letters:
            forms.problems.append(
                Problem(
                    file,
                    f"sheet {title}, row 1",
                    column.header(lang),
                    f"missing required column {column.header(lang)!r} ({column.field})",
                )
            )
    for number, raw in enumerate(rows[1:], start=2):
        if all(cells.blank(v) for v in raw):
            continue
        row = Row(Where(file, title, number), {}, letters)
        for k, column in columns.items():
            value = raw[k] if k < len(raw) else None
            if cells.blank(value):
                if column.required:
                    forms.problem(row, column.field, "required, but empty")
                continue
            try:
                row.values[column.field] = _parse(column, value, lang)
            except ValueError as exc:
                forms.problem(row, column.field, str(exc))
        forms.rows[sheet.key].append(row)


def read_forms(paths: list[Path]) -> Forms:
    forms = Forms()
    for path in paths:
        file = str(path)
        if not path.is_file():
            forms.problems.append(Problem(file, "", "", "no such file"))
            continue
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".csv"):
            forms.problems.append(Problem(file, "", "", "not a workbook: use .xlsx or .csv"))
            continue
        try:
            tables = _table(path)
        except (OSError, ValueError, KeyError, UnicodeDecodeError, csv.Error) as exc:
            forms.problems.append(Problem(file, "", "", f"cannot be read: {exc}"))
            continue
        except Exception as exc:  # openpyxl raises zipfile and XML errors on a broken file
            forms.problems.append(Problem(file, "", "", f"not a readable workbook: {exc}"))
            continue
        for title, sheet, rows in tables:
            read_sheet(forms, file, title, sheet, rows)
    return forms


__all__ = ["Forms", "Row", "Where", "read_forms"]
