"""Write the project's notebooks from the cells below, then execute them in place.

    python tools/make_notebooks.py            # all
    python tools/make_notebooks.py 01         # those whose name starts with 01

Requires nbconvert (a development tool, not a dependency). Outputs are stored so that nbval can
compare them; cells whose output is not deterministic (timings, figures) carry NBVAL_IGNORE_OUTPUT
or only draw figures, whose images the notebooks' conftest tells nbval not to compare.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from nb import write  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS: dict[str, list[str]] = {}

NOTEBOOKS["01_documented_flows.ipynb"] = [
    """md:
# The six documented flows, replayed

The design document (`seed/routing-flow-diagrams.md`) walks through six flows with times, scores,
costs and messages. Each is a scenario in `simroute/data/scenarios/flows/` that the engine **runs**; the
replay then compares every number the seed states with what the simulation produced.

Where the seed contradicts its own parts (a score whose listed components do not add up to it, a
total that is not the sum of its lines) the row says `seed inconsistent`, shows both numbers and
gives the reason. Anything else that differs would be a `mismatch` — a regression.""",
    """
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots

pd.set_option("display.max_colwidth", 60)
table = sr.replay()
table.status.value_counts()
""",
    """md:
## 1. Classification and routing

"Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s" is classified, the plugins
are scored (bars: the score's components; ◆: the final score after priority and availability), and
the sequential collaboration plan runs on the three plugins: 15 + 12 + 18 = 45 minutes.""",
    """
routing = sr.replay_flow("routing")
fig, (a, b) = plt.subplots(1, 2, figsize=(13, 3.2), layout="constrained")
plots.score_breakdown(routing.extras["route"].scores, top=5, ax=a, title="Plugin scores")
plots.gantt(routing.results["routing"].attempts, ax=b, title="Collaboration plan as executed")
plt.show()
""",
    """
routing.table()[["item", "documented", "simulated", "status"]].tail(16)
""",
    """md:
## 2. The message bus, t0–t4

The same request with shared state and an unreachable K8s cluster: the deployment fails, the
breaker opens and the phase falls back to the orchestrator's built-in deployment. Arrows are
deliveries to subscribers (the telemetry subscriber, which sees everything, is left out).""",
    """
bus = sr.replay_flow("bus")
r = bus.results["bus"]
plots.message_sequence(r.messages, title="Bus messages (publish order)")
plt.show()
""",
    """
bus.table()[["item", "simulated", "status"]]
""",
    """md:
## 3. Agent discovery and team building

"React component with accessibility": the registry is searched in the two best plugins and the
orchestrator, agents are ranked with the same weighted matching, and a team is built greedily.""",
    """
discovery = sr.replay_flow("discovery")
plots.score_breakdown(discovery.extras["agents"], top=6, title="Agent ranking")
discovery.extras["team"]
""",
    """md:
## 4. The circuit breaker

Five failures open the breaker at 15 s; it half-opens after the 60 s timeout (75 s) and closes after
three successful test requests (78 s). In the variant, the second test request fails: it reopens at
77 s and half-opens again at 137 s. Dots are the attempts on ahling-command-center.""",
    """
breaker = sr.replay_flow("breaker")
fig, (a, b) = plt.subplots(2, 1, figsize=(9, 5), layout="constrained", sharex=True)
for ax, name in ((a, "breaker"), (b, "breaker-recovery-failure")):
    r = breaker.results[name]
    plots.breaker_states(r.breaker_events, "ahling-command-center", end=160, attempts=r.attempts,
                         ax=ax, title=name)
plt.show()
""",
    """
breaker.table()[["item", "documented", "simulated", "status"]]
""",
    """md:
## 5. The saga and its rollback

Tenant provisioning across two plugins. On the error path the namespace deployment fails, and the
completed steps are compensated in reverse order — the realm, then the database — leaving the
state store as it was.""",
    """
saga = sr.replay_flow("saga")
fig, (a, b) = plt.subplots(1, 2, figsize=(13, 2.8), layout="constrained")
plots.saga_timeline(saga.results["saga"].sagas, ax=a, title="Happy path")
plots.saga_timeline(saga.results["saga-rollback"].sagas, ax=b, title="Error path with rollback")
plt.show()
""",
    """
saga.results["saga-rollback"].final_state
""",
    """md:
## 6. Cost optimization under a $0.50 budget

The original plan costs $0.85 and takes 90 minutes. The optimizer removes the optional opus agents,
moves non-critical work to haiku, uses a cached documentation template, runs backend and frontend
in parallel and simplifies integration testing; the engine then runs the optimized plan.""",
    """
cost = sr.replay_flow("cost")
fig, (a, b) = plt.subplots(1, 2, figsize=(14, 3.5), layout="constrained")
plots.cost_waterfall(cost.extras["optimization"], ax=a)
plots.gantt(cost.results["cost"].attempts, ax=b, title="Optimized plan as executed")
plt.show()
""",
    """
cost.extras["optimization"].changes_frame()
""",
    """md:
## Where the seed contradicts itself

Every row that is not exact, with the documented value, the simulated one and the reason.""",
    """
table[table.status != "exact"][["flow", "item", "documented", "simulated", "note"]]
""",
    """
counts = table.status.value_counts()
print(f"{len(table)} rows: {counts.get('exact', 0)} exact, {counts.get('seed inconsistent', 0)} "
      f"seed inconsistent, {counts.get('mismatch', 0)} mismatch")
assert counts.get("mismatch", 0) == 0
""",
]


NOTEBOOKS["02_tune_scoring.ipynb"] = [
    """md:
# Tuning the scoring weights

A request's plugin ranking is a weighted match: points per matched domain, context, pattern and
keyword, times the plugin's priority and availability. Changing the weights changes which plugin
leads each request — and so where the load goes, what it costs and how long it takes. This notebook
looks at one request's ranking, then at the whole default workload.""",
    """
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute.params import with_params

scenario = with_params(sr.Scenario.default(), {"workload.requests": 1000})
catalog = scenario.catalog
text = "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"
c = sr.classify(text, catalog)
sr.scores_frame(sr.score_plugins(c, catalog)).head(5)
""",
    """md:
## Where the traffic goes

One run per weighting: the share of routed requests whose primary plugin is each plugin. With
context matches worth nothing, the domain match decides and the generalist plugins win more.""",
    """
shares = {}
for context in (0, 10, 20, 40):
    r = sr.run(with_params(scenario, {"weights.context": context}), seed=1)
    routed = r.requests[r.requests.saga == ""]
    shares[context] = routed.primary.value_counts(normalize=True)
shares = pd.DataFrame(shares).fillna(0).T.rename_axis("context weight")
shares.plot.barh(stacked=True, figsize=(9, 3), title="Primary plugin by context weight").legend(
    bbox_to_anchor=(1, 1), fontsize=8)
plt.show()
shares.round(3)
""",
    """md:
## Cost, latency and success, with error bars

A sweep over the context and pattern weights, 4 replications per point. Each replication uses the
same random streams at every point (common random numbers), so differences between points are
the weights', not the dice's.""",
    """
# NBVAL_IGNORE_OUTPUT
frame = sr.sweep(scenario, {"weights.context": [0, 10, 20, 40], "weights.pattern": [0, 15]},
                 replications=4, seed=1, progress=False,
                 metrics=["cost_per_request", "latency_p95", "success_rate"])
agg = sr.aggregate(frame)
""",
    """
from simroute.sweep import pivot

fig, axes = plt.subplots(1, 3, figsize=(13, 3), layout="constrained")
for ax, metric in zip(axes, ["cost_per_request", "latency_p95", "success_rate"], strict=True):
    p = pivot(agg, metric)
    for pattern, g in p.groupby("weights.pattern"):
        ax.errorbar(g["weights.context"], g["mean"], yerr=g["mean"] - g["ci_low"], capsize=3,
                    marker="o", label=f"pattern {pattern}")
    ax.set_xlabel("context weight")
    ax.set_title(metric)
axes[0].legend()
plt.show()
pivot(agg, "cost_per_request").round(4)
""",
    """md:
## Live

Move the sliders: the ranking of the chosen request and the routing shares of a 1,000-request
simulation redraw on every change.""",
    """
# NBVAL_IGNORE_OUTPUT
from simroute.widgets import ScoringPanel

panel = ScoringPanel()
panel
""",
]

