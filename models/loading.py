"""Reading scenarios, policies and plans from files, with problems located precisely.

YAML is read with libyaml's C loader when PyYAML has it (a 20,000-request scenario in
seconds, not the pure-Python loader's half-minute); JSON with the standard library.
Nothing is ever written back to an input file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from models.changes import ChangeSet, apply_changes, check_references
from models.errors import InputError, Problem
from models.plan import Plan
from models.policy import Policy, builtin_policy, builtin_policy_path, parse_policy
from models.scenario import Scenario

try:  # pragma: no cover - depends on how PyYAML was built
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader

#: Inputs larger than this are refused rather than parsed for minutes.
MAX_INPUT_BYTES = 200 * 1024 * 1024
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
                    f"is {size // 2**20} MiB; inputs over "
                    f"{MAX_INPUT_BYTES // 2**20} MiB are refused",
                )
            ]
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError([Problem(name, "", "", "is empty")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, "", "", f"is not UTF-8 text ({exc.reason})")]) from None
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


def validation_problems(file: str, data: Any, error: ValidationError) -> list[Problem]:
    """Turn pydantic's errors into problems with a record and a field."""
    problems: list[Problem] = []
    for err in error.errors():
        if err["type"] == "too_short" and problems and problems[-1].record:
            continue  # "stops: at least 1 item" after a stop that failed is noise
        loc = tuple(p for p in err["loc"] if p not in ("function-after[_people()]",))
        record, field_name = _record_name(data, loc)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required but missing"
        elif err["type"] == "extra_forbidden":
            message = "is not a known field"
        problems.append(Problem(file, record, field_name, message))
    return problems


def parse_model(model: type[BaseModel], data: Any, file: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(file, data, exc)) from None


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
    if not candidate.exists():
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
    data, raw = read_data(file_path)
    name = str(file_path)
    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "", "the top level must be a mapping of fields")])
    scenario: Scenario = parse_model(Scenario, data, name)
    policy = load_policy(scenario.policy, file_path.parent, name)
    problems = check_scenario(scenario, policy, name)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise InputError(errors)
    digest = hashlib.sha256(raw).hexdigest()
    warnings = [p for p in problems if p.level == "warning"]
    return LoadedScenario(scenario, policy, file_path, digest, warnings)


def load_plan(path: Path | str) -> Plan:
    """Read a ``plan.json``; a corrupted or foreign file is an InputError."""
    file_path = Path(path)
    data, _ = read_data(file_path)
    if not isinstance(data, dict) or "decisions" not in data or "status" not in data:
        raise InputError(
            [Problem(str(file_path), "", "", "is not a delegplan plan (no status and decisions)")]
        )
    plan: Plan = parse_model(Plan, data, str(file_path))
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
    data, raw = read_data(file_path)
    name = str(file_path)
    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "", "the top level must be a mapping of fields")])
    req_path = Path(request_file)
    req_data, req_raw = read_data(req_path)
    if isinstance(req_data, dict) and set(req_data) == {"request"}:
        req_data = req_data["request"]
    if not isinstance(req_data, dict):
        raise InputError([Problem(str(req_path), "", "", "must hold one request (a mapping)")])
    request: Request = parse_model(Request, req_data, str(req_path))
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
    warnings = [p for p in problems if p.level == "warning"]
    return LoadedScenario(scenario, policy, file_path, digest, warnings), request.id


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
    baseline = load_plan(baseline_path)
    changes_file = Path(changes_path)
    raw_changes, change_bytes = read_data(changes_file)
    if not isinstance(raw_changes, dict):
        raise InputError(
            [Problem(str(changes_file), "", "", "the top level must be a mapping of fields")]
        )
    changes: ChangeSet = parse_model(ChangeSet, raw_changes, str(changes_file))
    if baseline.scenario != original.scenario.name:
        raise InputError(
            [
                Problem(
                    str(baseline_path),
                    "",
                    "scenario",
                    f"the plan is of {baseline.scenario!r}, not of {original.scenario.name!r}",
                )
            ]
        )
    data, _ = read_data(original.path)
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
    loaded = LoadedScenario(scenario, policy, original.path, digest, [])
    return WhatIfInput(loaded, original, changes, baseline, refused, str(changes_file))
