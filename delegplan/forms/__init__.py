"""Declaration forms: the workbook units fill in (``template``), read back (``reader``,
``assemble``) into a scenario. ``import_forms`` is what ``delegplan import`` runs."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from models.errors import InputError, Problem


def import_forms(paths: list[Path], override: dict[str, Any] | None = None) -> dict[str, Any]:
    """One scenario (INTERFACE.md §1, as data) from filled-in forms; InputError on problems."""
    from delegplan.forms.assemble import assemble
    from delegplan.forms.reader import read_forms

    forms = read_forms(paths)
    if not forms.problems:
        data = assemble(forms, override)
    if forms.problems:
        raise InputError(forms.problems)
    data["_origins"] = forms.origins
    return data


def write_imported(data: dict[str, Any], out: Path) -> list[Problem]:
    """Check the imported scenario as ``load_scenario`` would, then write it whole.

    It is checked in a temporary file beside ``out`` (a policy named by path is found
    from there); a problem is reported at the form row its record came from.
    """
    from delegplan.generate import scenario_text
    from models.files import check_file, write_atomic
    from models.loading import load_scenario

    origins = data.pop("_origins", {})
    text = scenario_text(data, out)
    check_file(out)
    check = out.with_name(f".{out.stem}.check{out.suffix or '.yaml'}")
    try:
        write_atomic(check, text)
        warnings = load_scenario(check).warnings
    except InputError as exc:
        raise InputError([_placed(p, origins, out) for p in exc.problems]) from None
    finally:
        with contextlib.suppress(OSError):
            check.unlink(missing_ok=True)
    write_atomic(out, text)
    return [_placed(p, origins, out) for p in warnings]


def _placed(problem: Problem, origins: dict, out: Path) -> Problem:
    where = origins.get(problem.record)
    if where is None:
        return Problem(str(out), problem.record, problem.field, problem.message, problem.level)
    return Problem(where.file, where.record(), problem.field, problem.message, problem.level)


__all__ = ["import_forms", "write_imported"]
