"""Pictures of runs and policies, for notebooks and reports (matplotlib; imported on demand).

Each function draws on ``ax`` (a new figure when None) and returns the axes. They take the
tables of :class:`~simroute.experiments.results.Results` or the policy objects, never re-run anything.
Every axis label carries its unit; :func:`label` and :func:`title` give a summary metric's, from
:data:`~simroute.experiments.metrics.METRICS`, for figures of your own; :data:`OUTCOME_COLORS` has a
colour for every attempt outcome and :data:`STATUS_COLORS` for every request status.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..common.statuses import COMPENSATED, DEGRADED, FAILED, IN_FLIGHT, REJECTED, SUCCEEDED
from ..experiments.metrics import metric, words
from ..resilience.failure import (
    CANCELLED,
    CONTENT_POLICY,
    CONTEXT_WINDOW,
    DEADLINE,
    ERROR,
    NON_RETRYABLE,
    OUTCOMES,
    RATE_LIMITED,
    REJECTED_BULKHEAD,
    REJECTED_OPEN,
    SHED,
    SUCCESS,
    TIMEOUT,
)

__all__ = ["gantt", "message_sequence", "score_breakdown", "breaker_states", "saga_timeline",
           "cost_waterfall", "latency_cdf", "status_shares", "per_minute", "label", "title",
           "integer_ticks", "OUTCOME_COLORS", "STATUS_COLORS"]

#: a colour for every attempt outcome: success green, failures warm, refusals by a guard grey/blue
OUTCOME_COLORS = {SUCCESS: "tab:green", ERROR: "tab:red", TIMEOUT: "tab:orange", RATE_LIMITED: "gold",
                  NON_RETRYABLE: "darkred", CONTEXT_WINDOW: "tab:pink", CONTENT_POLICY: "tab:purple",
                  REJECTED_OPEN: "tab:gray", REJECTED_BULKHEAD: "slategray", SHED: "tab:cyan",
                  DEADLINE: "tab:brown", CANCELLED: "lightgray"}
assert set(OUTCOME_COLORS) == set(OUTCOMES)
#: a colour for every request status
STATUS_COLORS = {SUCCEEDED: "tab:green", DEGRADED: "tab:orange", FAILED: "tab:red",
                 COMPENSATED: "tab:purple", REJECTED: "tab:gray", IN_FLIGHT: "tab:blue"}
STATE_LEVEL = {"closed": 0, "half_open": 1, "open": 2}


#: a summary metric's name in words, for a title (``latency_p95`` → ``p95 latency``)
title = words


def label(name: str, per: str | None = None) -> str:
    """A summary metric's axis label with its unit, from ``METRICS`` (``p95 latency (s)``;
    ``per``: another unit the values were scaled to, ``min`` say)."""
    return f"{title(name)} ({per or metric(name).unit})"


def integer_ticks(ax, axis: str = "x"):
    """Whole-number ticks on ``axis`` (``x``, ``y`` or ``both``): for integer settings (retries,
    thresholds). Returns the axes."""
    for a in (("x", "y") if axis == "both" else (axis,)):
        getattr(ax, f"{a}axis").set_major_locator(MaxNLocator(integer=True))
    return ax


def _axes(ax, size=(8, 3)):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def gantt(attempts: pd.DataFrame, *, request_id: int | None = None, unit: float = 60.0,
          ax=None, title: str = "Plan as executed"):
    """One bar per attempt, a row per phase (label: phase @ plugin); colour by outcome."""
    a = attempts if request_id is None else attempts[attempts.request_id == request_id]
    ax = _axes(ax, (8, 0.5 + 0.5 * max(1, a.phase.nunique())))
    rows = list(dict.fromkeys(a.sort_values("start", kind="stable").phase))
    for _, x in a.iterrows():
        y = rows.index(x.phase)
        width = max((x.end - x.start) / unit, 1e-3)
        ax.barh(y, width, left=x.start / unit, color=OUTCOME_COLORS.get(x.outcome, "tab:blue"),
                edgecolor="black", height=0.6)
        ax.text(x.start / unit + width / 2, y, x.plugin, ha="center", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    ax.set_xlabel("time (min)" if unit == 60 else f"time (× {unit:g} s)")
    ax.set_title(title)
    return ax


def message_sequence(messages: pd.DataFrame, *, ax=None, hide: Sequence[str] = ("telemetry",),
                     title: str = "Messages on the bus"):
    """A sequence diagram: a lifeline per participant, an arrow per delivery, in publish order."""
    m = messages[~messages.subscriber.isin(hide)]
    order = list(dict.fromkeys(m.message_id))
    actors = list(dict.fromkeys([*m.source, *m.subscriber]))
    ax = _axes(ax, (max(6, 1.6 * len(actors)), 0.45 * len(order) + 1))
    for i in range(len(actors)):
        ax.axvline(i, color="lightgray", zorder=0)
    for y, mid in enumerate(order):
        group = m[m.message_id == mid]
        src = actors.index(group.source.iloc[0])
        for dst_name in group.subscriber:
            dst = actors.index(dst_name)
            if dst == src:
                ax.plot([src, src + 0.25, src + 0.25, src], [y - 0.15, y - 0.15, y + 0.15, y + 0.15],
                        color="tab:blue", lw=1)
            else:
                ax.annotate("", xy=(dst, y), xytext=(src, y),
                            arrowprops={"arrowstyle": "->", "color": "tab:blue", "lw": 1})
        ax.text(src, y - 0.3, f"{group.topic.iloc[0]}  (t={group.published.iloc[0]:g})", fontsize=7,
                ha="left" if src < len(actors) - 1 else "right")
    ax.set_xticks(range(len(actors)), actors, rotation=20, ha="right", fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks([])
    ax.set_ylim(len(order) - 0.5, -1)
    ax.set_title(title)
    return ax


def score_breakdown(scores: Sequence, *, top: int = 6, ax=None, title: str = "Score breakdown"):
    """Stacked bars of each candidate's score components, with the final score marked."""
    s = list(scores)[:top]
    ax = _axes(ax, (8, 0.5 + 0.55 * len(s)))
    kinds = list(dict.fromkeys(k for x in s for k in x.breakdown))
    colors = dict(zip(kinds, [plt.get_cmap("tab20")(i % 20) for i in range(len(kinds))], strict=True))
    for y, x in enumerate(s):
        left = 0.0
        for k, v in x.breakdown.items():
            ax.barh(y, v, left=left, color=colors[k], edgecolor="white", height=0.6)
            ax.text(left + v / 2, y, k.split(":", 1)[-1], ha="center", va="center", fontsize=7)
            left += v
        ax.plot([x.score], [y], marker="D", color="black")
        ax.text(max(left, x.score) + 1, y, f"{x.score:.2f}", va="center", fontsize=8)
    ax.set_yticks(range(len(s)), [x.name for x in s], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("score (points; bars: components, ◆ final score after multipliers)")
    ax.set_title(title)
    return ax


def breaker_states(breaker_events: pd.DataFrame, plugin: str, *, end: float,
                   attempts: pd.DataFrame | None = None, ax=None, title: str | None = None):
    """The breaker's state over time as a step line (transitions labelled with their time, where
    there is room); attempts on the plugin as dots by outcome."""
    ev = breaker_events[breaker_events.plugin == plugin]
    times = [0.0, *ev.time, end]
    levels = [0, *(STATE_LEVEL[s] for s in ev.to_state)]
    levels.append(levels[-1])
    ax = _axes(ax)
    ax.step(times, levels, where="post", color="black")
    last: dict[str, float] = {}
    gap = end / 12  # a label at most every twelfth of the axis per state: they never overprint
    for t, s in zip(ev.time, ev.to_state, strict=True):
        if t - last.get(s, -np.inf) >= gap:
            ax.annotate(f"{t:.0f} s", (t, STATE_LEVEL[s]), textcoords="offset points", xytext=(3, 5),
                        fontsize=8)
            last[s] = t
    if attempts is not None:
        a = attempts[attempts.plugin == plugin]
        for outcome, group in a.groupby("outcome", observed=True):
            ax.scatter(group.end, np.full(len(group), -0.35), s=18, label=outcome,
                       color=OUTCOME_COLORS.get(outcome, "tab:blue"))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, title="attempts")
    ax.set_yticks([0, 1, 2], ["closed", "half-open", "open"])
    ax.set_ylim(-0.6, 2.5)
    ax.set_xlabel("time (s)")
    ax.set_title(title or f"Circuit breaker of {plugin}")
    return ax


