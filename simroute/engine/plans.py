"""Running a routed request's plan: phases as their dependencies complete, each down its fallbacks.

:meth:`PlanExecutor.run_routed` classifies the request, routes it (around open breakers when the
settings say so), optimizes the plan when it is over budget, publishes the decision and executes
the plan's phases: a chain (single or sequential plan) in the request's own process, phase after
phase; any other plan with a process per phase that waits for its predecessors. A phase runs on
its plugin, then down the fallbacks the routing decision gave it
(:meth:`~simroute.engine.decisions.Decisions.candidates`), each through
:meth:`~simroute.engine.attempts.AttemptRunner.call`.

The request's status: ``succeeded``; ``degraded`` (a phase ran on a fallback, or nothing matched
and the orchestrator handled it); ``failed`` (a phase failed everywhere, or the deadline passed);
``rejected`` (over budget, or no plugin matched and there is no built-in path).
"""

from __future__ import annotations

from ..common.statuses import DEGRADED, FAILED, REJECTED, SUCCEEDED
from ..policies.plan import Phase, Plan
from ..resilience.failure import (
    CONTENT_POLICY,
    CONTEXT_WINDOW,
    NON_RETRYABLE,
    REJECTED_BULKHEAD,
    REJECTED_OPEN,
    SHED,
    SUCCESS,
)
from .attempts import STOPS, AttemptRunner
from .context import NONE, Context
from .decisions import Decisions
from .records import RequestState
from .tasks import ProcessGenerator

__all__ = ["PlanExecutor", "FALLBACK_REASONS"]

#: outcome → the reason a routing/fallback message gives (else ``retries_exhausted``)
FALLBACK_REASONS = {REJECTED_OPEN: "circuit_breaker_open", REJECTED_BULKHEAD: "bulkhead_full",
                    NON_RETRYABLE: "non_retryable", SHED: "shed", CONTEXT_WINDOW: "context_window",
                    CONTENT_POLICY: "content_policy"}

#: a phase's result: (it succeeded, the fallback level it ran on)
PhaseResult = tuple[bool, int]


class PlanExecutor:
    """Routed requests of one run (see the module docstring).

    Parameters:
        ctx: the run's context.
        decisions: the run's policy answers.
        runner: the run's attempt path.
    """

    def __init__(self, ctx: Context, decisions: Decisions, runner: AttemptRunner) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.bus = ctx.bus
        self.decisions = decisions
        self.runner = runner
        self._source = ctx.orchestrator_name
        self._route_around = ctx.settings.route_around_open
        self._share_state = ctx.settings.share_state

    def run_routed(self, rid: int, text: str, budget: float, info: RequestState,
                   documented: Plan | None = None) -> ProcessGenerator:
        """Route request ``rid`` and run its plan (``documented``: a plan the mix entry names);
        returns ``(status, reason)``."""
        d = self.decisions
        excluded = self.ctx.open_breakers(self.env.now) if self._route_around else NONE
        primary, plan, matched, why, info.complexity = d.route_facts(text, excluded)
        if primary is None:  # no match and no built-in path
            return REJECTED, why
        if documented is not None:
            plan = d.documented(documented)
        info.primary = primary
        original = facts = d.plan_info(plan)
        info.plan_cost = original[0]
        if original[0] > budget:  # (False when there is no budget: NaN)
            opt = d.optimized(plan, budget)
            if opt.status == "rejected":
                info.est_cost, info.est_duration = original[0], original[1]
                return REJECTED, "over budget"
            plan, info.optimized = opt.plan, True
            facts = d.plan_info(plan)
        info.est_cost, info.est_duration, strategy, order, info.phases = facts
        if self.bus.wanted:
            route = d.route(text, excluded)
            self.bus.publish("routing/decision", type="event", source=self._source, correlation_id=rid,
                             payload={"requestId": rid, "primaryPlugin": primary,
                                      "fallbacks": route.fallbacks, "strategy": strategy,
                                      "phases": tuple(p.name for p in plan.phases),
                                      "phaseFallbacks": d.chains(plan),
                                      "estCost": info.est_cost, "estDuration": info.est_duration,
                                      "originalCost": original[0], "originalDuration": original[1]})
        if strategy not in ("single", "sequential"):
            return (yield from self._graph(rid, plan, info, matched, why))
        # a chain: the phases in order in this process (no process, event or generator per phase);
        # a failed phase skips the rest, which all depend on it
        worst = 0  # the highest fallback level a phase ran on
        for i, phase in enumerate(order):
            ok, level = yield from self.run_phase(rid, phase, info)
            if not ok:
                return outcome({p.name: (j < i, 0) for j, p in enumerate(order)}, info)
            worst = max(worst, level)
        return succeeded(worst, matched, why)

    def _graph(self, rid: int, plan: Plan, info: RequestState, matched: bool, why: str) -> ProcessGenerator:
        """Any other plan: a process per phase, each waiting for its predecessors."""
        env = self.env
        results: dict[str, PhaseResult] = {}
        done = {p.name: env.event() for p in plan.phases}
        for phase in plan.phases:
            env.process(self._phase_when_ready(rid, phase, done, results, info))
        yield env.all_of(list(done.values()))
        return outcome(results, info, matched, why)

    def _phase_when_ready(self, rid: int, phase: Phase, done: dict, results: dict[str, PhaseResult],
                          info: RequestState) -> ProcessGenerator:
        preds = [done[d] for d in phase.predecessors]
        if preds:
            yield self.env.all_of(preds)
        if any(not results[d][0] for d in phase.predecessors):
            results[phase.name] = (False, 0)  # skipped: an input failed
        else:
            results[phase.name] = yield from self.run_phase(rid, phase, info)
        done[phase.name].succeed()

    def run_phase(self, rid: int, phase: Phase, info: RequestState) -> ProcessGenerator:
        """A phase on its plugin, then down its fallbacks; returns ``(succeeded, level)``."""
        candidates, duration, kind = self.decisions.phase_facts(phase)
        for level, plugin in enumerate(candidates):
            if level:
                info.fallbacks += 1
            result = yield from self.runner.call(rid, plugin, phase, level, info, duration=duration,
                                                 kind=kind)
            if result == SUCCESS:
                if self._share_state:
                    self.ctx.state.set(plugin, phase.name, {"request": rid, "phase": phase.name},
                                       correlation_id=rid)
                return True, level
            if result in STOPS:  # the deadline passed, or the attempt limit was reached
                info.reason = result
                break
            if level + 1 < len(candidates) and self.bus.wanted:
                self.bus.publish("routing/fallback", type="event", source=self._source,
                                 correlation_id=rid, payload={
                                     "originalPlugin": plugin, "fallbackPlugin": candidates[level + 1],
                                     "reason": FALLBACK_REASONS.get(result, "retries_exhausted")})
        return False, 0


def outcome(results: dict[str, PhaseResult], info: RequestState, matched: bool = True,
            why: str = "") -> tuple[str, str]:
    """A plan's ``(status, reason)`` from its phases' results."""
    if not all(ok for ok, _ in results.values()):
        if info.reason in STOPS:
            return FAILED, info.reason
        return FAILED, "phase failed: " + ",".join(n for n, (ok, _) in results.items() if not ok)
    return succeeded(max((level for _, level in results.values()), default=0), matched, why)


def succeeded(worst: int, matched: bool, why: str) -> tuple[str, str]:
    """Every phase succeeded, the worst on fallback level ``worst``."""
    if not matched:  # the orchestrator's built-in handling
        return DEGRADED, why
    return (DEGRADED if worst > 0 else SUCCEEDED), ""
