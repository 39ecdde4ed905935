"""Writing output files whole or not at all, and refusing outputs that cannot be written.

A plan, a scenario or a report is written to a temporary file beside its target and then
renamed into place, so a crash, a full disk or Ctrl-C never leaves a half-written file
where a planner would open it. ``write_all`` renders nothing: callers build every output
in memory first, so a failure while rendering writes none of them. An output that the
system refuses (a folder that is a file, no permission, a full disk) is an
:class:`~models.errors.InputError` naming it, which the command line reports with exit 2,
never a traceback.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from models.errors import InputError, Problem


def _refused(path: Path, message: str) -> InputError:
    return InputError([Problem(str(path), "", "", message)])


def check_folder(path: Path) -> None:
    """Refuse an output folder that cannot be one: it, or a folder above it, is a file.

    Why before the work: found only when the plan is written, it cost the whole solve.
    """
    for above in (path, *path.parents):
        if above.exists():
            if not above.is_dir():
                where = "is a file" if above == path else f"is inside {above}, a file"
                raise _refused(path, f"{where}: give a folder to write into")
            return


def check_file(path: Path) -> None:
    """Refuse an output file that cannot be one: it is a folder, or is inside a file."""
    if path.is_dir():
        raise _refused(path, "is a folder: give the file to write")
    check_folder(path.parent)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        check_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # no permission, a full disk, a name the system refuses
        raise _refused(path, f"cannot be written: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):  # nothing to remove where nothing could be made
            tmp.unlink(missing_ok=True)


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write several files already rendered in memory, each whole or not at all; none at
    all when one of them could not be, as far as that can be seen before writing."""
    for path in files:
        check_file(path)
    for path, content in files.items():
        write_atomic(path, content)


__all__ = ["check_file", "check_folder", "write_all", "write_atomic"]
