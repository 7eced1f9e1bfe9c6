"""Capacity and cost report: ``report(scenario, out=DIR)`` → ``DIR/index.html`` plus CSV tables.

The report is a decision document. It answers four questions, each with 95 % intervals over
``replications`` runs per load (default 5; replication ``r`` uses ``SeedSequence(seed,
spawn_key=(r,))``, exactly as ``run(at_load(scenario, f), seed, replication=r)``; each interval
keeps to its metric's domain, :func:`simroute.experiments.sweep.bounds`):

1. *How much load does today's capacity carry within the SLO?* The scenario is simulated at each
   load factor: a trace's time scale divided by the factor, a synthetic workload's rate multiplied
   by it. The SLO is a p95 latency target: ``slo_p95`` if given, else the scenario's
   ``slo.latency`` setting (default 3600 s). A load meets it when the upper end of its p95
   interval is within the SLO. A load is *saturated* when a plugin's utilization reaches
   :data:`SATURATED_UTILIZATION` or latency grows with the horizon (``latency_growth`` of at least
   :data:`SATURATED_GROWTH`: the last third of the arrivals waits that much longer than the first)
   while its busiest plugin is at least :data:`QUEUEING_UTILIZATION` busy (a queue that can grow);
   latency that grows at lower utilization — a fault window, a burst — is said as such, not called
   saturation. A bursty load's peaks count too (a whole-run mean hides them): a plugin is
   saturated at its peaks when it is :data:`SATURATED_UTILIZATION` busy in its busiest window of
   :data:`PEAK_WINDOW` mean service times and its calls wait at least :data:`PEAK_WAIT` × their
   service time for a slot on average — :data:`BURST_WAIT` × the wait a steady (M/M/c) load at
   the same mean rate would give, so the waits come from the peaks, not the mean load. A load is
   also saturated when a quota binds: a deployment refuses at least :data:`QUOTA_BINDS` of its
   calls with a 429 (its rpm or tpm).
2. *What capacity to buy at each load, and what it costs.* For a load that misses the SLO or is
   saturated, the plan starts from the M/M/c capacity that keeps each plugin's mean queue wait
   within ``wait_fraction`` of its service time (Erlang C, from the simulated arrival rate and
   service time of its attempts). It then re-runs the model at that capacity and adds slots to the
   plugins that still queue (+25 %, at least one) until the SLO is met, for at most
   :data:`PLAN_ROUNDS` rounds. The plan is priced with each plugin's ``slot_price`` (dollars per
   slot-hour) and the model spend at that capacity, both per month of 730 hours at the simulated
   rate. A deployment whose quota binds (:data:`QUOTA_BINDS` of its calls refused with 429) gets
   more of the quota that binds — the rpm or tpm whose busiest minute asked for all of it (table
   ``quota_use``) — first enough to serve the calls it refused, then +25 % a round, re-simulated
   alike; table ``quota_plan`` prices it with ``rpm_price`` / ``tpm_price`` (dollars per hour per
   request or per 1,000 tokens per minute; 0 unless stated: a pay-per-token provider raises quota
   for nothing but the calls). Another deployment in the group with that quota does the same.
3. *Which settings to run.* The settings that exist and act in the scenario
   (:func:`~simroute.faces.report_data.knobs_for`: the router's ``num_retries``, ``allowed_fails``
   and ``cooldown_time`` when its requests go to model groups, else the plugins' retries × breaker
   failure threshold) are run at the reference load (1, or the lowest), today's settings among
   them as the baseline row, each row with its difference from today's. When today's settings meet
   the SLO, a change is recommended only if it improves on them beyond noise — cheaper per success
   or faster at p95, and neither dearer, slower nor less successful (95 % intervals apart; with one
   replication, the means) — the cheapest such; else the page says to keep today's settings. When
   today's miss the SLO, the cheapest setting that meets it is recommended (the fastest when none
   does). Settings whose cost and p95 intervals both overlap the recommended one's are its ties.
4. *Where the money goes.* Cost per request by model tier, plugin and request class; spend over
   time; budgets: when no budget ever binds, the page says so.

The page uses one time unit, chosen from the p95 latency at the reference load (seconds for
calls of seconds, minutes or hours for jobs), on every axis and column header.
Tables (CSV, all in ``out``, in the metrics' own units: seconds, shares, dollars): ``runs`` (every
run's summary rows, long), ``outcomes`` (per load and metric: mean and interval), ``plugins``,
``saturation``, ``capacity_plan``, ``plan_check``, ``cost_by_tier``, ``cost_by_plugin``,
``cost_by_class``, ``spend``, ``budgets``, ``settings``; with rpm/tpm quotas where the traffic
went, also ``quota_use`` and ``quota_plan``. ``index.html`` is self-contained: figures
are inline PNGs, no link leaves the file.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..common.durations import parse_duration
from ..common.errors import InputError
from ..common.schema import plain
from ..experiments.executors import map_runs, progress_bar
from ..experiments.export import write_csv
from ..experiments.metrics import interval_kind, metric
from ..experiments.queueing import capacity_for_wait, mean_wait
from ..experiments.run import run
from ..experiments.sweep import aggregate, bounds, intervals, sweep
from ..experiments.tune import frontier, overlaps
from ..io import traces
from ..io.scenario import Scenario
from ..io.workload import TRACE_FORMATS, read_trace, trace_format_of
from ..policies.catalog import data_dir
from .report_data import (
    BURST_WAIT,
    DEFAULT_LOAD_FACTORS,
    HOURS_PER_MONTH,
    OUTCOME_METRICS,
    PEAK_WAIT,
    PEAK_WINDOW,
    PLAN_ROUNDS,
    QUEUEING_UTILIZATION,
    QUOTA_BINDS,
    SATURATED_GROWTH,
    SATURATED_UTILIZATION,
    SETTINGS_COMPARED,
    TIME_UNITS,
    Report,
    knobs_for,
    reference_load,
    setting_name,
    time_unit,
)

__all__ = ["report", "Report", "at_load", "with_capacity", "with_quota", "default_scenario",
           "gateway_scenario", "DEFAULT_LOAD_FACTORS", "SATURATED_UTILIZATION", "SATURATED_GROWTH",
           "OUTCOME_METRICS", "TIME_UNITS", "time_unit", "HOURS_PER_MONTH", "PLAN_ROUNDS",
           "SETTINGS_COMPARED"]

def _upper(low: float, mean: float, high: float) -> float:
    return high if not math.isnan(high) else mean


def default_scenario() -> Scenario:
    """The scenario ``simroute report`` runs with no arguments (``simroute/data/scenarios/report.yaml``).

    Returns:
        The bundled report scenario.
    """
    return Scenario.from_yaml(data_dir() / "scenarios" / "report.yaml")


def gateway_scenario() -> Scenario:
    """The LLM gateway (``simroute/data/scenarios/gateway.yaml``): the real Azure code trace as LLM
    calls through a model group with a fallback, token-aware service and per-token prices, in
    seconds — the scenario a report on an azure-format trace runs by default.

    Returns:
        The bundled gateway scenario.
    """
    return Scenario.from_yaml(data_dir() / "scenarios" / "gateway.yaml")


def at_load(scenario: Scenario, factor: float) -> Scenario:
    """``scenario`` with its offered load multiplied by ``factor``.

    Parameters:
        scenario: the scenario.
        factor: the load multiplier (> 0).

    Returns:
        The scenario at that load.

    Raises:
        InputError: a factor that is not > 0.
    """
    if not factor > 0:
        raise InputError(f"a load factor must be > 0, got {factor!r}", field="load_factors")
    return scenario.replace(workload=scenario.workload.at_load(factor))


def with_capacity(scenario: Scenario, capacity: dict[str, int]) -> Scenario:
    """``scenario`` with these plugins' capacities."""
    catalog = scenario.catalog
    for plugin, slots in capacity.items():
        catalog = catalog.with_plugin(plugin, capacity=int(slots))
    return scenario.replace(catalog=catalog)


