"""Fuzz the loaders: whatever a clerk's file holds, delegplan says what is wrong, never crashes.

    python benchmarks/fuzz_loaders.py                    # 2,000 inputs per target -> fuzz.md
    python benchmarks/fuzz_loaders.py --examples 200 --out /tmp/fuzz.md

Hypothesis generates inputs for each loader: random bytes, random YAML and JSON documents,
and valid scenarios, plans, changes files and form CSVs with one part broken (a key
dropped, a value of the wrong type, a date out of range, a string of junk). Each input is
written to a file and read by the loader the command line uses. The only acceptable
outcomes are a loaded result or an ``InputError`` naming the file; anything else (a
traceback) is a finding, reported with the input that caused it. The table says how many
inputs each target read, how many were refused as bad input, and the findings.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from models.errors import InputError  # noqa: E402
from models.files import write_atomic  # noqa: E402

VALID = {
    "name": "fuzz",
    "year": 2020,
    "policy": "changchun-2020",
    "units": [{"id": "u1", "budget": 100000}],
    "people": [{"id": "p1", "unit": "u1", "rank": "bureau_chief"}, {"id": "p2", "unit": "u1"}],
    "history": [{"person": "p1", "start": "2019-01-01", "countries": ["FR"]}],
    "requests": [
        {
            "id": "R1",
            "unit": "u1",
            "head": "p1",
            "members": ["p2"],
            "stops": [{"country": "DE", "days": 3, "tasks": [{"text": "a"}] * 3}],
            "window": ["2020-03-01", "2020-03-31"],
            "invitation": {"from": "x", "kind": "government"},
            "cost": 1000,
        }
    ],
}
PLAN = {
    "scenario": "fuzz",
    "policy": "changchun-2020",
    "status": "optimal",
    "delegations": [
        {"id": "D-001", "requests": ["R1"], "head": "p1", "members": ["p2"],
         "start": "2020-03-02", "end": "2020-03-06",
         "stops": [{"country": "DE", "start": "2020-03-03", "end": "2020-03-05"}]}
    ],
    "decisions": [{"request": "R1", "status": "approved", "delegation": "D-001"}],
}  # fmt: skip
CHANGES = {"changes": [{"op": "move", "request": "R1", "window": ["2020-04-01", "2020-04-30"]}]}
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["2020-02-30", "9999-99-99", "", "Atlantis", "-1", "R1", "p1", "u1"]),
)


def _paths(data) -> list[tuple]:
    """Every (container, key) inside a document, to break one of them."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((data, k))
            out += _paths(v)
    elif isinstance(data, list):
        for k, v in enumerate(data):
            out.append((data, k))
            out += _paths(v)
    return out


@st.composite
def broken(draw: st.DrawFn, base: dict) -> dict:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        places = _paths(data)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        if draw(st.booleans()) and isinstance(container, dict):
            del container[key]
        else:
            container[key] = draw(JUNK)
    return data


def _text(data, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(data, default=str)
    return yaml.safe_dump(data, allow_unicode=True)


def documents(base: dict, suffix: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        broken(base).map(lambda d: _text(d, suffix).encode()),
        st.recursive(JUNK, _nest, max_leaves=12).map(lambda d: _text(d, suffix).encode()),
    )


def _nest(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(children) | st.dictionaries(st.text(max_size=8), children)


SETTINGS = {"year": 2020, "policy": "changchun-2020"}


class Target:
    def __init__(self, name: str, suffix: str, base: dict, read):
        self.name, self.suffix, self.base, self.read = name, suffix, base, read
        self.loaded = self.refused = 0
        self.findings: list[str] = []


def _targets(tmp: Path) -> list[Target]:
    from delegplan.forms import import_forms
    from models.loading import load_plan, load_scenario, load_whatif

    scenario = tmp / "valid.yaml"
    scenario.write_text(_text(VALID, ".yaml"))
    plan = tmp / "plan.json"
    plan.write_text(json.dumps(PLAN))
    changes = tmp / "changes.yaml"
    changes.write_text(_text(CHANGES, ".yaml"))
    csv_base = {"编号": "R1", "组团单位": "u1", "团长姓名及职务": "p1", "出访国家（地区）": "德国",
                "出访时间（起）": "2020-03-01", "出访时间（止）": "2020-03-31"}  # fmt: skip
    return [
        Target("scenario (YAML)", ".yaml", VALID, load_scenario),
        Target("scenario (JSON)", ".json", VALID, load_scenario),
        Target("plan.json", ".json", PLAN, lambda p: load_plan(p, "fuzz")),
        Target("what-if changes", ".yaml", CHANGES, lambda p: load_whatif(scenario, plan, p)),
        Target("what-if baseline", ".json", PLAN, lambda p: load_whatif(scenario, p, changes)),
        Target("form (CSV)", ".csv", csv_base, lambda p: import_forms([p], SETTINGS)),
    ]


def _csv(data) -> bytes:
    if not isinstance(data, dict):
        return str(data).encode()
    keys = [str(k) for k in data]
    return (",".join(keys) + "\n" + ",".join(str(v) for v in data.values()) + "\n").encode()


def run(target: Target, tmp: Path, examples: int, derandomize: bool = False) -> None:
    path = tmp / f"input{target.suffix}"
    strategy = (
        broken(target.base).map(_csv) | st.binary(max_size=300)
        if target.suffix == ".csv"
        else documents(target.base, target.suffix)
    )

    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def once(content: bytes) -> None:
        path.write_bytes(content)
        try:
            target.read(path)
            target.loaded += 1
        except InputError as exc:
            target.refused += 1
            if not all(str(path) in p.file or p.file.endswith(path.name) for p in exc.problems):
                target.findings.append(f"a problem does not name the file: {exc}")
        except Exception:  # a finding: the loader crashed on this input
            target.findings.append(f"{content[:200]!r}\n{traceback.format_exc(limit=3)}")

    once()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--examples", type=int, default=2000, help="inputs per target")
    ap.add_argument("--out", type=Path, default=HERE / "fuzz.md")
    ap.add_argument("--derandomize", action="store_true", help="the same inputs every run")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for target in _targets(tmp):
            began = time.perf_counter()
            run(target, tmp, args.examples, args.derandomize)
            seconds = time.perf_counter() - began
            rows.append((target, seconds))
            print(f"{target.name}: {target.loaded} loaded, {target.refused} refused, "
                  f"{len(target.findings)} findings, {seconds:.1f} s", flush=True)  # fmt: skip
    lines = [
        "# Loader fuzzing\n",
        f"Written by `python benchmarks/fuzz_loaders.py --examples {args.examples}` "
        "(hypothesis; random bytes, random documents, valid files with parts broken).\n",
        "| target | inputs | loaded | refused (InputError) | findings | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for t, seconds in rows:
        lines.append(
            f"| {t.name} | {t.loaded + t.refused + len(t.findings)} | {t.loaded} | {t.refused} "
            f"| {len(t.findings)} | {seconds:.1f} |"
        )
    for t, _ in rows:
        for f in t.findings[:5]:
            lines += ["", f"## Finding in {t.name}", "", "```", f, "```"]
    text = "\n".join(lines) + "\n"
    write_atomic(args.out, text)
    if any(t.findings for t, _ in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
