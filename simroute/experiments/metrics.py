"""The summary metrics: one table of names, units and definitions, and the code that computes them.

:data:`METRICS` is the single list the package uses: :meth:`Results.summary` computes exactly
these rows, the command line's help lists them (``simroute run --help``, ``simroute tune --help``),
``docs/metrics.md`` is generated from it, and :func:`metric` refuses a name that is not in it.

A summary covers a *window*: the requests that arrived in it (their latency, status and cost, and
their attempts), and for the time-based metrics (utilization, breaker open time, goodput) the
window's length. The default window leaves out the warm-up (``warmup.seconds`` /
``warmup.requests``) and ends with the run.

Latency and cost per request are over the requests *served*: those not refused before any call
(status ``rejected``, e.g. over budget, at once and for $0). Counting those would make a setting
that refuses more look faster and cheaper; their share is ``rejected_rate``, reported beside them,
with ``failed_rate`` (failed requests were served: their latency and cost count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..common.errors import InputError, did_you_mean
from ..common.statuses import COMPENSATED, DEGRADED, FAILED, IN_FLIGHT, REJECTED, SUCCEEDED
from ..resilience.failure import FAILURE_KINDS, REFUSALS, TIMEOUT

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Metric", "METRICS", "INTERVAL_BY_UNIT", "interval_kind", "words", "Tally", "STATUS_RATES",
           "LATENCY_QUANTILES", "TOKEN_TIMES", "metric", "metrics_table", "metrics_reference", "compute",
           "rows", "register", "tally"]


class Tally(Protocol):
    """The facts of a summary's window every metric is computed from. Each record level supplies
    them: a full run from its tables (:func:`compute`), the summary level from its folded
    counters (:class:`~simroute.experiments.streaming.StreamSummary`)."""

    requests: int  #: requests that arrived in the window
    status: dict[str, int]  #: requests by status
    within_slo: int  #: requests that succeeded within slo.latency
    cost: float  #: dollars of the window's requests
    attempts: int  #: attempts made by the window's requests (refused ones included)
    phases: int  #: calls needed (one per phase or saga step)
    sent: int  #: attempts not refused by a guard
    failed_attempts: int  #: attempts ending in a failure kind (an attempt's own call: hedged copies aside)
    fast_fails: int  #: attempts refused by a guard
    timeouts: int  #: attempts ending timeout (an attempt's own call)
    abandoned_work: float  #: plugin seconds on calls whose caller had given up
    fell_back: int  #: requests that moved to a fallback at least once
    cost_by_tier: dict[str, float]  #: dollars by model tier
    cost_by_plugin: dict[str, float]  #: dollars by plugin
    plugins: dict[str, int]  #: each plugin's capacity, in the run's order

    @property
    def span(self) -> float:
        """Seconds in the window."""

    @property
    def latency_mean(self) -> float:
        """Mean latency of the requests served that ended, in seconds (NaN: none)."""

    @property
    def latency_growth(self) -> float:
        """Mean latency of the last third of the arrivals ÷ that of the first third."""

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the latencies of the requests served that ended (NaN: none)."""

    def token_quantile(self, name: str, q: float) -> float:
        """The ``q`` quantile of the window's ``ttft`` or ``tpot`` values (NaN: no request has one:
        none was answered by a token-aware deployment)."""

    def busy_time(self, plugin: str) -> float:
        """Slot-seconds the plugin worked inside the window."""

    def breaker_open(self, plugin: str) -> float:
        """Seconds inside the window the plugin's breaker was open."""

    def queue_wait(self, plugin: str) -> float | None:
        """Mean wait for a slot of the window's calls the plugin served (None: it served none)."""


