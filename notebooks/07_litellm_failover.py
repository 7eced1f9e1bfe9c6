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
# # Failover in a LiteLLM router, before deploying it
#
# A LiteLLM Router config says which deployments serve each model group, how often to retry, when
# to cool a failing deployment down and where to fall back. What it does not say is what happens
# to latency, success and spend when a provider fails. This notebook loads a config the way a
# user already has it (`simroute/data/litellm/example_config.yaml`), replays three failures, and
# tunes `allowed_fails`, `cooldown_time` and `num_retries`:
#
# 1. the primary deployment returns 503 for 60 s;
# 2. it answers 429 with a Retry-After for 60 s (a rate-limit storm);
# 3. it hangs for 60 s (calls never answer; the caller's `timeout` cuts them).
#
# The primary group `gpt-4o` has a single deployment, and `claude-sonnet` (two deployments) is its
# fallback. LiteLLM never cools a single-deployment group down at ordinary traffic. So by default
# every request during a failure pays `num_retries + 1` attempts on the primary before its fallback
# answers. `docs/litellm.md` lists how each key maps and the semantics the model follows.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute.experiments.params import with_params

config = sr.catalog.data_dir() / "litellm" / "example_config.yaml"
imported = sr.import_litellm(config, rate=0.5, requests=600)  # a request every 2 s, for 20 minutes
print("not modelled:", [w.split(": ")[1] for w in imported.warnings])
print({g: [d["name"] for d in imported.scenario["model_groups"]["deployments"] if d["group"] == g]
       for g in ("gpt-4o", "claude-sonnet")})
imported.scenario["settings"]["router"]

# %% [markdown]
# ## The outage scenario
#
# The imported scenario is ordinary simroute YAML. Here one fault is added: the primary deployment
# `azure-gpt-4o` answers every call with a 503 from 300 s to 360 s. A failed call takes about a
# second. A success takes about 2 s: that is the deployments' latency model, lognormal with a
# 2 s mean, which the import sets because a LiteLLM config has no latency.

# %%
OUTAGE = (300.0, 360.0)
raw = dict(imported.scenario, faults=[{"plugin": "azure-gpt-4o", "kind": "outage", "start": OUTAGE[0],
                                       "end": OUTAGE[1], "failure": "error"}])
outage = sr.Scenario.from_dict(raw)
DEFAULTS = {}
TUNED = {"router.allowed_fails": 1, "router.cooldown_time": 30}


def measures(r, window=OUTAGE):
    """What the failover cost: primary attempts per request and latency during the failure, how
    long after it ended requests were back on the primary, and the spend."""
    q, a = r.requests, r.attempts
    inside = q[(q.arrival >= window[0]) & (q.arrival < window[1])]
    primary = a[(a.plugin == "azure-gpt-4o") & a.request_id.isin(inside.request_id)]
    after = a[(a.plugin == "azure-gpt-4o") & (a.outcome == "success") & (a.queued >= window[1])]
    return {"primary attempts per request": len(primary) / len(inside),
            "p50 latency (s)": inside.latency.median(), "p95 latency (s)": inside.latency.quantile(0.95),
            "success rate (share)": (inside.status == "succeeded").mean(),
            "answered (share)": inside.status.isin(["succeeded", "degraded"]).mean(),
            "back on primary after (s)": after.queued.min() - window[1],
            "spend ($)": q.cost.sum()}


runs = {name: sr.run(with_params(outage, params), seed=1) for name, params in
        (("LiteLLM defaults", DEFAULTS), ("allowed_fails 1, cooldown 30 s", TUNED))}
pd.DataFrame({name: measures(r) for name, r in runs.items()}).round(3)

# %% [markdown]
# With the defaults, every request in the outage pays three failed attempts on the primary and their
# backoff before the fallback answers. With `allowed_fails: 1`, the second failure cools the
# deployment down for 30 s. Later requests go straight to the fallback. The price is the way back:
# after the outage ends, requests return to the primary only when a cooldown has run out.
# The timeline shows each attempt on the primary and how it ended.

