"""Attempts on one plugin: guards, the call, hedging, timeouts and retries — one serve path.

:meth:`AttemptRunner.call` makes the attempts of a phase (or saga step) on one plugin, retried as
the retry policy of each outcome says. Each attempt follows the same path:

* the plugin's **guards** (:mod:`simroute.engine.guards`) admit it or refuse it at once (no call,
  no cost; :meth:`~AttemptRunner._admit`);
* the **call** queues for a slot on a cancellable ticket and is served (:meth:`~AttemptRunner._serve`);
  the plugin draws how it ends (:mod:`simroute.engine.faults`). It races the per-attempt timeout
  and the request's deadline: a caller that gives up leaves the plugin working (abandoned work).
  With hedging, copies race and the loser is cancelled (:meth:`~AttemptRunner._hedged`). Without
  a timeout or hedging the call runs inline (no timer, nothing to cancel);
* the row is **recorded** and the call **charged** (:meth:`~AttemptRunner._record`), then the
  guards see the outcome in reverse order and the observers are told (:meth:`~AttemptRunner._settle`);
* the **retry policy** of the outcome's class decides: retry here after a backoff (never before a
  Retry-After, never past the deadline, while the retry budget allows), or give the outcome back
  to the caller (which moves to the next candidate).

Costs: an attempt is paid when the plugin starts on it while its caller waits (not for 429s or
non-retryable refusals, nor for refusals by a guard); a deployment's failed call is free.
"""

from __future__ import annotations

import math
from typing import Any

import simpy

from ..common.distributions import ServiceTime
from ..policies.plan import Phase
from ..resilience.failure import CANCELLED, DEADLINE, NOT_BILLED, RATE_LIMITED, SUCCESS, TIMEOUT
from ..resilience.retry import Backoff
from ..resilience.settings import RetryPolicy
from .context import Context, Memo
from .guards import Guard, Refusal
from .plugins import PluginServer
from .records import Call, RequestState
from .tasks import ProcessGenerator

__all__ = ["AttemptRunner", "ATTEMPT_LIMIT", "STOPS"]

#: the reason (and the pseudo-outcome :meth:`AttemptRunner.call` gives back) of a request that
#: reached the ``max_attempts`` setting
ATTEMPT_LIMIT = "attempt_limit"
#: what ends a request's attempts at once: its deadline, or its attempt limit
STOPS = (DEADLINE, ATTEMPT_LIMIT)


