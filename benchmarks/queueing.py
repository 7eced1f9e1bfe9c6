"""An M/M/c queue in simroute, in plain SimPy (``simpy.Resource``) and in Ciw, side by side.

Usage: python benchmarks/queueing.py [--customers 200000] [--rounds 3] [--seed 1]
(Ciw comes with the benchmark extra: pip install -e ".[bench]"; without it Ciw is left out.)

M/M/10 with λ = 8 and μ = 1 (utilization 0.8). Every contender first serves 1,000 customers
untimed (first-call imports and caches); then they run in this process, interleaved (plain SimPy,
simroute full, simroute summary, Ciw, plain SimPy, …) for ``--rounds`` rounds (at least 3). It
prints each one's median customers per second, the median ratio of its speed to plain SimPy's with
the range over rounds (target: simroute ≥ 1× plain SimPy), and each model's mean wait in queue
against Erlang C, so that a fast contender is also a right one. Two floors run beside them: the same
queue on simroute's own mechanisms alone, and with the rows a full record writes (:func:`floor`).

Measured on two cores (50,000 customers, 5 rounds, compiled): simroute 1.07 (full, range
0.86-1.13) and 1.15 (summary, 0.88-1.19) of plain SimPy's speed, Ciw 0.50, the floors 3.08 and 1.53;
pure Python (3 rounds), 0.75 and 0.73.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import simpy

import simroute as sr

LAM, MU, C = 8.0, 1.0, 10
TEXT = "Terraform the AWS infrastructure"  # one phase on iac-golden-architect
PLUGIN = "iac-golden-architect"
WARMUP = 1_000  #: customers each contender serves once, untimed, before the rounds


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    a = lam / mu
    top = a**c / math.factorial(c) / (1 - a / c)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top) / (c * mu - lam)


def scenario(n: int) -> sr.Scenario:
    cat = sr.load_catalog().with_plugin(PLUGIN, capacity=C, failure_p=0.0,
                                        service={"default": sr.ServiceTime(dist="exponential", mean=1 / MU)})
    settings = sr.Settings(breaker=sr.BreakerSettings(enabled=False))
    return sr.Scenario(name="mmc", catalog=cat, settings=settings,
                       workload=sr.Workload(rate=LAM, requests=n, mix=(sr.MixEntry(text=TEXT),)))


def simroute_wait(n: int, seed: int, record: str) -> float:
    r = sr.run(scenario(n), seed, record=record)
    if record == "summary":
        return float(r.summary().set_index(["metric", "key"]).value[("queue_wait_mean", PLUGIN)])
    return float(r.attempts.queue_wait.mean())


def plain_simpy(n: int, seed: int) -> float:
    """The textbook SimPy model: a source, a process per customer, ``simpy.Resource``."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    server = simpy.Resource(env, C)
    waits: list[float] = []

    def customer():
        arrived = env.now
        with server.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.exponential(1 / MU))

    def source():
        for _ in range(n):
            yield env.timeout(rng.exponential(1 / LAM))
            env.process(customer())

    env.process(source())
    env.run()
    return float(np.mean(waits))


