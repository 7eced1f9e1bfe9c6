"""Calibration: a scenario fitted to a gateway's own logs, and how well it predicts logs it never saw.

:func:`calibrate` reads the logs (:func:`simroute.io.logs.read_logs`), splits them in time — the
first ``1 − holdout`` of the span to fit, the rest to check — fits each deployment, writes the
scenario, and runs it against the held-out part's arrivals (:class:`Calibration`). What is fitted,
per deployment, each number with a 95 % interval and the count of rows it rests on (the ``fit``
table):

* **service** (``dist: llm``), from its successful calls: time to first token = ``mean_s +
  per_token_s × input tokens`` by weighted least squares (weights 1/fitted², the noise being a
  share of the mean), ``tpot_s`` = the mean of (latency − TTFT) / output tokens, and ``cv`` from the
  spread of the log residuals of both parts (σ² by its χ² interval; cv = √(e^σ² − 1)). Without
  TTFT in the logs, latency = ``mean_s + per_token_s × input + tpot_s × output`` is fitted the same
  way, and cv from the residuals by moments.
* **failures**: ``failure_p`` (failed attempts / attempts; Wilson interval), each kind's share of
  failures, the error latency (lognormal: mean and cv of fast failures), and for timeouts the
  timeout (the median logged duration of a timed-out call; the hang behind it is not in the logs
  and is set to twice that).
* **quota**: where 429s appear, the minutes that have them: when the calls (or tokens) let through
  in those minutes are steady (cv < :data:`QUOTA_STEADY`), the 429s are a quota and the median of
  those minutes is its ``rpm`` (or ``tpm``); otherwise they are the provider's own and a failure
  kind.
* **routing**: each deployment's share of its group's first attempts (Wilson interval), as its
  ``weight``; ``num_retries`` (the most retries any request made in its first group) and the
  fallbacks (the groups requests moved on to, in order) from the requests' attempts.
* **prices**, from the logged spend when there is one (least squares of spend on tokens).

With a LiteLLM ``config``, the deployments, groups, fallbacks, prices, quotas and router settings
are the config's (:func:`~simroute.io.litellm.import_litellm`) and the logs fill in service and
failures. The workload is the logs' own requests as a trace (``trace.csv``: arrival, group, input
and output tokens of each request).

Validation runs the scenario fitted on the first part against the held-out part's arrivals (at most
``max_validate`` requests; the fitted part's last :data:`WARMUP_S` seconds of arrivals are replayed
first and left out of the comparison, so that quotas, cooldowns and queues start as they were),
``replications`` times, and compares per deployment and in total: the
p50, p95 and p99 latency of successful calls, TTFT p50 and p95, the error rate (failed attempts but
429s, per attempt), the 429 rate and the cost. Observed intervals: order statistics (quantiles),
Wilson (rates), a normal interval of the sum (cost); predicted: Student's t over the replications.
A latency agrees within :data:`LATENCY_TOLERANCE` (10 %), a rate within :data:`RATE_TOLERANCE`
(1 point).

Limits: a deployment needs :data:`MIN_ROWS` successful calls in the fitting part (``min_rows``
lowers it) — fewer is refused in one line, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..common.errors import InputError
from ..io.logs import STATUSES, Logs, read_logs
from ..resilience.failure import RATE_LIMITED, SUCCESS, TIMEOUT
from .routing_quality import wilson
from .sweep import bounds

__all__ = ["calibrate", "fit_logs", "logs_of_run", "requests_of", "trace_csv", "Calibration", "Fitted",
           "MIN_ROWS", "LATENCY_TOLERANCE", "RATE_TOLERANCE", "QUOTA_STEADY", "VALIDATION_METRICS"]

MIN_ROWS = 30  #: successful calls a deployment needs in the fitting part
LATENCY_TOLERANCE = 0.10  #: a predicted latency agrees within this share of the observed one
RATE_TOLERANCE = 0.01  #: a predicted rate agrees within this (1 point)
QUOTA_STEADY = 0.25  #: the cv under which the traffic let through in 429 minutes reads as a quota
MIN_QUOTA_MINUTES = 3  #: minutes with 429s needed to read a quota
Z = 1.959963984540054  #: the 95 % normal quantile
WARMUP_S = 120.0  #: seconds of the fitted part's arrivals replayed before the held-out part

_S = {s: i for i, s in enumerate(STATUSES)}
#: (metric, unit, kind) of the validation table; kind: latency (10 %) or rate (1 point) or money
VALIDATION_METRICS = (("latency p50", "s", "latency"), ("latency p95", "s", "latency"),
                      ("latency p99", "s", "latency"), ("ttft p50", "s", "latency"),
                      ("ttft p95", "s", "latency"), ("error rate", "share of attempts", "rate"),
                      ("429 rate", "share of attempts", "rate"), ("cost", "$", "money"))


# ------------------------------------------------------------------------------------ the fit
class _Rows:
    """The fit table being built: one row per fitted number."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, deployment: str, parameter: str, value: float, low: float, high: float, unit: str,
            rows: int, note: str = "") -> float:
        self.rows.append({"deployment": deployment, "parameter": parameter, "value": value, "low": low,
                          "high": high, "unit": unit, "rows": rows, "note": note})
        return value

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["deployment", "parameter", "value", "low", "high", "unit",
                                                "rows", "note"])


