"""The circuit breaker: a pure state machine over simulated time.

States ``closed`` → ``open`` → ``half_open`` → ``closed`` (or back to ``open``). Time is passed in
(simulated seconds, non-decreasing); nothing here sleeps or reads a clock.

* **closed** — calls pass. Failures are counted by the window: ``"consecutive"`` (the seed: a
  success resets the count; open at ``failure_threshold`` consecutive failures), ``"count"`` (the
  last ``window_size`` calls) or ``"time"`` (calls in the last ``window_size`` seconds); in the
  last two, open when at least ``minimum_calls`` were seen and the failure rate reaches
  ``failure_rate_threshold`` (as resilience4j). With ``slow_call_duration`` set, a call that took
  at least that long is *slow*: in the consecutive window it counts as a failure; in the count
  and time windows slow calls have their own rate, and the breaker also opens when at least
  ``minimum_calls`` were seen and the slow-call rate reaches ``slow_call_rate_threshold``.
* **open** — calls are rejected (the caller goes to its fallback). After ``open_timeout`` seconds
  the breaker becomes half-open *at that instant* (a call at exactly ``opened_at + open_timeout``
  is admitted); with ``lazy_half_open=True`` it does so only when the next call arrives, at that
  call's time.
* **half_open** — up to ``half_open_max_calls`` trial calls are admitted *at a time*: a trial
  slot is given back when its call ends (a success, or :meth:`CircuitBreaker.release` for a call
  that ended without a verdict), so a breaker with fewer slots than ``success_threshold`` still
  closes. ``success_threshold`` successes close the breaker; any failure reopens it and restarts
  the timer.

Every transition is appended to ``transitions`` as ``(t, from_state, to_state)`` and passed to
``on_transition`` if given (the engine publishes it on the bus).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

__all__ = ["CircuitBreaker", "CLOSED", "OPEN", "HALF_OPEN", "WINDOWS", "check_settings"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
WINDOWS = ("consecutive", "count", "time")


def check_settings(*, failure_threshold: int, open_timeout: float, success_threshold: int,
                   half_open_max_calls: int | None, window: str, window_size: float,
                   failure_rate_threshold: float, minimum_calls: int, slow_call_duration: float | None,
                   slow_call_rate_threshold: float) -> None:
    """Raise ``ValueError`` naming the first setting out of range (every breaker checks its
    settings with it; :class:`~simroute.resilience.settings.BreakerSettings` by making one)."""
    if failure_threshold < 1 or success_threshold < 1:
        raise ValueError("failure_threshold and success_threshold must be >= 1")
    if open_timeout < 0:
        raise ValueError(f"open_timeout must be >= 0 seconds, got {open_timeout}")
    if half_open_max_calls is not None and half_open_max_calls < 1:
        raise ValueError("half_open_max_calls must be >= 1")
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    if not 0 < failure_rate_threshold <= 1:
        raise ValueError("failure_rate_threshold must be within (0, 1]")
    if not 0 < slow_call_rate_threshold <= 1:
        raise ValueError("slow_call_rate_threshold must be within (0, 1]")
    if window_size <= 0 or minimum_calls < 1:
        raise ValueError("window_size must be > 0 and minimum_calls >= 1")
    if window == "count" and not float(window_size).is_integer():
        raise ValueError(f"window_size: a count window holds a whole number of calls, got {window_size}")
    if slow_call_duration is not None and slow_call_duration <= 0:
        raise ValueError(f"slow_call_duration must be > 0 seconds, got {slow_call_duration}")


class CircuitBreaker:
    """See the module docstring. ``allow(t)`` before a call; ``record_success(t)`` or
    ``record_failure(t)`` after it.

    Parameters:
        failure_threshold: consecutive failures that open it (``window="consecutive"``).
        open_timeout: seconds open before half-open.
        success_threshold: trial successes that close it.
        half_open_max_calls: trial calls admitted at a time when half-open (None: success_threshold).
        lazy_half_open: half-open only when the next call arrives.
        window: ``consecutive``, ``count`` (the last ``window_size`` calls) or ``time`` (the last
            ``window_size`` seconds).
        window_size: the count or time window's size.
        failure_rate_threshold: the failure rate that opens a count or time breaker.
        minimum_calls: calls in the window before a rate is judged.
        slow_call_duration: seconds from which a call is slow (None: off).
        slow_call_rate_threshold: the slow-call rate that opens a count or time breaker.
        on_transition: called with ``(t, from_state, to_state)`` on every transition.

    Raises:
        ValueError: settings out of range (:func:`check_settings`).
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        open_timeout: float = 60.0,
        success_threshold: int = 3,
        *,
        half_open_max_calls: int | None = None,
        lazy_half_open: bool = False,
        window: str = "consecutive",
        window_size: float = 10,
        failure_rate_threshold: float = 0.5,
        minimum_calls: int = 5,
        slow_call_duration: float | None = None,
        slow_call_rate_threshold: float = 1.0,
        on_transition: Callable[[float, str, str], None] | None = None,
    ) -> None:
        check_settings(failure_threshold=failure_threshold, open_timeout=open_timeout,
                       success_threshold=success_threshold, half_open_max_calls=half_open_max_calls,
                       window=window, window_size=window_size,
                       failure_rate_threshold=failure_rate_threshold, minimum_calls=minimum_calls,
                       slow_call_duration=slow_call_duration,
                       slow_call_rate_threshold=slow_call_rate_threshold)
        self.failure_threshold = failure_threshold
        self.open_timeout = float(open_timeout)
        self.success_threshold = success_threshold
        self.lazy_half_open = lazy_half_open
        self.window = window
        self.window_size = float(window_size)
        self.failure_rate_threshold = float(failure_rate_threshold)
        self.minimum_calls = minimum_calls
        self.slow_call_duration = None if slow_call_duration is None else float(slow_call_duration)
        self.slow_call_rate_threshold = float(slow_call_rate_threshold)
        self.max_trials = half_open_max_calls or success_threshold
        self.on_transition = on_transition
        self._plain = window == "consecutive" and slow_call_duration is None  #: no window, no slow calls
        self.state = CLOSED
        self.transitions: list[tuple[float, str, str]] = []
        self.opened_at: float | None = None
        self._due = math.inf  #: when an open breaker becomes half-open (opened_at + open_timeout)
        self.failures = 0  #: consecutive failures (closed, "consecutive" window)
        self._outcomes: deque[tuple[float, bool, bool]] = deque()  #: (t, failed, slow), other windows
        self._trials = 0  #: trial calls admitted and not yet ended in this half-open period
        self._trial_successes = 0
        self._now = -math.inf
        self.rejected = 0  #: calls rejected while open (or half-open and full)

    def __repr__(self) -> str:
        return (f"CircuitBreaker({self.state}, failures={self.failures}, "
                f"threshold={self.failure_threshold}, timeout={self.open_timeout:g}s, "
                f"success_threshold={self.success_threshold}, {len(self.transitions)} transitions)")

    # -- time
    def _advance(self, t: float) -> None:
        if t < self._now:
            raise ValueError(f"time went backwards: {t} < {self._now}")
        self._now = t
        if self.state == OPEN and not self.lazy_half_open and t >= self._due:
            self._move(self._due, HALF_OPEN)

    def _move(self, t: float, to: str) -> None:
        frm = self.state
        self.state = to
        self.transitions.append((t, frm, to))
        if to == OPEN:
            self.opened_at = t
            self._due = t + self.open_timeout
        if to in (HALF_OPEN, OPEN):
            self._trials = self._trial_successes = 0
        if to == CLOSED:
            self.failures = 0
            self._outcomes.clear()
        if self.on_transition is not None:
            self.on_transition(t, frm, to)

    def state_at(self, t: float) -> str:
        """The state at time ``t`` (advances the clock; lazy half-open shows ``open`` until a call)."""
        self._advance(t)
        return self.state

    # -- calls
    def allow(self, t: float) -> bool:
        """May a call start at ``t``? Counts it as a trial when half-open."""
        if self.state is CLOSED and t >= self._now:  # the common case, without the general path
            self._now = t
            return True
        self._advance(t)
        if self.state == OPEN and self.lazy_half_open and t >= self._due:
            self._move(t, HALF_OPEN)
        if self.state == CLOSED:
            return True
        if self.state == HALF_OPEN and self._trials < self.max_trials:
            self._trials += 1
            return True
        self.rejected += 1
        return False

    def release(self, t: float) -> None:
        """A call admitted at ``allow`` ended without a verdict (refused further on, cancelled, an
        outcome that does not count): give its trial slot back when half-open."""
        self._advance(t)
        if self.state == HALF_OPEN and self._trials:
            self._trials -= 1

    def record_success(self, t: float, duration: float | None = None) -> None:
        """A call ended well at ``t`` (``duration`` seconds long, for slow-call counting)."""
        if self.state is CLOSED and self._plain and t >= self._now:
            self._now = t  # the common case: a success resets the count
            self.failures = 0
            return
        slow = self._is_slow(duration)
        if slow and (self.window == "consecutive" or self.state != CLOSED):
            self.record_failure(t)
            return
        self._advance(t)
        if self.state == HALF_OPEN:
            if self._trials:
                self._trials -= 1
            self._trial_successes += 1
            if self._trial_successes >= self.success_threshold:
                self._move(t, CLOSED)
        elif self.state == CLOSED:
            self.failures = 0
            self._record_outcome(t, failed=False, slow=slow)
            # a rate is judged after every call: a success can bring the window to its minimum
            if self.window != "consecutive" and self._should_open(t):
                self._move(t, OPEN)

    def record_failure(self, t: float, duration: float | None = None) -> None:
        """A call failed at ``t`` (``duration`` seconds long, for slow-call counting)."""
        self._advance(t)
        if self.state == HALF_OPEN:
            self._move(t, OPEN)
        elif self.state == CLOSED:
            self.failures += 1
            self._record_outcome(t, failed=True, slow=self._is_slow(duration))
            if self._should_open(t):
                self._move(t, OPEN)
        # OPEN: a late result of a call admitted earlier changes nothing

    def _is_slow(self, duration: float | None) -> bool:
        limit = self.slow_call_duration
        return limit is not None and duration is not None and duration >= limit

    def _record_outcome(self, t: float, failed: bool, slow: bool) -> None:
        if self.window == "consecutive":
            return
        self._outcomes.append((t, failed, slow))
        if self.window == "count":
            while len(self._outcomes) > self.window_size:
                self._outcomes.popleft()
        else:
            while self._outcomes and self._outcomes[0][0] <= t - self.window_size:
                self._outcomes.popleft()

    def _should_open(self, t: float) -> bool:
        if self.window == "consecutive":
            return self.failures >= self.failure_threshold
        if self.window == "time":  # calls that left the window since the last call
            while self._outcomes and self._outcomes[0][0] <= t - self.window_size:
                self._outcomes.popleft()
        n = len(self._outcomes)
        if n < self.minimum_calls:
            return False
        if sum(f for _, f, _ in self._outcomes) / n >= self.failure_rate_threshold:
            return True
        return (self.slow_call_duration is not None
                and sum(w for _, _, w in self._outcomes) / n >= self.slow_call_rate_threshold)

    def open_time(self, until: float) -> float:
        """Seconds spent open (not half-open) from the first transition until ``until``."""
        total, since = 0.0, None
        for t, _, to in self.transitions:
            if to == OPEN and since is None:
                since = t
            elif to != OPEN and since is not None:
                total += t - since
                since = None
        if since is not None:
            total += max(until - since, 0.0)
        return total
