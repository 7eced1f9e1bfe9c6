"""The summary metrics: one table of names, units and definitions, and the code that computes them.

:data:`METRICS` is the single list the package uses: :meth:`Results.summary` computes exactly
these rows, the command line's help lists them (``simroute run --help``, ``simroute tune --help``),
``docs/metrics.md`` is generated from it, and :func:`metric` refuses a name that is not in it.

A summary covers a *window*: the requests that arrived in it (their latency, status and cost, and
their attempts), and for the time-based metrics (utilization, breaker open time, goodput) the
window's length. The default window leaves out the warm-up (``warmup.seconds`` /
``warmup.requests``) and ends with the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..common.errors import InputError
from ..resilience.failure import FAILURE_KINDS, REFUSALS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Metric", "METRICS", "STATUS_RATES", "LATENCY_QUANTILES", "metric", "metrics_table",
           "metrics_reference", "compute"]


@dataclass(frozen=True)
class Metric:
    """One summary metric.

    Parameters:
        name: the ``metric`` column's value.
        unit: its unit (``s``, ``share``, ``$``, ``requests/h`` …).
        definition: what it measures, in one sentence.
        key: what the ``key`` column holds (``plugin``, ``tier``; empty: one row per summary).
        better: ``lower`` or ``higher`` when one direction is better (empty: neither).
    """
    name: str
    unit: str
    definition: str
    key: str = ""
    better: str = ""


METRICS: tuple[Metric, ...] = (
    Metric("requests", "requests", "requests that arrived in the window"),
    Metric("latency_p50", "s", "median of end − arrival over the requests that ended", better="lower"),
    Metric("latency_p95", "s", "95th percentile of end − arrival over the requests that ended",
           better="lower"),
    Metric("latency_p99", "s", "99th percentile of end − arrival over the requests that ended",
           better="lower"),
    Metric("latency_mean", "s", "mean of end − arrival over the requests that ended", better="lower"),
    Metric("latency_growth", "ratio", "mean latency of the last third of the window's arrivals ÷ that "
           "of the first third (well above 1: latency grows with the horizon, a sign of saturation)",
           better="lower"),
    Metric("success_rate", "share", "requests that succeeded: every phase answered by the plugin it "
           "was routed to, no fallback (status succeeded)", better="higher"),
    Metric("degraded_rate", "share", "requests answered, but some phase by a fallback, or by the "
           "orchestrator's built-in handling when nothing matched (status degraded)", better="lower"),
    Metric("failed_rate", "share", "requests that failed (status failed)", better="lower"),
    Metric("compensated_rate", "share", "saga requests rolled back (status compensated)", better="lower"),
    Metric("rejected_rate", "share", "requests refused before any call (status rejected, e.g. over "
           "budget)", better="lower"),
    Metric("in_flight_rate", "share", "requests still running when the run stopped", better="lower"),
    Metric("goodput", "requests/h", "succeeded requests per hour of the window", better="higher"),
    Metric("slo_attainment", "share", "requests that succeeded within the latency target slo.latency",
           better="higher"),
    Metric("cost_total", "$", "what the window's requests' attempts cost"),
    Metric("cost_per_request", "$/request", "cost_total ÷ requests", better="lower"),
    Metric("cost_per_success", "$/request", "cost_total ÷ succeeded requests (failures' spend "
           "included)", better="lower"),
    Metric("cost_by_tier", "$", "the attempts' cost by model tier", key="tier"),
    Metric("cost_by_plugin", "$", "the attempts' cost by plugin", key="plugin"),
    Metric("attempts_per_request", "calls", "attempts made per request, refused ones included",
           better="lower"),
    Metric("retry_amplification", "ratio", "calls sent (not refused by a guard) per call needed (one "
           "per phase or saga step)", better="lower"),
    Metric("failed_attempts_per_request", "calls", "attempts ending in a failure kind (error, timeout, "
           "rate_limited, non_retryable) per request", better="lower"),
    Metric("fast_fails_per_request", "calls", "attempts refused by a guard (breaker, bulkhead, "
           "shedding, deadline) per request", better="lower"),
    Metric("timeouts_per_request", "calls", "attempts ending timeout per request", better="lower"),
    Metric("abandoned_work", "s", "plugin seconds spent on calls whose caller had given up",
           better="lower"),
    Metric("fallback_rate", "share", "requests that moved to a fallback at least once", better="lower"),
    Metric("utilization", "share", "busy slot-seconds in the window ÷ (capacity × window length)",
           key="plugin"),
    Metric("breaker_open_time", "s", "time in the window the plugin's breaker was open", key="plugin",
           better="lower"),
    Metric("queue_wait_mean", "s", "mean wait for a slot of the window's calls the plugin served",
           key="plugin", better="lower"),
)

_BY_NAME = {m.name: m for m in METRICS}
LATENCY_QUANTILES = (0.5, 0.95, 0.99)  #: the latency_pNN metrics (both record levels)
#: each request status and the metric of its share (they add up to 1)
STATUS_RATES = {"succeeded": "success_rate", "degraded": "degraded_rate", "failed": "failed_rate",
                "compensated": "compensated_rate", "rejected": "rejected_rate",
                "in_flight": "in_flight_rate"}


def metric(name: str, field: str = "metric") -> Metric:
    """The metric called ``name``.

    Parameters:
        name: a metric name.
        field: the option or field to name in the error.

    Returns:
        Its :class:`Metric`.

    Raises:
        InputError: an unknown name (the message lists the known ones).
    """
    found = _BY_NAME.get(name)
    if found is None:
        raise InputError(f"unknown metric {name!r} (known: {', '.join(_BY_NAME)})", field=field)
    return found


def metrics_table() -> pd.DataFrame:
    """Every metric as a row: ``metric, key, unit, better, definition``.

    Returns:
        The table (the same as ``docs/metrics.md`` and the command line's help).
    """
    import pandas as pd

    return pd.DataFrame([(m.name, m.key, m.unit, m.better, m.definition) for m in METRICS],
                        columns=["metric", "key", "unit", "better", "definition"])


def metrics_reference() -> str:
    """The metrics as a Markdown table (``docs/metrics.md``).

    Returns:
        Markdown text.
    """
    lines = ["| metric | key | unit | better | definition |", "|---|---|---|---|---|"]
    lines += [f"| `{m.name}` | {m.key} | {m.unit} | {m.better} | {m.definition} |" for m in METRICS]
    return "\n".join(lines) + "\n"


def metrics_help() -> str:
    """The metric names and units, for the command line's help."""
    return "metrics: " + ", ".join(f"{m.name} ({m.unit})" for m in METRICS if not m.key) + \
        "; per plugin or tier: " + ", ".join(f"{m.name} ({m.unit})" for m in METRICS if m.key)


# ---------------------------------------------------------------------- computing them
Intervals = Sequence[tuple[float, float]]


def _inside(times: pd.Series, intervals: Intervals) -> np.ndarray:
    t = times.to_numpy(float)
    mask = np.zeros(len(t), bool)
    for a, b in intervals:
        mask |= (t >= a) & (t < b)
    return mask


def _overlap(starts: np.ndarray, ends: np.ndarray, intervals: Intervals) -> np.ndarray:
    """Per row, the length of [start, end] that falls inside the intervals."""
    total = np.zeros(len(starts))
    for a, b in intervals:
        total += np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0.0, None)
    return total


