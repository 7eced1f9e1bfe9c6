"""simroute — what happens to cost, latency and success if we change how requests are routed?

A discrete-event model of an AI plugin orchestrator, with pandas tables for notebooks, what-if
sweeps, tuning and reports. The public API:

* **Catalog and routing policies** (pure, no SimPy): :func:`load_catalog` (:class:`Catalog`,
  :class:`Plugin`, :class:`Agent`, :class:`ModelTier`), :func:`classify`
  (:class:`Classification`), :func:`score_plugins`, :func:`score_plugin`, :func:`scores_frame`
  (:class:`Score`, :class:`ScoringWeights`), :func:`decide_route` (:class:`RouteDecision`,
  :class:`Plan`, :class:`Phase`, :class:`AgentLine`), :func:`find_agents`, :func:`score_agent`,
  :func:`build_team` (:class:`Team`), :func:`optimize_cost` (:class:`Optimization`,
  :class:`Change`).
* **Resilience policies**: :class:`CircuitBreaker` (:class:`BreakerSettings`),
  :class:`RetryPolicy`, :class:`RetryBudget`, :class:`FailureModel` and :data:`OUTCOMES`, sagas
  (:class:`Saga`, :class:`SagaStep`, :func:`rollback_plan`, :func:`tenant_provisioning`,
  :data:`COMPENSATIONS`).
* **Scenarios**: :class:`Scenario`, :class:`Settings` (:class:`TimeoutSettings`,
  :class:`HedgeSettings`, :class:`BulkheadSettings`, :class:`SheddingSettings`,
  :class:`RetryBudgetSettings`, :class:`SloSettings`, :class:`WarmupSettings`), :class:`Workload`,
  :class:`MixEntry`, :class:`Fault`,
  :class:`ServiceTime`, :func:`read_trace` and the bundled :mod:`traces`; an LLM router's
  :class:`ModelGroups` (:class:`RouterSettings`), imported from a LiteLLM config by
  :func:`import_litellm` or :meth:`Scenario.from_litellm`.
* **Running and analysing**: :func:`run` (:class:`Results`; its summary's metrics are
  :data:`METRICS`, also as :func:`metrics_table`), :func:`replay`, :func:`replay_flow`
  (:class:`FlowReplay`), :func:`sweep`, :func:`aggregate`, :func:`tune` (:class:`Tuning`),
  :func:`report` (:class:`Report`); :func:`calibrate` (:class:`Calibration`) fits a scenario to a
  gateway's own logs (:func:`read_logs`) and checks it on the part held out.
* **Errors**: :class:`InputError` (bad input, one line naming file, line, entry and field),
  :class:`SimrouteError`.

The run-and-analyse layer (pandas, SimPy, Optuna …) is imported on first use, so that
``import simroute`` stays quick.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

from . import _moved
from .common import build as _build  # first: compiled, or pure (simroute.common.build)
from .common.distributions import ServiceTime
from .common.errors import InputError, SimrouteError
from .common.version import __version__
from .io import traces
from .io.litellm import import_litellm
from .io.scenario import Fault, Scenario
from .io.settings import (
    BulkheadSettings,
    HedgeSettings,
    RetryBudgetSettings,
    RouterSettings,
    Settings,
    SheddingSettings,
    SloSettings,
    TimeoutSettings,
    WarmupSettings,
    WrongPluginSettings,
)
from .io.workload import MixEntry, Workload, read_trace
from .policies.catalog import Agent, Catalog, ModelTier, Plugin, load_catalog
from .policies.classify import SEED_READING, Classification, Reading, classify
from .policies.cost import Change, Optimization, optimize_cost
from .policies.discovery import Team, build_team, find_agents, score_agent
from .policies.modelgroups import ModelGroups
from .policies.plan import AgentLine, Phase, Plan
from .policies.routing import RouteDecision, decide_route
from .policies.saga import COMPENSATIONS, Saga, SagaStep, rollback_plan, tenant_provisioning
from .policies.scoring import SEED_WEIGHTS, Score, ScoringWeights, score_plugin, score_plugins, scores_frame
from .resilience.breaker import CircuitBreaker
from .resilience.failure import OUTCOMES, FailureModel
from .resilience.retry import RetryBudget
from .resilience.settings import BreakerSettings, RetryPolicy

if TYPE_CHECKING:
    from .experiments.calibrate import Calibration
    from .experiments.metrics import METRICS, metrics_table
    from .experiments.replay import FlowReplay, replay, replay_flow
    from .experiments.results import Results
    from .experiments.routing_quality import (
        RoutingEvaluation,
        RoutingTuning,
        cross_validate,
        evaluate_routing,
        tune_routing,
    )
    from .experiments.run import run
    from .experiments.streaming import StreamSummary, pooled_summary
    from .experiments.sweep import aggregate, pooled, sweep
    from .experiments.tune import Tuning, tune
    from .faces.calibration_page import calibrate
    from .faces.report import Report, report
    from .io.labelled import LabelledRequest, bundled_labelled, read_labelled
    from .io.logs import read_logs

_moved.install()  # old module paths (simroute.breaker …) keep working: simroute._moved

#: names imported on first use: name → module
_LAZY = {
    "run": ".experiments.run", "Results": ".experiments.results", "replay": ".experiments.replay",
    "replay_flow": ".experiments.replay", "FlowReplay": ".experiments.replay", "report": ".faces.report",
    "Report": ".faces.report", "sweep": ".experiments.sweep", "aggregate": ".experiments.sweep",
    "tune": ".experiments.tune", "Tuning": ".experiments.tune", "METRICS": ".experiments.metrics",
    "metrics_table": ".experiments.metrics", "StreamSummary": ".experiments.streaming",
    "pooled_summary": ".experiments.streaming", "pooled": ".experiments.sweep",
    "evaluate_routing": ".experiments.routing_quality", "cross_validate": ".experiments.routing_quality",
    "RoutingEvaluation": ".experiments.routing_quality", "read_labelled": ".io.labelled",
    "bundled_labelled": ".io.labelled", "LabelledRequest": ".io.labelled",
    "tune_routing": ".experiments.routing_quality", "RoutingTuning": ".experiments.routing_quality",
    "calibrate": ".faces.calibration_page", "Calibration": ".experiments.calibrate",
    "read_logs": ".io.logs",
}


def __getattr__(name: str) -> Any:
    """A lazy public name, or a module (``sr.params``, ``sr.plots`` …: old paths too) on first use."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module, __name__), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'simroute' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """``simroute`` itself. Importing a submodule sets the package attribute of its name; where
    that name is a public function (``report``, ``replay``, ``run``, ``sweep``, ``tune``,
    ``classify`` … also when an old module path of that name is imported), the function keeps it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and (
                name in _LAZY or not isinstance(self.__dict__.get(name, value), types.ModuleType)):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_build.restore_docstrings(list(globals().values()))  # (compiled classes keep no docstring)