def _share(k: float, n: float) -> tuple[float, float, float]:
    """A share ``k / n`` with its 95 % Wilson interval (:func:`~.routing_quality.wilson`)."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    return (k / n, *wilson(int(k), int(n)))


def _wls(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares of ``y`` on the columns of ``x`` with weights 1/fitted² (the noise a
    share of the mean): coefficients, their covariance and the fitted values."""
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    for _ in range(3):
        fitted = np.maximum(x @ beta, 1e-9)
        w = 1.0 / fitted**2
        xtw = x.T * w
        beta = np.linalg.solve(xtw @ x, xtw @ y)
    fitted = np.maximum(x @ beta, 1e-9)
    w = 1.0 / fitted**2
    resid = y - fitted
    dof = max(len(y) - x.shape[1], 1)
    s2 = float((w * resid**2).sum() / dof)
    cov = s2 * np.linalg.inv((x.T * w) @ x)
    return beta, cov, fitted


def _coef(rows: _Rows, dep: str, name: str, beta: np.ndarray, cov: np.ndarray, i: int, unit: str,
          n: int) -> float:
    se = math.sqrt(max(cov[i, i], 0.0))
    value = max(float(beta[i]), 0.0)
    return rows.add(dep, name, value, max(float(beta[i]) - Z * se, 0.0), float(beta[i]) + Z * se, unit, n)


def _cv_from_logs(resid: np.ndarray) -> tuple[float, float, float]:
    """cv of lognormal noise from log residuals: σ² with its χ² interval, cv = √(e^σ² − 1)."""
    n = len(resid)
    s2 = float(np.var(resid, ddof=1))
    lo = (n - 1) * s2 / stats.chi2.ppf(0.975, n - 1)
    hi = (n - 1) * s2 / stats.chi2.ppf(0.025, n - 1)
    return tuple(math.sqrt(math.expm1(v)) for v in (s2, lo, hi))  # type: ignore[return-value]


def _fit_service(rows: _Rows, dep: str, a: Logs) -> dict[str, Any]:
    ok = a.status == _S[SUCCESS]
    n = int(ok.sum())
    inp, out = a.input_tokens[ok], a.output_tokens[ok]
    latency = (a.end - a.start)[ok]
    ttft = a.ttft[ok]
    has_ttft = np.isfinite(ttft)
    if has_ttft.mean() >= 0.9:  # TTFT logged: fit its two parts apart
        t_in, t_tt = inp[has_ttft], np.maximum(ttft[has_ttft], 1e-6)
        beta, cov, fitted = _wls(np.column_stack([np.ones(len(t_in)), t_in]), t_tt)
        mean = _coef(rows, dep, "mean_s", beta, cov, 0, "s", len(t_in))
        per_token = _coef(rows, dep, "per_token_s", beta, cov, 1, "s/input token", len(t_in))
        dec = has_ttft & (out > 0)
        per = (latency[dec] - ttft[dec]) / out[dec]
        tpot = float(per.mean()) if len(per) else 0.0
        half = Z * float(per.std(ddof=1)) / math.sqrt(len(per)) if len(per) > 1 else math.nan
        rows.add(dep, "tpot_s", tpot, max(tpot - half, 0.0), tpot + half, "s/output token", len(per))
        r1 = np.log(t_tt / fitted)
        r2 = np.log(np.maximum(per, 1e-12) / max(tpot, 1e-12))
        resid = np.concatenate([r1 - r1.mean(), r2 - r2.mean()])  # each part about its own centre
        cv, lo, hi = _cv_from_logs(resid)
        rows.add(dep, "cv", cv, lo, hi, "", len(resid), "of each part (TTFT and decode)")
    else:  # latency only: one regression on input and output tokens, cv by moments
        x = np.column_stack([np.ones(n), inp, out])
        beta, cov, fitted = _wls(x, np.maximum(latency, 1e-6))
        mean = _coef(rows, dep, "mean_s", beta, cov, 0, "s", n)
        per_token = _coef(rows, dep, "per_token_s", beta, cov, 1, "s/input token", n)
        tpot = _coef(rows, dep, "tpot_s", beta, cov, 2, "s/output token", n)
        parts2 = (mean + per_token * inp) ** 2 + (tpot * out) ** 2
        c2 = float(((latency - fitted) ** 2).sum() / max(parts2.sum(), 1e-12))
        dof = max(n - 3, 1)
        lo, hi = c2 * dof / stats.chi2.ppf(0.975, dof), c2 * dof / stats.chi2.ppf(0.025, dof)
        cv = rows.add(dep, "cv", math.sqrt(c2), math.sqrt(lo), math.sqrt(hi), "", n,
                      "by moments: the logs have no TTFT")
    return {"dist": "llm", "mean_s": _round(max(mean, 1e-6)), "per_token_s": _round(per_token),
            "tpot_s": _round(tpot), "cv": _round(cv)}


