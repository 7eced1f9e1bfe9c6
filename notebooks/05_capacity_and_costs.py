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
# # Capacity and costs, step by step
#
# `simroute report` answers two questions in one page: how much load can the orchestrator take, and
# what will it cost. This notebook runs the same analysis with `sr.report` and walks through its
# tables one by one, so that each step can be changed and looked at: the workload, the load factors,
# the SLO, the capacity target. Times are in seconds unless a column or axis says minutes.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt

import simroute as sr
from simroute.report import default_scenario

scenario = default_scenario()   # simroute/data/scenarios/report.yaml: the bundled trace, time scale 600
w = scenario.workload
print(scenario.name, w.kind, w.trace_format, "time scale", w.time_scale)

# %% [markdown]
# ## 1. Offered load
#
# A load factor scales the trace's time axis (a factor of 2 compresses it to half the time). The
# report runs each factor with replications and averages them; the SLO is its p95 target.

# %%
# NBVAL_IGNORE_OUTPUT
factors = [0.5, 1, 2, 3]
rep = sr.report(scenario, "simroute-report", load_factors=factors, replications=2, seed=1, progress=False)
rep

# %%
cap = rep.tables["capacity"].set_index("load_factor")
(cap[["latency_p50", "latency_p95", "latency_p99"]] / 60).round(1)   # minutes

# %%
ax = (cap[["latency_p50", "latency_p95", "latency_p99"]] / 60).plot(marker="o", figsize=(7, 3),
                                                                     ylabel="minutes", xlabel="load factor")
ax.axhline(rep.slo_p95 / 60, color="black", ls="--", label="SLO (p95)")
ax.legend()
plt.show()
print("first load factor over the SLO:", rep.slo_breached_at)

# %% [markdown]
# ## 2. Where the queues form
#
# Utilization and mean queue wait per plugin. A plugin near utilization 1 is where the latency comes
# from.

# %%
plugins = rep.tables["plugins"]
busiest = plugins.groupby("plugin").utilization.max().nlargest(4).index
plugins[plugins.plugin.isin(busiest)].pivot(index="load_factor", columns="plugin",
                                            values="utilization").round(3)

# %% [markdown]
# ## 3. Capacity needed
#
# For each plugin and load, the smallest number of slots whose M/M/c mean queue wait (Erlang C) stays
# within 10 % of the plugin's mean service time, from the simulated arrival rate and service time.

# %%
need = rep.tables["required_capacity"]
need[need.plugin.isin(busiest)].pivot(index="plugin", columns="load_factor", values="required_capacity")

# %% [markdown]
# ## 4. What it costs
#
# Cost by model tier, by plugin and by request class (dollars), and spend per simulated hour at load
# factor 1. Trace requests carry token counts, so they are priced per token.

# %%
t = rep.tables
fig, axes = plt.subplots(1, 3, figsize=(13, 3), layout="constrained")
t["cost_by_tier"].set_index("tier").cost.sort_values().plot.barh(ax=axes[0], title="by tier ($)")
by_plugin = t["cost_by_plugin"].set_index("plugin").cost.sort_values()
by_plugin.tail(6).plot.barh(ax=axes[1], title="by plugin ($)")
t["cost_by_class"].set_index("request_class").cost_per_request.plot.barh(ax=axes[2],
                                                                          title="per request, by class ($)")
plt.show()
spend = t["spend"][t["spend"].load_factor == 1].set_index("hour").cost
spend.plot(figsize=(9, 2.5), xlabel="hour", ylabel="$ per hour")
plt.show()

# %% [markdown]
# ## 5. The whole page
#
# The same tables, the breaker and retry settings compared on a cost–latency frontier, and every
# figure, in one self-contained page (`simroute-report/index.html`) with its tables as CSV.

# %%
cap[["latency_p95", "success_rate", "cost_per_request"]].round(2)
