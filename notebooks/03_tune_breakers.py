# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tuning breakers and retries
#
# `simroute/data/scenarios/outage.yaml`: deployments at 0.5 per second on ahling-command-center, which hangs
# from 2,000 s to 4,000 s: a call is accepted and never answered. The caller gives up after 10 s
# (outcome `timeout`) and retries, but the plugin keeps the call — and one of its four slots — until
# its gateway cuts it two minutes later. Retries multiply the load on a plugin that cannot succeed:
# a **retry storm**. Without a breaker the hung calls outlive the outage, so requests keep falling
# back long after it ends. A circuit breaker that counts timeouts stops calling it (fail fast, route
# around it); a retry budget caps retries at a share of requests.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots
from simroute.experiments.params import with_params
from simroute.experiments.sweep import pivot
from simroute.io.scenario import RetryBudgetSettings

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

# %% [markdown]
# ## The storm, minute by minute
#
# Attempts per minute on the failing plugin. Without a breaker, every request during the outage makes
# four attempts; the breaker cuts them to a few probes per open timeout.

# %%
fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
for name, r in runs.items():
    a = r.attempts[r.attempts.plugin == "ahling-command-center"]
    per_minute = (a.queued // 60).value_counts().reindex(range(int(r.end_time // 60) + 1), fill_value=0)
    ax.plot(per_minute.index, per_minute.values, label=name)  # a minute without attempts: 0
ax.axvspan(2000 / 60, 4000 / 60, color="tab:red", alpha=0.1)
ax.set_xlim(20, 80)
ax.set_xlabel("time (min)")
ax.set_ylabel("attempts on ahling (per min)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %%
r = runs["breaker"]
plots.breaker_states(r.breaker_events, "ahling-command-center", end=r.end_time, attempts=r.attempts)
plt.show()

# %% [markdown]
# ## The failure threshold, with confidence intervals
#
# Lower thresholds open sooner: more calls fail fast and fewer are wasted on the dead plugin.

# %% tags=["nbval-ignore-output"]
frame = sr.sweep(scenario, {"breaker.failure_threshold": [1, 2, 3, 5, 8, 13, 20]}, replications=5,
                 seed=1, progress=False,
                 metrics=["fast_fails_per_request", "failed_attempts_per_request", "latency_p95"])
agg = sr.aggregate(frame)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3), layout="constrained")
metrics = ["fast_fails_per_request", "failed_attempts_per_request", "latency_p95"]
for ax, metric in zip(axes, metrics, strict=True):
    p = pivot(agg, metric)
    ax.errorbar(p["breaker.failure_threshold"], p["mean"],
                yerr=[p["mean"] - p["ci_low"], p["ci_high"] - p["mean"]], marker="o", capsize=3)
    ax.set_xlabel("failure threshold (failures)")
    ax.set_ylabel(plots.label(metric))
    ax.set_title(plots.title(metric))
    plots.integer_ticks(ax)
plt.show()
pivot(agg, "failed_attempts_per_request").round(4)

# %% [markdown]
# The sweep's answer, computed from it: the best threshold on each measure, and the thresholds within
# its noise.

# %%
from simroute.experiments.answers import best_setting, settings_rows

for m in metrics:
    print(best_setting(settings_rows(agg), m, what="threshold"))

# %% [markdown]
# ## Tuning
#
# Optuna's TPE sampler searches threshold, open timeout and retries for the lowest cost per success
# (dollars per successful request, failures' spend included) with p95 latency at most 30 s and
# success at least 99 %, each goal judged on the conservative end of its confidence interval. A
# success is a request its routed plugins answered: a fallback's answer is `degraded`, so this goal
# asks the breaker to route around the hanging plugin quickly. The frontier keeps a cost–latency
# trade-off only when the intervals show it; the rest are ties.

# %% tags=["nbval-ignore-output"]
tuning = sr.tune(scenario, {"breaker.failure_threshold": (2, 10), "breaker.open_timeout": (60, 1200),
                            "retry.max_retries": [0, 1, 2, 3]},
                 objective="cost_per_success",
                 constraints={"latency_p95": ("<=", 30), "success_rate": (">=", 0.99)},
                 trials=16, replications=3, seed=1, progress=False)

# %%
t = tuning.trials
front = tuning.frontier()  # feasible trials only
best = tuning.best
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
for feasible, colour, name in ((False, "tab:gray", "misses a goal"), (True, "tab:green", "meets every goal")):
    g = t[t.feasible == feasible]
    ax.errorbar(g.latency_p95_mean, g.cost_per_success_mean,
                xerr=[g.latency_p95_mean - g.latency_p95_low, g.latency_p95_high - g.latency_p95_mean],
                yerr=[g.cost_per_success_mean - g.cost_per_success_low,
                      g.cost_per_success_high - g.cost_per_success_mean],
                fmt="o", color=colour, ecolor="lightgray", label=f"trial that {name}")
if len(front):
    ax.plot(front.latency_p95_mean, front.cost_per_success_mean, "k--", label="frontier (feasible)")
if best is not None and bool(best.feasible):
    ax.scatter([best.latency_p95_mean], [best.cost_per_success_mean], s=160, facecolor="none",
               edgecolor="black", lw=1.5, label="best: lowest cost per success", zorder=3)
ax.axvline(30, color="black", ls=":", lw=1, label="goal: p95 ≤ 30 s")
ax.set_xlabel("p95 latency (s)")
ax.set_ylabel("cost per success ($/request)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()
print(tuning)
front[["trial", "latency_p95_mean", "cost_per_success_mean", "ties"]].round(4)

# %% [markdown]
# ## Live
#
# Breaker, retry and timeout settings under the default scenario with a two-hour outage that refuses
# calls fast or hangs them: the breaker's timeline and the outcome redraw on every change. Try a
# hanging outage, then an attempt timeout shorter than the plugins' normal service times: it cuts
# healthy calls too.

# %% tags=["nbval-ignore-output"]
from simroute.faces.widgets import BreakerPanel

BreakerPanel()

# %% [markdown]
# ## The answer
#
# Computed from the tuning run above, not typed: the settings to run, and the ones that are within
# their noise (no detectable difference).

# %%
print(tuning.answer())
