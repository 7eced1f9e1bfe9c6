"""Capability scoring: how well each plugin matches a classified request.

For a plugin ``p`` and classification ``c`` with weights ``w``::

    raw   = w.domain  × |p.domains  ∩ c.domains|
          + w.context × |p.contexts ∩ c.contexts|
          + w.pattern × |p.patterns ∩ c.patterns|
          + w.plugin_keyword × |p.keywords ∩ c.keywords|
          + w.description × |words of p.description ∩ c.keywords|
    score = raw × (p.priority / 100) ** w.priority_power × p.availability

Every term that matched is a line of the breakdown (``"domain:backend" → 30``). The seed's weights
(:data:`SEED_WEIGHTS`) score no plugin keywords and no description words (its plugin scores have
none, while its agent scores do: see :mod:`simroute.policies.discovery`), multiply by the full
priority and leave the orchestrator out; the defaults, tuned for routing accuracy, score both, ignore
priority and let the orchestrator compete for its own work. All weights live in one
:class:`ScoringWeights` value so that notebooks can tune them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from ..common.schema import documented, setting
from .catalog import Catalog, Plugin
from .classify import Classification
from .words import description_words

__all__ = ["ScoringWeights", "SEED_WEIGHTS", "Score", "score_plugins", "score_plugin", "scores_frame"]


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class ScoringWeights:
    """Points per matched term and how priority weighs (:data:`SEED_WEIGHTS` are the seed's).

    The defaults were tuned for routing accuracy on the package's labelled set (a grid of 720
    weightings, 5-fold cross-validated: see ``docs/routing-quality.md``); the seed's domain, context,
    pattern and agent-keyword points are kept."""

    domain: float = setting(30.0, "points per matched domain", unit="points", lo=0)
    context: float = setting(20.0, "points per matched context", unit="points", lo=0)
    pattern: float = setting(15.0, "points per matched pattern", unit="points", lo=0)
    keyword: float = setting(15.0, "points per matched agent keyword", unit="points", lo=0)
    plugin_keyword: float = setting(60.0, "points per matched plugin keyword (the seed: 0, its plugin "
                                    "scores have none)", unit="points", lo=0)
    description: float = setting(20.0, "points per content word of the plugin's description found in the "
                                 "request (catalog reading; the seed: 0)", unit="points", lo=0)
    review: float = setting(40.0, "points for an agent with the code-review capability, for a request "
                            "producing code", unit="points", lo=0)
    priority_power: float = setting(0.0, "the score is multiplied by (priority / 100) to this power: 1 the "
                                    "seed, 0 priority ignored (tuned: priority lowers accuracy on the "
                                    "labelled set)", lo=0, hi=10)
    orchestrator: bool = setting(True, "score the orchestrator like any plugin, so that a request about "
                                 "its own work (Jira, sprints) may go to it first (the seed: off, it "
                                 "reaches the orchestrator only on the built-in path)")

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ValueError(f"ScoringWeights.{name} must be >= 0, got {value}")


#: the seed's weights: the scores of its documented flows
SEED_WEIGHTS = ScoringWeights(domain=30.0, context=20.0, pattern=15.0, keyword=15.0, plugin_keyword=0.0,
                              description=0.0, review=40.0, priority_power=1.0, orchestrator=False)


@dataclass(frozen=True, slots=True)
class Score:
    """A scored candidate (plugin or agent): ``score = raw × multipliers``.

    Parameters:
        name: the plugin (or agent id).
        score: the final score.
        raw: the points before the multipliers.
        breakdown: ``"kind:term"`` → points.
        multipliers: ``"priority"``, ``"availability"`` … → factor.
        agent: the :class:`~simroute.policies.catalog.Agent`, for agent scores.
    """

    name: str
    score: float
    raw: float
    breakdown: dict[str, float] = field(default_factory=dict)  #: "kind:term" → points
    multipliers: dict[str, float] = field(default_factory=dict)  #: "priority" → 1.0 …
    agent: Any = None  #: the :class:`~simroute.policies.catalog.Agent`, for agent scores

    @property
    def plugin(self) -> str:
        """The plugin's name (for an agent score: ``plugin::agent``)."""
        return self.name

    def __repr__(self) -> str:
        parts = ", ".join(f"{k} {v:g}" for k, v in self.breakdown.items())
        mult = " ".join(f"×{v:g} {k}" for k, v in self.multipliers.items())
        return f"<{self.name} {self.score:.2f} = ({parts}) = {self.raw:g} {mult}>"