NOTEBOOKS["03_tune_breakers.ipynb"] = [
    """md:
# Tuning breakers and retries

`simroute/data/scenarios/outage.yaml`: deployments at 0.5 per second on ahling-command-center, which hangs
from 2,000 s to 4,000 s: a call is accepted and never answered. The caller gives up after 10 s
(outcome `timeout`) and retries, but the plugin keeps the call — and one of its four slots — until
its gateway cuts it two minutes later. Retries multiply the load on a plugin that cannot succeed:
a **retry storm**. Without a breaker the hung calls outlive the outage, so requests keep falling
back long after it ends. A circuit breaker that counts timeouts stops calling it (fail fast, route
around it); a retry budget caps retries at a share of requests.""",
    """
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots
from simroute.params import with_params
from simroute.scenario import RetryBudgetSettings
from simroute.sweep import pivot

scenario = sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "outage.yaml")
cases = {
    "retries, no breaker": {"breaker.enabled": False},
    "retry budget, no breaker": {"breaker.enabled": False, "retry_budget": RetryBudgetSettings()},
    "breaker": {},
    "breaker + retry budget": {"retry_budget": RetryBudgetSettings()},
}
runs = {name: sr.run(with_params(scenario, p), seed=1) for name, p in cases.items()}
rows = []
for name, r in runs.items():
    s = r.summary().set_index(["metric", "key"]).value
    a = r.attempts[r.attempts.plugin == "ahling-command-center"]
    during = int(a.queued.between(2000, 4000).sum())
    rows.append({"case": name, "attempts on ahling during the outage": during,
                 "timed out": int((a.outcome == "timeout").sum()),
                 "attempts per request": s["attempts_per_request", ""],
                 "p95 latency (s)": s["latency_p95", ""],
                 "served by a fallback": float((r.requests.status == "degraded").mean())})
pd.DataFrame(rows).set_index("case").round(3)
""",
    """md:
## The storm, minute by minute

Attempts per minute on the failing plugin. Without a breaker, every request during the outage makes
four attempts; the breaker cuts them to a few probes per open timeout.""",
    """
fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
for name, r in runs.items():
    a = r.attempts[r.attempts.plugin == "ahling-command-center"]
    per_minute = (a.queued // 60).value_counts().sort_index()
    ax.plot(per_minute.index, per_minute.values, label=name)
ax.axvspan(2000 / 60, 4000 / 60, color="tab:red", alpha=0.1)
ax.set_xlim(20, 80)
ax.set_xlabel("minute")
ax.set_ylabel("attempts on ahling")
ax.legend(fontsize=8)
plt.show()
""",
    """
r = runs["breaker"]
plots.breaker_states(r.breaker_events, "ahling-command-center", end=r.end_time, attempts=r.attempts)
plt.show()
""",
    """md:
## The failure threshold, with confidence intervals

Lower thresholds open sooner: more calls fail fast and fewer are wasted on the dead plugin.""",
    """
# NBVAL_IGNORE_OUTPUT
frame = sr.sweep(scenario, {"breaker.failure_threshold": [1, 2, 3, 5, 8, 13, 20]}, replications=5,
                 seed=1, progress=False,
                 metrics=["fast_fails_per_request", "failed_attempts_per_request", "latency_p95"])
agg = sr.aggregate(frame)
""",
    """
fig, axes = plt.subplots(1, 3, figsize=(13, 3), layout="constrained")
metrics = ["fast_fails_per_request", "failed_attempts_per_request", "latency_p95"]
for ax, metric in zip(axes, metrics, strict=True):
    p = pivot(agg, metric)
    ax.errorbar(p["breaker.failure_threshold"], p["mean"], yerr=p["mean"] - p["ci_low"], marker="o",
                capsize=3)
    ax.set_xlabel("failure threshold")
    ax.set_title(metric)
plt.show()
pivot(agg, "failed_attempts_per_request").round(4)
""",
    """md:
## Tuning

Optuna's TPE sampler searches threshold, open timeout and retries for the lowest cost per request
with p95 latency at most 30 s and success at least 99 %, each goal judged on the conservative end of
its confidence interval. The frontier shows the cost–latency trade-off among the settings tried.""",
    """
# NBVAL_IGNORE_OUTPUT
tuning = sr.tune(scenario, {"breaker.failure_threshold": (1, 20), "breaker.open_timeout": (10.0, 300.0),
                            "retry.max_retries": [0, 1, 2, 3]},
                 constraints={"latency_p95": ("<=", 30), "success_rate": (">=", 0.99)},
                 trials=16, replications=3, seed=1, progress=False)
""",
    """
t = tuning.trials
front = tuning.frontier()
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
colors = t.feasible.map({True: "tab:green", False: "tab:gray"})
ax.scatter(t.latency_p95_mean, t.cost_per_request_mean, c=colors)
ax.plot(front.latency_p95_mean, front.cost_per_request_mean, "k--", label="frontier")
ax.set_xlabel("p95 latency (s)")
ax.set_ylabel("cost per request ($)")
ax.legend()
plt.show()
print(tuning.best_params)
""",
    """md:
## Live

Breaker, retry and timeout settings under the default scenario with a two-hour outage that refuses
calls fast or hangs them: the breaker's timeline and the outcome redraw on every change. Try a
hanging outage, then an attempt timeout shorter than the plugins' normal service times: it cuts
healthy calls too.""",
    """
# NBVAL_IGNORE_OUTPUT
from simroute.widgets import BreakerPanel

BreakerPanel()
""",
]

