"""Countries: names to ISO codes, continents and UN sub-regions.

Nothing here is hand-typed. Names in English, Chinese and Vietnamese come from the
Unicode CLDR territory names shipped with ``babel``; continents and UN M49 sub-regions
come from ``country_converter`` (coco). GEO-ONE-CONTINENT (RULES.md) reads the M49
regions with the Americas split into South America and the rest, which is what coco's
``continent`` column plus its ``UNregion`` column give: Russia is in Europe, Turkey,
Cyprus and the Caucasus in Asia, Egypt in Africa.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

SOUTH_AMERICA = "South America"
NORTH_AMERICA = "North America"
#: The continents of GEO-ONE-CONTINENT, in a stable order for reports.
CONTINENTS = ("Africa", NORTH_AMERICA, SOUTH_AMERICA, "Asia", "Europe", "Oceania")
_NAME_LOCALES = ("en", "zh", "zh_Hant", "vi")


@dataclass(frozen=True)
class Country:
    """One country or territory as the rules see it."""

    code: str  # ISO 3166-1 alpha-2
    name: str  # English short name
    continent: str  # one of CONTINENTS
    subregion: str  # UN M49 sub-region, e.g. "Western Europe"


def _fold(text: str) -> str:
    """Normalise a name for lookup: case, accents, spaces and punctuation do not count."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"[\s\.\-_'’()（）,，]", "", text)


@cache
def _countries() -> dict[str, Country]:
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    table = coco.CountryConverter().data
    out: dict[str, Country] = {}
    for row in table.itertuples(index=False):
        # a few ISO2 cells are regexes of aliases, e.g. "^GB$|^UK$": the first is the code
        code = re.sub(r"[\^$]", "", str(row.ISO2)).split("|")[0]
        raw_continent = str(row.continent)
        subregion = str(row.UNregion)
        if len(code) != 2 or raw_continent in ("", "nan", "Antarctica"):
            continue
        if raw_continent == "America":
            continent = SOUTH_AMERICA if subregion == SOUTH_AMERICA else NORTH_AMERICA
        else:
            continent = raw_continent
        out[code] = Country(code, str(row.name_short), continent, subregion)
    return out


@cache
def _name_index() -> dict[str, str]:
    from babel import Locale

    index: dict[str, str] = {}
    known = _countries()
    for loc in _NAME_LOCALES:
        for code, name in Locale.parse(loc).territories.items():
            if code in known:
                index.setdefault(_fold(name), code)
    for code, country in known.items():
        index.setdefault(_fold(country.name), code)
    return index


def resolve_country(text: str) -> str | None:
    """ISO alpha-2 code for a code or a name in English, Chinese or Vietnamese; None if unknown."""
    stripped = text.strip()
    known = _countries()
    if len(stripped) == 2 and stripped.upper() in known:
        return stripped.upper()
    code = _name_index().get(_fold(stripped))
    if code:
        return code
    import country_converter as coco

    found = coco.convert(stripped, to="ISO2", not_found=None)
    if isinstance(found, str) and found in known:
        return found
    return None


def country_codes() -> tuple[str, ...]:
    """Every country and territory the rules know, by ISO code (for drop-down lists)."""
    return tuple(sorted(_countries()))


def country(code: str) -> Country:
    """The country for an ISO code already resolved by :func:`resolve_country`."""
    return _countries()[code]


def country_name(code: str, lang: str = "en") -> str:
    """The country's name in a language (en, zh, vi), from CLDR."""
    from babel import Locale

    return Locale.parse(lang).territories.get(code, code)
