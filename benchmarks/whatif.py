"""What-if benchmark: a generated baseline plan, ten adjustment requests, one re-plan.

    python benchmarks/whatif.py                       # N = 1,000 -> benchmarks/whatif.md
    python benchmarks/whatif.py --requests 100 --out /tmp/whatif.md
    python benchmarks/whatif.py --requests 1000 5000 --limit 120 --deadlines 30 60 120

It generates a scenario (``delegplan generate``, seed 1, JSON), plans the baseline (60 s
search, kept in ``.data`` so later runs reuse it), writes ten adjustment requests of every
kind (three added trips, two withdrawals, two moved windows, a new head, a member added, a
member removed), then runs the re-plan in a fresh process, timing each part: loading, the
four lexicographic tiers (grant, fewest disturbed trips, fewest days moved, the usual
objective), the conflict pairs, the explanations, the whole command. It reports whether the
fewest disturbances were proved and checks the re-plan with the auditor.

``--deadlines``: one more re-plan per size and deadline D, as ``delegplan whatif
--deadline D --no-reports`` runs it: the budget is D less the child's loading and the
writing of plan.json (``delegplan.deadline.solve_budget``; without ``--no-reports`` the
command also keeps 0.8 ms a request for the reports). "process s" is the child from launch to
exit, Python's start and the benchmark's own audit included (the command writes plan.json
and audits it instead).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.deadline import QUICK  # noqa: E402
from benchmarks.run import code_state, generated_scenario, machine, provenance  # noqa: E402
from models.files import write_atomic  # noqa: E402


def _baseline(scenario: Path, data: Path, n: int, limit: float) -> Path:
    path = data / f"baseline-{n}-seed1.json"
    if not path.exists():
        from models.loading import load_scenario
        from models.plan import write_plan
        from solver import SolveOptions, solve

        loaded = load_scenario(scenario)
        result = solve(loaded, SolveOptions(time_limit=limit, seed=1, explain_limit=0))
        write_plan(result.plan, path)
    return path


def adjustments(scenario: Path, baseline: Path) -> dict:
    """Ten adjustment requests of every kind, chosen deterministically from the baseline."""
    data = json.loads(scenario.read_text(encoding="utf-8"))
    plan = json.loads(baseline.read_text(encoding="utf-8"))
    requests = {r["id"]: r for r in data["requests"]}
    singles = sorted(
        (d["requests"][0] for d in plan["delegations"] if len(d["requests"]) == 1),
        key=lambda rid: (len(rid), rid),
    )
    with_members = [r for r in singles if requests[r].get("members")]
    unit_of = {p["id"]: p.get("unit") for p in data["people"]}
    busy = {p for r in requests.values() for p in [r["head"], *(r.get("members") or [])]}
    free = sorted(p for p in unit_of if p not in busy)
    picks = iter(singles[::7])
    changes: list[dict] = []
    for k in range(3):  # three new trips, each like an approved one, a month later
        like = copy.deepcopy(requests[next(picks)])
        like["id"] = f"ADJ-{k + 1}"
        like.pop("preferred_start", None)
        start, end = like["window"]
        like["window"] = [_shift(start, 30), _shift(end, 30)]
        changes.append({"op": "add", "request": like})
    for _ in range(2):
        changes.append({"op": "withdraw", "request": next(picks)})
    for _ in range(2):
        rid = next(picks)
        start, end = requests[rid]["window"]
        window = [_shift(start, 21), _shift(end, 21)]
        changes.append({"op": "move", "request": rid, "window": window})
    used = {c["request"] if isinstance(c["request"], str) else "" for c in changes}
    heads = [r for r in with_members if r not in used]
    changes.append(
        {"op": "replace_head", "request": heads[0], "head": requests[heads[0]]["members"][0]}
    )
    unit = requests[heads[1]]["unit"]
    extra = next((p for p in free if unit_of[p] == unit), free[0])
    changes.append({"op": "add_member", "request": heads[1], "person": extra})
    changes.append(
        {"op": "remove_member", "request": heads[2], "person": requests[heads[2]]["members"][-1]}
    )
    return {"changes": changes}


def _shift(day: str, days: int) -> str:
    import datetime as dt

    moved = dt.date.fromisoformat(day) + dt.timedelta(days=days)
    return min(moved, dt.date(int(day[:4]), 12, 31)).isoformat()  # within the plan's year


def one(
    scenario: Path, baseline: Path, changes: Path, limit: float, deadline: float | None
) -> dict:
    """Run one re-plan in this process and return its figures (called in a child process);
    with ``deadline``, under the budget ``delegplan whatif --deadline --no-reports``
    would give it."""
    began = time.perf_counter()
    from delegplan.deadline import solve_budget
    from models.audit import Auditor
    from models.loading import load_whatif
    from solver import SolveOptions
    from solver.whatif import replan

    inp = load_whatif(scenario, baseline, changes)
    loaded_at = time.perf_counter() - began
    if deadline is None:
        options = SolveOptions(time_limit=limit, seed=1)
    else:
        n = len(inp.loaded.scenario.requests)
        budget = solve_budget(deadline, began, n, reports=False)
        options = SolveOptions(time_limit=math.inf, budget=budget, seed=1)
    result = replan(inp, options)
    total = time.perf_counter() - began
    plan, stats = result.plan, result.stats
    audit = Auditor(inp.loaded.scenario, inp.loaded.policy).audit(plan)
    w = plan.whatif
    return {
        "requests": len(inp.loaded.scenario.requests),
        "baseline_trips": len(inp.baseline.delegations),
        "changes": len(inp.changes.changes),
        "limit": plan.solver["time_limit"],
        "deadline": deadline or "-",
        "load_s": round(loaded_at, 2),
        "grant_s": stats.get("grant_seconds"),
        "disturb_s": stats.get("disturb_seconds"),
        "shift_s": stats.get("shift_seconds"),
        "conflicts_s": stats.get("conflicts_seconds"),
        "replan_s": stats.get("replan_seconds"),
        "explain_s": stats.get("explain_seconds"),
        "carried": stats.get("carried_reasons"),
        "rejected": sum(1 for d in plan.decisions if d.status == "rejected"),
        "quick": sum(
            any(QUICK in r.message for r in d.reasons)
            for d in plan.decisions
            if d.status == "rejected"
        ),
        "total_s": round(total, 2),
        "status": str(plan.status),
        "granted": len(w.granted) if w else 0,
        "not_granted": len(w.not_granted) if w else 0,
        "disturbed": w.disturbed if w else None,
        "proved": bool(w and w.disturbance_proved_minimal),
        "shift_days": w.shift_days if w else None,
        "conflicting": len(w.conflicting) if w else 0,
        "variables": stats.get("variables"),
        "audit_clean": not audit.violations,
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def table(rows: list[dict]) -> str:
    keys = [
        "requests", "baseline_trips", "changes", "deadline", "limit", "load_s", "grant_s",
        "disturb_s", "shift_s", "conflicts_s", "replan_s", "rejected", "carried", "quick",
        "explain_s", "total_s", "process_s", "status", "granted", "not_granted", "disturbed",
        "proved", "shift_days", "conflicting", "variables", "peak_mb", "audit_clean",
    ]  # fmt: skip
    head = "| " + " | ".join(k.replace("_", " ") for k in keys) + " |\n"
    head += "|" + "---|" * len(keys) + "\n"
    return head + "".join("| " + " | ".join(str(r[k]) for k in keys) + " |\n" for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, nargs="*", default=[1000])
    ap.add_argument("--limit", type=float, default=10.0, help="seconds for the re-plan")
    ap.add_argument("--baseline-limit", type=float, default=60.0)
    ap.add_argument(
        "--deadlines", type=float, nargs="*", default=[], help="whole-command seconds, a row each"
    )
    ap.add_argument("--deadline", type=float, help=argparse.SUPPRESS)  # the child's
    ap.add_argument("--out", type=Path, default=HERE / "whatif.md")
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="generated scenarios")
    ap.add_argument("--one", type=Path, nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.limit, args.deadline)))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    started = code_state()
    rows = []
    for n in args.requests:
        scenario = generated_scenario(args.data, n)
        baseline = _baseline(scenario, args.data, n, args.baseline_limit)
        changes = args.data / f"changes-{n}-seed1.json"
        changes.write_text(json.dumps(adjustments(scenario, baseline), indent=1), encoding="utf-8")
        cmd = [sys.executable, __file__, "--one", str(scenario), str(baseline), str(changes)]
        for deadline in [None, *args.deadlines]:
            limits = ["--limit", str(args.limit)]
            limits += [] if deadline is None else ["--deadline", str(deadline)]
            began = time.perf_counter()
            done = subprocess.run([*cmd, *limits], capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(cmd + limits)} failed:\n{done.stderr}")
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["process_s"] = round(time.perf_counter() - began, 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
    text = (
        "# What-if benchmark\n\n"
        "Written by `python benchmarks/whatif.py` (generated scenario and baseline, seed 1; "
        "ten adjustment requests: 3 add, 2 withdraw, 2 move, replace_head, add_member, "
        'remove_member; default workers; a fresh process; times wall-clock). "deadline": '
        'the re-plan under `delegplan whatif --deadline`\'s budget, "limit" then being the '
        "search's share of it; \"quick\": rejections with the auditor's quick reasons, "
        "those carried over from the baseline (planned with `--explain-limit 0`) included; "
        '"process s": the child process from launch to exit.\n\n'
        f"Machine: {machine()}\n\n" + table(rows) + f"\n{provenance(started)}\n"
    )
    write_atomic(args.out, text)


if __name__ == "__main__":
    main()