def with_quota(scenario: Scenario, quotas: dict[str, dict[str, float]]) -> Scenario:
    """``scenario`` with these plugins' ``rpm`` / ``tpm`` quotas (``{plugin: {"rpm": 900}}``): the
    limit the provider enforces and, for a deployment, also the router's view of it (its pick weight
    and usage-based strategies read the same config field, as a LiteLLM config does)."""
    catalog, groups = scenario.catalog, scenario.model_groups
    deployments = dict(groups.deployments)
    for plugin, limits in quotas.items():
        catalog = catalog.with_plugin(plugin, **limits)
        if plugin in deployments:
            d = deployments[plugin]
            deployments[plugin] = replace(d, rpm=limits.get("rpm", d.rpm), tpm=limits.get("tpm", d.tpm))
    if deployments != dict(groups.deployments):
        groups = replace(groups, deployments=deployments)
    return scenario.replace(catalog=catalog, model_groups=groups)


# ---------------------------------------------------------------------- one run, measured
def _measure(scenario: Scenario, factor: float, seed: int, replication: int,
             capacity: dict[str, int] | None = None, faults: bool = True,
             quotas: dict[str, dict[str, float]] | None = None) -> dict[str, pd.DataFrame]:
    """Everything the report needs from one run (small frames, cheap to send between processes);
    ``faults``: also the summary inside the fault windows (the outcome tables want it, a capacity
    plan's re-runs do not); ``capacity`` and ``quotas``: a capacity plan's slots and rpm/tpm."""
    s = at_load(scenario, factor)
    if capacity:
        s = with_capacity(s, capacity)
    if quotas:
        s = with_quota(s, quotas)
    r = run(s, seed=seed, replication=replication)
    req, att = r.requests, r.attempts
    start = min(r.warmup, r.end_time)
    req = req[req.arrival >= start]
    att = att[att.request_id.isin(req.request_id)]
    summary = r.summary().drop(columns=["seed", "replication"])
    served = att[att.start.notna() & (att.outcome != "rejected_open")]
    span = max(r.end_time - start, 1e-9)
    per_plugin = served.groupby("plugin", observed=True).agg(attempts=("service", "size"),
                                                           service_mean=("service", "mean"))
    plugins = r.plugins.set_index("plugin")[["capacity"]].join(per_plugin)
    limited = (att.outcome == "rate_limited").groupby(att.plugin, observed=True).mean()
    plugins["rate_limited_share"] = limited.reindex(plugins.index).fillna(0.0)
    plugins["slot_price"] = [s.catalog.plugins[p].slot_price for p in plugins.index]
    plugins["arrival_rate"] = plugins.attempts.fillna(0) / span
    by_key = summary.set_index(["metric", "key"]).value
    plugins["utilization"] = [by_key.get(("utilization", p), np.nan) for p in plugins.index]
    plugins["queue_wait_mean"] = [by_key.get(("queue_wait_mean", p), np.nan) for p in plugins.index]
    plugins["peak_utilization"] = _peak_utilization(r, plugins.service_mean)
    plugins = plugins.reset_index()
    quota_use = _quota_use(s, att, req)
    complexity = req.complexity.astype(str)  # (by name, not in the categorical's first-seen order)
    saga = req.saga.astype(str) != ""
    # a routed request's class is its complexity; a saga's, "saga"; a model group's, the group
    group = "model group " + req.primary.astype(str)
    classes = req.assign(request_class=complexity.where(complexity != "", group.where(~saga, "saga")))
    by_class = classes.groupby("request_class").agg(requests=("cost", "size"), cost=("cost", "sum"),
                                                    cost_per_request=("cost", "mean")).reset_index()
    # spend in $ per hour, by hour — by minute for a run of three hours or less (calls of seconds)
    width = 3600.0 if r.end_time > 3 * 3600 else 60.0
    bins = (att.end // width).astype(int)
    spend = att.groupby(bins).cost.sum() * (3600.0 / width)
    every = pd.RangeIndex(0, int(r.end_time // width) + 1)  # a bin of the run without spend spent $0
    spend = spend.reindex(every.union(spend.index), fill_value=0.0)
    spend = spend.rename_axis("bin").reset_index()
    spend["hour"] = spend.bin if width == 3600.0 else spend.bin * width / 3600.0
    spend = spend[["hour", "cost"]]
    with_budget = req[req.budget.notna()]
    optimized = with_budget[with_budget.optimized]
    budgets = pd.DataFrame([{
        "requests": len(req), "with_budget": len(with_budget), "optimized": len(optimized),
        "rejected_over_budget": int((with_budget.reason == "over budget").sum()),
        "spent_over_budget": int((with_budget.cost > with_budget.budget + 1e-12).sum()),
        "planned_cost_before": float(optimized.plan_cost.sum()),
        "planned_cost_after": float(optimized.est_cost.sum()),
        "saved_by_optimizer": float((optimized.plan_cost - optimized.est_cost).sum()),
    }])
    window = pd.DataFrame([{"hours": span / 3600, "cost": float(req.cost.sum())}])
    # the same metrics inside the fault windows (all of them together): what the faults cost
    inside = (r.summary(by="faults").drop(columns=["seed", "replication"]) if s.faults and faults
              else pd.DataFrame(columns=["metric", "key", "value"]))
    return {"summary": summary, "plugins": plugins, "by_class": by_class, "spend": spend,
            "budgets": budgets, "window": window, "faults_summary": inside, "quota_use": quota_use}


def _peak_utilization(r: Any, service_mean: pd.Series) -> list[float]:
    """Per plugin (``service_mean``'s index): its utilization in its busiest window of
    :data:`PEAK_WINDOW` mean service times (a minute at least), from the per-minute table."""
    pm = r.per_minute(by_plugin=True)
    u = pm.pivot_table(index="minute", columns="plugin", values="utilization", observed=True)
    out = []
    for plugin, svc in service_mean.items():
        if plugin not in u:
            out.append(0.0)
            continue
        width = max(1, math.ceil(PEAK_WINDOW * svc / 60.0)) if svc > 0 else 1  # (none served: idle)
        out.append(float(u[plugin].rolling(width, min_periods=1).mean().max()))
    return out


def _quota_use(scenario: Scenario, att: pd.DataFrame, req: pd.DataFrame) -> pd.DataFrame:
    """Per plugin with an rpm or tpm quota, and per quota: the busiest minute's demand (each request
    that sent it a call, refused or not, counted once at its first call; a call's tokens are its
    request's context + generated tokens, as the quota counts them) as a share of the quota — which
    of the two binds."""
    rows = []
    att = att.drop_duplicates(["request_id", "plugin"])
    minute = (att.queued // 60.0).astype("Int64")
    tokens = att.request_id.map(req.set_index("request_id").eval("context_tokens + generated_tokens"))
    for plugin, sent in att.groupby("plugin", observed=True).groups.items():
        p = scenario.catalog.plugins[str(plugin)]
        for limit, value in (("rpm", p.rpm), ("tpm", p.tpm)):
            if value is None:
                continue
            demand = (pd.Series(1.0, index=sent) if limit == "rpm" else tokens.loc[sent].fillna(0.0))
            peak = float(demand.groupby(minute.loc[sent]).sum().max()) if len(sent) else 0.0
            rows.append({"plugin": str(plugin), "limit": limit, "peak_minute_share": peak / value})
    return pd.DataFrame(rows, columns=["plugin", "limit", "peak_minute_share"])


# ---------------------------------------------------------------------- intervals
def interval(values: pd.Series, metric: str = "",
             confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean, low and high end of the interval, and n, of one series of ``metric``'s values (NaN left
    out; one value: no interval, NaN ends) — :func:`simroute.experiments.sweep.bounds`'s rule."""
    v = values.dropna().to_numpy(float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(v.mean())
    low, high = bounds(mean, v.std(ddof=1) if len(v) > 1 else math.nan, len(v), interval_kind(metric),
                       confidence)
    return mean, float(low[0]), float(high[0]), len(v)


def _intervals(frame: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    return intervals(frame, by, value)[[*by, "mean", "ci_low", "ci_high", "n"]]


def _with_trace(scenario: Scenario, trace: str | Path | None, trace_format: str | None) -> Scenario:
    if trace is None:
        return scenario
    trace = traces.resolve(trace)  # a bundled name (azure-code-2023) or a path
    fmt = trace_format or trace_format_of(trace)
    if fmt not in TRACE_FORMATS:
        raise InputError(f"must be one of {', '.join(TRACE_FORMATS)}, got {fmt!r}", field="trace_format")
    read_trace(trace, fmt)  # a trace that does not parse fails here, before any simulation
    w = scenario.workload
    time_scale = w.time_scale if w.kind == "trace" else 1.0
    return scenario.replace(workload=replace(w, kind="trace", trace=str(trace), trace_format=fmt,
                                             requests=None, time_scale=time_scale))


def report(scenario: Scenario | None = None, out: str | Path = "simroute-report", *,
           trace: str | Path | None = None, trace_format: str | None = None,
           load_factors: tuple[float, ...] | list[float] = DEFAULT_LOAD_FACTORS,
           slo_p95: float | str | None = None, seed: int = 0, replications: int = 5,
           executor: Any = "processes", workers: int | None = None, wait_fraction: float = 0.1,
           compare_settings: bool = True, pdf: bool = False, progress: bool | None = None,
           overwrite: bool = False) -> Report:
    """Simulate, tabulate and render the capacity and cost report (see the module docstring).

    Parameters:
        scenario: the scenario (None: the bundled report scenario; for a trace in the azure format,
            the bundled LLM gateway, :func:`gateway_scenario`).
        out: the folder to write.
        trace: a trace to replay instead of the scenario's workload (a path or a bundled name).
        trace_format: ``simroute`` or ``azure`` (None: from the header).
        load_factors: the loads to simulate.
        slo_p95: the p95 latency target: seconds, or a text with its unit (``30s``, ``5m``, ``2h``;
            None: the scenario's ``slo.latency``).
        seed: the runs' seed.
        replications: runs per load (at least 2 for intervals; default 5).
        executor: where the runs go.
        workers: pool or cluster size.
        wait_fraction: the queue wait allowed, as a fraction of the service time, for the M/M/c
            starting point of a capacity plan.
        compare_settings: also compare breaker and retry settings and recommend one.
        pdf: also print the page to ``report.pdf`` with headless Chromium.
        progress: show a progress bar.
        overwrite: replace ``out`` even when it holds files simroute did not write (the folder is
            always written atomically: :mod:`simroute.io.outputs`).

    Returns:
        The written :class:`Report`.

    Raises:
        InputError: a bad scenario, trace or option (before any simulation).
    """
    from ..io.outputs import claim_output

    started = time.perf_counter()
    factors = tuple(float(f) for f in load_factors)
    if not factors:
        raise InputError("give at least one load factor", field="load_factors")
    for f in factors:
        if not f > 0 or math.isinf(f):
            raise InputError(f"a load factor must be > 0, got {f:g}", field="load_factors")
    if len(set(factors)) != len(factors):
        raise InputError("each load factor once", field="load_factors")
    slo_given = None if slo_p95 is None else parse_duration(slo_p95, "slo_p95")
    if not isinstance(replications, int) or replications < 1:
        raise InputError(f"must be an integer >= 1, got {replications!r}", field="replications")
    if not 0 < wait_fraction <= 10:
        raise InputError(f"must be within (0, 10], got {wait_fraction}", field="wait_fraction")
    if scenario is None:  # an LLM trace is LLM calls: the gateway runs it, in its own seconds
        llm = trace is not None and (trace_format or trace_format_of(traces.resolve(trace))) == "azure"
        scenario = gateway_scenario() if llm else default_scenario()
    scenario = _with_trace(scenario, trace, trace_format)
    factors = tuple(sorted(factors))
    slo = slo_given if slo_given is not None else scenario.settings.slo.latency
    if slo_p95 is None:
        source = "the scenario's slo.latency setting"
    elif isinstance(slo_p95, str) and not slo_p95.strip().replace(".", "", 1).isdigit():
        source = f"--slo-p95 {slo_p95.strip()}"
    else:
        source = f"--slo-p95 {slo_p95} (a bare number: seconds)"
    out = Path(out)
    if pdf and chromium() is None:
        raise InputError(NO_CHROMIUM, field="pdf")  # before any simulation
    with claim_output(out, overwrite):  # checked and locked before any simulation
        return _report(scenario, out, factors, (slo, source), seed, replications, executor, workers,
                       wait_fraction, compare_settings, pdf, progress, overwrite, started)


def _report(scenario: Scenario, out: Path, factors: tuple[float, ...], goal: tuple[float, str], seed: int,
            replications: int, executor: Any, workers: int | None, wait_fraction: float,
            compare_settings: bool, pdf: bool, progress: bool | None, overwrite: bool,
            started: float) -> Report:
    """The report's work once its inputs are checked and its folder claimed."""
    from .report_page import render

    slo, source = goal
    tasks = [(_measure, f, seed, r) for f in factors for r in range(replications)]
    with progress_bar(len(tasks), progress, "report: loads") as bar:
        measured = map_runs(tasks, scenario, executor, workers, bar)
    parts = _collect(tasks, measured, seed)
    tables = _tables(parts, reference_load(factors))
    saturated = {float(r.load_factor): r.why for r in tables["saturation"].itertuples() if r.saturated}
    judged = _judge(tables["outcomes"], slo, saturated)
    tables["saturation"] = tables["saturation"].merge(judged[["load_factor", "meets_slo"]], on="load_factor")
    plan, check, quota = _plan_capacity(scenario, tables, judged, slo, seed, replications, executor,
                                        workers, wait_fraction, progress)
    tables["capacity_plan"], tables["plan_check"] = plan, check
    if quota is not None:  # (only a scenario with rpm/tpm quotas where the traffic went)
        tables["quota_plan"] = quota
    recommended = None
    if compare_settings:
        tables["settings"], recommended = _compare_settings(scenario, reference_load(factors), slo, seed,
                                                            replications, executor, workers)
    simulated = time.perf_counter() - started

    unmet = judged[~judged.meets_slo]
    within = None
    for f, ok in zip(judged.load_factor, judged.meets_slo, strict=True):
        if not ok:
            break
        within = f
    typical = tables["outcomes"].query("metric == 'latency_p95'").set_index("load_factor")["mean"]
    typical_p95 = float(typical.get(reference_load(factors), math.nan))
    unit = time_unit(typical_p95 if typical_p95 > 0 else slo)[0]  # the unit the calls are measured in
    warnings = []
    if replications < 2:
        warnings.append(f"{replications} replication per load: no interval can be given, and a difference "
                        "between loads or settings may be noise; run with --replications 2 or more "
                        "(5 by default)")
    rep = Report(path=out / "index.html", scenario=scenario, load_factors=factors, seed=seed,
                 replications=replications, slo_p95=slo, slo_source=source, tables=tables,
                 slo_breached_at=float(unmet.load_factor.min()) if len(unmet) else None,
                 highest_load_within_slo=within, saturated=saturated, recommended=recommended,
                 time_unit=unit, warnings=warnings)
    from ..io.outputs import output_folder

    t = time.perf_counter()
    with output_folder(out, command="report", overwrite=overwrite, seed=seed, scenario=scenario.name,
                       load_factors=list(factors), replications=replications) as folder:
        for name, frame in tables.items():
            write_csv(frame, folder / f"{name}.csv")
        page = render(rep, timings={"simulation": simulated})
        rep.timings = {"simulation": simulated, "rendering": time.perf_counter() - t}
        rep.timings["total"] = time.perf_counter() - started
        (folder / "index.html").write_text(page.replace("{{RENDER}}", f"{rep.timings['rendering']:.1f}")
                                           .replace("{{TOTAL}}", f"{rep.timings['total']:.1f}"),
                                           encoding="utf-8")
        if pdf:
            to_pdf(folder / "index.html", folder / "report.pdf")
    return rep


def _collect(tasks: list[tuple], measured: list[dict[str, pd.DataFrame]],
             seed: int) -> dict[str, pd.DataFrame]:
    parts: dict[str, list[pd.DataFrame]] = {}
    for (_, f, _, r, *_), m in zip(tasks, measured, strict=True):
        for name, frame in m.items():
            parts.setdefault(name, []).append(frame.assign(load_factor=f, replication=r, seed=seed))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


def _tables(parts: dict[str, pd.DataFrame], reference: float) -> dict[str, pd.DataFrame]:
    runs = parts["summary"][["load_factor", "replication", "seed", "metric", "key", "value"]]
    overall = runs[(runs.key == "") & runs.metric.isin(OUTCOME_METRICS)]
    outcomes = _intervals(overall, ["load_factor", "metric"])
    open_time = runs[runs.metric == "breaker_open_time"].groupby(["load_factor", "replication"]).value.sum()
    trips = _intervals(open_time.reset_index().assign(metric="breaker_open_time"), ["load_factor", "metric"])
    outcomes = pd.concat([outcomes, trips], ignore_index=True)  # (intervals within each domain)

    p = parts["plugins"]
    used = p.groupby("plugin").attempts.sum()
    p = p[p.plugin.isin(used[used > 0].index)]  # nothing that received no traffic is sized or priced
    keys = ["load_factor", "plugin"]
    u = _intervals(p, keys, "utilization").set_index(keys)
    w = _intervals(p, keys, "queue_wait_mean").set_index(keys)
    plug = p.groupby(keys).agg(capacity=("capacity", "first"), slot_price=("slot_price", "first"),
                               arrival_rate=("arrival_rate", "mean"), service_mean=("service_mean", "mean"),
                               rate_limited_share=("rate_limited_share", "mean"),
                               peak_utilization=("peak_utilization", "mean"))
    plug = plug.assign(utilization=u["mean"], utilization_low=u.ci_low, utilization_high=u.ci_high,
                       queue_wait_mean=w["mean"], queue_wait_low=w.ci_low,
                       queue_wait_high=w.ci_high).reset_index()
    plug["capacity"] = plug.capacity.astype(int)

    one = runs[runs.load_factor == reference]
    n_req = one[one.metric == "requests"].set_index("replication").value

    def per_request(metric: str, label: str) -> pd.DataFrame:
        rows = one[one.metric == metric]
        rows = rows.assign(value=rows.value / rows.replication.map(n_req))
        table = _intervals(rows, ["key"]).rename(columns={"key": label, "mean": "cost_per_request"})
        return table.sort_values("cost_per_request", ascending=False, ignore_index=True)

    cls = parts["by_class"]
    cls = cls[cls.load_factor == reference]
    by_class = _intervals(cls.rename(columns={"cost_per_request": "value"}), ["request_class"]).rename(
        columns={"mean": "cost_per_request"})
    by_class.insert(1, "requests", cls.groupby("request_class").requests.mean().reindex(
        by_class.request_class).to_numpy())
    sp = parts["spend"]
    reps = sp.replication.nunique()
    # every replication's spend in every hour, an hour without spend counting as $0
    full = sp.pivot_table(index=["load_factor", "hour"], columns="replication", values="cost",
                          aggfunc="sum", fill_value=0.0).reindex(columns=range(reps), fill_value=0.0)
    long = full.stack().rename("cost").reset_index()
    spend = _intervals(long, ["load_factor", "hour"], "cost").drop(columns="n").rename(
        columns={"mean": "cost"})
    spend["ci_low"] = spend.ci_low.clip(lower=0.0)
    budgets = parts["budgets"].groupby("load_factor").mean(numeric_only=True).drop(
        columns=["replication", "seed"]).reset_index()
    window = _monthly_spend(parts["window"]).set_index("load_factor")
    growth = outcomes[outcomes.metric == "latency_growth"].set_index("load_factor")["mean"]
    top = plug.sort_values("utilization", ascending=False).groupby("load_factor").first()
    saturation = pd.DataFrame({"load_factor": top.index, "busiest_plugin": top.plugin.to_numpy(),
                               "utilization": top.utilization.to_numpy(),
                               "latency_growth": growth.reindex(top.index).to_numpy()})
    quota = plug.sort_values("rate_limited_share", ascending=False).groupby("load_factor").first()
    saturation["quota_plugin"] = quota.plugin.reindex(top.index).to_numpy()
    saturation["rate_limited_share"] = quota.rate_limited_share.reindex(top.index).to_numpy()
    peaks = plug.groupby("load_factor").apply(_at_peaks, include_groups=False)
    saturation["at_peaks"] = peaks.reindex(top.index).fillna("").to_numpy()
    saturation["why"] = [_why_saturated(b, u, g, q, share, peak) for b, u, g, q, share, peak in zip(
        saturation.busiest_plugin, saturation.utilization, saturation.latency_growth,
        saturation.quota_plugin, saturation.rate_limited_share, saturation.at_peaks, strict=True)]
    saturation["saturated"] = saturation.why != ""
    saturation["not_saturation"] = [_growth_without_load(u, g) for u, g in zip(
        saturation.utilization, saturation.latency_growth, strict=True)]
    tables = {}
    use = parts["quota_use"]
    if len(use):  # (only a scenario with rpm/tpm quotas where the traffic went)
        tables["quota_use"] = use.groupby(["load_factor", "plugin", "limit"], as_index=False).agg(
            peak_minute_share=("peak_minute_share", "mean"))
    inside = parts.get("faults_summary")
    if inside is not None and len(inside):
        rows = inside[(inside.key == "") & inside.metric.isin(OUTCOME_METRICS)]
        tables["fault_outcomes"] = _intervals(rows, ["load_factor", "metric"])
    return {**tables, "runs": runs, "outcomes": outcomes, "plugins": plug, "saturation": saturation,
            "cost_by_tier": per_request("cost_by_tier", "tier"),
            "cost_by_plugin": per_request("cost_by_plugin", "plugin"),
            "cost_by_class": by_class, "spend": spend, "budgets": budgets,
            "spend_per_month": window.reset_index()}


def _monthly_spend(window: pd.DataFrame) -> pd.DataFrame:
    """Per load: the model spend per month (730 h at the simulated rate) with its 95 % interval,
    from each run's spend per hour of its window."""
    per_run = window.assign(value=window.cost / window.hours * HOURS_PER_MONTH)
    out = _intervals(per_run, ["load_factor"])
    out[["ci_low", "ci_high"]] = out[["ci_low", "ci_high"]].clip(lower=0.0)
    return out.rename(columns={"mean": "spend_per_month", "ci_low": "spend_per_month_low",
                               "ci_high": "spend_per_month_high"})


def _at_peaks(plugins: pd.DataFrame) -> str:
    """The plugins of one load saturated at their peaks, in words ("" when none): busy
    :data:`SATURATED_UTILIZATION` of their busiest window while their calls wait at least
    :data:`PEAK_WAIT` × their service time for a slot on average."""
    steady = [_steady_wait(p.capacity, p.arrival_rate, p.service_mean) for p in plugins.itertuples()]
    hit = plugins[(plugins.peak_utilization >= SATURATED_UTILIZATION)
                  & (plugins.queue_wait_mean >= PEAK_WAIT * plugins.service_mean)
                  & (plugins.queue_wait_mean >= BURST_WAIT * np.asarray(steady, float))]
    hit = hit.sort_values("queue_wait_mean", ascending=False)
    return "; ".join(
        f"{p.plugin} is saturated at its peaks: busy {p.peak_utilization:.0%} of its busiest "
        f"{_duration(PEAK_WINDOW * p.service_mean)} ({p.utilization:.0%} over the run), its calls waiting "
        f"{p.queue_wait_mean / p.service_mean:.1f}× their service time for a slot" for p in hit.itertuples())


def _steady_wait(capacity: float, arrival_rate: float, service_mean: float) -> float:
    """The mean queue wait, in seconds, of a steady (Poisson, M/M/c) load at the same mean rate:
    what the mean load alone explains (infinite at or past saturation; 0 without traffic)."""
    if not (arrival_rate > 0 and service_mean > 0 and capacity >= 1):
        return 0.0
    if arrival_rate * service_mean >= capacity:
        return math.inf
    return mean_wait(int(capacity), arrival_rate, service_mean)


def _duration(seconds: float) -> str:
    """A span in words, in its own unit (``20 min``, ``3.2 h``, ``45 s``), at least a minute."""
    seconds = max(seconds, 60.0)
    if seconds >= 7200:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"


def _why_saturated(busiest: str, utilization: float, growth: float, quota_plugin: str = "",
                   limited: float = 0.0, at_peaks: str = "") -> str:
    """Why a load is saturated, in words ("" when it is not): a plugin at saturation (over the run,
    or at its peaks: :func:`_at_peaks`), latency that grows with the horizon while the busiest
    plugin is busy enough for its queue to grow, or a quota that binds (a deployment refusing at
    least :data:`QUOTA_BINDS` of its calls with 429)."""
    parts = [at_peaks] if at_peaks else []
    if limited >= QUOTA_BINDS:
        parts.append(f"{quota_plugin}'s rpm/tpm quota binds: {limited:.0%} of its calls get a 429 (raise "
                     f"its quota or add a deployment to its group)")
    if utilization >= SATURATED_UTILIZATION:
        parts.append(f"{busiest} is busy {utilization:.0%} of the time")
    if growth >= SATURATED_GROWTH and utilization >= QUEUEING_UTILIZATION:
        parts.append(f"its queue grows with the horizon (the last third of the arrivals waits "
                     f"{growth:.1f}× as long as the first, {busiest} busy {utilization:.0%} of the time)")
    return "; ".join(parts)


def _growth_without_load(utilization: float, growth: float) -> str:
    """Latency that grows at low utilization, in words ("" when it does not): not saturation."""
    if growth >= SATURATED_GROWTH and utilization < QUEUEING_UTILIZATION:
        return (f"latency grows over the run ({growth:.1f}× from the first third of the arrivals to the "
                f"last) while no plugin is more than {utilization:.0%} busy: fault windows or bursts, "
                "not saturation")
    return ""


def _judge(outcomes: pd.DataFrame, slo: float, saturated: dict[float, str]) -> pd.DataFrame:
    """Per load: the p95 interval and whether it meets the SLO (its upper end within it, not saturated)."""
    p95 = outcomes[outcomes.metric == "latency_p95"].reset_index(drop=True)
    upper = [_upper(lo, m, hi) for lo, m, hi in zip(p95.ci_low, p95["mean"], p95.ci_high, strict=True)]
    meets = [u <= slo and float(f) not in saturated for u, f in zip(upper, p95.load_factor, strict=True)]
    return p95.assign(meets_slo=meets)


def _raised(limit: str, value: float, factor: float) -> float:
    """A quota ``value`` raised by ``factor``, rounded up (rpm to a whole call, tpm to 1,000 tokens)."""
    step = 1000.0 if limit == "tpm" else 1.0
    return float(max(value + step, math.ceil(value * factor / step) * step))


def _binding(use: pd.DataFrame) -> list[str]:
    """The quotas of one deployment that bind (``use``: its rows of ``quota_use``): each whose
    busiest minute asked for at least all of it, else the one closest to that."""
    if use.empty:
        return []
    over = use[use.peak_minute_share >= 1.0]
    return list(over.limit) if len(over) else [str(use.loc[use.peak_minute_share.idxmax(), "limit"])]


def _plan_capacity(scenario: Scenario, tables: dict[str, pd.DataFrame], judged: pd.DataFrame, slo: float,
                   seed: int, replications: int, executor: Any, workers: int | None, wait_fraction: float,
                   progress: bool | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The slots each plugin needs at each load, and the rpm/tpm each deployment whose quota binds
    needs, verified by re-running the model at that capacity."""
    plug = tables["plugins"]
    spend = tables["spend_per_month"].set_index("load_factor")
    plans: dict[float, dict[str, int]] = {}
    quotas: dict[float, dict[str, dict[str, float]]] = {}
    today = {row.plugin: int(row.capacity) for row in plug.drop_duplicates("plugin").itertuples()}
    quota_today = {p: {k: float(v) for k in ("rpm", "tpm")
                       if (v := getattr(scenario.catalog.plugins[p], k)) is not None}
                   for p in today}
    quota_today = {p: q for p, q in quota_today.items() if q}
    check: dict[float, dict[str, Any]] = {}
    for row in judged.itertuples():
        f = float(row.load_factor)
        quotas[f] = {p: dict(q) for p, q in quota_today.items()}
        if row.meets_slo:  # today's capacity, already simulated
            plans[f] = dict(today)
            check[f] = {"load_factor": f, "rounds": 0, "latency_p95": row.mean, "latency_p95_low": row.ci_low,
                        "latency_p95_high": row.ci_high, "meets_slo": True, "verified": True,
                        "model_spend_per_month": float(spend.spend_per_month[f]),
                        "model_spend_per_month_low": float(spend.spend_per_month_low[f]),
                        "model_spend_per_month_high": float(spend.spend_per_month_high[f])}
            continue
        mine = plug[plug.load_factor == f]
        plan = dict(today)
        for p in mine.itertuples():
            if p.arrival_rate > 0 and p.service_mean > 0:
                try:
                    need = capacity_for_wait(p.arrival_rate, p.service_mean, wait_fraction * p.service_mean)
                except ValueError:
                    need = p.capacity
                plan[p.plugin] = max(int(p.capacity), need)
            if p.plugin in quotas[f] and p.rate_limited_share >= QUOTA_BINDS:
                # the calls it refused, served too, with a quarter more for the minutes' peaks
                factor = max(1.25, 1.25 / max(1.0 - p.rate_limited_share, 0.05))
                use = tables["quota_use"]
                for k in _binding(use[(use.load_factor == f) & (use.plugin == p.plugin)]):
                    quotas[f][p.plugin][k] = _raised(k, quotas[f][p.plugin][k], factor)
        plans[f] = plan
    pending = [f for f in plans if f not in check]
    rounds = 0
    with progress_bar(len(pending) * replications * PLAN_ROUNDS, progress, "report: capacity plan") as bar:
        while pending and rounds < PLAN_ROUNDS:
            rounds += 1
            tasks = [(_measure, f, seed, r, plans[f], False, quotas[f]) for f in pending
                     for r in range(replications)]
            results = map_runs(tasks, scenario, executor, workers, bar)
            parts = _collect(tasks, results, seed)
            runs = parts["summary"]
            still = []
            for f in pending:
                mine = runs[(runs.load_factor == f) & (runs.key == "")]
                p95 = interval(mine[mine.metric == "latency_p95"].value, "latency_p95")
                growth = interval(mine[mine.metric == "latency_growth"].value, "latency_growth")[0]
                pl = parts["plugins"][parts["plugins"].load_factor == f].groupby("plugin").mean(
                    numeric_only=True)
                busy = pl.utilization.max() if len(pl) else 0.0
                limited = pl[(pl.rate_limited_share >= QUOTA_BINDS) & pl.index.isin(list(quotas[f]))]
                peaks = _at_peaks(pl.assign(plugin=pl.index))
                ok = (_upper(p95[1], p95[0], p95[2]) <= slo and busy < SATURATED_UTILIZATION
                      and not growth >= SATURATED_GROWTH and limited.empty and not peaks)
                monthly = _monthly_spend(parts["window"][parts["window"].load_factor == f]).iloc[0]
                check[f] = {"load_factor": f, "rounds": rounds, "latency_p95": p95[0],
                            "latency_p95_low": p95[1], "latency_p95_high": p95[2], "meets_slo": ok,
                            "verified": True, "model_spend_per_month": float(monthly.spend_per_month),
                            "model_spend_per_month_low": float(monthly.spend_per_month_low),
                            "model_spend_per_month_high": float(monthly.spend_per_month_high)}
                if ok:
                    continue
                queueing = pl[(pl.queue_wait_mean > wait_fraction * pl.service_mean)
                              | (pl.utilization >= 0.8) | (pl.peak_utilization >= SATURATED_UTILIZATION)]
                if queueing.empty and limited.empty:  # neither slots nor quota is what is missing
                    continue
                for plugin in queueing.index:
                    plans[f][plugin] += max(1, math.ceil(0.25 * plans[f][plugin]))
                use = parts["quota_use"][parts["quota_use"].load_factor == f]
                use = use.groupby(["plugin", "limit"], as_index=False).peak_minute_share.mean()
                for plugin in limited.index:
                    for k in _binding(use[use.plugin == plugin]):
                        quotas[f][plugin][k] = _raised(k, quotas[f][plugin][k], 1.25)
                still.append(f)
            pending = still
    prices = plug.drop_duplicates("plugin").set_index("plugin").slot_price
    rows = []
    for f, plan in plans.items():
        for plugin, slots in sorted(plan.items()):
            price = float(prices[plugin])
            rows.append({"load_factor": f, "plugin": plugin, "capacity_today": today[plugin],
                         "capacity_needed": slots, "added": slots - today[plugin], "slot_price": price,
                         "capacity_cost_per_month": slots * price * HOURS_PER_MONTH})
    plan_table = pd.DataFrame(rows)
    cost = plan_table.groupby("load_factor").capacity_cost_per_month.sum()
    quota_table = None
    if quota_today:
        rows = []
        for f, limits in quotas.items():
            for plugin, needed in sorted(limits.items()):
                p = scenario.catalog.plugins[plugin]
                for limit, value in needed.items():
                    price = p.rpm_price if limit == "rpm" else p.tpm_price
                    units = value if limit == "rpm" else value / 1000.0
                    rows.append({"load_factor": f, "plugin": plugin, "limit": limit,
                                 "today": quota_today[plugin][limit], "needed": value,
                                 "added": value - quota_today[plugin][limit], "price": price,
                                 "quota_cost_per_month": units * price * HOURS_PER_MONTH})
        quota_table = pd.DataFrame(rows)
        cost = cost.add(quota_table.groupby("load_factor").quota_cost_per_month.sum(), fill_value=0.0)
    check_table = pd.DataFrame([check[f] for f in sorted(check)])
    check_table["capacity_cost_per_month"] = check_table.load_factor.map(cost)
    return plan_table, check_table, quota_table


def _today(scenario: Scenario, path: str) -> Any:
    """The scenario's current value of a settings path (``router.num_retries`` …)."""
    value: Any = scenario.settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _compare_settings(scenario: Scenario, reference: float, slo: float, seed: int, replications: int,
                      executor: Any, workers: int | None) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The settings that act in this scenario (:func:`knobs_for`) at the reference load, today's
    among them, with intervals and each row's difference from today's; the recommendation and its
    ties (``keep_today`` when nothing beats today's beyond noise)."""
    metrics = ["cost_per_success", "latency_p95", "success_rate", "slo_attainment"]
    knobs = knobs_for(scenario)
    today = {k: _today(scenario, k) for k in knobs}
    base = at_load(scenario, reference)
    frame = sweep(base, knobs, replications=replications, seed=seed, executor=executor, workers=workers,
                  progress=False, metrics=metrics)
    points = frame.drop_duplicates("point")[["point", *knobs]]
    same = points[[all(plain(row[k]) == today[k] for k in knobs) for _, row in points.iterrows()]]
    if len(same):
        baseline = int(same.point.iloc[0])
    else:  # today's settings are not on the grid: run them too, as one more point
        extra = sweep(base, {k: [v] for k, v in today.items()}, replications=replications, seed=seed,
                      executor=executor, workers=workers, progress=False, metrics=metrics)
        baseline = int(points.point.max()) + 1
        frame = pd.concat([frame, extra.assign(point=baseline)], ignore_index=True)
    agg = aggregate(frame)
    agg = agg[agg.key == ""]
    settings = frame.drop_duplicates("point").set_index("point")[list(knobs)]
    table = settings.reset_index()
    for m in metrics:
        rows = agg[agg.metric == m].set_index("point").reindex(table.point)
        mean = rows["mean"].to_numpy(float)
        top = 1.0 if metric(m).unit == "share" else np.inf
        table[f"{m}_mean"] = mean
        # one replication: no interval (NaN ends), never a zero-width one
        table[f"{m}_low"] = np.clip(rows["ci_low"].to_numpy(float), 0.0, top)
        table[f"{m}_high"] = np.clip(rows["ci_high"].to_numpy(float), 0.0, top)
    table["baseline"] = table.point == baseline
    upper = [_upper(lo, m, hi) for lo, m, hi in zip(table.latency_p95_low, table.latency_p95_mean,
                                                   table.latency_p95_high, strict=True)]
    table["meets_slo"] = [u <= slo for u in upper]
    today_row = table[table.baseline].iloc[0]
    for m in ("cost_per_success", "latency_p95", "success_rate"):
        table[f"{m}_vs_today"] = table[f"{m}_mean"] - today_row[f"{m}_mean"]
    front = frontier(table.assign(latency_p95_high=upper), "latency_p95_mean", "cost_per_success_mean")
    table["on_frontier"] = table.index.isin(front.index)
    table["ties"] = ""
    for label, ties in zip(front.index, front.ties, strict=True):
        table.loc[label, "ties"] = "; ".join(_setting_name(table.loc[t], knobs) for t in ties)
    ok = table[table.meets_slo]
    keep = False
    if bool(today_row.meets_slo):  # a change must improve on today's beyond noise, and worsen nothing
        better = [r for _, r in ok.iterrows() if r.point != baseline and _improves(r, today_row)]
        if better:
            best = min(better, key=lambda r: (r.cost_per_success_mean, r.latency_p95_mean, r.point))
        else:
            best, keep = today_row, True
    elif ok.empty:
        best = table.sort_values(["latency_p95_mean", "point"]).iloc[0]
    else:
        best = ok.sort_values(["cost_per_success_mean", "point"]).iloc[0]
    tied = [_setting_name(r, knobs) for _, r in ok.iterrows() if r.point != best.point
            and overlaps(r, best, "cost_per_success") and overlaps(r, best, "latency_p95")]
    table["recommended"] = table.point == best.point
    recommended = {"settings": {k: plain(best[k]) for k in knobs}, "today": today,
                   "keep_today": keep, "name": _setting_name(best, knobs),
                   "meets_slo": bool(best.meets_slo), "ties": tied,
                   **{f"{m}_{k}": float(best[f"{m}_{k}"]) for m in metrics for k in ("mean", "low", "high")}}
    return table, recommended


def _beyond(a: pd.Series, b: pd.Series, m: str, lower: bool = True) -> bool:
    """Whether row ``a`` is better than row ``b`` on ``m`` beyond noise (lower is better, or higher
    when ``lower`` is False): their intervals apart (without intervals: their means) and its mean
    the better."""
    diff = a[f"{m}_mean"] - b[f"{m}_mean"]
    return not overlaps(a, b, m) and bool(diff < 0 if lower else diff > 0)


def _improves(a: pd.Series, today: pd.Series) -> bool:
    """Whether setting ``a`` improves on today's: cheaper per success or faster at p95 beyond noise,
    and neither dearer, slower nor less successful beyond noise."""
    worse = (_beyond(today, a, "cost_per_success") or _beyond(today, a, "latency_p95")
             or _beyond(today, a, "success_rate", lower=False))
    return not worse and (_beyond(a, today, "cost_per_success") or _beyond(a, today, "latency_p95"))


def _setting_name(row: pd.Series, knobs: Any = SETTINGS_COMPARED) -> str:
    return setting_name({k: plain(row[k]) for k in knobs})


# ---------------------------------------------------------------------- PDF
def chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary, or None.

    Returns:
        The executable's path, or None when none is installed.
    """
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


NO_CHROMIUM = ("--pdf needs Chromium, which is not installed: on Debian or Ubuntu `apt-get install "
               "chromium`, elsewhere install Chromium or Google Chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def to_pdf(page: Path, pdf: Path) -> Path:
    """Render ``page`` to ``pdf`` with headless Chromium.

    Parameters:
        page: the HTML page.
        pdf: the PDF to write.

    Returns:
        ``pdf``.

    Raises:
        InputError: Chromium is not installed (the message says how to install it).
    """
    exe = chromium()
    if exe is None:
        raise InputError(NO_CHROMIUM, field="pdf")
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                        "--no-pdf-header-footer", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    return pdf
