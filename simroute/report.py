"""Capacity and cost report: ``report(scenario, out=DIR)`` → ``DIR/index.html`` plus CSV tables.

The scenario (default: ``simroute/data/scenarios/report.yaml``, the bundled trace) is simulated at each
load factor — a trace's time scale divided by the factor, a synthetic workload's rate multiplied
by it — with ``replications`` runs each (replication ``r`` uses ``SeedSequence(seed,
spawn_key=(r,))``, exactly as ``run(at_load(scenario, f), seed, replication=r)``). The report then
answers two questions:

*Capacity* — latency percentiles, utilization and mean queue wait per plugin against offered load;
the SLO (p95 latency; default 1.25 × the p95 at load factor 1) and the first load factor that misses
it; the capacity each plugin needs at each load so that its M/M/c mean queue wait stays within
``wait_fraction`` of its mean service time (Erlang C, from the simulated arrival rate and service
time of its attempts); breaker trips and retry amplification as load grows.

*Cost* — cost per request by model tier, plugin and request class (the classifier's complexity) at
load factor 1; spend over time; budgets: requests with one, optimized, rejected, over budget, and
what the optimizer saved; and the cost–latency frontier of the breaker and retry settings it
compared (retries × failure threshold, at load factor 1).

Tables (CSV, all in ``out``): ``runs`` (every run's summary rows, long), ``capacity``, ``plugins``,
``required_capacity``, ``cost_by_tier``, ``cost_by_plugin``, ``cost_by_class``, ``spend``,
``budgets``, ``settings``. ``index.html`` is self-contained: figures are inline PNGs, no link
leaves the file.
"""

from __future__ import annotations

import base64
import html
import io
import math
import platform
import shutil
import subprocess
import time
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import traces
from .catalog import data_dir
from .errors import InputError
from .executors import map_runs, progress_bar
from .export import write_csv
from .queueing import capacity_for_wait
from .run import run
from .scenario import Scenario
from .sweep import aggregate, sweep
from .tune import frontier
from .workload import TRACE_FORMATS, read_trace, trace_format_of

__all__ = ["report", "Report", "at_load", "default_scenario", "DEFAULT_LOAD_FACTORS"]

DEFAULT_LOAD_FACTORS = (0.5, 1.0, 1.5, 2.0, 3.0)
SETTINGS_COMPARED = {"retry.max_retries": [0, 1, 3], "breaker.failure_threshold": [2, 5, 10]}


def default_scenario() -> Scenario:
    """The scenario ``simroute report`` runs with no arguments (``simroute/data/scenarios/report.yaml``)."""
    return Scenario.from_yaml(data_dir() / "scenarios" / "report.yaml")


def at_load(scenario: Scenario, factor: float) -> Scenario:
    """``scenario`` with its offered load multiplied by ``factor``."""
    if not factor > 0:
        raise InputError(f"a load factor must be > 0, got {factor!r}", field="load_factors")
    w = scenario.workload
    if w.kind == "trace":
        return scenario.replace(workload=replace(w, time_scale=w.time_scale / factor))
    if w.kind == "schedule":
        return scenario.replace(workload=replace(w, times=tuple(t / factor for t in w.times)))
    return scenario.replace(workload=replace(w, rate=w.rate * factor))


