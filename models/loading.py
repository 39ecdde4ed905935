"""Reading scenarios, policies and plans from files, with problems located precisely.

YAML is read with libyaml's C loader when PyYAML has it (a 20,000-request scenario in
seconds, not the pure-Python loader's half-minute); JSON with the standard library.
Nothing is ever written back to an input file.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ValidationError

from models.changes import ChangeSet, apply_changes, check_references
from models.errors import InputError, Problem
from models.plan import Plan
from models.policy import Policy, builtin_policy, builtin_policy_path, parse_policy
from models.scenario import Scenario

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C loader when built


class _YamlLoader(_Base):  # type: ignore[misc,valid-type]
    """The safe loader, with an impossible date (2020-02-30) a located YAML error."""


def _timestamp(loader: Any, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"impossible date {node.value!r}: {exc}", node.start_mark
        ) from None


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

#: Inputs larger than this are refused rather than parsed for minutes. 40 MiB holds some
#: 35,000 requests in JSON; ``DELEGPLAN_MAX_INPUT_MB`` raises it for a larger plan.
MAX_INPUT_BYTES = int(float(os.environ.get("DELEGPLAN_MAX_INPUT_MB", "40")) * 2**20)
_CHANGE_TAGS = {"add", "withdraw", "move", "replace_head", "set_stops", "add_member",
                "remove_member"}  # fmt: skip
_RECORD_LISTS = (
    "units",
    "people",
    "history",
    "catalogue",
    "requests",
    "exceptions",
    "decisions",
    "delegations",
)


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with its policy, where it came from, and any warnings."""

    scenario: Scenario
    policy: Policy
    path: Path
    input_hash: str
    warnings: list[Problem] = field(default_factory=list)
    #: history trips read from the plans ``history_from`` names (in ``scenario.history``)
    past_trips: int = 0


