"""The seed's policies as the engine asks them: each answer computed once per run.

Requests repeat: the same text is classified and routed again and again, the same plan priced and
optimized under the same budget. :class:`Decisions` asks the pure policies
(:mod:`simroute.policies`) once per distinct question and keeps the answer: a classification per
text, a route per (text, plugins excluded), a plan's facts, a documented plan repriced with the
scenario's tiers, an optimization per (plan, budget), a phase's candidate plugins.
"""

from __future__ import annotations

from ..policies.catalog import Catalog
from ..policies.classify import Classification, classify
from ..policies.cost import Optimization, optimize_cost
from ..policies.plan import Phase, Plan
from ..policies.routing import RouteDecision, decide_route, fallback_chain
from .context import Context, Memo

__all__ = ["Decisions", "PlanFacts", "RouteFacts", "PhaseFacts"]

#: (cost in dollars, critical-path duration in seconds, strategy, phases in order, number of phases)
PlanFacts = tuple[float, float, str, tuple[Phase, ...], int]
#: what a routed request reads of its route: (primary plugin (None: no match and no built-in path),
#: plan, matched, reason, the request's complexity)
RouteFacts = tuple[str | None, Plan, bool, str, str]
#: what running a phase reads of it: (the plugins it runs on, in order; duration in seconds; task kind)
PhaseFacts = tuple[tuple[str, ...], float, str]


def _facts(plan: Plan) -> PlanFacts:
    return plan.cost, plan.duration, plan.strategy, tuple(plan.order()), len(plan.phases)


def _optimize(plan: Plan, budget: float, catalog: Catalog, on_over_budget: str) -> Optimization:
    return optimize_cost(plan, budget, catalog, on_over_budget=on_over_budget)


class Decisions:
    """The policies' answers for one run (see the module docstring).

    Parameters:
        ctx: the run's :class:`~simroute.engine.context.Context`.
    """

    def __init__(self, ctx: Context) -> None:
        self.catalog = ctx.catalog
        self.settings = ctx.settings
        self._memo: Memo = ctx.memo
        self._classes: dict[str, Classification] = {}
        #: (text, plugins excluded) → the decision and what a routed request reads of it
        self._routes: dict[tuple, tuple[RouteDecision, RouteFacts]] = {}
        self._candidates: dict[str, tuple[str, ...]] = {}
        self._phases = Memo()  #: id(phase) → its PhaseFacts

    def classify(self, text: str) -> Classification:
        """The classification of ``text``."""
        c = self._classes.get(text)
        if c is None:
            c = self._classes[text] = classify(text, self.catalog, self.settings.reading)
        return c

    def route(self, text: str, excluded: frozenset) -> RouteDecision:
        """The routing decision for ``text`` with the plugins ``excluded`` (open breakers)."""
        return self._route(text, excluded)[0]

    def route_facts(self, text: str, excluded: frozenset) -> RouteFacts:
        """What a routed request reads of :meth:`route` (its fields read once per route)."""
        return self._route(text, excluded)[1]

    def _route(self, text: str, excluded: frozenset) -> tuple[RouteDecision, RouteFacts]:
        key = (text, excluded)
        hit = self._routes.get(key)
        if hit is None:
            s = self.settings
            r = decide_route(self.classify(text), self.catalog, s.weights, exclude=excluded,
                             max_fallbacks=s.max_fallbacks, builtin_fallback=s.builtin_fallback)
            facts = (r.primary, r.plan, r.matched, r.reason, r.classification.complexity)
            hit = self._routes[key] = (r, facts)
        return hit

    def plan_info(self, plan: Plan) -> PlanFacts:
        """(cost, critical-path duration, strategy, phases in order, number of phases) of a plan."""
        result: PlanFacts = self._memo.get(("facts", id(plan)), plan, _facts)
        return result

    def documented(self, plan: Plan) -> Plan:
        """A documented plan priced with this scenario's tiers."""
        result: Plan = self._memo.get(("documented", id(plan)), plan, Plan.reprice, self.catalog.tiers)
        return result

    def optimized(self, plan: Plan, budget: float) -> Optimization:
        """:func:`~simroute.policies.cost.optimize_cost` of a plan under ``budget``: the same
        (cached) plan and budget come back request after request, and each result's plan is then
        one object whose facts :meth:`plan_info` keeps."""
        result: Optimization = self._memo.get(("optimized", id(plan), budget), plan, _optimize, budget,
                                              self.catalog, self.settings.on_over_budget)
        return result

    def chains(self, plan: Plan) -> dict[str, tuple[str, ...]]:
        """Each phase's fallbacks (for the routing/decision message; one dict per plan, read-only)."""
        result: dict[str, tuple[str, ...]] = self._memo.get(("chains", id(plan)), plan, self._chains)
        return result

    def _chains(self, plan: Plan) -> dict[str, tuple[str, ...]]:
        return {p.name: self.candidates(p)[1:] for p in plan.phases}

    def candidates(self, phase: Phase) -> tuple[str, ...]:
        """The plugins a phase runs on, in order: its own, then the fallbacks the routing decision
        gave it (a phase without them — a saga step, a hand-built plan — falls back down its
        plugin's :func:`~simroute.policies.routing.fallback_chain`, computed once per plugin)."""
        return self.phase_facts(phase)[0]

    def phase_facts(self, phase: Phase) -> PhaseFacts:
        """What running ``phase`` reads of it: (:meth:`candidates`, duration, task kind), computed
        once per phase."""
        known_facts: PhaseFacts | None = self._phases.find(id(phase), phase)
        if known_facts is not None:
            return known_facts
        if phase.fallbacks is not None:
            out: tuple[str, ...] = (phase.plugin, *phase.fallbacks)
        else:
            known = self._candidates.get(phase.plugin)
            if known is None:
                chain = fallback_chain(self.catalog, phase.plugin, builtin=self.settings.builtin_fallback)
                known = self._candidates[phase.plugin] = (phase.plugin, *chain)
            out = known
        facts: PhaseFacts = self._phases.keep(id(phase), phase, (out, phase.duration, phase.kind))
        return facts

    def __repr__(self) -> str:
        return f"Decisions({len(self._classes)} texts, {len(self._routes)} routes)"
