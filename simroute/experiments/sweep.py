"""What-if sweeps: a scenario run over a grid (or a sample) of parameter values, with replications.

``sweep(scenario, {"breaker.failure_threshold": [3, 5, 8]}, replications=10)`` runs every point ×
replication and returns a tidy long DataFrame — one row per (point, replication, metric, key):

``point, <one column per parameter>, replication, seed, metric, key, value``

where metric/key/value are the rows of :meth:`Results.summary`. :func:`aggregate` turns it into
means with confidence intervals.

Seeds: replication ``r`` of every point runs with ``SeedSequence(seed, spawn_key=(r,))`` — the
children of one root seed. Every point sees the same random streams for the same replication
(common random numbers), so differences between points are not drowned in sampling noise; the
replications are independent.

Executors (:mod:`simroute.experiments.executors`): ``"serial"``, ``"processes"`` (the default),
``"dask"`` or a ``distributed.Client``. Every executor returns the same DataFrame for the same seed: runs are
independent, and results are put in (point, replication) order.

Sampling: ``"grid"`` (every combination of the listed values); ``"random"`` or ``"lhs"`` (Latin
hypercube) draw ``samples`` points, where a parameter given as a ``(low, high)`` tuple is a
continuous range (integers if both ends are ints) and one given as a list is a set of choices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..common.errors import InputError
from ..io.scenario import Scenario
from .executors import check_executor, map_runs, progress_bar
from .params import check_space, with_params
from .run import run
from .streaming import StreamSummary, pooled_summary

__all__ = ["sweep", "pooled", "aggregate", "intervals", "bounds", "half_width", "pivot", "design",
           "SAMPLINGS"]

SAMPLINGS = ("grid", "random", "lhs")


def design(space: Mapping[str, Any], sampling: str = "grid", samples: int | None = None,
           seed: int = 0) -> pd.DataFrame:
    """The points to run: one row per point, one column per parameter."""
    if sampling not in SAMPLINGS:
        raise InputError(f"must be one of {', '.join(SAMPLINGS)}, got {sampling!r}", field="sampling")
    check_space(space, ranges=sampling != "grid")
    names = list(space)
    if sampling == "grid":
        return pd.DataFrame(list(itertools.product(*space.values())), columns=names)
    if samples is None or samples < 1:
        raise InputError(f"{sampling} sampling needs samples >= 1, got {samples!r}", field="samples")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
    cols = {}
    for path, values in space.items():
        if sampling == "lhs":
            u = (rng.permutation(samples) + rng.random(samples)) / samples
        else:
            u = rng.random(samples)
        if isinstance(values, tuple):
            lo, hi = values
            if isinstance(lo, int) and isinstance(hi, int):
                cols[path] = np.minimum(lo + np.floor(u * (hi - lo + 1)).astype(int), hi).tolist()
            else:
                cols[path] = (lo + u * (hi - lo)).tolist()
        else:
            idx = np.minimum((u * len(values)).astype(int), len(values) - 1)
            cols[path] = [values[i] for i in idx]
    return pd.DataFrame(cols, columns=names)


def _summary_row(scenario: Scenario, params: dict, seed: int, replication: int,
                 metrics: Sequence[str] | None, record: str = "full", by: str | None = None) -> pd.DataFrame:
    """One run's summary rows (a task for :func:`~simroute.experiments.executors.map_runs`);
    ``by="faults"``: over the fault windows only."""
    r = run(with_params(scenario, params), seed=seed, replication=replication, record=record)
    s = r.summary(by=by)
    if metrics is not None:
        s = s[s.metric.isin(metrics)]
    return s.drop(columns=["seed", "replication"])


def sweep(scenario: Scenario, params: Mapping[str, Any], *, replications: int = 1, seed: int = 0,
          executor: Any = "processes", sampling: str = "grid", samples: int | None = None,
          metrics: Sequence[str] | None = None, workers: int | None = None,
          progress: bool | None = None, record: str = "full") -> pd.DataFrame:
    """Run ``scenario`` at every point of ``params`` × ``replications`` (see the module docstring).

    ``metrics`` keeps only these summary metrics (default: all); ``progress`` shows a progress bar
    (default: when there are 20 runs or more); ``workers`` sets the pool or cluster size.

    Parameters:
        scenario: the scenario to vary.
        params: parameter path → a list of values (a grid), or ``(low, high)`` with ``sampling``.
        replications: runs per point.
        seed: the base seed; replication r runs with ``SeedSequence(seed, spawn_key=(r,))``.
        executor: ``serial``, ``processes``, ``dask`` or a ``distributed.Client`` (same results).
        sampling: ``grid``, ``random`` or ``lhs``.
        samples: points to draw with ``random`` or ``lhs``.
        metrics: summary metrics to keep (None: all).
        workers: pool or cluster size.
        progress: show a progress bar (None: for 20 runs or more).
        record: each run's record level: ``"summary"`` runs long scenarios in flat memory
            (latency quantiles then within 1 %; see :func:`~simroute.experiments.run.run`).

    Returns:
        One row per point, replication and summary metric: ``point, <params>, replication, seed,
        metric, key, value``.

    Raises:
        InputError: an unknown parameter path or a value it refuses, before any run.
    """
    if not isinstance(replications, int) or replications < 1:
        raise InputError(f"must be an integer >= 1, got {replications!r}", field="replications")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed!r}", field="seed")
    check_executor(executor)
    points = design(params, sampling, samples, seed)
    # every point must build: an unknown path or a refused value fails here, before any run
    # a None value ("off", e.g. hedge.delay) is NaN in a numeric column of the design: back to None
    records = [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in rec.items()}
               for rec in points.to_dict("records")]
    for rec in records:
        with_params(scenario, rec)
    tasks = [(_summary_row, rec, seed, r, tuple(metrics) if metrics is not None else None, record)
             for rec in records for r in range(replications)]
    with progress_bar(len(tasks), progress, f"sweep {scenario.name}") as bar:
        frames = map_runs(tasks, scenario, executor, workers, bar)
    out = []
    for k, ((_, rec, _, r, _, _), df) in enumerate(zip(tasks, frames, strict=True)):
        point = k // replications
        df = df.assign(point=point, **{p: [v] * len(df) for p, v in rec.items()}, replication=r, seed=seed)
        out.append(df)
    frame = pd.concat(out, ignore_index=True)
    cols = ["point", *points.columns, "replication", "seed", "metric", "key", "value"]
    frame = frame[cols]
    frame.attrs["params"] = list(points.columns)
    return frame


def aggregate(frame: pd.DataFrame, *, confidence: float = 0.95,
              params: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean, standard deviation, n and a confidence interval per point and metric (:func:`intervals`).

    Columns: ``point, <params>, metric, key, mean, std, n, ci_low, ci_high, half_width``.

    Parameters:
        frame: a :func:`sweep` result.
        confidence: the interval's confidence level.
        params: the parameter columns (default: those the sweep recorded).

    Returns:
        One row per point and metric with the mean, std, n and interval.
    """
    params = list(params if params is not None else frame.attrs.get("params", []))
    out = intervals(frame, ["point", *params, "metric", "key"], confidence=confidence)
    out.attrs["params"] = params
    return out


