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
# # Retry storms and metastable failures
#
# A system is **metastable** when a short trigger — a load spike, a pause — pushes it into a bad
# state that it does not leave when the trigger ends. `simroute/data/scenarios/metastable.yaml` has the
# classic recipe: one plugin with 4 slots and ~1 s calls at 70 % load, callers that give up after
# 6 s and retry three times, and a plugin that does not know its caller has left, so a timed-out call
# stays in its queue and is served for nobody. From 600 s to 720 s the load doubles.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import simroute as sr
from simroute.experiments.params import with_params
from simroute.experiments.sweep import bounds

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
per_minute = per_minute.reindex(range(per_minute.index.max() + 1), fill_value=0)  # a quiet minute: 0
per_minute.loc[[5, 9, 11, 15, 30, 59]].round(0)

# %% [markdown]
# Requests per minute that arrive and that succeed, and the calls the plugin receives. Before the
# spike every request succeeds. During it the queue outgrows the timeout; from then on every call
# times out, is retried, and leaves its abandoned copy in the queue. When the load is back to normal
# the plugin is still full — of work for callers who left — and goodput stays at zero.

# %%
fig, ax = plt.subplots(figsize=(10, 3.2), layout="constrained")
per_minute[["arrivals", "succeeded", "attempts"]].plot(ax=ax)
ax.axvspan(spike.start / 60, spike.end / 60, color="tab:red", alpha=0.15, label="load spike")
ax.set_xlabel("time (min)")
ax.set_ylabel("requests or calls (per min)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# ## Which levers bring it back?
#
# Each lever is one setting (a sweep path). Goodput is the share of requests arriving from 20 minutes
# after the spike to the end of the hour that succeed, over 5 replications with a 95 % confidence
# interval. A retry budget without a floor, a breaker that counts timeouts, load shedding and not
# retrying at all recover; jittered backoff does not (the retries here are not synchronised), and
# neither does withdrawing timed-out calls from the queue while every caller still retries three
# times.

# %%
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
    mean = np.mean(values)  # a share: its interval is a Wilson interval, within [0, 1]
    low, high = bounds(mean, np.std(values, ddof=1), len(values), "wilson")
    rows.append({"lever": name, "goodput after the spike": mean, "ci_low": low[0], "ci_high": high[0]})
table = pd.DataFrame(rows).set_index("lever")
table.round(3)

# %%
fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
y = np.arange(len(table))
ax.barh(y, table["goodput after the spike"], xerr=[table["goodput after the spike"] - table.ci_low,
        table.ci_high - table["goodput after the spike"]], color="tab:blue", capsize=3)
ax.set_yticks(y, table.index)
ax.invert_yaxis()
ax.set_xlabel("requests succeeding after the spike (share)")
ax.set_xlim(0, 1.05)
plt.show()

# %% [markdown]
# ## Why the breaker works
#
# With the breaker on, the timeouts open it: calls fail fast instead of joining the queue, the queue
# of abandoned work drains, and the half-open probes find a healthy plugin again.

# %%
rb = sr.run(with_params(scenario, {"breaker.enabled": True}), seed=1)
ev = rb.breaker_events
print(f"{(ev.to_state == 'open').sum()} openings, the last at {ev[ev.to_state == 'open'].time.max():.0f} s; "
      f"closed for good at {ev[ev.to_state == 'closed'].time.max():.0f} s")
