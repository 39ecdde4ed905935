"""Dense calendars at a small size: where the 20,000-request gap is, in minutes.

    python benchmarks/dense.py                 # 20,000 requests, South America -> dense.md
    python benchmarks/dense.py --requests 400 --continent Oceania --limits 5 --portfolio 5 \\
        --out /tmp/dense.md --data /tmp

The 20,000-request gap (``findings.md``) comes with full calendars, not with size (the
same density in five independent parts ends at a like gap): the median country has 448
requests there, 115 at 5,000. A run there takes 13 minutes, and nothing at that size can
be solved further to see which side of the gap is loose. This script drops the size and
keeps calendars full: it takes the generated scenario (seed 1) and keeps only the
requests whose every stop is on one continent (South America: 818 of 20,000 requests, on
7 countries with 184 to 210 requests each). Then, each in a fresh process:

- ``delegplan solve`` without merging, for each of ``--limits`` seconds (the benchmark's
  own figures, ``benchmarks/run.py``, auditor included);
- CP-SAT's own portfolio (its default eight workers, time-sliced on the cores there are)
  on the same full model, with nothing of delegplan's search but the model and the
  relaxation's proved bound as a cut, for ``--portfolio`` seconds: the plain CP-SAT
  yardstick of issue 7 at this density, and CP-SAT's own bound (its linear relaxation
  with its scheduling cuts).

The same cut of smaller generated scenarios (``--requests 5000``, ``10000``) gives parts
small enough for the time-indexed relaxation (``benchmarks/time_indexed.py --one PART
--day-rows``) to prove or nearly prove: how far the relaxation's bound of sums is from
the optimum as calendars fill (``findings.md``, "Dense calendars at a small size").
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

from benchmarks.run import child_figures, machine, run_child  # noqa: E402
from models.geography import CONTINENTS  # noqa: E402


def continent_part(source: Path, continent: str, out: Path) -> int:
    """Write the scenario's requests whose every stop is on ``continent``; how many."""
    from models.files import write_atomic
    from models.geography import country

    data = json.loads(source.read_text(encoding="utf-8"))
    data["requests"] = [
        r
        for r in data["requests"]
        if all(country(stop["country"]).continent == continent for stop in r["stops"])
    ]
    data["name"] = f"{data['name']}, {continent} only"
    write_atomic(out, json.dumps(data, ensure_ascii=False))
    return len(data["requests"])


def portfolio(path: Path, limit: float, bound: int) -> dict:
    """CP-SAT's own search on the full model (no merging), the relaxation's bound as a cut."""
    from ortools.sat.python import cp_model

    from models.loading import load_scenario
    from solver.build import build_model
    from solver.candidates import singletons

    loaded = load_scenario(path)
    began = time.perf_counter()
    candidates = singletons(loaded.scenario, use_windows=loaded.policy.rule("TIME-WINDOW").on)
    m, _ = build_model(loaded, candidates, merge=False)
    m.model.add(m.objective <= bound)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.random_seed = 1
    found: list[tuple[float, int]] = []

    class _Log(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            found.append((round(self.wall_time, 1), round(self.objective_value)))

    code = solver.solve(m.model, _Log())
    plan = round(solver.objective_value) if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
    return {
        "requests": len(loaded.scenario.requests),
        "limit": limit,
        "status": solver.status_name(code).lower(),
        "objective": plan,
        "bound": round(solver.best_objective_bound),
        "first_plan_s": found[0][0] if found else None,
        # when the search last found a better plan: where it levelled off
        "last_better_s": found[-1][0] if found else None,
        "total_s": round(time.perf_counter() - began, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _portfolio_child(path: Path, limit: float, bound: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(path)]
    cmd += ["--limit", str(limit), "--bound", str(bound)]
    return child_figures(cmd)


def _gap(objective: int | None, bound: int | None) -> str:
    if objective is None or bound is None:
        return "-"
    return f"{(bound - objective) / max(1, abs(bound)):.2%}"


def table(searches: list[dict], cpsat: dict | None) -> str:
    head = (
        "| search | limit s | first plan s | status | objective | bound | gap | approved "
        "| peak MB | audit |\n" + "|---" * 10 + "|\n"
    )
    lines = [
        f"| delegplan solve --no-merge | {r['limit']:g} | {r['first_plan_s']} | {r['status']} "
        f"| {r['objective']} "
        f"| {r['bound']} | {_gap(r['objective'], r['bound'])} | {r['approved']} "
        f"| {r['peak_mb']} | {'clean' if r['audit_clean'] else 'VIOLATIONS'} |"
        for r in searches
    ]
    if cpsat is not None:
        lines.append(
            f"| CP-SAT's portfolio, full model (last better plan at {cpsat['last_better_s']} s) "
            f"| {cpsat['limit']:g} | {cpsat['first_plan_s']} | {cpsat['status']} "
            f"| {cpsat['objective']} "
            f"| {cpsat['bound']} | {_gap(cpsat['objective'], cpsat['bound'])} | - "
            f"| {cpsat['peak_mb']} | - |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, default=20000, help="the generated scenario's size")
    ap.add_argument("--continent", default="South America", choices=CONTINENTS)
    ap.add_argument("--limits", type=float, nargs="*", default=[120.0, 600.0])
    ap.add_argument("--portfolio", type=float, default=600.0, help="CP-SAT's seconds; 0: none")
    ap.add_argument("--out", type=Path, default=HERE / "dense.md")
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="generated scenarios")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=float, default=60.0, help=argparse.SUPPRESS)
    ap.add_argument("--bound", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(portfolio(args.one, args.limit, args.bound)))
        return
    from benchmarks.run import generated_scenario
    from models.files import write_atomic

    args.data.mkdir(parents=True, exist_ok=True)
    source = generated_scenario(args.data, args.requests)
    slug = args.continent.lower().replace(" ", "-")
    part = args.data / f"{source.stem}-{slug}.json"
    kept = continent_part(source, args.continent, part)
    searches = []
    for limit in args.limits:
        searches.append(run_child(part, "cpsat", False, limit, "full"))
        print(json.dumps(searches[-1]), flush=True)
    cpsat = None
    bounds = [r["relaxation_bound"] for r in searches if r["relaxation_bound"] is not None]
    if args.portfolio > 0 and bounds:
        cpsat = _portfolio_child(part, args.portfolio, min(bounds))
        print(json.dumps(cpsat), flush=True)
    text = (
        "# Dense calendars at a small size\n\n"
        f"Written by `python benchmarks/dense.py`: the generated scenario of "
        f"{args.requests:,} requests (seed 1), only the {kept:,} requests whose every stop "
        f"is in {args.continent}; no merging; each run a fresh process. The portfolio row "
        "is CP-SAT's own search on the same full model, given only the relaxation's proved "
        "bound as a cut (its default workers, seed 1).\n\n"
        f"Machine: {machine()}\n\n" + table(searches, cpsat)
    )
    write_atomic(args.out, text)


if __name__ == "__main__":
    main()
