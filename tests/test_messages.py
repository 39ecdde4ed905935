"""Every message template in the code has a Chinese and a Vietnamese translation.

Templates are found the way a translator's tool finds them: babel's extractor reads every
``T("...")`` call of the source. A translation must keep exactly the template's fields.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from models.text import Place, Region, T, catalogue, clauses, render_all

ROOT = Path(__file__).resolve().parent.parent


def _templates() -> set[str]:
    found = set()
    for package in ("models", "solver", "delegplan"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords={"T": None}, comment_tags=()
        ):
            found.add(message)
    return found


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


TEMPLATES = sorted(_templates())


def test_the_code_has_templates():
    assert len(TEMPLATES) >= 60


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_every_template_is_translated_with_the_same_fields(lang):
    cat = catalogue(lang)
    assert cat is not None
    missing, wrong = [], []
    for template in TEMPLATES:
        message = cat.get(template)
        if message is None or not message.string:
            missing.append(template)
        elif _fields(str(message.string)) != _fields(template):
            wrong.append(template)
    assert missing == [] and wrong == []


def test_rendering_puts_facts_in_each_language():
    text = T(
        "{n} countries ({countries}); at most {max} a trip",
        n=4,
        countries=[Place("DE"), Place("FR")],
        max=3,
    )
    out = render_all(text, ("vi", "en"))
    assert out["message"] == "4 countries (Germany (DE), France (FR)); at most 3 a trip"
    assert out["message_zh"] == "出访4个国家（德国、法国）；每次最多3个"
    assert out["message_vi"] == "4 nước (Đức, Pháp); mỗi chuyến tối đa 3 nước"
    assert render_all(text, ("zh", "en"))["message_vi"] is None


def test_regions_come_from_cldr_and_clauses_join_locally():
    region = T("{continent}: {countries}", continent=Region("Africa"), countries=[Place("KE")])
    assert region.render("zh") == "非洲：肯尼亚"
    both = clauses([T("{count} a year", count=1), T("{count} a term", count=2)])
    assert both.render("zh") == "每年1次；每个任期2次"
    assert both.render("en") == "1 a year; 2 a term"
