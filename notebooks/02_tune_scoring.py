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
# A request's plugin ranking is a weighted match: points per matched domain, context, pattern and
# keyword, times the plugin's priority and availability. Changing the weights changes which plugin
# leads each request — and so where the load goes, what it costs and how long it takes. This notebook
# looks at one request's ranking, then at the whole default workload.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute.experiments.params import with_params

scenario = with_params(sr.Scenario.default(), {"workload.requests": 1000})
catalog = scenario.catalog
text = "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"
s = scenario.settings  # the default scenario routes as the seed does: its classifier and weights
c = sr.classify(text, catalog, s.reading)
sr.scores_frame(sr.score_plugins(c, catalog, s.weights)).head(5)

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
shares.plot.barh(stacked=True, figsize=(9, 3), title="Primary plugin by context weight").legend(
    bbox_to_anchor=(1, 1), fontsize=8)
plt.show()
shares.round(3)

# %% [markdown]
# ## Cost, latency and success, with error bars
#
# A sweep over the context and pattern weights, 4 replications per point. Each replication uses the
# same random streams at every point (common random numbers), so differences between points are
# the weights', not the dice's.

# %%
# NBVAL_IGNORE_OUTPUT
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
    ax.set_xlabel("context weight")
    ax.set_title(metric)
axes[0].legend()
plt.show()
pivot(agg, "cost_per_request").round(4)

# %% [markdown]
# ## Live
#
# Move the sliders: the ranking of the chosen request and the routing shares of a 1,000-request
# simulation redraw on every change.

# %%
# NBVAL_IGNORE_OUTPUT
from simroute.faces.widgets import ScoringPanel

panel = ScoringPanel()
panel
