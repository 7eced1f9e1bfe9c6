"""Faults a scenario injects: the :class:`Fault` window, and its kinds, one small class each.

A fault is active on its plugin from ``start`` to ``end`` (seconds). Its *kind* says what it does:

* to a call that starts while it is active — :meth:`FaultKind.on_call` takes the failure
  probability so far and the failure kind imposed so far (None: the plugin's own mix) and gives
  them back, changed or not;
* to the plugin's service times — :meth:`FaultKind.slowdown`, a multiplier.

A plugin's active faults are applied in the scenario's order (``simroute.engine.faults`` does it).
* to the plugin's progress — :attr:`FaultKind.pauses`: the plugin stops working for the window.

The kinds: ``outage`` (every call fails, as ``failure``), ``error_rate`` (calls fail with
probability ``value``, when that is at least the plugin's own), ``latency`` (service times ×
``value``), ``pause`` (the plugin stops serving from ``start`` to ``end`` — a GC pause, a deploy:
calls in service stall and resume where they were, a call it starts during the pause waits for its
end, queued calls wait for a slot; nothing fails by itself, but a caller's timeout may run out),
and two that count the calls starting in the window, for scripted scenarios ("one 429
with Retry-After: 2, then healthy"): ``first_calls`` (the first ``value`` calls fail, as
``failure``) and ``every_nth`` (every ``value``-th call fails). A counting kind sets ``counted``
and answers :meth:`FaultKind.on_counted_call`, which also gets the call's number in the window.

Adding a kind is a class and one registration line. For example, a fault that makes a plugin's
calls fail with at least the probability ``value``, on top of what it already does, and slows it::

    class Brownout(FaultKind):
        name = "brownout"

        def check(self, fault):
            if not 0 <= fault.value <= 1:
                raise InputError(f"must be within [0, 1], got {fault.value}", field="value")

        def on_call(self, fault, p, imposed):
            return max(p, fault.value), imposed, False

        def slowdown(self, fault):
            return 2.0

    register(Brownout())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..common.errors import InputError
from ..common.schema import check, setting, window
from ..resilience.failure import FAILURE_KINDS

__all__ = ["Fault", "FaultKind", "Outage", "ErrorRate", "Latency", "Pause", "FirstCalls", "EveryNth",
           "FAULT_KINDS", "register"]


class FaultKind:
    """What a fault of this kind does while it is active (see the module docstring)."""

    name: ClassVar[str] = ""
    #: the engine counts the calls starting in the window and calls :meth:`on_counted_call`
    counted: ClassVar[bool] = False
    #: the plugin makes no progress on any call during the window (:mod:`simroute.engine.faults`)
    pauses: ClassVar[bool] = False

    def check(self, fault: Fault) -> None:
        """Refuse a ``value`` this kind cannot take (an :class:`InputError` naming ``value``)."""

    def on_call(self, fault: Fault, p: float, imposed: str | None) -> tuple[float, str | None, bool]:
        """A call starts while ``fault`` is active: ``(failure probability, failure kind imposed or
        None, final)``; ``final``: later faults do not change it."""
        return p, imposed, False

    def on_counted_call(self, fault: Fault, n: int, p: float, imposed: str | None
                        ) -> tuple[float, str | None, bool]:
        """As :meth:`on_call`, for the ``n``-th call (1-based) starting in the window of a counting
        kind."""
        return self.on_call(fault, p, imposed)

    def slowdown(self, fault: Fault) -> float:
        """The multiplier of the plugin's service times while ``fault`` is active."""
        return 1.0


class Outage(FaultKind):
    """Every call fails, as the fault's ``failure`` says."""

    name = "outage"

    def on_call(self, fault: Fault, p: float, imposed: str | None) -> tuple[float, str | None, bool]:
        return 1.0, fault.failure, True


class ErrorRate(FaultKind):
    """Calls fail with probability ``value`` (when that is at least the probability so far)."""

    name = "error_rate"

    def check(self, fault: Fault) -> None:
        if not 0 <= fault.value <= 1:
            raise InputError(f"must be within [0, 1], got {fault.value}", field="value")

    def on_call(self, fault: Fault, p: float, imposed: str | None) -> tuple[float, str | None, bool]:
        if fault.value >= p:
            return fault.value, fault.failure, False
        return p, imposed, False


