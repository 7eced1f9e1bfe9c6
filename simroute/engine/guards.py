"""Resilience guards: the checks an attempt passes before it reaches a plugin, one class each.

Every guard has the same narrow interface::

    admit(call, now) -> Refusal | None    # None: go on; a Refusal ends the attempt at once
    on_result(call, now) -> None          # the attempt ended (call.outcome says how)

A plugin's guards run in an explicit order (:func:`guard_order`): the plugin's own ``guard_order``
(catalog or override), else the ``guard_order`` setting, then the rest in the order of
:data:`GUARDS` (deadline → breaker → bulkhead → rate limit → shedding). ``on_result`` runs in
reverse, and only on the guards that admitted the call (a call refused by the bulkhead gives the
breaker's half-open trial slot back). Each guard is built per
plugin by its ``build(plugin, settings, ctx)`` class method from the scenario's settings, or not at
all when it is off (no work for guards that are off). The retry policy, timeouts and hedging act
on the outcome in the attempt path (:mod:`simroute.engine.attempts`). ``ctx`` is the run's
:class:`~simroute.engine.context.Context`, seen as a :class:`GuardContext` (the plugins' breakers and
servers), never the orchestrator.

Adding a pattern is one class and one line in :data:`GUARDS`. For example, a guard that refuses
every call to a plugin in its maintenance windows (seconds)::

    MAINTENANCE = {"fastapi-backend": [(0.0, 5000.0)]}

    class Maintenance(Guard):
        name = "maintenance"

        def __init__(self, windows):
            self.windows = windows

        @classmethod
        def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
            windows = MAINTENANCE.get(plugin.name)
            return cls(windows) if windows else None

        def admit(self, call: Call, now: float) -> Refusal | None:
            if any(a <= now < b for a, b in self.windows):
                return Refusal("shed")
            return None

    GUARDS["maintenance"] = Maintenance

(``tests/test_kinds.py`` runs this example, and those of the other kinds.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

from ..common.errors import InputError
from ..resilience.breaker import CircuitBreaker
from ..resilience.failure import DEADLINE, RATE_LIMITED, REJECTED_BULKHEAD, REJECTED_OPEN, SHED, SUCCESS
from ..resilience.ratelimit import TokenBucket

if TYPE_CHECKING:
    from ..io.settings import Settings
    from ..policies.catalog import Plugin
    from .plugins import PluginServer
    from .records import Call

try:  # mypyc reads the decorator when it compiles; at run time it may be absent, and does nothing
    from mypy_extensions import mypyc_attr
except ImportError:  # pragma: no cover - mypy_extensions comes with mypy, not with simroute
    def mypyc_attr(*attrs: str, **kwattrs: object) -> Any:  # type: ignore[misc]
        return lambda cls: cls

__all__ = ["Guard", "GuardContext", "Refusal", "GUARDS", "DeadlineGuard", "BreakerGuard", "BulkheadGuard",
           "RateLimitGuard", "SheddingGuard", "build_guards", "guard_order"]


class GuardContext(Protocol):
    """What a guard may read of the run when it is built: the plugins' breakers and servers
    (:class:`~simroute.engine.context.Context` has them)."""

    @property
    def breakers(self) -> Mapping[str, CircuitBreaker]: ...

    @property
    def servers(self) -> Mapping[str, PluginServer]: ...


class Refusal(NamedTuple):
    """Why an attempt does not reach the plugin: its outcome, and a Retry-After in seconds."""

    outcome: str
    retry_after: float = 0.0


@mypyc_attr(allow_interpreted_subclasses=True)
class Guard:
    """Base class: admits everything and ignores results (see the module docstring)."""

    name: ClassVar[str] = "guard"

    @classmethod
    def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
        """The guard for ``plugin``, or None when it is off."""
        raise NotImplementedError

    def admit(self, call: Call, now: float) -> Refusal | None:
        return None

    def on_result(self, call: Call, now: float) -> None:
        return None


class DeadlineGuard(Guard):
    """A request past its deadline stops trying (outcome ``deadline``)."""

    name = "deadline"

    @classmethod
    def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
        return cls() if settings.timeout.deadline is not None else None

    def admit(self, call: Call, now: float) -> Refusal | None:
        return Refusal(DEADLINE) if now >= call.deadline else None


class BreakerGuard(Guard):
    """The plugin's circuit breaker: an open breaker refuses (``rejected_open``); outcomes in the
    breaker's ``failure_kinds`` count as failures, successes as successes (with their duration,
    for slow-call counting), anything else gives a half-open trial slot back."""

    name = "breaker"

    def __init__(self, breaker: CircuitBreaker, failure_kinds: tuple[str, ...]) -> None:
        self.breaker = breaker
        self.failure_kinds = frozenset(failure_kinds)

    @classmethod
    def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
        breaker = ctx.breakers.get(plugin.name)
        return cls(breaker, settings.breaker.failure_kinds) if breaker is not None else None

    def admit(self, call: Call, now: float) -> Refusal | None:
        return None if self.breaker.allow(now) else Refusal(REJECTED_OPEN)

    def on_result(self, call: Call, now: float) -> None:
        outcome = call.outcome
        if outcome == SUCCESS:
            self.breaker.record_success(now, now - call.queued)
        elif outcome in self.failure_kinds:
            self.breaker.record_failure(now, now - call.queued)
        else:
            self.breaker.release(now)


class BulkheadGuard(Guard):
    """At most ``max_concurrent`` calls outstanding on the plugin (``rejected_bulkhead``)."""

    name = "bulkhead"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0

    @classmethod
    def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
        limit = settings.bulkhead.max_concurrent
        return cls(limit) if limit is not None else None

    def admit(self, call: Call, now: float) -> Refusal | None:
        if self.in_flight >= self.limit:
            return Refusal(REJECTED_BULKHEAD)
        self.in_flight += 1
        return None

    def on_result(self, call: Call, now: float) -> None:
        self.in_flight -= 1


class RateLimitGuard(Guard):
    """The plugin's requests-per-minute and tokens-per-minute limits, as token buckets (burst = one
    minute's worth). A call that does not fit is answered ``rate_limited`` with Retry-After = the
    time until it would; a call larger than a minute's tokens can never pass (Retry-After ∞)."""

    name = "rate_limit"

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.requests = TokenBucket(rpm) if rpm is not None else None
        self.tokens = TokenBucket(tpm) if tpm is not None else None

    @classmethod
    def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
        return cls(plugin.rpm, plugin.tpm) if plugin.rpm is not None or plugin.tpm is not None else None

    def admit(self, call: Call, now: float) -> Refusal | None:
        tokens = call.tokens if self.tokens is not None and not math.isnan(call.tokens) else 0.0
        wait = self.requests.wait(now) if self.requests is not None else 0.0
        if tokens:
            wait = max(wait, self.tokens.wait(now, tokens))  # type: ignore[union-attr]
        if wait > 0:
            return Refusal(RATE_LIMITED, wait)
        if self.requests is not None:
            self.requests.take(now)
        if tokens:
            self.tokens.take(now, tokens)  # type: ignore[union-attr]
        return None


