"""Independent parts of a model: requests no constraint links, searched one part at a time.

Two requests are in one part when some constraint of the built model mentions variables
of both, directly or through auxiliary variables (a clash literal, a quota count). This
is read off the CP-SAT model itself rather than from a list of what rules share (a
person, a unit budget, a quota, a country in overlapping weeks), so a new rule, a rule
switched off or an exception changes the parts without anyone updating this module. A
rule that adds up over the whole plan (a total budget) links every request: one part.

Parts are grouped so that none is tiny (a part costs a model, a relaxation and a search
of its own): components smaller than ``MIN_PART`` requests are packed together, in
request order, which keeps the split deterministic; a last batch still under ``MIN_PART``
joins the part before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from networkx.utils import UnionFind

from models.loading import LoadedScenario
from models.plan import Status
from solver.proto import plain_proto, references, value_range

if TYPE_CHECKING:  # annotations only
    from solver.build import Prepared
    from solver.model import ModelContext

#: components below this many requests are packed together into one part
MIN_PART = 50


def _meeting(intervals: list[int], reach: dict[int, tuple[int, int]]) -> list[list[int]]:
    """The intervals of a no-overlap in groups whose reachable spans chain together.

    Two stays in one country can only compete if the days they could take meet; a
    country visited in spring and again in autumn does not tie the two trips together.
    """
    spans = sorted((reach[i][0], reach[i][1], i) for i in intervals)
    groups: list[list[int]] = []
    last = None
    for low, high, i in spans:
        if last is None or low >= last:
            groups.append([])
            last = high
        groups[-1].append(i)
        last = max(last, high)
    return groups


def independent_parts(m: ModelContext) -> list[list[str]]:
    """The requests of ``m``'s scenario split into parts no constraint links, in order.

    Requests without variables (screened out before the model) join the first part.
    """
    proto = plain_proto(m.model)
    links = UnionFind()
    owner: dict[int, str] = {}  # variable index -> a request it belongs to
    for c in m.candidates:
        first = c.request_ids[0]
        links.union(*(("r", rid) for rid in c.request_ids))
        for var in (m.form[c.id], m.start[c.id]):
            owner[var.index] = first
    for rid, lit in m.approve.items():
        owner[lit.index] = rid
    for index, variable in owner.items():
        links.union(("v", index), ("r", variable))
    interval_vars: dict[int, list[int]] = {}
    reach: dict[int, tuple[int, int]] = {}  # interval -> earliest start, latest end
    for index, ct in enumerate(proto.constraints):
        if ct.HasField("interval"):
            found: list[int] = []
            references(ct, found, [])
            interval_vars[index] = found
            reach[index] = (
                value_range(ct.interval.start, proto)[0],
                value_range(ct.interval.end, proto)[1],
            )
    for ct in proto.constraints:
        variables: list[int] = []
        intervals: list[int] = []
        if ct.HasField("no_overlap"):  # only intervals that can meet are linked
            for group in _meeting(list(ct.no_overlap.intervals), reach):
                linked = [v for i in group for v in interval_vars.get(i, ())]
                if len(linked) > 1:
                    links.union(*(("v", v) for v in linked))
            continue
        references(ct, variables, intervals)
        for i in intervals:
            variables.extend(interval_vars.get(i, ()))
        if len(variables) > 1:
            links.union(*(("v", v) for v in variables))
    groups: dict[Any, list[str]] = {}
    loose: list[str] = []
    for r in m.scenario.requests:
        if ("r", r.id) in links.parents:
            groups.setdefault(links[("r", r.id)], []).append(r.id)
        else:
            loose.append(r.id)
    components = list(groups.values())
    return _pack(components, loose)


def _pack(components: list[list[str]], loose: list[str]) -> list[list[str]]:
    """Large components alone, small ones packed together up to ``MIN_PART`` requests."""
    parts: list[list[str]] = []
    batch: list[str] = []
    for ids in components:
        if len(ids) >= MIN_PART:
            parts.append(ids)
            continue
        batch.extend(ids)
        if len(batch) >= MIN_PART:
            parts.append(batch)
            batch = []
    if batch and parts and len(batch) < MIN_PART:
        parts[-1] = parts[-1] + batch  # too small for a model of its own
    elif batch:
        parts.append(batch)
    if not parts:
        return [loose] if loose else []
    parts[0] = parts[0] + loose
    return parts


def sub_scenario(loaded: LoadedScenario, ids: list[str]) -> LoadedScenario:
    """The scenario with only these requests (people, units, history, catalogue kept)."""
    s = loaded.scenario
    keep = set(ids)
    fields = {name: getattr(s, name) for name in type(s).model_fields}
    fields["requests"] = tuple(r for r in s.requests if r.id in keep)
    fields["exceptions"] = tuple(e for e in s.exceptions if e.request in keep)
    return replace(loaded, scenario=type(s)(**fields), warnings=[])


def sub_prepared(prepared: Prepared, ids: list[str]) -> Prepared:
    """``solver.build.Prepared`` narrowed to one part: the same candidate objects and ids."""
    keep = set(ids)
    kept = [c for c in prepared.kept if keep.issuperset(c.request_ids)]
    names = {c.id for c in kept}
    costs = {cid: v for cid, v in prepared.costs.items() if cid in names}
    removed = {rid: v for rid, v in prepared.removed.items() if rid in keep}
    return replace(prepared, kept=kept, costs=costs, removed=removed)


@dataclass
class PartResult:
    """One part's plan: the candidates formed, with their starts, and what was proved."""

    status: Status
    placed: list[tuple[str, int]]
    objective: int | None
    bound: int | None
    stats: dict = field(default_factory=dict)
    interrupted: bool = False
