"""The scale benchmark script runs end to end on a small size and writes its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_writes_a_table_of_audited_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/run.py",
            "--sizes",
            "40",
            "--out",
            str(out),
            "--data",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Machine:" in text and "OR-Tools" in text
    rows = [line for line in text.splitlines() if line.startswith("| 40 |")]
    assert len(rows) == 3  # greedy, search without merging, search with merging
    assert all(row.rstrip().endswith("| clean |") for row in rows)
    assert "| greedy | off |" in rows[0] and "| cpsat | on |" in rows[2]