def saga_timeline(sagas: pd.DataFrame, *, ax=None, title: str = "Saga steps and compensations"):
    """A row per action: forward steps green (red when they fail), compensations orange."""
    ax = _axes(ax, (8, 0.6 + 0.45 * len(sagas)))
    for y, (_, x) in enumerate(sagas.iterrows()):
        color = ("tab:orange" if x.direction == "compensate" else
                 "tab:green" if x.outcome == "success" else "tab:red")
        ax.barh(y, max(x.end - x.start, 1e-3), left=x.start, color=color, edgecolor="black", height=0.6)
        ax.text(x.end + 0.2, y, f"{x.end:g} s", va="center", fontsize=8)
    ax.set_yticks(range(len(sagas)), [f"{a} ({p})" for a, p in zip(sagas.action, sagas.plugin, strict=True)],
                  fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    return ax


def cost_waterfall(optimization, *, ax=None, title: str = "Cost: original → optimized plan"):
    """Original plan cost, each applied change's Δcost (grouped by strategy and target), result: one
    row per step, top to bottom, each bar running from the cost before it to the cost after it."""
    ch = optimization.changes_frame()
    steps = ch[ch.delta_cost != 0].groupby(["strategy", "target"], sort=False).delta_cost.sum()
    labels = ["original", *[f"{t} ({s.replace('_', ' ')})" for s, t in steps.index], "optimized"]
    ax = _axes(ax, (8, 0.9 + 0.4 * len(labels)))
    level = optimization.original.cost
    ax.barh(0, level, color="tab:blue", height=0.6)
    ax.text(level, 0, f" ${level:.2f}", va="center", ha="left", fontsize=8)
    for i, d in enumerate(steps, 1):
        ax.barh(i, d, left=level, color="tab:green" if d < 0 else "tab:red", height=0.6)
        ax.text(max(level, level + d), i, f" {d:+.3f}", va="center", ha="left", fontsize=7)
        level += d
    last = len(labels) - 1
    ax.barh(last, optimization.total_cost, color="tab:blue", height=0.6)
    ax.text(optimization.total_cost, last, f" ${optimization.total_cost:.2f}", va="center", ha="left",
            fontsize=8)
    if optimization.budget is not None:
        ax.axvline(optimization.budget, color="black", ls="--", lw=1,
                   label=f"budget ${optimization.budget:.2f}")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, max(optimization.original.cost, optimization.total_cost,
                       optimization.budget or 0.0) * 1.18)
    ax.set_xlabel("plan cost ($)")
    ax.set_title(title)
    return ax


