"""Tuning: the settings that minimize cost per request subject to service goals.

``tune(scenario, {"breaker.failure_threshold": (2, 10), "retry.max_retries": [0, 1, 2, 3]},
constraints={"latency_p95": ("<=", 900), "success_rate": (">=", 0.95)})`` searches the space with
Optuna's TPE sampler (seeded, so a tuning run is reproducible), evaluating each candidate with
``replications`` runs (common random numbers: replication ``r`` of every candidate uses the same
seed). Noise is accounted for by judging each goal on the conservative end of its confidence
interval: a p95 bound holds only if the interval's upper end is within it, a success-rate floor
only if the lower end is above it.

Space: a ``(low, high)`` tuple is a range (integers if both ends are ints), a list is a set of
choices. The result, :class:`Tuning`, has every trial as a row, the best feasible one, and the
cost–latency frontier (the trials no other trial beats on both cost and p95 latency).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .executors import check_executor, map_runs, progress_bar
from .params import check_space, with_params
from .scenario import Scenario
from .sweep import _summary_row, aggregate

__all__ = ["tune", "Tuning", "frontier"]

OPS = ("<=", ">=")  #: a goal: (op, bound) — the metric at most / at least the bound


@dataclass
class Tuning:
    """The trials of :func:`tune`, the best feasible one and the frontier.

    Parameters:
        trials: one row per trial: its parameters, each metric's mean and interval, feasibility.
        params: the tuned parameter paths.
        objective: the minimized metric.
        constraints: metric → (``<=`` or ``>=``, bound).
    """
    trials: pd.DataFrame  #: trial, <params>, <metric>_mean/_low/_high …, feasible, violation
    params: list[str]
    objective: str
    constraints: dict[str, tuple[str, float]]

    @property
    def best(self) -> pd.Series | None:
        """The feasible trial with the lowest objective (None if no trial met the goals)."""
        ok = self.trials[self.trials.feasible]
        if ok.empty:
            return None
        return ok.sort_values([f"{self.objective}_mean", "trial"]).iloc[0]

    @property
    def best_params(self) -> dict[str, Any] | None:
        b = self.best
        return None if b is None else {p: _plain(b[p]) for p in self.params}

    def frontier(self, x: str = "latency_p95", y: str | None = None) -> pd.DataFrame:
        """Trials on the trade-off frontier of ``x`` and the objective (both minimized)."""
        return frontier(self.trials, f"{x}_mean", f"{y or self.objective}_mean")

    def __repr__(self) -> str:
        return (f"Tuning({len(self.trials)} trials, {int(self.trials.feasible.sum())} feasible, "
                f"best={self.best_params})")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def frontier(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Rows not dominated on (x, y), both minimized, sorted by x."""
    rows = frame.dropna(subset=[x, y]).sort_values([x, y])
    keep, best_y = [], math.inf
    for i, v in zip(rows.index, rows[y], strict=True):
        if v < best_y:
            keep.append(i)
            best_y = v
    return rows.loc[keep]


def _suggest(trial, path: str, values: Any) -> Any:
    if isinstance(values, tuple):
        lo, hi = values
        if isinstance(lo, int) and isinstance(hi, int):
            return trial.suggest_int(path, lo, hi)
        return trial.suggest_float(path, float(lo), float(hi))
    return trial.suggest_categorical(path, list(values))


def tune(scenario: Scenario, space: Mapping[str, Any], *, objective: str = "cost_per_request",
         constraints: Mapping[str, tuple[str, float]] | None = None, trials: int = 30,
         replications: int = 3, seed: int = 0, executor: Any = "processes", batch: int | None = None,
         workers: int | None = None, confidence: float = 0.95, progress: bool | None = None) -> Tuning:
    """Minimize ``objective`` (a summary metric) subject to ``constraints`` (see the module doc).

    ``batch`` trials are proposed at a time and their runs spread over the executor (default:
    1 for ``"serial"``, else 4); the same seed, space and batch give the same trials.

    Parameters:
        scenario: the scenario to tune.
        space: parameter path → a list of choices or a ``(low, high)`` range.
        objective: the summary metric to minimize.
        constraints: metric → (``<=`` or ``>=``, bound), judged on the safe end of its interval.
        trials: how many settings to try.
        replications: runs per trial.
        seed: the sampler's and the runs' seed.
        executor: where the runs go (as for :func:`~simroute.sweep.sweep`).
        batch: trials proposed at a time.
        workers: pool or cluster size.
        confidence: the intervals' confidence level.
        progress: show a progress bar.

    Returns:
        A :class:`Tuning`.

    Raises:
        InputError: an unknown parameter path, metric or constraint.
    """
    import optuna

    constraints = dict(constraints or {})
    check_space(space, ranges=True)
    for metric, (op, _) in constraints.items():
        if op not in OPS:
            raise InputError(f"a goal is ('<=' or '>=', bound), got {op!r}", entry=metric,
                             field="constraints")
    if trials < 1 or replications < 1:
        raise InputError("trials and replications must be >= 1", field="trials")
    check_executor(executor)
    batch = batch or (1 if executor == "serial" else 4)
    metrics = tuple(dict.fromkeys((objective, *constraints, "latency_p95", "success_rate")))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, trials // 3)))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    rows: list[dict[str, Any]] = []
    with progress_bar(trials * replications, progress, f"tune {scenario.name}") as bar:
        while len(rows) < trials:
            asked = [study.ask() for _ in range(min(batch, trials - len(rows)))]
            points = [{p: _suggest(t, p, v) for p, v in space.items()} for t in asked]
            for pt in points:
                with_params(scenario, pt)  # an unknown path or a refused value fails before any run
            tasks = [(_summary_row, pt, seed, r, metrics) for pt in points for r in range(replications)]
            frames = map_runs(tasks, scenario, executor, workers, bar)
            long = pd.concat([f.assign(point=k // replications) for k, f in enumerate(frames)])
            agg = aggregate(long[long.key == ""], confidence=confidence, params=[])
            for i, (trial, pt) in enumerate(zip(asked, points, strict=True)):
                mine = agg[agg.point == i].set_index("metric")
                row: dict[str, Any] = {"trial": trial.number, **pt}
                for m in metrics:
                    mean = float(mine["mean"].get(m, math.nan))
                    half = float(mine.half_width.get(m, math.nan))
                    half = 0.0 if math.isnan(half) else half  # one replication: no interval
                    row[f"{m}_mean"], row[f"{m}_low"], row[f"{m}_high"] = mean, mean - half, mean + half
                viol = []
                for m, (op, bound) in constraints.items():
                    gap = row[f"{m}_high"] - bound if op == "<=" else bound - row[f"{m}_low"]
                    viol.append(gap if not math.isnan(gap) else math.inf)
                    trial.set_constraint(m, viol[-1])
                row["violation"] = max([0.0, *viol])
                row["feasible"] = all(v <= 0 for v in viol)
                value = row[f"{objective}_mean"]
                study.tell(trial, value if not math.isnan(value) else math.inf)
                rows.append(row)
    return Tuning(trials=pd.DataFrame(rows), params=list(space), objective=objective,
                  constraints=constraints)
