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
# # A day of traffic in flat memory
#
# A capacity question is often about a whole day: the morning ramp, the afternoon peak, the night.
# A full run keeps a row per request and per attempt (about 0.9 KiB per request). A day of a busy
# router is millions of requests, so this notebook runs at `record="summary"`. That level keeps
# counters, a latency sketch (quantiles within 1 %) and per-minute tables instead of rows, so its
# memory does not grow with the length of the run.
#
# The router is the LiteLLM config that ships with simroute, imported as in notebook 07. The
# primary deployment `azure-gpt-4o` is limited to 360 requests per minute (6 per second). Traffic
# follows a daily cycle around 3.5 requests per second (a sine with its peak at 06:00 and its low
# at 18:00), so the peak (6.3 per second) is over that limit. The primary also has a 30-minute
# outage at 14:00.

# %%
# %matplotlib inline
import tracemalloc

import pandas as pd

import simroute as sr


def peak_mib(work):
    """``work()``'s result and the peak of the memory Python allocated while it ran (MiB)."""
    tracemalloc.start()
    try:
        out = work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, peak / 2**20


config = sr.catalog.data_dir() / "litellm" / "example_config.yaml"
raw = dict(sr.import_litellm(config).scenario)
deployments = [dict(d, rpm=360.0) if d["name"] == "azure-gpt-4o" else d
               for d in raw["model_groups"]["deployments"]]
DAY = 86400.0
day = sr.Scenario.from_dict(dict(
    raw, horizon=DAY,
    model_groups=dict(raw["model_groups"], deployments=deployments),
    workload=dict(raw["workload"], kind="diurnal", rate=3.5, amplitude=0.8, period=DAY, requests=None),
    faults=[{"plugin": "azure-gpt-4o", "kind": "outage", "start": 14 * 3600, "end": 14.5 * 3600,
             "failure": "error"}]))
r, day_summary_mib = peak_mib(lambda: sr.run(day, seed=1, record="summary"))
r

# %% [markdown]
# The summary has the same metrics as a full run (`docs/metrics.md`), over the whole day:

# %%
s = r.summary().set_index("metric").value
s[["requests", "latency_p50", "latency_p95", "latency_p99", "success_rate", "degraded_rate",
   "cost_total", "cost_per_success", "attempts_per_request", "fallback_rate"]].round(4)

# %% [markdown]
# Per minute, over the day. Around the peak (05:00–07:30) the primary's rate limit answers part of
# the calls with a 429, and those requests move to the Claude group. Such a request is answered,
# but by a fallback, so it counts as `degraded`. In the outage at 14:00 every request is degraded.
# The spend follows the load (failed calls to a provider are not billed).

# %%
overall, by_plugin = r.per_minute(), r.per_minute(by_plugin=True)
axes = sr.plots.per_minute(overall, by_plugin, panels=("requests", "cost"),
                           title="A day through the LiteLLM router (record='summary')")

# %% [markdown]
# Per hour: the share of requests that needed a fallback, and the spend. The `degraded` share is
# zero until the load reaches the primary's limit, about 5 % of the requests at the peak, and
# about half in the hour of the outage (which lasts half of it).

# %%
hours = overall.assign(hour=(overall.start // 3600).astype(int)).groupby("hour")[
    ["arrivals", "succeeded", "degraded", "cost"]].sum()
hours["degraded share"] = hours.degraded / (hours.succeeded + hours.degraded)
hours.loc[[3, 5, 6, 7, 9, 14, 18]].round(3)

# %% [markdown]
# ## The same day, with every row
#
# A full run of the same seed gives the same numbers: counts and dollars exactly, latency
# quantiles within the sketch's 1 %. This is the check that lets the summary level stand in for
# the full one.

# %%
full_run, day_full_mib = peak_mib(lambda: sr.run(day, seed=1))
full = full_run.summary().set_index("metric").value
pd.DataFrame({"full": full, "summary": s}).loc[
    ["requests", "success_rate", "cost_total", "latency_p50", "latency_p95", "latency_p99"]]

# %% [markdown]
# ## Flat memory, measured
#
# The claim above, checked: the peak memory Python allocated (`tracemalloc`) while running a quarter
# of the day and the whole day at each record level. The summary level keeps at most one chunk of
# 65,536 rows before folding it, so past that its peak stays where it is; the full level keeps every
# row.

# %% tags=["nbval-ignore-output"]
quarter = day.replace(horizon=DAY / 4)
q_summary, quarter_summary_mib = peak_mib(lambda: sr.run(quarter, seed=1, record="summary"))
n_quarter = int(q_summary.summary().set_index("metric").value["requests"])
memory = pd.DataFrame({
    "requests": [n_quarter, int(s["requests"])],
    "summary level, peak (MiB)": [quarter_summary_mib, day_summary_mib],
    "full level, peak (MiB)": [None, day_full_mib]}, index=["6 hours", "24 hours"])
grew = day_summary_mib / quarter_summary_mib
print(f"{int(s['requests']) / n_quarter:.1f}× the requests; the summary level's peak grew {grew:.2f}× "
      f"({quarter_summary_mib:.0f} → {day_summary_mib:.0f} MiB) — "
      + ("flat, as claimed" if grew < 1.25 else "NOT flat: the claim above does not hold here")
      + f"; the full level needed {day_full_mib:.0f} MiB for the day.")
memory.round(1)

# %% [markdown]
# ## Several days, pooled
#
# Replications merge: their counters add up and their sketches merge. `sr.pooled` runs them on any
# executor (`"processes"`, `"dask"`) with the same result.

# %%
three = sr.pooled(day, replications=3, seed=1, executor="serial")
pooled = pd.DataFrame(three.rows(), columns=["metric", "key", "value"])
pooled[pooled.metric.isin(["requests", "latency_p95", "degraded_rate", "cost_per_success"])]

# %% [markdown]
# From the command line: `simroute run SCENARIO.yaml --record summary --out day/` writes the
# summary and both per-minute tables. `benchmarks/scale.py` measures time and peak memory from
# 10 thousand to 10 million requests.
