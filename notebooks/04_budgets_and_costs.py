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
# # Budgets and costs
#
# The seed's full-stack plan costs $0.85. Under a budget the optimizer downgrades non-critical
# agents, uses cached results, parallelizes and simplifies; if nothing fits, the request is rejected
# (or run and flagged, a setting). Here: how the plan changes with the budget, and what budgets and
# model prices do to a whole workload.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots
from simroute.experiments.params import with_params
from simroute.experiments.sweep import pivot
from simroute.policies.catalog import data_dir

catalog = sr.load_catalog()
plan = sr.Plan.from_yaml(data_dir() / "plans" / "fullstack.yaml", prices=catalog.tiers)
rows = []
for budget in (0.9, 0.7, 0.5, 0.4, 0.3, 0.25):
    opt = sr.optimize_cost(plan, budget, catalog)
    rows.append({"budget": budget, "status": opt.status, "cost": round(opt.total_cost, 3),
                 "minutes": opt.duration / 60, "changes": len(opt.changes)})
pd.DataFrame(rows)

# %%
plots.cost_waterfall(sr.optimize_cost(plan, 0.50, catalog))
plt.show()

# %% [markdown]
# ## A workload under budgets
#
# The default scenario with every request given the same budget (None: no budget), 3 replications.
# A request whose plan cannot be brought within its budget is rejected at once, for $0. Latency and
# cost per request are over the requests *served* (the rejected ones left out), with the rejected
# share beside them: a tighter budget does not look faster or cheaper just because it refuses more.

# %% tags=["nbval-ignore-output"]
scenario = with_params(sr.Scenario.default(), {"workload.requests": 1000})
frame = sr.sweep(scenario, {"workload.budget": [None, 0.45, 0.35, 0.25, 0.15]}, replications=3, seed=1,
                 progress=False, metrics=["cost_per_request", "rejected_rate", "latency_p95"])
agg = sr.aggregate(frame)

# %%
measures = ["cost_per_request", "rejected_rate", "latency_p95"]
table = pd.DataFrame({m: pivot(agg, m).set_index("workload.budget")["mean"] for m in measures})
table.index = table.index.map(lambda b: "none" if pd.isna(b) else f"${b:.2f}")
fig, axes = plt.subplots(1, 3, figsize=(12, 3), layout="constrained")
for ax, m in zip(axes, measures, strict=True):
    p = pivot(agg, m)
    ax.errorbar(range(len(p)), p["mean"], yerr=[p["mean"] - p.ci_low, p.ci_high - p["mean"]], marker="o",
                capsize=3)  # 95 % intervals over the 3 replications
    ax.set_xticks(range(len(table)), table.index)
    ax.set_xlabel("budget per request ($)")
    ax.set_ylabel(plots.label(m))
    ax.set_title(plots.title(m))
plt.show()
table.round(4)

# %% [markdown]
# ## Where the money goes
#
# Cost by model tier and by plugin for one run of the default scenario.

# %%
r = sr.run(sr.Scenario.default(), seed=1)
s = r.summary()
fig, (a, b) = plt.subplots(1, 2, figsize=(12, 3), layout="constrained")
s[s.metric == "cost_by_tier"].set_index("key").value.sort_values().plot.barh(ax=a, title="By model tier")
s[s.metric == "cost_by_plugin"].set_index("key").value.sort_values().tail(8).plot.barh(
    ax=b, title="By plugin (top 8)")
for ax, what in ((a, "model tier"), (b, "plugin")):
    ax.set_xlabel("cost of the run's attempts ($)")
    ax.set_ylabel(f"{what} (name)")
plt.show()

# %% [markdown]
# ## Live
#
# Budget, tier prices and the over-budget policy: the documented plan's optimization and a
# 1,000-request simulation redraw on every change.

# %% tags=["nbval-ignore-output"]
from simroute.faces.widgets import BudgetPanel

BudgetPanel()
