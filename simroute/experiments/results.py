"""Run results: tidy DataFrames and the summary.

Tables (every row carries ``seed`` and ``replication``; times in simulated seconds; the text
columns of ``requests`` and ``attempts`` are pandas Categoricals, a small code per row):

``requests`` — one row per request: request_id, arrival, end, latency (end − arrival; NaN when
in flight), status (succeeded | degraded | failed | compensated | rejected | in_flight), reason,
text, complexity, saga, primary, plugins_used (comma-separated, in order of first use), phases,
attempts (calls made, including ones rejected by a breaker), retries, fallbacks (moves to a next
candidate), cost (dollars, all attempts), est_cost and est_duration (of the plan run), plan_cost
(the routed plan's estimate before any budget optimization), budget
(NaN: none), optimized, context_tokens, generated_tokens.

``attempts`` — one row per call: request_id, phase (or saga action), plugin, fallback_level
(0 = the phase's own plugin), attempt (1-based on that plugin), hedge (0; 1, 2 … for hedged
copies), queued (sent), start (the plugin started on it; NaN if it never did), end (the caller had
its answer or gave up), server_end (the plugin stopped working on it: later than ``end`` for
abandoned work; NaN if never started or still running at the horizon), queue_wait, service
(seconds the plugin worked on it), outcome (:data:`simroute.resilience.failure.OUTCOMES`: success, error,
timeout, rate_limited, non_retryable, rejected_open, rejected_bulkhead, shed, deadline,
cancelled), retry_after (seconds, for rate_limited), abandoned (the caller gave up while the plugin
still had the call), cost (dollars: paid when the plugin starts on a call its caller waits for;
not for 429s, non-retryable refusals or refusals by a guard), tier.

``breaker_events`` — plugin, time, from_state, to_state. ``messages`` (when recorded) —
message_id (the publish's sequence number), correlation_id, topic, type, source, subscriber,
published, delivered, payload (a dict; equal payloads are one shared object: read-only).
``sagas`` — request_id, saga, step, action, argument, direction (forward | compensate), plugin,
start, end, outcome (success | failure | compensation_failed), attempts. ``plugins`` — plugin,
capacity, breaker (whether it has one), busy_time, utilization, breaker_open_time.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..common.statuses import STATUSES
from ..resilience.failure import REFUSALS

if TYPE_CHECKING:
    from .streaming import StreamSummary

__all__ = ["Results", "STATUSES"]



@dataclass
class Results:
    """The tables of one run (see the module docstring), its summary and its timeline.

    Parameters:
        requests: one row per request (columns in the module docstring).
        attempts: one row per call.
        breaker_events: every breaker transition.
        messages: every bus delivery (when messages are recorded).
        sagas: every saga step and compensation.
        plugins: capacity, busy time, utilization and breaker open time per plugin.
        seed: the run's seed.
        replication: the run's replication number.
        end_time: simulated seconds at the end of the run.
        scenario_name: the scenario's name.
        final_state: the state store at the end: ``{plugin: {key: value}}``.
        warmup: simulated seconds the default summary leaves out: requests arriving before it are
            the warm-up (from the scenario's ``warmup`` settings).
        slo_latency: the latency target of ``slo_attainment`` (the scenario's ``slo.latency``), in s.
        fault_windows: ``(label, start, end)`` for each of the scenario's faults.
        record: the record level: ``"full"`` (every table) or ``"summary"`` (no per-request rows).
        stream: the run's :class:`~simroute.experiments.streaming.StreamSummary` when it kept no rows
            (``record="summary"``, or its tables streamed to disk): its summary comes from it.
    """
    requests: pd.DataFrame
    attempts: pd.DataFrame
    breaker_events: pd.DataFrame
    messages: pd.DataFrame
    sagas: pd.DataFrame
    plugins: pd.DataFrame
    seed: int
    replication: int
    end_time: float  #: simulated seconds at the end of the run
    scenario_name: str = ""
    final_state: dict | None = None  #: the state store at the end: {plugin: {key: value}}
    warmup: float = 0.0  #: simulated seconds the default summary leaves out (the warm-up's end)
    slo_latency: float = math.inf  #: the latency target of slo_attainment, in seconds
    fault_windows: tuple[tuple[str, float, float], ...] = ()  #: (label, start, end) per fault
    record: str = "full"  #: full | summary
    stream: StreamSummary | None = None  #: counters, sketch and per-minute bins (no rows kept)

    def __repr__(self) -> str:
        if self.stream is not None:
            counts = {k: v for k, v in self.stream.status.items() if v}
            return (f"Results({self.scenario_name!r}, seed={self.seed}, replication={self.replication}, "
                    f"record={self.record!r}, {self.stream.requests} requests after the warm-up {counts}, "
                    f"t_end={self.end_time:g}s)")
        counts = self.requests.status.value_counts().to_dict()
        return (f"Results({self.scenario_name!r}, seed={self.seed}, replication={self.replication}, "
                f"{len(self.requests)} requests {counts}, {len(self.attempts)} attempts, "
                f"t_end={self.end_time:g}s)")

    def per_minute(self, by_plugin: bool = False) -> pd.DataFrame:
        """Per-minute aggregates (the same in both record levels).

        Parameters:
            by_plugin: False: ``minute, start`` (s), ``arrivals``, completions by final status
                (``succeeded`` … ``rejected``), ``cost`` ($ of the attempts started in the minute);
                True: ``minute, start, plugin, utilization`` (share of the plugin's slots busy)
                and ``queue`` (calls waiting for a slot at the minute's end).

        Returns:
            One row per minute of the run (per plugin with ``by_plugin``), with ``seed`` and
            ``replication``.
        """
        from .streaming import per_minute

        capacity = dict(zip(self.plugins.plugin, self.plugins.capacity, strict=True))
        if self.stream is not None:
            overall, plugins = self.stream.per_minute()
        else:
            overall, plugins = per_minute(self.requests, self.attempts, capacity, self.end_time)
        out = plugins if by_plugin else overall
        return out.assign(seed=self.seed, replication=self.replication)

    def timeline(self) -> pd.DataFrame:
        """Every event of the run in time order: ``time, request_id, actor, event, detail``.

        Arrivals and ends of requests, each attempt's start and end (with its outcome; a saga's
        actions and compensations are its attempts), breaker transitions and — when messages were
        recorded — each published message (once, not once per subscriber).
        """
        def part(rank, time, rid, actor, event, detail) -> pd.DataFrame:
            return pd.DataFrame({"time": time, "request_id": rid, "actor": actor, "event": event,
                                 "detail": detail, "_rank": rank})

        # at one instant: arrivals, starts, attempt ends, breaker moves, messages, request ends
        r, a, b, m = self.requests, self.attempts, self.breaker_events, self.messages
        r, a = _as_text(r, ("text", "status", "reason")), _as_text(a, ("plugin", "phase", "outcome"))
        ended = r[r.end.notna()]
        served = a[a.start.notna() & ~a.outcome.isin(REFUSALS)]
        parts = [part(0, r.arrival, r.request_id, "orchestrator", "arrival", r.text),
                 part(1, served.start, served.request_id, served.plugin, "start " + served.phase,
                      "attempt " + served.attempt.astype(str)),
                 part(2, a.end, a.request_id, a.plugin, a.outcome + " " + a.phase,
                      "attempt " + a.attempt.astype(str)),
                 part(3, b.time, -1, b.plugin, "breaker " + b.to_state.astype(str),
                      "from " + b.from_state.astype(str)),
                 part(5, ended.end, ended.request_id, "orchestrator", "end: " + ended.status, ended.reason)]
        if len(m):
            first = m.drop_duplicates("message_id")
            rid = pd.to_numeric(first.correlation_id, errors="coerce").fillna(-1).astype(int)
            parts.append(part(4, first.published, rid, first.source, "publish " + first.topic, first.type))
        out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        out = out.sort_values(["time", "_rank"], kind="stable").drop(columns="_rank")
        return out.reset_index(drop=True)

    def summary(self, window: tuple[float, float] | None = None, by: str | None = None) -> pd.DataFrame:
        """One row per metric (:data:`simroute.experiments.metrics.METRICS`): ``metric``, ``key``, ``value``.

        The default window runs from the end of the warm-up (:attr:`warmup`) to the end of the run:
        request metrics cover the requests that arrived in it, time metrics its length.

        Parameters:
            window: ``(start, end)`` in simulated seconds: the requests that arrived in
                ``[start, end)`` and the time between (the warm-up is not applied on top).
            by: ``"fault"``: one summary per fault window (``faults[i] PLUGIN KIND``) and one for
                the rest of the run after the warm-up (``outside``), in a ``window`` column;
                ``"faults"``: one summary over every fault window together (what a fault costs).

        Returns:
            ``metric, key, value, seed, replication`` (and ``window`` first with ``by``).

        Raises:
            InputError: a window that is not ``(start, end)`` with start < end, or an unknown ``by``.
        """
        from ..common.errors import InputError

        if self.stream is not None:
            if window is not None or by is not None:
                raise InputError("this run kept no per-request rows (record='summary', or its tables were "
                                 "streamed to disk): only the default window (after the warm-up) is "
                                 "summarised; run with record='full' for windows", field="window")
            return self._frame(self.stream.rows())
        if by is not None:
            if by not in ("fault", "faults"):
                raise InputError(f"must be 'fault', 'faults' or None, got {by!r}", field="by")
            if window is not None:
                raise InputError("give window or by, not both", field="by")
            if by == "faults":
                if not self.fault_windows:
                    raise InputError("the scenario has no faults: there is no fault window to judge",
                                     field="window")
                return self._summary([(a, b) for _, a, b in self.fault_windows])
            frames = []
            for label, a, b in self.fault_windows:
                frames.append(self._summary([(a, b)]).assign(window=label))
            outside = _complement([(a, b) for _, a, b in self.fault_windows], self.warmup, self.end_time)
            frames.append(self._summary(outside).assign(window="outside"))
            out = pd.concat(frames, ignore_index=True)
            return out[["window", *out.columns[:-1]]]
        if window is None:
            return self._summary([(self.warmup, self.end_time)])
        if (not isinstance(window, tuple | list) or len(window) != 2
                or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in window)
                or not window[0] < window[1]):
            raise InputError(f"must be (start, end) seconds with start < end, got {window!r}",
                             field="window")
        return self._summary([(float(window[0]), float(window[1]))])

    def _summary(self, intervals: list[tuple[float, float]]) -> pd.DataFrame:
        from .metrics import compute

        # a window that reaches the end of the run takes in a request arriving at its last instant
        intervals = [(a, math.inf if b >= self.end_time else b) for a, b in intervals]
        rows = compute(self.requests, self.attempts, self.breaker_events, self.plugins, intervals,
                       self.end_time, self.slo_latency)
        return self._frame(rows)

    def _frame(self, rows: list[tuple[str, str, float]]) -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=["metric", "key", "value"])
        df["seed"] = self.seed
        df["replication"] = self.replication
        return df


def _as_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with categorical ``columns`` as plain text (to be joined with other text)."""
    cats = [c for c in columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.assign(**{c: frame[c].astype(str) for c in cats}) if cats else frame


def _complement(windows: list[tuple[float, float]], start: float, end: float) -> list[tuple[float, float]]:
    """[start, end) minus the windows, as intervals."""
    out, t = [], start
    for a, b in sorted(windows):
        if a > t:
            out.append((t, min(a, end)))
        t = max(t, b)
    if t < end:
        out.append((t, math.inf))
    return [(a, b) for a, b in out if b > a]