def _decoded(raw: bytes, name: str) -> str:
    """The file's text: UTF-8 (a byte-order mark or none), or UTF-16 with its mark.

    Why UTF-16: Windows Notepad's "Unicode" saves it, with a mark that says so; nothing
    else is guessed. A file in GBK (what many editors on Chinese Windows save) or another
    legacy code page is refused, saying where its first byte that is not UTF-8 is and how
    to save the file again: read as GBK, Vietnamese or Western text would come out as
    wrong Chinese without a word."""

    def refused(message: str) -> InputError:
        return InputError([Problem(name, "", "", message)])

    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise refused(f"is not UTF-16 text ({exc.reason})") from None
    if b"\x00" in raw:
        raise refused(
            "holds NUL bytes: not a text file, or UTF-16 without its byte-order mark "
            "(save the file as UTF-8)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        began = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[began : exc.start].decode("utf-8-sig", "replace")) + 1  # characters
        raise refused(
            f"is not UTF-8 text: byte 0x{raw[exc.start]:02X} at line {line}, column {column} "
            "(save the file as UTF-8; editors on Chinese Windows often save GBK)"
        ) from None


def read_data(path: Path) -> tuple[Any, bytes]:
    """Parse a YAML or JSON file; problems name the file (and the line for syntax errors)."""
    name = str(path)
    if not path.exists():
        raise InputError([Problem(name, "", "", "no such file")])
    if path.is_dir():
        raise InputError([Problem(name, "", "", "is a folder, not a file")])
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    "",
                    f"is {size / 2**20:.0f} MiB; inputs over "
                    f"{MAX_INPUT_BYTES / 2**20:.0f} MiB are refused (set DELEGPLAN_MAX_INPUT_MB "
                    "to raise the limit)",
                )
            ]
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError([Problem(name, "", "", "is empty")])
    text = _decoded(raw, name)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_YamlLoader)
    except json.JSONDecodeError as exc:
        msg = f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise InputError([Problem(name, "", "", msg)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError([Problem(name, "", "", f"malformed YAML{where}: {problem}")]) from None
    return data, raw


def _record_name(data: Any, loc: tuple[Any, ...]) -> tuple[str, str]:
    """(record, field) for a pydantic error location in the raw data."""
    if len(loc) >= 2 and loc[0] in ("changes", "pins") and isinstance(loc[1], int):
        label = "change" if loc[0] == "changes" else "pin"
        rest = [p for p in loc[2:] if p not in _CHANGE_TAGS]
        return f"{label} {loc[1] + 1}", _field_path(tuple(rest)) or "op"
    if len(loc) >= 2 and loc[0] in _RECORD_LISTS and isinstance(loc[1], int):
        kind = str(loc[0])
        singular = {"people": "person", "history": "history trip", "catalogue": "catalogue item"}
        label = singular.get(kind, kind.rstrip("s"))
        record = f"{label} #{loc[1] + 1}"
        try:
            item = data[kind][loc[1]]
            if isinstance(item, dict):
                key = item.get("id") or item.get("request") or item.get("person")
                if key:
                    record = f"{label} {key}"
        except (KeyError, IndexError, TypeError):
            pass
        return record, _field_path(loc[2:])
    return "scenario", _field_path(loc)


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validation_problems(
    file: str, data: Any, error: ValidationError, record: str | None = None
) -> list[Problem]:
    """Turn pydantic's errors into problems with a record and a field.

    ``record`` names the record when the whole file is one (a request file: "request N1").
    """
    problems: list[Problem] = []
    for err in error.errors():
        if err["type"] == "too_short" and problems and problems[-1].record:
            continue  # "stops: at least 1 item" after a stop that failed is noise
        loc = tuple(p for p in err["loc"] if p not in ("function-after[_people()]",))
        where, field_name = _record_name(data, loc)
        if record is not None and where == "scenario":
            where = record
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required but missing"
        elif err["type"] == "extra_forbidden":
            message = "is not a known field"
        elif err["type"] == "union_tag_invalid":
            ctx = err.get("ctx", {})
            message = (
                f"unknown {ctx.get('discriminator', 'kind').strip(chr(39))} {ctx.get('tag')!r} "
                f"(use one of {ctx.get('expected_tags')})"
            )
        problems.append(Problem(file, where, field_name, message))
    return problems


def parse_model(model: type[BaseModel], data: Any, file: str, record: str | None = None) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(file, data, exc, record)) from None


def scenario_file(path: Path) -> Path:
    """A scenario file, or the ``scenario.yaml`` of a scenario folder."""
    if path.is_dir():
        for name in ("scenario.yaml", "scenario.yml", "scenario.json"):
            if (path / name).exists():
                return path / name
        raise InputError([Problem(str(path), "", "", "folder has no scenario.yaml")])
    return path


def load_policy(reference: str, base: Path, file: str) -> Policy:
    """A built-in profile by id, or a policy file relative to the scenario."""
    if builtin_policy_path(reference) is not None:
        return builtin_policy(reference)
    candidate = (base / reference) if not Path(reference).is_absolute() else Path(reference)
    if not candidate.is_file():
        msg = (
            f"unknown policy {reference!r}: not a built-in profile "
            f"(changchun-2020, ninhbinh-2021, sichuan-training-2020) nor a file"
        )
        raise InputError([Problem(file, "scenario", "policy", msg)])
    data, _ = read_data(candidate)
    try:
        return parse_policy(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(str(candidate), "policy", _field_path(err["loc"]), message))
        raise InputError(problems) from None


def load_scenario(path: Path | str) -> LoadedScenario:
    """Read, validate and cross-check a scenario; raise InputError with every problem."""
    from models.validation import check_scenario

    file_path = scenario_file(Path(path))
    read = scenario_data(file_path)
    name = str(file_path)
    scenario: Scenario = parse_model(Scenario, read.data, name)
    policy = load_policy(scenario.policy, file_path.parent, name)
    problems = check_scenario(scenario, policy, name)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InputError(errors)
    digest = hashlib.sha256(read.raw).hexdigest()
    warnings = read.warnings + [p for p in problems if p.level == "warning"]
    return LoadedScenario(scenario, policy, file_path, digest, warnings, read.past_trips)


class ScenarioData(NamedTuple):
    """A scenario file as every loader parses it (``scenario_data``)."""

    #: a mapping, with the trips of the plans its ``history_from`` names in its ``history``
    data: dict[str, Any]
    #: the bytes read, the file's and the plans': the input's digest is of all of them
    raw: bytes
    #: the warnings of ``history_from``
    warnings: list[Problem]
    #: how many history trips the plans added
    past_trips: int


def scenario_data(file_path: Path) -> ScenarioData:
    """Read a scenario file: a mapping of fields, its ``history_from`` carried out."""
    data, raw = read_data(file_path)
    name = str(file_path)
    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "", "the top level must be a mapping of fields")])
    typed = len(data.get("history") or [])
    data, past_raw, warnings = _with_history_from(data, file_path.parent, name)
    added = len(data.get("history") or []) - typed if "history_from" in data else 0
    return ScenarioData(data, raw + past_raw, warnings, added)


