"""Observers of the attempt path: what the bus sees of each call.

The orchestrator runs an attempt; an observer is told when it is sent, when the plugin starts on
it and when the caller has its answer, and does its own work from the :class:`Call` record — the
attempt path does not build messages. :class:`BusObserver` publishes the seed's plugin messages
(``plugin/<name>/request``, ``orchestration/task-start``, ``plugin/<name>/response``); it is
attached only when someone would see them (messages recorded, or a subscriber with a callback).
The attempts table itself is written by the recorder when a call's row is final (at once, or when
the plugin finishes work its caller abandoned).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..resilience.failure import SUCCESS
from .bus import MessageBus
from .records import Call

__all__ = ["BusObserver"]


class BusObserver:
    def __init__(self, bus: MessageBus, orchestrator: str, payload: Callable[..., dict],
                 topics: Mapping[str, tuple[str, str]]) -> None:
        self.bus = bus
        self.orchestrator = orchestrator
        self.payload = payload  #: shared payloads (equal payloads are one dict)
        self.topics = topics  #: plugin → (request topic, response topic)

    def sent(self, call: Call) -> None:
        self.bus.publish(self.topics[call.plugin][0], type="request", source=self.orchestrator,
                         correlation_id=call.request_id,
                         payload=self.payload("command", call.phase, "attempt", call.attempt))

    def started(self, call: Call) -> None:
        self.bus.publish("orchestration/task-start", type="event", source=call.plugin,
                         correlation_id=call.request_id,
                         payload=self.payload("plugin", call.plugin, "status", "running"))

    def answered(self, call: Call) -> None:
        self.bus.publish(self.topics[call.plugin][1], type="response", source=call.plugin,
                         correlation_id=call.request_id,
                         payload=self.payload("status", "success" if call.outcome == SUCCESS else "error"))
