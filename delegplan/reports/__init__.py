"""What ``solve`` and ``whatif`` write beside ``plan.json``: calendar.xlsx, .ics, report.html.

All three are rendered in memory from one view of the plan (``view.py``) before any is
written, so a failure writes none of them (``models.files.write_all``).
"""

from __future__ import annotations

from pathlib import Path

from models.plan import Plan
from models.scenario import Scenario

OUTPUTS = ("calendar.xlsx", "calendar.ics", "report.html")


def render_outputs(s: Scenario, plan: Plan, out_dir: Path, lang: str) -> dict[Path, str | bytes]:
    """The three files for ``out_dir``, rendered (not written)."""
    from delegplan.reports.html import html_text
    from delegplan.reports.ics import ics_bytes
    from delegplan.reports.view import build_view
    from delegplan.reports.workbook import workbook_bytes

    view = build_view(s, plan, lang)
    return {
        out_dir / "calendar.xlsx": workbook_bytes(view),
        out_dir / "calendar.ics": ics_bytes(view),
        out_dir / "report.html": html_text(view),
    }


__all__ = ["OUTPUTS", "render_outputs"]
