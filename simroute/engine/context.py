"""What the engine's parts share for one run: the wiring, built once, as a narrow typed context.

The orchestrator's collaborators — the attempt runner, the plan executor, sagas, the model-group
router and the guards — get a :class:`Context`, never the orchestrator: the environment, the
settings and catalog, the plugin servers and breakers, the random streams, the bus and state
store, the faults, and the per-plugin facts every attempt reads (guards, timeouts). It holds no
request logic. :class:`Memo` computes a value once per key for the run (policy answers, the facts
an attempt on a (phase, plugin) pair shares).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from ..common.draws import Source, Uniforms, service_source
from ..common.errors import InputError
from ..io.tracefile import trace_labels
from ..resilience.breaker import OPEN, CircuitBreaker
from ..resilience.retry import RetryBudget
from .bus import MessageBus
from .faults import Faults
from .guards import Guard, build_guards
from .observers import BusObserver
from .plugins import PluginServer
from .recorder import Recorder
from .state import StateStore
from .tasks import Wake, sleeper

if TYPE_CHECKING:
    from ..io.scenario import Scenario

__all__ = ["Context", "Memo", "NONE"]

NONE: frozenset = frozenset()  #: no plugins (shared)


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


class Memo:
    """``compute(obj, *args)`` once per key for the run. A key holds ``id(obj)``; the entry keeps
    ``obj`` so that a recycled ``id`` never returns another object's value. Values are never None.

    :meth:`get` computes what is missing; on the hot path, :meth:`find` and :meth:`keep` do the
    same without a bound method and an argument tuple per call."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Hashable, tuple[Any, Any]] = {}

    def get(self, key: Hashable, obj: Any, compute: Callable[..., Any], *args: Any) -> Any:
        value = self.find(key, obj)
        return value if value is not None else self.keep(key, obj, compute(obj, *args))

    def find(self, key: Hashable, obj: Any) -> Any:
        """The value kept for ``key`` and ``obj``, or None."""
        hit = self._values.get(key)
        return hit[1] if hit is not None and hit[0] is obj else None

    def keep(self, key: Hashable, obj: Any, value: Any) -> Any:
        """Keep ``value`` for ``key`` and ``obj``; returns it."""
        self._values[key] = (obj, value)
        return value


class Context:
    """The run's wiring (see the module docstring).

    Parameters:
        env: the environment.
        scenario: the scenario run.
        rngs: the run's random streams (``service``, ``failure``, ``retry``).
        recorder: where rows go.
        record_messages: keep the bus's messages (when the scenario asks for them too).
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, rngs: dict[str, np.random.Generator],
                 recorder: Recorder, *, record_messages: bool = True) -> None:
        self.env = env
        self.catalog = catalog = scenario.catalog
        self.settings = s = scenario.settings
        self.rec = recorder
        # blocked streams, the same numbers as drawn one by one (simroute.common.draws)
        self.rng_service: Source = service_source(rngs["service"], [
            m for p in catalog.plugins.values() for m in p.service_models()])
        self.rng_failure: Source = Uniforms(rngs["failure"])
        self.rng_retry: np.random.Generator = rngs["retry"]
        self.sleep: Callable[[float], Wake] = sleeper(env)
        self.bus = MessageBus(env, latency=s.bus_latency, record=s.record_messages and record_messages,
                              columns=recorder.messages)
        self.state = StateStore(self.bus)
        self.servers = {n: PluginServer(env, n, p.capacity) for n, p in catalog.plugins.items()}
        self.orchestrator_name = catalog.orchestrator.name
        self.breakers: dict[str, CircuitBreaker] = {}
        self.open: set[str] = set()  #: plugins whose breaker is open (kept by transitions)
        if s.breaker.enabled:
            for name in catalog.plugins:
                if name != self.orchestrator_name:
                    self.breakers[name] = s.breaker.make(self.on_transition(name))
        self.retry_budget = (RetryBudget(s.retry_budget.ratio, s.retry_budget.min_retries,
                                         s.retry_budget.window) if s.retry_budget else None)
        wrong = scenario.settings.wrong_plugin
        self.faults = Faults(catalog, scenario.faults, self.rng_service, self.rng_failure,
                             (wrong.failure_p, wrong.slowdown))
        #: request text → the plugins it accepts (mix entries and trace rows with ``accept``)
        self.accept: dict[str, frozenset[str]] = {
            m.text: frozenset(m.accept) for m in scenario.workload.mix if m.accept}
        w = scenario.workload
        if w.kind == "trace" and w.trace and w.trace_format == "simroute":
            for text, (plugins, line) in trace_labels(w.trace).items():
                for name in plugins:
                    if name not in catalog.plugins:
                        raise InputError(f"unknown plugin {name!r}", file=w.trace, line=line, field="accept")
                self.accept[text] = frozenset(plugins)
        self.memo = Memo()
        #: per plugin: seconds an attempt may take (inf: no limit)
        self.timeouts = {n: _first(p.timeout_s, s.timeout.attempt, math.inf)
                         for n, p in catalog.plugins.items()}
        self.deadline = _first(s.timeout.deadline, math.inf)  #: seconds a request may take
        #: per plugin: its guards, in the order an attempt meets them
        self.guards: dict[str, tuple[Guard, ...]] = {n: build_guards(p, s, self)
                                                     for n, p in catalog.plugins.items()}
        self.topics = {n: (f"plugin/{n}/request", f"plugin/{n}/response") for n in catalog.plugins}
        self._payloads: dict[tuple, dict] = {}
        self._subscribe()
        self.watch = BusObserver(self.bus, self.orchestrator_name, self.payload, self.topics)  #: if wanted
        #: the deployments of an LLM router: their failed calls cost nothing
        self.free_failures = frozenset(scenario.model_groups.deployments)

    def _subscribe(self) -> None:
        """Each plugin gets its requests plus the topics its catalog entry subscribes to; a
        telemetry subscriber sees everything."""
        for name, plugin in self.catalog.plugins.items():
            self.bus.subscribe(self.topics[name][0], name)
            for pattern in plugin.subscribes:
                self.bus.subscribe(pattern, name)
        self.bus.subscribe("#", "telemetry")

    def on_transition(self, plugin: str) -> Callable[[float, str, str], None]:
        """What a breaker (or a deployment's cooldown) of ``plugin`` calls on each transition: keep
        the set of open breakers, record the row, publish the event."""
        def record(t: float, frm: str, to: str) -> None:
            if plugin in self.breakers:  # (a deployment's cooldown is not routed around)
                if to == OPEN:
                    self.open.add(plugin)
                else:
                    self.open.discard(plugin)
            self.rec.breaker(plugin, t, frm, to)
            self.bus.publish(f"circuit-breaker/{to.replace('_', '-')}", type="event", source=plugin,
                             payload={"plugin": plugin, "from": frm, "to": to, "time": t})
        return record

    def open_breakers(self, t: float) -> frozenset:
        """The plugins whose breaker is open at ``t`` (in name order)."""
        if not self.open:
            return NONE
        return frozenset(n for n in sorted(self.open) if self.breakers[n].state_at(t) == OPEN)

    def payload(self, *items: Any) -> dict:
        """A message payload from key, value pairs; equal payloads are one shared dict (recorded
        messages would otherwise hold a copy each: treat payloads as read-only)."""
        payload = self._payloads.get(items)
        if payload is None:
            payload = self._payloads[items] = dict(zip(items[::2], items[1::2], strict=True))
        return payload