def _open_spans(events: pd.DataFrame, end_time: float) -> pd.DataFrame:
    """Every span a breaker was open: plugin, start, end."""
    import pandas as pd

    rows = []
    for plugin, g in events.sort_values("time", kind="stable").groupby("plugin", sort=False):
        since = None
        for t, to in zip(g.time, g.to_state, strict=True):
            if str(to) == "open" and since is None:
                since = t
            elif str(to) != "open" and since is not None:
                rows.append((plugin, since, t))
                since = None
        if since is not None:
            rows.append((plugin, since, end_time))
    return pd.DataFrame(rows, columns=["plugin", "start", "end"])


def compute(requests: pd.DataFrame, attempts: pd.DataFrame, breaker_events: pd.DataFrame,
            plugins: pd.DataFrame, intervals: Intervals, end_time: float,
            slo_latency: float) -> list[tuple[str, str, float]]:
    """The rows ``(metric, key, value)`` of one summary (see :meth:`Results.summary`).

    Parameters:
        requests: the run's requests table.
        attempts: the run's attempts table.
        breaker_events: the run's breaker transitions.
        plugins: the run's plugins table (capacity, breaker).
        intervals: the window, as ``[(start, end), …]`` in seconds (ends clipped to the run).
        end_time: when the run stopped, in seconds.
        slo_latency: the latency target of ``slo_attainment``, in seconds.

    Returns:
        One ``(metric, key, value)`` per row, in :data:`METRICS` order.
    """
    import pandas as pd

    r = requests[_inside(requests.arrival, intervals)]
    intervals = [(max(0.0, a), min(b, end_time)) for a, b in intervals if min(b, end_time) > max(0.0, a)]
    span = sum(b - a for a, b in intervals)
    a = attempts[attempts.request_id.isin(r.request_id)] if len(r) < len(requests) else attempts
    n = len(r)
    rows: list[tuple[str, str, float]] = []

    def add(name: str, value: float, key: str = "") -> None:
        rows.append((name, key, float(value)))

    def per_request(count: float) -> float:
        return count / n if n else np.nan

    add("requests", n)
    done = r.latency.dropna()
    for q in LATENCY_QUANTILES:
        add(f"latency_p{int(q * 100)}", done.quantile(q) if len(done) else np.nan)
    add("latency_mean", done.mean() if len(done) else np.nan)
    thirds = np.array_split(r.sort_values("arrival").latency.to_numpy(float), 3) if n >= 3 else []
    first, last = (np.nanmean(thirds[0]), np.nanmean(thirds[-1])) if len(thirds) == 3 and \
        np.isfinite(thirds[0]).any() and np.isfinite(thirds[-1]).any() else (np.nan, np.nan)
    add("latency_growth", last / first if first > 0 else np.nan)
    status = r.status.to_numpy()
    succeeded = int((status == "succeeded").sum())
    for st, name in STATUS_RATES.items():
        add(name, per_request(float((status == st).sum())))
    add("goodput", succeeded / (span / 3600) if span > 0 else np.nan)
    within = (status == "succeeded") & (r.latency.to_numpy(float) <= slo_latency)
    add("slo_attainment", per_request(float(within.sum())))
    cost = float(r.cost.sum())
    add("cost_total", cost)
    add("cost_per_request", per_request(cost))
    add("cost_per_success", cost / succeeded if succeeded else np.nan)
    # by name (a categorical column groups in the order its values were first seen)
    for tier, c in sorted(a.groupby("tier", observed=True).cost.sum().items(), key=lambda kv: str(kv[0])):
        if tier:
            add("cost_by_tier", c, str(tier))
    for plugin, c in sorted(a.groupby("plugin", observed=True).cost.sum().items(), key=lambda kv: str(kv[0])):
        add("cost_by_plugin", c, str(plugin))
    add("attempts_per_request", r.attempts.mean() if n else np.nan)
    calls_needed = r.phases.sum()  # one call per phase (or saga step) if nothing failed
    outcome = a.outcome
    sent = ~outcome.isin(REFUSALS)
    add("retry_amplification", sent.sum() / calls_needed if calls_needed else np.nan)
    add("failed_attempts_per_request", per_request(outcome.isin(FAILURE_KINDS).sum()))
    add("fast_fails_per_request", per_request(outcome.isin(REFUSALS).sum()))
    add("timeouts_per_request", per_request((outcome == "timeout").sum()))
    add("abandoned_work", a.service[a.abandoned].sum())
    add("fallback_rate", per_request((r.fallbacks > 0).sum()))

    # time-based, per plugin: every call's work inside the window, whoever's request it was
    worked = attempts[attempts.start.notna()]
    busy = pd.Series(_overlap(worked.start.to_numpy(float),
                              worked.server_end.fillna(end_time).to_numpy(float), intervals),
                     index=worked.index).groupby(worked.plugin, observed=True).sum()
    spans = _open_spans(breaker_events, end_time)
    open_time = pd.Series(_overlap(spans.start.to_numpy(float), spans.end.to_numpy(float), intervals),
                          index=spans.index).groupby(spans.plugin).sum() if len(spans) else pd.Series()
    served = a[sent & a.start.notna()]
    waits = served.groupby("plugin", observed=True).queue_wait.mean()
    for plugin, capacity in zip(plugins.plugin, plugins.capacity, strict=True):
        add("utilization", busy.get(plugin, 0.0) / (capacity * span) if span > 0 else np.nan, plugin)
        add("breaker_open_time", open_time.get(plugin, 0.0), plugin)
        if plugin in waits.index:
            add("queue_wait_mean", waits[plugin], plugin)
    return rows
