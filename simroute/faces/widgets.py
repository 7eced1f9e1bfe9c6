"""ipywidgets panels for the three everyday tuning jobs (import in a notebook; needs a kernel).

* :class:`ScoringPanel` — scoring weights: the ranking of a request's candidate plugins and the
  routing shares of a small simulation change as the sliders move;
* :class:`BreakerPanel` — breaker, retry and timeout settings under an outage that refuses fast
  or hangs: the breaker's timeline, success rate, p95 latency, attempts and timeouts per request;
* :class:`BudgetPanel` — budget and model-tier prices: the optimized plan (cost, duration, what
  changed), and a small simulation's rejection rate and cost per request.

Each panel is displayed by evaluating it (``panel`` as a cell's last line, or ``display(panel)``).
Every change re-runs a small simulation (``requests``, default 1,000) and redraws; ``update()``
does the same by hand and returns the numbers it drew, which is how the tests drive them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ..experiments.params import with_params
from ..experiments.run import run
from ..io.scenario import Scenario
from ..policies.classify import classify
from ..policies.cost import optimize_cost
from ..policies.plan import Plan
from ..policies.scoring import ScoringWeights, score_plugins
from . import plots

__all__ = ["ScoringPanel", "BreakerPanel", "BudgetPanel"]


def _small(scenario: Scenario, requests: int) -> Scenario:
    return with_params(scenario, {"workload.requests": requests})


class _Panel:
    """Sliders on the left, a figure and numbers on the right; redraws on every change."""

    def __init__(self, controls: list[W.Widget], seed: int) -> None:
        self.seed = seed
        self.controls = controls
        self.out = W.Output()
        self.numbers = W.HTML()
        for c in controls:
            c.observe(lambda _change: self.update(), names="value")
        self.widget = W.HBox([W.VBox(controls, layout=W.Layout(width="320px")),
                              W.VBox([self.numbers, self.out])])
        self.last: dict[str, Any] = {}
        self.figure: Any = None  #: the last figure drawn

    def update(self) -> dict[str, Any]:
        """Re-run the small simulation and redraw; the numbers drawn (each panel says which)."""
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        self.update()
        bundle = dict(self.widget._repr_mimebundle_() or {})
        if self.figure is not None:  # where no kernel runs (a rendered page), the panel as it is now
            import base64
            import io

            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", dpi=80)
            bundle["image/png"] = base64.b64encode(buffer.getvalue()).decode("ascii")
        bundle["text/plain"] = (f"{type(self).__name__}: a live panel (run the cell in Jupyter); the picture "
                                "shows its current state")
        display(bundle, raw=True)

    def _draw(self, fig) -> None:
        self.figure = fig  # (pictured only when the panel is displayed: _ipython_display_)
        with self.out:
            self.out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    def _show(self, numbers: dict[str, Any]) -> None:
        cells = "".join(f"<tr><td>{k}</td><td><b>{v}</b></td></tr>" for k, v in numbers.items())
        self.numbers.value = f"<table>{cells}</table>"


def _slider(name: str, value: float, lo: float, hi: float, step: float, integer: bool = False):
    cls = W.IntSlider if integer else W.FloatSlider
    return cls(value=value, min=lo, max=hi, step=step, description=name, continuous_update=False,
               style={"description_width": "120px"})


class ScoringPanel(_Panel):
    """Scoring weights → candidate ranking for one request and routing shares over the mix."""

    def __init__(self, scenario: Scenario | None = None, *, requests: int = 1000, seed: int = 0) -> None:
        self.scenario = _small(scenario or Scenario.default(), requests)
        w = self.scenario.settings.weights
        self.sliders = {f: _slider(f, getattr(w, f), 0, 90, 1) for f in
                        ("domain", "context", "pattern", "keyword", "plugin_keyword", "description")}
        self.sliders["priority_power"] = _slider("priority_power", w.priority_power, 0, 1, 0.1)
        texts = list(dict.fromkeys(m.text for m in self.scenario.workload.mix if m.saga is None))
        self.request = W.Dropdown(options=texts, value=texts[0], description="request",
                                  layout=W.Layout(width="310px"))
        super().__init__([self.request, *self.sliders.values()], seed)

    def weights(self) -> ScoringWeights:
        w = self.scenario.settings.weights
        values: dict[str, Any] = {k: float(s.value) for k, s in self.sliders.items()}
        return replace(w, **values)

    def update(self) -> dict[str, Any]:
        weights = self.weights()
        sc = self.scenario.replace(settings=replace(self.scenario.settings, weights=weights))
        c = classify(self.request.value, sc.catalog, sc.settings.reading)
        ranking = score_plugins(c, sc.catalog, weights)
        r = run(sc, seed=self.seed)
        routed = r.requests[r.requests.saga == ""]
        shares = routed.primary.replace("", "(rejected)").value_counts(normalize=True)
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.2), layout="constrained")
        plots.score_breakdown(ranking, top=5, ax=a, title="Ranking for the request")
        shares.sort_values().plot.barh(ax=b)
        b.set_xlabel("share of routed requests")
        b.set_title(f"Primary plugin, {len(routed)} simulated requests")
        self._draw(fig)
        self.last = {"ranking": [s.name for s in ranking[:5]], "shares": shares.round(4).to_dict(),
                     "success_rate": float(r.summary().set_index("metric").value["success_rate"])}
        self._show({"top plugin": self.last["ranking"][0] if ranking else "—",
                    "success rate": f"{self.last['success_rate']:.1%}"})
        return self.last


class BreakerPanel(_Panel):
    """Breaker, retry and timeout settings → the breaker's timeline and the outcome under an
    outage, which refuses calls fast (``error``) or hangs them (``timeout``)."""

    def __init__(self, scenario: Scenario | None = None, *, plugin: str = "ahling-command-center",
                 requests: int = 1000, outage: tuple[float, float] | None = None, seed: int = 0) -> None:
        from ..io.scenario import Fault

        base = _small(scenario or Scenario.default(), requests)
        if outage is None:  # two hours, 30 % into the run's expected span
            start = round(0.3 * requests / base.workload.rate)
            outage = (start, start + 7200)
        self.plugin = plugin
        self.scenario = base.replace(faults=(Fault(plugin=plugin, kind="outage", start=outage[0],
                                                   end=outage[1]),))
        b, rt = self.scenario.settings.breaker, self.scenario.settings.retry
        timeout = self.scenario.settings.timeout.attempt or 3600.0
        self.sliders = {
            "breaker.failure_threshold": _slider("failure threshold", b.failure_threshold, 1, 20, 1, True),
            "breaker.open_timeout": _slider("open timeout (s)", b.open_timeout, 5, 600, 5),
            "breaker.success_threshold": _slider("success threshold", b.success_threshold, 1, 10, 1, True),
            "retry.max_retries": _slider("max retries", rt.max_retries, 0, 6, 1, True),
            "timeout.attempt": _slider("attempt timeout (s)", timeout, 60, 7200, 60),
        }
        self.kind = W.Dropdown(options=[("refuses fast (error)", "error"), ("hangs (timeout)", "timeout")],
                               value="error", description="outage")
        self.enabled = W.Checkbox(value=b.enabled, description="breakers on")
        # a budget that acts at a panel's arrival rate: retries at most 20 % of the last hour's
        # requests, no floor (the default budget's floor of 10 retries per 10 s never binds at a few
        # requests an hour)
        self.budget = W.Checkbox(value=False, description="retries ≤ 20 % of the hour's requests")
        super().__init__([*self.sliders.values(), self.kind, self.enabled, self.budget], seed)

    def update(self) -> dict[str, Any]:
        from ..io.scenario import RetryBudgetSettings

        params = {k: s.value for k, s in self.sliders.items()}
        params["breaker.enabled"] = self.enabled.value
        params["retry_budget"] = (RetryBudgetSettings(ratio=0.2, min_retries=0, window=3600.0)
                                  if self.budget.value else None)
        params["faults[0].failure"] = self.kind.value
        r = run(with_params(self.scenario, params), seed=self.seed)
        s = r.summary().set_index(["metric", "key"]).value
        fig, ax = plt.subplots(figsize=(9, 2.8), layout="constrained")
        plots.breaker_states(r.breaker_events, self.plugin, end=r.end_time, ax=ax)
        f = self.scenario.faults[0]
        ax.axvspan(f.start, f.end, color="tab:red", alpha=0.1, label="outage")
        self._draw(fig)
        self.last = {
            "success_rate": float(s[("success_rate", "")]), "latency_p95": float(s[("latency_p95", "")]),
            "attempts_per_request": float(s[("attempts_per_request", "")]),
            "failed_attempts_per_request": float(s[("failed_attempts_per_request", "")]),
            "fast_fails_per_request": float(s[("fast_fails_per_request", "")]),
            "timeouts_per_request": float(s[("timeouts_per_request", "")]),
            "breaker_trips": int((r.breaker_events.to_state == "open").sum()),
        }
        self._show({"success rate": f"{self.last['success_rate']:.1%}",
                    "p95 latency": f"{self.last['latency_p95']:.0f} s",
                    "attempts / request": f"{self.last['attempts_per_request']:.2f}",
                    "failed attempts / request": f"{self.last['failed_attempts_per_request']:.3f}",
                    "fast fails / request": f"{self.last['fast_fails_per_request']:.3f}",
                    "timeouts / request": f"{self.last['timeouts_per_request']:.3f}",
                    "breaker trips": self.last["breaker_trips"]})
        return self.last


class BudgetPanel(_Panel):
    """Budget and model-tier prices → the optimized documented plan and the simulated spend."""

    def __init__(self, scenario: Scenario | None = None, *, plan=None, requests: int = 1000,
                 seed: int = 0) -> None:
        from ..policies.catalog import data_dir

        self.scenario = _small(scenario or Scenario.default(), requests)
        cat = self.scenario.catalog
        self.plan = plan or Plan.from_yaml(data_dir() / "plans" / "fullstack.yaml", prices=cat.tiers)
        self.budget = _slider("budget ($)", 0.50, 0.05, 1.50, 0.01)
        self.prices = {f"tiers.{t.name}.price": _slider(f"{t.name} price ($)", t.price, 0, 0.5, 0.01)
                       for t in cat.tiers.values() if not t.cached}
        self.policy = W.Dropdown(options=["reject", "flag"], value=self.scenario.settings.on_over_budget,
                                 description="over budget")
        super().__init__([self.budget, *self.prices.values(), self.policy], seed)

    def update(self) -> dict[str, Any]:
        params = {k: s.value for k, s in self.prices.items()}
        params["workload.budget"] = self.budget.value
        params["on_over_budget"] = self.policy.value
        sc = with_params(self.scenario, params)
        plan = self.plan.reprice(sc.catalog.tiers)
        opt = optimize_cost(plan, self.budget.value, sc.catalog, on_over_budget=self.policy.value)
        r = run(sc, seed=self.seed)
        req = r.requests
        fig, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
        plots.cost_waterfall(opt, ax=ax)
        self._draw(fig)
        self.last = {"plan_status": opt.status, "plan_cost": round(opt.total_cost, 4),
                     "plan_duration_min": round(opt.duration / 60, 2),
                     "rejection_rate": float((req.status == "rejected").mean()),
                     "cost_per_request": float(req.cost.mean()),
                     "optimized_share": float(req.optimized.mean())}
        self._show({"documented plan": f"{opt.status}: ${opt.total_cost:.2f}, {opt.duration / 60:g} min",
                    "rejected": f"{self.last['rejection_rate']:.1%}",
                    "optimized": f"{self.last['optimized_share']:.1%}",
                    "cost / request": f"${self.last['cost_per_request']:.3f}"})
        return self.last