def floor(n: int, seed: int, rows: bool = False) -> float:
    """The same M/M/c on simroute's own mechanisms and nothing else — customers as lean tasks
    (:mod:`simroute.engine.tasks`), the servers as a :class:`~simroute.engine.plugins.PluginServer`,
    draws from blocked streams — with no classification, routing, plan, guards or costs: the floor
    under what simroute's engine can cost per customer. With ``rows``, each customer is also an
    attempt row and a request row written to the recorder's tables and built into the two frames,
    as a run at the full level records them, so the two floors show what recording costs."""
    from simroute.common.draws import Exponentials
    from simroute.engine.plugins import PluginServer
    from simroute.engine.recorder import Recorder
    from simroute.engine.records import Call, RequestState
    from simroute.engine.tasks import run, sleeper, start

    env = simpy.Environment()
    sleep = sleeper(env)
    arrivals = Exponentials(np.random.default_rng(seed))
    service = Exponentials(np.random.default_rng(seed + 1))
    server = PluginServer(env, PLUGIN, C)
    rec = Recorder()
    waits: list[float] = []

    def customer(rid: int):
        arrived = env._now
        if rows:
            info = RequestState(rid, arrived, TEXT, math.nan, math.nan, math.nan, None, math.inf)
            call = Call(rid, "phase", PLUGIN, 0, 1, arrived, "", math.nan, math.inf, 0.0)
        if not server.try_acquire():
            yield server.wait().event
        waits.append(env._now - arrived)
        began = env._now
        yield sleep(service.exponential(1 / MU))
        server.release()
        if rows:
            call.start, call.end, call.server_end, call.outcome = began, env._now, env._now, "success"
            rec.attempt(call)
            info.attempts = 1
            info._plugins.append(PLUGIN)
            info.finish("succeeded", "", env._now)
            rec.request(info)

    def source():
        for rid in range(n):
            yield sleep(arrivals.exponential(1 / LAM))
            start(customer(rid))

    start(source())
    run(env)
    if rows:
        rec.requests.frame(seed, 0, order_by="request_id")
        Recorder.attempts_frame(rec.attempts, seed, 0)
    return float(np.mean(waits))


def ciw_model(n: int, seed: int) -> float:
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
                                 service_distributions=[ciw.dists.Exponential(rate=MU)],
                                 number_of_servers=[C])
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(n, method="Finish")
    return float(np.mean([r.waiting_time for r in sim.get_all_records()]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.customers
    from simroute.common.build import build

    print(f"simroute's build: {build()} (SIMROUTE_PURE=1 runs the source; compare the two runs' ratios)")
    contenders = {"plain SimPy (Resource)": lambda k: plain_simpy(k, args.seed),
                  "simroute, record full": lambda k: simroute_wait(k, args.seed, "full"),
                  "simroute, record summary": lambda k: simroute_wait(k, args.seed, "summary"),
                  "floor: simroute's mechanisms": lambda k: floor(k, args.seed),
                  "floor: mechanisms + rows": lambda k: floor(k, args.seed, rows=True)}
    try:
        import ciw  # noqa: F401

        contenders["Ciw"] = lambda k: ciw_model(k, args.seed)
    except ImportError:
        print("Ciw is not installed (pip install -e '.[bench]'): left out")
    for fn in contenders.values():  # warm-up, untimed: first-call imports and caches
        fn(WARMUP)
    seconds: dict[str, list[float]] = {k: [] for k in contenders}
    waits: dict[str, float] = {}
    for _ in range(max(3, args.rounds)):
        for name, fn in contenders.items():  # A B C D A B C D …
            t = time.perf_counter()
            waits[name] = fn(n)
            seconds[name].append(time.perf_counter() - t)
    theory = erlang_c_wait(C, LAM, MU)
    print(f"M/M/{C}, λ = {LAM}/s, μ = {MU}/s, {n:,} customers; Erlang C mean wait {theory:.4f} s")
    base = np.array(seconds["plain SimPy (Resource)"])
    for name, s in seconds.items():
        s = np.array(s)
        line = f"{name:26} {n / np.median(s):10.0f} customers/s  mean wait {waits[name]:.4f} s"
        if name != "plain SimPy (Resource)":
            ratio = base / s
            line += (f"  speed ÷ plain SimPy: median {np.median(ratio):.2f} (range {ratio.min():.2f}-"
                     f"{ratio.max():.2f})" + ("  target >= 1" if name.startswith("simroute") else ""))
        print(line)
    if "Ciw" in seconds:
        ciw_s = np.array(seconds["Ciw"])
        for name in ("simroute, record full", "simroute, record summary"):
            ratio = ciw_s / np.array(seconds[name])
            print(f"{name} ÷ Ciw: median {np.median(ratio):.2f}× as fast "
                  f"(range {ratio.min():.2f}-{ratio.max():.2f})")


if __name__ == "__main__":
    main()
