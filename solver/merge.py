"""Composite delegations: which requests could travel together, and what merging saves.

The regulations ask planners to merge requests "with overlapping destinations and similar
tasks, or the same time and a convenient route" (002 I.2; 000 §2(二) and annex 2) so that
fewer leaders go to one place and money is saved (RULES.md, MERGE).

1. :func:`compatibility_graph` (networkx): requests are nodes; an edge joins two requests
   that could form one delegation: both ``mergeable``, on one continent, sharing a
   country or a theme, and whose merged trip passes every hard static rule (windows that
   overlap by the merged trip's length, the country limit, headcount, no two leaders of
   a unit, the unit cap, catalogue items never mixed ...), and that saves money by the
   estimate of :func:`savings` (a merge makes everyone travel the whole, longer trip:
   one that costs more than the requests apart is not what the regulations ask for).
2. :func:`composite_groups`: the edges (pairs) and the cliques of up to ``MAX_SIZE``
   (4) requests whose pairs are all compatible, each re-checked as one merged trip. To keep
   their number in check on large scenarios, each request keeps only its
   ``partners`` best-matching partners (most shared countries and themes, then the
   widest common window), and groups are capped at ``limit_per_request`` times the
   number of requests.
3. The groups become candidates beside the lone requests; the CP-SAT model then chooses
   merges jointly with dates and approvals (``approve[r]`` is the sum of the forms of the
   candidates holding ``r``, so a request is in one delegation at most).
4. :func:`savings`: what a composite delegation saves against its requests going alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np

from models.geography import country
from models.plan import Savings
from models.policy import Policy
from models.scenario import Request, Scenario
from solver.candidates import Candidate, make_candidate
from solver.forked import forked_map
from solver.rules import Context, Finding
from solver.rules.base import T
from solver.screening import HardScreen

#: partners kept per request, and groups allowed per request, on large scenarios
PARTNERS = 6
LIMIT_PER_REQUEST = 3
MAX_SIZE = 4
#: similar pairs checked per request when building the model (``compatibility_graph``)
TRIES = 4 * PARTNERS
#: Pairs to check before worker processes pay off (forking one takes milliseconds; a
#: pair takes about 0.12 ms), and pairs per batch sent to a worker.
PARALLEL_FROM = 2000
BATCH = 1000


def _continents(r: Request) -> set[str]:
    return {country(code).continent for code in r.countries}


def _affinity(a: Request, b: Request) -> int:
    return len(set(a.countries) & set(b.countries)) + len(set(a.themes) & set(b.themes))


@dataclass(frozen=True)
class Refusal:
    """Why two similar requests may not merge: the first rule the merged trip breaks."""

    requests: tuple[str, str]
    finding: Finding


def compatibility_graph(
    scenario: Scenario,
    policy: Policy,
    requests: Iterable[Request],
    tries: int | None = None,
    workers: int = 1,
) -> tuple[nx.Graph, list[Refusal]]:
    """The graph of requests that could travel together, and the similar pairs refused.

    Similar: on one continent, sharing a country or a theme, with windows that overlap.
    Each pair is checked by building the merged trip and screening it (the slow part). With
    ``tries``, each request's partners are tried most similar first and no more than
    ``tries`` pairs a request are checked: the model keeps only a request's best
    ``PARTNERS`` anyway (``composite_groups``), and on thousands of requests checking every
    similar pair costs most of the model's building time. Without it (``delegplan merge``),
    every similar pair is checked, so every refusal is listed. From ``PARALLEL_FROM``
    pairs the checks are shared out to ``workers`` forked processes (``solver.forked``);
    the graph is the same.
    """
    requests = [r for r in requests if r.mergeable]
    graph = nx.Graph()
    graph.add_nodes_from(r.id for r in requests)
    by_continent: dict[str, list[Request]] = {}
    for r in requests:
        continents = _continents(r)
        if len(continents) == 1:
            by_continent.setdefault(next(iter(continents)), []).append(r)
    pairs = [pair for group in by_continent.values() for pair in _similar_pairs(group, tries)]
    check = PairCheck(scenario, policy)
    verdicts = None
    if workers > 1 and len(pairs) >= PARALLEL_FROM:
        verdicts = forked_map(
            lambda first, end: [check(a, b) for a, b in pairs[first:end]],
            len(pairs),
            workers,
            BATCH,
        )
    if verdicts is None:
        verdicts = [check(a, b) for a, b in pairs]
    refused: list[Refusal] = []
    for (a, b), verdict in zip(pairs, verdicts, strict=True):
        if isinstance(verdict, Finding):
            refused.append(Refusal((a.id, b.id), verdict))
        else:
            graph.add_edge(a.id, b.id, affinity=_affinity(a, b), room=verdict)
    return graph, refused


class PairCheck:
    """Whether two similar requests may merge: the first rule their merged trip breaks
    (a ``Finding``), or, if none, the days of room it has to start in."""

    def __init__(self, scenario: Scenario, policy: Policy):
        self.scenario = scenario
        self.use_windows = policy.rule("TIME-WINDOW").on
        self.hard = HardScreen(Context(scenario, policy))

    def __call__(self, a: Request, b: Request) -> Finding | int:
        shared = (min(a.window[1], b.window[1]) - max(a.window[0], b.window[0])).days + 1
        longer = max(a.length, b.length)
        if self.use_windows and shared < longer:  # the merged trip is at least this long
            text = T(
                "the two windows share {shared} days, fewer than the {longer} days of the "
                "longer trip",
                shared=shared,
                longer=longer,
            )
            return Finding("TIME-WINDOW", text, (a.id, b.id))
        merged = make_candidate(self.scenario, (a, b), self.use_windows)
        finding = self.hard.first(merged)  # the one a refusal names
        if finding is not None:
            return finding
        saved = savings(merged, self.scenario).cost
        if saved < 0:  # a longer trip for everyone that costs more than it saves
            text = T(
                "merged, the trip would cost an estimated {more} more than the two apart",
                more=-saved,
            )
            return Finding("MERGE", text, (a.id, b.id))
        return merged.latest - merged.earliest


def _similar_pairs(group: list[Request], tries: int | None) -> Iterator[tuple[Request, Request]]:
    """Pairs of one continent sharing a country or a theme, with overlapping windows.

    In input order when every pair is checked; most similar first when ``tries`` bounds
    the checks, and only pairs whose requests are both in fewer than ``tries`` pairs
    before (so the bound drops the least similar pairs).

    The pairs are counted in arrays (numpy): a pair's similarity is how many country and
    theme lists hold both, and at 20,000 requests the lists hold 4 million pairs, which
    took 32.5 s as a dictionary of pairs and take 3.5 s so (the same pairs, in the same
    order: ``tests/test_merge.py``).
    """
    size = len(group)
    keys: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, r in enumerate(group):
        for code in r.countries:
            keys[("country", code)].append(k)
        for theme in dict.fromkeys(r.themes):
            keys[("theme", theme)].append(k)
    codes = [np.zeros(0, dtype=np.int64)]
    for members in keys.values():
        ks = np.asarray(members, dtype=np.int64)
        first, second = np.triu_indices(len(ks), 1)  # as ``combinations``: in list order
        codes.append(ks[first] * size + ks[second])
    pairs, affinity = np.unique(np.concatenate(codes), return_counts=True)  # by (i, j)
    i, j = pairs // size, pairs % size
    starts = np.array([r.window[0].toordinal() for r in group], dtype=np.int64)
    ends = np.array([r.window[1].toordinal() for r in group], dtype=np.int64)
    overlap = ~((ends[i] < starts[j]) | (ends[j] < starts[i]))
    i, j, affinity = i[overlap], j[overlap], affinity[overlap]
    if tries is None:
        for a, b in zip(i.tolist(), j.tolist(), strict=True):
            yield group[a], group[b]
        return
    order = np.lexsort((j, i, -affinity))  # most similar first, then by (i, j)
    tried = [0] * size
    for a, b in zip(i[order].tolist(), j[order].tolist(), strict=True):
        if tried[a] < tries and tried[b] < tries:
            tried[a] += 1
            tried[b] += 1
            yield group[a], group[b]


def composite_groups(
    scenario: Scenario,
    policy: Policy,
    graph: nx.Graph,
    partners: int = PARTNERS,
    limit_per_request: int = LIMIT_PER_REQUEST,
) -> list[tuple[str, ...]]:
    """Pairs, triples and fours of the graph worth offering the model, best first, bounded."""
    keep = nx.Graph()
    keep.add_nodes_from(graph)
    for node in sorted(graph):
        ranked = sorted(
            graph[node].items(),
            key=lambda kv: (-kv[1]["affinity"], -kv[1]["room"], kv[0]),
        )
        for other, data in ranked[:partners]:
            keep.add_edge(node, other, **data)
    groups: list[tuple[str, ...]] = [tuple(sorted(e)) for e in keep.edges]
    hard = HardScreen(Context(scenario, policy))
    use_windows = policy.rule("TIME-WINDOW").on
    for clique in nx.enumerate_all_cliques(keep):  # by size: pairs first, then larger
        if len(clique) < 3:
            continue
        if len(clique) > MAX_SIZE:
            break
        group = tuple(sorted(clique))
        merged = make_candidate(
            scenario, tuple(scenario.request_by_id[r] for r in group), use_windows
        )
        if hard.first(merged) is None and savings(merged, scenario).cost >= 0:
            groups.append(group)
    groups.sort(key=lambda g: (len(g), g))
    return groups[: limit_per_request * max(1, graph.number_of_nodes())]


def composite_candidates(
    scenario: Scenario, policy: Policy, eligible: list[Candidate], workers: int = 1
) -> list[Candidate]:
    """Merged candidates of the eligible lone requests (none when MERGE is off); the
    pairs are checked by ``workers`` processes."""
    if not policy.rule("MERGE").on:
        return []
    requests = [c.requests[0] for c in eligible if len(c.requests) == 1]
    graph, _ = compatibility_graph(scenario, policy, requests, tries=TRIES, workers=workers)
    use_windows = policy.rule("TIME-WINDOW").on
    return [
        make_candidate(scenario, tuple(scenario.request_by_id[r] for r in group), use_windows)
        for group in composite_groups(scenario, policy, graph)
    ]


def savings(c: Candidate, scenario: Scenario) -> Savings:
    """What a composite delegation saves against its requests going alone.

    Delegations: one instead of k. Leader-trips: leaders (``leadership``) named by several
    of the requests travel once instead of once per request. Travel days: the requests'
    travel days minus the merged trip's. Cost: each request's cost is spread over its
    person-days; a merged
    traveller costs their request's rate per day of the merged trip, once, however many
    requests name them; the saving is the requests' total minus that estimate.
    """
    people = scenario.person_by_id
    k = len(c.requests)
    seen: dict[str, int] = {}
    for r in c.requests:
        for pid in r.travellers:
            seen[pid] = seen.get(pid, 0) + 1
    leader_trips = sum(n - 1 for pid, n in seen.items() if people[pid].leadership)
    travel = sum(r.travel_days for r in c.requests) - c.travel_days
    alone = sum(r.cost for r in c.requests)
    rate: dict[str, float] = {}
    for r in c.requests:
        per_day = r.cost / max(1, len(r.travellers) * r.length)
        for pid in r.travellers:
            rate.setdefault(pid, per_day)
    merged = sum(rate[pid] * c.length for pid in c.travellers)
    return Savings(
        delegations=k - 1,
        leader_trips=leader_trips,
        travel_days=travel,
        cost=round(alone - merged),
    )


@dataclass(frozen=True)
class Suggestion:
    """A composite delegation the rules allow, with what it would save."""

    requests: tuple[str, ...]
    head: str
    countries: tuple[str, ...]
    savings: Savings


def suggest(scenario: Scenario, policy: Policy) -> tuple[list[Suggestion], list[Refusal]]:
    """Every merge offered to the model, and the similar pairs a hard rule refuses."""
    from solver.candidates import singletons
    from solver.screening import screen

    eligible = screen(
        singletons(scenario, policy.rule("TIME-WINDOW").on), Context(scenario, policy)
    )
    requests = [c.requests[0] for c in eligible.kept]
    graph, refused = compatibility_graph(scenario, policy, requests)
    use_windows = policy.rule("TIME-WINDOW").on
    out = []
    for group in composite_groups(scenario, policy, graph):
        c = make_candidate(scenario, tuple(scenario.request_by_id[r] for r in group), use_windows)
        out.append(Suggestion(group, c.head, c.countries, savings(c, scenario)))
    return out, refused
