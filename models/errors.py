"""Input problems that name the file, the record and the field.

A planner who typed a wrong date must be told where: ``scenario.yaml: request R-014,
field window: reversed range``. Every loader collects problems as :class:`Problem` and
raises one :class:`InputError` holding them all, so a file with five typos is reported
once, with five lines, rather than five times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    field: str
    message: str
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file
        if self.record:
            where += f": {self.record}"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad input: the command exits with code 2 and prints every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.level == "error"] or problems
        super().__init__("\n".join(str(p) for p in self.problems))
