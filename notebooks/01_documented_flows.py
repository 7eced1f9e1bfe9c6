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
# # The six documented flows, replayed
#
# The design document (`seed/routing-flow-diagrams.md`) walks through six flows with times, scores,
# costs and messages. Each is a scenario in `simroute/data/scenarios/flows/` that the engine **runs**; the
# replay then compares every number the seed states with what the simulation produced.
#
# Where the seed contradicts its own parts (a score whose listed components do not add up to it, a
# total that is not the sum of its lines) the row says `seed inconsistent`, shows both numbers and
# gives the reason. Anything else that differs would be a `mismatch` — a regression.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simroute as sr
from simroute import plots

pd.set_option("display.max_colwidth", 60)
table = sr.replay()
table.status.value_counts()

# %% [markdown]
# ## 1. Classification and routing
#
# "Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s" is classified, the plugins
# are scored (bars: the score's components; ◆: the final score after priority and availability), and
# the sequential collaboration plan runs on the three plugins: 15 + 12 + 18 = 45 minutes.

# %%
routing = sr.replay_flow("routing")
fig, (a, b) = plt.subplots(1, 2, figsize=(13, 3.2), layout="constrained")
plots.score_breakdown(routing.extras["route"].scores, top=5, ax=a, title="Plugin scores")
plots.gantt(routing.results["routing"].attempts, ax=b, title="Collaboration plan as executed")
plt.show()

# %%
routing.table()[["item", "documented", "simulated", "status"]].tail(16)

# %% [markdown]
# ## 2. The message bus, t0–t4
#
# The same request with shared state and an unreachable K8s cluster: the deployment fails, the
# breaker opens and the phase falls back to the orchestrator's built-in deployment. Arrows are
# deliveries to subscribers (the telemetry subscriber, which sees everything, is left out).

# %%
bus = sr.replay_flow("bus")
r = bus.results["bus"]
plots.message_sequence(r.messages, title="Bus messages (publish order)")
plt.show()

# %%
bus.table()[["item", "simulated", "status"]]

# %% [markdown]
# ## 3. Agent discovery and team building
#
# "React component with accessibility": the registry is searched in the two best plugins and the
# orchestrator, agents are ranked with the same weighted matching, and a team is built greedily.

# %%
discovery = sr.replay_flow("discovery")
plots.score_breakdown(discovery.extras["agents"], top=6, title="Agent ranking")
discovery.extras["team"]

# %% [markdown]
# ## 4. The circuit breaker
#
# Five failures open the breaker at 15 s; it half-opens after the 60 s timeout (75 s) and closes after
# three successful test requests (78 s). In the variant, the second test request fails: it reopens at
# 77 s and half-opens again at 137 s. Dots are the attempts on ahling-command-center.

# %%
breaker = sr.replay_flow("breaker")
fig, (a, b) = plt.subplots(2, 1, figsize=(9, 5), layout="constrained", sharex=True)
for ax, name in ((a, "breaker"), (b, "breaker-recovery-failure")):
    r = breaker.results[name]
    plots.breaker_states(r.breaker_events, "ahling-command-center", end=160, attempts=r.attempts,
                         ax=ax, title=name)
plt.show()

# %%
breaker.table()[["item", "documented", "simulated", "status"]]

# %% [markdown]
# ## 5. The saga and its rollback
#
# Tenant provisioning across two plugins. On the error path the namespace deployment fails, and the
# completed steps are compensated in reverse order — the realm, then the database — leaving the
# state store as it was.

# %%
saga = sr.replay_flow("saga")
fig, (a, b) = plt.subplots(1, 2, figsize=(13, 2.8), layout="constrained")
plots.saga_timeline(saga.results["saga"].sagas, ax=a, title="Happy path")
plots.saga_timeline(saga.results["saga-rollback"].sagas, ax=b, title="Error path with rollback")
plt.show()

# %%
saga.results["saga-rollback"].final_state

# %% [markdown]
# ## 6. Cost optimization under a $0.50 budget
#
# The original plan costs $0.85 and takes 90 minutes. The optimizer removes the optional opus agents,
# moves non-critical work to haiku, uses a cached documentation template, runs backend and frontend
# in parallel and simplifies integration testing; the engine then runs the optimized plan.

# %%
cost = sr.replay_flow("cost")
fig, (a, b) = plt.subplots(1, 2, figsize=(14, 3.5), layout="constrained")
plots.cost_waterfall(cost.extras["optimization"], ax=a)
plots.gantt(cost.results["cost"].attempts, ax=b, title="Optimized plan as executed")
plt.show()

# %%
cost.extras["optimization"].changes_frame()

# %% [markdown]
# ## Where the seed contradicts itself
#
# Every row that is not exact, with the documented value, the simulated one and the reason.

# %%
table[table.status != "exact"][["flow", "item", "documented", "simulated", "note"]]

# %%
counts = table.status.value_counts()
print(f"{len(table)} rows: {counts.get('exact', 0)} exact, {counts.get('seed inconsistent', 0)} "
      f"seed inconsistent, {counts.get('mismatch', 0)} mismatch")
assert counts.get("mismatch", 0) == 0
