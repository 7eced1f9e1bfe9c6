"""The message bus: ``/``-separated topics, ``*`` = one segment, trailing ``#`` = the rest.

Each subscriber gets each matching message exactly once, ``latency`` seconds after it is
published (0: at once). Subscriptions are matched per topic once and cached. Messages are recorded
(one row per delivery) only when ``record`` is true: on long runs they dominate memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import simpy

__all__ = ["MessageBus", "topic_matches"]


def topic_matches(pattern: str, topic: str) -> bool:
    """Does ``pattern`` (with ``*`` and a trailing ``#``) match ``topic``?"""
    p, t = pattern.split("/"), topic.split("/")
    for i, part in enumerate(p):
        if part == "#" and i == len(p) - 1:
            return len(t) >= i
        if i >= len(t) or (part != "*" and part != t[i]):
            return False
    return len(p) == len(t)


class MessageBus:
    def __init__(self, env: simpy.Environment, *, latency: float = 0.0, record: bool = False,
                 columns: Mapping[str, Any] | None = None) -> None:
        self.env = env
        self.latency = latency
        self.record = record
        self.columns = columns if columns is not None else {k: [] for k in MESSAGE_COLUMNS}
        self._subs: list[tuple[str, str, Callable[[dict], Any] | None]] = []
        self._cache: dict[str, list[tuple[str, Callable[[dict], Any] | None]]] = {}
        self._next_id = 0  #: publishes so far (the next message's id − 1)
        self.wanted = record  #: would a publish be seen? (recorded, or a subscriber has a callback)

    def subscribe(self, pattern: str, subscriber: str, callback: Callable[[dict], Any] | None = None) -> None:
        self._subs.append((pattern, subscriber, callback))
        self.wanted = self.wanted or callback is not None
        self._cache.clear()

    def subscribers(self, topic: str) -> list[tuple[str, Callable[[dict], Any] | None]]:
        subs = self._cache.get(topic)
        if subs is None:
            subs = [(name, cb) for pat, name, cb in self._subs if topic_matches(pat, topic)]
            self._cache[topic] = subs
        return subs

    def publish(self, topic: str, *, type: str, source: str, correlation_id: Any = None,
                payload: dict | None = None) -> None:
        self._next_id += 1
        if not self.wanted:
            return  # nobody would see it: skip matching and the message dict
        subs = self.subscribers(topic)
        if not subs:
            return
        msg = {"message_id": self._next_id, "correlation_id": correlation_id,
               "topic": topic, "type": type, "source": source, "payload": payload or {},
               "published": self.env.now}
        for name, cb in subs:
            if self.latency > 0:
                self.env.timeout(self.latency).callbacks.append(partial(self._deliver_later, msg, name, cb))
            else:
                self._deliver(msg, name, cb)

    def _deliver_later(self, msg: dict, subscriber: str, callback: Callable[[dict], Any] | None,
                       _event: simpy.Event) -> None:
        self._deliver(msg, subscriber, callback)

    def _deliver(self, msg: dict, subscriber: str, callback: Callable[[dict], Any] | None) -> None:
        if self.record:
            c = self.columns
            c["message_id"].append(msg["message_id"])
            c["correlation_id"].append(msg["correlation_id"])
            c["topic"].append(msg["topic"])
            c["type"].append(msg["type"])
            c["source"].append(msg["source"])
            c["subscriber"].append(subscriber)
            c["published"].append(msg["published"])
            c["delivered"].append(self.env.now)
            c["payload"].append(msg["payload"])
        if callback is not None:
            callback(msg)


MESSAGE_COLUMNS = ("message_id", "correlation_id", "topic", "type", "source", "subscriber",
                   "published", "delivered", "payload")
