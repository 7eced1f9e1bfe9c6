"""The orchestrator pipeline per request, as SimPy processes.

classify → (breakers) → route → (budget: optimize) → publish the decision → execute the plan's
phases as their dependencies complete: a chain (single or sequential plan) in the request's own
process, phase after phase; any other plan with a process per phase that waits for its
predecessors. A phase runs on its plugin, then down the fallbacks the routing decision gave it
(:func:`~simroute.routing.fallback_chain`: the plugin's catalog fallbacks, then the orchestrator's
built-in path). On each plugin, attempts follow one path (``_call``):

* the plugin's **guards** (:mod:`simroute.engine.guards`: deadline, breaker, bulkhead, rate limit,
  shedding) admit the attempt or refuse it at once (no call, no cost);
* the **call** queues for a slot on a cancellable ticket and is served; the plugin draws how it
  ends (:mod:`simroute.failure`: success after a service time, or a failure kind after that kind's
  latency). It races the per-attempt timeout and the request's deadline: a caller that gives up
  leaves the plugin working (abandoned work). With hedging, copies race and the loser is
  cancelled. Without a timeout or hedging the call runs inline (no timer, nothing to cancel);
* the guards see the outcome (reverse order), the attempt is recorded as a named row and
  observers (the bus) are told;
* the **retry policy** of the outcome's class decides: retry here after a backoff (never before a
  Retry-After, never past the deadline, while the retry budget allows), or move to the next
  candidate (non-retryable errors, refusals by a breaker or a bulkhead, exhausted retries).

Costs: an attempt is paid when the plugin starts on it while its caller waits (not for 429s or
non-retryable refusals, nor for refusals by a guard). Messages are only built when someone would
see them (recording on, or a subscriber with a callback); equal payloads are shared. Per-plugin
and per-plan facts are computed once per run.

Terminal status: ``succeeded``; ``degraded`` (a phase ran on a fallback, or nothing matched and
the orchestrator handled it); ``failed`` (a phase failed everywhere, or the deadline passed);
``compensated`` (a saga rolled back); ``rejected`` (over budget, or no plugin matched and there is
no built-in path); ``in_flight`` when the horizon cut it off.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping
from typing import Any

import numpy as np
import simpy

from ..breaker import OPEN, CircuitBreaker
from ..classify import classify
from ..cost import optimize_cost
from ..draws import Source, Uniforms, service_source
from ..failure import (
    CANCELLED,
    CONTENT_POLICY,
    CONTEXT_WINDOW,
    DEADLINE,
    NON_RETRYABLE,
    NOT_BILLED,
    RATE_LIMITED,
    REJECTED_BULKHEAD,
    REJECTED_OPEN,
    SHED,
    SUCCESS,
    TIMEOUT,
)
from ..plan import Phase, Plan
from ..retry import RetryBudget, RetryPolicy
from ..routing import decide_route, fallback_chain
from ..saga import Saga, rollback_plan
from .bus import MessageBus
from .grouprouter import GroupRouter
from .guards import build_guards
from .observers import BusObserver
from .plugins import PluginServer
from .recorder import Recorder
from .records import Call, RequestState
from .state import StateStore
from .tasks import sleeper

__all__ = ["Orchestrator", "ProcessGenerator"]

#: a SimPy process: a generator of events (as simpy.events names it)
ProcessGenerator = Generator[simpy.Event, Any, Any]

_NONE: frozenset = frozenset()
_FALLBACK_REASONS = {REJECTED_OPEN: "circuit_breaker_open", REJECTED_BULKHEAD: "bulkhead_full",
                     NON_RETRYABLE: "non_retryable", SHED: "shed", CONTEXT_WINDOW: "context_window",
                     CONTENT_POLICY: "content_policy"}


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def _facts(plan: Plan) -> tuple[float, float, str, tuple[Phase, ...]]:
    return plan.cost, plan.duration, plan.strategy, tuple(plan.order())


def _optimize(plan: Plan, budget: float, catalog, on_over_budget: str):
    return optimize_cost(plan, budget, catalog, on_over_budget=on_over_budget)


class Orchestrator:
    def __init__(self, env: simpy.Environment, scenario, rngs: dict[str, np.random.Generator],
                 recorder: Recorder, sagas: Mapping[str, Saga], *, record_messages: bool = True) -> None:
        self.env = env
        self.scenario = scenario
        self.catalog = scenario.catalog
        self.settings = s = scenario.settings
        self.rec = recorder
        self._write_request = recorder.request
        self._write_attempt = recorder.attempt
        # blocked streams, the same numbers as drawn one by one (simroute.draws)
        self.rng_service = service_source(rngs["service"], [
            m for p in self.catalog.plugins.values() for m in p.service_models()])
        self.rng_failure: Source = Uniforms(rngs["failure"])
        self._uniform = self.rng_failure.random
        self.rng_retry = rngs["retry"]
        self._sleep = sleeper(env)
        self.sagas = sagas
        self.bus = MessageBus(env, latency=s.bus_latency, record=s.record_messages and record_messages,
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
        self._plans: dict[tuple, tuple] = {}  #: per-plan (and per-phase) facts (see _once)
        self._candidates: dict[str, tuple[str, ...]] = {}
        self._failure_p = {n: p.failure_p for n, p in self.catalog.plugins.items()}
        self._failure_model = {n: p.failure for n, p in self.catalog.plugins.items()}
        self._timeout = {n: _first(p.timeout_s, s.timeout.attempt, math.inf)
                         for n, p in self.catalog.plugins.items()}
        self._deadline = _first(s.timeout.deadline, math.inf)
        self._hedge = s.hedge.delay
        self._pending: dict[int, Call] = {}  #: abandoned calls the plugins still work on
        self._guards = {n: build_guards(p, s, self) for n, p in self.catalog.plugins.items()}
        self._topics = {n: (f"plugin/{n}/request", f"plugin/{n}/response") for n in self.catalog.plugins}
        self._payloads: dict[tuple, dict] = {}
        self._subscribe()
        self._watch = BusObserver(self.bus, self.orchestrator_name, self._payload, self._topics)  #: if wanted
        self.active: dict[int, RequestState] = {}
        self.group_router = GroupRouter(self, scenario.model_groups) if scenario.model_groups else None
        self._free_failures = frozenset(scenario.model_groups.deployments)  #: failed calls cost nothing

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
            if plugin in self.breakers:  # (a deployment's cooldown is not routed around)
                if to == OPEN:
                    self._open.add(plugin)
                else:
                    self._open.discard(plugin)
            self.rec.breaker(plugin, t, frm, to)
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
                                                 max_fallbacks=self.settings.max_fallbacks,
                                                 builtin_fallback=self.settings.builtin_fallback)
        return r

    def _once(self, key: tuple, plan: Plan | Phase | None, compute, *args):
        """``compute(plan, *args)`` once per ``key`` (which holds ``id(plan)``; a phase too); the
        entry keeps ``plan`` so that a recycled ``id`` never returns another plan's value."""
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
    def failure_at(self, plugin: str, t: float) -> tuple[float, str | None]:
        """(probability that an attempt starting at ``t`` fails, the kind a fault imposes or None)."""
        p, kind = self._failure_p[plugin], None
        for f in self.faults.get(plugin, ()):
            if f.start <= t < f.end:
                if f.kind == "outage":
                    return 1.0, f.failure
                if f.kind == "error_rate" and f.value >= p:
                    p, kind = f.value, f.failure
        return p, kind

    def slowdown(self, plugin: str, t: float) -> float:
        factor = 1.0
        for f in self.faults.get(plugin, ()):
            if f.kind == "latency" and f.start <= t < f.end:
                factor *= f.value
        return factor

    def _draw(self, plugin: str, t: float, model, duration: float | None, tokens: float | None
              ) -> tuple[str, float]:
        """How an attempt that starts now ends on the plugin, and how long the plugin works on it:
        a failure (by the plugin's failure model, or a fault's kind) with its kind's latency, else
        a success with a service time (``duration`` when the scenario runs plan durations)."""
        if plugin in self.faults:
            p, imposed = self.failure_at(plugin, t)
            factor = self.slowdown(plugin, t)
        else:
            p, imposed, factor = self._failure_p[plugin], None, 1.0
        if p and self._uniform() < p:
            fm = self._failure_model[plugin]
            kind = imposed or fm.pick(self.rng_failure)
            return kind, fm.duration(kind, self.rng_service)
        service = duration if duration is not None else model.sample(self.rng_service, tokens)
        return SUCCESS, service * factor

    # ------------------------------------------------------------------ one request
    def request(self, rid: int, text: str, budget: float, ctx: float, gen: float,
                saga: str | None, plan: Plan | None = None, group: str | None = None,
                stream: bool = False) -> ProcessGenerator:
        arrival = self.env.now
        info = RequestState(rid, arrival, text, budget, ctx, gen, saga, arrival + self._deadline)
        self.active[rid] = info
        if self.retry_budget is not None:
            self.retry_budget.record_request(arrival)
        if group is not None:
            assert self.group_router is not None  # the scenario checks that the group exists
            status, reason = yield from self.group_router.request(rid, group, info, stream)
        elif saga is not None:
            status, reason = yield from self._run_saga(rid, self.sagas[saga], info)
        else:
            status, reason = yield from self._run_routed(rid, text, budget, info, plan)
        self.finish(rid, status, reason)

    def finish(self, rid: int, status: str, reason: str, end: float | None = None) -> None:
        info = self.active.pop(rid)
        info.finish(status, reason, self.env.now if end is None else end)
        self._write_request(info)

    def flush(self) -> None:
        """Write the rows of abandoned calls the plugins were still working on, and the ends of
        cooldowns that ended unobserved (end of run)."""
        for call in self._pending.values():
            self._write_attempt(call)
        self._pending.clear()
        if self.group_router is not None:
            for cooldown in self.group_router.cooldowns.values():
                cooldown.available(self.env.now)

    def _run_routed(self, rid: int, text: str, budget: float, info: RequestState,
                    documented: Plan | None = None) -> ProcessGenerator:
        env = self.env
        c = self.classify(text)
        info.complexity = c.complexity
        excluded = self.open_breakers(env.now) if self.settings.route_around_open else _NONE
        route = self.route(text, excluded)
        if route.primary is None:  # no match and no built-in path
            return "rejected", route.reason
        plan: Plan = route.plan if documented is None else self.documented(documented)
        info.primary = route.primary
        original = facts = self.plan_info(plan)
        info.plan_cost = original[0]
        if original[0] > budget:  # (False when there is no budget: NaN)
            opt = self.optimized(plan, budget)
            if opt.status == "rejected":
                info.est_cost, info.est_duration = original[:2]
                return "rejected", "over budget"
            plan, info.optimized = opt.plan, True
            facts = self.plan_info(plan)
        info.est_cost, info.est_duration, strategy, order = facts
        if self.bus.wanted:
            self.bus.publish("routing/decision", type="event", source=self.orchestrator_name,
                             correlation_id=rid, payload={
                                 "requestId": rid, "primaryPlugin": route.primary,
                                 "fallbacks": route.fallbacks, "strategy": strategy,
                                 "phases": tuple(p.name for p in plan.phases),
                                 "phaseFallbacks": self._once(("chains", id(plan)), plan, self._chains),
                                 "estCost": info.est_cost, "estDuration": info.est_duration,
                                 "originalCost": original[0], "originalDuration": original[1]})
        info.phases = len(plan)
        if strategy in ("single", "sequential"):
            # a chain: run the phases in order in this process (no process or event per phase);
            # a failed phase skips the rest, which all depend on it
            worst = 0  # the highest fallback level a phase ran on
            for i, phase in enumerate(order):
                ok, level = yield from self._run_phase(rid, phase, info)
                if not ok:
                    return self._outcome({p.name: (j < i, 0) for j, p in enumerate(order)}, info)
                worst = max(worst, level)
            return self._succeeded(worst, route.matched, route.reason)
        results: dict[str, tuple[bool, int]] = {}
        done = {p.name: env.event() for p in plan.phases}
        for phase in plan.phases:
            env.process(self._phase_when_ready(rid, phase, done, results, info))
        yield env.all_of(list(done.values()))
        return self._outcome(results, info, route.matched, route.reason)

    @staticmethod
    def _outcome(results: dict[str, tuple[bool, int]], info: RequestState, matched: bool = True,
                 why: str = "") -> tuple[str, str]:
        if not all(ok for ok, _ in results.values()):
            if info.reason == DEADLINE:
                return "failed", DEADLINE
            return "failed", "phase failed: " + ",".join(n for n, (ok, _) in results.items() if not ok)
        return Orchestrator._succeeded(max((level for _, level in results.values()), default=0), matched, why)

    @staticmethod
    def _succeeded(worst: int, matched: bool, why: str) -> tuple[str, str]:
        """Every phase succeeded, the worst on fallback level ``worst``."""
        if not matched:  # the orchestrator's built-in handling
            return "degraded", why
        return ("degraded" if worst > 0 else "succeeded"), ""

    def _phase_when_ready(self, rid, phase: Phase, done, results, info) -> ProcessGenerator:
        preds = [done[d] for d in phase.predecessors]
        if preds:
            yield self.env.all_of(preds)
        if any(not results[d][0] for d in phase.predecessors):
            results[phase.name] = (False, 0)  # skipped: an input failed
        else:
            results[phase.name] = yield from self._run_phase(rid, phase, info)
        done[phase.name].succeed()

    def _chains(self, plan: Plan) -> dict[str, tuple[str, ...]]:
        """Each phase's fallbacks (for the routing/decision message; one dict per plan, read-only)."""
        return {p.name: self.candidates(p)[1:] for p in plan.phases}

    def candidates(self, phase: Phase) -> tuple[str, ...]:
        """The plugins a phase runs on, in order: its own, then the fallbacks the routing decision
        gave it (a phase without them — a saga step, a hand-built plan — falls back down its
        plugin's :func:`~simroute.routing.fallback_chain`, computed once per plugin)."""
        if phase.fallbacks is not None:
            return (phase.plugin, *phase.fallbacks)
        out = self._candidates.get(phase.plugin)
        if out is None:
            chain = fallback_chain(self.catalog, phase.plugin, builtin=self.settings.builtin_fallback)
            out = self._candidates[phase.plugin] = (phase.plugin, *chain)
        return out

    def _run_phase(self, rid: int, phase: Phase, info: RequestState) -> ProcessGenerator:
        candidates = self.candidates(phase)
        for level, plugin in enumerate(candidates):
            if level:
                info.fallbacks += 1
            outcome = yield from self._call(rid, plugin, phase, level, info, duration=phase.duration,
                                            kind=phase.kind)
            if outcome == SUCCESS:
                if self.settings.share_state:
                    self.state.set(plugin, phase.name, {"request": rid, "phase": phase.name},
                                   correlation_id=rid)
                return True, level
            if outcome == DEADLINE:
                info.reason = DEADLINE
                break
            if level + 1 < len(candidates) and self.bus.wanted:
                self.bus.publish("routing/fallback", type="event", source=self.orchestrator_name,
                                 correlation_id=rid, payload={
                                     "originalPlugin": plugin, "fallbackPlugin": candidates[level + 1],
                                     "reason": _FALLBACK_REASONS.get(outcome, "retries_exhausted")})
        return False, 0

    # ------------------------------------------------------------------ calls on one plugin
    def _target(self, plugin: str, phase: Phase | None, kind: str, label: str | None) -> tuple:
        """What every attempt of ``phase`` (or of a saga step, ``label``) on ``plugin`` shares,
        computed once per pair: (label, tier, service model, guards, per-attempt timeout, server,
        price of an attempt when the request has no tokens)."""
        return self._once(("target", id(phase), plugin, kind, label), phase, self._target_facts,
                          plugin, kind, label)

    def _target_facts(self, phase: Phase | None, plugin: str, kind: str, label: str | None) -> tuple:
        return (label or (phase.name if phase else ""),
                phase.agents[0].tier if phase and phase.agents else "",
                self.catalog.plugins[plugin].service_for(kind), self._guards[plugin],
                self._timeout[plugin], self.servers[plugin], phase.cost if phase else 0.0)

    def _call(self, rid: int, plugin: str, phase: Phase | None, level: int, info: RequestState, *,
              duration: float, kind: str, label: str | None = None) -> ProcessGenerator:
        """Attempts on one plugin, retried as the retry policy of each outcome says. Returns the
        last attempt's outcome (``success``, a failure kind, a refusal or ``deadline``)."""
        env = self.env
        label, tier, model, guards, timeout, server, price = self._target(plugin, phase, kind, label)
        if info.context_tokens == info.context_tokens:  # the request has tokens: priced by them
            price = self._token_price(phase, info)
            tokens = info.context_tokens + info.generated_tokens
        else:
            tokens = math.nan
        plan_duration = duration if self.settings.service == "plan" else None
        deadline = info._deadline
        # no timer and no hedging: each attempt runs inline here, without a generator of its own
        inline = timeout == math.inf and deadline == math.inf and self._hedge is None
        sleep = self._sleep
        retries: dict[RetryPolicy, int] = {}
        previous: float | None = None
        n = 0
        while True:
            n += 1
            info.attempts += 1
            call = Call(rid, label, plugin, level, n, env._now, tier, tokens, deadline, price)
            if inline:  # what attempt() does, for the common case
                if self._admit(call, guards):
                    if not server.try_acquire():
                        yield server.wait().event
                    yield sleep(self._begin(call, model, plan_duration))
                    server.release()
                    self._ended(call)
                    self._write_attempt(call)
                    self._charge(call, info)
                    self._settle(call, guards)
                result = call
            else:
                result = yield from self.attempt(call, info, guards, model, plan_duration, timeout)
            outcome = result.outcome
            if outcome == SUCCESS or outcome == DEADLINE:
                return outcome
            policy = self.settings.retry_for(outcome)
            if policy is None:
                return outcome
            done = retries.get(policy, 0)
            if done >= policy.max_retries:
                return outcome
            if self.retry_budget is not None and not self.retry_budget.try_spend(env._now):
                return outcome
            previous = policy.delay(done + 1, self.rng_retry, previous)
            wait = max(previous, result.retry_after)
            if wait == math.inf:
                return outcome
            if env._now + wait >= deadline:
                return DEADLINE  # the retry could not start before the deadline
            retries[policy] = done + 1
            info.retries += 1
            yield sleep(wait)

    def attempt(self, call: Call, info: RequestState, guards: tuple, model, plan_duration: float | None,
                timeout: float) -> ProcessGenerator:
        """One attempt: the plugin's guards admit ``call`` (or one refuses it: no call is made),
        the call queues and is served — raced against ``timeout`` and the request's deadline, and
        hedged when hedging is on — and the guards see the outcome in reverse order. Returns the
        call that ended the attempt (a hedged copy may win)."""
        if not self._admit(call, guards):
            return call
        until = min(self.env.now + timeout, call.deadline)
        if self._hedge is not None:
            result = yield from self._hedged(call, until, model, plan_duration, info)
        else:
            yield from self._serve(call, until, model, plan_duration)
            if not call.abandoned:
                self._write_attempt(call)
            self._charge(call, info)
            result = call
        self._settle(result, guards)
        return result

    def _admit(self, call: Call, guards: tuple) -> bool:
        """The guards admit ``call`` now (True: it is sent), or one refuses it: no call is made,
        the guards that had admitted it see the refusal, and it is recorded (False)."""
        now = self.env.now
        for i, guard in enumerate(guards):
            refusal = guard.admit(call, now)
            if refusal is not None:
                self._refuse(call, refusal, guards[:i], now)
                return False
        if self.bus.wanted:
            self._watch.sent(call)
        return True

    def _settle(self, result: Call, guards: tuple) -> None:
        """An attempt sent ended with ``result``: the guards see it, in reverse order."""
        now = self.env.now
        for guard in reversed(guards):
            guard.on_result(result, now)
        if self.bus.wanted:
            self._watch.answered(result)

    def _refuse(self, call: Call, refusal, admitted: tuple, now: float) -> None:
        """A guard refused ``call``: the guards that had admitted it see the outcome; recorded."""
        call.refused(refusal.outcome, refusal.retry_after, now)
        for g in reversed(admitted):
            g.on_result(call, now)
        self._write_attempt(call)

    def _begin(self, call: Call, model, duration: float | None) -> float:
        """The plugin starts on ``call`` now: draw how it ends; the seconds it will work on it."""
        now = self.env._now
        call.start = now
        call.outcome, seconds = self._draw(call.plugin, now, model, duration, call.tokens)
        # paid for the work; an LLM provider (a deployment) does not bill a call that fails
        free = call.outcome != SUCCESS and call.plugin in self._free_failures
        call.cost = 0.0 if free else call._price
        if self.bus.wanted:
            self._watch.started(call)
        return seconds

    def _ended(self, call: Call) -> None:
        """The plugin answered the caller now, as drawn at :meth:`_begin`."""
        call.end = call.server_end = self.env._now
        kind = call.outcome
        if kind in NOT_BILLED:  # refused before any work: not billed
            call.cost = 0.0
            if kind == RATE_LIMITED:
                call.retry_after = self._failure_model[call.plugin].retry_after_s

    def _serve(self, call: Call, until: float, model, duration: float | None,
               seconds: float | None = None) -> ProcessGenerator:
        """Queue for a slot and be served, or give up at ``until`` (outcome ``timeout``): a caller
        that gives up while queued leaves the ticket to be served for nobody (or withdraws it when
        ``timeout.cancel_abandoned``); one that gives up in service leaves the plugin working
        until its work ends. ``seconds``: the call already holds a slot and was begun (its work).
        Fills in ``call``; records nothing."""
        env = self.env
        server = self.servers[call.plugin]
        if seconds is None and not server.try_acquire():
            ticket = call._ticket = server.wait()
            if until == math.inf:
                yield ticket.event
            else:
                yield ticket.event | env.timeout(max(until - env.now, 0.0))
                if not ticket.event.triggered:
                    self._give_up_queued(call, server, ticket, model, duration)
                    return
            call._ticket = None
        if seconds is None:
            seconds = self._begin(call, model, duration)
        remaining = until - env.now
        if seconds <= remaining:
            yield env.timeout(seconds)
            server.release()
            self._ended(call)
        else:  # the caller gives up at `until`; the plugin goes on working
            yield env.timeout(remaining)
            call.end = env.now
            call.outcome = TIMEOUT
            call.abandoned = True
            self._pending[id(call)] = call
            server.hold(seconds - remaining, lambda end: self._abandoned_done(call, end))

    def _give_up_queued(self, call: Call, server, ticket, model, duration: float | None) -> None:
        call.end = self.env.now
        call.outcome = TIMEOUT
        call._ticket = None
        if self.settings.timeout.cancel_abandoned:
            server.withdraw(ticket)
            return
        call.abandoned = True
        self._pending[id(call)] = call

        def work(start: float) -> float:
            call.start = start  # for nobody: no cost
            return self._draw(call.plugin, start, model, duration, call.tokens)[1]

        def done(start: float, end: float) -> None:
            self._abandoned_done(call, end)

        server.abandon(ticket, work, done)

    def _abandoned_done(self, call: Call, end: float) -> None:
        call.server_end = end
        del self._pending[id(call)]
        self._write_attempt(call)

    # ------------------------------------------------------------------ hedging
    def _hedged(self, call: Call, until: float, model, duration: float | None,
                info: RequestState) -> ProcessGenerator:
        """Send ``call``, and another copy each ``hedge.delay`` seconds without an answer (up to
        ``hedge.max_copies``); the first success wins and the other copies are cancelled. When
        every copy sent has failed, the last failure is the result. Every copy that reached the
        plugin is paid for."""
        env = self.env
        delay, most = self._hedge, self.settings.hedge.max_copies
        server = self.servers[call.plugin]
        begun = None
        if server.try_acquire():  # a free slot: if the answer comes before any copy, no process
            begun = self._begin(call, model, duration)
            if begun <= min(delay, until - env.now):  # type: ignore[type-var]
                yield from self._serve(call, until, model, duration, begun)
                self._write_attempt(call)
                self._charge(call, info)
                return call
        copies = [call]
        procs = [env.process(self._copy(call, until, model, duration, begun))]
        winner = None
        while True:
            pending = [p for p in procs if p.is_alive]
            next_copy = call.queued + delay * len(copies)  # type: ignore[operator]
            if pending and len(copies) < most and next_copy < until:
                yield env.any_of([*pending, env.timeout(next_copy - env.now)])
            elif pending:
                yield env.any_of(pending)
            finished = [c for c, p in zip(copies, procs, strict=True) if not p.is_alive]
            winner = next((c for c in finished if c.outcome == SUCCESS), None)
            if winner is not None:
                break
            if all(not p.is_alive for p in procs):
                break
            if len(copies) < most and env.now >= next_copy:
                copy = call.copy(len(copies), env.now)
                copies.append(copy)
                procs.append(env.process(self._copy(copy, until, model, duration)))
        for p in procs:
            if p.is_alive:
                p.interrupt("hedge lost")
        for c in copies:
            self._charge(c, info)
        if winner is not None:
            return winner
        return max((c for c in copies if c.outcome), key=lambda c: c.end)

    def _copy(self, call: Call, until: float, model, duration: float | None,
              seconds: float | None = None) -> ProcessGenerator:
        """One copy of a hedged attempt, as a process that can be cancelled (interrupted);
        ``seconds``: it already holds a slot and was begun."""
        server = self.servers[call.plugin]
        try:
            yield from self._serve(call, until, model, duration, seconds)
        except simpy.Interrupt:
            now = self.env.now
            ticket = call._ticket
            if ticket is not None:  # still queued: leave the line (or give back a slot just handed over)
                if ticket.event.triggered:
                    server.release()
                else:
                    server.withdraw(ticket)
                call._ticket = None
            else:  # in service: stop the work
                server.release()
                call.server_end = now
            call.end = now
            call.outcome = CANCELLED
        if not call.abandoned:
            self._write_attempt(call)

    @staticmethod
    def _charge(call: Call, info: RequestState) -> None:
        """A call the plugin started working on (while its caller waited) is paid for and counts
        as the request using the plugin (refused calls never come here)."""
        if call.start == call.start:  # started (not NaN)
            info.cost += call.cost
            info._plugins.append(call.plugin)

    def _token_price(self, phase: Phase | None, info: RequestState) -> float:
        """Dollars for one attempt of ``phase`` by a request with tokens: each agent line at its
        tier's token prices (its own cost where the tier has none); a saga step costs nothing."""
        if phase is None:
            return 0.0
        total = 0.0
        for line in phase.agents:
            tier = self.catalog.tiers.get(line.tier)
            priced = tier.token_cost(info.context_tokens, info.generated_tokens) if tier else None
            total += line.cost if priced is None else priced
        return total

    # ------------------------------------------------------------------ sagas
    def _run_saga(self, rid: int, saga: Saga, info: RequestState) -> ProcessGenerator:
        env = self.env
        info.primary = saga.steps[0].plugin
        info.phases = len(saga.steps)
        done = []
        for i, step in enumerate(saga.steps):
            start = env.now
            ok = (yield from self._call(rid, step.plugin, None, 0, info, duration=step.duration,
                                        kind="default", label=step.action)) == SUCCESS
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
            ok = (yield from self._call(rid, step.plugin, None, 0, info,
                                        duration=step.compensation_duration, kind="default",
                                        label=compensation)) == SUCCESS
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
        self.rec.saga(rid, saga.name, i + 1, action, argument, direction, plugin,
                     start, self.env.now, outcome, info.attempts)
