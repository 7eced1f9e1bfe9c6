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
# # Tuning the scoring weights
#
# A request's plugin ranking is a weighted match: points per matched domain, context, pattern,
# plugin keyword and description word, times the plugin's priority (to a power) and availability.
# Changing the weights changes which plugin leads each request — whether it is a plugin an engineer
# would accept, where the load goes, what it costs and how long it takes. This notebook looks at one
# request's ranking, measures routing against labelled requests, draws the accuracy–cost frontier,
# then looks at the whole default workload (which routes as the seed does).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots
from simroute.experiments.params import with_params

scenario = with_params(sr.Scenario.default(), {"workload.requests": 1000})
catalog = scenario.catalog
text = "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"
s = scenario.settings  # the default scenario routes as the seed does: its classifier and weights
c = sr.classify(text, catalog, s.reading)
sr.scores_frame(sr.score_plugins(c, catalog, s.weights)).head(5)

# %% [markdown]
# ## Is the routing right?
#
# Before tuning anything, measure what good routing is. The package ships labelled requests: each
# names the plugins an engineer would accept for it (`simroute/data/routing/requests.csv`, 164
# requests over every plugin, easy and hard; and 40 *fresh* ones written after the vocabulary and
# the default weights were frozen). Top-1 accuracy is the share whose primary plugin is accepted; the
# interval is a 95 % Wilson interval.

# %%
tuning_set = sr.bundled_labelled(catalog)
fresh_set = sr.bundled_labelled(catalog, "fresh")
routings = {"the seed's": (sr.SEED_WEIGHTS, sr.SEED_READING), "default": (sr.ScoringWeights(), sr.Reading())}
rows = []
for name, (weights, reading) in routings.items():
    for set_name, labelled in (("tuning", tuning_set), ("fresh", fresh_set)):
        ev = sr.evaluate_routing(labelled, catalog, weights, reading)
        summary = ev.summary()
        rows.append({"routing": name, "set": set_name, "requests": len(labelled),
                     "top1": summary.top1_accuracy, "low": summary.top1_low_95,
                     "high": summary.top1_high_95, "no_match": summary.no_match_rate})
quality = pd.DataFrame(rows).set_index(["routing", "set"])
quality.round(3)

# %% [markdown]
# ## The accuracy–cost frontier
#
# Accuracy is half the story: a weighting that routes well may route to dearer plugins. Each point
# below is a weighting; it is simulated on a workload of the labelled requests (each request carries
# its accepted plugins, so a task on a plugin it does not accept fails more often and takes longer:
# `settings.wrong_plugin`), 3 replications with common random numbers. Horizontal bars: the 95 %
# interval of the cost per request; vertical bars: the Wilson interval of the accuracy.

# %% tags=["nbval-ignore-output"]
from dataclasses import replace

from simroute.io.labelled import labelled_mix

labelled_scenario = sr.Scenario(
    name="labelled", catalog=catalog,
    workload=sr.Workload(rate=0.002, requests=600, mix=labelled_mix(tuning_set)))
points = {"the seed's": (sr.SEED_WEIGHTS, sr.SEED_READING), "default": (sr.ScoringWeights(), sr.Reading())}
for keyword in (0.0, 30.0, 90.0):
    for description in (0.0, 40.0):
        for power in (0.0, 1.0):
            w = replace(sr.ScoringWeights(), plugin_keyword=keyword, description=description,
                        priority_power=power)
            points[f"kw {keyword:g}, desc {description:g}, priority^{power:g}"] = (w, sr.Reading())
frontier_rows = []
for name, (weights, reading) in points.items():
    ev = sr.evaluate_routing(tuning_set, catalog, weights, reading).summary()
    sc = labelled_scenario.replace(settings=replace(labelled_scenario.settings, weights=weights,
                                                    reading=reading))
    runs = sr.sweep(sc, {"bus_latency": [0.0]}, replications=3, seed=1, executor="serial",
                    metrics=["cost_per_request", "success_rate"], progress=False)
    agg = sr.aggregate(runs).set_index("metric")
    frontier_rows.append({"weighting": name, "accuracy": ev.top1_accuracy, "acc_low": ev.top1_low_95,
                          "acc_high": ev.top1_high_95,
                          "cost_per_request": agg.loc["cost_per_request", "mean"],
                          "cost_low": agg.loc["cost_per_request", "ci_low"],
                          "cost_high": agg.loc["cost_per_request", "ci_high"],
                          "success_rate": agg.loc["success_rate", "mean"]})
frontier = pd.DataFrame(frontier_rows).set_index("weighting")

# %%
from simroute.experiments.tune import frontier as pareto

f = frontier
judged = pd.DataFrame({  # pareto() minimizes both: cost, and the share routed wrong
    "cost_mean": f.cost_per_request, "cost_low": f.cost_low, "cost_high": f.cost_high,
    "wrong_mean": 1 - f.accuracy, "wrong_low": 1 - f.acc_high, "wrong_high": 1 - f.acc_low})