__all__ = [
    "Agent", "AgentLine", "Fault", "MixEntry", "Results", "Scenario", "Settings", "Workload",
    "read_trace", "run", "replay", "replay_flow", "FlowReplay", "sweep", "aggregate", "tune", "Tuning",
    "report", "Report", "calibrate", "Calibration", "read_logs",
    "BreakerSettings", "COMPENSATIONS", "Catalog", "Change", "CircuitBreaker",
    "Classification", "InputError", "ModelTier", "Optimization", "Phase", "Plan", "Plugin",
    "RetryBudget", "RetryPolicy", "RouteDecision", "Saga", "SagaStep", "Score", "ScoringWeights",
    "ServiceTime", "SimrouteError", "Team", "build_team", "classify", "decide_route", "find_agents",
    "load_catalog", "optimize_cost", "rollback_plan", "score_agent", "score_plugin", "score_plugins",
    "scores_frame", "tenant_provisioning", "__version__", "FailureModel", "OUTCOMES", "traces",
    "BulkheadSettings", "HedgeSettings", "RetryBudgetSettings", "SheddingSettings", "TimeoutSettings",
    "SloSettings", "WarmupSettings", "METRICS", "metrics_table", "StreamSummary", "pooled_summary", "pooled",
    "RouterSettings", "ModelGroups", "WrongPluginSettings",
    "import_litellm", "Reading", "SEED_READING", "SEED_WEIGHTS", "evaluate_routing", "cross_validate",
    "RoutingEvaluation", "read_labelled", "bundled_labelled", "LabelledRequest", "tune_routing",
    "RoutingTuning",
]
