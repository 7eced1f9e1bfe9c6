"""The report's page as sections, one class each: its figures, its tables and its words.

:data:`SECTIONS` is the page's order: the decision, capacity, breaker and retry settings (when they
were compared), cost. A section draws its figures (:meth:`Section.figures`: ``(title, caption,
figure)``, matplotlib ``Figure`` objects with no pyplot state) and writes its HTML around them
(:meth:`Section.html`). Every number carries its unit in the column header or the axis label;
times use the report's one unit; estimates show their 95 % interval.

Adding a section is a class and a place in :data:`SECTIONS`. For example, a section listing the
scenario's faults::

    class Faults(Section):
        key, title = "faults", "Faults"

        def applies(self, rep):
            return bool(rep.scenario.faults)

        def html(self, rep, figures):
            rows = pd.DataFrame([(f.plugin, f.kind, f.start, f.end) for f in rep.scenario.faults],
                                columns=["plugin (name)", "kind", "start (s)", "end (s)"])
            return f"<h2>{self.title}</h2>" + html_table(rows)

    SECTIONS.insert(3, Faults())
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from ..experiments.metrics import metric
from .report_data import KNOBS, OUTCOME_METRICS, SATURATED_UTILIZATION, Report, reference_load, setting_name
from .report_format import band, html_table, money, money_ci, num, with_ci

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Section", "SECTIONS", "Decision", "Capacity", "SettingsCompared", "Cost", "TOP_PLUGINS"]

TOP_PLUGINS = 6  #: plugins drawn in the per-plugin figures (the busiest)
#: a figure with its title and caption
Drawn = tuple[str, str, "Figure"]


class Section:
    """One section of the page (see the module docstring)."""

    key: ClassVar[str] = ""  #: its name (figures are grouped by it)
    title: ClassVar[str] = ""  #: its heading

    def applies(self, rep: Report) -> bool:
        """Whether the page has this section (default: always)."""
        return True

    def figures(self, rep: Report) -> list[Drawn]:
        """Its figures, in order: ``(title, caption, figure)``."""
        return []

    def html(self, rep: Report, figures: str) -> str:
        """Its HTML; ``figures``: its figures, already encoded as ``<figure>`` elements."""
        raise NotImplementedError


def new_figure(**options: Any) -> Figure:
    """A matplotlib figure with a constrained layout (matplotlib is imported here, when a page is
    drawn, never when simroute is imported)."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def busiest(rep: Report) -> pd.Index:
    """The :data:`TOP_PLUGINS` busiest plugins (highest utilization at any load)."""
    plug = rep.tables["plugins"]
    return plug.groupby("plugin").utilization.max().sort_values(ascending=False).head(TOP_PLUGINS).index


def _ref(rep: Report) -> float:
    return reference_load(rep.load_factors)


# ---------------------------------------------------------------------- the decision
class Decision(Section):
    """The answer first: the SLO, the highest load today's capacity carries, saturated loads, what
    to buy at each load, the recommended settings; then the same per load as a table."""

    key, title = "decision", "Decision"

    def html(self, rep: Report, figures: str) -> str:
        return (f"<h2>{self.title}</h2>\n<div class=\"decision\">\n{_decision_words(rep)}\n</div>\n"
                f"{html_table(_decision_table(rep))}")


