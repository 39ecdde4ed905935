"""Writing output files whole or not at all.

A plan, a scenario or a report is written to a temporary file beside its target and then
renamed into place, so a crash, a full disk or Ctrl-C never leaves a half-written file
where a planner would open it. ``write_all`` renders nothing: callers build every output
in memory first, so a failure while rendering writes none of them.
"""

from __future__ import annotations

from pathlib import Path


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(content, bytes):
            tmp.write_bytes(content)
        else:
            tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write several files already rendered in memory, each whole or not at all."""
    for path, content in files.items():
        write_atomic(path, content)


__all__ = ["write_all", "write_atomic"]
