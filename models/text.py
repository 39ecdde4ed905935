"""Messages a planner reads, in English, Chinese and Vietnamese.

A message is a :class:`Text`: an English template with named fields and the facts to put
in them, e.g. ``T("{person} travels with {rival}", person="li", rival="R-007")``. It is
rendered when a reason is written, once per language the plan needs, so the facts are
never translated by hand and never drift apart between languages.

Translations are standard gettext catalogues (``models/locale/<lang>/messages.po``) whose
``msgid`` is the English template; translators can use any PO editor. They are read with
babel (already used for country names), so no compile step is needed. A template missing
from a catalogue falls back to English; ``tests/test_messages.py`` extracts every ``T(...)``
template from the code (babel's extractor) and fails if one is untranslated.

Field values may be plain strings and numbers, dates, nested :class:`Text`, a
:class:`Place` (a country code, shown by its local name), a :class:`Region` (a continent
or UN sub-region, named by CLDR) or a list of any of these (joined
the local way: "、" in Chinese).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = ("en", "zh", "vi")
_JOIN = {"en": ", ", "zh": "、", "vi": ", "}


@dataclass(frozen=True)
class Place:
    """A country code, rendered as its name in the reader's language."""

    code: str

    def render(self, lang: str) -> str:
        from models.geography import country_name

        if lang == "en":
            return f"{country_name(self.code, 'en')} ({self.code})"
        return country_name(self.code, lang)


#: UN M49 names coco uses that CLDR spells differently
_M49_ALIASES = {
    "South-eastern Asia": "035",
    "Australia and New Zealand": "053",
    "Micronesia": "057",
}


@dataclass(frozen=True)
class Region:
    """A continent or UN sub-region by its English name, rendered from CLDR's M49 names."""

    name: str

    def render(self, lang: str) -> str:
        code = _M49_ALIASES.get(self.name) or _m49_codes().get(self.name)
        if code is None or lang == "en":
            return self.name
        from babel import Locale

        return str(Locale.parse(lang).territories.get(code, self.name))


@cache
def _m49_codes() -> dict[str, str]:
    from babel import Locale

    return {name: code for code, name in Locale.parse("en").territories.items() if code.isdigit()}


@dataclass(frozen=True)
class Text:
    """A message template and its facts; ``str(text)`` is the English rendering."""

    template: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "en") -> str:
        template = self.template if lang == "en" else translate(self.template, lang)
        values = {k: _render_value(v, lang) for k, v in self.args.items()}
        return template.format(**values)

    def __str__(self) -> str:
        return self.render("en")


def join(items: Sequence[str], lang: str) -> str:
    """Items joined the reader's way: "、" in Chinese, ", " otherwise."""
    return _JOIN[lang].join(items)


def T(template: str, **args: Any) -> Text:
    """Mark a message template for translation and bind its facts."""
    return Text(template, args)


class Clauses(tuple):
    """Several statements in one message, joined by semicolons (the Chinese one in Chinese)."""


def clauses(items: Sequence[Text]) -> Text:
    """One message made of several statements (e.g. the facts of one rule)."""
    items = list(items)
    if len(items) == 1:
        return items[0]
    return Text("{items}", {"items": Clauses(items)})


def _render_value(value: Any, lang: str) -> str:
    if isinstance(value, Text | Place | Region):
        return value.render(lang)
    if isinstance(value, Clauses):
        return ("；" if lang == "zh" else "; ").join(_render_value(v, lang) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Sequence) and not isinstance(value, str):
        return join([_render_value(v, lang) for v in value], lang)
    return str(value)


@cache
def catalogue(lang: str) -> Catalog | None:
    """The translation catalogue of a language (None for English, the source language)."""
    if lang == "en":
        return None
    path = resources.files("models").joinpath(f"locale/{lang}/messages.po")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def translate(template: str, lang: str) -> str:
    """The template in ``lang``, or the English one when no translation exists."""
    cat = catalogue(lang)
    if cat is None:
        return template
    message = cat.get(template)
    if message is None or not message.string:
        return template
    return str(message.string)


def render_all(text: Text, languages: Sequence[str]) -> dict[str, str | None]:
    """The ``message``/``message_zh``/``message_vi`` fields of a reason or a cost.

    English and Chinese are always written (INTERFACE.md §2); Vietnamese when the policy
    lists it among its languages.
    """
    return {
        "message": text.render("en"),
        "message_zh": text.render("zh"),
        "message_vi": text.render("vi") if "vi" in languages else None,
    }