def _decision_words(rep: Report) -> str:
    unit = rep.time_unit
    scale = rep.seconds_per_unit
    slo = f"{num(rep.slo_p95 / scale)} {unit}"
    words = [f"<p><b>SLO:</b> p95 latency ≤ {slo} (from {html.escape(rep.slo_source)}; when a scenario "
             f"does not set <code>slo.latency</code>, the documented default is 3600 s). A load meets it "
             f"when the upper end of its p95's 95 % interval is within it and no plugin there is at "
             f"saturation.</p>"]
    if rep.highest_load_within_slo is not None:
        words.append(f"<p><b>Today's capacity</b> meets the SLO up to load factor "
                     f"<b>{rep.highest_load_within_slo:g}</b>, the highest load tried up to which every load "
                     f"meets it.</p>")
    else:
        words.append(f"<p><b>Today's capacity does not meet the SLO</b> even at load factor "
                     f"{min(rep.load_factors):g}, the lowest tried.</p>")
    if rep.saturated:
        for f, why in rep.saturated.items():
            words.append(f"<p><b>Load factor {f:g} is saturated</b>: {html.escape(why)}.</p>")
    else:
        words.append("<p>No load tried reaches saturation: no plugin's utilization reaches 95 % and no "
                     "queue grows with the horizon.</p>")
    sat = rep.tables["saturation"]
    for f, note in zip(sat.load_factor, sat.get("not_saturation", pd.Series(dtype=str)), strict=False):
        if isinstance(note, str) and note:
            words.append(f"<p>At load factor {f:g}, {html.escape(note)}.</p>")
    check = rep.tables["plan_check"].set_index("load_factor")
    for f in rep.load_factors:
        c = check.loc[f]
        slots = ", ".join(rep.additions(f))
        if not slots:
            continue
        p95 = with_ci(c.latency_p95, c.latency_p95_low, c.latency_p95_high, scale)
        spend = money_ci(c.model_spend_per_month, c.model_spend_per_month_low, c.model_spend_per_month_high)
        if c.meets_slo:
            words.append(f"<p><b>For load factor {f:g}</b> add {html.escape(slots)}: capacity "
                         f"{money(c.capacity_cost_per_month)} per month in all, model spend {spend} per "
                         f"month. Re-simulated at that capacity, p95 is {p95} {unit}: within the SLO.</p>")
        else:
            words.append(f"<p><b>For load factor {f:g}</b> capacity alone did not meet the SLO: with "
                         f"{html.escape(slots)} ({c.rounds:g} rounds of re-simulation), p95 is still {p95} "
                         f"{unit}. Look at timeouts, retries and faults before buying more.</p>")
    r = rep.recommended
    if r is not None:
        ties = (" Statistically tied with it: " + html.escape("; ".join(r["ties"])) + "."
                if r["ties"] else " No other setting that meets the SLO is within its interval.")

        def est(m: str, per: float = 1.0) -> str:
            return with_ci(r[f"{m}_mean"], r[f"{m}_low"], r[f"{m}_high"], per)

        at = (f"{est('cost_per_success')} $ per success, p95 {est('latency_p95', scale)} {unit}, "
              f"success rate {est('success_rate')}")
        if r["keep_today"]:
            words.append(f"<p><b>Keep today's settings</b> ({html.escape(r['name'])}): they meet the "
                         f"SLO, and no setting compared improves on them beyond noise (cheaper or faster "
                         f"without being worse otherwise). Today: {at}.{ties}</p>")
        else:
            verdict = ("meets the SLO" if r["meets_slo"]
                       else "is the fastest; none of the settings compared meets the SLO")
            st = rep.tables["settings"]
            today = st[st.baseline].iloc[0]
            words.append(
                f"<p><b>Recommended settings</b>: {html.escape(r['name'])} (today: "
                f"{html.escape(setting_name(r['today']))}). It {verdict}, at {at}; against today's, cost per "
                f"success {num(r['cost_per_success_mean'] - today.cost_per_success_mean)} $ and p95 "
                f"{num((r['latency_p95_mean'] - today.latency_p95_mean) / scale)} {unit}.{ties}</p>")
    return "\n".join(words)


