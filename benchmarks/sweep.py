"""Sweep throughput (serial vs process pool) and widget update latency.

Usage: python benchmarks/sweep.py [--runs 48] [--requests 1000] [--workers N]

* Sweep: the same sweep (the default scenario cut to ``--requests`` requests, a grid over the
  breaker threshold × replications, ``--runs`` runs in all) with ``executor="serial"`` and with
  ``executor="processes"``, both in this process run; prints runs per second and the speed-up
  (target ≥ 1.8× on 2 cores) and checks the two frames are identical.
* Widgets: the time of ``update()`` for each tuning panel at 1,000 requests (target ≤ 0.5 s),
  median of 5 after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import simroute as sr  # noqa: E402
from simroute.experiments.params import with_params  # noqa: E402


def bench_sweep(runs: int, requests: int, workers: int | None) -> None:
    scenario = with_params(sr.Scenario.default(), {"workload.requests": requests})
    thresholds = [1, 2, 3, 5, 8, 13]
    reps = max(1, runs // len(thresholds))
    params = {"breaker.failure_threshold": thresholds}
    timings, frames = {}, {}
    for executor in ("serial", "processes"):
        t = time.perf_counter()
        frames[executor] = sr.sweep(scenario, params, replications=reps, executor=executor,
                                    workers=workers, progress=False)
        timings[executor] = time.perf_counter() - t
    n = len(thresholds) * reps
    for executor, t in timings.items():
        print(f"sweep {executor:<10} {n} runs in {t:6.2f} s: {n / t:6.2f} runs/s")
    print(f"process-pool speed-up: {timings['serial'] / timings['processes']:.2f}× "
          f"on {workers or os.cpu_count()} workers (target ≥ 1.8×); identical frames: "
          f"{frames['serial'].equals(frames['processes'])}")


def bench_widgets(requests: int) -> None:
    from simroute.faces.widgets import BreakerPanel, BudgetPanel, ScoringPanel

    for cls in (ScoringPanel, BreakerPanel, BudgetPanel):
        panel = cls(requests=requests)
        panel.update()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            panel.update()
            times.append(time.perf_counter() - t)
        print(f"widget {cls.__name__:<13} update at {requests} requests: median "
              f"{statistics.median(times):.3f} s (target ≤ 0.5 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=48)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    bench_sweep(args.runs, args.requests, args.workers)
    bench_widgets(1000)


if __name__ == "__main__":
    main()
