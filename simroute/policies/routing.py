"""The routing decision: primary plugin, fallbacks and the collaboration plan.

* **primary** — the best-scoring plugin (:func:`~simroute.policies.scoring.score_plugins`), leaving out
  plugins in ``exclude`` (breaker open, down);
* **no match** — when no plugin scores (nothing in the request matches, or every capable plugin is
  excluded) the orchestrator handles the request on its built-in path: primary is the orchestrator,
  ``matched`` is False, and the plan is one phase on it with the classifier's estimated duration
  and the price of one task at the orchestrator's default tier — the classification, the route,
  ``simroute route`` and the engine (which ends such a request ``degraded``) agree. Without
  ``builtin_fallback`` there is no primary and the engine rejects the request;
* **fallbacks** — where a phase goes when its plugin fails: :func:`fallback_chain`, the plugin's
  catalog fallbacks (up to ``max_fallbacks``, leaving out excluded plugins) then the orchestrator's
  built-in degradation path. The decision's ``fallbacks`` are the primary's chain (the seed:
  ``[lobbi-platform, ahling-command, jira-orch]``) and each phase carries its own plugin's. The
  decision is the one source: the engine runs exactly these chains, and the ``routing/decision``
  message lists them (``fallbacks``, and ``phaseFallbacks`` per phase);
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

__all__ = ["RouteDecision", "decide_route", "fallback_chain", "lead_line", "builtin_line"]


def fallback_chain(catalog: Catalog, plugin: str, *, builtin: bool = True, max_fallbacks: int | None = None,
                   exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """The plugins tried, in order, after ``plugin`` fails: its catalog fallbacks other than the
    orchestrator and those in ``exclude`` (the first ``max_fallbacks``), then — ``builtin`` — the
    orchestrator's built-in path; each once, never ``plugin`` itself."""
    orchestrator = catalog.orchestrator.name
    skip = {plugin, orchestrator, *exclude}
    chain = [p for p in dict.fromkeys(catalog.plugins[plugin].fallbacks) if p not in skip]
    if max_fallbacks is not None:
        chain = chain[:max_fallbacks]
    if builtin and plugin != orchestrator:
        chain.append(orchestrator)
    return tuple(chain)


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """RouteDecision

    Parameters:
        classification: the request's classification.
        primary: the primary plugin (None: nothing matched and there is no built-in path).
        fallbacks: the primary's fallback chain.
        plan: the phases to run, each with its fallbacks.
        scores: the candidates' scores, best first.
        reason: why no plugin matched.
        matched: False for the orchestrator's built-in handling.
    """
    classification: Classification
    primary: str | None
    fallbacks: tuple[str, ...]
    plan: Plan
    scores: tuple[Score, ...]
    reason: str = ""  #: why no plugin matched
    matched: bool = True  #: False: the orchestrator's built-in handling (see the module docstring)

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
        if not self.matched:
            return (f"RouteDecision({self.reason}: built-in handling on {self.primary}, "
                    f"est={self.est_duration / 60:g} min ${self.est_cost:.2f})")
        return (f"RouteDecision(primary={self.primary}, fallbacks={list(self.fallbacks)}, "
                f"collaboration={self.collaboration}, strategy={self.strategy}, "
                f"est={self.est_duration / 60:g} min ${self.est_cost:.2f}, plan={self.plan})")


def builtin_line(plugin: str, catalog: Catalog) -> AgentLine:
    """The plugin's own handling, at its default tier's price (no agent of its own)."""
    tier = catalog.tier(catalog.plugin(plugin).default_tier)
    return AgentLine(agent=f"{plugin}::built-in", tier=tier.name, cost=tier.task_cost(), duration=0.0,
                     critical=True)


def lead_line(plugin: str, c: Classification, catalog: Catalog, weights: ScoringWeights) -> AgentLine:
    """The plugin's best agent for ``c`` (ties by id; the first agent if none matches)."""
    agents = catalog.agents_of(plugin)
    if not agents:
        return builtin_line(plugin, catalog)
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
    builtin_fallback: bool = True,
) -> RouteDecision:
    """Decide primary, fallbacks and plan for ``c`` (see the module docstring); without
    ``builtin_fallback`` no chain ends in the orchestrator.

    Parameters:
        c: the request's classification.
        catalog: plugins and lexicon.
        weights: points per matched term.
        exclude: plugins that may not be candidates (breaker open, down).
        max_fallbacks: catalog fallbacks per chain.
        builtin_fallback: chains end with the orchestrator.

    Returns:
        The :class:`RouteDecision`.
    """
    exclude = tuple(exclude)
    scores = score_plugins(c, catalog, weights, exclude=exclude)
    orchestrator = catalog.orchestrator.name
    if not scores:
        reason = "no capable plugin" if not tuple(exclude) else "no capable plugin available"
        if not builtin_fallback:
            return RouteDecision(c, None, (), Plan(()), (), reason=reason, matched=False)
        builtin = Phase(name="task", title="Built-in handling", plugin=orchestrator,
                        duration=c.est_duration, agents=(builtin_line(orchestrator, catalog),),
                        fallbacks=())
        return RouteDecision(c, orchestrator, (), Plan((builtin,)), (), reason=reason, matched=False)
    primary = scores[0].name

    def chain(plugin: str) -> tuple[str, ...]:
        return fallback_chain(catalog, plugin, builtin=builtin_fallback, max_fallbacks=max_fallbacks,
                              exclude=exclude)

    fallbacks = chain(primary)

    templates = [t for t in catalog.lexicon.phases if set(t.domains) & set(c.domains)]
    present = {t.name for t in templates}
    phases = []
    for t in templates:
        serving = [s.name for s in scores if set(catalog.plugins[s.name].domains) & set(t.domains)]
        plugin = serving[0] if serving else orchestrator
        phases.append(Phase(
            name=t.name, title=t.title, plugin=plugin, duration=t.duration, tasks=t.tasks,
            depends_on=tuple(d for d in t.depends_on if d in present), kind=t.kind,
            agents=(lead_line(plugin, c, catalog, weights),), fallbacks=chain(plugin),
        ))
    if not phases:  # domains that no template covers: one phase on the primary
        phases.append(Phase(name="task", title="Task", plugin=primary,
                            duration=catalog.lexicon.simple_duration,
                            agents=(lead_line(primary, c, catalog, weights),), fallbacks=chain(primary)))
    return RouteDecision(c, primary, fallbacks, Plan(tuple(phases)), tuple(scores))