best = pareto(judged, x="cost_mean", y="wrong_mean")
fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
ax.errorbar(frontier.cost_per_request, frontier.accuracy,
            xerr=[frontier.cost_per_request - frontier.cost_low,
                  frontier.cost_high - frontier.cost_per_request],
            yerr=[frontier.accuracy - frontier.acc_low, frontier.acc_high - frontier.accuracy],
            fmt="o", color="0.6", capsize=2, label="weightings")
for name, marker in (("the seed's", "s"), ("default", "*")):
    row = frontier.loc[name]
    ax.plot(row.cost_per_request, row.accuracy, marker, markersize=14, label=f"{name} routing")
ax.set_xlabel("cost per request ($/request, simulated)")
ax.set_ylabel("top-1 routing accuracy (share)")
ax.set_title("Routing accuracy against cost: every weighting, with 95 % intervals")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()
frontier.sort_values("accuracy", ascending=False).round(3)

# %% [markdown]
# The frontier in numbers (the weightings no other one beats on both accuracy and cost, judged on
# their intervals), and the answer:

# %%
print("on the frontier:", best.index.tolist())
print("within the noise of one of them:", sorted({t for ties in best.ties for t in ties}))
default, seed = frontier.loc["default"], frontier.loc["the seed's"]
assert default.acc_low > seed.acc_high  # the intervals do not overlap
assert default.accuracy >= frontier.accuracy.max() - 0.02  # within 2 points of the most accurate
print(f"The default routing picks an acceptable plugin for {default.accuracy:.0%} of the labelled "
      f"requests ({default.acc_low:.0%}–{default.acc_high:.0%}), the seed's for {seed.accuracy:.0%}; "
      f"simulated, that is {default.success_rate:.1%} against {seed.success_rate:.1%} success and "
      f"${default.cost_per_request:.3f} against ${seed.cost_per_request:.3f} per request.")

# %% [markdown]
# ## Where the traffic goes
#
# One run per weighting: the share of routed requests whose primary plugin is each plugin. With
# context matches worth nothing, the domain match decides and the generalist plugins win more.

# %%
shares = {}
for context in (0, 10, 20, 40):
    r = sr.run(with_params(scenario, {"weights.context": context}), seed=1)
    routed = r.requests[r.requests.saga == ""]
    shares[context] = routed.primary.value_counts(normalize=True)
shares = pd.DataFrame(shares).fillna(0).T.rename_axis("context weight")
ax = shares.plot.barh(stacked=True, figsize=(9, 3), title="Primary plugin by context weight")
ax.set_xlabel("routed requests whose primary it is (share)")
ax.set_ylabel("context weight (points)")
ax.legend(bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=8)
plt.show()
shares.round(3)

# %% [markdown]
# ## Cost, latency and success, with error bars
#
# A sweep over the context and pattern weights, 4 replications per point. Each replication uses the
# same random streams at every point (common random numbers), so differences between points are
# the weights', not the dice's.

# %% tags=["nbval-ignore-output"]
frame = sr.sweep(scenario, {"weights.context": [0, 10, 20, 40], "weights.pattern": [0, 15]},
                 replications=4, seed=1, progress=False,
                 metrics=["cost_per_request", "latency_p95", "success_rate"])
agg = sr.aggregate(frame)

# %%
from simroute.experiments.sweep import pivot

fig, axes = plt.subplots(1, 3, figsize=(13, 3), layout="constrained")
for ax, metric in zip(axes, ["cost_per_request", "latency_p95", "success_rate"], strict=True):
    p = pivot(agg, metric)
    for pattern, g in p.groupby("weights.pattern"):
        ax.errorbar(g["weights.context"], g["mean"], yerr=g["mean"] - g["ci_low"], capsize=3,
                    marker="o", label=f"pattern {pattern}")
    ax.set_xlabel("context weight (points)")
    ax.set_xticks([0, 10, 20, 40])
    ax.set_ylabel(plots.label(metric))
    ax.set_title(plots.title(metric))
axes[0].legend(title="pattern weight (points)", fontsize=8)
plt.show()
pivot(agg, "cost_per_request").round(4)

# %% [markdown]
# ## Live
#
# Move the sliders: the ranking of the chosen request and the routing shares of a 1,000-request
# simulation redraw on every change.

# %% tags=["nbval-ignore-output"]
from simroute.faces.widgets import ScoringPanel

panel = ScoringPanel()
panel

# %% [markdown]
# ## The answer
#
# Computed from the sweep above, not typed: the best weighting on each measure, and the weightings
# whose 95 % interval overlaps it (no detectable difference from it). The frontier's answer (routing
# accuracy against cost) comes first.

# %%
from simroute.experiments.answers import best_setting, settings_rows

top = frontier.accuracy.idxmax()
tied = [w for w in frontier.index if w != top and frontier.acc_high[w] >= frontier.acc_low[top]]
print(f"Most accurate weighting: {top}, {frontier.accuracy[top]:.0%} top-1 "
      f"({frontier.acc_low[top]:.0%}–{frontier.acc_high[top]:.0%}); "
      + (f"no detectable difference from {len(tied)} others: {'; '.join(tied)}." if tied
         else "every other weighting is less accurate beyond noise."))
rows_ = settings_rows(agg)
for m in ("success_rate", "cost_per_request", "latency_p95"):
    print(best_setting(rows_, m, what="weighting"))