class AttemptRunner:
    """The attempt path of one run (see the module docstring).

    Parameters:
        ctx: the run's :class:`~simroute.engine.context.Context`.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.settings = ctx.settings
        self.servers = ctx.servers
        self.bus = ctx.bus
        self._watch = ctx.watch
        self._draw = ctx.faults.draw
        self._failure_model = ctx.faults.failure_model
        self._write_attempt = ctx.rec.attempt
        self._sleep = ctx.sleep
        self._hedge = ctx.settings.hedge.delay
        self._free_failures = ctx.free_failures
        self._max_attempts = ctx.settings.max_attempts
        self._plan_durations = ctx.settings.service == "plan"  #: phases take their plan's durations
        self._pending: dict[int, Call] = {}  #: abandoned calls the plugins still work on
        #: outcome → the backoff of its retry policy; equal policies share one (and its count)
        self._policies: dict[str, Backoff | None] = {}
        self._backoffs: dict[RetryPolicy, Backoff] = {}
        self._targets = Memo()  #: (id(phase), plugin, kind, label) → the target facts (_target)

    def flush(self) -> None:
        """Write the rows of abandoned calls the plugins were still working on (end of run)."""
        for call in self._pending.values():
            self._write_attempt(call)
        self._pending.clear()

    # ------------------------------------------------------------------ attempts and retries
    def call(self, rid: int, plugin: str, phase: Phase | None, level: int, info: RequestState, *,
             duration: float, kind: str, label: str | None = None) -> ProcessGenerator:
        """Attempts on one plugin, retried as the retry policy of each outcome says. Returns the
        last attempt's outcome (``success``, a failure kind, a refusal or ``deadline``), or
        ``attempt_limit`` when the request has made ``max_attempts`` attempts."""
        env = self.env
        label, tier, model, guards, timeout, server, price = self._target(plugin, phase, kind, label)
        if info.context_tokens == info.context_tokens:  # the request has tokens: priced by them
            price = self._token_price(phase, info)
            tokens = info.context_tokens + info.generated_tokens
        else:
            tokens = math.nan
        plan_duration = duration if self._plan_durations else None
        deadline = info._deadline
        # no timer and no hedging: each attempt runs inline here, without a generator of its own
        inline = timeout == math.inf and deadline == math.inf and self._hedge is None
        wrong = info._accept is not None and plugin not in info._accept
        retries: dict[Backoff, int] = {}
        previous: float | None = None
        n = 0
        while True:
            if info.attempts >= self._max_attempts:
                info.reason = ATTEMPT_LIMIT
                return ATTEMPT_LIMIT
            n += 1
            info.attempts += 1
            call = Call(rid, label, plugin, level, n, env.now, tier, tokens, deadline, price)
            call.wrong = wrong
            if inline:  # attempt() for the common case, without a generator
                if self._admit(call, guards):
                    if not server.try_acquire():
                        yield server.wait().event
                    yield self._sleep(self._begin(call, model, plan_duration))
                    server.release()
                    self._ended(call)
                    self._record(call, info)
                    self._settle(call, guards)
                result = call
            else:
                result = yield from self.attempt(call, info, guards, model, plan_duration, timeout)
            outcome = result.outcome
            if outcome == SUCCESS or outcome == DEADLINE:
                return outcome
            retry = self._retry_wait(result, retries, previous, deadline)
            if isinstance(retry, str):
                return retry
            previous, wait = retry
            info.retries += 1
            yield self._sleep(wait)

    def _retry_wait(self, result: Call, retries: dict[Backoff, int], previous: float | None,
                    deadline: float) -> str | tuple[float, float]:
        """After an attempt ended with ``result`` (not a success, not the deadline): the outcome to
        give back (no retry), or ``(the backoff drawn, the seconds to wait)`` before the next
        attempt (counted in ``retries``)."""
        outcome = result.outcome
        policies = self._policies
        if outcome in policies:
            policy = policies[outcome]
        else:
            policy = policies[outcome] = self._backoff_for(outcome)
        if policy is None:
            return outcome
        done = retries.get(policy, 0)
        if done >= policy.max_retries:
            return outcome
        budget = self.ctx.retry_budget
        now = self.env.now
        if budget is not None and not budget.try_spend(now):
            return outcome
        backoff = policy.delay(done + 1, self.ctx.rng_retry, previous)
        wait = max(backoff, result.retry_after)
        if wait == math.inf:
            return outcome
        if now + wait >= deadline:
            return DEADLINE  # the retry could not start before the deadline
        retries[policy] = done + 1
        return backoff, wait

    def _backoff_for(self, outcome: str) -> Backoff | None:
        """The backoff of ``outcome``'s retry policy (None: not retried), one per distinct policy."""
        policy = self.settings.retry_for(outcome)
        if policy is None:
            return None
        if policy not in self._backoffs:
            self._backoffs[policy] = policy.make()
        return self._backoffs[policy]

    def attempt(self, call: Call, info: RequestState, guards: tuple[Guard, ...], model: ServiceTime,
                plan_duration: float | None, timeout: float) -> ProcessGenerator:
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
            self._record(call, info)
            result = call
        self._settle(result, guards)
        return result

    def _target(self, plugin: str, phase: Phase | None, kind: str, label: str | None) -> tuple:
        """What every attempt of ``phase`` (or of a saga step, ``label``) on ``plugin`` shares,
        computed once per pair: (label, tier, service model, guards, per-attempt timeout, server,
        price of an attempt when the request has no tokens)."""
        key = (id(phase), plugin, kind, label)
        facts: tuple | None = self._targets.find(key, phase)  # (every phase of every request)
        if facts is None:
            facts = self._targets.keep(key, phase, self._target_facts(phase, plugin, kind, label))
        return facts

    def _target_facts(self, phase: Phase | None, plugin: str, kind: str, label: str | None) -> tuple:
        ctx = self.ctx
        return (label or (phase.name if phase else ""),
                phase.agents[0].tier if phase and phase.agents else "",
                ctx.catalog.plugins[plugin].service_for(kind), ctx.guards[plugin],
                ctx.timeouts[plugin], self.servers[plugin], phase.cost if phase else 0.0)

    # ------------------------------------------------------------------ guards
    def _admit(self, call: Call, guards: tuple[Guard, ...]) -> bool:
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

    def _settle(self, result: Call, guards: tuple[Guard, ...]) -> None:
        """An attempt sent ended with ``result``: the guards see it, in reverse order."""
        now = self.env.now
        for guard in reversed(guards):
            guard.on_result(result, now)
        if self.bus.wanted:
            self._watch.answered(result)

    def _refuse(self, call: Call, refusal: Refusal, admitted: tuple[Guard, ...], now: float) -> None:
        """A guard refused ``call``: the guards that had admitted it see the outcome; recorded."""
        call.refused(refusal.outcome, refusal.retry_after, now)
        for g in reversed(admitted):
            g.on_result(call, now)
        self._write_attempt(call)

    # ------------------------------------------------------------------ the one serve path
    def _begin(self, call: Call, model: ServiceTime, duration: float | None) -> float:
        """The plugin starts on ``call`` now: draw how it ends; the seconds it will work on it."""
        now = self.env.now
        call.start = now
        call.outcome, seconds = self._draw(call.plugin, now, model, duration, call.tokens, call.wrong)
        # paid for the work; an LLM provider (a deployment) does not bill a call that fails
        free = call.outcome != SUCCESS and call.plugin in self._free_failures
        call.cost = 0.0 if free else call._price
        if self.bus.wanted:
            self._watch.started(call)
        return seconds

    def _ended(self, call: Call) -> None:
        """The plugin answered the caller now, as drawn at :meth:`_begin`."""
        call.end = call.server_end = self.env.now
        kind = call.outcome
        if kind in NOT_BILLED:  # refused before any work: not billed
            call.cost = 0.0
            if kind == RATE_LIMITED:
                call.retry_after = self._failure_model[call.plugin].retry_after_s

    def _record(self, call: Call, info: RequestState) -> None:
        """A call's answer is in: its row is written (an abandoned call's when the plugin is done
        with it) and, if the plugin started on it, the request pays for it."""
        if not call.abandoned:
            self._write_attempt(call)
        self._charge(call, info)

    def _serve(self, call: Call, until: float, model: ServiceTime, duration: float | None,
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

    def _give_up_queued(self, call: Call, server: PluginServer, ticket: Any, model: ServiceTime,
                        duration: float | None) -> None:
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
            return self._draw(call.plugin, start, model, duration, call.tokens, call.wrong)[1]

        def done(start: float, end: float) -> None:
            self._abandoned_done(call, end)

        server.abandon(ticket, work, done)

    def _abandoned_done(self, call: Call, end: float) -> None:
        call.server_end = end
        del self._pending[id(call)]
        self._write_attempt(call)

    # ------------------------------------------------------------------ hedging
    def _hedged(self, call: Call, until: float, model: ServiceTime, duration: float | None,
                info: RequestState) -> ProcessGenerator:
        """Send ``call``, and another copy each ``hedge.delay`` seconds without an answer (up to
        ``hedge.max_copies``); the first success wins and the other copies are cancelled. When
        every copy sent has failed, the last failure is the result. Every copy that reached the
        plugin is paid for."""
        env = self.env
        delay, most = self._hedge, self.settings.hedge.max_copies
        assert delay is not None
        server = self.servers[call.plugin]
        begun = None
        if server.try_acquire():  # a free slot: if the answer comes before any copy, no process
            begun = self._begin(call, model, duration)
            if begun <= min(delay, until - env.now):
                yield from self._serve(call, until, model, duration, begun)
                self._record(call, info)
                return call
        copies = [call]
        procs = [env.process(self._copy(call, until, model, duration, begun))]
        winner = None
        while True:
            pending = [p for p in procs if p.is_alive]
            next_copy = call.queued + delay * len(copies)
            if pending and len(copies) < most and next_copy < until:
                yield env.any_of([*pending, env.timeout(next_copy - env.now)])
            elif pending:
                yield env.any_of(pending)
            finished = [c for c, p in zip(copies, procs, strict=True) if not p.is_alive]
            winner = next((c for c in finished if c.outcome == SUCCESS), None)
            if winner is not None or all(not p.is_alive for p in procs):
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

    def _copy(self, call: Call, until: float, model: ServiceTime, duration: float | None,
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

    # ------------------------------------------------------------------ cost
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
        tiers = self.ctx.catalog.tiers
        for line in phase.agents:
            tier = tiers.get(line.tier)
            priced = tier.token_cost(info.context_tokens, info.generated_tokens) if tier else None
            total += line.cost if priced is None else priced
        return total
