"""The report's answers as data: :class:`Report`, the constants its rules use, its time units.

Both the computation (:mod:`simroute.faces.report`) and the page (:mod:`simroute.faces.report_page`)
read these; neither imports the other's module for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..io.scenario import Scenario

__all__ = ["Report", "DEFAULT_LOAD_FACTORS", "SETTINGS_COMPARED", "ROUTER_SETTINGS_COMPARED", "KNOBS",
           "knobs_for", "setting_name", "SATURATED_UTILIZATION", "SATURATED_GROWTH", "QUEUEING_UTILIZATION",
           "QUOTA_BINDS", "PEAK_WINDOW", "PEAK_WAIT", "BURST_WAIT",
           "PLAN_ROUNDS", "HOURS_PER_MONTH", "OUTCOME_METRICS", "TIME_UNITS", "time_unit", "reference_load"]

DEFAULT_LOAD_FACTORS = (0.5, 1.0, 1.5, 2.0, 3.0)
#: the settings compared for a scenario whose requests go to plugins (their breakers and retries)
SETTINGS_COMPARED: dict[str, list[Any]] = {"retry.max_retries": [0, 1, 3],
                                           "breaker.failure_threshold": [2, 5, 10]}
#: the settings compared for a LiteLLM-style router, whose requests go to model groups (the router's
#: retries and cooldowns; the plugins' breakers and retries do not act on them); allowed_fails None is
#: LiteLLM's default rule (the failure-rate rule; setting 3 is the same)
ROUTER_SETTINGS_COMPARED: dict[str, list[Any]] = {"router.num_retries": [0, 2, 4],
                                                  "router.allowed_fails": [1, None],
                                                  "router.cooldown_time": [5.0, 30.0]}
#: a compared setting's path → (its name on the page, its unit)
KNOBS = {"retry.max_retries": ("max retries", "retries"),
         "breaker.failure_threshold": ("breaker failure threshold", "failures"),
         "router.num_retries": ("num_retries", "retries"),
         "router.allowed_fails": ("allowed_fails", "failures"),
         "router.cooldown_time": ("cooldown_time", "s")}
SATURATED_UTILIZATION = 0.95  #: a plugin this busy (mean over the window) saturates its load
SATURATED_GROWTH = 1.5  #: latency_growth at least this: latency grows with the horizon
#: a queue can only grow where the busiest plugin is at least this busy: latency that grows at lower
#: utilization comes from faults or bursts, and is named so, not called saturation
QUEUEING_UTILIZATION = 0.5
#: a deployment that refuses at least this share of its calls with 429 has a quota that binds
QUOTA_BINDS = 0.05
#: saturated at its peaks: a plugin busy SATURATED_UTILIZATION of its busiest window of PEAK_WINDOW
#: mean service times (a minute at least) whose calls wait at least PEAK_WAIT × their service time
#: for a slot on average — a bursty load's peaks that a whole-run mean would hide
PEAK_WINDOW = 10
PEAK_WAIT = 1.0
#: … and at least this many times the wait a steady (M/M/c) load at the same mean rate would give
BURST_WAIT = 3.0
PLAN_ROUNDS = 4  #: re-simulations of a capacity plan at most
HOURS_PER_MONTH = 730.0
#: the summary metrics the outcome table shows, in order
OUTCOME_METRICS = ("latency_p50", "latency_p95", "latency_p99", "ttft_p95", "tpot_p95", "success_rate",
                   "degraded_rate", "failed_rate", "slo_attainment", "goodput", "cost_per_success",
                   "cost_per_request", "attempts_per_request", "retry_amplification", "latency_growth")


TIME_UNITS = {"s": 1.0, "min": 60.0, "h": 3600.0}  #: a page's time unit → seconds per unit


def time_unit(seconds: float) -> tuple[str, float]:
    """The page's time unit for a typical duration: (name, seconds per unit)."""
    name = "s" if seconds < 180 else "min" if seconds < 3 * 3600 else "h"
    return name, TIME_UNITS[name]