# %%
fig, axes = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True, layout="constrained")
for ax, (name, r) in zip(axes, runs.items(), strict=True):
    a = r.attempts[r.attempts.plugin == "azure-gpt-4o"]
    for outcome, colour in (("success", "tab:green"), ("error", "tab:red")):
        s = a[a.outcome == outcome]
        ax.scatter(s.queued, s.attempt, s=8, color=colour, label=outcome)
    cool = r.breaker_events
    for start, end in zip(cool[cool.to_state == "open"].time, cool[cool.to_state == "closed"].time,
                          strict=False):
        ax.axvspan(start, end, color="tab:blue", alpha=0.15)
    ax.axvspan(*OUTAGE, color="tab:red", alpha=0.07)
    ax.set_xlim(OUTAGE[0] - 30, OUTAGE[1] + 60)
    ax.set_ylabel("attempt (number)")
    ax.set_title(f"{name}: primary attempts (blue: cooling down; red band: the outage)", fontsize=9)
axes[0].legend(fontsize=8, loc="upper left")
axes[1].set_xlabel("time (s)")
plt.show()

# %% [markdown]
# The same failover, request by request: each row is one request arriving in the first 40 s of the
# outage, and each bar one of its attempts, from when it was sent to when it answered, coloured by
# the deployment it went to (hatched: it failed). The gaps between a request's bars are the
# router's backoff; with the defaults they grow 0.5 s, 1 s, 2 s (plus jitter) before the fallback.

# %%
colours = {"azure-gpt-4o": "tab:orange", "anthropic-sonnet": "tab:blue", "bedrock-sonnet": "tab:cyan"}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharex=True, sharey=True, layout="constrained")
for ax, (name, r) in zip(axes, runs.items(), strict=True):
    q = r.requests
    chosen = q[(q.arrival >= OUTAGE[0]) & (q.arrival < OUTAGE[0] + 40)].request_id.tolist()
    a = r.attempts[r.attempts.request_id.isin(chosen)]
    row = {rid: i for i, rid in enumerate(chosen)}
    for att in a.itertuples():
        failed = att.outcome != "success"
        ax.barh(row[att.request_id], att.end - att.queued, left=att.queued - OUTAGE[0], height=0.7,
                color=colours.get(att.plugin, "tab:gray"), hatch="///" if failed else None,
                edgecolor="black" if failed else "none", linewidth=0.3)
    ax.set_xlabel("time since the outage began (s)")
    ax.set_title(f"{name}: every attempt of {len(chosen)} requests", fontsize=9)
axes[0].set_ylabel("request (number, in arrival order)")
axes[0].invert_yaxis()
axes[0].yaxis.set_major_locator(plt.MaxNLocator(integer=True))
handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="black", hatch="///"))
fig.legend(handles, [*colours, "failed"], fontsize=8, loc="outside lower center", ncols=4)
plt.show()
attempts_per_request = {name: r.attempts[r.attempts.request_id.isin(
    r.requests[(r.requests.arrival >= OUTAGE[0]) & (r.requests.arrival < OUTAGE[0] + 40)].request_id)]
    .groupby("request_id").size().mean() for name, r in runs.items()}
print("attempts per request, all deployments:",
      {k: round(float(v), 2) for k, v in attempts_per_request.items()})

# %% [markdown]
# ## A 429 storm with Retry-After
#
# The same minute, but the primary answers 429 with `Retry-After: 10`. On a single deployment
# LiteLLM retries a 429 and waits out the Retry-After before each retry (up to 60 s). It also waits
# once more after the last retry fails. So a request waits about 30 s (three Retry-After waits,
# each with up to 0.75 s of LiteLLM's jitter) before its fallback answers.
# A policy that cools the deployment down on the first 429 sends the next requests to the fallback
# at once. The cooldown lasts the Retry-After.

# %%
storm = with_params(outage, {"faults[0].failure": "rate_limited",
                             "plugins.azure-gpt-4o.failure.retry_after_s": 10.0})
storm_runs = {name: sr.run(with_params(storm, params), seed=1) for name, params in
              (("LiteLLM defaults", {}),
               ("allowed_fails_policy: 429 → 0 allowed", {"router.allowed_fails_policy.rate_limited": 0,
                                                          "router.allowed_fails": 0}),
               ("num_retries 0", {"router.num_retries": 0}))}
pd.DataFrame({name: measures(r) for name, r in storm_runs.items()}).round(3)

# %% [markdown]
# ## A provider that never answers
#
# Now the primary accepts calls and hangs. The config's `timeout: 30` cuts each call after 30 s,
# and a timeout is retried like any failure. A request can therefore wait `timeout × (num_retries +
# 1)` plus backoff, up to 90 s, before the fallback answers. Here the provider recovers after 60 s,
# so the third attempt often lands after it. A shorter timeout or fewer retries bound the wait.
# A cooldown ends it for the requests that follow, but brings them back to the primary later.

