"""A lean driver for the request coroutines: :func:`start` runs a generator of SimPy events.

A :class:`simpy.Process` is itself an event (others can wait for it or interrupt it), scheduled
to start through an ``Initialize`` event, and resumed through a general loop that copies every
failure. A request's pipeline needs none of that — nobody waits for a request or interrupts it —
so it runs as a :class:`Task`: started at once, resumed by a callback on the event it yields,
with failed events thrown into it as SimPy does. Everything that *is* waited for or interrupted
(a hedged copy, a phase of a parallel plan) stays a :class:`simpy.Process`.

In the same spirit, :func:`sleeper` gives a task (or process) that only waits out a delay a bare
:class:`Wake` event in SimPy's queue instead of a :class:`simpy.Timeout`: scheduled exactly as a
timeout is (same time, priority and sequence number, so runs are unchanged), without the checks and
calls of a general event.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import NORMAL, URGENT

__all__ = ["Environment", "Task", "start", "Wake", "sleeper", "pending", "succeed", "run", "ProcessGenerator"]

#: a SimPy process or task: a generator of events (as simpy.events names it)
ProcessGenerator = Generator[simpy.Event, Any, Any]


class Task:
    """A generator of SimPy events, resumed by the callback of the event it last yielded."""

    __slots__ = ("_gen", "_step")

    def __init__(self, gen: Generator[simpy.Event, Any, Any]) -> None:
        self._gen = gen
        self._step = self._resume  # one bound method, appended to every event it waits for

    def _resume(self, event: simpy.Event) -> None:
        gen = self._gen
        try:
            while True:
                if event._ok:
                    event = gen.send(event._value)
                else:  # a failed event: the task handles it, or fails (and the run with it)
                    event._defused = True  # type: ignore[attr-defined]
                    event = gen.throw(event._value)
                if event.callbacks is not None:  # not yet processed: wait for it
                    event.callbacks.append(self._step)
                    return
        except StopIteration:  # done: break the task ↔ bound method cycle, so that reference
            self._step = _done  # counting frees the task now, not a later full garbage collection


def _done(event: simpy.Event) -> None:
    """A finished task's step: nothing waits on it any more."""


def start(gen: Generator[simpy.Event, Any, Any]) -> Task:
    """Run ``gen`` now, up to the first event it waits for (as a process started at this time,
    but without an event to start it).

    Parameters:
        gen: the coroutine (a request's pipeline).

    Returns:
        Its :class:`Task`.
    """
    task = Task(gen)
    task._resume(_START)  # type: ignore[arg-type]
    return task


class _Start:
    """What a new task is resumed with: an event that succeeded with no value."""
    _ok = True
    _value = None


_START = _Start()


class Wake(simpy.Event):
    """An event that only wakes whoever yielded it (see :func:`sleeper`): already triggered, always
    successful, with no environment of its own (so it cannot be combined with other events)."""

    __slots__ = ()
    _ok = True
    _value = None

    def __init__(self) -> None:  # (no call to Event.__init__: this is all it needs)
        self.callbacks = []


def sleeper(env: simpy.Environment) -> Callable[[float], Wake]:
    """``sleep(delay)`` for ``env``: a :class:`Wake` scheduled ``delay`` seconds from now, as
    ``env.timeout(delay)`` would be. Only yield it (it cannot be combined with other events).

    Parameters:
        env: the environment.

    Returns:
        The ``sleep`` function.
    """
    queue = env._queue
    eid = env._eid

    def sleep(delay: float) -> Wake:
        wake = Wake()
        heappush(queue, (env._now + delay, NORMAL, next(eid), wake))
        return wake

    return sleep


def pending(env: simpy.Environment) -> simpy.Event:
    """``env.event()`` without its descriptor and ``__init__`` calls: a pending event of ``env``,
    with the two attributes ``simpy.Event.__init__`` sets (pending is the class's default value).
    A plugin's waiter waits on one."""
    event = simpy.Event.__new__(simpy.Event)
    event.env = env
    event.callbacks = []
    return event


def succeed(env: simpy.Environment, event: simpy.Event) -> None:
    """``event.succeed()`` for a pending ``event`` of ``env``, without SimPy's call: triggered
    successfully with no value and scheduled now, as ``succeed`` schedules it (same time, priority
    and sequence number). A plugin's freed slot wakes its next waiter this way."""
    event._ok = True
    event._value = None
    heappush(env._queue, (env._now, NORMAL, next(env._eid), event))  # type: ignore[attr-defined]


class Environment(simpy.Environment):
    """SimPy's environment with its clock as a plain attribute. The engine reads ``env.now`` on
    every attempt (a few dozen times a request), and SimPy's ``now`` is a property: a call per
    read. Here ``now`` is an attribute that :func:`run` and :meth:`step` set with SimPy's own
    clock, before any callback of the event runs; everything else is SimPy's.

    Parameters:
        initial_time: the clock at the start, in seconds.
    """

    now: float = 0.0  # type: ignore[assignment]  # shadows the base property: an instance attribute

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.now = self._now

    def step(self) -> None:
        """Process the next event, as :meth:`simpy.Environment.step` does (with the clock kept)."""
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise simpy.core.EmptySchedule() from None
        self.now = self._now
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        for callback in callbacks:  # type: ignore[union-attr]
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            raise _unhandled(event)


def _unhandled(event: simpy.Event) -> BaseException:
    """The exception a failed event nobody handled stops the run with: a copy of its own, caused
    by it, as SimPy raises it."""
    exc = type(event._value)(*event._value.args)
    exc.__cause__ = event._value
    return exc


def run(env: simpy.Environment, until: float | None = None) -> None:
    """Process events until ``until`` (seconds; None: until none are left), exactly as
    ``env.run(until)`` does — the same stop event, scheduled the same way — with the loop of
    ``env.step()`` written out (one call less per event). A failed event that nobody handled
    stops the run with a copy of its exception, as in SimPy.

    Parameters:
        env: the environment.
        until: the time to stop at; must be later than now.
    """
    stop = None
    if until is not None:
        if until <= env.now:
            raise ValueError(f"until ({until}) must be greater than the current simulation time")
        stop = simpy.Event(env)
        stop._ok, stop._value = True, None
        env.schedule(stop, URGENT, until - env.now)
    queue = env._queue
    keep = isinstance(env, Environment)  # its clock is an attribute too
    while queue:
        env._now, _, _, event = heappop(queue)
        if keep:
            env.now = env._now  # type: ignore[misc]
        if event is stop:
            return
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        for callback in callbacks:  # type: ignore[union-attr]
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            raise _unhandled(event)
