"""The circuit breaker: a pure state machine over simulated time.

States ``closed`` → ``open`` → ``half_open`` → ``closed`` (or back to ``open``). Time is passed in
(simulated seconds, non-decreasing); nothing here sleeps or reads a clock.

* **closed** — calls pass. Failures are counted by the window: ``"consecutive"`` (the seed: a
  success resets the count; open at ``failure_threshold`` consecutive failures), ``"count"`` (the
  last ``window_size`` calls) or ``"time"`` (calls in the last ``window_size`` seconds); in the
  last two, open when at least ``minimum_calls`` were seen and the failure rate reaches
  ``failure_rate_threshold`` (as resilience4j). With ``slow_call_duration`` set, a call that took
  at least that long counts as a failure (slow-call counting).
* **open** — calls are rejected (the caller goes to its fallback). After ``open_timeout`` seconds
  the breaker becomes half-open *at that instant* (a call at exactly ``opened_at + open_timeout``
  is admitted); with ``lazy_half_open=True`` it does so only when the next call arrives, at that
  call's time.
* **half_open** — up to ``half_open_max_calls`` trial calls are admitted; ``success_threshold``
  successes close the breaker; any failure reopens it and restarts the timer.

Every transition is appended to ``transitions`` as ``(t, from_state, to_state)`` and passed to
``on_transition`` if given (the engine publishes it on the bus).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CircuitBreaker", "BreakerSettings", "CLOSED", "OPEN", "HALF_OPEN", "WINDOWS"]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
WINDOWS = ("consecutive", "count", "time")


@dataclass(frozen=True, kw_only=True, slots=True)
class BreakerSettings:
    """The options of :class:`CircuitBreaker`, as one frozen value (for scenarios and sweeps)."""

    failure_threshold: int = 5
    open_timeout: float = 60.0
    success_threshold: int = 3
    half_open_max_calls: int | None = None  #: default: success_threshold
    lazy_half_open: bool = False
    window: str = "consecutive"
    window_size: float = 10
    failure_rate_threshold: float = 0.5
    minimum_calls: int = 5
    slow_call_duration: float | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.success_threshold < 1:
            raise ValueError("failure_threshold and success_threshold must be >= 1")
        if self.open_timeout < 0:
            raise ValueError(f"open_timeout must be >= 0 seconds, got {self.open_timeout}")
        if self.half_open_max_calls is not None and self.half_open_max_calls < 1:
            raise ValueError("half_open_max_calls must be >= 1")
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)}, got {self.window!r}")
        if not 0 < self.failure_rate_threshold <= 1:
            raise ValueError("failure_rate_threshold must be within (0, 1]")
        if self.window_size <= 0 or self.minimum_calls < 1:
            raise ValueError("window_size must be > 0 and minimum_calls >= 1")

    def make(self, on_transition: Callable[[float, str, str], None] | None = None) -> CircuitBreaker:
        kwargs = {k: getattr(self, k) for k in self.__slots__ if k != "enabled"}
        return CircuitBreaker(**kwargs, on_transition=on_transition)


class CircuitBreaker:
    """See the module docstring. ``allow(t)`` before a call; ``record_success(t)`` or
    ``record_failure(t)`` after it."""

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
        on_transition: Callable[[float, str, str], None] | None = None,
    ) -> None:
        self.settings = BreakerSettings(
            failure_threshold=failure_threshold, open_timeout=open_timeout,
            success_threshold=success_threshold, half_open_max_calls=half_open_max_calls,
            lazy_half_open=lazy_half_open, window=window, window_size=window_size,
            failure_rate_threshold=failure_rate_threshold, minimum_calls=minimum_calls,
            slow_call_duration=slow_call_duration,
        )
        self.max_trials = half_open_max_calls or success_threshold
        self.on_transition = on_transition
        self.state = CLOSED
        self.transitions: list[tuple[float, str, str]] = []
        self.opened_at: float | None = None
        self.failures = 0  #: consecutive failures (closed, "consecutive" window)
        self._outcomes: deque[tuple[float, bool]] = deque()  #: (t, failed) for the other windows
        self._trials = 0  #: trial calls admitted in this half-open period
        self._trial_successes = 0
        self._now = float("-inf")
        self.rejected = 0  #: calls rejected while open (or half-open and full)

    def __repr__(self) -> str:
        s = self.settings
        return (f"CircuitBreaker({self.state}, failures={self.failures}, "
                f"threshold={s.failure_threshold}, timeout={s.open_timeout:g}s, "
                f"success_threshold={s.success_threshold}, {len(self.transitions)} transitions)")

    # -- time
    def _advance(self, t: float) -> None:
        if t < self._now:
            raise ValueError(f"time went backwards: {t} < {self._now}")
        self._now = t
        if self.state == OPEN and not self.settings.lazy_half_open:
            due = self.opened_at + self.settings.open_timeout  # type: ignore[operator]
            if t >= due:
                self._move(due, HALF_OPEN)

    def _move(self, t: float, to: str) -> None:
        frm = self.state
        self.state = to
        self.transitions.append((t, frm, to))
        if to == OPEN:
            self.opened_at = t
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
        self._advance(t)
        if self.state == OPEN and self.settings.lazy_half_open:
            if t >= self.opened_at + self.settings.open_timeout:  # type: ignore[operator]
                self._move(t, HALF_OPEN)
        if self.state == CLOSED:
            return True
        if self.state == HALF_OPEN and self._trials < self.max_trials:
            self._trials += 1
            return True
        self.rejected += 1
        return False

    def record_success(self, t: float, duration: float | None = None) -> None:
        """A call ended well at ``t`` (``duration`` seconds long, for slow-call counting)."""
        if self._is_slow(duration):
            self.record_failure(t)
            return
        self._advance(t)
        if self.state == HALF_OPEN:
            self._trial_successes += 1
            if self._trial_successes >= self.settings.success_threshold:
                self._move(t, CLOSED)
        elif self.state == CLOSED:
            self.failures = 0
            self._record_outcome(t, failed=False)

    def record_failure(self, t: float, duration: float | None = None) -> None:
        """A call failed at ``t``."""
        self._advance(t)
        if self.state == HALF_OPEN:
            self._move(t, OPEN)
        elif self.state == CLOSED:
            self.failures += 1
            self._record_outcome(t, failed=True)
            if self._should_open(t):
                self._move(t, OPEN)
        # OPEN: a late result of a call admitted earlier changes nothing

    def _is_slow(self, duration: float | None) -> bool:
        limit = self.settings.slow_call_duration
        return limit is not None and duration is not None and duration >= limit

    def _record_outcome(self, t: float, failed: bool) -> None:
        s = self.settings
        if s.window == "consecutive":
            return
        self._outcomes.append((t, failed))
        if s.window == "count":
            while len(self._outcomes) > s.window_size:
                self._outcomes.popleft()
        else:
            while self._outcomes and self._outcomes[0][0] <= t - s.window_size:
                self._outcomes.popleft()

    def _should_open(self, t: float) -> bool:
        s = self.settings
        if s.window == "consecutive":
            return self.failures >= s.failure_threshold
        n = len(self._outcomes)
        if n < s.minimum_calls:
            return False
        return sum(f for _, f in self._outcomes) / n >= s.failure_rate_threshold

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