@dataclass(frozen=True)
class Metric:
    """One summary metric: what it is (the docs and the command line's help) and how it is
    computed from a :class:`Tally` (both record levels).

    Parameters:
        name: the ``metric`` column's value.
        unit: its unit (``s``, ``share``, ``$``, ``requests/h`` …).
        definition: what it measures, in one sentence.
        key: what the ``key`` column holds (``plugin``, ``tier``; empty: one row per summary).
        better: ``lower`` or ``higher`` when one direction is better (empty: neither).
        value: ``value(tally)`` → its value; with a ``key``, ``(key, value)`` pairs in row order;
            with ``each``, ``value(tally, plugin)`` → its value for that plugin (None: no row).
        each: one row per plugin of the run, in the run's order; consecutive ``each`` metrics
            interleave (a plugin's rows together).
        interval: how a confidence interval over replications keeps to its domain (empty: from the
            unit — :func:`interval_kind`).
    """
    name: str
    unit: str
    definition: str
    key: str = ""
    better: str = ""
    value: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    each: bool = False
    interval: str = ""


#: the interval rule of each unit's domain (:func:`simroute.experiments.sweep.bounds`): shares in
#: [0, 1] get Wilson score intervals; positive quantities, intervals on the log scale
INTERVAL_BY_UNIT = {"share": "wilson", "s": "log", "$": "log", "$/request": "log", "calls": "log",
                    "requests": "log", "requests/h": "log", "ratio": "log"}


def words(name: str) -> str:
    """A metric's name in words, for titles, headers and sentences (``latency_p95`` → ``p95
    latency``, ``ttft_p50`` → ``p50 TTFT``, ``cost_per_success`` → ``cost per success``)."""
    head, _, tail = name.partition("_")
    if head in ("latency", "ttft", "tpot") and tail.startswith("p") and tail[1:].isdigit():
        return f"{tail} {head if head == 'latency' else head.upper()}"
    return name.replace("_", " ")


def interval_kind(name: str) -> str:
    """How the confidence interval of metric ``name`` keeps to its domain: ``wilson`` (a share),
    ``log`` (a positive quantity) or ``t`` (anything else, and a name that is not a metric)."""
    m = next((m for m in METRICS if m.name == name), None)
    if m is None:
        return "t"
    return m.interval or INTERVAL_BY_UNIT.get(m.unit, "t")


def _per_request(t: Tally, count: float) -> float:
    return count / t.requests if t.requests else math.nan


def _rate(status: str) -> Callable[[Tally], float]:
    return lambda t: _per_request(t, t.status[status])


def _by_name(costs: Mapping[str, float]) -> list[tuple[str, float]]:
    return [(k, costs[k]) for k in sorted(costs) if k]


LATENCY_QUANTILES = (0.5, 0.95, 0.99)  #: the latency_pNN metrics (both record levels)
#: the LLM serving times of a request answered by a token-aware deployment (requests table columns)
TOKEN_TIMES = {"ttft": "the time to first token (from arrival to the answer's first token: queue, "
                       "earlier attempts and prefill)",
               "tpot": "the time per output token of the answer's decode"}
#: each request status and the metric of its share (they add up to 1)
STATUS_RATES = {SUCCEEDED: "success_rate", DEGRADED: "degraded_rate", FAILED: "failed_rate",
                COMPENSATED: "compensated_rate", REJECTED: "rejected_rate", IN_FLIGHT: "in_flight_rate"}
_ORDINAL = {0.5: "median", 0.95: "95th percentile", 0.99: "99th percentile"}

