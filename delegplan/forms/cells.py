"""Reading one cell of a filled-in form: dates, numbers, yes/no, lists, countries, people.

Clerks write dates as the spreadsheet's own date cells, or as text in the local way:
``2020-03-01``, ``2020/3/1``, ``2020年3月1日``, ``01/03/2020`` (day first, as in Vietnam and
most of the world), ``ngày 1 tháng 3 năm 2020``. A year written first is read year, month,
day; otherwise the order is the form's language's (babel's CLDR patterns: ``zh`` y/M/d,
``vi`` d/M/y, and English as ``en_GB``, day first). Lists are split on the separators
of all three languages: ``德国、法国``, ``Đức, Pháp``, ``DE,FR``, ``DE; FR`` or one per line.
A bad cell raises ``ValueError`` with what is wrong; the reader adds where it is.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from babel.dates import parse_date

from models.geography import resolve_country

_SPLIT = re.compile(r"\s*[、,，;；\n]\s*")
_YEAR_FIRST = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_LOCALE = {"zh": "zh", "vi": "vi", "en": "en_GB"}
_YES = {"是", "有", "y", "yes", "true", "1", "x", "✓", "√", "có", "co", "đúng"}
_NO = {"否", "无", "n", "no", "false", "0", "không", "khong", "sai"}


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = re.sub(r"[,，\s元đ₫¥]|天|ngày", "", str(value))
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{value!r} is not a whole number")
    return int(text)


def as_date(value: Any, lang: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    found = _YEAR_FIRST.match(text)
    try:
        if found:
            year, month, day = (int(g) for g in found.groups())
            return dt.date(year, month, day)
        if not re.search(r"\d{1,2}\D+\d{1,2}\D+\d{4}", text):
            raise ValueError
        return parse_date(text, locale=_LOCALE.get(lang, "en_GB"))
    except (ValueError, IndexError, OverflowError):
        raise ValueError(
            f"{text!r} is not a date (write 2020-03-01, 2020/3/1, 2020年3月1日 or 01/03/2020)"
        ) from None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = as_text(value).casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{value!r} is not yes or no (是/否, yes/no, có/không)")


def as_list(value: Any) -> list[str]:
    return [part for part in _SPLIT.split(as_text(value)) if part]


def as_countries(value: Any) -> list[str]:
    """ISO codes of a list of countries written as codes or names in en/zh/vi."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in as_list(value):
        code = resolve_country(part)
        (codes if code else unknown).append(code or part)
    if unknown:
        raise ValueError(
            f"unknown {'country' if len(unknown) == 1 else 'countries'} "
            f"{', '.join(repr(u) for u in unknown)} (an ISO code or a name in en/zh/vi)"
        )
    return codes


def as_lines(value: Any) -> list[str]:
    return [line.strip() for line in as_text(value).splitlines() if line.strip()]


def person_name(value: Any) -> str:
    """The name in a cell of 团长姓名及职务: ``张三（局长）``, ``Nguyễn Văn A - Giám đốc``."""
    text = re.split(r"[（(]", as_text(value), maxsplit=1)[0]
    return re.split(r"\s+[-–—]\s+|[,，]", text, maxsplit=1)[0].strip()


__all__ = [
    "as_bool",
    "as_countries",
    "as_date",
    "as_int",
    "as_lines",
    "as_list",
    "as_text",
    "blank",
    "person_name",
]