def _decision_table(rep: Report) -> pd.DataFrame:
    t, unit = rep.tables, rep.time_unit
    scale = rep.seconds_per_unit
    p95 = rep.outcome("latency_p95").set_index("load_factor")
    ok = rep.outcome("success_rate").set_index("load_factor")
    check = t["plan_check"].set_index("load_factor")
    rows = []
    for f in rep.load_factors:
        meets = bool(t["saturation"].set_index("load_factor").meets_slo[f])
        c = check.loc[f]
        rows.append({
            "load factor (× today)": f"{f:g}",
            f"p95 latency ({unit}), 95 % CI": with_ci(p95["mean"][f], p95.ci_low[f], p95.ci_high[f], scale),
            "success rate (share), 95 % CI": with_ci(ok["mean"][f], ok.ci_low[f], ok.ci_high[f]),
            "SLO met today (yes/no)": "yes" if meets else "no",
            **({"saturated (yes/no)": "yes" if f in rep.saturated else "no"} if rep.saturated else {}),
            "capacity to add (slots, rpm, tpm)": ", ".join(rep.additions(f)) or "none",
            "capacity cost ($/month)": money(c.capacity_cost_per_month),
            "model spend ($/month), 95 % CI": money_ci(c.model_spend_per_month, c.model_spend_per_month_low,
                                                       c.model_spend_per_month_high),
            f"p95 with that capacity ({unit}), 95 % CI": with_ci(c.latency_p95, c.latency_p95_low,
                                                               c.latency_p95_high, scale),
            "SLO met with that capacity (yes/no)": "yes" if c.meets_slo else "no",
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- capacity
class Capacity(Section):
    """Outcomes against load, utilization and queue waits, the capacity needed, breakers and
    retries as load grows; the outcome table and the capacity plan."""

    key, title = "capacity", "Capacity"

    def figures(self, rep: Report) -> list[Drawn]:
        return [_latency_figure(rep), _utilization_figure(rep), _capacity_figure(rep), _breakers_figure(rep)]

    def html(self, rep: Report, figures: str) -> str:
        plan = _plan_table(rep)
        none = "<p>None: today's capacity meets the SLO at every load tried.</p>"
        shown = html_table(plan) if len(plan) else none
        faults = ""
        if "fault_outcomes" in rep.tables:
            faults = ("<h3>Outcomes inside the fault windows (every fault window together; mean and 95 % "
                      f"interval)</h3>\n{html_table(_outcome_table(rep, 'fault_outcomes'))}\n")
        quota = ""
        if "quota_plan" in rep.tables:
            q = _quota_table(rep)
            quota = ("<h3>Quota plan (deployments whose rpm/tpm quota binds)</h3>\n"
                     + (html_table(q) if len(q) else "<p>None: no quota binds at any load tried.</p>")
                     + "\n<p>A quota raise can also be bought as another deployment of the same model "
                       "group with that much quota. Its price is the deployment's <code>rpm_price</code> "
                       "/ <code>tpm_price</code> (0 where the scenario states none: a pay-per-token "
                       "provider raises quota for nothing but the calls).</p>\n")
        return (f"<h2>{self.title}</h2>\n{figures}\n<h3>Outcomes by load (mean and 95 % interval)</h3>\n"
                f"{html_table(_outcome_table(rep))}\n{faults}"
                f"<h3>Capacity plan (plugins that need more slots)</h3>\n{shown}\n{quota}")


def _latency_figure(rep: Report) -> Drawn:
    unit, scale = rep.time_unit, rep.seconds_per_unit
    fig = new_figure(figsize=(7.5, 3.6))
    ax = fig.subplots()
    for q in ("latency_p50", "latency_p95", "latency_p99"):
        o = rep.outcome(q)
        band(ax, o.load_factor, o["mean"] / scale, o.ci_low / scale, o.ci_high / scale, q.split("_")[1])
    top = float(np.nanmax(rep.outcome("latency_p99")["mean"])) if len(rep.outcome("latency_p99")) else 0.0
    slo_line = rep.slo_p95 <= 5 * top or not top > 0  # an SLO far above every latency would flatten them
    if slo_line:
        ax.axhline(rep.slo_p95 / scale, color="black", ls="--", lw=1,
                   label=f"SLO: p95 ≤ {num(rep.slo_p95 / scale)} {unit}")
    ax.set_xlabel("load factor (× today's load)")
    ax.set_ylabel(f"latency ({unit})")
    ax.legend(fontsize=8, loc="upper left")
    slo_words = ("the dashed line is the SLO" if slo_line else
                 f"the SLO (p95 ≤ {num(rep.slo_p95 / scale)} {unit}) is more than five times every "
                 "latency here, so it is left off the axis")
    return ("Latency against offered load",
           "Percentiles of the latency of requests that ended, mean over replications, with "
           f"95 % interval bands; {slo_words}.", fig)


def _utilization_figure(rep: Report) -> Drawn:
    unit, scale = rep.time_unit, rep.seconds_per_unit
    plug, top = rep.tables["plugins"], busiest(rep)
    fig = new_figure(figsize=(11, 3.6))
    a, b = fig.subplots(1, 2)
    for p in top:
        g = plug[plug.plugin == p]
        band(a, g.load_factor, g.utilization, g.utilization_low, g.utilization_high, p)
        band(b, g.load_factor, g.queue_wait_mean / scale, g.queue_wait_low / scale,
             g.queue_wait_high / scale, p)
    a.axhline(SATURATED_UTILIZATION, color="black", ls="--", lw=0.8)
    a.set_xlabel("load factor (× today's load)")
    a.set_ylabel("utilization (share of slots busy)")
    b.set_xlabel("load factor (× today's load)")
    b.set_ylabel(f"mean queue wait ({unit})")
    a.legend(fontsize=7, loc="upper left")
    return ("Utilization and queue wait per plugin",
           f"The {len(top)} busiest plugins at today's capacity; the dashed line is the "
           f"saturation threshold ({SATURATED_UTILIZATION:.0%}).", fig)


def _capacity_figure(rep: Report) -> Drawn:
    t, top = rep.tables, busiest(rep)
    plan = t["capacity_plan"]
    needed = plan.pivot_table(index="plugin", columns="load_factor", values="capacity_needed")
    shown = [p for p in needed.index if (plan[plan.plugin == p].added > 0).any()] or list(top)
    needed = needed.loc[[p for p in shown if p in needed.index]]
    fig = new_figure(figsize=(9, 3.8))
    ax = fig.subplots()
    width = 0.8 / max(1, len(needed.columns))
    xs = np.arange(len(needed))
    for k, lf in enumerate(needed.columns):
        ax.bar(xs + k * width, needed[lf], width, label=f"load {lf:g}")
    today = plan.drop_duplicates("plugin").set_index("plugin").capacity_today.reindex(needed.index)
    ax.scatter(xs + 0.4 - width / 2, today, color="black", marker="_", s=400, label="today", zorder=3)
    ax.set_xticks(xs + 0.4 - width / 2, [p.replace("-", "-\n", 1) for p in needed.index], fontsize=7)
    ax.set_ylabel("slots (capacity)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ("Capacity needed",
           "Slots each plugin needs to meet the SLO at each load (verified by re-running the "
           "model at that capacity), against today's capacity.", fig)


def _breakers_figure(rep: Report) -> Drawn:
    unit, scale = rep.time_unit, rep.seconds_per_unit
    fig = new_figure(figsize=(11, 3.4))
    a, b = fig.subplots(1, 2)
    o = rep.outcome("breaker_open_time")
    band(a, o.load_factor, o["mean"] / scale, o.ci_low / scale, o.ci_high / scale, "all plugins")
    a.set_xlabel("load factor (× today's load)")
    a.set_ylabel(f"breaker open time ({unit})")
    for m, label in (("retry_amplification", "calls sent per call needed"),
                     ("attempts_per_request", "attempts per request")):
        o = rep.outcome(m)
        band(b, o.load_factor, o["mean"], o.ci_low, o.ci_high, label)
    b.set_xlabel("load factor (× today's load)")
    b.set_ylabel("calls (per call needed / per request)")
    b.legend(fontsize=8, loc="upper left")
    return ("Breakers and retries as load grows",
           "Breaker open time summed over plugins; retry amplification and attempts per request, "
           "with 95 % interval bands.", fig)


def _outcome_table(rep: Report, table: str = "outcomes") -> pd.DataFrame:
    o = rep.tables[table]
    unit = rep.time_unit
    scale = rep.seconds_per_unit
    cols: dict[str, list[str]] = {"load factor (× today)": [f"{f:g}" for f in rep.load_factors]}
    for m in (*OUTCOME_METRICS, "breaker_open_time"):
        if m not in set(o.metric) or o[o.metric == m]["mean"].isna().all():
            continue  # (ttft and tpot only where token-aware deployments answered)
        u = metric(m).unit
        s = scale if u == "s" else 1.0
        shown = unit if u == "s" else u
        rows = o[o.metric == m].set_index("load_factor")
        words = m.replace("_", " ")
        cols[f"{words} ({shown})"] = [with_ci(rows["mean"].get(f, math.nan), rows.ci_low.get(f, math.nan),
                                              rows.ci_high.get(f, math.nan), s) for f in rep.load_factors]
    return pd.DataFrame(cols)


def _plan_table(rep: Report) -> pd.DataFrame:
    plan = rep.tables["capacity_plan"]
    plug = rep.tables["plugins"].set_index(["load_factor", "plugin"])
    rows = plan[plan.added > 0]
    return pd.DataFrame({
        "load factor (× today)": [f"{f:g}" for f in rows.load_factor],
        "plugin (name)": rows.plugin.to_numpy(),
        "utilization today (share)": [num(plug.utilization.get((f, p), math.nan))
                                      for f, p in zip(rows.load_factor, rows.plugin, strict=True)],
        "slots today (slots)": rows.capacity_today.to_numpy(),
        "slots needed (slots)": rows.capacity_needed.to_numpy(),
        "slot price ($/slot-hour)": [money(v) for v in rows.slot_price],
        "capacity cost ($/month)": [money(v) for v in rows.capacity_cost_per_month],
    })


def _quota_table(rep: Report) -> pd.DataFrame:
    quota = rep.tables["quota_plan"]
    plug = rep.tables["plugins"].set_index(["load_factor", "plugin"])
    rows = quota[quota.added > 0]
    per = {"rpm": "requests/min", "tpm": "tokens/min"}
    return pd.DataFrame({
        "load factor (× today)": [f"{f:g}" for f in rows.load_factor],
        "deployment (name)": rows.plugin.to_numpy(),
        "calls refused with 429 today (share)": [num(plug.rate_limited_share.get((f, p), math.nan))
                                                 for f, p in zip(rows.load_factor, rows.plugin, strict=True)],
        "quota (limit)": rows.limit.to_numpy(),
        "today (per minute)": [f"{v:,.0f} {per[k]}" for v, k in zip(rows.today, rows.limit, strict=True)],
        "needed (per minute)": [f"{v:,.0f} {per[k]}" for v, k in zip(rows.needed, rows.limit, strict=True)],
        "price ($/hour per rpm or per 1k tpm)": [money(v) for v in rows.price],
        "quota cost ($/month)": [money(v) for v in rows.quota_cost_per_month],
    })


# ---------------------------------------------------------------------- settings
class SettingsCompared(Section):
    """The settings that act in the scenario, compared at the reference load (when they were),
    today's among them."""

    key, title = "settings", "Settings compared"

    def applies(self, rep: Report) -> bool:
        return "settings" in rep.tables

    def figures(self, rep: Report) -> list[Drawn]:
        return [_settings_figure(rep)]

    def html(self, rep: Report, figures: str) -> str:
        knobs = ", ".join(f"<code>{html.escape(k)}</code>" for k in _knobs(rep))
        interval = (f"every estimate with its 95 % interval over {rep.replications}\nreplications"
                    if rep.replications > 1 else "one replication: no intervals")
        return (f"<h2>{self.title}</h2>\n<p>The settings that act in this scenario ({knobs}), at load factor "
                f"{_ref(rep):g}; {interval}. Today's settings are the baseline row; each row's difference "
                f"from them is beside it.</p>\n{figures}\n{html_table(_settings_table(rep))}")


def _knobs(rep: Report) -> list[str]:
    return [c for c in rep.tables["settings"].columns if c in KNOBS]


def _settings_figure(rep: Report) -> Drawn:
    """One row per setting (cheapest first), p95 latency on the left and cost per success on the
    right, each with its interval: settings whose points would sit on one another stay apart."""
    unit, scale = rep.time_unit, rep.seconds_per_unit
    st = rep.tables["settings"].sort_values(["cost_per_success_mean", "latency_p95_mean"],
                                           ignore_index=True)
    knobs = _knobs(rep)
    fig = new_figure(figsize=(10, 1.3 + 0.28 * len(st)))
    a, b = fig.subplots(1, 2, sharey=True)
    ys = np.arange(len(st))[::-1]
    for y, (_, row) in zip(ys, st.iterrows(), strict=True):
        colour = "C3" if row.recommended else "black" if row.baseline else "C0"
        marker = "*" if row.baseline else "D" if row.recommended else "o"
        for ax, m, per in ((a, "latency_p95", scale), (b, "cost_per_success", 1.0)):
            ax.errorbar(row[f"{m}_mean"] / per, y, xerr=_err(row, m, per), fmt=marker, color=colour,
                        ms=10 if row.baseline else 6, capsize=2)
    labels = [setting_name({k: row[k] for k in knobs}) + (" (today)" if row.baseline else "")
              + (" (recommended)" if row.recommended else "") for _, row in st.iterrows()]
    a.set_yticks(ys, labels, fontsize=7)
    for y, row in zip(ys, st.itertuples(), strict=True):
        if row.recommended or row.baseline:
            a.get_yticklabels()[len(st) - 1 - y].set_fontweight("bold")
    if rep.slo_p95 / scale <= 5 * max(1e-12, float(np.nanmax(st.latency_p95_mean)) / scale):
        a.axvline(rep.slo_p95 / scale, color="black", ls="--", lw=1)
        a.annotate("SLO", (rep.slo_p95 / scale, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                   ha="left", va="bottom")
    a.set_xlabel(f"p95 latency ({unit})")
    b.set_xlabel("cost per success ($/request)")
    for ax in (a, b):
        ax.grid(axis="y", color="0.9", lw=0.5)
    return ("Settings compared",
            "Each setting's p95 latency (left) and cost per success (right) at the reference load, one row "
            "per setting, cheapest first, with 95 % intervals where replications allow; the star is "
            "today's settings, the red diamond the recommended ones; the dashed line is the SLO.", fig)


def _err(row: pd.Series, m: str, per: float = 1.0) -> list[list[float]]:
    """An error bar's two arms from a settings row (none without an interval)."""
    lo, mid, hi = row[f"{m}_low"], row[f"{m}_mean"], row[f"{m}_high"]
    if math.isnan(lo) or math.isnan(hi):
        return [[0.0], [0.0]]
    return [[(mid - lo) / per], [(hi - mid) / per]]


def _settings_table(rep: Report) -> pd.DataFrame:
    st = rep.tables["settings"]
    scale = rep.seconds_per_unit
    unit = rep.time_unit

    def est(m: str, per: float = 1.0) -> list[str]:
        return [with_ci(a, b, c, per) for a, b, c in zip(st[f"{m}_mean"], st[f"{m}_low"], st[f"{m}_high"],
                                                         strict=True)]

    def delta(m: str, per: float = 1.0) -> list[str]:
        return ["—" if b else f"{'+' if v >= 0 else ''}{num(v / per)}"
                for v, b in zip(st[f"{m}_vs_today"], st.baseline, strict=True)]

    cols: dict[str, Any] = {}
    for k in _knobs(rep):
        name, u = KNOBS[k]
        cols[f"{name} ({u})"] = ["default" if v is None or (isinstance(v, float) and math.isnan(v))
                                 else f"{v:g}" for v in st[k]]
    cols.update({
        "today (yes/no)": ["yes" if v else "no" for v in st.baseline],
        "cost per success ($/request), 95 % CI": est("cost_per_success"),
        "vs today ($/request)": delta("cost_per_success"),
        f"p95 latency ({unit}), 95 % CI": est("latency_p95", scale),
        f"vs today ({unit})": delta("latency_p95", scale),
        "success rate (share), 95 % CI": est("success_rate"),
        "vs today (share)": delta("success_rate"),
        "SLO met (yes/no)": ["yes" if v else "no" for v in st.meets_slo],
        "recommended (yes/no)": ["yes" if v else "no" for v in st.recommended],
    })
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------- cost
class Cost(Section):
    """Cost per request by tier, plugin and request class; spend over time; budgets."""

    key, title = "cost", "Cost"

    def figures(self, rep: Report) -> list[Drawn]:
        return [_cost_figure(rep), _spend_figure(rep)]

    def html(self, rep: Report, figures: str) -> str:
        t = rep.tables
        return (f"<h2>{self.title}</h2>\n{figures}\n<h3>By model tier (at load factor {_ref(rep):g})</h3>\n"
                f"{html_table(_cost_table(t['cost_by_tier'], 'tier'))}\n<h3>By request class</h3>\n"
                f"{html_table(_cost_table(t['cost_by_class'], 'request_class'))}\n<h3>Budgets</h3>\n"
                f"{_budgets(rep)}")


def _cost_figure(rep: Report) -> Drawn:
    t = rep.tables
    fig = new_figure(figsize=(13, 3.4))
    axes = fig.subplots(1, 3)
    for ax, (name, label) in zip(axes, (("cost_by_tier", "tier"), ("cost_by_plugin", "plugin"),
                                        ("cost_by_class", "request_class")), strict=True):
        d = t[name].set_index(label).sort_values("cost_per_request").tail(8)
        err = (d.ci_high - d.ci_low).fillna(0) / 2
        ax.barh(np.arange(len(d)), d.cost_per_request, xerr=err, color="C0")
        ax.set_yticks(np.arange(len(d)), d.index, fontsize=7)
        ax.set_xlabel("cost ($ per request)")
        ax.set_title(label.replace("_", " "), fontsize=9)
    return ("Cost per request",
           "At the reference load: by model tier, plugin (all attempts, retries included) and "
           "request class, with 95 % intervals.", fig)


def _spend_figure(rep: Report) -> Drawn:
    t = rep.tables
    sp = t["spend"]
    fig = new_figure(figsize=(9, 3.2))
    ax = fig.subplots()
    for lf, g in sp.groupby("load_factor"):
        line, = ax.plot(g.hour, g.cost, label=f"load {lf:g}", lw=1)
        if g.ci_low.notna().any():
            ax.fill_between(g.hour, g.ci_low, g.ci_high, color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel("simulated time (h)")
    ax.set_ylabel("spend ($ per hour)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ("Spend over time", "Dollars per simulated hour (in minutes' bins for a run of three hours "
           "or less), mean over replications with 95 % interval bands.", fig)


def _cost_table(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    out = pd.DataFrame({f"{label.replace('_', ' ')} (name)": frame[label].to_numpy()})
    if "requests" in frame:
        out["requests (requests)"] = [num(v) for v in frame.requests]
    out["cost per request ($/request), 95 % CI"] = [with_ci(m, lo, hi) for m, lo, hi in
                                                   zip(frame.cost_per_request, frame.ci_low, frame.ci_high,
                                                       strict=True)]
    return out


def _budgets(rep: Report) -> str:
    b = rep.tables["budgets"]
    if (b.with_budget == 0).all():
        return "<p>No request carries a budget, so no budget ever binds.</p>"
    binding = b[["optimized", "rejected_over_budget", "spent_over_budget"]].sum(axis=1)
    if (binding == 0).all():
        return (f"<p>No budget ever binds: of the requests with a budget (about "
                f"{num(float(b.with_budget.mean()))} a run), none was optimized, rejected or over "
                f"budget at any load.</p>")
    table = pd.DataFrame({
        "load factor (× today)": [f"{f:g}" for f in b.load_factor],
        "requests with a budget (requests)": [num(v) for v in b.with_budget],
        "optimized (requests)": [num(v) for v in b.optimized],
        "rejected over budget (requests)": [num(v) for v in b.rejected_over_budget],
        "spent over budget (requests)": [num(v) for v in b.spent_over_budget],
        "saved by the optimizer ($ per run)": [money(v) for v in b.saved_by_optimizer],
    })
    return "<p>Means over replications.</p>" + html_table(table)


#: the page's sections, in order
SECTIONS: list[Section] = [Decision(), Capacity(), SettingsCompared(), Cost()]
