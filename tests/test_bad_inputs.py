"""Bad input (issue 8): each broken file of tests/bad_inputs gives its message, never a crash.

``cases.yaml`` lists every broken input with the command that reads it and a part of the
message it must print after the file's name. Every case must exit with its code (2 for
bad input) and no traceback, write nothing, and leave its input files as they were.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from delegplan.cli import app

HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
runner = CliRunner()


def _digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in HERE.iterdir()}


def test_there_are_at_least_forty_broken_inputs() -> None:
    assert len({c["input"] for c in CASES}) >= 40
    assert all((HERE / c["input"]).is_file() for c in CASES)


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c['input']}-{(c.get('run') or ['validate'])[0]}" for c in CASES]
)
def test_broken_input_is_reported_where_it_is(case: dict, tmp_path: Path) -> None:
    before = _digests()
    paths = {
        "input": HERE / case["input"],
        "valid": HERE / "valid.yaml",
        "baseline": HERE / "baseline.json",
        "changes": HERE / "changes-valid.yaml",
        "out": tmp_path / "out",
    }
    run = [part.format(**paths) for part in case.get("run", ["validate", "{input}"])]
    result = runner.invoke(app, run)
    output = " ".join(result.output.split())
    assert result.exit_code == case.get("exit", 2), output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    named = HERE / case.get("file", case["input"])
    says = case["says"] if isinstance(case["says"], list) else [case["says"]]
    if case.get("exit", 2) == 2:
        assert f"{named}" in output  # the file is named
    for part in says:
        assert part in output, output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert _digests() == before  # inputs are never touched


def test_a_fifty_megabyte_input_is_refused_at_once(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 2**20)  # 50 MiB
    result = runner.invoke(app, ["validate", str(big)])
    assert result.exit_code == 2
    assert f"{big}: is 50 MiB; inputs over 40 MiB are refused" in " ".join(result.output.split())