# ---------------------------------------------------------------------- one run, measured
def _measure(scenario: Scenario, factor: float, seed: int, replication: int) -> dict[str, pd.DataFrame]:
    """Everything the report needs from one run (small frames, cheap to send between processes)."""
    r = run(at_load(scenario, factor), seed=seed, replication=replication)
    req, att = r.requests, r.attempts
    summary = r.summary().drop(columns=["seed", "replication"])
    served = att[att.outcome != "rejected_open"]
    span = max(r.end_time, 1e-9)
    per_plugin = served.groupby("plugin").agg(attempts=("service", "size"), service_mean=("service", "mean"),
                                              queue_wait_mean=("queue_wait", "mean"))
    plugins = r.plugins.set_index("plugin")[["capacity", "utilization", "breaker_open_time"]].join(per_plugin)
    plugins["arrival_rate"] = plugins.attempts.fillna(0) / span
    plugins = plugins.reset_index()
    classes = req.assign(request_class=req.complexity.where(req.complexity != "", "saga"))
    by_class = classes.groupby("request_class").agg(requests=("cost", "size"), cost=("cost", "sum"),
                                                    cost_per_request=("cost", "mean")).reset_index()
    hours = (att.end // 3600).astype(int)
    spend = att.groupby(hours).cost.sum().rename_axis("hour").reset_index()
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
    return {"summary": summary, "plugins": plugins, "by_class": by_class, "spend": spend,
            "budgets": budgets}


# ---------------------------------------------------------------------- the report
@dataclass
class Report:
    """A written capacity and cost report: where it is, its tables and figures.

    Parameters:
        path: the page (``index.html``).
        scenario: the scenario reported on (with its trace).
        load_factors: the loads simulated.
        seed: the runs' seed.
        replications: runs per load.
        slo_p95: the p95 latency target, in seconds.
        tables: the report's tables by name (also written as CSV).
        figures: the figures' titles, in the page's order.
        timings: seconds spent: simulation, rendering, total.
        slo_breached_at: the first load factor whose mean p95 exceeds the SLO (None: none).
    """
    path: Path  #: the index.html
    scenario: Scenario
    load_factors: tuple[float, ...]
    seed: int
    replications: int
    slo_p95: float
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)  #: figure titles, in the page's order
    timings: dict[str, float] = field(default_factory=dict)  #: seconds: simulation, rendering, total
    slo_breached_at: float | None = None  #: the first load factor whose mean p95 exceeds the SLO

    def __repr__(self) -> str:
        t = self.timings
        return (f"Report({str(self.path)!r}, {len(self.figures)} figures, {len(self.tables)} tables, "
                f"simulation {t.get('simulation', 0):.1f} s, rendering {t.get('rendering', 0):.1f} s)")


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
           slo_p95: float | None = None, seed: int = 0, replications: int = 2,
           executor: Any = "processes", workers: int | None = None, wait_fraction: float = 0.1,
           compare_settings: bool = True, pdf: bool = False, progress: bool | None = None) -> Report:
    """Simulate, tabulate and render the capacity and cost report (see the module docstring).

    Parameters:
        scenario: the scenario (None: the bundled report scenario).
        out: the folder to write.
        trace: a trace to replay instead of the scenario's workload (a path or a bundled name).
        trace_format: ``simroute`` or ``azure`` (None: from the header).
        load_factors: the loads to simulate.
        slo_p95: the p95 latency target, in seconds (None: the documented default).
        seed: the runs' seed.
        replications: runs per load.
        executor: where the runs go.
        workers: pool or cluster size.
        wait_fraction: the queue wait allowed, as a fraction of the service time, for capacity needed.
        compare_settings: also compare breaker and retry settings on a cost–latency frontier.
        pdf: also print the page to ``report.pdf`` with headless Chromium.
        progress: show a progress bar.

    Returns:
        The written :class:`Report`.

    Raises:
        InputError: a bad scenario, trace or option (before any simulation).
    """
    started = time.perf_counter()
    factors = tuple(float(f) for f in load_factors)
    if not factors:
        raise InputError("give at least one load factor", field="load_factors")
    for f in factors:
        if not f > 0 or math.isinf(f):
            raise InputError(f"a load factor must be > 0, got {f:g}", field="load_factors")
    if slo_p95 is not None and not slo_p95 > 0:
        raise InputError(f"must be > 0 seconds, got {slo_p95}", field="slo_p95")
    if not isinstance(replications, int) or replications < 1:
        raise InputError(f"must be an integer >= 1, got {replications!r}", field="replications")
    scenario = _with_trace(scenario or default_scenario(), trace, trace_format)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    tasks = [(_measure, f, seed, r) for f in factors for r in range(replications)]
    with progress_bar(len(tasks), progress, "report") as bar:
        measured = map_runs(tasks, scenario, executor, workers, bar)
    parts: dict[str, list[pd.DataFrame]] = {}
    for (_, f, _, r), m in zip(tasks, measured, strict=True):
        for name, frame in m.items():
            parts.setdefault(name, []).append(frame.assign(load_factor=f, replication=r, seed=seed))
    reference = _reference_load(factors)
    tables = _tables(parts, reference, replications, wait_fraction)
    settings = None
    if compare_settings:
        base = at_load(scenario, 1.0)
        frame = sweep(base, SETTINGS_COMPARED, replications=replications, seed=seed, executor=executor,
                      workers=workers, progress=False,
                      metrics=["cost_per_request", "latency_p95", "success_rate"])
        agg = aggregate(frame)
        settings = agg[agg.key == ""].pivot_table(index=["point", *SETTINGS_COMPARED], columns="metric",
                                                  values="mean").reset_index()
        on = frontier(settings, "latency_p95", "cost_per_request").index
        settings["on_frontier"] = settings.index.isin(on)
        tables["settings"] = settings
    simulated = time.perf_counter() - started

    cap = tables["capacity"]
    at_reference = cap[cap.load_factor == reference].latency_p95.iloc[0]
    slo = slo_p95 if slo_p95 is not None else float(1.25 * at_reference)
    over = cap[cap.latency_p95 > slo]
    breached = float(over.load_factor.min()) if len(over) else None
    rep = Report(path=out / "index.html", scenario=scenario, load_factors=factors, seed=seed,
                 replications=replications, slo_p95=slo, tables=tables, slo_breached_at=breached)
    t = time.perf_counter()
    for name, frame in tables.items():
        write_csv(frame, out / f"{name}.csv")
    page = _render(rep, wait_fraction, timings={"simulation": simulated})
    rep.timings = {"simulation": simulated, "rendering": time.perf_counter() - t}
    rep.timings["total"] = time.perf_counter() - started
    rep.path.write_text(page.replace("{{RENDER}}", f"{rep.timings['rendering']:.1f}")
                        .replace("{{TOTAL}}", f"{rep.timings['total']:.1f}"), encoding="utf-8")
    if pdf:
        to_pdf(rep.path, out / "report.pdf")
    return rep