class Latency(FaultKind):
    """Service times × ``value``."""

    name = "latency"

    def check(self, fault: Fault) -> None:
        if fault.value <= 0:
            raise InputError(f"must be > 0, got {fault.value}", field="value")

    def slowdown(self, fault: Fault) -> float:
        return fault.value


class Pause(FaultKind):
    """The plugin stops serving for the window: its calls stall and resume (``value`` unused)."""

    name = "pause"
    pauses = True


class _Counted(FaultKind):
    """A kind that fails some calls by their number ``n`` in the window (:meth:`fails`), as the
    fault's ``failure`` says; ``value`` is a whole number of calls, at least :attr:`least`."""

    counted = True
    least: ClassVar[int] = 0

    def fails(self, fault: Fault, n: int) -> bool:
        raise NotImplementedError

    def check(self, fault: Fault) -> None:
        if fault.value != int(fault.value) or fault.value < self.least:
            raise InputError(f"must be a whole number of calls >= {self.least}, got {fault.value:g}",
                             field="value")

    def on_counted_call(self, fault: Fault, n: int, p: float, imposed: str | None
                        ) -> tuple[float, str | None, bool]:
        if self.fails(fault, n):
            return 1.0, fault.failure, True
        return p, imposed, False


class FirstCalls(_Counted):
    """The first ``value`` calls starting in the window fail, as ``failure`` says; later ones are
    the plugin's own."""

    name = "first_calls"

    def fails(self, fault: Fault, n: int) -> bool:
        return n <= fault.value


class EveryNth(_Counted):
    """Every ``value``-th call starting in the window (the ``value``-th, the 2 × ``value``-th …)
    fails, as ``failure`` says."""

    name = "every_nth"
    least = 1

    def fails(self, fault: Fault, n: int) -> bool:
        return n % int(fault.value) == 0


#: name → kind, in the order the docs list them
FAULT_KINDS: dict[str, FaultKind] = {}


def register(kind: FaultKind) -> FaultKind:
    """Make ``kind`` available to scenarios as ``kind: <its name>``."""
    FAULT_KINDS[kind.name] = kind
    return kind


for _kind in (Outage(), ErrorRate(), Latency(), Pause(), FirstCalls(), EveryNth()):
    register(_kind)


@dataclass(frozen=True, kw_only=True, slots=True)
class Fault:
    """A fault window on one plugin: ``outage`` (every attempt fails), ``error_rate`` (attempts
    fail with probability ``value``), ``latency`` (service times × ``value``), ``pause`` (no
    progress in the window), ``first_calls`` or ``every_nth`` — or a kind added with
    :func:`register`. A failing attempt fails as ``failure`` says: ``error`` (refused fast, after
    the plugin's error latency), ``timeout`` (the call hangs), ``rate_limited`` (429s) or
    ``non_retryable``.

    Parameters:
        plugin: the plugin it hits.
        kind: a name in :data:`FAULT_KINDS`.
        start: when it begins, in seconds.
        end: when it ends, in seconds.
        value: ``error_rate``: the failure probability; ``latency``: the service-time multiplier;
            ``first_calls``: how many calls fail; ``every_nth``: every how many calls one fails.
        failure: the kind of its failures: ``error``, ``timeout``, ``rate_limited`` or ``non_retryable``.
    """

    plugin: str = setting(doc="the plugin it hits")
    kind: str = setting(doc="what it does: a name in FAULT_KINDS")
    start: float = setting(doc="when it begins", unit="s", lo=0)
    end: float = setting(doc="when it ends", unit="s", lo=0)
    value: float = setting(1.0, doc="error_rate: the failure probability; latency: the service-time "
                                    "multiplier; first_calls: how many calls fail; every_nth: n")
    failure: str = setting("error", doc="the kind of its failures", choices=FAILURE_KINDS)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise InputError(f"must be one of {', '.join(FAULT_KINDS)}, got {self.kind!r}", field="kind")
        check(self)  # types, finiteness, ranges and choices, as declared
        window(self.start, self.end)
        FAULT_KINDS[self.kind].check(self)

    @property
    def effect(self) -> FaultKind:
        """What it does (its kind's class)."""
        return FAULT_KINDS[self.kind]
