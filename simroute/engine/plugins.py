"""Plugin servers: ``capacity`` concurrent tasks and a FIFO queue.

A lighter primitive than :class:`simpy.Resource`: ``try_acquire()`` takes a free slot without an
event; otherwise ``wait()`` gives a pending event that ``release()`` hands the freed slot to. Busy
time is integrated as tasks start and end, for utilization.
"""

from __future__ import annotations

from collections import deque

import simpy

__all__ = ["PluginServer"]


class PluginServer:
    def __init__(self, env: simpy.Environment, name: str, capacity: int) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self.busy = 0
        self.queue: deque[simpy.Event] = deque()
        self._busy_area = 0.0
        self._last = 0.0

    def _account(self) -> None:
        now = self.env.now
        self._busy_area += self.busy * (now - self._last)
        self._last = now

    def try_acquire(self) -> bool:
        """Take a free slot now (True), or return False — then ``yield wait()`` for one."""
        if self.busy < self.capacity:
            self._account()
            self.busy += 1
            return True
        return False

    def wait(self) -> simpy.Event:
        """An event that ``release()`` triggers when it hands this waiter a slot (FIFO)."""
        ev = self.env.event()
        self.queue.append(ev)
        return ev

    def release(self) -> None:
        if self.queue:  # hand the slot straight to the next in line
            self.queue.popleft().succeed()
        else:
            self._account()
            self.busy -= 1

    def busy_time(self) -> float:
        """Slot-seconds of service so far (utilization = busy_time / (capacity × time))."""
        return self._busy_area + self.busy * (self.env.now - self._last)
