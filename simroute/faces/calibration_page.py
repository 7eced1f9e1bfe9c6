"""The calibration's output folder: the fitted scenario, its trace, the fit, and the page that says
how well it predicts the logs held out.

:func:`calibrate` is ``sr.calibrate``: :func:`simroute.experiments.calibrate.calibrate` and, with
``out``, the folder (written atomically, :mod:`simroute.io.outputs`):

* ``scenario.yaml`` — the fitted scenario (it validates and runs: ``simroute run DIR/scenario.yaml``);
* ``trace.csv`` — its workload: the logs' requests (arrival, group, input and output tokens);
* ``fit.csv`` — every fitted number with its 95 % interval, unit and the rows it rests on;
* ``validation.csv`` — predicted against observed on the held-out part, per deployment and in
  total; ``qq.csv`` — latency quantiles, observed and predicted;
* ``index.html`` — all of it on one page, with a QQ plot of latencies.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..experiments.calibrate import LATENCY_TOLERANCE, RATE_TOLERANCE, Calibration
from ..experiments.calibrate import calibrate as _calibrate
from .report_format import html_table, png
from .report_page import CSS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["calibrate", "write", "render", "qq_figure", "scenario_yaml"]


def scenario_yaml(cal: Calibration) -> str:
    """The fitted scenario as YAML, with a header saying where it came from."""
    import yaml

    f = cal.facts
    head = [f"# A simroute scenario calibrated from {f.get('file')} ({f.get('format')}, "
            f"{f.get('attempts'):,} attempts) by `simroute calibrate`.",
            "# fit.csv holds every fitted number with its interval; index.html how well it predicts",
            "# the part of the logs held out. The workload replays the logs' requests (trace.csv)."]
    return "\n".join(head) + "\n" + yaml.safe_dump(cal.scenario, sort_keys=False, allow_unicode=True)


def qq_figure(cal: Calibration) -> Figure:
    """Observed against predicted latency quantiles of successful calls (held-out part), log axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.6, 5.0), layout="constrained")
    ax = fig.add_subplot()
    qq = cal.qq.dropna()
    if not qq.empty:
        ax.loglog(qq["observed"], qq["predicted"], "o", ms=3.5, label="quantiles p1 … p99")
        lo = float(min(qq["observed"].min(), qq["predicted"].min()))
        hi = float(max(qq["observed"].max(), qq["predicted"].max()))
        ax.plot([lo, hi], [lo, hi], color="0.4", lw=1, label="predicted = observed")
        for p in (0.5, 0.95, 0.99):
            row = qq.iloc[(qq["p"] - p).abs().argmin()]
            ax.annotate(f"p{round(p * 100)}", (row["observed"], row["predicted"]), textcoords="offset points",
                        xytext=(6, -10), fontsize=8)
        ax.legend(loc="upper left", fontsize=8)
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("observed latency (s)")
    ax.set_ylabel("predicted latency (s)")
    ax.set_title("Latency of successful calls, held-out part")
    return fig


def _fit_table(cal: Calibration) -> pd.DataFrame:
    fit = cal.fit.copy()
    fit["value"] = [f"{v:.4g}" for v in fit["value"]]
    fit["95 % interval"] = [f"{lo:.4g} – {hi:.4g}" if math.isfinite(lo) and math.isfinite(hi) else "—"
                            for lo, hi in zip(cal.fit["low"], cal.fit["high"], strict=True)]
    return fit[["deployment", "parameter", "value", "95 % interval", "unit", "rows", "note"]]


def _validation_table(cal: Calibration) -> pd.DataFrame:
    v = cal.validation
    out = pd.DataFrame({"scope": v["scope"], "metric": v["metric"], "unit": v["unit"]})

    def cell(value: float, lo: float, hi: float) -> str:
        if not math.isfinite(value):
            return "—"
        text = f"{value:.4g}"
        return text + (f" ({lo:.4g} – {hi:.4g})" if math.isfinite(lo) and math.isfinite(hi) else "")

    out["observed (95 % interval)"] = [cell(*r) for r in zip(v["observed"], v["observed_low"],
                                                              v["observed_high"], strict=True)]
    out["predicted (95 % interval)"] = [cell(*r) for r in zip(v["predicted"], v["predicted_low"],
                                                               v["predicted_high"], strict=True)]
    out["agrees"] = ["—" if a is None or a != a else ("yes" if a else "no") for a in v["agrees"]]
    out["rows"] = v["rows"]
    return out


