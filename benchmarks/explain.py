"""Benchmark: how long explaining every rejection takes, against solving (issue 3).

Targets (issue 3): on the bundled changchun scenario, explaining takes no longer than
solving; on a generated 1,000-request scenario, all explanations within 2 minutes on
2 cores. Explaining = a minimal conflict for each crowded-out request (several if it is
kept out in several ways) and up to three repairs for every rejection, each re-solved.

Run:  python benchmarks/explain.py   (writes benchmarks/explain.md; --quick: without
      the 5,000-request row, which takes about five minutes; --large: with a
      20,000-request row, a 200 s search, about eight minutes more, where explaining
      runs into its 120 s limit)
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from delegplan.generate import dump, synthetic, write_scenario  # noqa: E402
from models.loading import load_scenario  # noqa: E402
from scenarios import bundled_path  # noqa: E402
from solver import SolveOptions, solve  # noqa: E402


def measure(name: str, path: Path, time_limit: float) -> dict:
    loaded = load_scenario(path)
    began = time.perf_counter()
    result = solve(loaded, SolveOptions(time_limit=time_limit, seed=0, workers=2))
    total = time.perf_counter() - began
    plan = result.plan
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    crowded = [d for d in rejected if any(r.kind == "crowded_out" for r in d.reasons)]
    conflicts = sum(len({r.conflict for r in d.reasons if r.conflict}) for d in crowded)
    # past --explain-limit: the auditor's quick reasons, no minimal conflict, no repair
    quick = [d for d in crowded if not any(r.conflict for r in d.reasons)]
    return {
        "scenario": name,
        "requests": len(plan.decisions),
        "status": str(plan.status),
        "gap": f"{(plan.gap or 0):.2%}",
        "solve s": f"{plan.solve_seconds:.1f}",
        "explain s": f"{result.stats['explain_seconds']:.1f}",
        "rejected": len(rejected),
        "crowded out": len(crowded),
        "conflicts": conflicts,
        "repairs": sum(len(d.repairs) for d in rejected),
        "no repair": sum(1 for d in rejected if not d.repairs),
        "quick reasons only": len(quick),
        "whole run s": f"{total:.1f}",
    }


def main() -> None:
    rows = [measure("changchun-2020 (bundled)", bundled_path("changchun-2020"), 30)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic-1000.yaml"
        path.write_text(dump(synthetic(1000, seed=1)), encoding="utf-8")
        rows.append(measure("synthetic 1,000 (seed 1)", path, 60))
        if "--quick" not in sys.argv:
            path = Path(tmp) / "synthetic-5000.json"
            write_scenario(synthetic(5000, seed=1), path)
            rows.append(measure("synthetic 5,000 (seed 1)", path, 120))
        if "--large" in sys.argv:
            path = Path(tmp) / "synthetic-20000.json"
            write_scenario(synthetic(20000, seed=1), path)
            rows.append(measure("synthetic 20,000 (seed 1)", path, 200))
    cols = list(rows[0])
    lines = [
        "# Explanation benchmark (issue 3)",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; 2 search workers. Written by `python benchmarks/explain.py`.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---" for _ in cols) + "|",
        *("| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows),
        "",
        "`solve s` is the search alone; `explain s` is every reason and minimal conflict,",
        "then every repair (each re-solved), after it, within the default `--explain-limit`",
        "of 120 s (past it: the auditor's quick reasons for the rejections still without",
        "reasons, counted in `quick reasons only`, and no more repairs); `whole run s` adds",
        "loading and screening.",
    ]
    (HERE / "explain.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