def latency_cdf(requests: pd.DataFrame, *, by: str | None = None, ax=None, title: str = "Latency"):
    """Empirical CDF of completed requests' latency, optionally one line per value of ``by``."""
    ax = _axes(ax)
    groups = [("all", requests)] if by is None else list(requests.groupby(by))
    for name, g in groups:
        x = np.sort(g.latency.dropna().to_numpy())
        if len(x):
            ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", label=str(name))
    ax.set_xlabel("latency (s)")
    ax.set_ylabel("requests ended within it (share)")
    if by is not None:
        ax.legend(fontsize=8)
    ax.set_title(title)
    return ax


def status_shares(requests: pd.DataFrame, *, by: str, ax=None, title: str = "Outcomes"):
    """Stacked shares of each terminal status per value of ``by`` (for example the primary)."""
    ax = _axes(ax)
    shares = pd.crosstab(requests[by], requests.status, normalize="index")
    shares.plot.barh(stacked=True, ax=ax, width=0.7,
                     color=[STATUS_COLORS.get(str(c), "tab:blue") for c in shares.columns])
    ax.set_xlabel("requests (share)")
    ax.set_ylabel(by.replace("_", " "))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(title)
    return ax


def per_minute(overall: pd.DataFrame, by_plugin: pd.DataFrame, *, panels: Sequence[str] = ("requests",
               "utilization"), plugins: Sequence[str] | None = None, unit: float = 3600.0, axes=None,
               title: str = "Per minute"):
    """Panels over the run from :meth:`Results.per_minute <simroute.experiments.results.Results.per_minute>`,
    one under the other: ``requests`` (arrivals and completions by status per minute), ``cost``
    ($ per minute), ``utilization`` and ``queue`` (per plugin: the busiest five, or ``plugins``).
    ``unit``: seconds per unit of the time axis (3600: hours). Returns the axes."""
    known = ("requests", "cost", "utilization", "queue")
    if unknown := [p for p in panels if p not in known]:
        raise ValueError(f"unknown panels {unknown}: choose from {', '.join(known)}")
    if axes is None:
        _, axes = plt.subplots(len(panels), 1, figsize=(9, 2.4 * len(panels)), sharex=True,
                               layout="constrained", squeeze=False)
        axes = axes[:, 0]
    x = overall.start / unit
    if plugins is None:
        busiest = by_plugin.groupby("plugin").utilization.mean().sort_values(ascending=False)
        plugins = list(busiest[busiest > 0].index[:5])
    for ax, panel in zip(axes, panels, strict=True):
        if panel == "requests":
            ax.plot(x, overall.arrivals, lw=1, color="black", label="arrivals")
            for status, color in STATUS_COLORS.items():
                if status in overall and overall[status].any():
                    ax.plot(x, overall[status], lw=1, color=color, label=status)
            ax.set_ylabel("requests (per min)")
        elif panel == "cost":
            ax.plot(x, overall.cost, lw=1, color="tab:purple", label="spend")
            ax.set_ylabel("spend ($/min)")
        else:
            for name in plugins:
                mine = by_plugin[by_plugin.plugin == name]
                ax.plot(mine.start / unit, mine[panel], lw=1, label=name)
            ax.set_ylabel("utilization (share)" if panel == "utilization" else "calls waiting (calls)")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[0].set_title(title)
    label = {3600.0: "h", 60.0: "min", 1.0: "s"}.get(unit, f"× {unit:g} s")
    axes[-1].set_xlabel(f"time ({label})")
    return axes