def render(cal: Calibration) -> str:
    """The page (one HTML file, figures inline)."""
    f = cal.facts
    has_prices = any(float(d.get("input_cost_per_token", 0) or 0) > 0
                     or float(d.get("output_cost_per_token", 0) or 0) > 0
                     for d in cal.scenario["model_groups"]["deployments"])
    price_words = ("" if has_prices else "<p>The logs carry no prices and no config was given: costs are "
                   "$0 here (give <code>--config</code> with the deployments' prices).</p>")
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>simroute calibration</title>"
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Calibration from your logs</h1>"
        f"<p>{html.escape(str(f['file']))} ({html.escape(str(f['format']))}): {f['attempts']:,} attempts of "
        f"{f['requests']:,} requests over {f['span_s']:,.0f} s, {f['deployments']} deployments in "
        f"{f['groups']} model groups. Fitted on the first {1 - f['holdout']:.0%} of the time span "
        f"({f['fit_attempts']:,} attempts, up to {f['split_s']:,.0f} s); checked against the last "
        f"{f['holdout']:.0%} ({f['held_out_attempts']:,} attempts, at most {f['max_validate']:,} requests "
        f"simulated, {f['replications']} replications from seed {f['seed']}).</p></header>",
        f"<p class='decision'><b>{html.escape(cal.agreement())}.</b> A latency agrees when the prediction "
        f"is within {LATENCY_TOLERANCE:.0%} of the observed value; a rate when within "
        f"{RATE_TOLERANCE * 100:g} point. An observed interval is the sampling noise of the held-out "
        "logs: where it is wider than the tolerance, the logs cannot tell.</p>",
        price_words,
        "<h2>Predicted against held-out logs</h2>", html_table(_validation_table(cal)),
    ]
    fig = qq_figure(cal)
    parts.append(f"<figure><img alt='QQ plot of latencies' src='data:image/png;base64,{png(fig)}'>"
                 "<figcaption>Each point is one quantile (p1 … p99) of the latency of successful calls: "
                 "observed in the held-out logs (x) and predicted by the scenario fitted on the rest (y). "
                 "On the line, the model predicts that quantile exactly.</figcaption></figure>")
    parts += ["<h2>What was fitted</h2>",
              "<p>Per deployment: the token-aware service model (time to first token = mean_s + "
              "per_token_s × input tokens; then tpot_s per output token; each part lognormal with cv), "
              "the failures (failure_p, each kind's share, error latency, timeout), a quota where 429s "
              "show a steady ceiling, and the share of its group's first attempts (weight). Fitted on the "
              "whole log; scenario.yaml holds them.</p>",
              html_table(_fit_table(cal)),
              "<footer>simroute calibrate · scenario.yaml, trace.csv, fit.csv, validation.csv, qq.csv "
              "beside this page</footer></body></html>"]
    return "\n".join(parts)


def write(cal: Calibration, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the folder (module docstring), atomically: on an error nothing of it remains.

    Parameters:
        cal: the calibration.
        out: the folder.
        overwrite: replace a folder that holds files simroute did not write.

    Returns:
        The folder.
    """
    from ..io.outputs import output_folder
    from ..io.scenario import Scenario

    with output_folder(out, command="calibrate", overwrite=overwrite, logs=cal.facts["file"],
                       format=cal.facts["format"], seed=cal.facts["seed"]) as folder:
        (folder / "trace.csv").write_text(cal.trace, encoding="utf-8")
        (folder / "scenario.yaml").write_text(scenario_yaml(cal), encoding="utf-8")
        Scenario.from_yaml(folder / "scenario.yaml")  # it validates, or nothing is written
        cal.fit.to_csv(folder / "fit.csv", index=False, lineterminator="\n")
        cal.validation.to_csv(folder / "validation.csv", index=False, lineterminator="\n")
        cal.qq.to_csv(folder / "qq.csv", index=False, lineterminator="\n")
        (folder / "index.html").write_text(render(cal), encoding="utf-8")
    return Path(out)


def calibrate(logs: Any, fmt: str = "csv", *, out: str | Path | None = None, overwrite: bool = False,
              **options: Any) -> Calibration:
    """Fit a scenario to a gateway's logs and check it on the part held out; with ``out``, write the
    folder (module docstring). Options are those of
    :func:`simroute.experiments.calibrate.calibrate` (``config``, ``holdout``, ``replications``,
    ``seed``, ``min_rows``, ``max_validate``, ``progress``).

    Parameters:
        logs: the log file, or logs read by :func:`simroute.io.logs.read_logs`.
        fmt: ``csv``, ``otel`` or ``litellm``.
        out: the output folder (None: write nothing).
        overwrite: replace a folder that holds files simroute did not write.
        options: passed on to :func:`simroute.experiments.calibrate.calibrate`.

    Returns:
        The :class:`~simroute.experiments.calibrate.Calibration`.
    """
    from ..io.outputs import claim_output

    with claim_output(out, overwrite):  # a bad target is refused before any work, and held
        cal = _calibrate(logs, fmt, **options)
        if out is not None:
            write(cal, out, overwrite=overwrite)
    return cal