class SheddingGuard(Guard):
    """Load shedding: refuse (``shed``) when ``max_queue`` calls already wait for the plugin, or
    when the expected wait (queue length / capacity × mean service time) exceeds ``max_wait``."""

    name = "shedding"

    def __init__(self, server: Any, max_queue: int | None, max_wait: float | None, mean: float) -> None:
        self.server = server
        self.max_queue = math.inf if max_queue is None else max_queue
        self.max_wait = math.inf if max_wait is None else max_wait
        self.per_waiter = mean / server.capacity

    @classmethod
    def build(cls, plugin: Plugin, settings: Settings, ctx: GuardContext) -> Guard | None:
        s = settings.shedding
        if s.max_queue is None and s.max_wait is None:
            return None
        return cls(ctx.servers[plugin.name], s.max_queue, s.max_wait, plugin.service_for().expected())

    def admit(self, call: Call, now: float) -> Refusal | None:
        server = self.server
        if server.busy < server.capacity:
            return None  # a free slot: no queue, no wait
        waiting = server.waiting
        if waiting >= self.max_queue or (waiting + 1) * self.per_waiter > self.max_wait:
            return Refusal(SHED)
        return None


#: the guards in the order they run; a new pattern is one class and one line here
GUARDS: dict[str, type[Guard]] = {
    "deadline": DeadlineGuard,
    "breaker": BreakerGuard,
    "bulkhead": BulkheadGuard,
    "rate_limit": RateLimitGuard,
    "shedding": SheddingGuard,
}


def guard_order(settings: Settings, plugin: Plugin | None = None) -> tuple[str, ...]:
    """The names of the guards in the order an attempt on ``plugin`` meets them: the plugin's own
    ``guard_order`` (a catalog field, or a scenario's override), else the ``guard_order`` setting;
    then the guards not listed, in :data:`GUARDS` order.

    Parameters:
        settings: the scenario's settings.
        plugin: the plugin (None: the settings' order alone).

    Returns:
        Every registered guard's name, in order.

    Raises:
        InputError: a name that is not a guard's (naming the plugin when its own order has it).
    """
    order, entry = settings.guard_order, "settings"
    if plugin is not None and plugin.guard_order:
        order, entry = plugin.guard_order, f"plugin {plugin.name}"
    for name in order:
        if name not in GUARDS:
            raise InputError(f"unknown guard {name!r} (known: {', '.join(GUARDS)})", entry=entry,
                             field="guard_order")
    return (*order, *(n for n in GUARDS if n not in order))


def build_guards(plugin: Plugin, settings: Settings, ctx: GuardContext) -> tuple[Guard, ...]:
    """The guards that are on for ``plugin``, in its order (:func:`guard_order`)."""
    built = (GUARDS[name].build(plugin, settings, ctx) for name in guard_order(settings, plugin))
    return tuple(g for g in built if g is not None)
