"""The cost model and the budget-driven cost optimizer.

**Cost model.** An agent task costs its tier's price × effort (cached: the flat cached price); a
plan costs the sum of its agent lines; a token-carrying call can instead be priced per token
(:meth:`~simroute.policies.catalog.ModelTier.token_cost`).

**Optimizer.** :func:`optimize_cost` applies the seed's four strategies, in the seed's order, to
every line they apply to (each is a saving, so all are applied; ``stop_at_budget=True`` stops as
soon as the plan fits):

1. *cheaper models* — a non-critical agent moves one tier down (opus → sonnet → haiku); an
   ``optional`` opus agent is removed instead (the seed's "removed opus agents"), its minutes
   leaving its phase;
2. *cache* — a ``cacheable`` non-critical agent is served from the cache (cached tier);
3. *parallelize* — ordering-only edges (``after``) are dropped, so independent phases overlap;
4. *simplify* — a non-critical agent with ``simplify_by`` runs a simpler task, its phase shorter.

A change that would raise cost or duration (caching a task cheaper than the flat cached price)
is skipped. Every applied change is a :class:`Change` with its Δcost and Δduration (the change in the plan's
critical path), so ``original.cost + Σ Δcost == result.total_cost`` and likewise for duration.
If the result is still over budget the plan is ``rejected`` or ``over_budget`` (``on_over_budget``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..common.errors import InputError
from .catalog import Catalog
from .plan import AgentLine, Plan

__all__ = ["Change", "Optimization", "optimize_cost", "STRATEGIES"]

STRATEGIES = ("cheaper_models", "cache", "parallelize", "simplify")


@dataclass(frozen=True, slots=True)
class Change:
    """One change the cost optimizer made to a plan.

    Parameters:
        strategy: ``cheaper_models``, ``cache``, ``parallelize`` or ``simplify``.
        phase: the phase changed.
        target: the agent, or the dependency dropped by ``parallelize``.
        description: what changed, in words.
        delta_cost: dollars (negative: saved).
        delta_duration: seconds of critical path (negative: saved).
    """
    strategy: str
    phase: str
    target: str  #: the agent, or the dropped edge for parallelize
    description: str
    delta_cost: float
    delta_duration: float  #: seconds (critical path)


@dataclass(frozen=True, slots=True)
class Optimization:
    """The result of :func:`optimize_cost`.

    Parameters:
        original: the plan before.
        plan: the plan after.
        budget: dollars.
        changes: what changed, in order.
        status: ``within_budget``, ``over_budget`` (flagged) or ``rejected``.
        reason: why, when not within budget.
    """
    original: Plan
    plan: Plan
    budget: float
    changes: tuple[Change, ...]
    status: str  #: "within_budget" | "over_budget" | "rejected"
    reason: str = ""

    @property
    def total_cost(self) -> float:
        return self.plan.cost

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.plan.duration

    @property
    def lines(self) -> list[tuple[str, AgentLine]]:
        return self.plan.lines

    @property
    def within_budget(self) -> bool:
        return self.status == "within_budget"

    @property
    def overage(self) -> float:
        """Fraction by which the *original* plan exceeds the budget (0.7 = 70 % over)."""
        return self.original.cost / self.budget - 1.0 if self.budget > 0 else float("inf")

    def __repr__(self) -> str:
        return (f"Optimization({self.status}: ${self.original.cost:.2f}/{self.original.duration / 60:g} min"
                f" → ${self.total_cost:.2f}/{self.duration / 60:g} min, budget ${self.budget:.2f}, "
                f"{len(self.changes)} changes)")

    def changes_frame(self):
        """The change log as a DataFrame (strategy, phase, target, description, Δcost, Δduration)."""
        import pandas as pd

        return pd.DataFrame([(c.strategy, c.phase, c.target, c.description, c.delta_cost,
                              c.delta_duration) for c in self.changes],
                            columns=["strategy", "phase", "target", "description", "delta_cost",
                                     "delta_duration"])

    def lines_frame(self):
        """The optimized plan's agent lines as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([(ph, a.agent, a.tier, a.cost, a.duration) for ph, a in self.lines],
                            columns=["phase", "agent", "tier", "cost", "duration"])


