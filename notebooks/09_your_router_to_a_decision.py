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
# # From your LiteLLM config to a decision
#
# The question a gateway owner asks before an incident, not during one: *if our primary
# deployment goes down for five minutes, what do our users see, and should we change the
# router's settings?* This notebook answers it for a LiteLLM config, end to end, in the config's
# own terms — seconds, model groups, `num_retries`, `allowed_fails`, `cooldown_time`:
#
# 1. import the config (here the bundled example, `simroute/data/litellm/example_config.yaml`;
#    put your own `config.yaml` in its place) and say what the model does not cover;
# 2. add the incident — an outage of the primary deployment — and the latency goal;
# 3. run it once and look at the outage minute by minute;
# 4. run the report: what load today's router carries, and which settings to run;
# 5. apply the answer and check it inside the outage, where it matters.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute.experiments.params import with_params
from simroute.io.litellm import import_litellm

config = sr.catalog.data_dir() / "litellm" / "example_config.yaml"   # your config.yaml here
imported = import_litellm(config, rate=0.5, requests=1200)             # 40 minutes at 0.5 calls/s
for line in imported.warnings:                                         # what the model leaves out
    print(line.split(": ", 1)[1])

# %% [markdown]
# ## 1. The incident and the goal
#
# The primary group `gpt-4o` has one deployment, `azure-gpt-4o`; its fallback is `claude-sonnet`.
# The outage refuses every call to `azure-gpt-4o` from minute 10 to minute 15. The goal: 95 % of
# calls answered within 10 s (`settings.slo.latency`; the import writes 30 s as a placeholder).

# %%
raw = imported.scenario
raw["settings"]["slo"] = {"latency": 10.0}
raw["faults"] = [{"plugin": "azure-gpt-4o", "kind": "outage", "start": 600, "end": 900, "failure": "error"}]
scenario = sr.Scenario.from_dict(raw)
router = scenario.settings.router
print(scenario.workload.describe(), "| router:", router.num_retries, "retries, allowed_fails",
      router.allowed_fails, "| SLO p95 <=", scenario.settings.slo.latency, "s")

# %% [markdown]
# ## 2. The outage, minute by minute
#
# One run, then each minute's calls by how they ended: *succeeded* (the primary group answered),
# *degraded* (the fallback group answered) or *failed*; and the p95 latency of each minute's calls.

# %%
r = sr.run(scenario, seed=1)
q = r.requests.assign(minute=(r.requests.arrival // 60).astype(int))
by_minute = q.groupby("minute").status.value_counts(normalize=True).unstack(fill_value=0.0)
p95 = q.groupby("minute").latency.quantile(0.95)

fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.4))
by_minute.plot.area(ax=a, linewidth=0, color={"succeeded": "C2", "degraded": "C1", "failed": "C3"})
a.set_xlabel("minute of the run (min)")
a.set_ylabel("share of the minute's calls (share)")
a.legend(title="status", fontsize=8, loc="lower left")
b.plot(p95.index, p95.to_numpy(), marker=".")
b.set_xlabel("minute of the run (min)")
b.set_ylabel("p95 latency (s)")
for ax in (a, b):
    ax.axvspan(10, 15, color="grey", alpha=0.2, label="outage")
b.axhline(10, color="black", ls="--", lw=1, label="SLO")
b.legend(fontsize=8, loc="upper right")
fig.tight_layout()

inside = q[(q.arrival >= 600) & (q.arrival < 900)]
print(f"inside the outage: {(inside.status == 'degraded').mean():.0%} of calls answered by the fallback, "
      f"p95 {inside.latency.quantile(0.95):.1f} s; outside: p95 "
      f"{q[(q.arrival < 600) | (q.arrival >= 900)].latency.quantile(0.95):.1f} s")

# %% [markdown]
# Every call inside the outage first pays the primary's retries with their backoff, because a
# single-deployment group is never cooled down at ordinary traffic: the fallback answers, late.
#
# ## 3. The report
#
# `sr.report` runs the scenario at two loads, three replications each, and compares the settings
# that act in a model-group router — `num_retries`, `allowed_fails`, `cooldown_time` — with
# today's as the baseline row. The same page comes from
# `simroute report SCENARIO.yaml --load-factors 1,2 --replications 3`.

# %% tags=["nbval-ignore-output"]
rep = sr.report(scenario, "router-report", load_factors=(1.0, 2.0), replications=3, seed=1,
                executor="serial", progress=False, overwrite=True)
rep

# %%
print("time unit of the page:", rep.time_unit, "| saturated loads:", rep.saturated or "none")
st = rep.tables["settings"]
cols = ["router.num_retries", "router.allowed_fails", "router.cooldown_time", "baseline", "latency_p95_mean",
        "latency_p95_vs_today", "success_rate_mean", "cost_per_success_mean", "meets_slo", "recommended"]
st[cols].round(4)

# %% [markdown]
# The outcome table pools every replication; the same metrics inside the outage alone show what
# the incident costs (`fault_outcomes`).

# %%
whole = rep.outcome("latency_p95").set_index("load_factor")["mean"].rename("p95, whole run (s)")
f = rep.tables["fault_outcomes"]
during = f[f.metric == "latency_p95"].set_index("load_factor")["mean"].rename("p95, inside the outage (s)")
pd.concat([whole, during], axis=1).round(2)

# %% [markdown]
# ## 4. The decision
#
# Computed from the report, not typed: keep today's settings unless a setting improves on them
# beyond noise (cheaper or faster, and worse at nothing).

# %%
best = rep.recommended
if best["keep_today"]:
    print(f"Keep today's settings ({best['name']}): nothing compared improves on them beyond noise.")
else:
    change = {k: v for k, v in best["settings"].items() if v != best["today"][k]}
    today_p95 = st[st.baseline].latency_p95_mean.iloc[0]
    print(f"Change {', '.join(f'{k} to {v}' for k, v in change.items())}: "
          f"p95 {best['latency_p95_mean']:.1f} s against {today_p95:.1f} s today, success rate "
          f"{best['success_rate_mean']:.3f}, cost per success ${best['cost_per_success_mean']:.4f}.")

# %% [markdown]
# ## 5. Checked inside the outage
#
# The recommendation was judged over the whole run. Where it should matter is the outage: the
# same seed, today's settings against the recommended ones, summarised over the fault window only
# (`Results.summary(by="faults")`).

# %%
tuned = with_params(scenario, {k: v for k, v in best["settings"].items()})
rows = {}
for label, s in (("today", scenario), ("recommended", tuned)):
    runs = [sr.run(s, seed=1, replication=k) for k in range(3)]
    table = pd.concat([x.summary(by="faults") for x in runs])
    rows[label] = table[table.key == ""].groupby("metric").value.mean()
compare = pd.DataFrame(rows).loc[["latency_p50", "latency_p95", "success_rate", "degraded_rate",
                                  "attempts_per_request", "cost_per_request"]]
compare.round(4)

# %%
before, after = compare.loc["latency_p95", "today"], compare.loc["latency_p95", "recommended"]
calls = compare.loc["attempts_per_request"]
print(f"Inside the outage the recommended settings change the p95 by {after - before:+.1f} s "
      f"({before:.1f} s today, {after:.1f} s recommended) and the attempts per call from "
      f"{calls['today']:.2f} to {calls['recommended']:.2f}.")