def _with_history_from(
    data: dict[str, Any], base: Path, name: str
) -> tuple[dict[str, Any], bytes, list[Problem]]:
    """The scenario's data with the trips of the plans its ``history_from`` names added to
    its ``history`` (``models.history``), the plans' bytes (for the input's digest), and
    warnings. A plan that is missing or not a plan, or whose trips start in the scenario's
    own year or later, is an error; travellers not among the scenario's people are a
    warning (their trips count for no one here). A malformed ``year``, ``people`` or
    ``history`` is left for the scenario's own parse to report."""
    from models.history import past_trips

    refs = data.get("history_from")
    if refs is None:
        return data, b"", []
    if isinstance(refs, str):
        refs = [refs]
    if not isinstance(refs, list) or not all(isinstance(r, str) and r for r in refs):
        message = "give a list of plan.json files of earlier years, relative to this file"
        raise InputError([Problem(name, "scenario", "history_from", message)])
    year, people, history = data.get("year"), data.get("people"), data.get("history") or []
    if not isinstance(year, int) or not isinstance(people, list) or not isinstance(history, list):
        return {**data, "history_from": refs}, b"", []
    ids = {p["id"] for p in people if isinstance(p, dict) and isinstance(p.get("id"), str)}
    known = {(str(h.get("person")), str(h.get("start"))) for h in history if isinstance(h, dict)}
    added: list[dict[str, Any]] = []
    problems: list[Problem] = []
    raw = b""
    for ref in refs:
        path = Path(ref) if Path(ref).is_absolute() else base / ref
        if not path.is_file():
            problems.append(Problem(name, "scenario", "history_from", f"{ref}: no such file"))
            continue
        plan = load_plan(path)
        raw += path.read_bytes()
        past = past_trips(plan, path.name, ids, year, known)
        added += past.trips
        if past.too_late:
            shown = ", ".join(past.too_late[:3]) + (" ..." if len(past.too_late) > 3 else "")
            message = (
                f"{ref}: {len(past.too_late)} delegation(s) start in {year} or later ({shown}); "
                "history is the plan of an earlier year"
            )
            problems.append(Problem(name, "scenario", "history_from", message))
        if past.strangers:
            shown = ", ".join(past.strangers[:5]) + (" ..." if len(past.strangers) > 5 else "")
            message = (
                f"{ref}: the trips of {len(past.strangers)} traveller(s) not among this "
                f"scenario's people are not counted ({shown})"
            )
            problems.append(Problem(name, "scenario", "history_from", message, "warning"))
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InputError(errors)
    return {**data, "history_from": refs, "history": [*history, *added]}, raw, problems


def load_plan(path: Path | str, scenario: str | None = None) -> Plan:
    """Read a ``plan.json``; a corrupted or foreign file is an InputError.

    With ``scenario``, a plan made for another scenario is refused too.
    """
    file_path = Path(path)
    data, _ = read_data(file_path)
    if not isinstance(data, dict) or "decisions" not in data or "status" not in data:
        raise InputError(
            [Problem(str(file_path), "", "", "is not a delegplan plan (no status and decisions)")]
        )
    plan: Plan = parse_model(Plan, data, str(file_path), "plan")
    if scenario is not None and plan.scenario != scenario:
        raise InputError(
            [
                Problem(
                    str(file_path),
                    "",
                    "scenario",
                    f"the plan is of {plan.scenario!r}, not of {scenario!r}",
                )
            ]
        )
    return plan


