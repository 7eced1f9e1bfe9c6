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
# # Capacity and costs: the report's decisions, step by step
#
# `simroute report` is a decision document: the SLO, the highest load today's capacity carries
# within it, which loads are saturated, the slots to buy at each load with their monthly price
# (verified by re-running the model at that capacity), the breaker and retry settings to run, and
# where the money goes. This notebook calls the same function, `sr.report`, and reads its answers and
# tables, so that each input can be changed and the decision looked at again: the workload, the
# load factors, the SLO, the replications. The tables are in the metrics' own units (seconds,
# shares, dollars; see the metrics reference); the figures use the report's one time unit.

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import display

import simroute as sr
from simroute.faces.report import default_scenario
from simroute.faces.report_page import figures

scenario = default_scenario()   # simroute/data/scenarios/report.yaml: the bundled trace, time scale 3600
w = scenario.workload
print(scenario.name, w.kind, w.trace_format, "time scale", w.time_scale,
      "| SLO: p95 <=", scenario.settings.slo.latency, "s")

# %% [markdown]
# ## 1. Run the report
#
# A load factor scales the trace's time axis (a factor of 2 compresses it to half the time). Each
# load runs 5 replications (common seeds), so every estimate has a 95 % interval.

# %% tags=["nbval-ignore-output"]
rep = sr.report(scenario, "simroute-report", load_factors=[0.5, 1, 2, 3], replications=5, seed=1,
                progress=False)
rep

# %% [markdown]
# ## 2. The decision
#
# The highest load that today's capacity carries within the SLO, the saturated loads (in words),
# and for each load the slots to add, their price per month, the model spend per month, and the p95
# latency the model gives when re-run at that capacity.

# %%
print("SLO: p95 <=", rep.slo_p95, "s, from", rep.slo_source)
print("today's capacity meets it up to load factor", rep.highest_load_within_slo)
print("saturated loads:", rep.saturated or "none")
check = rep.tables["plan_check"].set_index("load_factor")
check[["rounds", "latency_p95", "latency_p95_low", "latency_p95_high", "meets_slo",
       "capacity_cost_per_month", "model_spend_per_month"]].round(1)

# %%
plan = rep.tables["capacity_plan"]
plan[plan.added > 0].pivot(index="plugin", columns="load_factor", values="added").fillna(0).astype(int)

# %% [markdown]
# ## 3. Outcomes against load, with intervals
#
# `rep.outcome(metric)` gives any summary metric per load with its interval; here the p95 latency
# (seconds), the success rate and the cost per success.

# %%
pd.concat({m: rep.outcome(m).set_index("load_factor")[["mean", "ci_low", "ci_high"]]
           for m in ["latency_p95", "success_rate", "cost_per_success"]}, axis=1).round(4)

# %% [markdown]
# ## 4. The report's figures
#
# The same figures as the page, with a unit on every axis and interval bands on the line figures.

# %%
for _, title, caption, fig in figures(rep):
    print(title, "—", caption)
    display(fig)

# %% [markdown]
# ## 5. The settings to run
#
# The settings that act in this scenario — for the orchestrator, the retries × breaker failure
# threshold grid; for an imported LiteLLM router, its `num_retries`, `allowed_fails` and
# `cooldown_time` — at load factor 1, each with its interval, today's settings among them as the
# baseline row. A change is recommended only when it improves on today's beyond noise (cheaper per
# success or faster, and worse at nothing); otherwise the answer is to keep today's settings.

# %%
r = rep.recommended
print("keep today's settings:" if r["keep_today"] else "change to:", r["name"], "| ties:", r["ties"])
rep.tables["settings"][["retry.max_retries", "breaker.failure_threshold", "baseline", "cost_per_success_mean",
                        "cost_per_success_vs_today", "latency_p95_mean", "latency_p95_vs_today", "meets_slo",
                        "recommended"]].round(4)

# %% [markdown]
# ## 6. Where the money goes
#
# Cost per request by model tier and by request class at load factor 1 (dollars per request, with
# intervals). Trace requests carry token counts, so they are priced per token.

# %%
rep.tables["cost_by_tier"].round(4)

# %%
rep.tables["cost_by_class"].round(4)

# %% [markdown]
# ## 7. The whole page
#
# Everything above, in one self-contained page (`simroute-report/index.html`) with its tables as CSV:
# open it in a browser, or print it to PDF with `sr.report(..., pdf=True)`.

# %%
print(rep.path.name, "and", ", ".join(f"{name}.csv" for name in rep.tables))
