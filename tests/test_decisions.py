"""Explaining the rejections (``solver.decisions``): in worker processes as in one, and
cut short by Ctrl-C or a small model's limit without losing the plan."""

from __future__ import annotations

import importlib
import os
import signal
import time

import pytest

import solver.decisions as decisions
import solver.explain as explain
import solver.forked as forked
from models.audit import Auditor
from models.loading import load_scenario
from scenarios import bundled_path
from solver import SolveOptions, solve
from solver.candidates import singletons
from solver.explain import Explainer
from solver.local import Undecided
from solver.objective import request_value
from tests.conftest import count_forked_runs

# where the plan is read back and its rejections explained, with the workers it may use
READBACK = importlib.import_module("solver.readback")
OPTIONS = SolveOptions(time_limit=20, seed=1, workers=2, reproducible=True)


def _quick(decision) -> bool:
    """Crowded out, told by the auditor's quick reasons (no minimal conflict)."""
    crowded = [r for r in decision.reasons if r.kind == "crowded_out"]
    return bool(crowded) and not any(r.conflict for r in crowded)


def _full(decision) -> bool:
    return any(r.conflict for r in decision.reasons)


@pytest.fixture(scope="module")
def changchun():
    return load_scenario(bundled_path("changchun-2020"))


def _count_worker_runs(monkeypatch) -> list[bool]:
    """Explain in worker processes from the first rejection on, and record each time
    they did (``_in_workers`` returns None when it falls back to this process)."""
    monkeypatch.setattr(decisions, "PARALLEL_FROM", 1)
    return count_forked_runs(monkeypatch, decisions, "_in_workers")


def test_workers_explain_as_one_process_does(changchun, monkeypatch) -> None:
    ran = _count_worker_runs(monkeypatch)
    asked = []
    real = decisions.explain_all

    def keep(state, jobs, limit, workers, on_done, on_repaired=None):
        asked.append((state, jobs, limit))
        return real(state, jobs, limit, workers, on_done, on_repaired)

    monkeypatch.setattr(decisions, "explain_all", keep)
    monkeypatch.setattr(READBACK, "worker_count", lambda requested: 2)
    told: list = []
    shared = solve(changchun, OPTIONS, on_explained=told.append).plan
    assert ran == [True, True]  # the workers gave the reasons, then the repairs
    state, jobs, limit = asked[0]
    counted: list[int] = []
    alone = real(state, jobs, limit, 1, counted.append)  # the same rejections, here
    assert ran == [True, True]
    rejected = [d for d in shared.decisions if d.status == "rejected"]
    by_request = {d.request: d for d in rejected}
    assert sorted(by_request) == sorted(job.request.id for job in jobs)
    assert [by_request[job.request.id].model_dump() for job in jobs] == [
        d.model_dump() for d in alone
    ]
    # explained the most valuable first, the plan's decisions in the file's order
    values = [request_value(job.request, changchun.policy) for job in jobs]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    order = [r.id for r in changchun.scenario.requests if r.id in by_request]
    assert [d.request for d in rejected] == order != [job.request.id for job in jobs]
    assert sum(_full(d) for d in rejected) > 20 and not any(_quick(d) for d in rejected)
    # how far it is, for the progress line: one by one here, batch by batch in workers,
    # on the solve's clock after the search; the reasons, then the repairs
    assert counted == list(range(len(jobs) + 1))
    done = [e.done for e in told]
    assert done[0] == 0 and done[-1] == len(jobs) and done == sorted(done) and len(done) > 2
    repaired = [e.repaired for e in told if e.repaired]
    assert repaired == sorted(repaired) and repaired[-1] == len(jobs)
    assert all(e.done == len(jobs) for e in told if e.repaired)
    assert {e.total for e in told} == {len(jobs)}
    seconds = [e.seconds for e in told]
    assert seconds == sorted(seconds) and seconds[0] >= (shared.solve_seconds or 0) > 0


def test_quick_reasons_in_workers_are_the_ones_given_in_one_process(changchun, monkeypatch) -> None:
    # ``--explain-limit 0`` (quick reasons only, from ``QUICK_PARALLEL_FROM`` rejections in
    # worker processes): the same decisions, in the same order, as one process gives
    monkeypatch.setattr(decisions, "QUICK_PARALLEL_FROM", 1)
    ran = count_forked_runs(monkeypatch, decisions, "_in_workers")
    asked = []
    real = decisions.explain_all

    def keep(state, jobs, limit, workers, on_done, on_repaired=None):
        asked.append((state, jobs))
        return real(state, jobs, limit, workers, on_done, on_repaired)

    monkeypatch.setattr(decisions, "explain_all", keep)
    monkeypatch.setattr(READBACK, "worker_count", lambda requested: 2)
    options = SolveOptions(time_limit=20, seed=1, workers=2, reproducible=True, explain_limit=0)
    shared = solve(changchun, options).plan
    assert ran == [True]  # the workers did decide
    state, jobs = asked[0]
    counted: list[int] = []
    alone = real(state, jobs, 0, 1, counted.append)
    assert ran == [True] and counted == list(range(len(jobs) + 1))
    rejected = {d.request: d for d in shared.decisions if d.status == "rejected"}
    assert [rejected[job.request.id].model_dump() for job in jobs] == [
        d.model_dump() for d in alone
    ]
    assert len(rejected) == len(jobs)
    assert sum(_quick(d) for d in rejected.values()) > 20
    assert not any(_full(d) for d in rejected.values())
    assert Auditor(changchun.scenario, changchun.policy).audit(shared).violations == []


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_while_explaining_gives_quick_reasons_for_the_rest(
    changchun, monkeypatch, workers: int
) -> None:
    # The fifth full explanation presses Ctrl-C (from a worker: at the parent, which the
    # terminal would reach too), then gives the parent time to pass it on.
    ran = _count_worker_runs(monkeypatch)
    parent = os.getpid()
    real = decisions.Explaining.reasons
    calls = []

    def pressing(self, job, full):
        if full and job.candidate is not None:
            calls.append(job.request.id)
            if len(calls) == 5:
                os.kill(parent, signal.SIGINT)
                time.sleep(4 * forked.POLL_SECONDS)
        return real(self, job, full)

    monkeypatch.setattr(decisions.Explaining, "reasons", pressing)
    monkeypatch.setattr(READBACK, "worker_count", lambda requested: workers)
    plan = solve(changchun, OPTIONS).plan
    assert ran == ([True] if workers == 2 else [])
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    full = [d for d in rejected if _full(d)]
    quick = [d for d in rejected if _quick(d)]
    assert full and len(quick) >= 10
    assert not any(d.repairs for d in rejected)  # pressed before the repairs' pass
    if workers == 1:  # in turn, the most valuable first: cut short, the least get quick ones
        value = {r.id: request_value(r, changchun.policy) for r in changchun.scenario.requests}
        assert min(value[d.request] for d in full) >= max(value[d.request] for d in quick)
    audit = Auditor(changchun.scenario, changchun.policy).audit(plan)
    assert audit.violations == []


