"""The words of the reports (headers, titles, statuses), translated like every message.

Each label is a ``T("...")`` template, so babel's extractor finds it and
``tests/test_messages.py`` fails until it has a Chinese and a Vietnamese translation
(``models/locale``). ``label`` refuses a word that is not listed here.
"""

from __future__ import annotations

from models.text import T, translate

_LABELS = (
    T("Approved calendar of official delegations abroad"),
    T("Requests"),
    T("Request"),
    T("Approved"),
    T("Rejected"),
    T("approved"),
    T("rejected"),
    T("optimal"),
    T("feasible"),
    T("infeasible"),
    T("unknown"),
    T("Delegations"),
    T("Delegation"),
    T("Composite delegations"),
    T("Leader-trips"),
    T("Cost of approved trips"),
    T("Units' budgets"),
    T("Last year's total"),
    T("Status"),
    T("Summary"),
    T("Timeline"),
    T("Countries"),
    T("Country"),
    T("Leaders"),
    T("Unit"),
    T("Units"),
    T("Title"),
    T("Head"),
    T("Members"),
    T("Start"),
    T("End"),
    T("Days"),
    T("People"),
    T("Cost"),
    T("Budget"),
    T("Decisions"),
    T("Reasons"),
    T("Repairs"),
    T("Rule"),
    T("Article"),
    T("Rivals"),
    T("Message"),
    T("Savings"),
    T("Delegations saved"),
    T("Leader-trips saved"),
    T("Travel days saved"),
    T("Cost saved (estimate)"),
    T("By unit"),
    T("By continent"),
    T("Continent"),
    T("Stays"),
    T("Rejected by rule"),
    T("Soft costs"),
    T("Scenario"),
    T("Policy"),
    T("Year"),
    T("Rejections and their reasons"),
    T("Approved delegations"),
    T("No rejections."),
    T("Written by delegplan"),
    T("Changes against the approved plan"),
    T("Changes"),
    T("Rule title"),
    T("Field"),
    T("Before"),
    T("After"),
    T("Decision"),
    T("Dates"),
)
_KNOWN = {t.template for t in _LABELS}


def label(text: str, lang: str) -> str:
    """``text`` (one of the labels above, in English) in ``lang``."""
    if text not in _KNOWN:
        raise KeyError(f"not a report label: {text!r}")
    return text if lang == "en" else translate(text, lang)


__all__ = ["label"]
