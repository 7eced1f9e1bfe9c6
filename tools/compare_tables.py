"""Every bundled scenario's tables, compared with another commit's, table by table.

    python tools/compare_tables.py digest [--out FILE]    # this tree's digests as JSON
    python tools/compare_tables.py compare REF             # this tree against commit REF

``compare`` checks REF out into a temporary git worktree, computes the digests there (this script,
run with the worktree first on ``sys.path``) and here, and prints every table that differs; it
exits 1 when one does. A refactor keeps every line ``same``.

What is compared: each scenario under ``simroute/data/scenarios`` (the documented flows included),
the bundled LiteLLM config imported, the default scenario replaying each bundled trace, two
replications and the ``summary`` record level of a few, the documented flows' replay table and the
CSV tables of a report. Of each run: every table of :class:`simroute.Results`, its summary, its
per-minute table and its final state. A digest is the SHA-256 of the table's CSV (floats written
exactly) and its column types. Only the public API is used, so any commit with that API can be compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: requests per synthetic run: enough for breakers, retries, faults and sagas to act, quick enough for CI
REQUESTS = 400
#: rows of each bundled trace replayed
TRACE_ROWS = 400


def _digest_frame(frame: Any) -> str:
    h = hashlib.sha256()
    h.update(repr(list(zip(map(str, frame.columns), map(str, frame.dtypes), strict=True))).encode())
    h.update(frame.to_csv(float_format=repr).encode())
    return h.hexdigest()


def _digest_results(res: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if res.record == "full":
        for table in ("requests", "attempts", "breaker_events", "messages", "sagas", "plugins"):
            frame = getattr(res, table)
            if table == "messages" and "payload" in frame:
                frame = frame.assign(payload=frame["payload"].map(lambda p: json.dumps(p, sort_keys=True,
                                                                                        default=str)))
            out[table] = _digest_frame(frame)
    out["summary"] = _digest_frame(res.summary())
    out["per_minute"] = _digest_frame(res.per_minute())
    out["final_state"] = hashlib.sha256(json.dumps(res.final_state, sort_keys=True, default=str)
                                        .encode()).hexdigest()
    out["end_time"] = repr(res.end_time)
    return out


def _cases(scratch: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Each case's name and how to compute it; files it writes go under ``scratch``."""
    import dataclasses

    import simroute as sr

    data = sr.catalog.data_dir()
    names = sorted(p.relative_to(data / "scenarios").as_posix()
                   for p in (data / "scenarios").rglob("*.yaml"))

    def small(scenario: Any) -> Any:
        w = scenario.workload
        if w.kind in ("poisson", "onoff", "diurnal") and (w.requests is None or w.requests > REQUESTS):
            scenario = scenario.replace(workload=dataclasses.replace(w, requests=REQUESTS))
        return scenario

    def trace_scenario(name: str) -> Any:
        base = sr.Scenario.default()
        path = sr.traces.resolve(name)
        head = scratch / path.name
        with open(path, encoding="utf-8") as src:
            head.write_text("".join(line for _, line in zip(range(TRACE_ROWS + 1), src, strict=False)))
        fmt = sr.workload.trace_format_of(head)
        return base.replace(workload=dataclasses.replace(base.workload, kind="trace", trace=str(head),
                                                         trace_format=fmt, requests=None))

    def bundled(name: str) -> Any:
        return small(sr.Scenario.from_yaml(data / "scenarios" / name))

    for name in names:
        yield f"{name} seed 0", lambda name=name: sr.run(bundled(name), seed=0)
    for name in ("default.yaml", "metastable.yaml", "outage.yaml"):
        yield f"{name} seed 7 replication 1", lambda name=name: sr.run(bundled(name), seed=7,
                                                                                  replication=1)
        yield f"{name} seed 0 summary", lambda name=name: sr.run(bundled(name), seed=0,
                                                                         record="summary")
    litellm = data / "litellm" / "example_config.yaml"
    yield "litellm example seed 0", lambda: sr.run(small(sr.Scenario.from_litellm(litellm)), seed=0)
    yield "litellm example seed 0 summary", lambda: sr.run(small(sr.Scenario.from_litellm(litellm)), seed=0,
                                                           record="summary")
    for trace in sr.traces.bundled():
        yield f"default + trace {trace} seed 0", lambda trace=trace: sr.run(trace_scenario(trace), seed=0)
    yield "replay of the documented flows", lambda: sr.replay()

    def report() -> dict[str, Any]:
        out = scratch / "report"
        scenario = small(sr.Scenario.from_yaml(data / "scenarios" / "default.yaml"))
        sr.report(scenario, out, load_factors=(1, 2), replications=2, executor="serial", progress=False)
        return {p.name: p for p in sorted(out.glob("*.csv"))}

    yield "report of default.yaml (its CSV tables)", report


def digest() -> dict[str, dict[str, str]]:
    """``{case: {table: digest}}`` of this interpreter's simroute."""
    import warnings

    import simroute

    warnings.simplefilter("ignore")
    print(f"digests of {Path(simroute.__file__).parent}", file=sys.stderr, flush=True)
    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for case, make in _cases(Path(scratch)):
            value = make()
            if hasattr(value, "requests"):
                out[case] = _digest_results(value)
            elif isinstance(value, dict):  # the report's files
                out[case] = {name: hashlib.sha256(path.read_bytes()).hexdigest()
                             for name, path in value.items()}
            else:  # the replay's table
                out[case] = {"table": _digest_frame(value)}
            print(f"  {case}", file=sys.stderr, flush=True)
    return out


def compare(ref: str) -> int:
    """Print each differing table of this tree against commit ``ref``; 0 when all are the same."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True,
                       capture_output=True)
        try:
            theirs = _digest_in(tree, Path(tmp) / "ref.json")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)
        ours = _digest_in(ROOT, Path(tmp) / "ours.json")
    differ = 0
    for case in sorted(set(theirs) | set(ours)):
        for table in sorted(set(theirs.get(case, {})) | set(ours.get(case, {}))):
            a, b = theirs.get(case, {}).get(table), ours.get(case, {}).get(table)
            same = a == b
            differ += not same
            print(f"{'same' if same else 'DIFFERS'}  {case}: {table}")
    print(f"{differ} table(s) differ from {ref}" if differ else f"every table is the same as at {ref}")
    return 1 if differ else 0


def _digest_in(tree: Path, out: Path) -> dict[str, dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "digest", "--out", str(out)], check=True,
                   env=env, cwd=tree)
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("digest", help="this tree's digests as JSON")
    p.add_argument("--out", type=Path)
    p = sub.add_parser("compare", help="this tree against a commit")
    p.add_argument("ref")
    args = parser.parse_args()
    if args.command == "digest":
        sys.path.insert(0, os.getcwd())
        text = json.dumps(digest(), indent=1, sort_keys=True)
        if args.out:
            args.out.write_text(text)
        else:
            print(text)
        return 0
    return compare(args.ref)


if __name__ == "__main__":
    sys.exit(main())
