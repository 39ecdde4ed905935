"""Deadline benchmark: the whole command within ``--deadline``, as a planner runs it.

    python benchmarks/deadline.py                  # N = 1,000, 5,000, 20,000 -> deadline.md
    python benchmarks/deadline.py --sizes 100 --deadline 20 --out /tmp/deadline.md

``benchmarks/run.py`` gives the search ``--time-limit`` seconds, and explanations come on
top. Here each size's generated scenario (seed 1) is planned by ``delegplan solve
--deadline D`` in a process of its own, with and without merging, D being the time the
targets of issue 7 are stated at. The wall clock is the whole process, from launch to
exit: loading, search, explanations and the written reports. Each plan is audited here
again, and its rejections are counted by how they were explained: in full (minimal
conflicts or screening), or with the auditor's quick reasons once the time ran out.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import LIMITS, code_state, generated_scenario, machine, provenance  # noqa: E402
from models.files import write_atomic  # noqa: E402

#: what marks a quick reason (``Explainer.quick``): the English text of its message
QUICK = "time for explanations"
CLI = [sys.executable, "-c", "from delegplan.cli import main; main()"]


def one(path: Path, deadline: float, merge: bool) -> dict:
    """One ``delegplan solve --deadline`` in a process of its own, and its plan's figures."""
    from models.audit import Auditor
    from models.loading import load_scenario
    from models.plan import Plan

    with tempfile.TemporaryDirectory() as out:
        cmd = [*CLI, "solve", str(path), "--out", out, "--deadline", str(deadline)]
        cmd += ["--seed", "1", "--quiet"] + ([] if merge else ["--no-merge"])
        began = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        whole = time.perf_counter() - began
        row = {"deadline": deadline, "merge": merge, "whole": whole, "exit": done.returncode}
        written = Path(out) / "plan.json"
        if done.returncode != 0 or not written.exists():
            return {**row, "error": done.stderr.strip().splitlines()[-1:]}
        plan = Plan.model_validate_json(written.read_text(encoding="utf-8"))
    loaded = load_scenario(path)
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    quick = sum(any(QUICK in r.message for r in d.reasons) for d in rejected)
    report = Auditor(loaded.scenario, loaded.policy).audit(plan)
    return {
        **row,
        "requests": len(loaded.scenario.requests),
        "budget": plan.solver["budget"],
        "time_limit": plan.solver["time_limit"],
        "explain_limit": plan.solver["explain_limit"],
        "status": str(plan.status),
        "gap": plan.gap,
        "objective": plan.objective,
        "bound": plan.bound,
        "rejected": len(rejected),
        "quick": quick,
        "repaired": sum(bool(d.repairs) for d in rejected),
        "audit": "clean" if not report.violations and all(d.reasons for d in rejected) else "FAIL",
    }


def table(rows: list[dict]) -> str:
    head = (
        "| requests | merging | deadline s | whole command s | within | solve's budget s "
        "| search limit s | explain limit s | status | gap | objective | bound | rejected "
        "| explained in full | quick reasons | with repairs | audit |\n" + "|---" * 17 + "|\n"
    )
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(
                f"| {r.get('requests', '-')} | {'on' if r['merge'] else 'off'} | "
                f"{r['deadline']:g} | {r['whole']:.1f} | - | exit {r['exit']}: "
                f"{' '.join(r['error'])} |" + " - |" * 11
            )
            continue
        gap = "optimal" if r["status"] == "optimal" else f"{100 * r['gap']:.2f}%"
        lines.append(
            f"| {r['requests']:,} | {'on' if r['merge'] else 'off'} | {r['deadline']:g} "
            f"| {r['whole']:.1f} | {'yes' if r['whole'] <= r['deadline'] else 'no'} "
            f"| {r['budget']} | {r['time_limit']} | {r['explain_limit']} | {r['status']} "
            f"| {gap} | {r['objective']} | {r['bound']} | {r['rejected']} "
            f"| {r['rejected'] - r['quick']} | {r['quick']} | {r['repaired']} | {r['audit']} |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000, 20000])
    ap.add_argument("--deadline", type=float, help="seconds for every size (default: LIMITS)")
    ap.add_argument("--out", type=Path, default=HERE / "deadline.md")
    ap.add_argument("--data", type=Path, default=HERE / ".data", help="generated scenarios")
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    started = code_state()
    rows = []
    for n in args.sizes:
        path = generated_scenario(args.data, n)
        deadline = args.deadline or LIMITS.get(n, 60.0)
        for merge in (True, False):
            rows.append(one(path, deadline, merge))
            print(json.dumps(rows[-1]), flush=True)
    text = (
        "# The whole command within `--deadline`\n\n"
        "Written by `python benchmarks/deadline.py`: each generated scenario (seed 1) "
        "planned by `delegplan solve --deadline D --seed 1`, a process of its own, timed "
        "from launch to exit (loading, search, explanations, the plan and the three "
        'reports written). "explained in full" counts rejections with minimal conflicts '
        "or the screening's findings; \"quick reasons\", those given the auditor's quick "
        "reasons when the time ran out. Every plan audited again here.\n\n"
        f"Machine: {machine()}\n\n" + table(rows) + f"\n{provenance(started)}\n"
    )
    write_atomic(args.out, text)


if __name__ == "__main__":
    main()
