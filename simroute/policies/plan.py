"""Collaboration plans: phases of work on plugins, forming a DAG, with their agent lines.

A :class:`Plan` is a tuple of :class:`Phase`; a phase has a plugin, tasks, a duration, hard
dependencies (``depends_on``: phases whose output it needs) and ordering-only constraints
(``after``: phases it is merely scheduled after, e.g. a plan written as a sequential chain). Both
kinds of edge count for the schedule; only ``after`` edges may be dropped by parallelizing.

* ``duration`` — the critical path: the longest chain of phase durations through the DAG;
* ``strategy`` — from the DAG: ``single`` (one phase), ``sequential`` (one chain through every
  phase), ``parallel`` (no edges), else ``mixed``;
* ``cost`` — the sum of the agent lines' costs.

Cycles and unknown phase names are :class:`~simroute.common.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..common.errors import InputError

__all__ = ["AgentLine", "Phase", "Plan"]


@dataclass(frozen=True, kw_only=True, slots=True)
class AgentLine:
    """One agent's task in a phase: its tier, cost and duration, and what the optimizer may do.

    Parameters:
        agent: the agent (``plugin::name`` or a name).
        tier: its model tier.
        cost: dollars for its task.
        duration: seconds of its task.
        effort: relative size of the task (scales a tier's price).
        critical: the optimizer may not downgrade or drop it.
        optional: the optimizer may drop it.
        cacheable: the optimizer may answer it from the cache tier.
        simplify_by: seconds the optimizer may save by simplifying it.
    """

    agent: str
    tier: str
    cost: float  #: dollars
    duration: float  #: seconds of the phase this agent accounts for
    effort: float = 1.0  #: relative task size (the cost is tier price × effort; cached is flat)
    critical: bool = False  #: never downgraded, cached, simplified or removed
    optional: bool = False  #: may be removed outright (its work folded into the phase's lead)
    cacheable: bool = False  #: its output can come from a cache
    simplify_by: float = 0.0  #: seconds saved by a simpler version of its task

    def __repr__(self) -> str:
        return f"<{self.agent} ({self.tier}) ${self.cost:.3f} {self.duration / 60:g} min>"


@dataclass(frozen=True, kw_only=True, slots=True)
class Phase:
    """One phase of a plan: a unit of work on one plugin, with its agents and dependencies.

    Parameters:
        name: the phase's name, unique in its plan.
        plugin: the plugin it runs on.
        duration: planned seconds.
        title: a readable title.
        tasks: what it does.
        depends_on: phases whose output it needs.
        after: phases it is only scheduled after.
        agents: its agent lines.
        kind: the task kind for the plugin's service-time model.
        fallbacks: the plugins tried, in order, when it fails on its own (None: the plugin's chain).
    """
    name: str
    plugin: str
    duration: float  #: seconds
    title: str = ""
    tasks: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  #: ordering-only predecessors
    agents: tuple[AgentLine, ...] = ()
    kind: str = "default"  #: task kind for the plugin's service-time model
    fallbacks: tuple[str, ...] | None = None
    """The plugins tried, in order, when this phase fails on its own plugin (set by the routing
    decision; None: :func:`simroute.policies.routing.fallback_chain` of the plugin)."""
    predecessors: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """``depends_on`` then the ``after`` phases not already in it (computed once)."""
    cost: float = field(init=False, repr=False, compare=False)
    """Dollars: the sum of the agent lines (computed once)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "predecessors", self.depends_on + tuple(
            a for a in self.after if a not in self.depends_on))
        object.__setattr__(self, "cost", sum(a.cost for a in self.agents))


@dataclass(frozen=True, slots=True)
class Plan:
    """Plan

    Parameters:
        phases: the phases; their dependencies form a DAG.
    """
    phases: tuple[Phase, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise InputError(f"duplicate phase names in {names}", field="phases")
        self.order()  # validates references and acyclicity

    def __repr__(self) -> str:
        body = "; ".join(f"{p.name}@{p.plugin} {p.duration / 60:g}m"
                         + (f"←{','.join(p.predecessors)}" if p.predecessors else "")
                         for p in self.phases)
        return f"Plan({self.strategy}, {self.duration / 60:g} min, ${self.cost:.2f}: {body})"

    def __len__(self) -> int:
        return len(self.phases)

    def __getitem__(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    def order(self) -> list[Phase]:
        """Phases in a topological order (stable: plan order among ready phases)."""
        by_name = {p.name: p for p in self.phases}
        for p in self.phases:
            for d in p.predecessors:
                if d not in by_name:
                    raise InputError(f"depends on unknown phase {d!r}", entry=f"phase {p.name}",
                                     field="depends_on")
        done: list[Phase] = []
        placed: set[str] = set()
        while len(done) < len(self.phases):
            ready = [p for p in self.phases if p.name not in placed
                     and all(d in placed for d in p.predecessors)]
            if not ready:
                stuck = [p.name for p in self.phases if p.name not in placed]
                raise InputError(f"cyclic phase dependencies among {stuck}", entry="plan",
                                 field="depends_on")
            done.append(ready[0])
            placed.add(ready[0].name)
        return done

    def schedule(self) -> dict[str, tuple[float, float]]:
        """Earliest (start, end) in seconds of each phase with unlimited plugins."""
        times: dict[str, tuple[float, float]] = {}
        for p in self.order():
            start = max((times[d][1] for d in p.predecessors), default=0.0)
            times[p.name] = (start, start + p.duration)
        return times

    @property
    def duration(self) -> float:
        """The critical path in seconds."""
        return max((end for _, end in self.schedule().values()), default=0.0)

    def critical_path(self) -> list[str]:
        """Names of the phases on the longest chain, first to last."""
        times = self.schedule()
        if not times:
            return []
        path = [max(times, key=lambda n: (times[n][1], n))]
        while True:
            p = self[path[-1]]
            preds = [d for d in p.predecessors if times[d][1] == times[p.name][0]]
            if not preds:
                return path[::-1]
            path.append(max(preds, key=lambda n: times[n][1]))

    @property
    def cost(self) -> float:
        return sum(p.cost for p in self.phases)

    @property
    def lines(self) -> list[tuple[str, AgentLine]]:
        """Every agent line with its phase name, in plan order."""
        return [(p.name, a) for p in self.phases for a in p.agents]

    @property
    def strategy(self) -> str:
        n = len(self.phases)
        if n <= 1:
            return "single"
        if not any(p.predecessors for p in self.phases):
            return "parallel"
        # sequential when the topological order is a chain: each phase reaches the next
        order = self.order()
        reach = self._reachability()
        if all(order[i].name in reach[order[i + 1].name] for i in range(n - 1)):
            return "sequential"
        return "mixed"

    def _reachability(self) -> dict[str, set[str]]:
        anc: dict[str, set[str]] = {}
        for p in self.order():
            s: set[str] = set()
            for d in p.predecessors:
                s |= {d} | anc[d]
            anc[p.name] = s
        return anc

    def reprice(self, prices: Mapping[str, Any]) -> Plan:
        """The same plan with every line's cost recomputed from ``prices`` (tier → ModelTier)."""
        phases = tuple(replace(p, agents=tuple(
            replace(a, cost=prices[a.tier].task_cost(a.effort)) if a.tier in prices else a
            for a in p.agents)) for p in self.phases)
        return Plan(phases)

    def replace_phase(self, name: str, **changes: Any) -> Plan:
        return Plan(tuple(replace(p, **changes) if p.name == name else p for p in self.phases))

    def to_frame(self):
        """One row per phase: name, plugin, start, end, duration (seconds), cost, dependencies."""
        import pandas as pd

        times = self.schedule()
        rows = [(p.name, p.title, p.plugin, times[p.name][0], times[p.name][1], p.duration, p.cost,
                 ",".join(p.depends_on), ",".join(p.after), len(p.agents)) for p in self.phases]
        return pd.DataFrame(rows, columns=["phase", "title", "plugin", "start", "end", "duration",
                                           "cost", "depends_on", "after", "agents"])

    @classmethod
    def from_yaml(cls, path: str | Path, *, prices: Mapping[str, Any]) -> Plan:
        """A documented plan file (``phases:`` as :meth:`from_dict` reads them; other top-level
        keys, such as the request it documents, are notes); errors name the file."""
        from ..common.yamlio import Fields, load_yaml

        raw, lines = load_yaml(path)
        f = Fields(raw, file=str(path), entry="plan", lines=lines)
        try:
            return cls.from_dict(f.get("phases"), prices=prices, file=str(path))
        except InputError as exc:
            raise exc.at(file=str(path)) from None

    @classmethod
    def from_dict(cls, raw: Iterable[Mapping[str, Any]], *, prices: Mapping[str, Any],
                  file: str | None = None) -> Plan:
        """A plan from plain data (a scenario's YAML); ``prices`` maps tier → ModelTier.

        Each phase: ``name, plugin, duration_min, depends_on, after, tasks, agents`` where each
        agent is ``{agent, tier, effort, duration_min, critical, optional, cacheable,
        simplify_min}``. Phase duration defaults to the sum of its agents' durations.
        """
        from ..common.yamlio import Fields

        phases = []
        for i, item in enumerate(raw):
            f = Fields(item, file=file, entry=f"phases[{i}]")
            lines = []
            for j, a in enumerate(f.get("agents", [])):
                g = Fields(a, file=file, entry=f"phases[{i}].agents[{j}]")
                tier_name = g.str("tier")
                if tier_name not in prices:
                    raise g.error("tier", f"unknown model tier {tier_name!r}")
                effort = g.number("effort", 1.0, lo=0, lo_open=True)
                lines.append(AgentLine(
                    agent=g.str("agent"), tier=tier_name, cost=prices[tier_name].task_cost(effort),
                    duration=60.0 * g.number("duration_min", 0.0, lo=0), effort=effort,
                    critical=g.boolean("critical", False), optional=g.boolean("optional", False),
                    cacheable=g.boolean("cacheable", False),
                    simplify_by=60.0 * g.number("simplify_min", 0.0, lo=0),
                ))
                g.finish()
            default = sum(a.duration for a in lines)
            duration = 60.0 * f.number("duration_min", default / 60.0, lo=0, lo_open=True)
            phases.append(Phase(
                name=f.str("name"), plugin=f.str("plugin"), duration=duration,
                title=f.str("title", ""), tasks=f.strings("tasks", ()),
                depends_on=f.strings("depends_on", ()), after=f.strings("after", ()),
                agents=tuple(lines), kind=f.str("kind", "default"),
            ))
            f.finish()
        try:
            return cls(tuple(phases))
        except InputError as exc:
            raise exc.at(file=file) from None