def half_width(std: Any, n: Any, confidence: float = 0.95) -> np.ndarray:
    """Half-width of the Student-t confidence interval of a mean from ``n`` values with standard
    deviation ``std`` (NaN where n < 2); scalars or arrays.

    Parameters:
        std: sample standard deviation(s).
        n: number(s) of values.
        confidence: the interval's confidence level.

    Returns:
        The half-width(s).
    """
    from scipy.stats import t as student_t

    n = np.asarray(n, float)
    q = np.where(n > 1, student_t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), math.nan)
    return q * np.asarray(std, float) / np.sqrt(n)


def intervals(frame: pd.DataFrame, keys: Sequence[str], value: str = "value",
              confidence: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation, n and confidence interval of ``value`` per group of ``keys`` (the
    one interval rule of sweeps, tuning and the report; NaN values are left out).

    The interval keeps to the metric's domain (:func:`~simroute.experiments.metrics.interval_kind`:
    the ``metric`` column's, else ``value``'s if it names a metric): a share's is a Wilson score
    interval, a positive quantity's is on the log scale, any other is Student's t (see
    :func:`bounds`).

    Parameters:
        frame: a long table.
        keys: the grouping columns.
        value: the column to summarise.
        confidence: the interval's confidence level.

    Returns:
        ``<keys>, mean, std, n, ci_low, ci_high, half_width`` (half the interval's width), one row
        per group.
    """
    from .metrics import interval_kind

    out = frame.groupby(list(keys), sort=True, dropna=False)[value].agg(
        mean="mean", std="std", n="count").reset_index()
    if "metric" in out:
        kinds = out.metric.map(interval_kind).to_numpy(object)
    else:
        kinds = np.full(len(out), interval_kind(value), dtype=object)
    out["ci_low"], out["ci_high"] = bounds(out["mean"], out["std"], out.n, kinds, confidence)
    out["half_width"] = (out.ci_high - out.ci_low) / 2
    return out


def bounds(mean: Any, std: Any, n: Any, kind: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The ends of the confidence interval of a mean of ``n`` replications with standard deviation
    ``std`` (NaN where n < 2), by the kind of the metric's domain:

    * ``t`` — Student's t: ``mean ± t·std/√n``;
    * ``log`` — a positive quantity (latency, cost, counts): the same width on the log scale
      (delta method), ``mean ÷ f`` to ``mean × f`` with ``f = exp(t·(std/mean)/√n)``: never below 0,
      and to first order the t interval;
    * ``wilson`` — a share in [0, 1]: the Wilson score interval at the effective number of trials
      ``p(1 − p) / (std²/n)`` (the binomial count with the replications' own variance), with the t
      quantile: always within [0, 1], and close to the t interval away from 0 and 1.

    Replications that agree exactly give a zero-width interval.

    Parameters:
        mean: the means (scalars or arrays).
        std: the standard deviations across replications.
        n: the numbers of replications.
        kind: ``t``, ``log`` or ``wilson`` (one, or one per mean).
        confidence: the interval's confidence level.

    Returns:
        ``(low, high)`` arrays.
    """
    m, sd, count, kinds = np.broadcast_arrays(np.atleast_1d(np.asarray(mean, float)), np.asarray(std, float),
                                              np.asarray(n, float), np.asarray(kind, object))
    half = half_width(sd, count, confidence)
    low, high = m - half, m + half
    with np.errstate(all="ignore"):  # (the where()s below keep only the cases each rule covers)
        log = (kinds == "log") & (m > 0)
        f = np.exp(half / m)
        low = np.where(log, m / f, low)
        high = np.where(log, m * f, high)
        wilson = (kinds == "wilson") & (half > 0) & (m > 0) & (m < 1)
        z = half_width(1.0, count, confidence) * np.sqrt(count)  # the t quantile
        trials = m * (1 - m) / (sd**2 / count)
        centre = (m + z**2 / (2 * trials)) / (1 + z**2 / trials)
        spread = z / (1 + z**2 / trials) * np.sqrt(m * (1 - m) / trials + z**2 / (4 * trials**2))
        low = np.where(wilson, centre - spread, low)
        high = np.where(wilson, centre + spread, high)
    return low, high


def pivot(agg: pd.DataFrame, metric: str, key: str = "") -> pd.DataFrame:
    """One metric of an aggregate, one row per point (the parameters, mean and CI)."""
    params = agg.attrs.get("params", [])
    rows = agg[(agg.metric == metric) & (agg.key == key)]
    return rows[["point", *params, "mean", "ci_low", "ci_high", "n"]].reset_index(drop=True)



def _stream(scenario: Scenario, seed: int, replication: int) -> StreamSummary:
    """One summary-level run's counters and sketch (a task for
    :func:`~simroute.experiments.executors.map_runs`)."""
    stream = run(scenario, seed=seed, replication=replication, record="summary").stream
    assert stream is not None
    return stream


def pooled(scenario: Scenario, *, replications: int, seed: int = 0, executor: Any = "processes",
           workers: int | None = None, progress: bool | None = None) -> StreamSummary:
    """Run ``replications`` of ``scenario`` at the summary level, wherever ``executor`` says, and
    pool them: counters added, latency sketches merged (in replication order, so the result is the
    same on every executor). ``.rows()`` is the pooled summary; its latency quantiles are those of
    all the replications' requests together, within the sketch's 1 %.

    Parameters:
        scenario: the scenario to run.
        replications: how many runs.
        seed: their seed (replication r: ``SeedSequence(seed, spawn_key=(r,))``).
        executor: ``serial``, ``processes``, ``dask`` or a ``distributed.Client``.
        workers: pool or cluster size.
        progress: show a progress bar (None: for 20 runs or more).

    Returns:
        The pooled :class:`~simroute.experiments.streaming.StreamSummary`.
    """
    if not isinstance(replications, int) or replications < 1:
        raise InputError(f"must be an integer >= 1, got {replications!r}", field="replications")
    tasks = [(_stream, seed, r) for r in range(replications)]
    with progress_bar(len(tasks), progress, f"pooled {scenario.name}") as bar:
        streams = map_runs(tasks, scenario, executor, workers, bar)
    return pooled_summary(streams)
