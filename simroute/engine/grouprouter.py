"""Requests to a model group, served as the LiteLLM Router serves them (SimPy mechanism).

A request that names a model group (:mod:`simroute.policies.modelgroups`) runs this flow, after LiteLLM's
``async_function_with_fallbacks`` and ``async_function_with_retries`` (``litellm/router.py`` of
LiteLLM 1.95.0, read from its source; by 1.110 the router's core has moved to Rust):

1. **Pick** a deployment of the group that is not cooling down, as ``router.routing_strategy`` says
   (:mod:`simroute.policies.strategies`; the default, LiteLLM's simple shuffle, picks at random,
   weighted as :meth:`~simroute.policies.modelgroups.ModelGroups.weights` says). When every
   deployment is cooling down, or none is within the strategy's rpm/tpm limits, the attempt finds
   "no deployments available": no call is made.
2. **Call** it: the deployment's guards, queue, latency, timeout and failure model are those of
   any plugin (:meth:`~simroute.engine.attempts.AttemptRunner.attempt`). The outcome feeds the deployment's
   :class:`~simroute.resilience.cooldown.DeploymentCooldown`. A deployment whose service model is
   ``llm`` (:class:`~simroute.common.distributions.ServiceTime`) answers after its time to first
   token plus the decode of the request's output tokens; for a streaming request its
   ``stream_timeout_s`` waits for the first token only (a first token later than it is a timeout at
   it; otherwise the call may take that long plus its decode, so a queue wait counts against the
   first token — a call whose queue pushes its first token past the limit fails at the limit plus
   its decode time, not at the limit). Other models keep ``stream_timeout_s`` as the whole call's.
3. **Retry**: the group gets ``retry_policy[kind]`` retries when the policy names the first
   failure's kind, else ``num_retries``. Without such a policy entry, the router first asks whether
   to retry at all (``should_retry_this_error``): no when the failure is ``context_window`` (or
   ``content_policy``) and the router has context-window (content-policy) fallbacks, when it is a
   429, no deployment is available and the router has fallbacks, or when no deployment is
   available at all. It asks again after **every** failed retry, with that retry's failure, so a
   group that cooldowns have emptied goes to its fallbacks at once, without sleeping. Before each
   retry — and after the last one fails, before giving up, as LiteLLM does — the router waits 0 s
   when the group has several deployments and one is available; otherwise the latest failure's
   Retry-After if it has one of at most 60 s, else the n-th step of the exponential backoff
   ``initial_retry_delay × 2^n`` (n = 0 before the first retry, 1 after it fails, …; at least
   ``retry_after``, at most ``max_retry_delay``), plus a jitter uniform in [0, ``jitter``) s in
   both cases. A retry picks again (step 1), possibly the same deployment. Every attempt first
   waits the gateway's ``client_overhead``.
4. **Fall back**: when the group has failed, the fallback groups are tried in order, each with its
   own retries (a fallback resets the retry cycle), chosen by the latest failure's kind
   (:meth:`~simroute.policies.modelgroups.ModelGroups.fallbacks_for`); a fallback group's own fallbacks
   are followed too, up to ``max_fallbacks`` hops.

The request *succeeds* when its own group answers, is *degraded* when a fallback group answers, and
*fails* otherwise (reason: the latest failure's kind, or "no deployments available"; the latest
failure also chooses the fallbacks, as LiteLLM raises the latest error). A deployment
bills a call that succeeds (also one whose caller gave up waiting), never one that fails. Each call is a
row of the attempts table: ``phase`` is the group, ``fallback_level`` the fallback hop (0: the
request's group), ``attempt`` the attempt number in that group's retry cycle. Cooldowns are rows of
``breaker_events`` (``closed → open`` when one starts, ``open → closed`` when it ends).

Where the model still differs from LiteLLM 1.95.0, and why:

* **Routing strategies**: ``simple-shuffle``, ``least-busy``, ``latency-based-routing``,
  ``usage-based-routing-v2`` and ``cost-based-routing`` are modelled; LiteLLM's others (``lowest-cost``
  variants of budgets, tag and auto routers) are not. The strategies count input tokens from the
  request's tokens, not from tokenizing the messages.
* **Per-deployment ``num_retries``** (a deployment's ``litellm_params.num_retries``, which LiteLLM reads
  off the error) and ``model_group_retry_policy`` are not read: the router's ``num_retries`` and
  ``retry_policy`` apply to every group.
* **Error classes simroute has no kind for**: 401/403 (retried by LiteLLM only when the group has
  other deployments) and 404 (never retried) do not occur; a fault or failure model produces
  ``error`` (a 5xx), ``timeout`` (408), ``rate_limited`` (429) and the 400s.
* **A call that finds no deployment** is no call in simroute: it takes no time and writes no row.
  LiteLLM raises its no-deployments error at once too, but that error carries no response headers,
  which simroute matches by waiting the backoff step.
* **Pre-call checks, tag and region routing, budgets, health-check routing, caching** change which
  deployments are eligible; none is modelled.
* **Wall-clock details**: LiteLLM counts failures per calendar minute of the wall clock; simroute per
  minute of simulated time from 0. Retry-After is read as whole seconds in both.

How this is checked: ``tests/test_litellm_differential.py`` drives the real ``litellm.Router``
(LiteLLM 1.95.0, in the test extra) and this model with the same config on scripted cases — a
primary that refuses fast, one that hangs past its timeout, 429s with and without Retry-After, a
persistent 503 without fallbacks, ``allowed_fails`` with a cooldown, a deployment's own
``cooldown_time``, groups of several deployments (one emptied by cooldowns), fallbacks, a chain of
them and default fallbacks, under simple-shuffle, least-busy and cost-based routing. For every
request both make the same calls to the same deployments (the same groups where the pick is at
random), with the same gaps between them and the same end, within LiteLLM's jitter plus 80 ms of
the event loop's own work; a backoff one step behind fails it. Driving it showed one thing a
user's own provider must do for least-busy routing to work in LiteLLM: call the logging object's
``pre_call`` (LiteLLM's own providers do), else the in-flight counts only go down and the
strategy sends every call to the deployment that has answered most.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..common.statuses import DEGRADED, FAILED, SUCCEEDED
from ..policies.strategies import DeploymentLimits, make_strategy
from ..resilience.cooldown import DeploymentCooldown
from ..resilience.failure import (
    CONTENT_POLICY,
    CONTEXT_WINDOW,
    DEADLINE,
    FAILURE_KINDS,
    RATE_LIMITED,
    SUCCESS,
)
from ..resilience.retry import MAX_DOUBLINGS
from .attempts import ATTEMPT_LIMIT, STOPS, AttemptRunner
from .records import Call

if TYPE_CHECKING:
    from ..policies.modelgroups import ModelGroups
    from .context import Context
    from .records import RequestState
    from .tasks import ProcessGenerator

__all__ = ["GroupRouter", "NO_DEPLOYMENTS"]

NO_DEPLOYMENTS = "no deployments available"
MAX_RETRY_AFTER = 60.0  #: a Retry-After longer than this is not obeyed (LiteLLM's _calculate_retry_after)


class GroupRouter:
    """The model-group flow of one run (see the module docstring).

    Parameters:
        ctx: the run's context.
        runner: the run's attempt path (each call to a deployment goes through it).
        groups: the scenario's model groups.
    """

    def __init__(self, ctx: Context, runner: AttemptRunner, groups: ModelGroups) -> None:
        self.env = ctx.env
        self.runner = runner
        self.groups = groups
        self.settings = s = ctx.settings.router
        self.rng = ctx.rng_retry
        self._timeouts = ctx.timeouts
        self._max_attempts = ctx.settings.max_attempts
        self._guards = ctx.guards
        self.cooldowns = {
            name: DeploymentCooldown(
                group_size=len(groups.groups[d.group]), allowed_fails=s.allowed_fails,
                allowed_fails_policy=s.allowed_fails_policy, cooldown_time=s.cooldown_time,
                own_cooldown_time=d.cooldown_time, disabled=s.disable_cooldowns,
                on_transition=ctx.on_transition(name))
            for name, d in groups.deployments.items()}
        catalog = ctx.catalog
        limits = {}
        for n, d in groups.deployments.items():
            tier = catalog.tiers[catalog.plugins[n].default_tier]
            limits[n] = DeploymentLimits(
                rpm=d.rpm if d.rpm is not None else math.inf, tpm=d.tpm if d.tpm is not None else math.inf,
                input_cost=None if tier.input_per_mtok is None else tier.input_per_mtok / 1e6,
                output_cost=None if tier.output_per_mtok is None else tier.output_per_mtok / 1e6)
        self.strategy = make_strategy(
            s.routing_strategy, groups.groups, limits, ctx.rng_retry,
            weights={g: groups.weights(g) for g in groups.groups}, buffer=s.lowest_latency_buffer,
            ttl=s.latency_ttl)
        #: per deployment: its latency model and its priced tier
        self._models = {n: catalog.plugins[n].service_for(None) for n in groups.deployments}
        self._tiers = {n: catalog.tiers[catalog.plugins[n].default_tier] for n in groups.deployments}
        self._has_fallbacks = bool(groups.fallbacks)
        self._rng_service = ctx.rng_service  #: a token-aware deployment's latency draws

    def close(self, end: float) -> None:
        """The run ended at ``end``: cooldowns that ended unobserved are closed (their rows written)."""
        for cooldown in self.cooldowns.values():
            cooldown.available(end)

    def available(self, group: str, t: float) -> list[str]:
        """The group's deployments that are not cooling down at ``t``."""
        return [n for n in self.groups.groups[group] if self.cooldowns[n].available(t)]


    # ------------------------------------------------------------------ one request
    def request(self, rid: int, group: str, info: RequestState, stream: bool) -> ProcessGenerator:
        """Serve request ``rid`` on ``group``; returns ``(status, reason)``."""
        info.primary = group
        info.phases = 1
        level, kind = yield from self._with_fallbacks(rid, group, info, stream, 0, 0)
        if level is not None:
            return (SUCCEEDED, "") if level == 0 else (DEGRADED, "")
        if kind in STOPS:
            return FAILED, kind
        return FAILED, kind or NO_DEPLOYMENTS

    def _with_fallbacks(self, rid: int, group: str, info: RequestState, stream: bool, depth: int,
                        level: int) -> ProcessGenerator:
        """The group with its retries, then its fallback groups. Returns ``(level that answered or
        None, the first failure's kind)``."""
        ok, kind = yield from self._with_retries(rid, group, info, stream, level)
        if ok:
            return level, None
        if kind in STOPS or depth >= self.settings.max_fallbacks:
            return None, kind
        for fallback in self.groups.fallbacks_for(group, kind):
            if fallback == group:
                continue
            if info.fallbacks >= self._max_attempts:  # a chain explored this far: stop here
                info.reason = ATTEMPT_LIMIT
                return None, ATTEMPT_LIMIT
            info.fallbacks += 1
            answered, _ = yield from self._with_fallbacks(rid, fallback, info, stream, depth + 1,
                                                          level + 1)
            if answered is not None:
                return answered, None
        return None, kind

    def _with_retries(self, rid: int, group: str, info: RequestState, stream: bool,
                      level: int) -> ProcessGenerator:
        """The group's first attempt and its retries. Returns ``(succeeded, the latest failure's
        kind; None when no deployment was available)``."""
        env = self.env
        size = len(self.groups.groups[group])
        n = 1
        first = yield from self._one(rid, group, info, stream, level, n)
        if first.outcome == SUCCESS or first.outcome in STOPS:
            return first.outcome == SUCCESS, first.outcome
        kind = first.outcome
        healthy = self.available(group, env.now)
        policy = self.settings.retry_policy.get(kind) if kind is not None else None
        if policy is None and not self._should_retry(kind, healthy):
            return False, kind
        retries = policy if policy is not None else self.settings.num_retries
        if retries <= 0:
            return False, kind
        yield env.timeout(self._sleep(first, retries, retries, healthy, size))
        for k in range(retries):
            n += 1
            info.retries += 1
            result = yield from self._one(rid, group, info, stream, level, n)
            if result.outcome == SUCCESS:
                return True, kind
            if result.outcome in STOPS:
                return False, result.outcome
            kind = result.outcome  # LiteLLM keeps the latest error
            healthy = self.available(group, env.now)
            if policy is None and not self._should_retry(kind, healthy):
                return False, kind  # asked again after every failed retry: to the fallbacks now
            yield env.timeout(self._sleep(result, retries - k - 1, retries, healthy, size))
        return False, kind

    def _should_retry(self, kind: str | None, healthy: list[str]) -> bool:
        """LiteLLM's ``should_retry_this_error`` on the group's first failure."""
        if kind is None:
            return False  # no deployment was available
        if kind == CONTEXT_WINDOW and self.groups.context_window_fallbacks:
            return False
        if kind == CONTENT_POLICY and self.groups.content_policy_fallbacks:
            return False
        if kind == RATE_LIMITED and not healthy and self._has_fallbacks:
            return False
        return bool(healthy)

    def _sleep(self, failed: Call | _NoCall, remaining: int, retries: int, healthy: list[str],
               size: int) -> float:
        """LiteLLM's ``_time_to_sleep_before_retry`` and ``_calculate_retry_after`` after the failure
        ``failed``, with ``remaining`` of ``retries`` retries left (see the module docstring)."""
        if size > 1 and healthy:
            return 0.0
        s = self.settings
        jitter = s.jitter * self.rng.random()
        if 0 < failed.retry_after <= MAX_RETRY_AFTER:
            return failed.retry_after + jitter
        step = s.initial_retry_delay * 2.0 ** min(retries - remaining, MAX_DOUBLINGS)
        return min(max(step, s.retry_after), s.max_retry_delay) + jitter

    def _one(self, rid: int, group: str, info: RequestState, stream: bool, level: int,
             n: int) -> ProcessGenerator:
        """One attempt on the group: a pick and a call (or no call when every deployment is
        cooling down: outcome None). Returns the :class:`Call` (or a stand-in with outcome None)."""
        env = self.env
        if self.settings.client_overhead:
            yield env.timeout(self.settings.client_overhead)
        if env.now >= info._deadline:
            return _NoCall(DEADLINE)
        if info.attempts >= self._max_attempts:
            info.reason = ATTEMPT_LIMIT
            return _NoCall(ATTEMPT_LIMIT)
        candidates = self.available(group, env.now)
        if not candidates:
            return _NoCall(None)
        ctx, gen = info.context_tokens, info.generated_tokens
        name = self.strategy.pick(group, candidates, env.now, ctx)
        if name is None:  # none within the strategy's limits
            return _NoCall(None)
        tier = self._tiers[name]
        tokens = math.nan if math.isnan(ctx) else ctx + gen
        price = (tier.token_cost(ctx, gen) or 0.0) if not math.isnan(ctx) else tier.price
        timeout = self._timeouts[name]
        own = self.groups.deployments[name].stream_timeout_s
        model = self._models[name]
        duration = None
        if model.dist == "llm":  # a token-aware deployment: its first token, then the decode
            ttft, duration = model.sample_parts(self._rng_service, 0.0 if math.isnan(ctx) else ctx,
                                                0.0 if math.isnan(gen) else gen,
                                                self.runner.servers[name].busy)
            if stream and own is not None:  # stream_timeout waits for the first token only
                timeout = own if ttft > own else min(timeout, own + duration - ttft)
        elif stream and own is not None:
            timeout = own
        info.attempts += 1
        call = Call(rid, group, name, level, n, env.now, tier.name, tokens, info._deadline, price)
        self.strategy.started(name, env.now)
        result = yield from self.runner.attempt(call, info, self._guards[name], model, duration, timeout)
        self.strategy.ended(name, env.now, result.outcome, env.now - call.queued, tokens, gen)
        cooldown = self.cooldowns[name]
        if result.outcome == SUCCESS:
            cooldown.record_success(env.now)
            if duration:  # the answer's first token and decode, as slowed by any fault
                worked = result.end - result.start
                first = ttft * worked / duration
                info.ttft = result.start + first - info.arrival
                if gen > 0:
                    info.tpot = (worked - first) / gen
        elif result.outcome in FAILURE_KINDS:
            cooldown.record_failure(env.now, result.outcome, result.retry_after)
        return result


class _NoCall:
    """The outcome of an attempt that made no call (no deployment available, or the deadline)."""

    __slots__ = ("outcome", "retry_after")

    def __init__(self, outcome: str | None) -> None:
        self.outcome = outcome
        self.retry_after = 0.0
