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
cost–latency frontier (see :func:`frontier`: a trade-off is kept only when the intervals show it).

When no trial meets every goal, :func:`tune` warns (a ``UserWarning`` naming each goal no trial
met and the best value any trial reached) and :attr:`Tuning.best` is the *least infeasible* trial:
the smallest sum of the goals' violations, each relative to its bound. ``Tuning.feasible`` says
which case it is.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..common.errors import InputError
from ..common.schema import plain
from ..io.scenario import Scenario
from .answers import bounds, overlaps
from .executors import check_executor, map_runs, progress_bar
from .metrics import METRICS, metric
from .params import check_space, suggest, with_params
from .sweep import _summary_row, aggregate

__all__ = ["tune", "Tuning", "frontier", "bounds", "overlaps"]

BATCH = 4  #: trials proposed at a time by default (the same on every executor: the same trials)

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
    def feasible(self) -> bool:
        """Whether any trial met every goal."""
        return bool(self.trials.feasible.any())

    @property
    def best(self) -> pd.Series | None:
        """The feasible trial with the lowest objective; when none is feasible, the least infeasible
        trial (its ``feasible`` is False); None only without trials."""
        if self.trials.empty:
            return None
        ok = self.trials[self.trials.feasible]
        if ok.empty:
            return self.trials.sort_values(["violation", f"{self.objective}_mean", "trial"]).iloc[0]
        return ok.sort_values([f"{self.objective}_mean", "trial"]).iloc[0]

    @property
    def ties(self) -> list[int]:
        """The trials statistically tied with :attr:`best`: feasible (as it is, when it is), their
        objective's 95 % interval overlapping its own (``trials.csv``'s ``ties`` column marks them)."""
        b = self.best
        if b is None:
            return []
        m = self.objective
        pool = self.trials[self.trials.feasible] if bool(b.feasible) else self.trials
        return [int(r.trial) for _, r in pool.iterrows()
                if int(r.trial) != int(b.trial) and overlaps(r, b, m)]

    @property
    def best_params(self) -> dict[str, Any] | None:
        """The parameters of :attr:`best` (None only without trials)."""
        b = self.best
        return None if b is None else {p: plain(b[p]) for p in self.params}

    def frontier(self, x: str = "latency_p95", y: str | None = None) -> pd.DataFrame:
        """Trials on the trade-off frontier of ``x`` and the objective (both minimized), with ties.

        Parameters:
            x: the metric on the x axis.
            y: the metric on the y axis (default: the objective).

        Returns:
            The frontier's trials (see :func:`frontier`), indexed as :attr:`trials`.
        """
        return frontier(self.trials[self.trials.feasible], f"{x}_mean", f"{y or self.objective}_mean")

    def answer(self) -> Any:
        """The recommendation in words (:func:`~simroute.experiments.answers.tuning_answer`): the best
        feasible settings and the ones tied with them, or the goals no trial met."""
        from .answers import tuning_answer

        return tuning_answer(self)

    def __repr__(self) -> str:
        n_ok = int(self.trials.feasible.sum())
        which = "best" if self.feasible else "no feasible trial; least infeasible"
        return f"Tuning({len(self.trials)} trials, {n_ok} feasible, {which}={self.best_params})"


