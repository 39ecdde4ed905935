"""``delegplan template``: the declaration-form workbook a unit fills in.

One sheet per part of a scenario (``columns.SHEETS``), headers in the chosen language,
required headers marked ``*``, a note on each header saying what to write, frozen header
rows, and drop-down lists (data validation) for units, ranks, countries, kinds, yes/no and
rules. The lists live on a hidden sheet ``lists`` that the importer knows to skip; dates
are validated as dates.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from delegplan.forms.columns import SHEETS, Column, Sheet
from models.catalogue import rule_catalogue
from models.policy import BUILTIN_PROFILES, builtin_policy

LISTS_SHEET = "lists"
ROWS = 500  # rows of each sheet that get drop-downs and date checks
_HEAD = PatternFill("solid", fgColor="DDEBF7")
_HINTS = {
    "zh": {
        "date": "日期，如 2020-03-01",
        "int": "整数",
        "bool": "是 / 否",
        "countries": "一个或多个国家，用顿号分隔，如 德国、法国",
        "list": "用顿号分隔，如 3、2",
        "person": "人员编号或姓名",
        "people": "人员编号或姓名，用顿号分隔",
        "lines": "每行一项任务；多国时写 国家：任务",
        "text": "文字",
        "required": "必填",
    },
    "en": {
        "date": "a date, e.g. 2020-03-01",
        "int": "a whole number",
        "bool": "yes / no",
        "countries": "one or more countries, comma-separated, e.g. Germany, France",
        "list": "comma-separated, e.g. 3, 2",
        "person": "a person's ID or name",
        "people": "people's IDs or names, comma-separated",
        "lines": "one task a line; with several countries write Country: task",
        "text": "text",
        "required": "required",
    },
    "vi": {
        "date": "ngày, ví dụ 01/03/2020",
        "int": "số nguyên",
        "bool": "có / không",
        "countries": "một hoặc nhiều nước, cách nhau bởi dấu phẩy, ví dụ Đức, Pháp",
        "list": "cách nhau bởi dấu phẩy, ví dụ 3, 2",
        "person": "mã hoặc họ tên cán bộ",
        "people": "mã hoặc họ tên cán bộ, cách nhau bởi dấu phẩy",
        "lines": "mỗi dòng một nhiệm vụ; nhiều nước thì ghi Nước: nhiệm vụ",
        "text": "văn bản",
        "required": "bắt buộc",
    },
}
_YES_NO = {"zh": ["是", "否"], "en": ["yes", "no"], "vi": ["có", "không"]}


def _lists(lang: str) -> dict[str, list[str]]:
    from babel import Locale

    from models.geography import country_codes

    names = Locale.parse(lang).territories
    ranks: set[str] = set()
    for profile in BUILTIN_PROFILES:
        ranks |= builtin_policy(profile).quota_ranks()
    return {
        "countries": sorted({names.get(code, code) for code in country_codes()}),
        "ranks": sorted(ranks | {"staff"}),
        "kinds": ["self", "composite", "training"],
        "levels": [
            "municipal", "district", "province", "enterprise", "university", "organisation",
        ],
        "invitations": [
            "government", "university", "institution", "enterprise", "intermediary",
            "chinese_enterprise_abroad", "foreign_agency_in_china", "overseas_chinese", "none",
        ],
        "priorities": ["1", "2", "3", "4", "5"],
        "yesno": _YES_NO[lang],
        "rules": list(rule_catalogue()),
        "policies": list(BUILTIN_PROFILES),
    }  # fmt: skip


def _write_lists(wb: Workbook, lists: dict[str, list[str]]) -> dict[str, str]:
    """The hidden sheet of drop-down lists; returns list name -> its cell range."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    ranges = {}
    for k, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(k)
        ws.cell(row=1, column=k, value=name)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=k, value=value)
        ranges[name] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _validation(column: Column, ranges: dict[str, str], units: str) -> DataValidation | None:
    if column.kind == "date":
        return DataValidation(type="date", operator="greaterThan", formula1="1")
    if column.kind == "int":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    if column.choices == "units":
        # units are the ids typed on the units sheet; a name is accepted too, so warn only
        return DataValidation(type="list", formula1=units, errorStyle="information")
    if column.choices:
        strict = column.choices in ("yesno", "priorities", "kinds", "invitations", "levels")
        return DataValidation(
            type="list",
            formula1=ranges[column.choices],
            errorStyle="stop" if strict else "information",
        )
    return None


def _write_sheet(wb: Workbook, sheet: Sheet, lang: str, ranges: dict[str, str], units: str):
    ws = wb.create_sheet(sheet.title(lang))
    hints = _HINTS[lang]
    for k, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(
            row=1, column=k, value=column.header(lang) + (" *" if column.required else "")
        )
        cell.font = Font(bold=True)
        cell.fill = _HEAD
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        hint = hints[column.kind] + (f" ({hints['required']})" if column.required else "")
        cell.comment = Comment(hint, "delegplan")
        letter = get_column_letter(k)
        ws.column_dimensions[letter].width = max(column.width, len(column.header(lang)) + 4)
        check = _validation(column, ranges, units)
        if check is not None:
            check.add(f"{letter}2:{letter}{ROWS}")
            ws.add_data_validation(check)
        if column.kind == "date":
            for row in range(2, ROWS + 1):
                ws.cell(row=row, column=k).number_format = "yyyy-mm-dd"
        if column.kind == "lines":
            for row in range(2, ROWS + 1):
                ws.cell(row=row, column=k).alignment = Alignment(wrap_text=True)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def template_bytes(lang: str = "zh", sheets: Sequence[Sheet] = SHEETS) -> bytes:
    """The declaration-form workbook in ``lang`` (zh, en or vi), as .xlsx bytes."""
    from delegplan.forms.columns import UNITS

    wb = Workbook()
    wb.remove(wb.active)
    ranges = _write_lists(wb, _lists(lang))
    units = f"'{UNITS.title(lang)}'!$A$2:$A${ROWS}"
    for sheet in sheets:
        _write_sheet(wb, sheet, lang, ranges, units)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    wb.active = 1  # the requests sheet (after settings)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


__all__ = ["LISTS_SHEET", "template_bytes"]
