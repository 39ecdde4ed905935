"""Repairs: the smallest changes that would get a rejected request approved.

For each rejected request we try, in order of how little they disturb the plan:

1. ``move_window``: the request on dates outside its window (the unit asks to go then);
2. ``drop_member``: leave out a traveller who is busy, out of quota, or breaks a group rule;
3. ``split_country``: drop a country the plan cannot fit or the rules refuse;
4. ``exception``: individual approval against a named rule (the regulations allow it:
   "个案审批", 000 §1; "trường hợp đặc biệt", 002);
5. ``move_rival``: move an approved trip that stands in the way, inside its own window;
6. ``reject_rival``: reject an approved trip in the request's favour.

When no single rival moved or rejected is enough (a request kept out by a quota and a
budget at once), one more re-solve lets every trip around the request move or go and
finds the fewest that must (rejections first, then moves, then days).

Each option is checked by a re-solve (``solver.local.fit``: the request forced in, the
plan's other trips pinned, every hard rule posted) before it is shown; the first three
that hold, best first, are kept. The changed request must also pass every static check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from models.catalogue import rule_info
from models.plan import Move, Repair
from models.policy import Policy
from models.scenario import Request, Scenario
from models.text import Place, T, Text, render_all
from solver.candidates import Candidate, Placed, day_date, day_number, make_candidate
from solver.local import Conflict, TripIndex, fit, neighbours
from solver.rules import Context, Finding
from solver.screening import static_findings

#: rules whose findings a smaller group can cure
_MEMBER_RULES = {
    "PERS-LEADERSHIP",
    "PERS-UNIT-CAP",
    "PERS-SIZE",
    "PERS-RELEVANT",
    "PERS-DUAL",
    "FREQ-RANK",
    "PERS-BUSY",
}
#: rules whose findings fewer countries can cure
_COUNTRY_RULES = {
    "GEO-ONE-CONTINENT",
    "GEO-MAX-COUNTRIES",
    "TASK-MIN",
    "TIME-PER-COUNTRY",
    "TIME-WINDOW",
    "GEO-SAME-COUNTRY",
    "GEO-CONTROLLED-REGION",
}
#: no exception can make a person be in two places, and a date outside the window is
#: the ``move_window`` repair, not an exception
_NOT_WAIVABLE = {"PERS-BUSY", "TIME-WINDOW"}
_KIND_ORDER = (
    "move_window",
    "drop_member",
    "split_country",
    "exception",
    "move_rival",
    "reject_rival",
)
MAX_REPAIRS = 3


@dataclass
class _Option:
    kind: str
    change: dict[str, str]
    describe: Text  # what to do; the dates are added once the re-solve found them
    focus: Candidate
    free: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    waivers: frozenset[tuple[str, str]] = frozenset()
    target: tuple[int, int] | None = None
    rejected: tuple[Placed, ...] = ()
    moving: tuple[Placed, ...] = ()

    @property
    def aside(self) -> frozenset[str]:
        """The trips this option rejects, set aside before its re-solve."""
        return frozenset(p.id for p in self.rejected)

    @property
    def rank(self) -> tuple[int, int, int]:
        """What is known before solving: trips rejected, trips moved, kind."""
        order = _KIND_ORDER.index(self.kind) if self.kind in _KIND_ORDER else len(_KIND_ORDER)
        return (len(self.rejected), len(self.moving), order)


class Repairer:
    """Finds up to three checked repairs for each rejected request of one plan."""

    def __init__(self, scenario: Scenario, policy: Policy, placed: list[Placed]):
        self.scenario = scenario
        self.policy = policy
        self.placed = placed
        #: the plan indexed once for every small model's neighbours (``solver.local``)
        self.index = TripIndex(placed)
        #: a planned trip's name in a repair's moves: its requests
        self.names = {p.id: "/".join(p.candidate.request_ids) for p in placed}
        self.use_windows = policy.rule("TIME-WINDOW").on

    # ---- the options --------------------------------------------------------------

    def _static_ok(self, c: Candidate, waivers: frozenset[tuple[str, str]]) -> bool:
        """True when the changed candidate passes every hard static check."""
        return not static_findings(c, Context(self.scenario, self.policy, waivers))[0]

    def _changed(self, request: Request, **update) -> Candidate:
        changed = request.model_copy(update=update)
        return make_candidate(self.scenario, (changed,), self.use_windows)

    def _options(
        self,
        request: Request,
        base: Candidate,
        rules: set[str],
        conflicts: list[Conflict],
        people: set[str],
        countries: set[str],
    ) -> Iterator[_Option]:
        year = self.scenario.year
        if self.use_windows:
            last = day_number(year, self.scenario.year_end) - base.length + 1
            lo, hi = day_number(year, request.window[0]), day_number(year, request.window[1])
            widened = replace(base, earliest=0, latest=last)
            if (conflicts or "TIME-WINDOW" in rules) and self._static_ok(widened, frozenset()):
                yield _Option(
                    "move_window",
                    {},
                    T("approve it on dates outside its window"),
                    widened,
                    target=(lo, hi - base.length + 1),
                )
        if rules & _MEMBER_RULES:
            for pid in request.members:
                if people and pid not in people:
                    continue
                focus = self._changed(
                    request, members=tuple(p for p in request.members if p != pid)
                )
                if self._static_ok(focus, frozenset()):
                    yield _Option(
                        "drop_member",
                        {"remove_member": pid},
                        T("leave {person} out of the group", person=pid),
                        focus,
                    )
        if rules & _COUNTRY_RULES and len(request.countries) > 1:
            for code in request.countries:
                if countries and code not in countries:
                    continue
                stops = tuple(s for s in request.stops if s.country != code)
                focus = self._changed(request, stops=stops)
                if self._static_ok(focus, frozenset()):
                    yield _Option(
                        "split_country",
                        {"remove_country": code},
                        T(
                            "drop {country} from the trip (another request can cover it)",
                            country=Place(code),
                        ),
                        focus,
                    )
        waivable = sorted(r for r in rules if r not in _NOT_WAIVABLE)
        if waivable:
            waivers = frozenset((request.id, r) for r in waivable)
            focus = make_candidate(self.scenario, (request,), self.use_windows)
            if self._static_ok(focus, waivers):
                yield _Option(
                    "exception",
                    {"exception": ",".join(waivable)},
                    T(
                        "approve it individually as an exception to {rules}",
                        rules=[
                            T("{rule} ({citation})", rule=r, citation=rule_info(r).citation)
                            for r in waivable
                        ],
                    ),
                    focus,
                    waivers=waivers,
                )
        rivals = list({p.id: p for c in conflicts for p in c.rivals}.values())
        if len(conflicts) == 1:  # with several conflicts no single rival is enough
            for rival in rivals:
                yield _Option(
                    "move_rival",
                    {"move": "/".join(rival.candidate.request_ids)},
                    T("move {rival}", rival="/".join(rival.candidate.request_ids)),
                    base,
                    free=frozenset({rival.id}),
                    moving=(rival,),
                )
            for rival in rivals:
                yield _Option(
                    "reject_rival",
                    {"reject": "/".join(rival.candidate.request_ids)},
                    T(
                        "reject {rivals} in its favour",
                        rivals=["/".join(rival.candidate.request_ids)],
                    ),
                    base,
                    rejected=(rival,),
                )

    # ---- checking and ranking -----------------------------------------------------

    def repairs(
        self,
        request: Request,
        candidate: Candidate | None,
        findings: list[Finding],
        conflicts: list[Conflict],
    ) -> list[Repair]:
        """Up to three repairs that a re-solve proved would get ``request`` approved."""
        base = candidate or make_candidate(self.scenario, (request,), self.use_windows)
        rules = {f.rule for f in findings} | {r for c in conflicts for r in c.rules}
        people: set[str] = set()
        countries: set[str] = set()
        for conflict in conflicts:
            for p in conflict.rivals:
                people.update(set(p.candidate.travellers) & set(base.travellers))
                countries.update(set(p.candidate.countries) & set(base.countries))
        options = sorted(
            self._options(request, base, rules, conflicts, people, countries),
            key=lambda o: o.rank,
        )
        found: list[tuple[tuple, Repair]] = []
        failed: list[_Option] = []

        def keep(repair: Repair) -> None:
            rejected = sum(1 for m in repair.moves if m.after is None)
            moved = len(repair.moves) - rejected
            order = _KIND_ORDER.index(repair.kind) if repair.kind in _KIND_ORDER else 9
            found.append(((rejected, moved, order, _shift(repair, request)), repair))
            found.sort(key=lambda kr: kr[0])

        for option in options:
            if len(found) >= MAX_REPAIRS and option.rank > found[MAX_REPAIRS - 1][0][:3]:
                break
            repair = self._check(request, option)
            if repair is not None:
                keep(repair)
            elif not option.moving and not option.rejected:
                failed.append(option)
        if not any(r.kind in ("move_rival", "reject_rival") for _, r in found):
            # no single change is enough: let the trips around it move or go as well
            tries = [o for o in failed if o.kind != "move_window"][:2]
            if conflicts:
                tries.insert(0, _Option("reject_rival", {}, Text("make room"), base))
            for option in tries:
                if len(found) >= MAX_REPAIRS:
                    break
                repair = self._check(request, self._with_room(option))
                if repair is not None:
                    keep(repair)
        return _undominated([r for _, r in found])[:MAX_REPAIRS]

    def _with_room(self, option: _Option) -> _Option:
        """The option, with every trip around the request free to move or be rejected."""
        around = frozenset(
            p.id
            for p in neighbours(
                [option.focus],
                self.placed,
                self.scenario,
                self.policy,
                self.index,
                aside=option.aside,
            )
        )
        return replace(option, free=around, optional=around)

    def _check(self, request: Request, option: _Option) -> Repair | None:
        where = fit(
            self.scenario,
            self.policy,
            option.focus,
            self.placed,
            free=option.free,
            optional=option.optional,
            target=option.target,
            waivers=option.waivers,
            index=self.index,
            aside=option.aside,
        )
        if where is None:
            return None
        if option.moving and not where.moved:
            return None  # it fits without moving the rival: not this repair
        year = self.scenario.year
        first = day_date(year, where.start)
        last = day_date(year, where.start + option.focus.length - 1)
        moves = [
            Move(
                request="/".join(p.candidate.request_ids),
                before=day_date(year, p.start),
                after=None,
            )
            for p in (*option.rejected, *where.rejected)
        ]
        for pid, (before, after) in where.moved.items():
            moves.append(
                Move(
                    request=self.names.get(pid, pid),  # a delegation by its requests, as rejections
                    before=day_date(year, before),
                    after=day_date(year, after),
                )
            )
        change = dict(option.change)
        kind = option.kind
        if option.optional:  # room was made: say what the re-solve chose
            gone = [m.request for m in moves if m.after is None]
            shifted = [m.request for m in moves if m.after is not None]
            if gone:
                change["reject"] = ",".join(gone)
            if shifted:
                change["move"] = ",".join(shifted)
            room = _room_text(moves)
            if kind in ("move_rival", "reject_rival"):
                kind = "reject_rival" if gone else "move_rival"
                option = replace(option, describe=room)
            elif moves:
                option = replace(
                    option, describe=T("{change}, and {room}", change=option.describe, room=room)
                )
        if option.kind == "move_window":
            lo, hi = request.window
            change["window"] = f"{min(lo, first)}..{max(hi, last)}"
        text = T(
            "{action}; it can then go from {first} to {last}",
            action=option.describe,
            first=first,
            last=last,
        )
        if option.moving and len(moves) == 1 and moves[0].after is not None:
            change["to"] = str(moves[0].after)
            text = T(
                "{action} from {before} to {after}; it can then go from {first} to {last}",
                action=option.describe,
                before=moves[0].before,
                after=moves[0].after,
                first=first,
                last=last,
            )
        return Repair(
            kind=kind,  # type: ignore[arg-type]
            change=change,
            start=first,
            end=last,
            moves=tuple(moves),
            disturbance=len(moves),
            **render_all(text, self.policy.languages),
        )


def _undominated(repairs: list[Repair]) -> list[Repair]:
    """Drop a change-plus-room repair when room alone, moving no more, already does it."""
    plain = [r for r in repairs if r.kind in ("move_rival", "reject_rival")]
    out = []
    for r in repairs:
        mixed = r.kind not in ("move_rival", "reject_rival") and r.moves
        if mixed and any(set(p.moves) <= set(r.moves) for p in plain):
            continue
        out.append(r)
    return out


def _room_text(moves: list[Move]) -> Text:
    gone = [m.request for m in moves if m.after is None]
    shifted = [T("{rival} to {after}", rival=m.request, after=m.after) for m in moves if m.after]
    if gone and shifted:
        return T("reject {rivals} and move {moves}", rivals=gone, moves=shifted)
    if gone:
        return T("reject {rivals} in its favour", rivals=gone)
    return T("move {moves}", moves=shifted)


def _shift(repair: Repair, request: Request) -> int:
    """Days the repair moves the request away from its window (0 inside it)."""
    lo, hi = request.window
    if repair.start < lo:
        return (lo - repair.start).days
    if repair.end > hi:
        return (repair.end - hi).days
    return 0