# %%
hang = with_params(outage, {"faults[0].failure": "timeout"})
hang_runs = {name: sr.run(with_params(hang, params), seed=1) for name, params in
             (("LiteLLM defaults", {}), ("timeout 10 s", {"plugins.azure-gpt-4o.timeout_s": 10}),
              ("timeout 10 s, num_retries 0", {"plugins.azure-gpt-4o.timeout_s": 10,
                                               "router.num_retries": 0}),
              ("allowed_fails 1, cooldown 30 s", TUNED))}
pd.DataFrame({name: measures(r) for name, r in hang_runs.items()}).round(3)

# %% [markdown]
# ## Which settings? A sweep with intervals
#
# `allowed_fails` × `cooldown_time` × `num_retries` on the 503 outage, with 5 replications each
# (common random numbers: replication r of every setting uses the same seed). The goals: the p95
# latency of requests during the outage, and how soon requests return to the primary afterwards.
# `sr.aggregate` gives each its mean and 95 % interval.

# %%
grid = [{"router.allowed_fails": af, "router.cooldown_time": ct, "router.num_retries": nr}
        for af in (None, 0, 1, 2) for ct in (5, 30, 60) for nr in (0, 2)
        if not (af is None and ct != 5)]  # the failure-rate rule never cools a single deployment
rows = []
for point, params in enumerate(grid):
    for rep in range(5):
        m = measures(sr.run(with_params(outage, params), seed=1, replication=rep))
        for metric, value in m.items():
            rows.append({"point": point, "setting": f"af={params['router.allowed_fails']} "
                         f"ct={params['router.cooldown_time']} nr={params['router.num_retries']}",
                         "replication": rep, "metric": metric, "key": "", "value": value})
frame = pd.DataFrame(rows)
agg = sr.aggregate(frame, params=["setting"])
table = agg.pivot_table(index="setting", columns="metric", values=["mean", "half_width", "ci_low", "ci_high"])
summary = pd.DataFrame({
    "p95 latency in outage (s)": table[("mean", "p95 latency (s)")],
    "± (s)": table[("half_width", "p95 latency (s)")],
    "back on primary after (s)": table[("mean", "back on primary after (s)")],
    "±  (s)": table[("half_width", "back on primary after (s)")],
    "primary attempts per request": table[("mean", "primary attempts per request")],
    "spend ($)": table[("mean", "spend ($)")]}).sort_values("p95 latency in outage (s)")
summary.round(2)

# %% [markdown]
# The recommendation: the lowest outage p95 among the settings that are back on the primary within
# 15 s of recovery on average. A setting whose p95 interval overlaps the best one is a tie, within
# the noise of five replications.

# %%
from simroute.experiments.answers import best_setting

ok = summary[summary["back on primary after (s)"] <= 15]
p95 = table.loc[ok.index]
judged = pd.DataFrame({f"p95_{end}": p95[(col, "p95 latency (s)")]
                       for end, col in (("mean", "mean"), ("low", "ci_low"), ("high", "ci_high"))})
answer = best_setting(judged, "p95", better="lower", unit="s", name="outage p95 latency",
                      what="setting (of those back on the primary within 15 s)")
best, ties = answer.best, list(answer.ties)
print(answer)
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
ax.errorbar(summary["back on primary after (s)"], summary["p95 latency in outage (s)"],
            xerr=summary["±  (s)"], yerr=summary["± (s)"], fmt="o", color="tab:gray", ecolor="lightgray")
ax.scatter(ok.loc[[best], "back on primary after (s)"], ok.loc[[best], "p95 latency in outage (s)"],
           s=90, facecolor="none", edgecolor="black", label=f"recommended: {best}")
ax.axvline(15, color="black", ls="--", lw=0.8)
ax.set_xlabel("back on the primary after the outage (s)")
ax.set_ylabel("p95 latency during the outage (s)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# Cooling the primary down at its first or second failure keeps most requests off the failing
# deployment; the printout above says which setting is fastest and which tie with it within the
# noise. The defaults are the slowest during the outage, because LiteLLM does not cool a
# single-deployment group down.
# The same study works for your own config: run `simroute import litellm config.yaml --out
# mine.yaml`, add the faults you fear, and sweep.