def _swap_line(plan: Plan, phase: str, old: AgentLine, new: AgentLine | None,
               phase_delta: float = 0.0) -> Plan:
    p = plan[phase]
    agents = tuple(a for a in (new if a is old else a for a in p.agents) if a is not None)
    return plan.replace_phase(phase, agents=agents, duration=max(p.duration + phase_delta, 0.0))


def optimize_cost(
    plan: Plan,
    budget: float,
    catalog: Catalog,
    *,
    strategies: tuple[str, ...] = STRATEGIES,
    stop_at_budget: bool = False,
    on_over_budget: str = "reject",
) -> Optimization:
    """Fit ``plan`` to ``budget`` dollars (see the module docstring).

    Parameters:
        plan: the plan to fit.
        budget: dollars.
        catalog: prices and tiers.
        strategies: the strategies to apply, in order.
        stop_at_budget: stop as soon as the plan fits (else apply every strategy that saves).
        on_over_budget: ``reject`` or ``flag`` a plan that cannot fit.

    Returns:
        The :class:`Optimization`: the new plan, its changes and its status.

    Raises:
        InputError: a negative budget or an unknown strategy.
    """
    if not budget >= 0:
        raise InputError(f"must be >= 0 dollars, got {budget!r}", field="budget")
    if on_over_budget not in ("reject", "flag"):
        raise InputError(f"must be 'reject' or 'flag', got {on_over_budget!r}", field="on_over_budget")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise InputError(f"unknown strategy {unknown[0]!r} (known: {', '.join(STRATEGIES)})",
                         field="strategies")
    if plan.cost <= budget + 1e-12:  # already fits: nothing to optimize
        return Optimization(plan, plan, budget, (), "within_budget")
    current = plan
    changes: list[Change] = []

    def apply(new: Plan, strategy: str, phase: str, target: str, what: str) -> None:
        nonlocal current
        if new.cost > current.cost or new.duration > current.duration:
            return  # not a saving here (a flat cached price above a tiny task's price)
        changes.append(Change(strategy, phase, target, what, new.cost - current.cost,
                              new.duration - current.duration))
        current = new

    def fits() -> bool:
        return stop_at_budget and current.cost <= budget + 1e-12

    for strategy in (s for s in STRATEGIES if s in strategies):
        if fits():
            break
        if strategy == "parallelize":
            for p in current.phases:
                if p.after and not fits():
                    apply(current.replace_phase(p.name, after=()), strategy, p.name,
                          ",".join(p.after), f"run {p.name} alongside {', '.join(p.after)}")
            continue
        for phase_name, line in current.lines:
            if fits():
                break
            if line.critical:
                continue
            if strategy == "cheaper_models":
                if line.optional and line.tier == next(iter(catalog.tiers)):
                    apply(_swap_line(current, phase_name, line, None, -line.duration), strategy,
                          phase_name, line.agent, f"remove optional {line.tier} agent")
                    continue
                tier = catalog.tiers.get(line.tier)
                lower = catalog.tier_below(line.tier) if tier and not tier.cached else None
                if lower is not None:
                    new = replace(line, tier=lower.name, cost=lower.task_cost(line.effort))
                    apply(_swap_line(current, phase_name, line, new), strategy, phase_name,
                          line.agent, f"{line.tier} → {lower.name}")
            elif strategy == "cache":
                cached = catalog.cached_tier
                if line.cacheable and cached is not None and line.tier != cached.name:
                    new = replace(line, tier=cached.name, cost=cached.task_cost(line.effort))
                    apply(_swap_line(current, phase_name, line, new), strategy, phase_name,
                          line.agent, f"{line.tier} → cached result")
            elif strategy == "simplify" and line.simplify_by > 0:
                new = replace(line, duration=max(line.duration - line.simplify_by, 0.0),
                              simplify_by=0.0)
                apply(_swap_line(current, phase_name, line, new, -(line.duration - new.duration)),
                      strategy, phase_name, line.agent,
                      f"simpler task (-{line.simplify_by / 60:g} min)")
    if current.cost <= budget + 1e-12:
        return Optimization(plan, current, budget, tuple(changes), "within_budget")
    status = "rejected" if on_over_budget == "reject" else "over_budget"
    reason = (f"cheapest plan found costs ${current.cost:.2f}, over the ${budget:.2f} budget "
              f"after {len(changes)} changes")
    return Optimization(plan, current, budget, tuple(changes), status, reason)