#: every summary metric, in the summary's row order; :func:`register` adds one
METRICS: list[Metric] = [
    Metric("requests", "requests", "requests that arrived in the window", value=lambda t: t.requests),
    *(Metric(f"latency_p{int(q * 100)}", "s", f"{_ORDINAL[q]} of end − arrival over the requests served "
             "that ended (rejected ones left out)",
             better="lower", value=lambda t, q=q: t.quantile(q)) for q in LATENCY_QUANTILES),
    *(Metric(f"{name}_p{int(q * 100)}", "s", f"{_ORDINAL[q]} of {TOKEN_TIMES[name]}, over the requests a "
             "token-aware deployment (service dist llm) answered (NaN: none)", better="lower",
             value=lambda t, name=name, q=q: t.token_quantile(name, q))
      for name in TOKEN_TIMES for q in (0.5, 0.95)),
    Metric("latency_mean", "s", "mean of end − arrival over the requests served that ended (rejected "
           "ones left out)", better="lower",
           value=lambda t: t.latency_mean),
    Metric("latency_growth", "ratio", "mean latency of the last third of the window's arrivals ÷ that "
           "of the first third, each over the requests served (well above 1: latency grows with the "
           "horizon, a sign of saturation)",
           better="lower", value=lambda t: t.latency_growth),
    Metric("success_rate", "share", "requests that succeeded: every phase answered by the plugin it "
           "was routed to, no fallback (status succeeded)", better="higher", value=_rate(SUCCEEDED)),
    Metric("degraded_rate", "share", "requests answered, but some phase by a fallback, or by the "
           "orchestrator's built-in handling when nothing matched (status degraded)", better="lower",
           value=_rate(DEGRADED)),
    Metric("failed_rate", "share", "requests that failed (status failed)", better="lower",
           value=_rate(FAILED)),
    Metric("compensated_rate", "share", "saga requests rolled back (status compensated)", better="lower",
           value=_rate(COMPENSATED)),
    Metric("rejected_rate", "share", "requests refused before any call (status rejected, e.g. over "
           "budget)", better="lower", value=_rate(REJECTED)),
    Metric("in_flight_rate", "share", "requests still running when the run stopped", better="lower",
           value=_rate(IN_FLIGHT)),
    Metric("goodput", "requests/h", "succeeded requests per hour of the window", better="higher",
           value=lambda t: t.status[SUCCEEDED] / (t.span / 3600) if t.span > 0 else math.nan),
    Metric("slo_attainment", "share", "requests that succeeded within the latency target slo.latency",
           better="higher", value=lambda t: _per_request(t, t.within_slo)),
    Metric("cost_total", "$", "what the window's requests' attempts cost", value=lambda t: t.cost),
    Metric("cost_per_request", "$/request", "cost_total ÷ requests served (rejected ones, which cost "
           "nothing, left out)", better="lower",
           value=lambda t: t.cost / (t.requests - t.status[REJECTED]) if t.requests > t.status[REJECTED]
           else math.nan),
    Metric("cost_per_success", "$/request", "cost_total ÷ succeeded requests (failures' spend "
           "included)", better="lower",
           value=lambda t: t.cost / t.status[SUCCEEDED] if t.status[SUCCEEDED] else math.nan),
    Metric("cost_by_tier", "$", "the attempts' cost by model tier", key="tier",
           value=lambda t: _by_name(t.cost_by_tier)),
    Metric("cost_by_plugin", "$", "the attempts' cost by plugin", key="plugin",
           value=lambda t: _by_name(t.cost_by_plugin)),
    Metric("attempts_per_request", "calls", "attempts made per request, refused ones included",
           better="lower", value=lambda t: _per_request(t, t.attempts)),
    Metric("retry_amplification", "ratio", "calls sent (not refused by a guard) per call needed (one "
           "per phase or saga step)", better="lower",
           value=lambda t: t.sent / t.phases if t.phases else math.nan),
    Metric("failed_attempts_per_request", "calls", "attempts whose own call (not a hedged copy) ended in "
           "a failure kind (error, timeout, "
           "rate_limited, non_retryable) per request", better="lower",
           value=lambda t: _per_request(t, t.failed_attempts)),
    Metric("fast_fails_per_request", "calls", "attempts refused by a guard (breaker, bulkhead, "
           "shedding, deadline) per request", better="lower", value=lambda t: _per_request(t, t.fast_fails)),
    Metric("timeouts_per_request", "calls", "attempts whose own call (not a hedged copy) ended timeout "
           "per request", better="lower",
           value=lambda t: _per_request(t, t.timeouts)),
    Metric("abandoned_work", "s", "plugin seconds spent on calls whose caller had given up",
           better="lower", value=lambda t: t.abandoned_work),
    Metric("fallback_rate", "share", "requests that moved to a fallback at least once", better="lower",
           value=lambda t: _per_request(t, t.fell_back)),
    Metric("utilization", "share", "busy slot-seconds in the window ÷ (capacity × window length)",
           key="plugin", each=True,
           value=lambda t, p: t.busy_time(p) / (t.plugins[p] * t.span) if t.span > 0 else math.nan),
    Metric("breaker_open_time", "s", "time in the window the plugin's breaker was open", key="plugin",
           better="lower", each=True, value=lambda t, p: t.breaker_open(p)),
    Metric("queue_wait_mean", "s", "mean wait for a slot of the window's calls the plugin served",
           key="plugin", better="lower", each=True, value=lambda t, p: t.queue_wait(p)),
]