def _reference_load(factors: tuple[float, ...]) -> float:
    """The load factor the cost tables and the default SLO refer to: 1 if run, else the lowest."""
    return next((f for f in factors if math.isclose(f, 1.0)), min(factors))


def _tables(parts: dict[str, list[pd.DataFrame]], reference: float, replications: int,
            wait_fraction: float) -> dict[str, pd.DataFrame]:
    runs = pd.concat(parts["summary"], ignore_index=True)
    runs = runs[["load_factor", "replication", "seed", "metric", "key", "value"]]
    overall = runs[runs.key == ""].groupby(["load_factor", "metric"]).value.mean().unstack()
    cols = ["latency_p50", "latency_p95", "latency_p99", "latency_mean", "success_rate", "rate_rejected",
            "cost_per_request", "attempts_per_request", "retry_amplification", "fast_fails_per_request",
            "fallback_rate"]
    capacity = overall[cols].reset_index()
    capacity.columns.name = None
    trips = runs[runs.metric == "breaker_open_time"].groupby("load_factor").value.sum() / replications
    capacity["breaker_open_time"] = capacity.load_factor.map(trips).fillna(0.0)

    plugins = pd.concat(parts["plugins"], ignore_index=True)
    plug = plugins.groupby(["load_factor", "plugin"]).agg(
        capacity=("capacity", "first"), utilization=("utilization", "mean"),
        queue_wait_mean=("queue_wait_mean", "mean"), arrival_rate=("arrival_rate", "mean"),
        service_mean=("service_mean", "mean"), breaker_open_time=("breaker_open_time", "mean")).reset_index()
    used = plug[plug.arrival_rate > 0].copy()
    used["required_capacity"] = [
        capacity_for_wait(lam, s, wait_fraction * s) for lam, s in zip(used.arrival_rate, used.service_mean,
                                                                       strict=True)]
    used["meets_target"] = used.required_capacity <= used.capacity
    required = used[["load_factor", "plugin", "capacity", "required_capacity", "meets_target",
                     "utilization", "arrival_rate", "service_mean"]]

    one = runs[runs.load_factor == reference]
    n_req = one[one.metric == "requests"].groupby("replication").value.first()

    def per_request(metric: str, label: str) -> pd.DataFrame:
        rows = one[one.metric == metric].merge(n_req.rename("n"), left_on="replication", right_index=True)
        rows = rows.assign(per_request=rows.value / rows.n)
        return (rows.groupby("key").agg(cost=("value", "mean"), cost_per_request=("per_request", "mean"))
                .reset_index().rename(columns={"key": label}).sort_values("cost", ascending=False))

    by_class = pd.concat(parts["by_class"], ignore_index=True)
    by_class = by_class[by_class.load_factor == reference].groupby("request_class").agg(
        requests=("requests", "mean"), cost=("cost", "mean"),
        cost_per_request=("cost_per_request", "mean")).reset_index()
    spend = pd.concat(parts["spend"], ignore_index=True)
    spend = spend.groupby(["load_factor", "hour"]).cost.sum().div(replications).reset_index()
    budgets = pd.concat(parts["budgets"], ignore_index=True).groupby("load_factor").mean(
        numeric_only=True).drop(columns=["replication", "seed"]).reset_index()
    return {"runs": runs, "capacity": capacity, "plugins": plug, "required_capacity": required,
            "cost_by_tier": per_request("cost_by_tier", "tier"),
            "cost_by_plugin": per_request("cost_by_plugin", "plugin"),
            "cost_by_class": by_class, "spend": spend, "budgets": budgets}


