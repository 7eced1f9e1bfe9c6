"""Run results: tidy DataFrames and the summary.

Tables (every row carries ``seed`` and ``replication``; times in simulated seconds):

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
(seconds the plugin worked on it), outcome (:data:`simroute.failure.OUTCOMES`: success, error,
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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .failure import FAILURE_KINDS, REFUSALS

__all__ = ["Results", "STATUSES"]

STATUSES = ("succeeded", "degraded", "failed", "compensated", "rejected", "in_flight")


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

    def __repr__(self) -> str:
        counts = self.requests.status.value_counts().to_dict()
        return (f"Results({self.scenario_name!r}, seed={self.seed}, replication={self.replication}, "
                f"{len(self.requests)} requests {counts}, {len(self.attempts)} attempts, "
                f"t_end={self.end_time:g}s)")

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

    def summary(self) -> pd.DataFrame:
        """One row per metric: ``metric``, ``key`` (plugin, tier … or ""), ``value``."""
        r, a = self.requests, self.attempts
        rows: list[tuple[str, str, float]] = []
        n = len(r)
        rows.append(("requests", "", float(n)))
        done = r.latency.dropna()
        for q in (0.5, 0.95, 0.99):
            rows.append((f"latency_p{int(q * 100)}", "", float(done.quantile(q)) if len(done) else np.nan))
        rows.append(("latency_mean", "", float(done.mean()) if len(done) else np.nan))
        for status in STATUSES:
            rows.append((f"rate_{status}", "", float((r.status == status).mean()) if n else np.nan))
        rows.append(("success_rate", "", float(r.status.isin(["succeeded", "degraded"]).mean())
                     if n else np.nan))
        rows.append(("cost_total", "", float(r.cost.sum())))
        rows.append(("cost_per_request", "", float(r.cost.mean()) if n else np.nan))
        for tier, cost in a.groupby("tier").cost.sum().items():
            if tier:
                rows.append(("cost_by_tier", str(tier), float(cost)))
        for plugin, cost in a.groupby("plugin").cost.sum().items():
            rows.append(("cost_by_plugin", str(plugin), float(cost)))
        rows.append(("attempts_per_request", "", float(r.attempts.mean()) if n else np.nan))
        calls_needed = r.phases.sum()  # one call per phase (or saga step) if nothing failed
        sent = ~a.outcome.isin(REFUSALS)
        rows.append(("retry_amplification", "", float(sent.sum() / calls_needed)
                     if calls_needed else np.nan))
        rows.append(("failed_attempts_per_request", "", float(a.outcome.isin(FAILURE_KINDS).sum() / n)
                     if n else np.nan))
        rows.append(("fast_fails_per_request", "", float(a.outcome.isin(REFUSALS).sum() / n)
                     if n else np.nan))
        rows.append(("timeouts_per_request", "", float((a.outcome == "timeout").sum() / n)
                     if n else np.nan))
        rows.append(("abandoned_work", "", float(a.service[a.abandoned].sum())))
        rows.append(("fallback_rate", "", float((r.fallbacks > 0).mean()) if n else np.nan))
        served = a[sent & a.start.notna()]
        waits = served.groupby("plugin").queue_wait.mean()
        for _, p in self.plugins.iterrows():
            rows.append(("utilization", p.plugin, float(p.utilization)))
            rows.append(("breaker_open_time", p.plugin, float(p.breaker_open_time)))
            if p.plugin in waits.index:
                rows.append(("queue_wait_mean", p.plugin, float(waits[p.plugin])))
        df = pd.DataFrame(rows, columns=["metric", "key", "value"])
        df["seed"] = self.seed
        df["replication"] = self.replication
        return df
