"""Plugin servers: ``capacity`` concurrent tasks and a FIFO queue of cancellable tickets.

A lighter primitive than :class:`simpy.Resource`: ``try_acquire()`` takes a free slot without an
event; otherwise ``wait()`` gives a :class:`Ticket` whose ``event`` ``release()`` triggers when it
hands the freed slot over. A waiting caller can leave in two ways:

* ``withdraw(ticket)`` — the ticket is taken out of line: it never gets a slot and costs the
  plugin nothing (a hedged copy that lost, a timed-out call when deadlines propagate);
* ``abandon(ticket, work)`` — the caller is gone but the plugin does not know: when the ticket's
  turn comes the plugin takes a slot and works ``work()`` seconds on it for nobody (the wasted work
  of timed-out calls that makes retry storms metastable), then calls ``ticket.done``.

Busy time is integrated as slots are taken and given back, for utilization; abandoned work counts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

from .tasks import pending, succeed

__all__ = ["PluginServer", "Ticket"]


class Ticket:
    """A place in a plugin's queue."""

    __slots__ = ("event", "state", "work", "done")

    def __init__(self, event: simpy.Event) -> None:
        self.event = event
        self.state = 0  #: 0 waiting, 1 withdrawn, 2 abandoned (served for nobody)
        self.work: Callable[[float], float] | None = None  #: abandoned: seconds of work, given the start
        self.done: Callable[[float, float], None] | None = None  #: abandoned: (start, end) when served


class PluginServer:
    def __init__(self, env: simpy.Environment, name: str, capacity: int) -> None:
        self.env = env
        self.name = name
        self.capacity = capacity
        self.busy = 0
        self.queue: deque[Ticket] = deque()
        self.waiting = 0  #: tickets in line that were not withdrawn
        self._busy_area = 0.0
        self._last = 0.0

    def try_acquire(self) -> bool:
        """Take a free slot now (True), or return False — then ``yield wait().event`` for one."""
        busy = self.busy
        if busy < self.capacity:
            now = self.env.now  # busy slot-seconds integrated up to now
            self._busy_area += busy * (now - self._last)
            self._last = now
            self.busy = busy + 1
            return True
        return False

    def wait(self) -> Ticket:
        """A ticket whose event ``release()`` triggers when it hands this waiter a slot (FIFO)."""
        ticket = Ticket(pending(self.env))
        self.queue.append(ticket)
        self.waiting += 1
        return ticket

    def withdraw(self, ticket: Ticket) -> None:
        """Take a waiting ticket out of line (it will never hold a slot)."""
        if ticket.state == 0 and not ticket.event.triggered:
            ticket.state = 1
            self.waiting -= 1

    def abandon(self, ticket: Ticket, work: Callable[[float], float],
                done: Callable[[float, float], None]) -> None:
        """The caller of a waiting ticket is gone; the plugin will still serve it (see module)."""
        ticket.state, ticket.work, ticket.done = 2, work, done

    def release(self) -> None:
        """Give a slot back: it goes to the next ticket in line, or becomes free."""
        queue = self.queue
        while queue:
            ticket = queue.popleft()
            if ticket.state == 1:
                continue
            self.waiting -= 1
            if ticket.state == 2:
                self._serve_abandoned(ticket)
            else:
                succeed(self.env, ticket.event)
            return
        now = self.env.now
        self._busy_area += self.busy * (now - self._last)
        self._last = now
        self.busy -= 1

    def _serve_abandoned(self, ticket: Ticket) -> None:
        start = self.env.now
        seconds = ticket.work(start)  # type: ignore[misc]
        done = ticket.done

        def finish(_: simpy.Event) -> None:
            self.release()
            done(start, self.env.now)  # type: ignore[misc]

        self.env.timeout(seconds).callbacks.append(finish)  # type: ignore[union-attr]

    def hold(self, seconds: float, done: Callable[[float], None] | None = None) -> None:
        """Keep a taken slot busy for ``seconds`` more, then release it (work the caller no longer
        waits for); ``done(end)`` is called then."""
        def finish(_: simpy.Event) -> None:
            self.release()
            if done is not None:
                done(self.env.now)

        self.env.timeout(seconds).callbacks.append(finish)  # type: ignore[union-attr]

    def busy_time(self) -> float:
        """Slot-seconds of work so far (utilization = busy_time / (capacity × time))."""
        return self._busy_area + self.busy * (self.env.now - self._last)