def load_with_request(path: Path | str, request_file: Path | str) -> tuple[LoadedScenario, str]:
    """A scenario with one more request read from its own file (intake checks).

    The file holds one request as in INTERFACE.md §1 (a mapping, or ``request:`` holding
    one). A request of the same id replaces the scenario's. Problems of the request name
    its own file.
    """
    from models.scenario import Request
    from models.validation import check_scenario

    file_path = scenario_file(Path(path))
    read = scenario_data(file_path)
    data, raw = read.data, read.raw
    name = str(file_path)
    req_path = Path(request_file)
    req_data, req_raw = read_data(req_path)
    if isinstance(req_data, dict) and set(req_data) == {"request"}:
        req_data = req_data["request"]
    if not isinstance(req_data, dict):
        raise InputError([Problem(str(req_path), "", "", "must hold one request (a mapping)")])
    rid = req_data.get("id") if isinstance(req_data, dict) else None
    request: Request = parse_model(Request, req_data, str(req_path), f"request {rid or '?'}")
    requests = [
        r
        for r in data.get("requests") or []
        if not (isinstance(r, dict) and r.get("id") == request.id)
    ]
    data = {**data, "requests": [*requests, req_data]}
    scenario: Scenario = parse_model(Scenario, data, name)
    policy = load_policy(scenario.policy, file_path.parent, name)
    problems = [
        Problem(str(req_path), p.record, p.field, p.message, p.level)
        if p.record == f"request {request.id}"
        else p
        for p in check_scenario(scenario, policy, name)
    ]
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InputError(errors)
    digest = hashlib.sha256(raw + req_raw).hexdigest()
    warnings = read.warnings + [p for p in problems if p.level == "warning"]
    loaded = LoadedScenario(scenario, policy, file_path, digest, warnings, read.past_trips)
    return loaded, request.id


@dataclass(frozen=True)
class WhatIfInput:
    """A what-if run's inputs: the changed scenario, the changes, the baseline plan."""

    loaded: LoadedScenario  # the scenario with the admitted changes carried out
    original: LoadedScenario  # the scenario as the baseline was planned
    changes: ChangeSet
    baseline: Plan
    #: change number (1-based) -> why it is refused (PLAN-ADJUST-WINDOW), not carried out
    refused: dict[int, str]
    changes_file: str = ""


def load_whatif(
    path: Path | str, baseline_path: Path | str, changes_path: Path | str
) -> WhatIfInput:
    """Read a scenario, its approved plan and a changes file (INTERFACE.md §3).

    A change submitted after the profile's PLAN-ADJUST-WINDOW cut-off is refused (and
    reported) unless the scenario has an exception for its request and that rule.
    """
    from models.validation import check_scenario

    original = load_scenario(path)
    baseline = load_plan(baseline_path, original.scenario.name)
    changes_file = Path(changes_path)
    raw_changes, change_bytes = read_data(changes_file)
    if not isinstance(raw_changes, dict):
        raise InputError(
            [Problem(str(changes_file), "", "", "the top level must be a mapping of fields")]
        )
    changes: ChangeSet = parse_model(ChangeSet, raw_changes, str(changes_file))
    data = scenario_data(original.path).data
    problems = check_references(changes, data, set(baseline.approved), str(changes_file))
    if problems:
        raise InputError(problems)
    refused: dict[int, str] = {}
    policy = original.policy
    cutoff = (
        policy.params("PLAN-ADJUST-WINDOW").cutoff if policy.hard("PLAN-ADJUST-WINDOW") else None
    )
    if cutoff is not None and changes.submitted is not None and changes.submitted > cutoff:
        for k, change in enumerate(changes.changes, start=1):
            rid = changes.request_id(change)
            if not original.scenario.excepted(rid, "PLAN-ADJUST-WINDOW"):
                refused[k] = f"submitted {changes.submitted}, after the cut-off {cutoff}"
    allowed = {k for k in range(1, len(changes.changes) + 1) if k not in refused}
    changed = apply_changes(data, changes, allowed)
    name = str(changes_file)
    scenario: Scenario = parse_model(Scenario, changed, name)
    errors = [p for p in check_scenario(scenario, policy, name) if p.level == "error"]
    if errors:
        raise InputError(errors)
    digest = hashlib.sha256(original.input_hash.encode() + change_bytes).hexdigest()
    loaded = LoadedScenario(scenario, policy, original.path, digest, [], original.past_trips)
    return WhatIfInput(loaded, original, changes, baseline, refused, str(changes_file))
