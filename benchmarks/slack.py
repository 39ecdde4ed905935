"""Slack of a plan: how full its countries' calendars are, and what keeps each rejection out.

    python benchmarks/slack.py SCENARIO PLAN [--out FILE] [--busiest N]

Why: at 20,000 generated requests the plan stays 3-4% below day prices' bound however
long it searches (benchmarks/findings.md). Whether that is the plan's or the bound's fault
starts with where the plan has room. For each country this counts the days some
candidate could cover (a stay in its window, the same-country gap included) and the days
the plan's stays take; for each rejected request, whether some start of its trip meets no
approved trip in any country or traveller's calendar (then which other hard rules refuse
it, by the auditor), or else how few approved trips stand in the way at its best start,
and whether that one trip, where it is one, is worth less than it (the approved value
alone: soft costs and date costs left out, so a pair so counted is not a gain by itself).

Needs no solver: the plan's trips are laid out and checked as the clerk's planner does
(``solver.greedy.Greedy``, its calendar index and the auditor).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import machine  # noqa: E402
from models.files import write_atomic  # noqa: E402
from models.loading import LoadedScenario, load_scenario  # noqa: E402
from models.plan import Plan  # noqa: E402
from solver.candidates import Candidate, day_number, make_candidate, singletons  # noqa: E402
from solver.greedy import Greedy  # noqa: E402
from solver.objective import candidate_value  # noqa: E402

#: the classes of a rejection, in the table's order
FITS, OTHER_RULES = "fits beside the plan as it is", "calendars free, other hard rules refuse"
IN_THE_WAY = ("1 approved trip in the way", "2 approved trips in the way", "3 or more in the way")
NO_WINDOW = "no start in its window"


@dataclass
class Slack:
    """What ``measure`` finds: per country (reachable days, days taken), per class of
    rejection (how many, their value), the rules refusing the free-calendar ones, and the
    rejections one cheaper approved trip keeps out."""

    countries: dict[str, tuple[int, int]]
    classes: dict[str, tuple[int, int]]
    rules: Counter[str] = field(default_factory=Counter)
    one_cheaper: int = 0
    one_cheaper_value: int = 0


def plan_trips(loaded: LoadedScenario, plan: Plan) -> list[tuple[Candidate, int]]:
    """The plan's delegations as candidates (composites too) on their start days."""
    s = loaded.scenario
    by_id = {r.id: r for r in s.requests}
    windows = loaded.policy.rule("TIME-WINDOW").on
    out = []
    for d in plan.delegations:
        c = make_candidate(s, tuple(by_id[r] for r in d.requests), windows)
        out.append((c, day_number(s.year, d.start)))
    return out


def measure(loaded: LoadedScenario, plan: Plan) -> Slack:
    """The plan's slack (see the module's docstring)."""
    s, policy = loaded.scenario, loaded.policy
    gap = policy.params("GEO-SAME-COUNTRY").min_gap_days
    greedy = Greedy(s, policy)
    trips = plan_trips(loaded, plan)
    for c, start in trips:
        greedy.place(c, [start], check=False)
    approved = {r.id for c, _ in trips for r in c.requests}
    lone = singletons(s, use_windows=policy.rule("TIME-WINDOW").on)  # as the solver's
    value = {c.id: candidate_value(c, policy) for c, _ in trips}
    value.update({c.id: candidate_value(c, policy) for c in lone})

    days = day_number(s.year, s.year_end) + 1 + max((c.length for c in lone), default=0) + gap
    reach: dict[str, np.ndarray] = {}
    taken: dict[str, np.ndarray] = {}
    for c in lone:
        if c.earliest > c.latest:
            continue
        for (code, n), off in zip(c.stops, c.offsets, strict=True):
            row = reach.setdefault(code, np.zeros(days, dtype=bool))
            row[c.earliest + off : c.latest + off + n + gap] = True
    for c, start in trips:
        for (code, n), off in zip(c.stops, c.offsets, strict=True):
            row = taken.setdefault(code, np.zeros(days, dtype=bool))
            row[start + off : start + off + n + gap] = True
    countries = {
        code: (int(row.sum()), int(taken[code].sum()) if code in taken else 0)
        for code, row in reach.items()
    }

    count: Counter[str] = Counter()
    worth: Counter[str] = Counter()
    slack = Slack(countries, {})
    for c in lone:
        if c.id in approved:
            continue
        kind = _classify(c, greedy, value, slack)
        count[kind] += 1
        worth[kind] += value[c.id]
    order = (FITS, OTHER_RULES, *IN_THE_WAY, NO_WINDOW)
    slack.classes = {k: (count[k], worth[k]) for k in order if count[k]}
    return slack