NOTEBOOKS["04_budgets_and_costs.ipynb"] = [
    """md:
# Budgets and costs

The seed's full-stack plan costs $0.85. Under a budget the optimizer downgrades non-critical
agents, uses cached results, parallelizes and simplifies; if nothing fits, the request is rejected
(or run and flagged, a setting). Here: how the plan changes with the budget, and what budgets and
model prices do to a whole workload.""",
    """
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots
from simroute.catalog import data_dir
from simroute.params import with_params
from simroute.sweep import pivot

catalog = sr.load_catalog()
plan = sr.Plan.from_yaml(data_dir() / "plans" / "fullstack.yaml", prices=catalog.tiers)
rows = []
for budget in (0.9, 0.7, 0.5, 0.4, 0.3, 0.25):
    opt = sr.optimize_cost(plan, budget, catalog)
    rows.append({"budget": budget, "status": opt.status, "cost": round(opt.total_cost, 3),
                 "minutes": opt.duration / 60, "changes": len(opt.changes)})
pd.DataFrame(rows)
""",
    """
plots.cost_waterfall(sr.optimize_cost(plan, 0.50, catalog))
plt.show()
""",
    """md:
## A workload under budgets

The default scenario with every request given the same budget (None: no budget), 3 replications.""",
    """
# NBVAL_IGNORE_OUTPUT
scenario = with_params(sr.Scenario.default(), {"workload.requests": 1000})
frame = sr.sweep(scenario, {"workload.budget": [None, 0.45, 0.35, 0.25, 0.15]}, replications=3, seed=1,
                 progress=False, metrics=["cost_per_request", "rate_rejected", "latency_p95"])
agg = sr.aggregate(frame)
""",
    """
table = pd.DataFrame({m: pivot(agg, m).set_index("workload.budget")["mean"]
                      for m in ["cost_per_request", "rate_rejected", "latency_p95"]})
table.index = table.index.map(lambda b: "none" if pd.isna(b) else f"${b:.2f}")
table.plot(subplots=True, layout=(1, 3), figsize=(12, 3), marker="o", legend=False,
           title=list(table.columns))
plt.show()
table.round(4)
""",
    """md:
## Where the money goes

Cost by model tier and by plugin for one run of the default scenario.""",
    """
r = sr.run(sr.Scenario.default(), seed=1)
s = r.summary()
fig, (a, b) = plt.subplots(1, 2, figsize=(12, 3), layout="constrained")
s[s.metric == "cost_by_tier"].set_index("key").value.sort_values().plot.barh(ax=a, title="by tier ($)")
s[s.metric == "cost_by_plugin"].set_index("key").value.sort_values().tail(8).plot.barh(
    ax=b, title="by plugin ($, top 8)")
plt.show()
""",
    """md:
## Live

Budget, tier prices and the over-budget policy: the documented plan's optimization and a
1,000-request simulation redraw on every change.""",
    """
# NBVAL_IGNORE_OUTPUT
from simroute.widgets import BudgetPanel

BudgetPanel()
""",
]