def register(new: Metric) -> Metric:
    """Add a metric: every summary (both record levels), sweep, tuning run and the docs' table
    then have it. Its ``value`` reads the :class:`Tally`; a metric needing a fact the tally does
    not hold also needs that fact added to both record levels.

    Parameters:
        new: the metric (a new name, with a ``value``).

    Returns:
        ``new``.
    """
    if any(m.name == new.name for m in METRICS):
        raise ValueError(f"a metric called {new.name!r} exists")
    if new.value is None:
        raise ValueError(f"metric {new.name!r} has no value function")
    METRICS.append(new)
    return new


def rows(tally: Tally) -> list[tuple[str, str, float]]:
    """The rows ``(metric, key, value)`` of one summary, in :data:`METRICS` order (consecutive
    per-plugin metrics interleaved, a plugin's rows together).

    Parameters:
        tally: the window's facts.

    Returns:
        One ``(metric, key, value)`` per row.
    """
    out: list[tuple[str, str, float]] = []
    i = 0
    while i < len(METRICS):
        m = METRICS[i]
        assert m.value is not None
        if m.each:
            group = [m]
            while i + len(group) < len(METRICS) and METRICS[i + len(group)].each:
                group.append(METRICS[i + len(group)])
            for plugin in tally.plugins:
                for g in group:
                    v = g.value(tally, plugin)  # type: ignore[misc]
                    if v is not None:
                        out.append((g.name, plugin, float(v)))
            i += len(group)
            continue
        if m.key:
            out.extend((m.name, str(k), float(v)) for k, v in m.value(tally))
        else:
            out.append((m.name, "", float(m.value(tally))))
        i += 1
    return out


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
    found = next((m for m in METRICS if m.name == name), None)
    if found is None:
        known = ", ".join(m.name for m in METRICS)
        hint = did_you_mean(name, (m.name for m in METRICS))
        raise InputError(f"unknown metric {name!r}{hint} (known: {known})", field=field)
    return found


def metrics_table() -> pd.DataFrame:
    """Every metric as a row: ``metric, key, unit, better, interval, definition`` (``interval``: how
    its confidence intervals keep to its domain, :func:`interval_kind`).

    Returns:
        The table (the same as ``docs/metrics.md`` and the command line's help).
    """
    import pandas as pd

    return pd.DataFrame([(m.name, m.key, m.unit, m.better, interval_kind(m.name), m.definition)
                         for m in METRICS],
                        columns=["metric", "key", "unit", "better", "interval", "definition"])


def metrics_reference() -> str:
    """The metrics as a Markdown table (``docs/metrics.md``).

    Returns:
        Markdown text.
    """
    lines = ["| metric | key | unit | better | interval | definition |", "|---|---|---|---|---|---|"]
    lines += [f"| `{m.name}` | {m.key} | {m.unit} | {m.better} | {interval_kind(m.name)} | {m.definition} |"
              for m in METRICS]
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


@dataclass
class TableTally:
    """The :class:`Tally` of a full run's window, from its tables (see :func:`compute`)."""

    requests: int
    status: dict[str, int]
    within_slo: int
    cost: float
    attempts: int
    phases: int
    sent: int
    failed_attempts: int
    fast_fails: int
    timeouts: int
    abandoned_work: float
    fell_back: int
    cost_by_tier: dict[str, float]
    cost_by_plugin: dict[str, float]
    plugins: dict[str, int]
    span: float
    latency_mean: float
    latency_growth: float
    latencies: pd.Series  #: the latencies of the requests served that ended
    tokens: dict[str, pd.Series]  #: ttft and tpot of the requests that have them
    busy: pd.Series  #: slot-seconds by plugin
    open_time: pd.Series  #: seconds open by plugin
    waits: pd.Series  #: mean queue wait by plugin (plugins that served calls)

    def quantile(self, q: float) -> float:
        return float(self.latencies.quantile(q)) if len(self.latencies) else math.nan

    def token_quantile(self, name: str, q: float) -> float:
        values = self.tokens[name]
        return float(values.quantile(q)) if len(values) else math.nan

    def busy_time(self, plugin: str) -> float:
        return float(self.busy.get(plugin, 0.0))

    def breaker_open(self, plugin: str) -> float:
        return float(self.open_time.get(plugin, 0.0))

    def queue_wait(self, plugin: str) -> float | None:
        return float(self.waits[plugin]) if plugin in self.waits.index else None


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
    return rows(tally(requests, attempts, breaker_events, plugins, intervals, end_time, slo_latency))