def _match(points: float, kind: str, have: Iterable[str], want: Sequence[str],
           breakdown: dict[str, float]) -> float:
    have = set(have)
    total = 0.0
    for term in want:
        if term in have and points:
            breakdown[f"{kind}:{term}"] = points
            total += points
    return total


def score_plugin(plugin: Plugin, c: Classification, weights: ScoringWeights = ScoringWeights()) -> Score:
    """Score one plugin with its breakdown (see the module docstring).

    Parameters:
        plugin: the plugin.
        c: the request's classification.
        weights: points per matched term.

    Returns:
        Its :class:`Score` with the breakdown.
    """
    breakdown: dict[str, float] = {}
    raw = (_match(weights.domain, "domain", plugin.domains, c.domains, breakdown)
           + _match(weights.context, "context", plugin.contexts, c.contexts, breakdown)
           + _match(weights.pattern, "pattern", plugin.patterns, c.patterns, breakdown)
           + _match(weights.plugin_keyword, "keyword", plugin.keywords, c.keywords, breakdown))
    if weights.description:
        raw += _match(weights.description, "description", description_words(plugin.description),
                      c.keywords, breakdown)
    multipliers = {"priority": (plugin.priority / 100.0) ** weights.priority_power,  # x ** 1.0 is x
                   "availability": plugin.availability}
    return Score(plugin.name, raw * multipliers["priority"] * multipliers["availability"], raw,
                 breakdown, multipliers)


def score_plugins(
    c: Classification,
    catalog: Catalog,
    weights: ScoringWeights = ScoringWeights(),
    *,
    exclude: Iterable[str] = (),
    include_orchestrator: bool | None = None,
) -> list[Score]:
    """Plugins that match ``c`` at all, best first (ties: by name).

    ``exclude`` names plugins that may not be candidates (breaker open, down); the orchestrator
    (the built-in degradation path) is left out unless ``include_orchestrator`` (None:
    ``weights.orchestrator``).

    Parameters:
        c: the request's classification.
        catalog: the plugins.
        weights: points per matched term.
        exclude: plugins that may not be candidates.
        include_orchestrator: score the orchestrator too (None: ``weights.orchestrator``).

    Returns:
        The matching plugins' scores, best first.
    """
    excluded = set(exclude)
    if include_orchestrator is None:
        include_orchestrator = weights.orchestrator
    out = []
    for p in catalog.plugins.values():
        if p.name in excluded or (p.role == "orchestrator" and not include_orchestrator):
            continue
        s = score_plugin(p, c, weights)
        if s.raw > 0:
            out.append(s)
    out.sort(key=lambda s: (-s.score, s.name))
    return out


def scores_frame(scores: Sequence[Score]) -> pd.DataFrame:
    """A long DataFrame of breakdowns: name, rank, component, term, points, raw, score.

    Parameters:
        scores: scores (plugins or agents).

    Returns:
        A DataFrame: one row per score component.
    """
    import pandas as pd

    rows = []
    for rank, s in enumerate(scores, 1):
        for key, points in s.breakdown.items():
            kind, term = key.split(":", 1)
            rows.append((s.name, rank, kind, term, points, s.raw, s.score))
        for kind, factor in s.multipliers.items():
            rows.append((s.name, rank, f"×{kind}", "", factor, s.raw, s.score))
    return pd.DataFrame(rows, columns=["name", "rank", "component", "term", "points", "raw", "score"])
