"""Routing quality: how often routing picks a plugin an engineer would accept.

:func:`evaluate_routing` classifies and routes every request of a labelled set
(:mod:`simroute.io.labelled`) with a catalog, a reading and scoring weights, and measures:

* **top-1 accuracy** — the share of requests whose primary is one of its accepted plugins, with a
  95 % Wilson score interval; a request that matches no plugin (the orchestrator's built-in path)
  counts as wrong unless the orchestrator is accepted;
* **top-3 accuracy** — the share with an accepted plugin among the three best-scored candidates;
* **no-match rate** — the share that no plugin scored;
* **per-plugin precision and recall** — precision of ``p``: of the requests routed to ``p``, the
  share that accept ``p``; recall of ``p``: of the requests that accept ``p``, the share routed to an
  accepted plugin (a request accepting several plugins counts for each);
* **a confusion table** — rows: the request's first accepted plugin (the label), columns: the
  primary chosen (``(no match)`` for the built-in path), cells: requests;
* **regret** — per request, the chosen plugin's cost and duration minus the best (lowest) of its
  accepted plugins': cost is one task at the tier of the plugin's best agent for the request
  (dollars), duration the mean of the plugin's default service time (seconds). Negative: the wrong
  plugin was cheaper or faster than every right one.

:func:`cross_validate` splits the set into ``k`` folds, picks on each fold's complement the best of
some candidate weights, and reports train and held-out accuracy side by side (overfitting shows as
the gap); :func:`tune_routing` does the same with an Optuna search per fold over ranges of weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..common.schema import plain
from ..io.labelled import LabelledRequest
from ..policies.catalog import Catalog
from ..policies.classify import Reading, classify
from ..policies.routing import decide_route, lead_line
from ..policies.scoring import ScoringWeights

__all__ = ["RoutingEvaluation", "evaluate_routing", "wilson", "cross_validate", "tune_routing",
           "RoutingTuning", "NO_MATCH"]

NO_MATCH = "(no match)"
TOP = 3


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (nan, nan) for n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class RoutingEvaluation:
    """The routing of a labelled set and its quality measures.

    Parameters:
        table: one row per request: ``text, accept, difficulty, primary, top3, correct, in_top3,
            matched, cost_usd, best_cost_usd, regret_usd, duration_s, best_duration_s, regret_s,
            line``.
        plugins: every plugin of the catalog (the rows of :meth:`per_plugin`).
    """

    table: pd.DataFrame
    plugins: tuple[str, ...] = field(default=())

    @property
    def accuracy(self) -> float:
        """Top-1 accuracy (share, 0–1)."""
        return float(self.table.correct.mean())

    @property
    def top3(self) -> float:
        """Top-3 accuracy (share, 0–1)."""
        return float(self.table.in_top3.mean())

    @property
    def no_match_rate(self) -> float:
        """Share of requests no plugin scored (0–1)."""
        return float((~self.table.matched).mean())

    def accuracy_by(self, column: str = "difficulty") -> pd.DataFrame:
        """Top-1 accuracy per value of ``column`` with its Wilson interval: ``requests, correct,
        accuracy, low, high``."""
        rows = []
        for key, g in self.table.groupby(column, sort=True):
            k, n = int(g.correct.sum()), len(g)
            lo, hi = wilson(k, n)
            rows.append((key, n, k, k / n, lo, hi))
        return pd.DataFrame(rows, columns=[column, "requests", "correct", "accuracy", "low", "high"]
                            ).set_index(column)

    def summary(self) -> pd.Series:
        """The headline numbers, each named with its unit."""
        t = self.table
        lo, hi = wilson(int(t.correct.sum()), len(t))
        return pd.Series({
            "requests": len(t),
            "top1_accuracy": self.accuracy,
            "top1_low_95": lo,
            "top1_high_95": hi,
            "top3_accuracy": self.top3,
            "no_match_rate": self.no_match_rate,
            "mean_regret_usd": float(t.regret_usd.mean()),
            "mean_regret_s": float(t.regret_s.mean()),
        })

    def per_plugin(self) -> pd.DataFrame:
        """``labelled`` (requests accepting it), ``chosen`` (routed to it), ``precision``, ``recall``
        per plugin (NaN where undefined: never chosen, never accepted)."""
        t = self.table
        rows = []
        for p in self.plugins:
            accepts = t.accept.map(lambda a, p=p: p in a)
            chosen = t.primary == p
            precision = float(accepts[chosen].mean()) if chosen.any() else math.nan
            recall = float(t.correct[accepts].mean()) if accepts.any() else math.nan
            rows.append((p, int(accepts.sum()), int(chosen.sum()), precision, recall))
        return pd.DataFrame(rows, columns=["plugin", "labelled", "chosen", "precision", "recall"]
                            ).set_index("plugin")

    def confusion(self) -> pd.DataFrame:
        """Requests by first accepted plugin (rows) and chosen primary (columns)."""
        label = self.table.accept.map(lambda a: a[0])
        chosen = self.table.primary.where(self.table.matched, NO_MATCH)
        return pd.crosstab(label.rename("label"), chosen.rename("chosen"))

    def misses(self) -> pd.DataFrame:
        """The requests routed to a plugin they do not accept."""
        return self.table.loc[~self.table.correct, ["text", "accept", "primary", "top3", "difficulty"]]

    def __repr__(self) -> str:
        s = self.summary()
        return (f"RoutingEvaluation({int(s.requests)} requests: top-1 {s.top1_accuracy:.1%} "
                f"[{s.top1_low_95:.1%}, {s.top1_high_95:.1%}], top-3 {s.top3_accuracy:.1%}, "
                f"no match {s.no_match_rate:.1%})")


def evaluate_routing(
    labelled: Sequence[LabelledRequest],
    catalog: Catalog,
    weights: ScoringWeights | None = None,
    reading: Reading | None = None,
) -> RoutingEvaluation:
    """Route every labelled request and measure the routing's quality (see the module docstring).

    Parameters:
        labelled: the labelled requests (:func:`~simroute.io.labelled.read_labelled`).
        catalog: the plugins.
        weights: scoring weights (None: the defaults).
        reading: how requests are read (None: the default).

    Returns:
        The :class:`RoutingEvaluation`.
    """
    weights = weights or ScoringWeights()
    reading = reading or Reading()
    orchestrator = catalog.orchestrator.name
    duration = {name: p.service_for().mean for name, p in catalog.plugins.items()}
    rows = []
    for item in labelled:
        c = classify(item.text, catalog, reading)
        route = decide_route(c, catalog, weights)
        primary = route.primary or orchestrator
        top = tuple(s.name for s in route.scores[:TOP]) or (orchestrator,)
        accepted = set(item.accept)

        cost = {p: lead_line(p, c, catalog, weights).cost for p in {primary, *item.accept}}
        best_cost = min(cost[p] for p in item.accept)
        best_duration = min(duration[p] for p in item.accept)
        rows.append((item.text, item.accept, item.difficulty or "", primary, top, primary in accepted,
                     bool(accepted & set(top)), route.matched, cost[primary], best_cost,
                     cost[primary] - best_cost, duration[primary], best_duration,
                     duration[primary] - best_duration, item.line))
    table = pd.DataFrame(rows, columns=["text", "accept", "difficulty", "primary", "top3", "correct",
                                        "in_top3", "matched", "cost_usd", "best_cost_usd", "regret_usd",
                                        "duration_s", "best_duration_s", "regret_s", "line"])
    return RoutingEvaluation(table, tuple(catalog.plugins))


def cross_validate(
    labelled: Sequence[LabelledRequest],
    catalog: Catalog,
    candidates: Sequence[ScoringWeights],
    *,
    k: int = 5,
    seed: int = 0,
    reading: Reading | None = None,
) -> pd.DataFrame:
    """k-fold cross-validation of choosing weights: on each fold, the candidate with the best top-1
    accuracy on the other folds is chosen (ties: the first) and evaluated on the fold.

    Parameters:
        labelled: the labelled requests.
        catalog: the plugins.
        candidates: the weights to choose among.
        k: folds (2 ≤ k ≤ requests).
        seed: shuffles the requests into folds.
        reading: how requests are read.

    Returns:
        One row per fold: ``fold, train_requests, test_requests, chosen (index into candidates),
        train_accuracy, test_accuracy``.
    """
    n = len(labelled)
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and the number of requests ({n}), got {k}")
    order = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(order, k)
    # every candidate's per-request correctness, once
    correct = np.array([evaluate_routing(labelled, catalog, w, reading).table.correct.to_numpy()
                        for w in candidates])
    rows = []
    for i, test in enumerate(folds):
        train = np.setdiff1d(order, test)
        best = int(np.argmax(correct[:, train].mean(axis=1)))
        rows.append((i, len(train), len(test), best, float(correct[best, train].mean()),
                     float(correct[best, test].mean())))
    return pd.DataFrame(rows, columns=["fold", "train_requests", "test_requests", "chosen",
                                       "train_accuracy", "test_accuracy"])


@dataclass
class RoutingTuning:
    """The result of :func:`tune_routing`.

    Parameters:
        folds: one row per fold: ``fold, train_requests, test_requests, train_accuracy,
            test_accuracy`` and the fold's chosen parameters — train and held-out side by side.
        trials: the search on every request: one row per trial: its parameters, ``accuracy``,
            ``mean_cost_usd`` and ``mean_duration_s`` of the chosen plugins.
        params: the tuned parameter paths.
    """

    folds: pd.DataFrame
    trials: pd.DataFrame
    params: list[str]

    @property
    def best(self) -> pd.Series:
        """The most accurate trial on every request (ties: the cheaper, then the earlier)."""
        return _best_trial(self.trials)

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of :attr:`best`."""
        return {p: plain(self.best[p]) for p in self.params}

    @property
    def held_out_accuracy(self) -> float:
        """The cross-validated estimate: mean held-out accuracy over the folds."""
        return float(self.folds.test_accuracy.mean())

    def frontier(self, against: str = "mean_cost_usd") -> pd.DataFrame:
        """The trials no other trial beats on both accuracy (higher) and ``against`` (lower:
        ``mean_cost_usd`` or ``mean_duration_s``), by ``against``."""
        t = self.trials.sort_values([against, "accuracy"], ascending=[True, False])
        keep, best = [], -math.inf
        for i, row in t.iterrows():
            if row.accuracy > best:
                keep.append(i)
                best = row.accuracy
        return t.loc[keep]

    def __repr__(self) -> str:
        f = self.folds
        return (f"RoutingTuning({len(self.trials)} trials, {len(f)} folds: train "
                f"{f.train_accuracy.mean():.1%}, held-out {f.test_accuracy.mean():.1%}; "
                f"best {self.best_params})")


