"""Answers in words, computed from results: the best setting of a sweep or a tuning run, and its ties.

A notebook or report that ends with a recommendation must not type it: the numbers change with the
scenario, the seed and the replications. :func:`best_setting` takes one row per setting with each
metric's mean and 95 % interval (``<metric>_mean``, ``<metric>_low``, ``<metric>_high``, as
:attr:`Tuning.trials <simroute.experiments.tune.Tuning.trials>` has them; :func:`settings_rows`
makes them from a sweep's :func:`~simroute.experiments.sweep.aggregate`) and returns an
:class:`Answer`: the best setting on a metric, the settings whose interval overlaps its own (its
*ties*: no detectable difference), and a sentence saying so, in the metric's unit.
:func:`tuning_answer` does the same for a tuning run: the best feasible trial and its ties, or the
goals no trial met.

When every other setting ties with the best, the sentence says there is no detectable difference
between the settings tried: more replications, or a wider range, are what would separate them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..common.schema import plain
from .metrics import metric, words

__all__ = ["Answer", "best_setting", "settings_rows", "tuning_answer", "bounds", "overlaps"]


@dataclass(frozen=True)
class Answer:
    """The best setting on one metric and the settings tied with it.

    Parameters:
        metric: the metric judged.
        best: the best setting's label (None: no setting had a value).
        ties: the labels of the settings whose interval overlaps the best's.
        text: the answer in words, with the value, its interval and its unit.
        others: how many other settings were compared.
    """
    metric: str
    best: Any
    ties: tuple[Any, ...] = ()
    text: str = ""
    others: int = 0
    values: dict[str, float] = field(default_factory=dict)  #: the best's mean, low and high

    @property
    def all_tied(self) -> bool:
        """Whether every other setting ties with the best (no detectable difference at all)."""
        return self.others > 0 and len(self.ties) == self.others

    def __str__(self) -> str:
        return self.text


def _value(unit: str, v: float) -> str:
    if unit == "share":
        return f"{v:.1%}"
    if unit.startswith("$"):
        return f"${v:,.4g}" + unit[1:].replace("/", " per ", 1)
    return f"{v:,.4g} {unit}"


def _span(unit: str, low: float, high: float) -> str:
    """An interval in its unit, the unit said once: ``$0.12 to $0.13 per request``, ``6.7 to 9 s``."""
    if unit == "share":
        return f"{low:.1%} to {high:.1%}"
    if unit.startswith("$"):
        return f"${low:,.4g} to ${high:,.4g}" + unit[1:].replace("/", " per ", 1)
    return f"{low:,.4g} to {high:,.4g} {unit}"


def bounds(row: pd.Series, m: str) -> tuple[float, float]:
    """A row's interval of metric ``m`` (``<m>_low``, ``<m>_high``; its mean at both ends without
    one: one replication)."""
    mean = float(row[f"{m}_mean"])
    lo, hi = float(row.get(f"{m}_low", math.nan)), float(row.get(f"{m}_high", math.nan))
    return (mean, mean) if math.isnan(lo) or math.isnan(hi) else (lo, hi)


def overlaps(a: pd.Series, b: pd.Series, m: str) -> bool:
    """Whether two rows are tied on ``m``: their intervals overlap (without intervals: equal means)."""
    lo_a, hi_a = bounds(a, m)
    lo_b, hi_b = bounds(b, m)
    return lo_a <= hi_b and lo_b <= hi_a


def best_setting(rows: pd.DataFrame, m: str, *, better: str | None = None, what: str = "setting",
                 unit: str | None = None, name: str | None = None) -> Answer:
    """The best row on metric ``m`` and its ties, in words.

    Parameters:
        rows: one row per setting, indexed by its label, with ``<m>_mean`` (and ``<m>_low``,
            ``<m>_high``; without them the means alone decide and nothing ties).
        m: the metric (its unit and direction come from :data:`~simroute.experiments.metrics.METRICS`).
        better: ``lower`` or ``higher`` (default: the metric's own).
        what: what a row is, for the sentence ("setting", "weighting", "trial" …).
        unit: the unit (default: the metric's; give it, with ``better`` and ``name``, for a
            measure of your own that is not in ``METRICS``).
        name: the measure in words (default: from the metric's name).

    Returns:
        The :class:`Answer`.
    """
    direction = better or (metric(m).better if unit is None else "") or "lower"
    unit = unit if unit is not None else metric(m).unit
    ok = rows[rows[f"{m}_mean"].notna()]
    said = name or words(m)
    if ok.empty:
        return Answer(m, None, text=f"No {what} has a value of {said}: nothing to recommend.")
    order = ok[f"{m}_mean"].sort_values(ascending=direction == "lower", kind="stable")
    label = order.index[0]
    best = ok.loc[label]
    ties = tuple(i for i in order.index[1:] if overlaps(ok.loc[i], best, m))
    low, high = best.get(f"{m}_low"), best.get(f"{m}_high")
    interval = (f" (95 % interval {_span(unit, low, high)})"
                if low is not None and high is not None and pd.notna(low) and pd.notna(high) and low != high
                else "")
    head = (f"The {'lowest' if direction == 'lower' else 'highest'} {said} is {what} {label}: "
            f"{_value(unit, float(best[f'{m}_mean']))}{interval}.")
    others = len(ok) - 1
    if others == 0:
        tail = ""
    elif len(ties) == others:
        tail = (f" No detectable difference: every other {what} tried ({others}) has an interval that "
                "overlaps it; more replications or a wider range would be needed to separate them.")
    elif ties:
        shown = "; ".join(str(t) for t in ties[:6]) + (" …" if len(ties) > 6 else "")
        tail = (f" No detectable difference from {len(ties)} of the {others} others (their intervals "
                f"overlap): {shown}. The rest are worse beyond noise.")
    else:
        tail = f" Every other {what} ({others}) is worse beyond noise (the intervals do not overlap)."
    values = {k: float(best[f"{m}_{k}"]) for k in ("mean", "low", "high") if f"{m}_{k}" in best}
    return Answer(m, label, ties, head + tail, others, values)


def settings_rows(agg: pd.DataFrame, params: Sequence[str] | None = None, key: str = "") -> pd.DataFrame:
    """A sweep's aggregate as one row per point: ``<metric>_mean/_low/_high`` columns, indexed by a
    label of its parameters (``weights.context=20, weights.pattern=15``).

    Parameters:
        agg: :func:`~simroute.experiments.sweep.aggregate` output.
        params: the parameter columns (default: those the sweep recorded).
        key: the metrics' key (``""``: the overall rows).

    Returns:
        The wide frame, ready for :func:`best_setting`.
    """
    params = list(params if params is not None else agg.attrs.get("params", []))
    rows = agg[agg.key == key]
    wide = rows.set_index(["point", *params, "metric"])[["mean", "ci_low", "ci_high"]].unstack("metric")
    out = pd.DataFrame(index=wide.index)
    for m in rows.metric.unique():
        out[f"{m}_mean"] = wide[("mean", m)]
        out[f"{m}_low"] = wide[("ci_low", m)]
        out[f"{m}_high"] = wide[("ci_high", m)]
    labels = [", ".join(f"{p}={plain(v)}" for p, v in zip(params, idx[1:], strict=True)) or str(idx[0])
              for idx in out.index]
    out.index = pd.Index(labels, name="setting")
    return out


def tuning_answer(tuning: Any) -> Answer:
    """The answer of a tuning run: its best feasible trial on the objective and its ties (the
    feasible trials whose interval overlaps it), or, when no trial met every goal, that fact.

    Parameters:
        tuning: a :class:`~simroute.experiments.tune.Tuning` (its trials, params, objective and
            constraints; this module does not import tuning, which imports it).

    Returns:
        The :class:`Answer` (``best``: the trial's parameters as text).
    """
    t = tuning.trials
    goals = "; ".join(f"{m} {op} {bound:g} {metric(m).unit}" for m, (op, bound) in tuning.constraints.items())
    if not tuning.feasible:
        b = tuning.best
        where = f" The least infeasible is {tuning.best_params}." if b is not None else ""
        return Answer(tuning.objective, None,
                      text=f"No trial of {len(t)} met every goal ({goals}), judged on the safe end of each "
                           f"interval: keep today's settings, or widen the space or relax a goal.{where}")
    ok = t[t.feasible].drop_duplicates(tuning.params)  # (the same settings: the same runs)
    ok.index = pd.Index([", ".join(f"{p}={plain(r[p])}" for p in tuning.params) for _, r in ok.iterrows()])
    answer = best_setting(ok, tuning.objective, what="setting")
    met = f" Every goal holds for it ({goals})." if goals else ""
    return Answer(answer.metric, answer.best, answer.ties, answer.text + met, answer.others, answer.values)
