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
# # Calibrate from your logs
#
# A simulator earns trust when it predicts the system it models. This notebook fits a scenario
# to a gateway's own request logs and then checks it against logs it was not fitted on:
#
# 1. read the logs (here the bundled example in LiteLLM's spend-log format; put your own export
#    in its place — `csv` and OpenTelemetry `otel` spans work the same way);
# 2. fit every deployment — service, failures, quota, routing share — and look at each number
#    with its interval and the rows it rests on;
# 3. hold out the last 30 % of the logs, simulate it with the scenario fitted on the rest, and
#    compare latency quantiles, error and 429 rates, deployment by deployment;
# 4. keep your LiteLLM config's router and let the logs fill in what a config cannot say.
#
# The example logs were drawn from a known system (`simroute/data/logs/system.yaml`), so we can
# also see whether calibration gets that system back.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt

import simroute as sr
from simroute.faces.calibration_page import qq_figure

logs = sr.catalog.data_dir() / "logs" / "example.litellm.jsonl"   # your export here
attempts = sr.read_logs(logs, "litellm")
frame = attempts.frame()
print(f"{len(attempts):,} attempts over {frame.end.max() / 60:.1f} min, deployments:",
      ", ".join(attempts.deployments))
frame.groupby("deployment").status.value_counts().unstack(fill_value=0)

# %% [markdown]
# ## 1. The fit
#
# Each deployment's service is token-aware: time to first token = `mean_s` + `per_token_s` ×
# input tokens, then `tpot_s` per output token, each part lognormal with `cv`. Failures are a
# rate (`failure_p`), the share of each kind, and how long a failure takes. `weight` is the
# deployment's share of its group's first attempts. The true values of the example system are in
# the last column.

# %%
cal = sr.calibrate(logs, "litellm", replications=5, seed=0)
system = sr.Scenario.from_yaml(sr.catalog.data_dir() / "logs" / "system.yaml")


def true_value(row):
    plugin = system.catalog.plugins.get(row.deployment)
    model = plugin.service["default"] if plugin else None
    known = {"mean_s": model and model.mean, "per_token_s": model and model.per_token,
             "tpot_s": model and model.tpot, "cv": model and model.cv,
             "failure_p": plugin and plugin.failure_p}
    return known.get(row.parameter)


fit = cal.fit.assign(true=cal.fit.apply(true_value, axis=1))
fit[["deployment", "parameter", "value", "low", "high", "unit", "rows", "true"]].round(6)

# %% [markdown]
# ## 2. Predicted against held out
#
# The scenario fitted on the first 70 % of the time span replays the last 30 %'s arrivals five
# times. Each point is the prediction's mean with its 95 % interval; the grey bar is the observed
# value's interval (the sampling noise of the held-out logs).

# %%
v = cal.validation
rows = v[v.metric.isin(["latency p50", "latency p95", "ttft p50"])]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
for ax, (metric, part) in zip(axes, rows.groupby("metric", sort=False), strict=True):
    y = range(len(part))
    ax.barh(y, part.observed_high - part.observed_low, left=part.observed_low, color="0.85",
            label="observed, 95 % interval")
    ax.errorbar(part.predicted, y, xerr=[part.predicted - part.predicted_low,
                                         part.predicted_high - part.predicted],
                fmt="o", color="C0", label="predicted, 95 % interval")
    ax.set_yticks(list(y), part.scope)
    ax.set_xlabel(f"{metric} (s)")
axes[0].legend(fontsize=8, loc="lower right")
fig.suptitle("Held-out logs against the fitted scenario's prediction")
fig.tight_layout()

# %%
rates = v[v.metric.isin(["error rate", "429 rate"])].copy()
rates[["observed", "predicted"]] = (rates[["observed", "predicted"]] * 100).round(2)
rates[["scope", "metric", "observed", "predicted", "agrees", "rows"]].rename(
    columns={"observed": "observed (%)", "predicted": "predicted (%)"})

# %% [markdown]
# ## 3. The whole distribution
#
# Quantiles p1 … p99 of the latency of successful calls, held-out logs against the prediction: on
# the line, the model predicts that quantile exactly.

# %%
qq_figure(cal)

# %% [markdown]
# ## 4. With your LiteLLM config
#
# With a config, the deployments, groups, fallbacks, prices, quotas and router settings are the
# config's; the logs fill in service and failures. Prices now make the cost comparable.

# %%
config = sr.catalog.data_dir() / "litellm" / "example_config.yaml"   # your config.yaml here
with_config = sr.calibrate(logs, "litellm", config=config, replications=5, seed=0)
cost = with_config.validation.query("metric == 'cost'")
cost[["scope", "observed", "predicted", "predicted_low", "predicted_high"]].round(4).rename(
    columns={"observed": "observed ($)", "predicted": "predicted ($)", "predicted_low": "low ($)",
             "predicted_high": "high ($)"})

# %% [markdown]
# ## The answer
#
# Computed from the tables above: how many comparisons agree (latency within 10 %, rates within
# 1 point), and whether the fit found the example system's numbers inside its intervals.

# %%
known = fit.dropna(subset=["true"])
inside = ((known.low <= known.true) & (known.true <= known.high)).sum()
print(cal.agreement() + ".")
print(f"{inside} of {len(known)} known parameters of the example system lie inside their 95 % intervals.")
print("With the config:", with_config.agreement() + ".")
