"""Engine throughput and memory: simroute against a minimal hand-written SimPy model.

Usage: python benchmarks/engine.py [--requests 100000] [--seed 1]

Workload (both models): three sequential phases on three plugins (fastapi-backend →
lobbi-platform-manager → ahling-command-center), capacity 4 each, exponential service mean 0.1 s,
5 % failures per attempt, up to 3 retries with 1-2-4 s backoff, consecutive-failure breakers
(threshold 5, 60 s), Poisson arrivals at 20 per second (utilization ≈ 0.5).

Prints requests per simulated run-second for both, their ratio (target ≥ 0.75), peak traced
memory of simroute with and without message recording (targets < 400 / < 150 MiB), and the cost
of building the result tables per million rows (target ≤ 0.2 s).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import simpy

import simroute as sr

TEXT = "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"
PLUGINS = ("fastapi-backend", "lobbi-platform-manager", "ahling-command-center")
RATE, MEAN, FAIL, CAP = 20.0, 0.1, 0.05, 4


def scenario(n: int, record: bool) -> sr.Scenario:
    cat = sr.load_catalog()
    for p in PLUGINS:
        cat = cat.with_plugin(p, capacity=CAP, failure_p=FAIL,
                              service={"default": sr.ServiceTime(dist="exponential", mean=MEAN)})
    return sr.Scenario(name="bench", catalog=cat,
                       settings=sr.Settings(record_messages=record),
                       workload=sr.Workload(rate=RATE, requests=n, mix=(sr.MixEntry(text=TEXT),)))


def hand_written(n: int, seed: int) -> int:
    """The same flow written directly in SimPy: the baseline."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    res = {p: simpy.Resource(env, CAP) for p in PLUGINS}
    fails = dict.fromkeys(PLUGINS, 0)
    opened = dict.fromkeys(PLUGINS, -1e18)
    done = [0]
    latencies = []

    def call(p):
        for attempt in range(4):
            if env.now < opened[p] + 60:
                return False
            with res[p].request() as req:
                yield req
                yield env.timeout(rng.exponential(MEAN))
            if rng.random() >= FAIL:
                fails[p] = 0
                return True
            fails[p] += 1
            if fails[p] >= 5:
                opened[p], fails[p] = env.now, 0
            if attempt < 3:
                yield env.timeout(2.0**attempt)
        return False

    def request():
        t0 = env.now
        for p in PLUGINS:
            ok = yield from call(p)
            if not ok:
                break
        latencies.append(env.now - t0)
        done[0] += 1

    def source():
        for _ in range(n):
            yield env.timeout(rng.exponential(1 / RATE))
            env.process(request())

    env.process(source())
    env.run()
    return done[0]


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def peak_mib(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-requests", type=int, default=None,
                    help="requests for the memory runs (default: --requests)")
    args = ap.parse_args()
    n = args.requests
    base_done, base_s = timed(hand_written, n, args.seed)
    res, sim_s = timed(sr.run, scenario(n, False), args.seed)
    assert len(res.requests) == n == base_done
    print(f"hand-written SimPy: {n / base_s:10.0f} requests/s ({base_s:.1f} s)")
    print(f"simroute:           {n / sim_s:10.0f} requests/s ({sim_s:.1f} s)")
    print(f"ratio simroute / hand-written: {base_s / sim_s:.2f}  (target >= 0.75)")
    # table build alone: the recorder's columns (typed arrays and lists, as the engine fills them)
    # → DataFrame, timed without refilling them
    from array import array

    from simroute.engine.recorder import TYPES, Recorder
    types = TYPES["attempts"]
    columns = {c: array(types[c], res.attempts[c].tolist()) if c in types else res.attempts[c].tolist()
               for c in res.attempts.columns if c not in ("seed", "replication")}
    t = time.perf_counter()
    Recorder.frame(columns, args.seed, 0, consume=True)
    build = time.perf_counter() - t
    print(f"table build: {build / len(res.attempts) * 1e6:.3f} s per million rows "
          f"({len(res.attempts)} attempt rows; target <= 0.2)")
    m = args.memory_requests or n
    for record, target in ((False, 150), (True, 400)):
        mib = peak_mib(sr.run, scenario(m, record), args.seed)
        print(f"peak traced memory, {m} requests, messages {'on ' if record else 'off'}: "
              f"{mib:.0f} MiB (target < {target} MiB at 100,000 requests)")


if __name__ == "__main__":
    main()