def _round(v: float) -> float:
    return float(f"{v:.4g}")


def _minutes(a: Logs, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per minute of start: calls let through, their tokens, and the 429s."""
    minute = np.floor(a.start / 60.0).astype(np.int64)
    lo = int(minute.min()) if len(minute) else 0
    idx = minute - lo
    size = int(idx.max()) + 1 if len(idx) else 1
    through = ~mask
    calls = np.bincount(idx[through], minlength=size).astype(float)
    tokens = np.bincount(idx[through], weights=(a.input_tokens + a.output_tokens)[through], minlength=size)
    refused = np.bincount(idx[mask], minlength=size).astype(float)
    return calls, tokens, refused


def _fit_quota(rows: _Rows, dep: str, a: Logs) -> dict[str, float]:
    """rpm or tpm read from the minutes with 429s (see the module docstring); {} if none is steady."""
    limited = a.status == _S[RATE_LIMITED]
    if not limited.any():
        return {}
    calls, tokens, refused = _minutes(a, limited)
    hit = refused > 0
    if hit.sum() < MIN_QUOTA_MINUTES:
        return {}
    best: tuple[float, str, np.ndarray] | None = None
    for name, amount in (("rpm", calls[hit]), ("tpm", tokens[hit])):
        cv = float(amount.std() / amount.mean()) if amount.mean() > 0 else math.inf
        if best is None or cv < best[0]:
            best = (cv, name, amount)
    assert best is not None
    cv, name, amount = best
    if cv >= QUOTA_STEADY:
        return {}
    median = float(np.median(amount))
    k = len(amount)
    half = Z * math.sqrt(k) / 2  # the median's order-statistic interval
    lo_i, hi_i = max(int(k / 2 - half), 0), min(int(math.ceil(k / 2 + half)), k - 1)
    ordered = np.sort(amount)
    unit = "requests/min" if name == "rpm" else "tokens/min"
    rows.add(dep, name, median, float(ordered[lo_i]), float(ordered[hi_i]), unit, k,
             f"a quota: {k} minutes with 429s let through a steady amount (cv {cv:.2f})")
    return {name: _round(median)}


def _fit_failures(rows: _Rows, dep: str, a: Logs, quota: bool) -> tuple[dict[str, Any], float | None]:
    """failure_p and the failure model; and the timeout read from timed-out calls (None: none)."""
    status = a.status
    counted = ~(status == _S[RATE_LIMITED]) if quota else np.ones(len(a), bool)
    failed = counted & (status != _S[SUCCESS])
    n, k = int(counted.sum()), int(failed.sum())
    p, lo, hi = _share(k, n)
    rows.add(dep, "failure_p", p, lo, hi, "share of attempts", n,
             "429s of the quota not counted" if quota else "")
    out: dict[str, Any] = {"failure_p": _round(p)}
    if k == 0:
        return out, None
    kinds: dict[str, float] = {}
    for kind in STATUSES[1:]:
        c = int((failed & (status == _S[kind])).sum())
        if c:
            share, slo, shi = _share(c, k)
            rows.add(dep, f"failure.kinds.{kind}", share, slo, shi, "share of failures", k)
            kinds[kind] = c / k
    failure: dict[str, Any] = {"kinds": {key: _round(v) for key, v in kinds.items()}}
    total = sum(failure["kinds"].values())  # shares rounded: make them sum to 1 exactly
    first = next(iter(failure["kinds"]))
    failure["kinds"][first] = float(f"{failure['kinds'][first] + 1 - total:.6g}")
    duration = a.end - a.start
    fast = failed & (status != _S[TIMEOUT])
    if fast.sum() >= 2:
        d = np.maximum(duration[fast], 1e-6)
        m = float(d.mean())
        half = Z * float(d.std(ddof=1)) / math.sqrt(len(d))
        rows.add(dep, "failure.error_latency.mean_s", m, max(m - half, 0.0), m + half, "s", len(d))
        cv = float(d.std(ddof=1) / m) if m > 0 else 0.0
        failure["error_latency"] = {"dist": "lognormal", "mean_s": _round(max(m, 1e-6)), "cv": _round(cv)}
    timeout = None
    hung = failed & (status == _S[TIMEOUT])
    if hung.any():
        d = duration[hung]
        timeout = float(np.median(d))
        rows.add(dep, "timeout_s", timeout, float(d.min()), float(d.max()), "s", len(d),
                 "the median duration of a timed-out call; the hang behind it is set to twice that")
        failure["hang_s"] = _round(2 * timeout)
    out["failure"] = failure
    return out, timeout


# ----------------------------------------------------------------------------------- requests
def requests_of(a: Logs) -> pd.DataFrame:
    """One row per request: arrival (its first attempt's start), group, input tokens (of the first
    attempt), output tokens (of its successful attempt, else the most any attempt gave), attempts,
    retries in its first group and the groups it went through in order."""
    frame = pd.DataFrame({"request": a.request, "start": a.start, "group": a.group, "input": a.input_tokens,
                          "output": a.output_tokens, "ok": a.status == _S[SUCCESS]})
    g = frame.groupby("request", sort=False)
    first = g.head(1).set_index("request")  # attempts are sorted by start: the first is the arrival
    out_ok = frame[frame["ok"]].groupby("request")["output"].max()
    req = pd.DataFrame({"arrival": first["start"], "group": first["group"], "input_tokens": first["input"]})
    req["output_tokens"] = out_ok.reindex(req.index).fillna(g["output"].max())
    req["attempts"] = g.size()
    same = frame["group"].to_numpy() == req["group"].reindex(frame["request"]).to_numpy()
    req["first_group_attempts"] = pd.Series(same, index=frame.index).groupby(frame["request"]).sum()
    return req.sort_values("arrival", kind="stable")


def _router(a: Logs, req: pd.DataFrame) -> tuple[int, dict[str, list[str]]]:
    """num_retries (most retries in a first group, at most 10) and fallbacks (groups moved on to)."""
    retries = int(min(max(int(req["first_group_attempts"].max()) - 1, 0), 10)) if len(req) else 0
    moved = req.index[req["attempts"] > 1]
    chains: dict[str, dict[str, int]] = {}
    if len(moved):
        sub = pd.DataFrame({"request": a.request, "group": a.group}).set_index("request").loc[moved]
        for _rid, groups in sub.groupby(level=0, sort=False)["group"]:
            seq = list(dict.fromkeys(groups.to_numpy().tolist()))
            for nxt in seq[1:]:
                chain = chains.setdefault(a.groups[seq[0]], {})
                chain[a.groups[nxt]] = chain.get(a.groups[nxt], 0) + 1
    return retries, {g: sorted(c, key=lambda k: -c[k]) for g, c in chains.items()}


def _prices(a: Logs) -> tuple[float, float] | None:
    """(input, output) dollars per token from the logged spend, where there is one."""
    has = np.isfinite(a.spend) & (a.status == _S[SUCCESS])
    if has.sum() < 2:
        return None
    x = np.column_stack([a.input_tokens[has], a.output_tokens[has]])
    coef = np.linalg.lstsq(x, a.spend[has], rcond=None)[0]
    return float(max(coef[0], 0.0)), float(max(coef[1], 0.0))


# ------------------------------------------------------------------------------ the scenario
@dataclass
class Fitted:
    """A fit: the scenario (as the YAML mapping a scenario file holds, its workload the trace
    ``trace.csv`` beside it) and the fit table (one row per fitted number)."""
    scenario: dict[str, Any]
    fit: pd.DataFrame
    requests: pd.DataFrame


def fit_logs(a: Logs, *, config: str | Path | None = None, min_rows: int = MIN_ROWS,
             name: str = "calibrated") -> Fitted:
    """Fit a scenario to logged attempts (see the module docstring).

    Parameters:
        a: the attempts (all of them, or the fitting part).
        config: a LiteLLM config whose deployments, groups, fallbacks, prices, quotas and router
            settings to keep (None: read them from the logs).
        min_rows: successful calls a deployment needs.
        name: the scenario's name.

    Returns:
        A :class:`Fitted`.

    Raises:
        InputError: a deployment with fewer than ``min_rows`` successful calls, or (with ``config``)
            a deployment of the logs the config does not have.
    """
    rows = _Rows()
    req = requests_of(a)
    retries, fallbacks = _router(a, req)
    base: dict[str, Any] = {}
    known: dict[str, dict[str, Any]] = {}
    if config is not None:
        from ..io.litellm import import_litellm

        base = import_litellm(config).scenario
        known = {d["name"]: d for d in base["model_groups"]["deployments"]}
        for dep in a.deployments:
            if dep not in known:
                raise InputError(f"deployment {dep!r} of the logs is not in the config (its deployments: "
                                 f"{', '.join(known)}; the logs' deployment is the config's model_info.id)",
                                 file=a.file, field="deployment")
    prices = _prices(a)
    deployments = []
    first_mask = np.zeros(len(a), bool)  # each request's first attempt (attempts are sorted by start)
    first_mask[np.unique(a.request, return_index=True)[1]] = True
    timeouts: list[float] = []
    for d, dep in enumerate(a.deployments):
        mine = a.deployment == d
        sub = a.take(mine)
        ok = int((sub.status == _S[SUCCESS]).sum())
        if ok < min_rows:
            raise InputError(f"deployment {dep!r} has {ok} successful calls in the part fitted: at least "
                             f"{min_rows} are needed to fit its service (give more logs, or min_rows / "
                             "--min-rows lowers the bar)", file=a.file, field="deployment")
        group = a.groups[int(np.bincount(sub.group).argmax())]
        entry: dict[str, Any] = dict(known[dep]) if config is not None else {"name": dep, "group": group}
        entry["service"] = {"default": _fit_service(rows, dep, sub)}
        # a quota: the config's own, else one read from the 429s; its 429s are not failures
        quota = ({k: entry[k] for k in ("rpm", "tpm") if entry.get(k)} if config is not None
                 else _fit_quota(rows, dep, sub))
        failures, timeout = _fit_failures(rows, dep, sub, quota=bool(quota))
        entry.update(failures, **quota)
        if timeout is not None:
            entry["timeout_s"] = _round(timeout)
            timeouts.append(timeout)
        in_group = first_mask & (a.group == a.groups.index(group))
        picks, total = int((in_group & mine).sum()), int(in_group.sum())
        share, lo, hi = _share(picks, total)
        rows.add(dep, "weight", share, lo, hi, f"share of {group}'s first attempts", total)
        if config is None:
            entry["weight"] = _round(max(share, 1e-6))
            if prices is not None:
                entry["input_cost_per_token"], entry["output_cost_per_token"] = (_round(p) for p in prices)
        deployments.append(entry)
    if config is not None:
        scenario = dict(base)
        scenario["model_groups"] = {**base["model_groups"], "deployments": deployments
                                    + [d for d in base["model_groups"]["deployments"]
                                       if d["name"] not in a.deployments]}
        settings = dict(scenario.get("settings") or {})
    else:
        scenario = {"model_groups": {"deployments": deployments}}
        if fallbacks:
            scenario["model_groups"]["fallbacks"] = fallbacks
        settings = {"breaker": {"enabled": False}, "router": {"num_retries": retries},
                    "timeout": {"attempt": _round(max(timeouts) * 1.5) if timeouts else 6000.0}}
        rows.add("(router)", "num_retries", retries, retries, retries, "retries", len(req),
                 "the most retries a request made in its first group")
    latency = a.end - a.start
    ok = a.status == _S[SUCCESS]
    goal = float(np.quantile(latency[ok], 0.95)) if ok.any() else 30.0
    settings["slo"] = {"latency": _round(goal)}
    scenario = {"name": name, "settings": settings, **{k: v for k, v in scenario.items()
                                                        if k not in ("name", "settings", "workload")}}
    share = req["group"].value_counts(normalize=True, sort=False)
    scenario["workload"] = {
        "kind": "trace", "trace": "trace.csv", "trace_format": "simroute", "requests": None,
        "mix": [{"group": a.groups[int(g)], "weight": _round(float(w))} for g, w in share.items()]}
    scenario.pop("faults", None)
    return Fitted(scenario=scenario, fit=rows.frame(), requests=req)


def logs_of_run(attempts: pd.DataFrame, requests: pd.DataFrame, groups: dict[str, str]) -> pd.DataFrame:
    """A run's calls as a gateway would log them (the ``csv`` format's columns): each call made —
    not refused before it, not a cancelled hedge — from the moment it was sent (``queued``); the
    time to first token of a success from its request's.

    Parameters:
        attempts: a run's attempts table; requests: its requests table.
        groups: deployment → model group.

    Returns:
        One row per call: start, end, deployment, group, status, input_tokens, output_tokens, ttft,
        request_id.
    """
    att = attempts[attempts["outcome"].isin(STATUSES)]
    req = requests.set_index("request_id").reindex(att["request_id"])
    ok = (att["outcome"] == SUCCESS).to_numpy()
    first = (req["arrival"] + req["ttft"]).to_numpy(float) - att["queued"].to_numpy(float)
    billed = ok | (att["outcome"] == TIMEOUT).to_numpy()
    return pd.DataFrame({
        "start": att["queued"].to_numpy(float), "end": att["end"].to_numpy(float),
        "deployment": att["plugin"].to_numpy(object), "group": att["plugin"].map(groups).to_numpy(object),
        "status": att["outcome"].to_numpy(object),
        "input_tokens": req["context_tokens"].fillna(0).round().astype(int).to_numpy(),
        "output_tokens": np.where(billed, req["generated_tokens"].fillna(0).round(), 0).astype(int),
        "ttft": np.where(ok, first, np.nan),
        "request_id": att["request_id"].map(lambda r: f"req-{r}").to_numpy(object)})


def trace_csv(req: pd.DataFrame, groups: tuple[str, ...], origin: float = 0.0) -> str:
    """The requests as a simroute trace (``time,group,context_tokens,generated_tokens``)."""
    frame = pd.DataFrame({"time": (req["arrival"] - origin).round(6),
                          "group": np.asarray(groups, object)[req["group"].to_numpy(int)],
                          "context_tokens": req["input_tokens"].round(0).astype(int),
                          "generated_tokens": req["output_tokens"].round(0).astype(int)})
    return frame.to_csv(index=False, lineterminator="\n")


# ----------------------------------------------------------------------------- validation
def _quantile_ci(x: np.ndarray, q: float) -> tuple[float, float, float]:
    n = len(x)
    if n == 0:
        return math.nan, math.nan, math.nan
    s = np.sort(x)
    half = Z * math.sqrt(n * q * (1 - q))
    lo, hi = int(max(math.floor(n * q - half), 0)), int(min(math.ceil(n * q + half), n - 1))
    return float(np.quantile(s, q)), float(s[lo]), float(s[hi])


def _observed(lat: np.ndarray, ttft: np.ndarray, status: np.ndarray, cost: np.ndarray
              ) -> dict[str, tuple[float, float, float, int]]:
    ok = status == _S[SUCCESS]
    out: dict[str, tuple[float, float, float, int]] = {}
    for q in (50, 95, 99):
        out[f"latency p{q}"] = (*_quantile_ci(lat[ok], q / 100), int(ok.sum()))
    tt = ttft[ok & np.isfinite(ttft)]
    for q in (50, 95):
        out[f"ttft p{q}"] = (*_quantile_ci(tt, q / 100), len(tt))
    n = len(status)
    err = int(((status != _S[SUCCESS]) & (status != _S[RATE_LIMITED])).sum())
    out["error rate"] = (*_share(err, n), n)
    out["429 rate"] = (*_share(int((status == _S[RATE_LIMITED]).sum()), n), n)
    total = float(cost.sum())
    half = Z * math.sqrt(float((cost**2).sum()))
    out["cost"] = (total, max(total - half, 0.0), total + half, n)
    return out


def _t_interval(values: list[float]) -> tuple[float, float, float]:
    """The replications' mean with its Student's t interval (:func:`~.sweep.bounds`; NaN ends
    with fewer than two)."""
    v = np.asarray([x for x in values if np.isfinite(x)], float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    low, high = bounds(m, v.std(ddof=1) if len(v) > 1 else math.nan, len(v), "t")
    return m, float(low[0]), float(high[0])


@dataclass
class Calibration:
    """A calibration: the fitted scenario, the fit, and its check against held-out logs.

    Parameters:
        fitted: the scenario fitted on the whole log (what ``scenario.yaml`` holds).
        validation: per scope (a deployment or ``all``) and metric: observed and predicted, each
            with its interval, the difference and whether it agrees (:data:`VALIDATION_METRICS`).
        qq: latency quantiles of successful calls, observed and predicted (p = 1 … 99 %).
        facts: what was read and split (rows, requests, span, split time …).
        trace: the fitted scenario's trace (CSV text).
    """
    fitted: Fitted
    validation: pd.DataFrame
    qq: pd.DataFrame
    facts: dict[str, Any] = field(default_factory=dict)
    trace: str = ""

    @property
    def scenario(self) -> dict[str, Any]:
        return self.fitted.scenario

    @property
    def fit(self) -> pd.DataFrame:
        return self.fitted.fit

    def agreement(self) -> str:
        """One line: how many of the latency and rate comparisons agree, and the worst."""
        v = self.validation[self.validation["kind"] != "money"].dropna(subset=["agrees"])
        if v.empty:
            return "nothing to compare: the held-out part has no calls"
        bad = v[~v["agrees"].astype(bool)]
        head = f"{int(v['agrees'].sum())} of {len(v)} predictions agree with the held-out logs"
        if bad.empty:
            return head + " (latency within 10 %, rates within 1 point)"
        worst = bad.iloc[0]
        if worst["kind"] == "rate":
            said = f"predicted {worst['predicted']:.2%}, observed {worst['observed']:.2%} of attempts"
        else:
            unit = worst["unit"]
            said = f"predicted {worst['predicted']:.3g} {unit}, observed {worst['observed']:.3g} {unit}"
        return head + f"; e.g. {worst['scope']} {worst['metric']}: {said}"


def _simulate(scenario: dict[str, Any], trace_text: str, requests: int, replications: int, seed: int,
              workdir: Path) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    from ..io.scenario import Scenario
    from .run import run

    (workdir / "trace.csv").write_text(trace_text, encoding="utf-8")
    spec = {**scenario, "workload": {**scenario["workload"], "requests": requests}}
    sc = Scenario.from_dict(spec, source=str(workdir / "scenario.yaml"))
    runs = []
    for r in range(replications):
        res = run(sc, seed=seed + r)
        runs.append((res.attempts, res.requests))
    return runs


def _held_out(runs: list[tuple[pd.DataFrame, pd.DataFrame]], t0: float
              ) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """The runs' attempts and requests of the requests that arrived from ``t0`` on (the warm-up's
    left out)."""
    out = []
    for att, req in runs:
        kept = req[req["arrival"] >= t0 - 1e-9]
        out.append((att[att["request_id"].isin(kept["request_id"])], kept))
    return out


def _predicted(runs: list[tuple[pd.DataFrame, pd.DataFrame]], deployment: str | None
               ) -> dict[str, tuple[float, float, float]]:
    per: dict[str, list[float]] = {m: [] for m, _, _ in VALIDATION_METRICS}
    for att, req in runs:
        att = att[att["outcome"].isin(STATUSES)]  # calls made (not refused before, not cancelled)
        if deployment is not None:
            att = att[att["plugin"] == deployment]
        ok = att[att["outcome"] == SUCCESS]
        lat = (ok["end"] - ok["queued"]).to_numpy(float)
        by_id = req.set_index("request_id")
        first = (by_id["arrival"] + by_id["ttft"]).reindex(ok["request_id"]).to_numpy(float)
        ttft = first - ok["queued"].to_numpy(float)
        ttft = ttft[np.isfinite(ttft)]
        for q in (50, 95, 99):
            per[f"latency p{q}"].append(float(np.quantile(lat, q / 100)) if len(lat) else math.nan)
        for q in (50, 95):
            per[f"ttft p{q}"].append(float(np.quantile(ttft, q / 100)) if len(ttft) else math.nan)
        n = len(att)
        failed = ~att["outcome"].isin((SUCCESS, RATE_LIMITED))
        per["error rate"].append(float(failed.sum() / n) if n else 0.0)
        per["429 rate"].append(float((att["outcome"] == RATE_LIMITED).sum() / n) if n else 0.0)
        per["cost"].append(float(att["cost"].sum()))
    return {m: _t_interval(v) for m, v in per.items()}


def _validate(a: Logs, in_first: np.ndarray, fitted: Fitted, held_requests: pd.DataFrame, *,
              requests: int, replications: int, seed: int, workdir: Path,
              prices: dict[str, tuple[float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the held-out requests (after :data:`WARMUP_S` of the fitted part's last arrivals, so
    that quotas and cooldowns start as they were) and compare them with the held-out logs.
    ``fitted`` is the fit of the first part (its requests table is that part's)."""
    req = held_requests.iloc[:requests]
    held = a.take(~in_first & np.isin(a.request, req.index.to_numpy(np.uint64)))
    t0 = float(req["arrival"].iloc[0])
    before = fitted.requests
    warm = before[before["arrival"] >= t0 - WARMUP_S]
    replayed = pd.concat([warm, req])
    origin = float(replayed["arrival"].iloc[0])
    runs = _simulate(fitted.scenario, trace_csv(replayed, a.groups, origin), len(replayed), replications,
                     seed, workdir)
    runs = _held_out(runs, t0 - origin)
    lat = held.end - held.start
    cost = np.zeros(len(held))
    for d, name in enumerate(held.deployments):
        p_in, p_out = prices.get(name, (0.0, 0.0))
        mine = (held.deployment == d) & (held.status == _S[SUCCESS])
        cost[mine] = held.input_tokens[mine] * p_in + held.output_tokens[mine] * p_out
    cost = np.where(np.isfinite(held.spend), held.spend, cost)
    table = []
    scopes: list[tuple[str, np.ndarray, str | None]] = [("all", np.ones(len(held), bool), None)]
    scopes += [(name, held.deployment == d, name) for d, name in enumerate(held.deployments)]
    kinds = {m: (u, k) for m, u, k in VALIDATION_METRICS}
    for scope, mask, dep in scopes:
        obs = _observed(lat[mask], held.ttft[mask], held.status[mask], cost[mask])
        pred = _predicted(runs, dep)
        for metric, (value, lo, hi, n) in obs.items():
            unit, kind = kinds[metric]
            p, plo, phi = pred[metric]
            if kind == "latency":
                agrees = abs(p - value) <= LATENCY_TOLERANCE * value if np.isfinite(p) and n else None
            elif kind == "rate":
                agrees = abs(p - value) <= RATE_TOLERANCE if n else None
            else:
                agrees = None
            table.append({"scope": scope, "metric": metric, "unit": unit, "kind": kind, "observed": value,
                          "observed_low": lo, "observed_high": hi, "predicted": p, "predicted_low": plo,
                          "predicted_high": phi, "difference": p - value, "agrees": agrees, "rows": n})
    qs = np.arange(1, 100) / 100
    sim = np.concatenate([(a.loc[a["outcome"] == SUCCESS, "end"] - a.loc[a["outcome"] == SUCCESS, "queued"])
                          .to_numpy(float) for a, _ in runs])
    ok = held.status == _S[SUCCESS]
    qq = pd.DataFrame({"p": qs, "observed": np.quantile(lat[ok], qs) if ok.any() else np.nan,
                       "predicted": np.quantile(sim, qs) if len(sim) else np.nan})
    return pd.DataFrame(table), qq


