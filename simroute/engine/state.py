"""The state store: key/value per plugin; every change is published on ``state/<plugin>/change``."""

from __future__ import annotations

from typing import Any

from .bus import MessageBus

__all__ = ["StateStore"]

_MISSING = object()


class StateStore:
    def __init__(self, bus: MessageBus | None = None) -> None:
        self.bus = bus
        self._data: dict[str, dict[str, Any]] = {}

    def get(self, plugin: str, key: str, default: Any = None) -> Any:
        return self._data.get(plugin, {}).get(key, default)

    def set(self, plugin: str, key: str, value: Any, *, correlation_id: Any = None) -> None:
        self._data.setdefault(plugin, {})[key] = value
        self._publish(plugin, "register", key, value, correlation_id)

    def delete(self, plugin: str, key: str, *, correlation_id: Any = None) -> None:
        if self._data.get(plugin, {}).pop(key, _MISSING) is not _MISSING:
            self._publish(plugin, "unregister", key, None, correlation_id)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """A deep-enough copy: {plugin: {key: value}} without empty plugins."""
        return {p: dict(kv) for p, kv in self._data.items() if kv}

    def _publish(self, plugin: str, kind: str, key: str, value: Any, correlation_id: Any) -> None:
        if self.bus is not None:
            self.bus.publish(f"state/{plugin}/change", type="event", source=plugin,
                             correlation_id=correlation_id,
                             payload={"type": kind, "key": key, "value": value})
