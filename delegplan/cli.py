"""The ``delegplan`` command line: a thin layer over ``models`` and ``solver``.

Exit codes (INTERFACE.md §4): 0 done; 1 a plan or audit that found what it reports
(no plan in time, violations); 2 bad input or usage, with a message naming the file, the
record and the field. A user's mistake never shows a Python traceback.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.errors import InputError, Problem
from models.files import check_file, check_folder
from scenarios import DEFAULT, bundled_path

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Plan official delegations abroad: an approved annual calendar under the rules.",
)
out = Console()
err = Console(stderr=True)


def _fail(exc: InputError) -> typer.Exit:
    for problem in exc.problems:
        err.print(
            f"[bold red]error[/]: {escape(str(problem))}",
            highlight=False,
            soft_wrap=True,
            emoji=False,
        )
    return typer.Exit(2)


@contextmanager
def _reported() -> Iterator[None]:
    """Bad input or an output the system refuses (``models.files``): its messages, exit 2."""
    try:
        yield
    except InputError as exc:
        raise _fail(exc) from None


def _warn(problems: list[Problem]) -> None:
    for problem in problems:
        err.print(
            f"[yellow]warning[/]: {escape(str(problem))}",
            highlight=False,
            soft_wrap=True,
            emoji=False,
        )


def _load(path: Path | None):
    from models.loading import load_scenario

    loaded = load_scenario(path or bundled_path(DEFAULT))
    _warn(loaded.warnings)
    return loaded


ScenarioArg = Annotated[
    Path | None,
    typer.Argument(help=f"Scenario YAML/JSON file or folder (default: bundled {DEFAULT})."),
]


RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="Run independent parts (or a sweep's jobs) on the Ray cluster at ADDRESS "
        '(local, auto, ray://host:10001); needs pip install "delegplan[ray]".',
        metavar="ADDRESS",
    ),
]

ReportLang = Annotated[
    str | None,
    typer.Option(help="Language of the reports: zh, en or vi (default: the policy's first)."),
]
Reports = Annotated[
    bool, typer.Option(help="Write calendar.xlsx, calendar.ics and report.html too.")
]


@app.command()
def validate(scenario: ScenarioArg = None) -> None:
    """Check a scenario's input only: formats, cross-references, the policy."""
    try:
        loaded = _load(scenario)
    except InputError as exc:
        raise _fail(exc) from None
    s = loaded.scenario
    past = f" ({loaded.past_trips} from history_from)" if s.history_from else ""
    out.print(
        f"[green]ok[/]: {loaded.path}: {len(s.requests)} requests, {len(s.units)} units, "
        f"{len(s.people)} people, {len(s.history)} history trips{past}, "
        f"policy {loaded.policy.id}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def solve(
    scenario: ScenarioArg = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for plan.json.")] = Path("out"),
    time_limit: Annotated[
        float | None,
        typer.Option(
            help="Seconds of search (default 30; with --deadline, its share of it).", min=0.1
        ),
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            help="Seconds for the whole command: loading, search, explanations, writing. The"
            " search gets most of it, the explanations what it leaves.",
            min=1,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the search.")] = 0,
    workers: Annotated[
        int, typer.Option(help="Search workers (0: eight, time-sliced on fewer cores).", min=0)
    ] = 0,
    method: Annotated[
        str,
        typer.Option(
            help="cpsat: the optimising search; greedy: first come, first served, as by hand."
        ),
    ] = "cpsat",
    objective: Annotated[
        str,
        typer.Option(
            help="full: approvals less soft costs and date distances; approvals: the "
            "approved requests' value alone (the most the rules let go)."
        ),
    ] = "full",
    merge: Annotated[
        bool, typer.Option(help="Offer composite delegations (merged requests) to the search.")
    ] = True,
    explain_limit: Annotated[
        float,
        typer.Option(
            help="Seconds for every rejection's minimal conflicts (at most half), then"
            " repairs; past them, quick reasons (0: quick reasons only).",
            min=0,
        ),
    ] = 120.0,
    reproducible: Annotated[
        bool,
        typer.Option(
            help="Same input, seed and workers give the same plan (deterministic time limit)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress line.")] = False,
    lang: ReportLang = None,
    reports: Reports = True,
    ray: RayOption = None,
) -> None:
    """Plan the year: write OUT/plan.json, calendar.xlsx, calendar.ics, report.html."""
    started = time.perf_counter()  # --deadline counts from here: loading is in it
    from delegplan.deadline import search_seconds
    from delegplan.progress import ProgressLine
    from models.plan import Status
    from solver import SolveOptions
    from solver import solve as run
    from solver.runners import runner_for

    if method not in ("cpsat", "greedy"):
        err.print(f"[bold red]error[/]: --method {method!r}: use cpsat or greedy")
        raise typer.Exit(2)
    if objective not in ("full", "approvals"):
        err.print(f"[bold red]error[/]: --objective {objective!r}: use full or approvals")
        raise typer.Exit(2)
    if lang is not None:
        _check_lang(lang)
    _refuse_deadline_if_reproducible(deadline, reproducible)
    try:
        check_folder(out_dir)
        loaded = _load(scenario)
        budget = _budget(deadline, started, len(loaded.scenario.requests), reports)
        options = SolveOptions(
            time_limit=search_seconds(time_limit, deadline),
            budget=budget,
            seed=seed,
            workers=workers,
            reproducible=reproducible,
            method=method,
            merge=merge,
            explain_limit=explain_limit,
            objective=objective,
        )

        runner = runner_for(ray)
        progress = ProgressLine(err, quiet)
        with progress:
            result = run(
                loaded,
                options,
                on_progress=progress.update,
                runner=runner,
                on_explained=progress.explained,
            )
    except InputError as exc:
        raise _fail(exc) from None
    plan = result.plan
    if plan.status not in (Status.OPTIMAL, Status.FEASIBLE):
        err.print(
            f"[bold red]no plan found[/] in {plan.solver['time_limit']:g} s (status "
            f"{plan.status}); nothing written"
        )
        raise typer.Exit(1)
    target = out_dir / "plan.json"
    with _reported():
        written = _write(loaded, plan, out_dir, lang, reports)
    if result.interrupted:
        err.print("[yellow]interrupted[/]: wrote the best plan found so far")
    _summary(plan, result.stats)
    _audit_written(loaded.scenario, loaded.policy, plan, target)
    _also_wrote(written)


def _also_wrote(written: list[Path]) -> None:
    """Name the reports written beside plan.json (which the audit line names)."""
    if len(written) > 1:
        out.print("also wrote " + ", ".join(str(p) for p in written[1:]), highlight=False)


def _refuse_deadline_if_reproducible(deadline: float | None, reproducible: bool) -> None:
    """Exit 2 on ``--deadline`` with ``--reproducible``: a deadline is wall-clock time."""
    if deadline is not None and reproducible:
        err.print(
            "[bold red]error[/]: --deadline is wall-clock time and --reproducible counts "
            "deterministic time: give one or the other"
        )
        raise typer.Exit(2)


def _budget(deadline: float | None, started: float, requests: int, reports: bool) -> float | None:
    """The solve's budget under ``--deadline`` (None without one), with a warning when
    loading, explaining and writing leave the search no more than its least."""
    from delegplan.deadline import solve_budget
    from solver.budget import LEAST_SEARCH, squeezed

    if deadline is None:
        return None
    budget = solve_budget(deadline, started, requests, reports)
    if squeezed(budget, requests):
        err.print(
            f"[yellow]warning[/]: --deadline {deadline:g}: loading, explaining and "
            f"writing {requests} requests take about all of it; the search gets "
            f"{LEAST_SEARCH:g} s, and the command may end late or find no plan"
        )
    return budget


def _write(loaded, plan, out_dir: Path, lang: str | None, reports: bool) -> list[Path]:
    """plan.json and the reports, all rendered before any is written, each written whole."""
    from models.files import write_all

    files: dict[Path, str | bytes] = {out_dir / "plan.json": plan.to_json()}
    if reports:
        from delegplan.reports import render_outputs

        lang = lang or (loaded.policy.languages[0] if loaded.policy.languages else "zh")
        files.update(render_outputs(loaded.scenario, plan, out_dir, lang))
    write_all(files)
    return list(files)


def _audit_written(scenario, policy, plan, target: Path) -> None:
    """Audit a plan just written; violations are a solver bug: say so loudly, exit 1."""
    from models.audit import Auditor

    report = Auditor(scenario, policy).audit(plan)
    if report.violations:
        for v in report.violations:
            err.print(f"[bold red]audit[/]: {v}", highlight=False)
        raise typer.Exit(1)
    out.print(f"auditor: every hard rule holds. Wrote {target}", highlight=False)


@app.command()
def whatif(
    scenario: Annotated[Path, typer.Argument(help="The scenario the baseline was planned from.")],
    baseline: Annotated[Path, typer.Option(help="The approved plan.json.")],
    changes: Annotated[Path, typer.Option(help="Adjustment requests (INTERFACE.md §3).")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for plan.json and the reports.")
    ] = Path("out"),
    time_limit: Annotated[
        float | None,
        typer.Option(
            help="Seconds of search, a quarter a tier (default 30; with --deadline, its share"
            " of it).",
            min=0.1,
        ),
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            help="Seconds for the whole command: loading, tiers, explanations, writing.", min=1
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the search.")] = 0,
    workers: Annotated[int, typer.Option(help="Search workers (0: eight).", min=0)] = 0,
    reproducible: Annotated[bool, typer.Option(help="Deterministic time limit.")] = False,
    explain_limit: Annotated[
        float, typer.Option(help="Seconds for minimal conflicts, then repairs.", min=0)
    ] = 120.0,
    quiet: Annotated[bool, typer.Option(help="No progress line.")] = False,
    lang: ReportLang = None,
    reports: Reports = True,
) -> None:
    """Re-plan with adjustment requests: grant them, disturbing the fewest approved trips.

    Writes OUT/plan.json with its diff, and the re-planned calendar.xlsx, calendar.ics and
    report.html, each showing what changed against the approved plan."""
    started = time.perf_counter()  # --deadline counts from here: loading is in it
    from delegplan.deadline import search_seconds
    from delegplan.progress import ProgressLine
    from models.loading import load_whatif
    from models.plan import Status
    from solver import SolveOptions
    from solver.whatif import replan

    if lang is not None:
        _check_lang(lang)
    _refuse_deadline_if_reproducible(deadline, reproducible)
    try:
        check_folder(out_dir)
        inp = load_whatif(scenario, baseline, changes)
        options = SolveOptions(
            time_limit=search_seconds(time_limit, deadline),
            budget=_budget(deadline, started, len(inp.loaded.scenario.requests), reports),
            seed=seed,
            workers=workers,
            reproducible=reproducible,
            explain_limit=explain_limit,
        )
        progress = ProgressLine(err, quiet)
        with progress:
            result = replan(inp, options, progress.update, progress.explained)
    except InputError as exc:
        raise _fail(exc) from None
    plan = result.plan
    for r in plan.whatif.refused if plan.whatif else ():
        err.print(
            f"[yellow]refused[/]: change {r.change} ({r.request}): {r.rule} [{r.citation}] "
            f"{r.message}",
            highlight=False,
        )
    if plan.status not in (Status.OPTIMAL, Status.FEASIBLE):
        why = (
            "a pin or the changes cannot hold"
            if plan.status == Status.INFEASIBLE
            else f"none within {plan.solver['time_limit']:g} s"
        )
        err.print(f"[bold red]no re-plan found[/] ({why}); nothing written")
        raise typer.Exit(1)
    target = out_dir / "plan.json"
    with _reported():
        written = _write(inp.loaded, plan, out_dir, lang, reports)
    if result.interrupted:
        err.print("[yellow]interrupted[/]: wrote the best re-plan found so far")
    from delegplan.views import whatif_view

    out.print(whatif_view(plan, inp))
    _audit_written(inp.loaded.scenario, inp.loaded.policy, plan, target)
    _also_wrote(written)


@app.command()
def sweep(
    scenarios: Annotated[
        list[Path],
        typer.Argument(help="Scenario files or folders, one plan each.", metavar="SCENARIO..."),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder: one sub-folder per job.")],
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="An approved plan.json: re-plan one scenario per --changes file.", metavar="PLAN"
        ),
    ] = None,
    changes: Annotated[
        list[Path] | None,
        typer.Option(
            help="Adjustment requests for a what-if (repeat for several).", metavar="FILE"
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            help="Seconds of search per job (default 30; with --deadline, each job's share).",
            min=0.1,
        ),
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            help="Seconds for the whole sweep: each job gets an even share of what is left as"
            " it starts (run in turn), or all of it (on Ray).",
            min=1,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the search.")] = 0,
    workers: Annotated[int, typer.Option(help="Search workers per job (0: eight).", min=0)] = 0,
    reproducible: Annotated[bool, typer.Option(help="Deterministic time limit.")] = False,
    merge: Annotated[bool, typer.Option(help="Offer composite delegations.")] = True,
    explain_limit: Annotated[
        float, typer.Option(help="Seconds for minimal conflicts, then repairs, per job.", min=0)
    ] = 120.0,
    ray: RayOption = None,
) -> None:
    """Plan several scenarios, or several what-ifs of one, at once (on Ray with --ray).

    Writes OUT/NAME/plan.json per job (NAME: the scenario's or changes file's name) and
    prints one line per job. Every plan is audited; all are written only if all succeed.
    """
    started = time.time()  # --deadline counts from here; the jobs may be on other machines
    from delegplan.deadline import search_seconds, writing_seconds
    from models.loading import load_whatif
    from solver import SolveOptions
    from solver.runners import runner_for
    from solver.sweep import sweep_plans, sweep_replans

    if baseline is not None and (len(scenarios) != 1 or not changes):
        err.print(
            "[bold red]error[/]: --baseline: give one scenario and at least one --changes file"
        )
        raise typer.Exit(2)
    if changes and baseline is None:
        err.print("[bold red]error[/]: --changes needs --baseline (the approved plan)")
        raise typer.Exit(2)
    _refuse_deadline_if_reproducible(deadline, reproducible)
    options = SolveOptions(
        time_limit=search_seconds(time_limit, deadline),
        seed=seed,
        workers=workers,
        reproducible=reproducible,
        merge=merge,
        explain_limit=explain_limit,
    )
    try:
        check_folder(out_dir)
        if baseline is not None:
            inputs = [load_whatif(scenarios[0], baseline, path) for path in changes or []]
            names = _job_names(changes or [])
            for inp in inputs:
                _warn(inp.loaded.warnings)
            loadeds = [inp.loaded for inp in inputs]
        else:
            loadeds = [_load(path) for path in scenarios]
            names = _job_names(scenarios)
        runner = runner_for(ray)  # after loading: a bad input is reported before Ray starts
        finish_at = None
        if deadline is not None:  # less the time writing every plan.json will take
            requests = [len(loaded.scenario.requests) for loaded in loadeds]
            finish_at = started + deadline - writing_seconds(sum(requests), reports=False)
            _warn_if_squeezed(deadline, finish_at, runner, requests)
        if baseline is not None:
            plans = [r.plan for r in sweep_replans(inputs, options, runner, finish_at)]
        else:
            plans = [r.plan for r in sweep_plans(loadeds, options, runner, finish_at)]
    except InputError as exc:
        raise _fail(exc) from None
    _sweep_report(names, loadeds, plans, out_dir)


def _warn_if_squeezed(deadline: float, finish_at: float, runner, requests: list[int]) -> None:
    """Warn when the first job's share of a sweep's deadline leaves its search no more
    than its least (the largest job's size counted)."""
    from solver.budget import LEAST_SEARCH, squeezed
    from solver.sweep import job_budget, jobs_after

    first = job_budget(finish_at, jobs_after(runner, len(requests))[0])
    if squeezed(first, max(requests)):
        err.print(
            f"[yellow]warning[/]: --deadline {deadline:g}: {len(requests)} jobs of up to "
            f"{max(requests)} requests each leave a job's search {LEAST_SEARCH:g} s; the "
            "sweep may end late or find no plan"
        )


def _job_names(paths: list[Path]) -> list[str]:
    """A folder name per job: the file's stem, numbered when two stems are the same."""
    names: list[str] = []
    for path in paths:
        name = path.stem
        k = 2
        while name in names:
            name = f"{path.stem}-{k}"
            k += 1
        names.append(name)
    return names


def _sweep_report(names: list[str], loadeds: list, plans: list, out_dir: Path) -> None:
    """A line per job; audit every plan; write them all, or none if one failed."""
    from models.audit import Auditor
    from models.files import write_all
    from models.plan import Status

    table = Table(title="sweep")
    for col in ("job", "status", "approved", "rejected", "objective", "gap", "audit"):
        table.add_column(col, justify="left" if col in ("job", "status") else "right")
    failed = False
    for name, loaded, plan in zip(names, loadeds, plans, strict=True):
        found = plan.status in (Status.OPTIMAL, Status.FEASIBLE)
        violations = Auditor(loaded.scenario, loaded.policy).audit(plan).violations if found else []
        failed |= not found or bool(violations)
        table.add_row(
            name,
            str(plan.status),
            str(len(plan.approved)),
            str(len(plan.rejected)),
            str(plan.objective if found else "-"),
            f"{(plan.gap or 0):.2%}" if found and plan.gap is not None else "-",
            "clean" if found and not violations else ("-" if not found else "VIOLATIONS"),
        )
    out.print(table)
    if failed:
        err.print("[bold red]sweep[/]: a job found no plan or failed its audit; nothing written")
        raise typer.Exit(1)
    with _reported():
        write_all(
            {
                out_dir / name / "plan.json": plan.to_json()
                for name, plan in zip(names, plans, strict=True)
            }
        )
    out.print(f"wrote {len(plans)} plan(s) under {out_dir}", highlight=False)


@app.command()
def template(
    out_file: Annotated[Path, typer.Option("--out", help="The workbook to write (.xlsx).")],
    lang: Annotated[str, typer.Option(help="Language of the headers: zh, en or vi.")] = "zh",
) -> None:
    """Write the declaration-form workbook (因公出国（境）计划申报表) a unit fills in."""
    from delegplan.forms.template import template_bytes
    from models.files import write_atomic

    _check_lang(lang)
    if out_file.suffix.lower() != ".xlsx":
        err.print(f"[bold red]error[/]: --out {out_file}: the file must end in .xlsx")
        raise typer.Exit(2)
    with _reported():
        write_atomic(out_file, template_bytes(lang))
    out.print(f"wrote {out_file} ({lang})", highlight=False)


@app.command("import")
def import_(
    forms: Annotated[list[Path], typer.Argument(help="Filled-in forms: .xlsx workbooks or .csv.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="The scenario to write (.yaml or .json).")
    ],
    year: Annotated[int | None, typer.Option(help="Plan year, if no form gives it.")] = None,
    policy: Annotated[str | None, typer.Option(help="Policy, if no form gives it.")] = None,
    name: Annotated[str | None, typer.Option(help="Scenario name.")] = None,
    history_from: Annotated[
        list[Path] | None,
        typer.Option(
            "--history-from",
            help="An earlier year's approved plan.json whose trips count as history"
            " (repeat for several).",
            metavar="PLAN",
        ),
    ] = None,
) -> None:
    """Read filled-in declaration forms (zh/en/vi headers) into one scenario file."""
    from delegplan.forms import import_forms, write_imported

    if out_file.suffix.lower() not in (".yaml", ".yml", ".json"):
        err.print(f"[bold red]error[/]: --out {out_file}: the file must end in .yaml or .json")
        raise typer.Exit(2)
    try:
        check_file(out_file)
        data = import_forms(forms, {"year": year, "policy": policy, "name": name})
        if history_from:  # named from where the scenario is written, as its loader reads it
            here = out_file.resolve().parent
            data["history_from"] = [os.path.relpath(p.resolve(), here) for p in history_from]
        _warn(write_imported(data, out_file))
    except InputError as exc:
        raise _fail(exc) from None
    out.print(
        f"wrote {out_file}: {len(data['requests'])} requests, {len(data['units'])} units, "
        f"{len(data['people'])} people from {len(forms)} file(s)",
        highlight=False,
    )


@app.command()
def generate(
    requests: Annotated[int, typer.Option(help="Number of requests.", min=1)],
    out_file: Annotated[
        Path, typer.Option("--out", help="Scenario file to write (.yaml or .json).")
    ],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same scenario.")] = 0,
    profile: Annotated[
        str, typer.Option(help="Built-in policy profile: changchun-2020 or ninhbinh-2021.")
    ] = "changchun-2020",
    regions: Annotated[
        int,
        typer.Option(
            help="Split units and countries into this many regions that never meet "
            "(a scenario of independent parts).",
            min=1,
        ),
    ] = 1,
) -> None:
    """Write a realistic synthetic scenario of any size (deterministic for a seed)."""
    from delegplan.generate import MAX_REGIONS, PROFILES, synthetic, write_scenario

    if profile not in PROFILES:
        err.print(f"[bold red]error[/]: --profile {profile!r}: use one of {', '.join(PROFILES)}")
        raise typer.Exit(2)
    if out_file.suffix.lower() not in (".yaml", ".yml", ".json"):
        err.print(f"[bold red]error[/]: --out {out_file}: the file must end in .yaml or .json")
        raise typer.Exit(2)
    if regions > MAX_REGIONS:
        err.print(f"[bold red]error[/]: --regions {regions}: at most {MAX_REGIONS}")
        raise typer.Exit(2)
    with _reported():
        check_file(out_file)
        data = synthetic(requests, seed, profile, regions)
        write_scenario(data, out_file)
    out.print(
        f"wrote {out_file}: {len(data['requests'])} requests, {len(data['units'])} units, "
        f"{len(data['people'])} people (seed {seed}, {profile})",
        highlight=False,
    )


def _summary(plan, stats: dict) -> None:
    approved = plan.approved
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    table = Table(title=f"{plan.scenario} ({plan.policy})", show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("requests", str(len(plan.decisions)))
    table.add_row("approved", str(len(approved)))
    table.add_row("delegations", str(len(plan.delegations)))
    by_rule = Counter(d.reasons[0].rule for d in rejected if d.reasons)
    table.add_row("rejected", str(len(rejected)))
    for rule, n in by_rule.most_common():
        table.add_row(f"  {rule}", str(n))
    table.add_row("soft costs", str(sum(c.cost for c in plan.costs)))
    table.add_row("status", str(plan.status))
    if plan.bound is None:  # the clerk's plan (--method greedy) has no bound
        table.add_row("objective", f"{plan.objective} (first come, first served)")
    else:
        table.add_row("objective / bound", f"{plan.objective} / {plan.bound}")
        table.add_row("gap", f"{(plan.gap or 0):.2%}")
    table.add_row("time", f"{plan.solve_seconds:.1f} s")
    table.add_row(
        "model", f"{stats.get('variables', 0)} variables, {stats.get('constraints', 0)} constraints"
    )
    out.print(table)


@app.command()
def audit(
    scenario: Annotated[Path, typer.Argument(help="The scenario the plan was made for.")],
    plan: Annotated[Path, typer.Argument(help="A plan.json to check.")],
) -> None:
    """Check a plan against every hard rule, without the solver (exit 1 on violations)."""
    from models.audit import Auditor
    from models.loading import load_plan

    try:
        loaded = _load(scenario)
        the_plan = load_plan(plan, loaded.scenario.name)
    except InputError as exc:
        raise _fail(exc) from None
    report = Auditor(loaded.scenario, loaded.policy).audit(the_plan)
    if report.violations:
        table = Table(title=f"{len(report.violations)} violation(s)")
        for col in ("rule", "article", "requests", "what", "with"):
            table.add_column(col)
        for v in report.violations:
            table.add_row(v.rule, v.citation, ", ".join(v.requests), v.message, ", ".join(v.with_))
        out.print(table)
        raise typer.Exit(1)
    used = ", ".join(f"{e.request}/{e.rule}" for e in report.exceptions_used) or "none"
    out.print(
        f"[green]ok[/]: {len(the_plan.delegations)} delegations, every hard rule of "
        f"{loaded.policy.id} holds; exceptions used: {used}",
        highlight=False,
    )


Lang = Annotated[str, typer.Option("--lang", help="Language of messages: en, zh or vi.")]


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh", "vi"):
        err.print(f"[bold red]error[/]: --lang must be en, zh or vi, not {lang!r}")
        raise typer.Exit(2)


@app.command()
def explain(
    plan: Annotated[Path, typer.Argument(help="A plan.json written by solve.")],
    request: Annotated[str | None, typer.Argument(help="One request id (default: all).")] = None,
    lang: Lang = "en",
) -> None:
    """Why requests were rejected: rule, article, rivals, and checked repairs."""
    from delegplan.views import decision_story, rejections_table
    from models.loading import load_plan

    _check_lang(lang)
    try:
        the_plan = load_plan(plan)
    except InputError as exc:
        raise _fail(exc) from None
    if request is None:
        out.print(rejections_table(the_plan, lang))
        return
    decision = the_plan.decision(request)
    if decision is None:
        raise _fail(InputError([Problem(str(plan), f"request {request}", "", "not in this plan")]))
    out.print(decision_story(the_plan, decision, lang))


@app.command()
def check(
    scenario: Annotated[Path, typer.Argument(help="The scenario (YAML/JSON file or folder).")],
    request: Annotated[
        str, typer.Argument(help="A request id of the scenario, or a file holding a new request.")
    ],
    plan: Annotated[
        Path | None, typer.Option("--plan", help="An approved plan.json to check against.")
    ] = None,
    lang: Lang = "en",
) -> None:
    """Intake: is a request eligible, what quota is left, when it fits (exit 1 if it does not)."""
    from delegplan.views import intake_view
    from models.loading import load_plan, load_scenario, load_with_request
    from solver.intake import check_request

    _check_lang(lang)
    try:
        if Path(request).is_file():
            loaded, request_id = load_with_request(scenario, request)
            _warn(loaded.warnings)
        else:
            loaded = load_scenario(scenario)
            _warn(loaded.warnings)
            request_id = request
            if request_id not in loaded.scenario.request_by_id:
                raise InputError(
                    [
                        Problem(
                            str(loaded.path),
                            f"request {request_id}",
                            "",
                            "no such request (give an id of the scenario or a request file)",
                        )
                    ]
                )
        the_plan = load_plan(plan, loaded.scenario.name) if plan else None
    except InputError as exc:
        raise _fail(exc) from None
    report = check_request(loaded.scenario, loaded.policy, request_id, the_plan)
    out.print(intake_view(report, lang, the_plan is not None))
    if not report.eligible or (the_plan is not None and not report.fits_on):
        raise typer.Exit(1)


@app.command()
def merge(
    scenario: Annotated[Path, typer.Argument(help="The scenario (YAML/JSON file or folder).")],
    plan: Annotated[
        Path | None, typer.Option("--plan", help="A plan.json: mark the merges it took.")
    ] = None,
    lang: Lang = "en",
) -> None:
    """Suggested composite delegations, what each saves, and what stops the others."""
    from delegplan.views import merges_view
    from models.loading import load_plan
    from solver.merge import suggest

    _check_lang(lang)
    try:
        loaded = _load(scenario)
        the_plan = load_plan(plan, loaded.scenario.name) if plan else None
    except InputError as exc:
        raise _fail(exc) from None
    out.print(merges_view(suggest(loaded.scenario, loaded.policy), the_plan, lang))


@app.command()
def diff(
    before: Annotated[Path, typer.Argument(help="A plan.json: the approved plan, say.")],
    after: Annotated[Path, typer.Argument(help="Another plan.json of the same scenario.")],
    lang: Lang = "en",
) -> None:
    """What changed from one plan to another: decisions, delegations, dates, countries, heads."""
    from delegplan.views import differences_view
    from models.loading import load_plan
    from models.plan import differences

    _check_lang(lang)
    try:
        old = load_plan(before)
        new = load_plan(after, old.scenario)
    except InputError as exc:
        raise _fail(exc) from None
    out.print(differences_view(differences(old, new), lang))


@app.command()
def rules(
    policy: Annotated[str, typer.Option(help="A built-in profile id.")] = "changchun-2020",
    lang: Lang = "en",
) -> None:
    """List every rule with its article and its severity in a profile."""
    from models.catalogue import rule_catalogue
    from models.policy import builtin_policy
    from models.text import T

    _check_lang(lang)
    try:
        p = builtin_policy(policy)
    except KeyError:
        err.print(f"[bold red]error[/]: unknown profile {policy!r}")
        raise typer.Exit(2) from None
    table = Table(title=T("rules of {policy}", policy=p.id).render(lang))
    for col in (T("rule"), T("article"), T("severity"), T("title")):
        table.add_column(col.render(lang), overflow="fold")
    for info in rule_catalogue().values():
        setting = p.rule(info.id)
        sev = f"soft({setting.weight})" if setting.soft else setting.severity
        table.add_row(info.id, info.citation, sev, info.title_in(lang))
    out.print(table)


def _tolerant_streams() -> None:
    """Let a character the terminal's encoding lacks print as "?" rather than end the
    command with a traceback. Why: names come in Chinese and Vietnamese, and not every
    terminal takes both; a Chinese Windows console redirected to a file writes GBK, which
    has no ơ, ư or đ, and a bare "C" locale with ``PYTHONIOENCODING=ascii`` takes neither.
    The files the commands write are UTF-8 whatever the terminal."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")


def main() -> None:
    """Console entry point."""
    _tolerant_streams()
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
