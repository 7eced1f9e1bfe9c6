"""``run(scenario, seed, replication)``: one reproducible simulation.

Random streams come from ``numpy.random.SeedSequence(seed, spawn_key=(replication,))`` — the same
child that ``SeedSequence(seed).spawn(n)[replication]`` gives — split into independent streams for
arrivals, service times, failures and retry jitter. No global random state is used.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import simpy

from ..common.errors import InputError
from ..engine.arrivals import Arrivals, Window
from ..engine.orchestrator import Orchestrator
from ..engine.recorder import Recorder
from ..engine.tasks import Environment
from ..engine.tasks import run as run_events
from ..engine.users import ClosedLoop
from ..io.scenario import Scenario
from ..io.workload import KINDS
from ..resilience.failure import TIMEOUT
from .results import Results
from .streaming import FOLDED_COLUMNS, MAX_BINS, MINUTE, StreamSummary, minute_bytes

__all__ = ["check_span", "run"]


def _streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    child = np.random.SeedSequence(seed, spawn_key=(replication,))
    names = ("workload", "service", "failure", "retry")
    return {n: np.random.default_rng(s) for n, s in zip(names, child.spawn(len(names)), strict=True)}


PROGRESS_FROM = 200_000  #: runs with at least this many requests show progress by default


RECORD_LEVELS = ("full", "summary")


def run(scenario: Scenario, seed: int = 0, replication: int = 0, *, record: str = "full",
        progress: bool | None = False, on_chunk: Mapping[str, Callable[[dict], None]] | None = None
        ) -> Results:
    """Simulate ``scenario`` and return its :class:`~simroute.experiments.results.Results`.

    Parameters:
        scenario: what to simulate.
        seed: a non-negative integer; the same seed and replication give the same tables.
        replication: the replication number (its random streams are
            ``SeedSequence(seed, spawn_key=(replication,))``).
        record: ``"full"`` keeps every table (a row per request, attempt …); ``"summary"`` keeps
            no per-request rows, only counters, a latency sketch and per-minute aggregates
            (:mod:`simroute.experiments.streaming`): memory stays flat however long the run. Both give the
            same :meth:`~simroute.experiments.results.Results.summary` (counts and costs exactly, latency
            quantiles within 1 %).
        progress: show a progress bar with an ETA, counting arrivals (None: for runs of
            :data:`PROGRESS_FROM` requests or more).
        on_chunk: ``{"requests" | "attempts": callable}``: hand that table's rows on in chunks of
            :data:`~simroute.engine.recorder.CHUNK` (``{column: values}``, e.g. to a Parquet
            writer) instead of keeping them; the summary is then folded from the same chunks.

    Returns:
        The run's :class:`~simroute.experiments.results.Results`.

    Raises:
        ValueError: a seed that is not a non-negative integer, or an unknown record level.
        InputError: a workload that cannot be generated (a trace that does not parse …), or one
            whose tables would not fit in memory (``record="full"``).
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if record not in RECORD_LEVELS:
        raise ValueError(f"record must be one of {', '.join(RECORD_LEVELS)}, got {record!r}")
    streamed = record == "summary" or bool(on_chunk)
    if not streamed:
        check_memory(scenario)
    check_span(scenario)  # the per-minute tables: both record levels keep them
    rngs = _streams(int(seed), replication)
    env = Environment()
    capacity = {n: p.capacity for n, p in scenario.catalog.plugins.items()}
    stream = StreamSummary(capacity, scenario.settings.slo.latency) if streamed else None
    window = Window()
    # with no reader of the chunks but the folds, the streamed tables keep only what they read
    rec = (Recorder(_chunk_handlers(stream, env, window, on_chunk), keep=None if on_chunk else FOLDED_COLUMNS)
           if stream is not None else Recorder())
    if record == "summary":
        rec.saga = _drop  # a row per saga step: not kept
    orch = Orchestrator(env, scenario, rngs, rec, scenario.sagas, record_messages=record == "full")
    expected = scenario.workload.expected_requests(scenario.horizon)

    if progress is None:
        progress = expected >= PROGRESS_FROM
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(expected) if math.isfinite(expected) else None, desc=f"run {scenario.name}",
                   unit="request", unit_scale=True)

    w = scenario.settings.warmup
    workload = scenario.workload
    on_arrival = None if bar is None else lambda i: bar.update(i - bar.n)
    warmup = (float(w.seconds), int(w.requests or 0))
    arrivals: Arrivals | ClosedLoop
    if KINDS[workload.kind].closed:  # its users send the requests as earlier ones end
        if workload.requests is None and scenario.horizon is None:
            raise InputError("give 'requests' or a horizon", field="requests")
        arrivals = ClosedLoop(env, orch, workload, rngs["workload"], on_arrival, window=window,
                              warmup=warmup)
    else:
        arrivals = Arrivals(env, orch, workload.blocks(rngs["workload"], scenario.horizon), workload.mix,
                            on_arrival, window=window, warmup=warmup)
    try:
        run_events(env, scenario.horizon)
    finally:
        if bar is not None:
            bar.update(arrivals.count - bar.n)
            bar.close()
    end = env.now
    orch.close(end)
    facts = orch.plugin_facts(end)
    busy = {n: facts[n]["busy_time"] for n in capacity}
    plugins = pd.DataFrame({
        "plugin": list(capacity), "capacity": list(capacity.values()),
        "breaker": [facts[n]["breaker"] for n in capacity], "busy_time": list(busy.values()),
        "utilization": [busy[n] / (capacity[n] * end) if end > 0 else 0.0 for n in capacity],
        "breaker_open_time": [facts[n]["open_time"] for n in capacity]})
    breaker_events = rec.breakers.frame(seed, replication)
    if stream is not None:
        rec.requests.flush()
        rec.attempts.flush()
        stream.finish(end, breaker_events, window.warmup_end)
    return Results(
        requests=rec.requests.frame(seed, replication, order_by="request_id"),
        attempts=Recorder.attempts_frame(rec.attempts, seed, replication),
        breaker_events=breaker_events,
        messages=Recorder.frame(rec.messages, seed, replication, consume=True),
        sagas=rec.sagas.frame(seed, replication),
        plugins=plugins.assign(seed=seed, replication=replication),
        seed=int(seed), replication=replication, end_time=end, scenario_name=scenario.name,
        final_state=orch.final_state(), warmup=window.warmup_end,
        slo_latency=scenario.settings.slo.latency,
        fault_windows=tuple((f"faults[{i}] {f.plugin} {f.kind}", f.start, f.end)
                            for i, f in enumerate(scenario.faults)),
        record=record, stream=stream)