NOTEBOOKS["05_capacity_and_costs.ipynb"] = [
    """md:
# Capacity and costs, step by step

`simroute report` answers two questions in one page: how much load can the orchestrator take, and
what will it cost. This notebook builds the same analysis by hand, so that each step can be
changed: the workload, the load factors, the SLO, the capacity target.""",
    """
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute.queueing import capacity_for_wait
from simroute.report import at_load, default_scenario

scenario = default_scenario()   # simroute/data/scenarios/report.yaml: the bundled trace, time scale 600
w = scenario.workload
print(scenario.name, w.kind, w.trace_format, "time scale", w.time_scale)
""",
    """md:
## 1. Offered load

A load factor scales the trace's time axis (a factor of 2 compresses it to half the time). One run
per factor here; the report runs replications and averages them.""",
    """
factors = [0.5, 1, 2, 3]
runs = {f: sr.run(at_load(scenario, f), seed=1) for f in factors}
latency = pd.DataFrame({f: r.requests.latency.quantile([0.5, 0.95, 0.99]) / 60 for f, r in runs.items()}).T
latency.columns = ["p50", "p95", "p99"]
latency.rename_axis("load factor").round(1)
""",
    """
slo = 1.25 * latency.loc[1, "p95"]   # the report's default: 1.25 × p95 at load 1 (minutes)
ax = latency.plot(marker="o", figsize=(7, 3), ylabel="minutes", xlabel="load factor")
ax.axhline(slo, color="black", ls="--", label="SLO")
ax.legend()
plt.show()
print("first load factor over the SLO:", next((f for f in factors if latency.loc[f, "p95"] > slo), None))
""",
    """md:
## 2. Where the queues form

Utilization and mean queue wait per plugin. A plugin near utilization 1 is where the latency comes
from.""",
    """
rows = []
for f, r in runs.items():
    a = r.attempts[r.attempts.outcome != "rejected_open"]
    per = a.groupby("plugin").agg(attempts=("service", "size"), service_mean=("service", "mean"),
                                  queue_wait=("queue_wait", "mean"))
    per = per.join(r.plugins.set_index("plugin")[["capacity", "utilization"]])
    per["arrival_rate"] = per.attempts / r.end_time
    rows.append(per.assign(load_factor=f).reset_index())
plugins = pd.concat(rows, ignore_index=True)
busiest = plugins.groupby("plugin").utilization.max().nlargest(4).index
top = plugins[plugins.plugin.isin(busiest)]
top.pivot(index="load_factor", columns="plugin", values="utilization").round(3)
""",
    """md:
## 3. Capacity needed

For each plugin and load, the smallest number of slots whose M/M/c mean queue wait (Erlang C) stays
within 10 % of the plugin's mean service time, from the simulated arrival rate and service time.""",
    """
plugins["required"] = [capacity_for_wait(lam, s, 0.1 * s)
                       for lam, s in zip(plugins.arrival_rate, plugins.service_mean, strict=True)]
need = plugins[plugins.plugin.isin(busiest)].pivot(index="plugin", columns="load_factor", values="required")
need.insert(0, "today", plugins.groupby("plugin").capacity.first().reindex(need.index))
need
""",
    """md:
## 4. What it costs

At load factor 1: cost by model tier, by plugin and by request class, and spend per simulated hour.
Trace requests carry token counts, so they are priced per token.""",
    """
r = runs[1]
a = r.attempts
fig, axes = plt.subplots(1, 3, figsize=(13, 3), layout="constrained")
a[a.tier != ""].groupby("tier").cost.sum().sort_values().plot.barh(ax=axes[0], title="by tier ($)")
a.groupby("plugin").cost.sum().sort_values().tail(6).plot.barh(ax=axes[1], title="by plugin ($)")
r.requests.groupby("complexity").cost.mean().plot.barh(ax=axes[2], title="per request, by class ($)")
plt.show()
spend = a.groupby(a.end // 3600).cost.sum()
spend.plot(figsize=(9, 2.5), xlabel="hour", ylabel="$ per hour")
plt.show()
print(f"total ${r.requests.cost.sum():.2f} for {len(r.requests)} requests")
""",
    """md:
## 5. The whole report

The same analysis with replications, the breaker and retry settings compared on a cost–latency
frontier, and a self-contained page with its tables as CSV.""",
    """
# NBVAL_IGNORE_OUTPUT
rep = sr.report(scenario, "simroute-report", load_factors=factors, replications=2, seed=1, progress=False)
rep
""",
    """
rep.tables["capacity"][["load_factor", "latency_p95", "success_rate", "cost_per_request"]].round(2)
""",
]


