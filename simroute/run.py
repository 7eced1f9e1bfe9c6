"""``run(scenario, seed, replication)``: one reproducible simulation.

Random streams come from ``numpy.random.SeedSequence(seed, spawn_key=(replication,))`` — the same
child that ``SeedSequence(seed).spawn(n)[replication]`` gives — split into independent streams for
arrivals, service times, failures and retry jitter. No global random state is used.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import simpy

from .engine.orchestrator import Orchestrator
from .engine.recorder import Recorder
from .errors import InputError
from .results import Results
from .scenario import Scenario

__all__ = ["run"]


def _streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    child = np.random.SeedSequence(seed, spawn_key=(replication,))
    names = ("workload", "service", "failure", "retry")
    return {n: np.random.default_rng(s) for n, s in zip(names, child.spawn(len(names)), strict=True)}


PROGRESS_FROM = 200_000  #: runs with at least this many requests show progress by default


def run(scenario: Scenario, seed: int = 0, replication: int = 0, *,
        progress: bool | None = False) -> Results:
    """Simulate ``scenario`` and return its :class:`~simroute.results.Results`.

    Parameters:
        scenario: what to simulate.
        seed: a non-negative integer; the same seed and replication give the same tables.
        replication: the replication number (its random streams are
            ``SeedSequence(seed, spawn_key=(replication,))``).
        progress: show a progress bar with an ETA, counting arrivals (None: for runs of
            :data:`PROGRESS_FROM` requests or more).

    Returns:
        The run's :class:`~simroute.results.Results`.

    Raises:
        ValueError: a seed that is not a non-negative integer.
        InputError: a workload that cannot be generated (a trace that does not parse …).
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    check_memory(scenario)
    rngs = _streams(int(seed), replication)
    env = simpy.Environment()
    rec = Recorder()
    orch = Orchestrator(env, scenario, rngs, rec, scenario.sagas)
    reqs = scenario.workload.generate(rngs["workload"], scenario.horizon)
    mix = scenario.workload.mix

    if progress is None:
        progress = len(reqs.time) >= PROGRESS_FROM
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(reqs.time), desc=f"run {scenario.name}", unit="request", unit_scale=True)

    def source():
        # plain Python values, converted once (indexing numpy arrays per request is slow)
        columns = (reqs.time.tolist(), reqs.mix.tolist(), reqs.text.tolist(), reqs.budget.tolist(),
                   reqs.context_tokens.tolist(), reqs.generated_tokens.tolist())
        for i, (t, k, text, budget, ctx, gen) in enumerate(zip(*columns, strict=True)):
            if bar is not None and not i % 4096:
                bar.update(i - bar.n)
            if t > env.now:
                yield env.timeout(t - env.now)
            if k < 0:  # a trace row naming its request
                env.process(orch.request(i, text, budget, ctx, gen, None))
                continue
            entry = mix[k]
            if ctx != ctx and entry.context_tokens is not None:  # no tokens of its own (NaN)
                ctx, gen = entry.context_tokens, entry.generated_tokens or 0.0
            env.process(orch.request(i, entry.text, budget, ctx, gen, entry.saga, entry.plan, entry.group,
                                     entry.stream))

    env.process(source())
    try:
        env.run(until=scenario.horizon)
    finally:
        if bar is not None:
            bar.update(bar.total - bar.n)
            bar.close()
    end = env.now
    for rid in sorted(orch.active):
        orch.finish(rid, "in_flight", "horizon", end)
    orch.flush()
    cap = {n: s.capacity for n, s in orch.servers.items()}
    busy = {n: s.busy_time() for n, s in orch.servers.items()}
    plugins = pd.DataFrame({
        "plugin": list(cap), "capacity": list(cap.values()), "breaker": [n in orch.breakers for n in cap],
        "busy_time": list(busy.values()),
        "utilization": [busy[n] / (cap[n] * end) if end > 0 else 0.0 for n in cap],
        "breaker_open_time": [_open_time(orch, n, end) for n in cap]})
    requests = Recorder.frame(rec.requests, seed, replication, consume=True).sort_values("request_id",
                                                                           ignore_index=True)
    return Results(
        requests=requests,
        attempts=Recorder.attempts_frame(rec.attempts, seed, replication),
        breaker_events=Recorder.frame(rec.breakers, seed, replication),
        messages=Recorder.frame(rec.messages, seed, replication, consume=True),
        sagas=Recorder.frame(rec.sagas, seed, replication),
        plugins=plugins.assign(seed=seed, replication=replication),
        seed=int(seed), replication=replication, end_time=end, scenario_name=scenario.name,
        final_state=orch.state.snapshot(), warmup=_warmup_end(scenario, reqs.time),
        slo_latency=scenario.settings.slo.latency,
        fault_windows=tuple((f"faults[{i}] {f.plugin} {f.kind}", f.start, f.end)
                            for i, f in enumerate(scenario.faults)))


BYTES_PER_REQUEST = 1536  #: result rows of one request (requests, attempts …), measured at ~1 KiB
BYTES_PER_REQUEST_MESSAGES = 4096  #: the same with every bus message recorded (~3.4 KiB)
MAX_REQUESTS = 100_000_000  #: requests in one run, at most


def available_memory() -> float:
    """Bytes of memory available to a new run (``MemAvailable``; total memory where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def check_memory(scenario: Scenario) -> float:
    """Refuse a run whose tables would not fit in memory, before it starts: the estimate, and what
    to do instead, in one line.

    Parameters:
        scenario: the scenario to run.

    Returns:
        The estimated bytes.

    Raises:
        InputError: an unbounded workload, more than :data:`MAX_REQUESTS` requests, or an estimate
            over 80 % of the available memory.
    """
    n = scenario.workload.expected_requests(scenario.horizon)
    if math.isinf(n):
        raise InputError("nothing bounds the run: give workload.requests or a horizon", field="requests")
    per = BYTES_PER_REQUEST_MESSAGES if scenario.settings.record_messages else BYTES_PER_REQUEST
    need = n * per
    have = available_memory()
    if n > MAX_REQUESTS or need > 0.8 * have:
        raise InputError(f"about {n:,.0f} requests need about {need / 2**30:,.1f} GiB of memory for their "
                         f"tables ({per / 1024:.1f} KiB each) and {have / 2**30:,.1f} GiB is available: "
                         "run fewer requests (workload.requests) or a shorter horizon, in several runs",
                         field="requests")
    return need


def _open_time(orch: Orchestrator, plugin: str, end: float) -> float:
    """Seconds the plugin's breaker was open, or its deployment cooling down."""
    if plugin in orch.breakers:
        return orch.breakers[plugin].open_time(end)
    if orch.group_router is not None and plugin in orch.group_router.cooldowns:
        return orch.group_router.cooldowns[plugin].open_time(end)
    return 0.0


def _warmup_end(scenario: Scenario, arrivals: np.ndarray) -> float:
    """When the warm-up ends: ``warmup.seconds``, or the arrival of request ``warmup.requests`` if
    later (past the last request: the end of time)."""
    w = scenario.settings.warmup
    by_count = 0.0
    if w.requests:
        by_count = float(arrivals[w.requests]) if w.requests < len(arrivals) else np.inf
    return max(float(w.seconds), by_count)