def knobs_for(scenario: Scenario) -> dict[str, list]:
    """The settings that exist and act in ``scenario``: the router's when every request of its mix
    names a model group, else the plugins' breaker and retry settings."""
    mix = scenario.workload.mix
    if scenario.model_groups.groups and mix and all(m.group is not None for m in mix):
        return ROUTER_SETTINGS_COMPARED
    return SETTINGS_COMPARED


def setting_name(values: dict[str, Any]) -> str:
    """A compared setting in words: ``num_retries 2, allowed_fails 1, cooldown_time 30 s``
    (``allowed_fails`` null: LiteLLM's default rule)."""
    parts = []
    for path, value in values.items():
        name, unit = KNOBS.get(path, (path, ""))
        if value is None or (isinstance(value, float) and math.isnan(value)):
            parts.append(f"{name} default")
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{name} {shown}{' s' if unit == 's' else ''}")
    return ", ".join(parts)


def reference_load(factors: tuple[float, ...]) -> float:
    """The load factor the cost tables and the settings refer to: 1 if run, else the lowest."""
    return next((f for f in factors if math.isclose(f, 1.0)), min(factors))


@dataclass
class Report:
    """A written capacity and cost report: where it is, its answers, tables and figures.

    Parameters:
        path: the page (``index.html``).
        scenario: the scenario reported on (with its trace).
        load_factors: the loads simulated.
        seed: the runs' seed.
        replications: runs per load.
        slo_p95: the p95 latency target, in seconds.
        slo_source: where the SLO came from (``--slo-p95`` or the scenario's ``slo.latency``).
        tables: the report's tables by name (also written as CSV).
        figures: the figures' titles, in the page's order.
        timings: seconds spent: simulation, rendering, total.
        slo_breached_at: the first load factor that misses the SLO (None: none).
        highest_load_within_slo: the highest load factor tried up to which every load meets the SLO
            with today's capacity (None: not even the lowest).
        saturated: load factor → why it is saturated, for the saturated loads.
        recommended: the recommended breaker and retry settings (None: not compared).
        time_unit: the page's time unit (``s``, ``min`` or ``h``).
        warnings: what the reader must know before trusting the page (also printed by the CLI).
    """
    path: Path  #: the index.html
    scenario: Scenario
    load_factors: tuple[float, ...]
    seed: int
    replications: int
    slo_p95: float
    slo_source: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)  #: figure titles, in the page's order
    timings: dict[str, float] = field(default_factory=dict)  #: seconds: simulation, rendering, total
    slo_breached_at: float | None = None
    highest_load_within_slo: float | None = None
    saturated: dict[float, str] = field(default_factory=dict)
    recommended: dict[str, Any] | None = None
    time_unit: str = "s"
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        t = self.timings
        return (f"Report({str(self.path)!r}, {len(self.figures)} figures, {len(self.tables)} tables, "
                f"simulation {t.get('simulation', 0):.1f} s, rendering {t.get('rendering', 0):.1f} s)")

    @property
    def seconds_per_unit(self) -> float:
        """Seconds per :attr:`time_unit`."""
        return TIME_UNITS[self.time_unit]

    def outcome(self, metric: str) -> pd.DataFrame:
        """One metric of the outcome table: ``load_factor, mean, ci_low, ci_high, n``.

        Parameters:
            metric: a summary metric (see ``docs/metrics.md``).

        Returns:
            One row per load factor, in the metric's own unit.
        """
        o = self.tables["outcomes"]
        return o[o.metric == metric].drop(columns="metric").reset_index(drop=True)

    def additions(self, load_factor: float) -> list[str]:
        """What the capacity plan adds at one load, in words: ``"api +2 slots"``, ``"gpt-4o-east rpm
        1,800 → 2,700"`` (empty: nothing)."""
        plan = self.tables["capacity_plan"]
        rows = plan[(plan.load_factor == load_factor) & (plan.added > 0)]
        out = [f"{r.plugin} +{r.added:g} slots" for r in rows.itertuples()]
        quota = self.tables.get("quota_plan")
        if quota is not None:
            raised = quota[(quota.load_factor == load_factor) & (quota.added > 0)]
            out += [f"{r.plugin} {r.limit} {r.today:,.0f} → {r.needed:,.0f}" for r in raised.itertuples()]
        return out