def _classify(c: Candidate, greedy: Greedy, value: dict[str, int], slack: Slack) -> str:
    """Which class the rejected request ``c`` falls in (adding to ``slack``'s counts)."""
    if c.earliest > c.latest:
        return NO_WINDOW
    occupancy = greedy.occupancy
    assert occupancy is not None
    starts = range(c.earliest, c.latest + 1)
    free = [st for st in starts if not occupancy.clashes(c, st)]
    if free:
        refusing: set[str] = set()
        for st in free:
            found = greedy.violations(c, st, countries=False)
            if not found:
                return FITS
            refusing |= {v.rule for v in found}
        slack.rules.update(refusing)
        return OTHER_RULES
    in_the_way = (occupancy.blockers(c, st) for st in starts)
    fewest = min((len(b), sum(value.get(x, 0) for x in b)) for b in in_the_way)
    if fewest[0] == 1 and fewest[1] < value[c.id]:
        slack.one_cheaper += 1
        slack.one_cheaper_value += value[c.id] - fewest[1]
    return IN_THE_WAY[min(fewest[0], 3) - 1]


def table(slack: Slack, scenario: Path, plan: Plan, busiest: int) -> str:
    """The markdown page: the machine, the plan, the busiest countries, the rejections."""
    reach = sum(r for r, _ in slack.countries.values())
    taken = sum(t for _, t in slack.countries.values())
    lines = [
        "# Slack of a plan",
        "",
        f"Written by `python benchmarks/slack.py {scenario} PLAN`: a plan of status "
        f"{plan.status}, objective {plan.objective}, bound {plan.bound}.",
        "",
        f"Machine: {machine()}",
        "",
        f"Countries: {len(slack.countries)}; days some stay could take {reach:,}, taken "
        f"{taken:,} ({taken / max(reach, 1):.1%}).",
        "",
        "| country | days some stay could take | days taken | free |",
        "|---|---|---|---|",
    ]
    ranked = sorted(slack.countries.items(), key=lambda kv: (-kv[1][1], kv[0]))
    for code, (r, t) in ranked[:busiest]:
        lines.append(f"| {code} | {r} | {t} | {r - t} |")
    lines += ["", "| rejection | requests | their value |", "|---|---|---|"]
    lines += [f"| {k} | {n:,} | {v:,} |" for k, (n, v) in slack.classes.items()]
    refusing = ", ".join(f"{rule} {n}" for rule, n in slack.rules.most_common())
    lines += [
        "",
        f"Rules refusing the free-calendar ones (a request may count under several): "
        f"{refusing or 'none'}.",
        f"Kept out by one approved trip worth less (approved value alone): "
        f"{slack.one_cheaper:,}, worth {slack.one_cheaper_value:,} more than those trips.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("plan", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="the markdown page; else stdout")
    parser.add_argument("--busiest", type=int, default=15, help="countries listed")
    args = parser.parse_args()
    loaded = load_scenario(args.scenario)
    plan = Plan.model_validate_json(args.plan.read_text(encoding="utf-8"))
    page = table(measure(loaded, plan), args.scenario, plan, args.busiest)
    if args.out is None:
        print(page)
    else:
        write_atomic(args.out, page)


if __name__ == "__main__":
    main()