def _drop(*_: object) -> None:
    """A row not kept."""


def _chunk_handlers(stream: StreamSummary, env: simpy.Environment, window: Window,
                    on_chunk: Mapping[str, Callable[[dict], None]] | None
                    ) -> dict[str, Callable[[dict], None]]:
    """Fold each chunk of requests and attempts into ``stream`` with the window as known now, then
    hand it on (``on_chunk``)."""
    on_chunk = on_chunk or {}

    def requests(chunk: dict) -> None:
        stream.set_window(window.first, window.warmup_end)
        stream.add_requests(chunk)
        if "requests" in on_chunk:
            on_chunk["requests"](chunk)

    def attempts(chunk: dict) -> None:
        stream.set_window(window.first, window.warmup_end)
        stream.add_attempts(chunk, env.now)
        if "attempts" in on_chunk:
            on_chunk["attempts"](chunk)

    return {"requests": requests, "attempts": attempts}


BYTES_PER_REQUEST = 1536  #: result rows of one request (requests, attempts …): measured at about
#: 0.6 KiB for three phases (benchmarks/scale.py, a full run of 1 M); the margin covers longer plans
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


def check_span(scenario: Scenario) -> float:
    """Refuse a run whose simulated time would make its per-minute tables too big for memory,
    before it starts. They grow with simulated time, not with requests, up to
    :data:`~simroute.experiments.streaming.MAX_BINS` rows; past that their rows merge in pairs, so
    only a machine with very little memory refuses a long run.

    The span is the arrivals' span (the horizon, or the workload's kind's estimate) plus the
    longest ``failure.hang_s`` of a plugin that can hang (a timeout share in its failure model, or
    a fault failing as ``timeout``): an abandoned call holds its plugin that long.

    Parameters:
        scenario: the scenario to run.

    Returns:
        The estimated bytes of the per-minute tables.

    Raises:
        InputError: an estimate over half of the available memory (one line: the span, what makes
            it long, what to change).
    """


    w = scenario.workload
    arrivals = w.span(scenario.horizon)
    if math.isinf(arrivals):  # nothing bounds the arrivals: the workload says so itself, in its words
        return 0.0
    hanging = {f.plugin for f in scenario.faults if f.failure == TIMEOUT}
    hangs = {name: p.failure.hang_s for name, p in scenario.catalog.plugins.items()
             if name in hanging or (p.failure_p > 0 and p.failure.kinds.get(TIMEOUT, 0) > 0)}
    culprit = max(hangs, key=hangs.__getitem__, default=None)
    span = arrivals + (hangs[culprit] if culprit is not None else 0.0)
    if scenario.horizon is not None:
        span = min(span, scenario.horizon)
    rows = min(span / MINUTE, MAX_BINS)  # (past MAX_BINS the rows merge in pairs)
    need = rows * minute_bytes(len(scenario.catalog.plugins))
    have = available_memory()
    if need > 0.5 * have:
        longest = hangs[culprit] if culprit is not None else 0.0
        hang = longest > arrivals
        why = f"{culprit}'s failure.hang_s is {longest:,.0f} s" if hang else "the arrivals span that long"
        fix = "set a horizon, or lower failure.hang_s" if hang else "set a horizon, or run fewer requests"
        raise InputError(f"the run would span about {span:,.0f} s of simulated time ({why}); its per-minute "
                         f"tables would need about {need / 2**30:,.1f} GiB of memory and {have / 2**30:,.1f} "
                         f"GiB is available: {fix}", field="horizon")
    return need