def test_every_rejection_has_its_reasons_before_any_has_repairs(changchun, monkeypatch) -> None:
    """Ctrl-C (as a time limit would) during the repairs' pass: every rejection keeps
    its minimal conflicts, and only those whose repairs were looked for have any, the
    most valuable first."""
    real = decisions.Explaining.repairs
    looked: list[str] = []

    def pressing(self, job, reasoned):
        looked.append(job.request.id)
        if len(looked) == 6:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, job, reasoned)

    monkeypatch.setattr(decisions.Explaining, "repairs", pressing)
    monkeypatch.setattr(READBACK, "worker_count", lambda requested: 1)  # to see ``looked``
    plan = solve(changchun, OPTIONS).plan
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    assert len(rejected) > 20 and not any(_quick(d) for d in rejected)
    assert sum(_full(d) for d in rejected) > 20
    assert len(looked) == 6  # the sixth call pressed it: none after
    repaired = {d.request for d in rejected if d.repairs}
    assert repaired and repaired <= set(looked)
    value = {r.id: request_value(r, changchun.policy) for r in changchun.scenario.requests}
    others = [d.request for d in rejected if d.request not in looked]
    assert min(value[r] for r in looked) >= max(value[r] for r in others)
    assert Auditor(changchun.scenario, changchun.policy).audit(plan).violations == []


def test_the_reasons_pass_ends_at_its_share_of_the_limit(changchun, monkeypatch) -> None:
    """Past ``REASONS_SHARE`` of the limit the rejections still without reasons get quick
    ones (here all: a share of none), and the repairs' pass still has the rest: the
    requests that break a rule on their own, which need no small model for their
    reasons, get their repairs."""
    monkeypatch.setattr(decisions, "REASONS_SHARE", 0.0)
    monkeypatch.setattr(READBACK, "worker_count", lambda requested: 1)
    options = SolveOptions(time_limit=20, seed=1, workers=2, explain_limit=600)
    plan = solve(changchun, options).plan
    rejected = [d for d in plan.decisions if d.status == "rejected"]
    quick = [d for d in rejected if _quick(d)]
    assert len(quick) > 20 and not any(_full(d) for d in rejected)
    assert not any(d.repairs for d in quick)
    ineligible = [d for d in rejected if all(r.kind == "ineligible" for r in d.reasons)]
    assert any(d.repairs for d in ineligible)


def test_a_small_model_out_of_time_gives_quick_reasons_not_a_traceback(
    changchun, monkeypatch
) -> None:
    real = decisions.Explainer.crowded_out
    undecided = []

    def sometimes_undecided(self, c):
        if not undecided:
            undecided.append(c.request_ids[0])
            raise Undecided(c.id)
        return real(self, c)

    monkeypatch.setattr(decisions.Explainer, "crowded_out", sometimes_undecided)
    monkeypatch.setattr(READBACK, "worker_count", lambda requested: 1)  # to see ``undecided``
    plan = solve(changchun, OPTIONS).plan
    by_request = {d.request: d for d in plan.decisions}
    told = by_request[undecided[0]]
    assert _quick(told) and not told.repairs
    others = [d for d in plan.decisions if d.status == "rejected" and d.request != undecided[0]]
    assert any(_full(d) for d in others) and not any(_quick(d) for d in others)


def test_quick_reasons_need_no_small_model(changchun, monkeypatch) -> None:
    """The quick path is the fallback when a small model runs out of time, so it must not
    build one: where the auditor finds the preferred start free, that start is the one a
    small model would find, and it is taken as is."""
    s, p = changchun.scenario, changchun.policy
    explainer = Explainer(s, p, [], optimal=False, static_costs={})
    told = {c.id: explainer.quick(c) for c in singletons(s)}
    free = [c for c in singletons(s) if told[c.id][0].kind == "time_limit"]
    assert len(free) >= 10
    for c in free:  # the same reason, date included, as the small model's fit gives
        assert told[c.id] == [explainer._free_but_left_out(c)], c.id

    def out_of_time(*args, **kwargs):
        raise Undecided("any")

    monkeypatch.setattr(explain, "fit", out_of_time)
    assert all(explainer.quick(c) == told[c.id] for c in free)
