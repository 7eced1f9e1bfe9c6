"""The orchestrator pipeline per request, as SimPy processes.

classify → (breakers) → route → (budget: optimize) → publish the decision → execute the plan's
phases as their dependencies complete: a chain (single or sequential plan) in the request's own
process, phase after phase; any other plan with a process per phase that waits for its
predecessors. A phase runs on its plugin, then down its fallbacks (the plugin's catalog fallbacks,
ending with the orchestrator's built-in path):

* an open breaker rejects the call at once (``rejected_open``) and the phase moves to the next
  candidate with a ``routing/fallback`` message; such a call is never retried on that plugin;
* otherwise the call queues for a slot, is served, and fails with the plugin's failure
  probability (or a fault's); a failure is retried after the retry policy's backoff while retries
  (and the retry budget) last, then the next candidate is tried;
* every attempt costs its phase's agent lines (per token when the request carries tokens and the
  tier has token prices); rejected calls cost nothing.

Messages are only built when someone would see them (recording on, or a subscriber with a
callback); equal payloads are shared. Per-plugin and per-plan facts (topics, service models,
failure probabilities, plan cost, duration, strategy and order) are computed once per run.

Terminal status: ``succeeded``; ``degraded`` (a phase ran on a fallback); ``failed``;
``compensated`` (a saga rolled back); ``rejected`` (no capable plugin, every candidate's breaker
open, or over budget); ``in_flight`` when the horizon cut it off.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np
import simpy

from ..breaker import OPEN, CircuitBreaker
from ..classify import classify
from ..cost import optimize_cost
from ..plan import Phase, Plan
from ..retry import RetryBudget
from ..routing import decide_route
from ..saga import Saga, rollback_plan
from .bus import MessageBus
from .plugins import PluginServer
from .recorder import Recorder
from .state import StateStore

__all__ = ["Orchestrator"]

_NONE: frozenset = frozenset()


def _facts(plan: Plan) -> tuple[float, float, str, tuple[Phase, ...]]:
    return plan.cost, plan.duration, plan.strategy, tuple(plan.order())


def _optimize(plan: Plan, budget: float, catalog, on_over_budget: str):
    return optimize_cost(plan, budget, catalog, on_over_budget=on_over_budget)


class Orchestrator:
    def __init__(self, env: simpy.Environment, scenario, rngs: dict[str, np.random.Generator],
                 recorder: Recorder, sagas: dict[str, Saga]) -> None:
        self.env = env
        self.scenario = scenario
        self.catalog = scenario.catalog
        self.settings = s = scenario.settings
        self.rec = recorder
        self._write_request = recorder.writer(recorder.requests)
        self._write_attempt = recorder.writer(recorder.attempts)
        self.rng_service = rngs["service"]
        self.rng_failure = rngs["failure"]
        self.rng_retry = rngs["retry"]
        self.sagas = sagas
        self.bus = MessageBus(env, latency=s.bus_latency, record=s.record_messages,
                              columns=recorder.messages)
        self.state = StateStore(self.bus)
        self.servers = {n: PluginServer(env, n, p.capacity) for n, p in self.catalog.plugins.items()}
        self.orchestrator_name = self.catalog.orchestrator.name
        self.breakers: dict[str, CircuitBreaker] = {}
        self._open: set[str] = set()  #: plugins whose breaker is open (kept by transitions)
        if s.breaker.enabled:
            for name in self.catalog.plugins:
                if name != self.orchestrator_name:
                    self.breakers[name] = s.breaker.make(self._on_transition(name))
        self.retry_budget = (RetryBudget(s.retry_budget.ratio, s.retry_budget.min_retries,
                                         s.retry_budget.window) if s.retry_budget else None)
        self.faults: dict[str, list] = {}
        for f in scenario.faults:
            self.faults.setdefault(f.plugin, []).append(f)
        self._classes: dict[str, object] = {}
        self._routes: dict[tuple, object] = {}
        self._plans: dict[tuple, tuple] = {}  #: per-plan facts (see _once)
        self._candidates: dict[str, list[str]] = {}
        self._failure_p = {n: p.failure_p for n, p in self.catalog.plugins.items()}
        self._topics = {n: (f"plugin/{n}/request", f"plugin/{n}/response") for n in self.catalog.plugins}
        self._service: dict[tuple[str, str], object] = {}  #: (plugin, kind) → ServiceTime
        self._payloads: dict[tuple, dict] = {}
        self._subscribe()
        self.active: dict[int, dict] = {}

    # ------------------------------------------------------------------ wiring
    def _subscribe(self) -> None:
        """Each plugin gets its requests plus the topics its catalog entry subscribes to; a
        telemetry subscriber sees everything."""
        for name, plugin in self.catalog.plugins.items():
            self.bus.subscribe(self._topics[name][0], name)
            for pattern in plugin.subscribes:
                self.bus.subscribe(pattern, name)
        self.bus.subscribe("#", "telemetry")

    def _on_transition(self, plugin: str):
        def record(t: float, frm: str, to: str) -> None:
            if to == OPEN:
                self._open.add(plugin)
            else:
                self._open.discard(plugin)
            self.rec.add(self.rec.breakers, plugin, t, frm, to)
            self.bus.publish(f"circuit-breaker/{to.replace('_', '-')}", type="event", source=plugin,
                             payload={"plugin": plugin, "from": frm, "to": to, "time": t})
        return record

    # ------------------------------------------------------------------ policies, cached
    def classify(self, text: str):
        c = self._classes.get(text)
        if c is None:
            c = self._classes[text] = classify(text, self.catalog)
        return c

    def route(self, text: str, excluded: frozenset):
        key = (text, excluded)
        r = self._routes.get(key)
        if r is None:
            r = self._routes[key] = decide_route(self.classify(text), self.catalog,
                                                 self.settings.weights, exclude=excluded,
                                                 max_fallbacks=self.settings.max_fallbacks)
        return r

    def _once(self, key: tuple, plan: Plan, compute, *args):
        """``compute(plan, *args)`` once per ``key`` (which holds ``id(plan)``); the entry keeps
        ``plan`` so that a recycled ``id`` never returns another plan's value."""
        hit = self._plans.get(key)
        if hit is None or hit[0] is not plan:
            hit = self._plans[key] = (plan, compute(plan, *args))
        return hit[1]

    def plan_info(self, plan: Plan) -> tuple[float, float, str, tuple[Phase, ...]]:
        """(cost, critical-path duration, strategy, phases in order) of a plan, computed once."""
        return self._once(("facts", id(plan)), plan, _facts)

    def documented(self, plan: Plan) -> Plan:
        """A documented plan priced with this scenario's tiers (computed once per plan)."""
        return self._once(("documented", id(plan)), plan, Plan.reprice, self.catalog.tiers)

    def optimized(self, plan: Plan, budget: float):
        """:func:`optimize_cost` of a plan under ``budget``, computed once per pair: the same
        (cached) plan and budget come back request after request, and each result's plan is then
        one object whose facts :meth:`plan_info` keeps."""
        return self._once(("optimized", id(plan), budget), plan, _optimize, budget, self.catalog,
                          self.settings.on_over_budget)

    def open_breakers(self, t: float) -> frozenset:
        if not self._open:
            return _NONE
        return frozenset(n for n in sorted(self._open) if self.breakers[n].state_at(t) == OPEN)

    def _payload(self, *items) -> dict:
        """A message payload from key, value pairs; equal payloads are one shared dict (recorded
        messages would otherwise hold a copy each: treat payloads as read-only)."""
        payload = self._payloads.get(items)
        if payload is None:
            payload = self._payloads[items] = dict(zip(items[::2], items[1::2], strict=True))
        return payload

    # ------------------------------------------------------------------ faults
    def failure_p(self, plugin: str, t: float) -> float:
        p = self._failure_p[plugin]
        for f in self.faults.get(plugin, ()):
            if f.start <= t < f.end:
                if f.kind == "outage":
                    return 1.0
                if f.kind == "error_rate":
                    p = max(p, f.value)
        return p

    def slowdown(self, plugin: str, t: float) -> float:
        factor = 1.0
        for f in self.faults.get(plugin, ()):
            if f.kind == "latency" and f.start <= t < f.end:
                factor *= f.value
        return factor

    # ------------------------------------------------------------------ one request
    def request(self, rid: int, text: str, budget: float, ctx: float, gen: float,
                saga: str | None, plan: Plan | None = None) -> Generator:
        env = self.env
        arrival = env.now
        info = {"arrival": arrival, "text": text, "budget": budget, "ctx": ctx, "gen": gen,
                "saga": saga, "attempts": 0, "retries": 0, "fallbacks": 0, "cost": 0.0,
                "plugins": [], "phases": 0, "primary": None, "est_cost": math.nan,
                "est_duration": math.nan, "plan_cost": math.nan, "optimized": False,
                "complexity": ""}
        self.active[rid] = info
        if self.retry_budget is not None:
            self.retry_budget.record_request(arrival)
        if saga is not None:
            status, reason = yield from self._run_saga(rid, self.sagas[saga], info)
        else:
            status, reason = yield from self._run_routed(rid, text, budget, info, plan)
        self.finish(rid, status, reason)

    def finish(self, rid: int, status: str, reason: str, end: float | None = None) -> None:
        info = self.active.pop(rid)
        end = self.env.now if end is None else end
        self._write_request(
            rid, info["arrival"], end if status != "in_flight" else math.nan,
            end - info["arrival"] if status != "in_flight" else math.nan, status, reason,
            info["text"], info["complexity"], info["saga"] or "", info["primary"] or "",
            ",".join(dict.fromkeys(info["plugins"])), info["phases"], info["attempts"],
            info["retries"], info["fallbacks"], info["cost"], info["est_cost"],
            info["est_duration"], info["plan_cost"], info["budget"], info["optimized"], info["ctx"],
            info["gen"])

    def _run_routed(self, rid: int, text: str, budget: float, info: dict,
                    documented: Plan | None = None) -> Generator:
        env = self.env
        c = self.classify(text)
        info["complexity"] = c.complexity
        excluded = self.open_breakers(env.now) if self.settings.route_around_open else _NONE
        route = self.route(text, excluded)
        if route.primary is None:
            reason = "all breakers open" if excluded and self.route(text, frozenset()).primary \
                else route.reason
            return "rejected", reason
        plan: Plan = route.plan if documented is None else self.documented(documented)
        info["primary"] = route.primary
        original = self.plan_info(plan)
        info["plan_cost"] = original[0]
        if not math.isnan(budget) and original[0] > budget:
            opt = self.optimized(plan, budget)
            if opt.status == "rejected":
                info["est_cost"], info["est_duration"] = original[:2]
                return "rejected", "over budget"
            plan, info["optimized"] = opt.plan, True
        info["est_cost"], info["est_duration"], strategy, order = self.plan_info(plan)
        if self.bus.wanted:
            self.bus.publish("routing/decision", type="event", source=self.orchestrator_name,
                             correlation_id=rid, payload={
                                 "requestId": rid, "primaryPlugin": route.primary,
                                 "fallbacks": route.fallbacks, "strategy": strategy,
                                 "phases": tuple(p.name for p in plan.phases),
                                 "estCost": info["est_cost"], "estDuration": info["est_duration"],
                                 "originalCost": original[0], "originalDuration": original[1]})
        info["phases"] = len(plan)
        results: dict[str, tuple[bool, int]] = {}
        if strategy in ("single", "sequential"):
            # a chain: run the phases in order in this process (no process or event per phase);
            # a failed phase skips the rest, which all depend on it
            for phase in order:
                results[phase.name] = yield from self._run_phase(rid, phase, info)
                if not results[phase.name][0]:
                    break
            for phase in order:
                results.setdefault(phase.name, (False, 0))
            return self._outcome(results)
        done = {p.name: env.event() for p in plan.phases}
        for phase in plan.phases:
            env.process(self._phase_when_ready(rid, phase, done, results, info))
        yield env.all_of(list(done.values()))
        return self._outcome(results)

    @staticmethod
    def _outcome(results: dict[str, tuple[bool, int]]) -> tuple[str, str]:
        if not all(ok for ok, _ in results.values()):
            return "failed", "phase failed: " + ",".join(n for n, (ok, _) in results.items() if not ok)
        if any(level > 0 for _, level in results.values()):
            return "degraded", ""
        return "succeeded", ""

    def _phase_when_ready(self, rid, phase: Phase, done, results, info) -> Generator:
        preds = [done[d] for d in phase.predecessors]
        if preds:
            yield self.env.all_of(preds)
        if any(not results[d][0] for d in phase.predecessors):
            results[phase.name] = (False, 0)  # skipped: an input failed
        else:
            results[phase.name] = yield from self._run_phase(rid, phase, info)
        done[phase.name].succeed()

    def candidates(self, plugin: str) -> list[str]:
        """The plugin, its catalog fallbacks, then the orchestrator (computed once per plugin)."""
        out = self._candidates.get(plugin)
        if out is None:
            chain = [plugin, *self.catalog.plugins[plugin].fallbacks, self.orchestrator_name]
            out = self._candidates[plugin] = list(dict.fromkeys(chain))
        return out

    def _run_phase(self, rid: int, phase: Phase, info: dict) -> Generator:
        candidates = self.candidates(phase.plugin)
        for level, plugin in enumerate(candidates):
            if level:
                info["fallbacks"] += 1
            ok, rejected = yield from self._call(rid, plugin, phase, level, info,
                                                 duration=phase.duration, kind=phase.kind)
            if ok:
                if self.settings.share_state:
                    self.state.set(plugin, phase.name, {"request": rid, "phase": phase.name},
                                   correlation_id=rid)
                return True, level
            if level + 1 < len(candidates) and self.bus.wanted:
                self.bus.publish("routing/fallback", type="event", source=self.orchestrator_name,
                                 correlation_id=rid, payload={
                                     "originalPlugin": plugin, "fallbackPlugin": candidates[level + 1],
                                     "reason": "circuit_breaker_open" if rejected else "retries_exhausted"})
        return False, 0

    def _call(self, rid: int, plugin: str, phase: Phase | None, level: int, info: dict, *,
              duration: float, kind: str, label: str | None = None, cost: float | None = None
              ) -> Generator:
        """Attempts on one plugin with retries. Returns (succeeded, rejected_by_breaker)."""
        env = self.env
        bus = self.bus
        breaker = self.breakers.get(plugin)
        server = self.servers[plugin]
        retry = self.settings.retry
        label = label or (phase.name if phase else "")
        if cost is None:
            cost = self._attempt_cost(phase, info)
        tier = phase.agents[0].tier if phase and phase.agents else ""
        plan_service = self.settings.service == "plan"
        model = self._service.get((plugin, kind))
        if model is None:
            model = self._service[plugin, kind] = self.catalog.plugins[plugin].service_for(kind)
        tokens = None if math.isnan(info["ctx"]) else info["ctx"] + info["gen"]
        faulted = plugin in self.faults
        base_p = self._failure_p[plugin]
        previous_delay = None
        for n in range(retry.max_retries + 1):
            info["attempts"] += 1
            if breaker is not None and not breaker.allow(env.now):
                self._write_attempt(rid, label, plugin, level, n + 1, env.now, env.now, env.now, 0.0,
                                    0.0, "rejected_open", 0.0, tier)
                return False, True
            if n:
                info["retries"] += 1
            if bus.wanted:
                bus.publish(self._topics[plugin][0], type="request", source=self.orchestrator_name,
                            correlation_id=rid, payload=self._payload("command", label, "attempt", n + 1))
            queued = env.now
            if not server.try_acquire():
                yield server.wait()
            start = env.now
            if bus.wanted:
                bus.publish("orchestration/task-start", type="event", source=plugin,
                            correlation_id=rid, payload=self._payload("plugin", plugin, "status", "running"))
            if plan_service:
                service = duration
            else:
                service = model.sample(self.rng_service, tokens)
            if faulted:
                service *= self.slowdown(plugin, start)
                failed = self.rng_failure.random() < self.failure_p(plugin, start)
            else:
                failed = self.rng_failure.random() < base_p
            yield env.timeout(service)
            server.release()
            info["cost"] += cost
            info["plugins"].append(plugin)
            outcome = "failure" if failed else "success"
            self._write_attempt(rid, label, plugin, level, n + 1, queued, start, env.now,
                                start - queued, service, outcome, cost, tier)
            if bus.wanted:
                bus.publish(self._topics[plugin][1], type="response", source=plugin,
                            correlation_id=rid,
                            payload=self._payload("status", "error" if failed else "success"))
            if breaker is not None:
                (breaker.record_failure if failed else breaker.record_success)(env.now, service)
            if not failed:
                return True, False
            if n == retry.max_retries:
                break
            if self.retry_budget is not None and not self.retry_budget.try_spend(env.now):
                break
            previous_delay = retry.delay(n + 1, self.rng_retry, previous_delay)
            yield env.timeout(previous_delay)
        return False, False

    def _attempt_cost(self, phase: Phase | None, info: dict) -> float:
        if phase is None:
            return 0.0
        if math.isnan(info["ctx"]):
            return phase.cost
        total = 0.0
        for line in phase.agents:
            tier = self.catalog.tiers.get(line.tier)
            priced = tier.token_cost(info["ctx"], info["gen"]) if tier else None
            total += line.cost if priced is None else priced
        return total

    # ------------------------------------------------------------------ sagas
    def _run_saga(self, rid: int, saga: Saga, info: dict) -> Generator:
        env = self.env
        info["primary"] = saga.steps[0].plugin
        info["phases"] = len(saga.steps)
        done = []
        for i, step in enumerate(saga.steps):
            start = env.now
            ok, _ = yield from self._call(rid, step.plugin, None, 0, info, duration=step.duration,
                                          kind="default", label=step.action)
            self._saga_row(rid, saga, i, step.action, step.argument, "forward", step.plugin, start,
                           "success" if ok else "failure", info)
            if not ok:
                break
            self.state.set(step.plugin, step.key, {"created_by": step.action, "request": rid},
                           correlation_id=rid)
            done.append((i, step))
        else:
            return "succeeded", ""
        if saga.detection_delay:
            yield env.timeout(saga.detection_delay)
        self.bus.publish(f"saga/{saga.name}/rollback", type="event", source=self.orchestrator_name,
                         correlation_id=rid, payload={"failedStep": len(done) + 1,
                                                      "compensations": len(done)})
        if saga.rollback_delay:
            yield env.timeout(saga.rollback_delay)
        failed_comp = []
        for compensation, step in rollback_plan([s for _, s in done]):
            i = saga.steps.index(step)
            start = env.now
            ok, _ = yield from self._call(rid, step.plugin, None, 0, info,
                                          duration=step.compensation_duration, kind="default",
                                          label=compensation)
            self._saga_row(rid, saga, i, compensation, step.argument, "compensate", step.plugin,
                           start, "success" if ok else "compensation_failed", info)
            if ok:
                self.state.delete(step.plugin, step.key, correlation_id=rid)
            else:
                failed_comp.append(compensation)
        if failed_comp:
            return "failed", "compensation_failed: " + ",".join(failed_comp)
        return "compensated", f"step {len(done) + 1} failed"

    def _saga_row(self, rid, saga, i, action, argument, direction, plugin, start, outcome, info):
        self.rec.add(self.rec.sagas, rid, saga.name, i + 1, action, argument, direction, plugin,
                     start, self.env.now, outcome, info["attempts"])
