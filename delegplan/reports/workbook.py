"""``calendar.xlsx``: the approved calendar as a workbook leaders and units can print.

Sheets: the approved delegations in date order, for a what-if re-plan what changed
against the approved plan, every decision with its reasons and articles, the composite
delegations with their savings, and a summary. Headers are frozen and repeat on every
printed page, dates are real date cells, column widths fit their contents, and pages are
landscape, one page wide.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from delegplan.reports.view import View

_HEAD = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_MAX_WIDTH = 60


def _width(value: Any) -> int:
    text = str(value) if value is not None else ""
    longest = max((len(line) for line in text.splitlines()), default=0)
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)  # CJK characters print two wide
    return longest + min(wide, longest)


def _sheet(wb: Workbook, title: str, headers: Sequence[str], rows: list[list[Any]]) -> Worksheet:
    ws = wb.create_sheet(title[:31])
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append(row)
    widths = [_width(h) for h in headers]
    for row in ws.iter_rows(min_row=2):
        for k, cell in enumerate(row):
            widths[k] = max(widths[k], _width(cell.value))
            if hasattr(cell.value, "year"):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = _WRAP
    for k, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(k)].width = min(max(width + 2, 8), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if rows:
        ws.auto_filter.ref = ws.dimensions
    return ws


def workbook_bytes(view: View) -> bytes:
    """calendar.xlsx for the view, as bytes."""
    L = view.label
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(
        wb,
        L("Approved delegations"),
        [L("Delegation"), L("Requests"), L("Unit"), L("Title"), L("Head"), L("Members"),
         L("Countries"), L("Start"), L("End"), L("Days"), L("People"), L("Cost")],
        [[d.id, d.requests, d.units, d.title, d.head, d.members, d.countries, d.start, d.end,
          d.days, d.people, d.cost] for d in view.delegations],
    )  # fmt: skip
    if view.changes:  # a what-if re-plan: what changed, beside the new calendar
        _sheet(
            wb,
            L("Changes"),  # a sheet's name holds 31 characters: the heading's would not fit
            [L("Request"), L("Field"), L("Before"), L("After")],
            [[c.request, c.field, c.before, c.after] for c in view.changes],
        )
    decisions = []
    for d in view.decisions:
        reasons = "\n".join(f"{r.rule} [{r.citation}] {r.message}" for r in d.reasons)
        articles = "\n".join(dict.fromkeys(r.citation for r in d.reasons))
        rivals = "\n".join(r.rivals for r in d.reasons if r.rivals)
        decisions.append(
            [d.request, d.unit, d.title, d.status, d.delegation, reasons, articles, rivals,
             "\n".join(d.repairs)]
        )  # fmt: skip
    _sheet(
        wb,
        L("Decisions"),
        [L("Request"), L("Unit"), L("Title"), L("Status"), L("Delegation"), L("Reasons"),
         L("Article"), L("Rivals"), L("Repairs")],
        decisions,
    )  # fmt: skip
    _sheet(
        wb,
        L("Composite delegations"),
        [L("Delegation"), L("Requests"), L("Unit"), L("Countries"), L("Start"), L("End"),
         L("Delegations saved"), L("Leader-trips saved"), L("Travel days saved"),
         L("Cost saved (estimate)")],
        [[c["row"].id, c["row"].requests, c["row"].units, c["row"].countries, c["row"].start,
          c["row"].end, c["delegations"], c["leader_trips"], c["travel_days"], c["cost"]]
         for c in view.composites],
    )  # fmt: skip
    summary: list[list[Any]] = [[k, v] for k, v in view.figures]
    summary += [[L("Scenario"), view.scenario], [L("Policy"), view.policy], [L("Year"), view.year]]
    summary += [[""], [L("Rejected by rule"), ""]]
    summary += [
        [f"{rule} {title} [{citation}]", n] for rule, title, citation, n in view.rejected_by_rule
    ]
    ws = _sheet(wb, L("Summary"), [L("Summary"), ""], summary)
    ws.auto_filter.ref = None
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


__all__ = ["workbook_bytes"]
