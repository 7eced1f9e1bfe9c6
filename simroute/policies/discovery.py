"""Agent discovery and team building over the unified registry.

An agent ``a`` is scored against a classification ``c`` with the same weights as plugins::

    raw   = w.domain  × [a.category ∈ c.domains]
          + w.context × |a.capabilities ∩ c.query_contexts|
          + w.keyword × |a.keywords ∩ c.keywords|
          + w.review  × [a has the "code-review" capability and c has a pattern (produces code)]
    score = raw × a.availability × a.success_rate

Contexts that a request only implies (react → jsx) are not searched for: the seed's registry query
for "React component with accessibility" asks for contexts [react, a11y], not jsx.

By default the search spans the agents of the ``max_plugins`` best-scoring plugins for the request
plus the orchestrator's own (the seed's registry query shows exactly those); ``plugins="all"``
searches the whole registry.

A team (:func:`build_team`) is the orchestrator's coordinator plus specialists taken greedily down
the ranking, each only if it brings a matched term (context, keyword, pattern or review) that no
earlier specialist brought: a second agent with the same coverage adds cost, not capability.
Team metrics, with coordinator ``k`` and specialists ``s1 … sn``:

* ``total_cost = price(k) + Σ price(si)`` — each agent's tier price for one task;
* ``duration = Σ avg_duration(si)`` — specialists hand their work on in rank order (structure →
  accessibility → review); the coordinator works alongside them;
* ``success_probability = success(k) × Π success(si)`` — the team succeeds if every member does,
  members failing independently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .catalog import Agent, Catalog
from .classify import Classification
from .scoring import Score, ScoringWeights, score_plugins

__all__ = ["Ranking", "Team", "score_agent", "find_agents", "build_team"]


class Ranking(list):
    """A best-first list of agent :class:`~simroute.policies.scoring.Score` (``.agent`` set), remembering
    the catalog and query it came from."""

    def __init__(self, items: Iterable[Score], *, catalog: Catalog, query: Classification,
                 plugins: Sequence[str]) -> None:
        super().__init__(items)
        self.catalog = catalog
        self.query = query
        self.plugins = tuple(plugins)  #: the plugins whose agents were searched


def score_agent(agent: Agent, c: Classification, weights: ScoringWeights = ScoringWeights()) -> Score:
    """Score one agent with its breakdown (see the module docstring).

    Parameters:
        agent: the agent.
        c: the request's classification.
        weights: points per matched term.

    Returns:
        Its :class:`~simroute.policies.scoring.Score` with the breakdown.
    """
    breakdown: dict[str, float] = {}
    raw = 0.0
    if agent.category in c.domains and weights.domain:
        breakdown[f"domain:{agent.category}"] = weights.domain
        raw += weights.domain
    caps = set(agent.capabilities)
    for ctx in c.query_contexts:
        if ctx in caps and weights.context:
            breakdown[f"context:{ctx}"] = weights.context
            raw += weights.context
    kws = set(agent.keywords)
    for kw in c.keywords:
        if kw in kws and weights.keyword:
            breakdown[f"keyword:{kw}"] = weights.keyword
            raw += weights.keyword
    if "code-review" in caps and c.patterns and weights.review:
        breakdown["review:code-review"] = weights.review
        raw += weights.review
    multipliers = {"availability": agent.availability, "success_rate": agent.success_rate}
    return Score(agent.id, raw * agent.availability * agent.success_rate, raw, breakdown,
                 multipliers, agent=agent)


def find_agents(
    c: Classification,
    catalog: Catalog,
    weights: ScoringWeights = ScoringWeights(),
    *,
    plugins: Sequence[str] | str | None = None,
    max_plugins: int = 2,
    exclude: Iterable[str] = (),
    limit: int | None = None,
) -> Ranking:
    """Agents matching ``c``, best first (ties by id); only agents with a positive score.

    ``plugins``: the plugins to search (default: the ``max_plugins`` best for ``c`` plus the
    orchestrator; ``"all"``: every plugin). ``exclude``: plugins not to search (breaker open).

    Parameters:
        c: the request's classification.
        catalog: where the agents are.
        weights: points per matched term.
        plugins: the plugins to search (None: the ``max_plugins`` best for ``c`` and the orchestrator;
            ``"all"``: every plugin).
        max_plugins: how many of the best plugins to search.
        exclude: plugins not to search (breaker open).
        limit: return at most this many.

    Returns:
        The matching agents' scores, best first.
    """
    excluded = set(exclude)
    if plugins is None:
        best = [s.name for s in score_plugins(c, catalog, weights, exclude=excluded)[:max_plugins]]
        searched = best + [catalog.orchestrator.name]
    elif plugins == "all":
        searched = list(catalog.plugins)
    else:
        searched = [catalog.plugin(p).name for p in plugins]
    searched = [p for p in searched if p not in excluded]
    wanted = set(searched)
    scores = [score_agent(a, c, weights) for a in catalog.agents if a.plugin in wanted]
    ranked = sorted((s for s in scores if s.raw > 0), key=lambda s: (-s.score, s.name))
    return Ranking(ranked[:limit] if limit else ranked, catalog=catalog, query=c, plugins=searched)


@dataclass(frozen=True, slots=True)
class Team:
    """A team for a request: a coordinator and specialists.

    Parameters:
        coordinator: the agent that coordinates.
        specialists: the specialists, in rank order.
        total_cost: dollars, one task each.
        duration: seconds.
        success_probability: that every member succeeds.
        skipped: ranked agents left out because they added no coverage.
    """
    coordinator: Agent
    specialists: tuple[Agent, ...]
    total_cost: float  #: dollars
    duration: float  #: seconds
    success_probability: float
    skipped: tuple[str, ...] = ()  #: ranked agents left out because they added no coverage

    @property
    def members(self) -> tuple[Agent, ...]:
        return (self.coordinator, *self.specialists)

    def __repr__(self) -> str:
        names = ", ".join(a.id for a in self.specialists)
        return (f"Team(coordinator={self.coordinator.id}, specialists=[{names}], "
                f"cost=${self.total_cost:.2f}, duration={self.duration / 60:g} min, "
                f"success={self.success_probability:.1%})")


def build_team(
    agents: Sequence[Score],
    c: Classification,
    *,
    catalog: Catalog | None = None,
    max_specialists: int = 4,
) -> Team:
    """A coordinator plus specialists from ranked ``agents`` (see the module docstring).

    Parameters:
        agents: ranked agent scores (:func:`find_agents`).
        c: the request's classification.
        catalog: for tier prices (None: the bundled catalog).
        max_specialists: the most specialists to take.

    Returns:
        The :class:`Team`: coordinator, specialists, cost, duration, success probability.
    """
    catalog = catalog if catalog is not None else getattr(agents, "catalog", None)
    if catalog is None:
        raise ValueError("build_team needs the catalog: pass catalog=, or agents from find_agents")
    coordinators = [a for a in catalog.agents_of(catalog.orchestrator.name) if a.role == "coordinator"]
    if not coordinators:
        raise ValueError(f"the orchestrator {catalog.orchestrator.name!r} has no coordinator agent")
    coordinator = coordinators[0]
    covered: set[str] = set()
    chosen: list[Agent] = []
    skipped: list[str] = []
    for s in agents:
        if len(chosen) >= max_specialists:
            break
        terms = {k for k in s.breakdown if not k.startswith("domain:")}
        if terms - covered:
            chosen.append(s.agent)
            covered |= terms
        else:
            skipped.append(s.name)
    cost = sum(catalog.tier_of(a).task_cost() for a in (coordinator, *chosen))
    duration = sum(a.avg_duration for a in chosen)
    p = coordinator.success_rate
    for a in chosen:
        p *= a.success_rate
    return Team(coordinator, tuple(chosen), cost, duration, p, tuple(skipped))