def _best_trial(trials: pd.DataFrame) -> pd.Series:
    """The most accurate trial (ties: the cheaper, then the earlier)."""
    return trials.sort_values(["accuracy", "mean_cost_usd", "trial"], ascending=[False, True, True]).iloc[0]


def _routing_settings(catalog: Catalog, point: Mapping[str, Any], reading: Reading | None
                      ) -> tuple[ScoringWeights, Reading]:
    from ..io.scenario import Scenario
    from ..io.settings import Settings
    from .params import with_params

    base = Scenario(name="routing", catalog=catalog, settings=Settings(reading=reading or Reading()))
    s = with_params(base, dict(point)).settings
    return s.weights, s.reading


def tune_routing(
    labelled: Sequence[LabelledRequest],
    catalog: Catalog,
    space: Mapping[str, Any],
    *,
    trials: int = 40,
    k: int = 5,
    seed: int = 0,
    reading: Reading | None = None,
    progress: bool | None = None,
) -> RoutingTuning:
    """Search scoring weights (and reading settings) for routing accuracy, cross-validated.

    Each of the ``k`` folds runs its own search (Optuna's TPE, seeded) on the other folds and scores
    the most accurate trial on the fold: the folds' table puts training and held-out accuracy side by
    side, so overfitting shows as a gap. A last search on every request gives the trials (each with
    the mean cost and duration of the plugins it routes to: :meth:`RoutingTuning.frontier`) and
    :attr:`RoutingTuning.best_params`.

    Parameters:
        labelled: the labelled requests.
        catalog: the plugins.
        space: ``weights.<field>`` or ``reading.<field>`` → a ``(low, high)`` range or a list of choices.
        trials: trials per search (``k + 1`` searches).
        k: folds (2 ≤ k ≤ requests).
        seed: the samplers' seed and the folds' shuffle.
        reading: the reading the space's ``reading.*`` paths change (None: the default).
        progress: show a progress bar (None: for more than 100 trials in all).

    Returns:
        A :class:`RoutingTuning`.

    Raises:
        InputError: a path other than ``weights.*`` or ``reading.*``, or a value the setting refuses.
    """
    import optuna

    from ..common.errors import InputError
    from .executors import progress_bar
    from .params import check_space, suggest

    check_space(space, ranges=True)
    for path, values in space.items():
        if not path.startswith(("weights.", "reading.")):
            raise InputError("routing is tuned over weights.* and reading.* settings only", entry=path,
                             field="params")
        for v in values:
            _routing_settings(catalog, {path: v}, reading)  # refused values fail before any search
    n = len(labelled)
    if not 2 <= k <= n:
        raise InputError(f"k must be between 2 and the number of requests ({n}), got {k}", field="k")
    if trials < 1:
        raise InputError("trials must be >= 1", field="trials")
    order = np.random.default_rng(seed).permutation(n)
    folds = [np.sort(f) for f in np.array_split(order, k)]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cache: dict[tuple, RoutingEvaluation] = {}

    def evaluate(point: Mapping[str, Any]) -> RoutingEvaluation:
        key = tuple(sorted(point.items()))
        if key not in cache:
            weights, read = _routing_settings(catalog, point, reading)
            cache[key] = evaluate_routing(labelled, catalog, weights, read)
        return cache[key]

    def search(rows: np.ndarray, bar: Any) -> list[dict[str, Any]]:
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        out = []
        for _ in range(trials):
            trial = study.ask()
            point = {p: suggest(trial, p, v) for p, v in space.items()}
            t = evaluate(point).table.iloc[rows]
            accuracy = float(t.correct.mean())
            study.tell(trial, accuracy)
            out.append({"trial": trial.number, **point, "accuracy": accuracy,
                        "mean_cost_usd": float(t.cost_usd.mean()),
                        "mean_duration_s": float(t.duration_s.mean())})
            if bar is not None:
                bar.update(1)
        return out

    fold_rows = []
    everything = np.arange(n)
    with progress_bar(trials * (k + 1), progress if progress is not None else trials * (k + 1) > 100,
                      "tune routing", unit="trial") as bar:
        for i, test in enumerate(folds):
            train = np.setdiff1d(everything, test)
            found = _best_trial(pd.DataFrame(search(train, bar)))
            point = {p: plain(found[p]) for p in space}
            held = float(evaluate(point).table.correct.iloc[test].mean())
            fold_rows.append({"fold": i, "train_requests": len(train), "test_requests": len(test),
                              "train_accuracy": float(found.accuracy), "test_accuracy": held,
                              **point})
        final = pd.DataFrame(search(everything, bar))
    return RoutingTuning(folds=pd.DataFrame(fold_rows), trials=final, params=list(space))