NOTEBOOKS["06_retry_storms_and_metastability.ipynb"] = [
    """md:
# Retry storms and metastable failures

A system is **metastable** when a short trigger — a load spike, a pause — pushes it into a bad
state that it does not leave when the trigger ends. `simroute/data/scenarios/metastable.yaml` has the
classic recipe: one plugin with 4 slots and ~1 s calls at 70 % load, callers that give up after
6 s and retry three times, and a plugin that does not know its caller has left, so a timed-out call
stays in its queue and is served for nobody. From 600 s to 720 s the load doubles.""",
    """
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import simroute as sr
from simroute.params import with_params

scenario = sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "metastable.yaml")
spike = scenario.workload.surges[0]
r = sr.run(scenario, seed=1)
q, a = r.requests, r.attempts
minute = lambda t: t // 60  # noqa: E731  (NaN, e.g. work never started, is left out)
per_minute = pd.DataFrame({
    "arrivals": q.groupby(minute(q.arrival)).size(),
    "succeeded": q[q.status == "succeeded"].groupby(minute(q.end)).size(),
    "attempts": a.groupby(minute(a.queued)).size(),
    "abandoned work (s)": a[a.abandoned].groupby(minute(a.start)).service.sum(),
}).fillna(0)
per_minute.index = per_minute.index.astype(int)
per_minute.loc[[5, 9, 11, 15, 30, 59]].round(0)
""",
    """md:
Requests per minute that arrive and that succeed, and the calls the plugin receives. Before the
spike every request succeeds. During it the queue outgrows the timeout; from then on every call
times out, is retried, and leaves its abandoned copy in the queue. When the load is back to normal
the plugin is still full — of work for callers who left — and goodput stays at zero.""",
    """
fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
per_minute[["arrivals", "succeeded", "attempts"]].plot(ax=ax)
ax.axvspan(spike.start / 60, spike.end / 60, color="tab:red", alpha=0.15, label="load spike")
ax.set_xlabel("minute")
ax.set_ylabel("per minute")
ax.legend(fontsize=8)
plt.show()
""",
    """md:
## Which levers bring it back?

Each lever is one setting (a sweep path). Goodput is the share of requests arriving from 20 minutes
after the spike to the end of the hour that succeed, over 5 replications with a 95 % confidence
interval. A retry budget without a floor, a breaker that counts timeouts, load shedding and not
retrying at all recover; jittered backoff does not (the retries here are not synchronised), and
neither does withdrawing timed-out calls from the queue while every caller still retries three
times.""",
    """
levers = {
    "as is (retries + timeouts)": {},
    "retry budget 10 %": {"retry_budget": sr.RetryBudgetSettings(ratio=0.1, min_retries=0, window=60)},
    "breaker (counts timeouts)": {"breaker.enabled": True},
    "shed when 8 wait": {"shedding.max_queue": 8},
    "jittered backoff": {"retry.jitter": "full"},
    "cancel abandoned calls": {"timeout.cancel_abandoned": True},
    "no retries": {"retry.max_retries": 0},
}


def goodput(run, t0, t1):
    w = run.requests[(run.requests.arrival >= t0) & (run.requests.arrival < t1)]
    return float((w.status == "succeeded").mean())


rows = []
for name, change in levers.items():
    sc = with_params(scenario, change)
    runs = [sr.run(sc, seed=1, replication=k) for k in range(5)]
    values = [goodput(run, spike.end + 1200, scenario.horizon) for run in runs]
    mean, sem = np.mean(values), stats.sem(values) if np.std(values) > 0 else 0.0
    half = sem * stats.t.ppf(0.975, len(values) - 1)
    rows.append({"lever": name, "goodput after the spike": mean, "ci_low": max(mean - half, 0.0),
                 "ci_high": min(mean + half, 1.0)})
table = pd.DataFrame(rows).set_index("lever")
table.round(3)
""",
    """
fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
y = np.arange(len(table))
ax.barh(y, table["goodput after the spike"], xerr=[table["goodput after the spike"] - table.ci_low,
        table.ci_high - table["goodput after the spike"]], color="tab:blue", capsize=3)
ax.set_yticks(y, table.index)
ax.invert_yaxis()
ax.set_xlabel("share of requests succeeding after the spike")
ax.set_xlim(0, 1.05)
plt.show()
""",
    """md:
## Why the breaker works

With the breaker on, the timeouts open it: calls fail fast instead of joining the queue, the queue
of abandoned work drains, and the half-open probes find a healthy plugin again.""",
    """
rb = sr.run(with_params(scenario, {"breaker.enabled": True}), seed=1)
ev = rb.breaker_events
print(f"{(ev.to_state == 'open').sum()} openings, the last at {ev[ev.to_state == 'open'].time.max():.0f} s; "
      f"closed for good at {ev[ev.to_state == 'closed'].time.max():.0f} s")
""",
]


def main(argv: list[str]) -> None:
    wanted = [n for n in NOTEBOOKS if not argv or any(n.startswith(a) for a in argv)]
    for name in wanted:
        path = ROOT / "notebooks" / name
        write(path, NOTEBOOKS[name])
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                        "--inplace", str(path)], check=True, cwd=path.parent)
        print(f"wrote and executed {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