def _interval(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``_low`` and ``_high`` columns of a ``_mean`` column (the mean itself when absent)."""
    base = column.removesuffix("_mean")
    mean = frame[column].to_numpy(float)
    if column.endswith("_mean") and f"{base}_low" in frame and f"{base}_high" in frame:
        return frame[f"{base}_low"].to_numpy(float), frame[f"{base}_high"].to_numpy(float)
    return mean, mean


def frontier(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """The trade-off frontier of ``x`` and ``y`` (both minimized), judged with confidence intervals.

    The candidates are the rows no other row beats on both means, in order of ``x``. Walking along
    them, a row that gives up some ``x`` for a lower ``y`` is kept only when its ``y`` interval lies
    wholly below the last kept row's: otherwise the gain is within the noise and the row is a
    *tie* of the kept one. Any other row whose intervals overlap a kept row's on both axes is a tie
    of it too. Intervals are the columns ``<metric>_low`` / ``<metric>_high`` beside
    ``<metric>_mean`` (without them, the means alone decide and there are no ties).

    Parameters:
        frame: one row per setting, with the mean (and interval) columns.
        x: the column on the x axis (e.g. ``latency_p95_mean``).
        y: the column on the y axis (e.g. ``cost_per_request_mean``).

    Returns:
        The kept rows, sorted by ``x``, with a ``ties`` column: the index labels of the rows
        indistinguishable from each (a tuple; empty when none).
    """
    rows = frame.dropna(subset=[x, y]).sort_values([x, y])
    xl, xh = _interval(rows, x)
    yl, yh = _interval(rows, y)
    pos = {label: k for k, label in enumerate(rows.index)}
    candidates, best_y = [], math.inf
    for label, v in zip(rows.index, rows[y], strict=True):
        if v < best_y:
            candidates.append(label)
            best_y = v
    kept: list[Any] = []
    ties: dict[Any, list[Any]] = {}
    for label in candidates:
        k = pos[label]
        if kept and not yh[k] < yl[pos[kept[-1]]]:
            ties[kept[-1]].append(label)
            continue
        kept.append(label)
        ties[label] = []
    for label in rows.index:
        k = pos[label]
        if label in ties or any(label in t for t in ties.values()):
            continue
        for keeper in kept:
            j = pos[keeper]
            if xl[k] <= xh[j] and xl[j] <= xh[k] and yl[k] <= yh[j] and yl[j] <= yh[k]:
                ties[keeper].append(label)
                break
    out = rows.loc[kept].copy()
    out["ties"] = [tuple(ties[label]) for label in kept]
    return out


def tune(scenario: Scenario, space: Mapping[str, Any], *, objective: str = "cost_per_request",
         constraints: Mapping[str, tuple[str, float]] | None = None, trials: int = 30,
         replications: int = 3, seed: int = 0, executor: Any = "processes", batch: int | None = None,
         workers: int | None = None, confidence: float = 0.95, progress: bool | None = None,
         window: str = "run", storage: str | None = None, study: str | None = None) -> Tuning:
    """Minimize ``objective`` (a summary metric) subject to ``constraints`` (see the module doc).

    ``batch`` trials are proposed at a time and their runs spread over the executor (default:
    :data:`BATCH`, whatever the executor); the same seed, space and batch give the same trials on
    every executor.

    Parameters:
        scenario: the scenario to tune.
        space: parameter path → a list of choices or a ``(low, high)`` range.
        objective: the summary metric to minimize.
        constraints: metric → (``<=`` or ``>=``, bound), judged on the safe end of its interval.
        trials: how many settings to try.
        replications: runs per trial.
        seed: the sampler's and the runs' seed.
        executor: where the runs go (as for :func:`~simroute.experiments.sweep.sweep`).
        batch: trials proposed at a time (default :data:`BATCH`).
        workers: pool or cluster size.
        confidence: the intervals' confidence level.
        progress: show a progress bar.
        window: where the objective and the constraints are judged: ``run`` (the whole run after
            the warm-up) or ``fault`` (inside the scenario's fault windows, pooled: how the settings
            carry the system through its faults).
        storage: an Optuna storage URL (``sqlite:///study.db``, ``postgresql://…``) that keeps the
            study: a tuning run resumes it, and several processes or machines may work on it at
            once. ``trials`` is then the study's total: a run adds trials until the study has that
            many (each trial's metrics are kept with it, so the result holds every trial of the
            study; with several processes at once, one may add a batch past it). With a storage
            the sampler is seeded by the count of finished trials, so a run resumed after an
            interruption proposes what an uninterrupted one would have (and ends with the same
            best trial); several processes' trials depend on their timing. None: the study lives
            in memory.
        study: the study's name in ``storage`` (default ``simroute-<scenario name>``). A study is
            resumed only with the same space, objective, goals, replications, seed and window.

    Returns:
        A :class:`Tuning`.

    Raises:
        InputError: an unknown parameter path, metric or constraint.
    """
    import optuna

    constraints = dict(constraints or {})
    check_space(space, ranges=True)
    for path, values in space.items():  # a range's ends lie in the setting's domain: so does all between
        if isinstance(values, tuple):
            with_params(scenario, {path: values[0]})
            with_params(scenario, {path: values[1]})
    for name, field in ((objective, "objective"), *((c, "constraints") for c in constraints)):
        if metric(name, field=field).key:  # one value per plugin or tier: not one number to judge
            raise InputError(f"{name!r} has a value per {metric(name).key}: tune needs a metric with one "
                             f"value per run (known: {', '.join(m.name for m in METRICS if not m.key)})",
                             field=field)
    for name, goal in constraints.items():
        if (not isinstance(goal, tuple | list) or len(goal) != 2 or goal[0] not in OPS
                or not isinstance(goal[1], int | float) or not math.isfinite(goal[1])):
            raise InputError(f"a goal is ('<=' or '>=', a finite bound), got {goal!r}", entry=name,
                             field="constraints")
    if trials < 1 or replications < 1:
        raise InputError("trials and replications must be >= 1", field="trials")
    if window not in ("run", "fault"):
        raise InputError(f"must be 'run' or 'fault', got {window!r}", field="window")
    if window == "fault" and not scenario.faults:
        raise InputError("the scenario has no faults: --window fault needs at least one", field="window")
    check_executor(executor)
    batch = batch or BATCH
    metrics = tuple(dict.fromkeys((objective, *constraints, "latency_p95", "success_rate")))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    startup = min(10, max(2, trials // 3))
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)
    rows: list[dict[str, Any]] = []
    if storage is None:
        optuna_study = optuna.create_study(direction="minimize", sampler=sampler)
    else:
        optuna_study = _stored_study(optuna, storage, study or f"simroute-{scenario.name}", sampler, {
            "space": {k: list(v) if isinstance(v, tuple | list) else v for k, v in space.items()},
            "objective": objective, "constraints": {k: list(v) for k, v in constraints.items()},
            "replications": replications, "seed": seed, "window": window})
        rows = _stored_rows(optuna, optuna_study)
    with progress_bar(max(0, trials - len(rows)) * replications, progress, f"tune {scenario.name}") as bar:
        while len(rows) < trials:
            if storage is not None:  # other processes may have added trials meanwhile
                rows = _stored_rows(optuna, optuna_study)
                if len(rows) >= trials:
                    break
            if storage is None:
                asked = [optuna_study.ask() for _ in range(min(batch, trials - len(rows)))]
            else:
                asked = _ask_resumable(optuna, optuna_study, seed, startup, batch, len(rows), trials)
            try:
                points = [{p: suggest(t, p, v) for p, v in space.items()} for t in asked]
                for pt in points:
                    with_params(scenario, pt)  # an unknown path or a refused value fails before any run
                by = "faults" if window == "fault" else None
                tasks = [(_summary_row, pt, seed, r, metrics, "full", by) for pt in points
                         for r in range(replications)]
                frames = map_runs(tasks, scenario, executor, workers, bar)
            except BaseException:  # interrupted (Ctrl-C) or failed: a stored batch's trials fail, so
                if storage is not None:  # that a resumed run proposes what an uninterrupted one would
                    for t in asked:
                        optuna_study.tell(t, state=optuna.trial.TrialState.FAIL)
                raise
            long = pd.concat([f.assign(point=k // replications) for k, f in enumerate(frames)])
            agg = aggregate(long[long.key == ""], confidence=confidence, params=[])
            for i, (trial, pt) in enumerate(zip(asked, points, strict=True)):
                mine = agg[agg.point == i].set_index("metric")
                row: dict[str, Any] = {"trial": trial.number, **pt}
                for m in metrics:
                    mean = float(mine["mean"].get(m, math.nan))
                    low, high = float(mine.ci_low.get(m, math.nan)), float(mine.ci_high.get(m, math.nan))
                    if math.isnan(low) or math.isnan(high):  # one replication: no interval
                        low = high = mean
                    row[f"{m}_mean"], row[f"{m}_low"], row[f"{m}_high"] = mean, low, high
                viol = [_violation(row, m, op, bound) for m, (op, bound) in constraints.items()]
                for m, v in zip(constraints, viol, strict=True):
                    trial.set_constraint(m, v)
                row["violation"] = sum(max(0.0, v) for v in viol)
                row["feasible"] = all(v <= 0 for v in viol)
                value = row[f"{objective}_mean"]
                trial.set_user_attr("simroute_row", row)  # (a stored study keeps its trials' metrics)
                optuna_study.tell(trial, value if not math.isnan(value) else math.inf)
                rows.append(row)
    if storage is not None:  # every trial of the study, other processes' last ones included
        rows = _stored_rows(optuna, optuna_study)
    result = Tuning(trials=pd.DataFrame(rows), params=list(space), objective=objective,
                    constraints=constraints)
    result.trials["ties"] = result.trials.trial.isin(result.ties)  # tied with the best trial
    if constraints and not result.feasible:
        warnings.warn(_unmet(result), UserWarning, stacklevel=2)
    return result


def _ask_resumable(optuna: Any, study: Any, seed: int, startup: int, batch: int, done: int,
                   trials: int) -> list[Any]:
    """A stored study's next trials, proposed as an uninterrupted run would: in batches aligned to
    the count of finished trials, the sampler seeded by that count (TPE proposes from the finished
    trials and its seed alone, so a run resumed after an interruption continues where it stopped)."""
    asked = []
    for k in range(done, min(done + batch - done % batch, trials)):
        study.sampler = optuna.samplers.TPESampler(seed=seed + k, n_startup_trials=startup)
        asked.append(study.ask())
    return asked


def _stored_study(optuna: Any, storage: str, name: str, sampler: Any, signature: dict[str, Any]) -> Any:
    """The study ``name`` in ``storage``, created or resumed; refused when it was made for another
    question (space, objective, goals, replications, seed, window)."""
    import json

    try:
        study = optuna.create_study(storage=storage, study_name=name, load_if_exists=True,
                                    direction="minimize", sampler=sampler)
    except Exception as exc:  # noqa: BLE001 - a bad URL or an unreachable database: one line
        raise InputError(f"cannot open the Optuna storage {storage!r}: {str(exc).splitlines()[0]}",
                         field="storage") from None
    mine = json.dumps(signature, sort_keys=True)
    theirs = study.user_attrs.get("simroute")
    if theirs is None:
        study.set_user_attr("simroute", mine)
    elif theirs != mine:
        raise InputError(f"study {name!r} in {storage} was made for another question ({theirs}); give "
                         "another --study name to start a new one", field="study")
    return study


def _stored_rows(optuna: Any, study: Any) -> list[dict[str, Any]]:
    """Every complete trial's row of a stored study, in trial order."""
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return [dict(t.user_attrs["simroute_row"]) for t in sorted(done, key=lambda t: t.number)
            if "simroute_row" in t.user_attrs]


def _violation(row: dict[str, Any], name: str, op: str, bound: float) -> float:
    """How far a trial misses a goal, relative to the bound (<= 0: met), judged on the interval's
    safe end; a metric that could not be measured misses by infinity."""
    gap = row[f"{name}_high"] - bound if op == "<=" else bound - row[f"{name}_low"]
    return gap / max(abs(bound), 1e-12) if not math.isnan(gap) else math.inf


def _unmet(result: Tuning) -> str:
    """The warning of a tuning run without a feasible trial: each goal no trial met, and the best
    value reached."""
    t = result.trials
    parts = []
    for name, (op, bound) in result.constraints.items():
        judged = t[f"{name}_high"] if op == "<=" else t[f"{name}_low"]
        met = (judged <= bound) if op == "<=" else (judged >= bound)
        if not met.any():
            best = judged.min() if op == "<=" else judged.max()
            side = "upper" if op == "<=" else "lower"
            parts.append(f"{name} {op} {bound:g} (no trial met it; best {side} 95 % bound reached: "
                         f"{best:.4g} {metric(name).unit})")
    if not parts:
        parts.append("each goal was met by some trial, never all at once")
    b = result.best
    return (f"tune: no trial of {len(t)} met every goal: " + "; ".join(parts) +
            f". Returning the least infeasible trial {int(b['trial'])}: {result.best_params}. Widen the "
            "space, relax a goal or raise trials.") if b is not None else "tune: no trials"
