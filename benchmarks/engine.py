"""Engine throughput and memory: simroute against a minimal hand-written SimPy model.

Usage: python benchmarks/engine.py [--requests 100000] [--seed 1] [--rounds 5] [--no-guards-on]
                                  [--no-floor] [--against DIR]

``--against DIR`` adds another checkout's simroute (e.g. ``git worktree add /tmp/before HEAD~3``)
as a contender, loaded in this process under another name, to show that a change made the engine
no slower.

Workload (both models): three sequential phases on three plugins (fastapi-backend →
lobbi-platform-manager → ahling-command-center), capacity 4 each, exponential service mean 0.1 s,
5 % failures per attempt, up to 3 retries with 1-2-4 s backoff, consecutive-failure breakers
(threshold 5, 60 s), Poisson arrivals at 20 per second (utilization ≈ 0.5).

The contenders run in this process, interleaved (hand-written, simroute, simroute with every
guard on, hand-written, …) for ``--rounds`` rounds, after one untimed round; it prints each one's
median requests per second, the median ratio to the hand-written model with its range (target
≥ 1.5 with the guards off, in both record levels), and the cost per request of turning every guard
on (per-attempt timeout, deadline, retry classes, bulkhead, load shedding, rate limits and hedging,
set so loose that they change no outcome: the cost is the mechanism's).

Measured on a two-core machine (20,000 requests, 11 rounds compiled with mypyc, 3 pure), the ratio
to the hand-written model with guards off: 1.67 (full record, range 1.45-1.78) and 1.61 (summary,
1.52-1.79) compiled, 0.87 and 0.88 pure; the floors are 3.25 and, with rows, 1.94; every guard on
costs 26.4 µs per request compiled (docs/architecture.md, "The compiled core").

Two **floors** run beside them (see :func:`floor`): the same flow on simroute's own mechanisms
(lean tasks, bare wake events, plugin slots, blocked draws) with nothing else, and the same again
writing the engine's rows. They bound what any engine built on SimPy's event loop, recording
these tables, can reach: the target of 1.5× must fit routing, guards, retry policies, faults and
costs into what separates the second floor from 1.5×. Then peak traced memory of simroute
with and without message recording (targets < 400 / < 150 MiB), and the cost of building the result tables per
million rows (target ≤ 0.2 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import simpy

import simroute as sr

TEXT = "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"
PLUGINS = ("fastapi-backend", "lobbi-platform-manager", "ahling-command-center")
RATE, MEAN, FAIL, CAP = 20.0, 0.1, 0.05, 4


def load_checkout(path: str, name: str = "simroute_before"):
    """The ``simroute`` package of another checkout, imported as ``name``."""
    pkg = Path(path) / "simroute"
    spec = importlib.util.spec_from_file_location(name, pkg / "__init__.py",
                                                  submodule_search_locations=[str(pkg)])
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: no simroute package there")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def scenario(n: int, record: bool, sr=sr, catalog_dir: Path | None = None) -> sr.Scenario:
    cat = sr.load_catalog(catalog_dir)
    service = sr.ServiceTime(dist="exponential", mean=MEAN)
    for p in PLUGINS:  # a failed call takes a service time too, as in the hand-written model
        cat = cat.with_plugin(p, capacity=CAP, failure_p=FAIL, service={"default": service},
                              **({"failure": sr.FailureModel(error_latency=service)}
                                 if hasattr(sr, "FailureModel") else {}))
    # the seed's routing where the checkout has a choice: both contenders route the request alike
    seed = ({"reading": sr.SEED_READING, "weights": sr.SEED_WEIGHTS} if hasattr(sr, "SEED_READING") else {})
    return sr.Scenario(name="bench", catalog=cat,
                       settings=sr.Settings(record_messages=record, **seed),
                       workload=sr.Workload(rate=RATE, requests=n, mix=(sr.MixEntry(text=TEXT),)))


#: each guard switched on, loose enough to change no outcome (the cost is the mechanism's)
GUARDS_ON = {
    "timeouts": {"timeout.attempt": 1e6, "timeout.deadline": 1e7,
                 "retry_classes.timeout.max_retries": 1},
    "bulkhead": {"bulkhead.max_concurrent": 10_000},
    "shedding": {"shedding.max_queue": 10_000},
    "rate limits": {f"plugins.{p}.rpm": 1e9 for p in PLUGINS},
    "hedging": {"hedge.delay": 1e5},
}


def every_guard_on(sc: sr.Scenario, which: tuple[str, ...] = tuple(GUARDS_ON)) -> sr.Scenario:
    """The same scenario with the ``which`` guards switched on."""
    from simroute.experiments.params import with_params

    params: dict = {}
    for name in which:
        params.update(GUARDS_ON[name])
    return with_params(sc, params)


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


def floor(n: int, seed: int, rows: bool = False) -> int:
    """The hand-written model's flow on simroute's own mechanisms and nothing else: the floor of
    what the engine can cost. Arrivals drawn ahead and woken by bare events, requests as lean tasks
    (:mod:`simroute.engine.tasks`), plugin slots as :class:`~simroute.engine.plugins.PluginServer`,
    draws from blocked streams (:mod:`simroute.common.draws`), the breaker as two numbers per plugin; no
    classification, routing, plans, guards, retry policies, faults, observers or costs. With
    ``rows``, each attempt and request is also a named row written to the recorder's tables (as
    the engine records them), so the two floors show what recording costs."""
    from simroute.common.draws import Exponentials, Uniforms
    from simroute.engine.plugins import PluginServer
    from simroute.engine.recorder import Recorder
    from simroute.engine.records import Call, RequestState
    from simroute.engine.tasks import run, sleeper, start

    env = simpy.Environment()
    sleep = sleeper(env)
    rng = np.random.default_rng(seed)
    service, uniform = Exponentials(rng), Uniforms(np.random.default_rng(seed + 1))
    servers = {p: PluginServer(env, p, CAP) for p in PLUGINS}
    fails = dict.fromkeys(PLUGINS, 0)
    opened = dict.fromkeys(PLUGINS, -1e18)
    rec = Recorder()
    done = [0]

    def call(rid: int, info: RequestState, p: str):
        server = servers[p]
        for attempt in range(4):
            if env._now < opened[p] + 60:
                return False
            row = Call(rid, p, p, 0, attempt + 1, env._now, "", math.nan, math.inf, 0.0) if rows else None
            if not server.try_acquire():
                yield server.wait().event
            began = env._now
            yield sleep(service.exponential(MEAN))
            server.release()
            ok = uniform.random() >= FAIL
            if row is not None:
                row.start, row.end, row.server_end = began, env._now, env._now
                row.outcome = "success" if ok else "error"
                rec.attempt(row)
                info.attempts += 1
            if ok:
                fails[p] = 0
                return True
            fails[p] += 1
            if fails[p] >= 5:
                opened[p], fails[p] = env._now, 0
            if attempt < 3:
                yield sleep(2.0**attempt)
        return False

    def request(rid: int):
        info = RequestState(rid, env._now, TEXT, math.nan, math.nan, math.nan, None, math.inf)
        for p in PLUGINS:
            ok = yield from call(rid, info, p)
            if not ok:
                break
        done[0] += 1
        if rows:
            info.finish("succeeded" if ok else "failed", "", env._now)
            rec.request(info)

    times = iter(np.cumsum(rng.exponential(1 / RATE, n)).tolist())
    count = [0]

    def arrive(_: object) -> None:
        start(request(count[0]))
        count[0] += 1
        at = next(times, None)
        if at is not None:
            sleep(at - env._now).callbacks.append(arrive)

    sleep(next(times)).callbacks.append(arrive)
    run(env)
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
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 3)")
    ap.add_argument("--no-guards-on", action="store_true", help="leave out the every-guard-on contender")
    ap.add_argument("--per-guard", action="store_true", help="also time each guard on its own")
    ap.add_argument("--no-floor", action="store_true", help="leave out the two floor contenders")
    ap.add_argument("--against", metavar="DIR", help="another checkout whose engine runs as a contender")
    args = ap.parse_args()
    n = args.requests
    from simroute.common.build import build

    print(f"simroute's build: {build()} (SIMROUTE_PURE=1 runs the source; compare the two runs' ratios)")
    off = scenario(n, False)
    contenders = {"hand-written SimPy": lambda: hand_written(n, args.seed),
                  "simroute, guards off": lambda: sr.run(off, args.seed),
                  "simroute, record summary": lambda: sr.run(off, args.seed, record="summary")}
    if args.against:
        before = load_checkout(args.against)
        old = scenario(n, False, before, Path(args.against) / "simroute" / "data" / "catalog")
        contenders[f"simroute at {args.against}"] = lambda: before.run(old, args.seed)
    if not args.no_guards_on:
        on = every_guard_on(off)
        contenders["simroute, every guard on"] = lambda: sr.run(on, args.seed)
    if not args.no_floor:
        contenders["floor: mechanisms only"] = lambda: floor(n, args.seed)
        contenders["floor: mechanisms + rows"] = lambda: floor(n, args.seed, rows=True)
    if args.per_guard:
        for guard in GUARDS_ON:
            one = every_guard_on(off, (guard,))
            contenders[f"simroute, {guard} on"] = lambda one=one: sr.run(one, args.seed)
    for fn in contenders.values():  # one untimed round first: first-call imports and caches
        fn()
    seconds: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(max(3, args.rounds)):
        for name, fn in contenders.items():  # A B C A B C …
            out, s = timed(fn)
            seconds[name].append(s)
            if name.startswith("simroute") and not name.endswith("summary"):
                res = out
                assert len(res.requests) == n
    base = np.array(seconds["hand-written SimPy"])
    if args.against:
        ratio = np.array(seconds[f"simroute at {args.against}"]) / np.array(seconds["simroute, guards off"])
        print(f"this engine (guards off) against {args.against}: median {np.median(ratio):.2f}× as fast, "
              f"range {ratio.min():.2f}-{ratio.max():.2f}")
    for name, s in seconds.items():
        s = np.array(s)
        print(f"{name:26} {n / np.median(s):10.0f} requests/s (median of {len(s)})")
        if name != "hand-written SimPy":
            ratio = base / s
            print(f"    ratio to hand-written: median {np.median(ratio):.2f}, range {ratio.min():.2f}-"
                  f"{ratio.max():.2f}" + ("  (target >= 1.5)" if name.endswith(("off", "summary")) else ""))
    for name in seconds:
        if name.endswith(" on"):
            extra = np.array(seconds[name]) - np.array(seconds["simroute, guards off"])
            print(f"{name.removeprefix('simroute, ')} costs {np.median(extra) / n * 1e6:.1f} µs per request "
                  f"(range {extra.min() / n * 1e6:.1f}-{extra.max() / n * 1e6:.1f})")
    # table build alone: the recorder's table (typed columns and categorical codes, as the engine
    # fills them) → DataFrame, timed without refilling it
    from simroute.engine.recorder import TYPES, Recorder, Table
    from simroute.engine.records import RECORDED_ATTEMPT_COLUMNS

    table = Table(RECORDED_ATTEMPT_COLUMNS, TYPES["attempts"])
    for row in zip(*(res.attempts[c].tolist() for c in RECORDED_ATTEMPT_COLUMNS), strict=True):
        table.add(*row)
    t = time.perf_counter()
    Recorder.attempts_frame(table, args.seed, 0)
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
