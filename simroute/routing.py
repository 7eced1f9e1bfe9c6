"""The routing decision: primary plugin, fallbacks and the collaboration plan.

* **primary** — the best-scoring plugin (:func:`~simroute.scoring.score_plugins`), leaving out
  plugins in ``exclude`` (breaker open, down); None when no plugin matches at all;
* **fallbacks** — the next ``max_fallbacks`` plugins of the ranking, then the orchestrator's
  built-in degradation path (the seed: ``[lobbi-platform, ahling-command, jira-orch]``);
* **plan** — one phase per lexicon phase template that the request's domains trigger, in the
  lexicon's order, each on the best-scoring plugin serving the template's domains (the orchestrator
  if none does), with the template's duration and the template dependencies that are present;
  each phase carries one agent line: the plugin's best agent for the request;
* **collaboration** — required when the plan has more than one phase (multi-domain);
* **est_duration** — the plan's critical path; **est_cost** — the sum of its agent lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import Catalog
from .classify import Classification
from .discovery import score_agent
from .plan import AgentLine, Phase, Plan
from .scoring import Score, ScoringWeights, score_plugins

__all__ = ["RouteDecision", "decide_route"]


@dataclass(frozen=True, slots=True)
class RouteDecision:
    classification: Classification
    primary: str | None
    fallbacks: tuple[str, ...]
    plan: Plan
    scores: tuple[Score, ...]
    reason: str = ""  #: why there is no primary

    @property
    def collaboration(self) -> bool:
        return len(self.plan) > 1

    @property
    def strategy(self) -> str:
        return self.plan.strategy

    @property
    def est_duration(self) -> float:
        """Seconds (critical path of the plan)."""
        return self.plan.duration

    @property
    def est_cost(self) -> float:
        return self.plan.cost

    def __repr__(self) -> str:
        return (f"RouteDecision(primary={self.primary}, fallbacks={list(self.fallbacks)}, "
                f"collaboration={self.collaboration}, strategy={self.strategy}, "
                f"est={self.est_duration / 60:g} min ${self.est_cost:.2f}, plan={self.plan})")


def _lead_line(plugin: str, c: Classification, catalog: Catalog, weights: ScoringWeights) -> AgentLine:
    """The plugin's best agent for ``c`` (ties by id; the first agent if none matches)."""
    agents = catalog.agents_of(plugin)
    if not agents:
        tier = catalog.tier(catalog.plugin(plugin).default_tier)
        return AgentLine(agent=f"{plugin}::built-in", tier=tier.name, cost=tier.task_cost(),
                         duration=0.0, critical=True)
    best = min(agents, key=lambda a: (-score_agent(a, c, weights).score, a.id))
    tier = catalog.tier_of(best)
    return AgentLine(agent=best.id, tier=tier.name, cost=tier.task_cost(),
                     duration=best.avg_duration, critical=True)


def decide_route(
    c: Classification,
    catalog: Catalog,
    weights: ScoringWeights = ScoringWeights(),
    *,
    exclude: Iterable[str] = (),
    max_fallbacks: int = 2,
) -> RouteDecision:
    """Decide primary, fallbacks and plan for ``c`` (see the module docstring)."""
    scores = score_plugins(c, catalog, weights, exclude=exclude)
    orchestrator = catalog.orchestrator.name
    if not scores:
        return RouteDecision(c, None, (orchestrator,), Plan(()), (), reason="no capable plugin")
    primary = scores[0].name
    fallbacks = tuple(s.name for s in scores[1:1 + max_fallbacks]) + (orchestrator,)

    templates = [t for t in catalog.lexicon.phases if set(t.domains) & set(c.domains)]
    present = {t.name for t in templates}
    phases = []
    for t in templates:
        serving = [s.name for s in scores if set(catalog.plugins[s.name].domains) & set(t.domains)]
        plugin = serving[0] if serving else orchestrator
        phases.append(Phase(
            name=t.name, title=t.title, plugin=plugin, duration=t.duration, tasks=t.tasks,
            depends_on=tuple(d for d in t.depends_on if d in present), kind=t.kind,
            agents=(_lead_line(plugin, c, catalog, weights),),
        ))
    if not phases:  # domains that no template covers: one phase on the primary
        phases.append(Phase(name="task", title="Task", plugin=primary,
                            duration=catalog.lexicon.simple_duration,
                            agents=(_lead_line(primary, c, catalog, weights),)))
    return RouteDecision(c, primary, fallbacks, Plan(tuple(phases)), tuple(scores))
