"""``report.html``: one self-contained page for people on an offline government network.

Everything is inside the file: the style sheet, and the timeline as inline SVG drawn
here (no script, no font, no CDN). It shows the headline figures, for a what-if re-plan
what changed against the approved plan, a timeline of the year
with one row per country and one per leader (each bar a stay abroad, so two groups in one
country at once would overlap on its row), the per-unit and per-continent tables, every
rejection with its reasons, articles and repairs, the composite delegations, the soft
costs, and a print style sheet. The page is laid out by ``templates/report.html.j2``
(Jinja2, autoescaped).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape

from delegplan.reports.view import Stay, TimelineRow, View

WIDTH = 1000  # px for the whole year
ROW = 18
LABEL = 150
HTML_LANG = {"zh": "zh-CN", "en": "en", "vi": "vi"}
_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    colour: str
    stay: Stay


@dataclass(frozen=True)
class Lane:
    label: str
    y: int
    bars: tuple[Bar, ...]


def _lanes(rows: list[TimelineRow], year: int, colours: dict[str, str]) -> list[Lane]:
    first = dt.date(year, 1, 1)
    days = (dt.date(year, 12, 31) - first).days + 1
    scale = WIDTH / days
    lanes = []
    for k, row in enumerate(rows):
        bars = tuple(
            Bar(
                x=round(LABEL + (s.start - first).days * scale, 2),
                width=round(max(((s.end - s.start).days + 1) * scale, 1.5), 2),
                colour=colours[s.delegation],
                stay=s,
            )
            for s in row.bars
        )
        lanes.append(Lane(row.label, k * ROW, bars))
    return lanes


def _months(year: int) -> list[tuple[float, str]]:
    first = dt.date(year, 1, 1)
    days = (dt.date(year, 12, 31) - first).days + 1
    return [
        (round(LABEL + (dt.date(year, m, 1) - first).days * WIDTH / days, 2), str(m))
        for m in range(1, 13)
    ]


def html_text(view: View) -> str:
    env = Environment(
        loader=PackageLoader("delegplan.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    colours = {d.id: _PALETTE[k % len(_PALETTE)] for k, d in enumerate(view.delegations)}
    return env.get_template("report.html.j2").render(
        v=view,
        L=view.label,
        html_lang=HTML_LANG.get(view.lang, view.lang),
        countries=_lanes(view.countries, view.year, colours),
        leaders=_lanes(view.leaders, view.year, colours),
        months=_months(view.year),
        width=WIDTH + LABEL + 10,
        row=ROW,
        label_width=LABEL,
        rejected=[d for d in view.decisions if not d.approved],
    )


__all__ = ["html_text"]
