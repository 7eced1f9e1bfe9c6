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

Executors: ``"serial"``; ``"processes"`` (default: a local process pool, one worker per core);
``"dask"`` (starts a ``distributed.LocalCluster`` and closes it afterwards); or a
``distributed.Client`` to use an existing cluster. Every executor returns the same DataFrame for
the same seed: runs are independent, and results are put in (point, replication) order.

Sampling: ``"grid"`` (every combination of the listed values); ``"random"`` or ``"lhs"`` (Latin
hypercube) draw ``samples`` points, where a parameter given as a ``(low, high)`` tuple is a
continuous range (integers if both ends are ints) and one given as a list is a set of choices.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .params import check_path, with_params
from .run import run
from .scenario import Scenario

__all__ = ["sweep", "aggregate", "pivot", "design", "EXECUTORS", "SAMPLINGS"]

EXECUTORS = ("serial", "processes", "dask")
SAMPLINGS = ("grid", "random", "lhs")


def design(space: Mapping[str, Any], sampling: str = "grid", samples: int | None = None,
           seed: int = 0) -> pd.DataFrame:
    """The points to run: one row per point, one column per parameter."""
    if not space:
        raise InputError("give at least one parameter to sweep", field="params")
    if sampling not in SAMPLINGS:
        raise InputError(f"must be one of {', '.join(SAMPLINGS)}, got {sampling!r}", field="sampling")
    for path, values in space.items():
        if isinstance(values, tuple):
            if sampling == "grid":
                raise InputError("a (low, high) range needs sampling='random' or 'lhs'; list values "
                                 "for a grid", entry=path, field="values")
            if len(values) != 2 or not values[0] <= values[1]:
                raise InputError(f"a range is (low, high) with low <= high, got {values!r}", entry=path,
                                 field="values")
        elif isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
            raise InputError(f"needs a non-empty list of values, got {values!r}", entry=path,
                             field="values")
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


# ---------------------------------------------------------------------- one run
_BASE: Scenario | None = None  #: the scenario, set once per worker process


def _init_worker(scenario: Scenario) -> None:
    global _BASE
    _BASE = scenario


def _summary_row(scenario: Scenario, params: dict, seed: int, replication: int,
                 metrics: Sequence[str] | None) -> pd.DataFrame:
    r = run(with_params(scenario, params), seed=seed, replication=replication)
    s = r.summary()
    if metrics is not None:
        s = s[s.metric.isin(metrics)]
    return s.drop(columns=["seed", "replication"])


def _task(args: tuple) -> Any:
    """In a pool worker: ``args`` is (function, *arguments); the scenario is the worker's."""
    assert _BASE is not None
    return args[0](_BASE, *args[1:])


def _task_with(scenario: Scenario, args: tuple) -> Any:
    return args[0](scenario, *args[1:])


def _progress(total: int, show: bool | None, desc: str):
    if show is None:
        show = total >= 20
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run")


def _map(tasks: list[tuple], scenario: Scenario, executor: Any, workers: int | None,
         bar) -> list[Any]:
    """Run each task — ``(function, *arguments)``, called as ``function(scenario, *arguments)`` —
    on the executor; results in task order."""
    def tick(_):
        if bar is not None:
            bar.update(1)

    if executor == "serial":
        out = []
        for t in tasks:
            out.append(_task_with(scenario, t))
            tick(None)
        return out
    if executor == "processes":
        workers = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(scenario,)) as pool:
            chunk = max(1, len(tasks) // (workers * 4))
            out = []
            for df in pool.map(_task, tasks, chunksize=chunk):
                out.append(df)
                tick(None)
            return out
    return _map_dask(tasks, scenario, executor, workers, tick)


def _map_dask(tasks, scenario, executor, workers, tick) -> list[pd.DataFrame]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("executor='dask' needs the dask extra: pip install -e \".[dask]\"",
                         field="executor") from None
    own = executor == "dask"
    if own:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=":0")
        client = Client(cluster)
    elif isinstance(executor, Client):
        client, cluster = executor, None
    else:
        raise InputError(f"must be one of {', '.join(EXECUTORS)} or a distributed.Client, got "
                         f"{executor!r}", field="executor")
    try:
        base = client.scatter(scenario, broadcast=True)
        futures = client.map(_task_with, [base] * len(tasks), tasks, pure=False)
        for _ in as_completed(futures):
            tick(None)
        return client.gather(futures)
    finally:
        if own:
            client.close()
            cluster.close()


def sweep(scenario: Scenario, params: Mapping[str, Any], *, replications: int = 1, seed: int = 0,
          executor: Any = "processes", sampling: str = "grid", samples: int | None = None,
          metrics: Sequence[str] | None = None, workers: int | None = None,
          progress: bool | None = None) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``params`` × ``replications`` (see the module docstring).

    ``metrics`` keeps only these summary metrics (default: all); ``progress`` shows a progress bar
    (default: when there are 20 runs or more); ``workers`` sets the pool or cluster size.
    """
    if not isinstance(replications, int) or replications < 1:
        raise InputError(f"must be an integer >= 1, got {replications!r}", field="replications")
    if not isinstance(seed, int) or seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed!r}", field="seed")
    if isinstance(executor, str) and executor not in EXECUTORS:
        raise InputError(f"must be one of {', '.join(EXECUTORS)} or a distributed.Client, got "
                         f"{executor!r}", field="executor")
    points = design(params, sampling, samples, seed)
    for path in points.columns:
        check_path(scenario, path)
    # every point must build: a bad value fails here, before any run, naming the parameter
    records = points.to_dict("records")
    for rec in records:
        with_params(scenario, rec)
    tasks = [(_summary_row, rec, seed, r, tuple(metrics) if metrics is not None else None)
             for rec in records for r in range(replications)]
    bar = _progress(len(tasks), progress, f"sweep {scenario.name}")
    try:
        frames = _map(tasks, scenario, executor, workers, bar)
    finally:
        if bar is not None:
            bar.close()
    out = []
    for k, ((_, rec, _, r, _), df) in enumerate(zip(tasks, frames, strict=True)):
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
    """Mean, standard deviation, n and a Student-t confidence interval per point and metric.

    Columns: ``point, <params>, metric, key, mean, std, n, ci_low, ci_high, half_width``.
    """
    params = list(params if params is not None else frame.attrs.get("params", []))
    keys = ["point", *params, "metric", "key"]
    g = frame.groupby(keys, sort=True, dropna=False).value
    out = g.agg(mean="mean", std="std", n="count").reset_index()
    from scipy.stats import t as student_t

    q = out.n.map(lambda n: float(student_t.ppf(0.5 + confidence / 2, int(n) - 1)) if n > 1 else math.nan)
    half = q * out["std"] / np.sqrt(out.n)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    out["half_width"] = half
    out.attrs["params"] = params
    return out


def pivot(agg: pd.DataFrame, metric: str, key: str = "") -> pd.DataFrame:
    """One metric of an aggregate, one row per point (the parameters, mean and CI)."""
    params = agg.attrs.get("params", [])
    rows = agg[(agg.metric == metric) & (agg.key == key)]
    return rows[["point", *params, "mean", "ci_low", "ci_high", "n"]].reset_index(drop=True)

