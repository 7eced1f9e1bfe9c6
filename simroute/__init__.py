"""simroute — what happens to cost, latency and success if we change how requests are routed?

The policy layer (pure, no SimPy): :func:`load_catalog`, :func:`classify`, :func:`score_plugins`,
:func:`decide_route`, :func:`find_agents`, :func:`build_team`, :class:`CircuitBreaker`,
:class:`RetryPolicy`, :func:`optimize_cost` and the saga definitions.
"""

from . import traces
from .breaker import BreakerSettings, CircuitBreaker
from .catalog import Agent, Catalog, ModelTier, Plugin, load_catalog
from .classify import Classification, classify
from .cost import Change, Optimization, optimize_cost
from .discovery import Team, build_team, find_agents, score_agent
from .distributions import ServiceTime
from .errors import InputError, SimrouteError
from .failure import OUTCOMES, FailureModel
from .plan import AgentLine, Phase, Plan
from .replay import FlowReplay, replay, replay_flow
from .report import Report, report
from .results import Results
from .retry import RetryBudget, RetryPolicy
from .routing import RouteDecision, decide_route
from .run import run
from .saga import COMPENSATIONS, Saga, SagaStep, rollback_plan, tenant_provisioning
from .scenario import Fault, Scenario
from .scoring import Score, ScoringWeights, score_plugin, score_plugins, scores_frame
from .settings import (
                       BulkheadSettings,
                       HedgeSettings,
                       RetryBudgetSettings,
                       Settings,
                       SheddingSettings,
                       TimeoutSettings,
)
from .sweep import aggregate, sweep
from .tune import Tuning, tune
from .workload import MixEntry, Workload, read_trace

__version__ = "0.1.0"

__all__ = [
    "Agent", "AgentLine", "Fault", "MixEntry", "Results", "Scenario", "Settings", "Workload",
    "read_trace", "run", "replay", "replay_flow", "FlowReplay", "sweep", "aggregate", "tune", "Tuning",
    "report", "Report",
    "BreakerSettings", "COMPENSATIONS", "Catalog", "Change", "CircuitBreaker",
    "Classification", "InputError", "ModelTier", "Optimization", "Phase", "Plan", "Plugin",
    "RetryBudget", "RetryPolicy", "RouteDecision", "Saga", "SagaStep", "Score", "ScoringWeights",
    "ServiceTime", "SimrouteError", "Team", "build_team", "classify", "decide_route", "find_agents",
    "load_catalog", "optimize_cost", "rollback_plan", "score_agent", "score_plugin", "score_plugins",
    "scores_frame", "tenant_provisioning", "__version__", "FailureModel", "OUTCOMES", "traces",
    "BulkheadSettings", "HedgeSettings", "RetryBudgetSettings", "SheddingSettings", "TimeoutSettings",
]
