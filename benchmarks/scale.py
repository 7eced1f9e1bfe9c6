"""Scale: time and peak memory of long runs, each in a fresh process.

Usage: python benchmarks/scale.py [--sizes 10000,100000,1000000,10000000] [--full-sizes 1000000]
                                  [--default-sizes 100000,1000000]

Each run is ``simroute.experiments.run(scenario, record=...)`` on the workload of ``benchmarks/engine.py``
(three sequential phases, Poisson arrivals at 20/s, 5 % failures, retries and breakers) in a new
Python process, which reports its wall time, CPU time and peak RSS (``ru_maxrss``). It prints
one line per run and then the targets, each with what was measured in this run:

* ``record="summary"``: 10 M requests under 500 MiB peak RSS; memory flat from 1 M to 10 M;
  CPU per request at the largest size within 10 % of that at 100 k;
* ``record="full"``: 1 M requests under 400 MiB peak RSS (messages off);
* the bundled default scenario (``sr.Scenario.default()``: jobs of minutes to hours, so a long
  simulated time per request) at ``record="summary"``: 1 M requests within 11× the time of 100 k,
  under 500 MiB peak RSS (its per-minute rows merge in pairs past ``MAX_BINS``).

What a summary run keeps is measured as the size of its pickled :class:`~simroute.StreamSummary`.
Peak RSS also holds what the allocator kept of freed memory: glibc raises its mmap threshold as
large blocks are freed, so later ones come from a heap that fragments over a long run; with
``MALLOC_MMAP_THRESHOLD_=131072`` in the environment (a fixed threshold) peak RSS stays flatter.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, pickle, resource, sys, time
sys.path.insert(0, {bench!r})
import engine
import simroute as sr
n, record, flow = {n}, {record!r}, {flow!r}
if flow == "default":
    from simroute.experiments.params import with_params
    scenario = with_params(sr.Scenario.default(), {{"workload.requests": n}})
else:
    scenario = engine.scenario(n, False)
wall, cpu = time.perf_counter(), time.process_time()
r = sr.run(scenario, seed=1, record=record)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
requests = r.stream.requests if r.stream is not None else len(r.requests)
kept = len(pickle.dumps(r.stream)) / 2**20 if r.stream is not None else float("nan")
print(json.dumps({{"n": n, "record": record, "flow": flow, "wall": wall, "cpu": cpu, "requests": requests,
                  "kept_mib": kept, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(n: int, record: str, flow: str = "benchmark") -> dict:
    code = CHILD.format(bench=str(Path(__file__).resolve().parent), n=n, record=record, flow=flow)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the run of {n:,} requests ({record}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000,10000000",
                    help="request counts of the summary runs (comma-separated)")
    ap.add_argument("--full-sizes", default="1000000", help="request counts of the full runs ('' for none)")
    ap.add_argument("--default-sizes", default="100000,1000000",
                    help="request counts of the bundled default scenario's summary runs ('' for none)")
    args = ap.parse_args()
    rows = []
    for record, sizes, flow in (("summary", args.sizes, "benchmark"), ("full", args.full_sizes, "benchmark"),
                                ("summary", args.default_sizes, "default")):
        for n in (int(s) for s in sizes.split(",") if s):
            row = measure(n, record, flow)
            rows.append(row)
            print(f"{flow:9} record={record:8} {n:>11,} requests: {row['wall']:8.1f} s wall, "
                  f"{row['cpu'] / n * 1e6:6.1f} µs CPU per request, peak RSS {row['rss_mib']:7.0f} MiB"
                  + (f", summary kept {row['kept_mib']:.2f} MiB" if record == "summary" else ""),
                  flush=True)
    summary = {r["n"]: r for r in rows if r["record"] == "summary" and r["flow"] == "benchmark"}
    full = {r["n"]: r for r in rows if r["record"] == "full"}
    default = {r["n"]: r for r in rows if r["flow"] == "default"}
    if summary:
        top = max(summary)
        print(f"summary, {top:,} requests: peak RSS {summary[top]['rss_mib']:.0f} MiB "
              "(target < 500 MiB at 10 M)")
        if 1_000_000 in summary and top > 1_000_000:
            grow = summary[top]["rss_mib"] / summary[1_000_000]["rss_mib"]
            kept = summary[top]["kept_mib"] / summary[1_000_000]["kept_mib"]
            print(f"summary memory from 1 M to {top:,}: peak RSS × {grow:.2f}, what the summary keeps "
                  f"× {kept:.2f} (target: flat, about × 1)")
        if 100_000 in summary and top > 100_000:
            per = {k: summary[k]["cpu"] / k for k in (100_000, top)}
            print(f"summary CPU per request at {top:,} ÷ at 100,000: {per[top] / per[100_000]:.2f} "
                  "(target within 1.10)")
    for n, row in full.items():
        print(f"full, {n:,} requests: peak RSS {row['rss_mib']:.0f} MiB (target < 400 MiB at 1 M)")
    if default:
        top = max(default)
        print(f"default scenario, {top:,} requests: peak RSS {default[top]['rss_mib']:.0f} MiB "
              "(target < 500 MiB at 1 M)")
        if 100_000 in default and top > 100_000:
            ratio = default[top]["wall"] / default[100_000]["wall"]
            print(f"default scenario, time at {top:,} ÷ at 100,000: {ratio:.1f} "
                  f"(target within {11 * top / 1_000_000:g} for {top // 100_000}× the requests)")


if __name__ == "__main__":
    main()