# ---------------------------------------------------------------------- rendering
def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _versions() -> str:
    names = ("simroute", "simpy", "pandas", "numpy", "matplotlib", "scipy")
    found = []
    for n in names:
        try:
            found.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            found.append(f"{n} ?")
    return f"Python {platform.python_version()}; " + ", ".join(found)


def _figures(rep: Report) -> list[tuple[str, str, str, str]]:
    """(section, title, caption, base64 PNG) for each figure, in page order."""
    # Figure objects, not pyplot: no global backend is switched (a notebook keeps its own)
    from matplotlib.figure import Figure

    t = rep.tables
    cap, plug = t["capacity"], t["plugins"]
    top = (plug.groupby("plugin").utilization.max().sort_values(ascending=False).head(6).index)
    figs = []

    fig = Figure(figsize=(7.5, 3.4), layout="constrained")
    ax = fig.subplots()
    for q in ("latency_p50", "latency_p95", "latency_p99"):
        ax.plot(cap.load_factor, cap[q] / 60, marker="o", label=q.split("_")[1])
    ax.axhline(rep.slo_p95 / 60, color="black", ls="--", lw=1, label=f"SLO p95 {rep.slo_p95 / 60:.0f} min")
    ax.set_xlabel("load factor")
    ax.set_ylabel("latency (min)")
    ax.legend(fontsize=8)
    figs.append(("capacity", "Latency against offered load",
                 "Percentiles of completed requests' latency, mean over "
                 "replications; the dashed line is the p95 SLO.", _png(fig)))

    fig = Figure(figsize=(11, 3.4), layout="constrained")
    (a, b) = fig.subplots(1, 2)
    for p in top:
        g = plug[plug.plugin == p]
        a.plot(g.load_factor, g.utilization, marker="o", label=p)
        b.plot(g.load_factor, g.queue_wait_mean / 60, marker="o", label=p)
    a.axhline(1.0, color="black", lw=0.8)
    a.set_xlabel("load factor")
    a.set_ylabel("utilization")
    b.set_xlabel("load factor")
    b.set_ylabel("mean queue wait (min)")
    a.legend(fontsize=7)
    figs.append(("capacity", "Utilization and queue wait per plugin",
                 "The six busiest plugins.", _png(fig)))

    req = t["required_capacity"]
    pivot = req.pivot_table(index="plugin", columns="load_factor", values="required_capacity")
    pivot = pivot.loc[[p for p in top if p in pivot.index]]
    fig = Figure(figsize=(7.5, 3.2), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(pivot.columns))
    for k, lf in enumerate(pivot.columns):
        ax.bar(np.arange(len(pivot)) + k * width, pivot[lf], width, label=f"load {lf:g}")
    current = req.groupby("plugin").capacity.first().reindex(pivot.index)
    ax.scatter(np.arange(len(pivot)) + 0.4 - width / 2, current, color="black", marker="_", s=400,
               label="current capacity", zorder=3)
    ax.set_xticks(np.arange(len(pivot)) + 0.4 - width / 2, pivot.index, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("slots")
    ax.legend(fontsize=7)
    figs.append(("capacity", "Capacity needed",
                 "Slots each plugin needs for its M/M/c mean queue wait to stay within "
                 "the target fraction of its service time, at each load (bars), against today's capacity.",
                 _png(fig)))

    fig = Figure(figsize=(11, 3.2), layout="constrained")
    (a, b) = fig.subplots(1, 2)
    a.plot(cap.load_factor, cap.breaker_open_time / 60, marker="o")
    a.set_xlabel("load factor")
    a.set_ylabel("breaker open time, all plugins (min)")
    b.plot(cap.load_factor, cap.retry_amplification, marker="o", label="retry amplification")
    b.plot(cap.load_factor, cap.attempts_per_request, marker="o", label="attempts per request")
    b.set_xlabel("load factor")
    b.legend(fontsize=8)
    figs.append(("capacity", "Breakers and retries as load grows",
                 "Open time summed over plugins; calls made per "
                 "call needed (retry amplification).", _png(fig)))

    fig = Figure(figsize=(13, 3.2), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, (name, label) in zip(axes, (("cost_by_tier", "tier"), ("cost_by_plugin", "plugin"),
                                        ("cost_by_class", "request_class")), strict=True):
        d = t[name].set_index(label).cost_per_request.sort_values().tail(8)
        d.plot.barh(ax=ax)
        ax.set_xlabel("$ per request")
        ax.set_ylabel("")
        ax.set_title(label.replace("_", " "))
    figs.append(("cost", "Cost per request",
                 "At load factor 1 (or the lowest): by model tier, plugin (all "
                 "attempts, retries included) and request class.", _png(fig)))

    sp = t["spend"]
    fig = Figure(figsize=(9, 3), layout="constrained")
    ax = fig.subplots()
    for lf, g in sp.groupby("load_factor"):
        ax.plot(g.hour, g.cost, label=f"load {lf:g}", lw=1)
    ax.set_xlabel("hour of simulated time")
    ax.set_ylabel("$ per hour")
    ax.legend(fontsize=7)
    figs.append(("cost", "Spend over time",
                 "Dollars per simulated hour, mean over replications.", _png(fig)))

    if "settings" in t:
        st = t["settings"]
        fig = Figure(figsize=(7, 3.4), layout="constrained")
        ax = fig.subplots()
        ax.scatter(st.latency_p95 / 60, st.cost_per_request, color="tab:gray")
        f = st[st.on_frontier].sort_values("latency_p95")
        ax.plot(f.latency_p95 / 60, f.cost_per_request, "k--o", label="frontier")
        for _, row in st.iterrows():
            ax.annotate(f"r{int(row['retry.max_retries'])} t{int(row['breaker.failure_threshold'])}",
                        (row.latency_p95 / 60, row.cost_per_request), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_xlabel("p95 latency (min)")
        ax.set_ylabel("$ per request")
        ax.legend(fontsize=8)
        figs.append(("cost", "Cost–latency frontier",
                     "Settings compared at load factor 1: rN = max retries, tN = "
                     "breaker failure threshold; the dashed line joins those no other beats on both.",
                     _png(fig)))
    return figs


def _table_html(frame: pd.DataFrame, digits: int = 3) -> str:
    table = frame.round(digits).to_html(index=False, border=0, classes="t", na_rep="—")
    return f'<div class="wide">{table}</div>'


def _render(rep: Report, wait_fraction: float, timings: dict[str, float]) -> str:
    figs = _figures(rep)
    rep.figures = [title for _, title, _, _ in figs]
    t = rep.tables
    sc = rep.scenario
    w = sc.workload
    trace_name = html.escape(Path(w.trace or "").name)
    workload = (f"trace {trace_name} ({w.trace_format}), time scale {w.time_scale:g}"
                if w.kind == "trace" else f"{w.kind}, rate {w.rate:g}/s, {w.requests} requests")
    breach = (f"p95 latency first exceeds the SLO at load factor <b>{rep.slo_breached_at:g}</b>."
              if rep.slo_breached_at is not None else "p95 latency stays within the SLO at every load tried.")
    capacity_figs, cost_figs = (
        "".join(f'<figure><h3>{html.escape(title)}</h3><img alt="{html.escape(title)}" '
                f'src="data:image/png;base64,{png}"><figcaption>{html.escape(cap)}</figcaption></figure>'
                for sec, title, cap, png in figs if sec == section)
        for section in ("capacity", "cost"))
    need = t["required_capacity"]
    short = need[~need.meets_target]
    settings = t.get("settings")
    best = ""
    if settings is not None and len(settings):
        b = settings.sort_values("cost_per_request").iloc[0]
        best = (f"<p>Cheapest settings compared: max retries {int(b['retry.max_retries'])}, failure "
                f"threshold {int(b['breaker.failure_threshold'])} — ${b.cost_per_request:.3f} per request, "
                f"p95 {b.latency_p95 / 60:.1f} min.</p>")
    css = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
           "table.t{border-collapse:collapse;font-size:12px;margin:.5em 0}"
           "table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
           "figure{margin:1.5em 0}img{max-width:100%}header{background:#f4f4f4;padding:.8em 1em}"
           "figcaption{font-size:12px;color:#555}.wide{overflow-x:auto}")
    script = ("window.addEventListener('load',function(){var i=document.images,ok=0;"
              "for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)ok++;}"
              "document.body.setAttribute('data-images-loaded',ok+'/'+i.length);});")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>simroute report: {html.escape(sc.name)}</title>
<style>{css}</style><script>{script}</script></head>
<body>
<header>
<h1>Capacity and cost: {html.escape(sc.name)}</h1>
<p>Scenario <code>{html.escape(sc.source)}</code>; workload: {workload}; load factors
{", ".join(f"{f:g}" for f in rep.load_factors)}; seed {rep.seed}, {rep.replications} replications per
load factor (replication r: SeedSequence({rep.seed}, spawn_key=(r,))).</p>
<p>{html.escape(_versions())}.</p>
<p>Wall time {{{{TOTAL}}}} s: simulation {timings['simulation']:.1f} s, rendering {{{{RENDER}}}} s.</p>
</header>

<h2>Capacity</h2>
<p>SLO: p95 latency ≤ {rep.slo_p95 / 60:.1f} min. {breach}
{len(short)} plugin × load combinations need more slots than they have for a mean queue wait within
{wait_fraction:.0%} of service time.</p>
{capacity_figs}
<h3>By load factor</h3>
{_table_html(t["capacity"])}
<h3>Capacity needed (plugins short of it)</h3>
{_table_html(short) if len(short) else "<p>None: every plugin meets the target at every load.</p>"}

<h2>Cost</h2>
{best}
{cost_figs}
<h3>By model tier</h3>
{_table_html(t["cost_by_tier"], 4)}
<h3>By request class</h3>
{_table_html(t["cost_by_class"], 4)}
<h3>Budgets</h3>
{_table_html(t["budgets"], 4)}
{_table_html(settings, 4) if settings is not None else ""}
<p>Tables as CSV beside this page: {", ".join(f"{n}.csv" for n in t)}.</p>
</body></html>
"""


# ---------------------------------------------------------------------- PDF
def chromium() -> str | None:
    """The path of a Chromium (or Chrome) binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def to_pdf(page: Path, pdf: Path) -> Path:
    """Render ``page`` to ``pdf`` with headless Chromium."""
    exe = chromium()
    if exe is None:
        raise InputError("--pdf needs Chromium, which is not installed: on Debian or Ubuntu "
                         "`apt-get install chromium`, elsewhere install Chromium or Google Chrome "
                         "(the HTML report is written)", field="pdf")
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
                        "--no-pdf-header-footer", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
    return pdf