def tally(requests: pd.DataFrame, attempts: pd.DataFrame, breaker_events: pd.DataFrame,
          plugins: pd.DataFrame, intervals: Intervals, end_time: float, slo_latency: float) -> TableTally:
    """The window's facts from a full run's tables (the parameters of :func:`compute`)."""
    import pandas as pd

    r = requests[_inside(requests.arrival, intervals)]
    intervals = [(max(0.0, a), min(b, end_time)) for a, b in intervals if min(b, end_time) > max(0.0, a)]
    a = attempts[attempts.request_id.isin(r.request_id)] if len(r) < len(requests) else attempts
    n = len(r)
    served = r.latency.where(r.status != REJECTED)  # a rejected request: no latency of service
    done = served.dropna()
    thirds = np.array_split(served.loc[r.sort_values("arrival").index].to_numpy(float), 3) if n >= 3 else []
    first, last = (np.nanmean(thirds[0]), np.nanmean(thirds[-1])) if len(thirds) == 3 and \
        np.isfinite(thirds[0]).any() and np.isfinite(thirds[-1]).any() else (np.nan, np.nan)
    status = r.status.to_numpy()
    outcome = a.outcome
    # an attempt's own call; its hedged copies are not attempts (a table without copies: every row)
    own = a.hedge.to_numpy() == 0 if "hedge" in a else np.ones(len(a), bool)
    sent = ~outcome.isin(REFUSALS)
    # time-based, per plugin: every call's work inside the window, whoever's request it was
    worked = attempts[attempts.start.notna()]
    busy = pd.Series(_overlap(worked.start.to_numpy(float),
                              worked.server_end.fillna(end_time).to_numpy(float), intervals),
                     index=worked.index).groupby(worked.plugin, observed=True).sum()
    spans = _open_spans(breaker_events, end_time)
    open_time = pd.Series(_overlap(spans.start.to_numpy(float), spans.end.to_numpy(float), intervals),
                          index=spans.index).groupby(spans.plugin).sum() if len(spans) else pd.Series()
    return TableTally(
        requests=n, status={st: int((status == st).sum()) for st in STATUS_RATES},
        within_slo=int(((status == SUCCEEDED) & (r.latency.to_numpy(float) <= slo_latency)).sum()),
        cost=float(r.cost.sum()), attempts=int(r.attempts.sum()), phases=int(r.phases.sum()),
        sent=int(sent.sum()), failed_attempts=int((outcome.isin(FAILURE_KINDS) & own).sum()),
        fast_fails=int(outcome.isin(REFUSALS).sum()), timeouts=int(((outcome == TIMEOUT) & own).sum()),
        abandoned_work=float(a.service[a.abandoned].sum()), fell_back=int((r.fallbacks > 0).sum()),
        # by name (a categorical column groups in the order its values were first seen)
        cost_by_tier={str(k): float(v) for k, v in a.groupby("tier", observed=True).cost.sum().items()},
        cost_by_plugin={str(k): float(v) for k, v in a.groupby("plugin", observed=True).cost.sum().items()},
        plugins=dict(zip(plugins.plugin, plugins.capacity, strict=True)),
        span=sum(b - a for a, b in intervals),
        latency_mean=float(done.mean()) if len(done) else math.nan,
        latency_growth=last / first if first > 0 else math.nan,
        latencies=done, busy=busy, open_time=open_time,
        tokens={name: (r[name].dropna() if name in r else pd.Series(dtype=float)) for name in TOKEN_TIMES},
        waits=a[sent & a.start.notna()].groupby("plugin", observed=True).queue_wait.mean())
