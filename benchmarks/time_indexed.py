"""Time-indexed bound: how far a bound that sees the order of stays is within reach.

    python benchmarks/time_indexed.py                  # N = 1,000, 2,000, 5,000 -> time_indexed.md
    python benchmarks/time_indexed.py --sizes 40 --limit 10 --out /tmp/time_indexed.md

The relaxation (``solver.warmstart``) bounds the plan by sums over spans of each calendar;
the gap left at 5,000 and 20,000 requests (``findings.md``) is in the order of stays, which
sums cannot see. The day rows of ``solver.rules.timeindexed`` see it. For each size
(generated, seed 1, no merging) this script solves, each in a fresh process so that peak
memory is its own, with the relaxation's solver (``solver.options.lp_solver``: CP-SAT's
linear workers, 2 workers, seed 1) for the same time limit:

- the relaxation as the search has it: its first round, then the second round's crowding
  and two-stay rows in the time left (``solver.warmstart.tighten``);
- the first round with the day rows instead.

It reports the bound each proves, its status and plan, the time, the rows' size and peak
memory. Where the relaxation with day rows is proved optimal, its optimum is the full
model's (``tests/test_timeindexed.py``): the column says how far the bound of sums was.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import child_figures, machine  # noqa: E402

SIZES = (1000, 2000, 5000)


def one(path: Path, limit: float, day_rows: bool) -> dict:
    """Solve one relaxation in this process and return its figures (a child process)."""
    from models.loading import load_scenario
    from solver.build import build_model
    from solver.candidates import singletons
    from solver.options import SolveOptions, lp_solver
    from solver.rules.timeindexed import post_time_indexed
    from solver.warmstart import relax, tighten

    loaded = load_scenario(path)
    began = time.perf_counter()
    candidates = singletons(loaded.scenario, use_windows=loaded.policy.rule("TIME-WINDOW").on)
    m, _ = build_model(loaded, candidates, merge=False, relaxed=True)
    size = post_time_indexed(m) if day_rows else None
    built = time.perf_counter() - began
    options = SolveOptions(seed=1, workers=2)
    solver = lp_solver(options, limit)
    warm = relax(m, solver)
    spent, bound = solver.wall_time, None if warm is None else warm.bound
    status = solver.status_name(solver.response_proto.status).lower()
    if not day_rows and warm is not None and warm.optimal and limit > spent:
        # the second round the search adds, crowding and two-stay rows (``tighten``)
        second = lp_solver(options, limit - spent)
        tightened = tighten(m, warm, second)
        bound = warm.bound if tightened is None else tightened.bound
        spent += second.wall_time
    return {
        "requests": len(loaded.scenario.requests),
        "day_rows": day_rows,
        "build_s": round(built, 2),
        "solve_s": round(spent, 2),
        "status": status,
        "first_bound": None if warm is None else warm.bound,
        "bound": bound,
        "plan": None if warm is None else round(solver.objective_value),
        "literals": None if size is None else size.starts,
        "rows": None if size is None else size.rows,
        "terms": None if size is None else size.terms,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _child(path: Path, limit: float, day_rows: bool) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(path), "--limit", str(limit)]
    if day_rows:
        cmd.append("--day-rows")
    return child_figures(cmd)


def _gap(bound: int | None, plan: int | None) -> str:
    if bound is None or plan is None:
        return "-"
    return f"{abs(bound - plan) / max(1, abs(bound)):.2%}"


def table(pairs: list[tuple[dict, dict]]) -> str:
    head = (
        "| requests | sums: status | sums: first round's bound | sums: bound | sums: s "
        "| day-row literals | rows | terms "
        "| build s | day rows: status | day rows: bound | its plan | plan's gap | s "
        "| below the sums' bound | peak MB |\n" + "|---" * 16 + "|\n"
    )
    lines = []
    for plain, rows in pairs:
        lower = (
            f"{(plain['bound'] - rows['bound']) / max(1, plain['bound']):.3%}"
            if plain["bound"] is not None and rows["bound"] is not None
            else "-"
        )
        lines.append(
            f"| {plain['requests']:,} | {plain['status']} | {plain['first_bound']} "
            f"| {plain['bound']} | {plain['solve_s']} "
            f"| {rows['literals']:,} | {rows['rows']:,} | {rows['terms']:,} | {rows['build_s']} "
            f"| {rows['status']} | {rows['bound']} | {rows['plan']} "
            f"| {_gap(rows['bound'], rows['plan'])} | {rows['solve_s']} | {lower} "
            f"| {rows['peak_mb']} |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per relaxation")
    ap.add_argument("--out", type=Path, default=HERE / "time_indexed.md")
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="generated scenarios")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--day-rows", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.limit, args.day_rows)))
        return
    from benchmarks.run import generated_scenario
    from models.files import write_atomic

    args.data.mkdir(parents=True, exist_ok=True)
    pairs = []
    for n in args.sizes:
        path = generated_scenario(args.data, n)
        pair = (_child(path, args.limit, False), _child(path, args.limit, True))
        print(json.dumps(pair), flush=True)
        pairs.append(pair)
    text = (
        "# Time-indexed bound\n\n"
        "Written by `python benchmarks/time_indexed.py` (generated scenarios, seed 1, no "
        f"merging; each relaxation in a fresh process, {args.limit:g} s each, CP-SAT's "
        'linear workers, 2 workers, seed 1). "sums": the relaxation as the search has '
        "it (its first round, then the crowding and two-stay rows in the time left); "
        '"day rows": its first round with `solver.rules.timeindexed`. A day-rows '
        "relaxation proved optimal has the full model's optimum.\n\n"
        f"Machine: {machine()}\n\n" + table(pairs)
    )
    write_atomic(args.out, text)


if __name__ == "__main__":
    main()
