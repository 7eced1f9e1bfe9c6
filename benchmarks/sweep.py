"""Sweep throughput (serial vs process pool) and widget update latency.

Usage: python benchmarks/sweep.py [--runs 12] [--requests 1000,10000] [--rounds 3] [--workers 2]

* Sweep: the same sweep (the default scenario cut to each of ``--requests`` requests, a grid over
  the breaker threshold × replications, ``--runs`` runs in all) with ``executor="serial"`` and with
  ``executor="processes"`` on ``--workers`` workers, interleaved in this process (serial,
  processes, serial, … for ``--rounds`` rounds); prints each one's median runs per second, the
  median speed-up of the workers over serial with its range (target ≥ 1.8× on 2 cores), and checks
  the two frames are identical.
* Widgets: the time of ``update()`` for each tuning panel at 1,000 requests (target ≤ 0.5 s),
  median of 5 after one warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import simroute as sr  # noqa: E402
from simroute.experiments.params import with_params  # noqa: E402


def bench_sweep(runs: int, requests: int, workers: int, rounds: int) -> None:
    scenario = with_params(sr.Scenario.default(), {"workload.requests": requests})
    thresholds = [1, 2, 3, 5, 8, 13]
    reps = max(1, runs // len(thresholds))
    params = {"breaker.failure_threshold": thresholds}
    timings: dict[str, list[float]] = {"serial": [], "processes": []}
    frames = {}
    for _ in range(rounds):  # interleaved: the machine's noise falls on both alike
        for executor in timings:
            t = time.perf_counter()
            frames[executor] = sr.sweep(scenario, params, replications=reps, executor=executor,
                                        workers=workers, progress=False)
            timings[executor].append(time.perf_counter() - t)
    n = len(thresholds) * reps
    for executor, ts in timings.items():
        t = statistics.median(ts)
        print(f"sweep of {requests:>6,} requests/run, {executor:<10} {n} runs: median {t:6.2f} s, "
              f"{n / t:6.2f} runs/s")
    ratios = sorted(s / p for s, p in zip(timings["serial"], timings["processes"], strict=True))
    print(f"    {workers} workers over serial: median {statistics.median(ratios):.2f}× "
          f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}, {rounds} rounds; target ≥ 1.8× on 2 cores); "
          f"identical frames: {frames['serial'].equals(frames['processes'])}")


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
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--requests", default="1000,10000", help="requests per run, comma-separated")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.rounds < 3:
        ap.error("--rounds: at least 3")
    for requests in (int(r) for r in args.requests.split(",")):
        bench_sweep(args.runs, requests, args.workers, args.rounds)
    bench_widgets(1000)


if __name__ == "__main__":
    main()
