"""Token buckets: requests-per-minute and tokens-per-minute limits, over simulated time.

A :class:`TokenBucket` holds at most ``capacity`` tokens (the burst; by default the per-minute
limit) and refills continuously at ``per_minute / 60`` tokens a second. ``wait(t, n)`` says how many
seconds must pass before ``n`` tokens are there (0: now); ``take(t, n)`` removes them. A call
refused by a limit is answered ``rate_limited`` with Retry-After = that wait. Time is passed in
(non-decreasing seconds); nothing here reads a clock.
"""

from __future__ import annotations

import math

__all__ = ["TokenBucket"]


class TokenBucket:
    __slots__ = ("rate", "capacity", "_level", "_t")

    def __init__(self, per_minute: float, burst: float | None = None) -> None:
        if not (0 < per_minute < math.inf):
            raise ValueError(f"per_minute must be a finite number > 0, got {per_minute!r}")
        self.rate = per_minute / 60.0  #: tokens per second
        self.capacity = float(per_minute if burst is None else burst)
        if not (0 < self.capacity < math.inf):
            raise ValueError(f"burst must be a finite number > 0, got {burst!r}")
        self._level = self.capacity  #: starts full
        self._t = 0.0

    def __repr__(self) -> str:
        return f"TokenBucket({self.rate * 60:g}/min, burst {self.capacity:g}, level {self._level:.3g})"

    def _refill(self, t: float) -> None:
        if t > self._t:
            self._level = min(self.capacity, self._level + (t - self._t) * self.rate)
            self._t = t

    def level(self, t: float) -> float:
        """Tokens available at ``t``."""
        self._refill(t)
        return self._level

    def wait(self, t: float, n: float = 1.0) -> float:
        """Seconds from ``t`` until ``n`` tokens are available (0 when they are now).

        A request larger than the burst can never pass: its wait is ``inf``."""
        self._refill(t)
        if n > self.capacity:
            return math.inf
        missing = n - self._level
        return 0.0 if missing <= 1e-12 else missing / self.rate

    def take(self, t: float, n: float = 1.0) -> None:
        """Remove ``n`` tokens at ``t`` (call after ``wait(t, n) == 0``)."""
        self._refill(t)
        self._level = max(0.0, self._level - n)