def calibrate(logs: str | Path | Logs, fmt: str = "csv", *, config: str | Path | None = None,
              holdout: float = 0.3, replications: int = 5, seed: int = 0, min_rows: int = MIN_ROWS,
              max_validate: int = 20_000, workdir: str | Path | None = None,
              progress: Callable[[str], None] | None = None) -> Calibration:
    """Fit a scenario to a gateway's logs and check it on the part held out (module docstring).

    Parameters:
        logs: the log file (or logs already read by :func:`~simroute.io.logs.read_logs`).
        fmt: ``csv``, ``otel`` or ``litellm``.
        config: a LiteLLM config to keep the router of (None: read it from the logs).
        holdout: the share of the logs' time span held out, at the end (0 < holdout < 1).
        replications: simulation runs of the held-out part.
        seed: the first run's seed.
        min_rows: successful calls a deployment needs (in the fitting part).
        max_validate: held-out requests simulated, at most (the first ones).
        workdir: where the validation's trace is written (None: a temporary folder).
        progress: called with a line as each stage starts.

    Returns:
        A :class:`Calibration`.

    Raises:
        InputError: bad logs (file, line, column), a bad argument, too few rows in a deployment.
    """
    import tempfile

    say = progress or (lambda _line: None)
    if not (0 < holdout < 1):
        raise InputError(f"holdout must be a share between 0 and 1 (exclusive), got {holdout!r}",
                         field="holdout")
    if replications < 2:
        raise InputError(f"replications must be at least 2 (an interval needs two), got {replications}",
                         field="replications")
    if max_validate < 1:
        raise InputError(f"max_validate must be at least 1, got {max_validate}", field="max_validate")
    if isinstance(logs, Logs):
        a = logs
    else:
        say(f"reading {logs} ({fmt})")
        a = read_logs(logs, fmt)
    say(f"fitting {len(a):,} attempts of {len(a.deployments)} deployments")
    whole = fit_logs(a, config=config, min_rows=min_rows)
    req = whole.requests
    span = float(req["arrival"].iloc[-1]) if len(req) else 0.0
    split = span * (1 - holdout)
    early = (req["arrival"] <= split).to_numpy()
    in_first = np.isin(a.request, req.index[early].to_numpy(np.uint64))
    if in_first.all() or not in_first.any():
        raise InputError(f"the logs span {span:.3g} s: too short to hold {holdout:.0%} out (every request "
                         "arrives on one side of the split)", file=a.file)
    say(f"fitting the first {1 - holdout:.0%} ({int(in_first.sum()):,} attempts) for the check")
    part = fit_logs(a.take(in_first), config=config, min_rows=min_rows)
    prices = {d["name"]: (float(d.get("input_cost_per_token", 0.0)),
                          float(d.get("output_cost_per_token", 0.0)))
              for d in part.scenario["model_groups"]["deployments"]}
    say(f"simulating the held-out {holdout:.0%} ({replications} replications)")
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(workdir) if workdir is not None else Path(tmp)
        validation, qq = _validate(a, in_first, part, req[~early], requests=max_validate,
                                   replications=replications, seed=seed, workdir=where, prices=prices)
    facts = {"file": a.file, "format": a.fmt, "attempts": len(a), "requests": len(req),
             "deployments": len(a.deployments), "groups": len(a.groups), "span_s": span,
             "split_s": split, "holdout": holdout, "fit_attempts": int(in_first.sum()),
             "held_out_attempts": int((~in_first).sum()), "replications": replications, "seed": seed,
             "max_validate": max_validate, "config": str(config) if config is not None else None}
    return Calibration(fitted=whole, validation=validation, qq=qq, facts=facts,
                       trace=trace_csv(req, a.groups))
