"""Retries with exponential backoff, jitter and an optional retry budget.

The delay before retry ``n`` (1, 2, 3 …) without jitter is ``d(n) = min(cap, base × 2^(n-1))``
(base 1 s: 1, 2, 4 s). Jitter, for a generator ``rng``:

* ``none``  — ``d(n)``;
* ``full``  — uniform on ``[0, d(n)]``;
* ``equal`` — ``d(n)/2`` + uniform on ``[0, d(n)/2]``;
* ``decorrelated`` — ``min(cap, uniform on [base, 3 × previous])``, previous starting at base.

A :class:`RetryBudget` caps retries to ``ratio`` × requests (+ ``min_retries``) over a sliding
window of ``window`` seconds (or all time with ``window=None``): when spent, a failure is final.

A policy's settings are :class:`~simroute.resilience.settings.RetryPolicy`; :class:`Backoff` computes
its delays.
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["Backoff", "RetryBudget", "JITTERS", "RETRYABLE", "MAX_DOUBLINGS"]

MAX_DOUBLINGS = 1023  #: 2.0 ** 1023 is the largest power of two a float holds

JITTERS = ("none", "full", "equal", "decorrelated")
#: outcomes a retry on the same plugin can fix (non_retryable and refusals by a breaker or a
#: bulkhead always move to the next candidate)
RETRYABLE = ("error", "timeout", "rate_limited", "shed")


class Backoff:
    """The delays of one retry policy (see the module docstring): what
    :class:`~simroute.resilience.settings.RetryPolicy` computes with, and what the engine holds
    per policy while it runs.

    Parameters:
        max_retries: retries after the first attempt.
        base: the backoff before the first retry, in seconds.
        cap: the longest backoff, in seconds.
        jitter: ``none``, ``full``, ``equal`` or ``decorrelated``.
    """

    def __init__(self, max_retries: int, base: float, cap: float, jitter: str) -> None:
        self.max_retries = max_retries
        self.base = float(base)
        self.cap = float(cap)
        self.jitter = jitter

    def __repr__(self) -> str:
        return (f"Backoff(max_retries={self.max_retries}, base={self.base:g}s, cap={self.cap:g}s, "
                f"jitter={self.jitter!r})")

    def backoff(self, n: int) -> float:
        """``d(n)``, the un-jittered delay before retry ``n`` (1-based). The doubling stops at
        2^1023 (any larger is past every cap; ``2.0 ** n`` would overflow)."""
        return min(self.cap, self.base * 2.0 ** min(n - 1, MAX_DOUBLINGS))

    def delay(self, n: int, rng: np.random.Generator | None = None, previous: float | None = None) -> float:
        """The delay before retry ``n``; ``previous`` is the last delay (decorrelated jitter)."""
        d = self.backoff(n)
        jitter = self.jitter
        if jitter == "none":
            return d
        if rng is None:
            raise ValueError(f"jitter {jitter!r} needs an rng")
        if jitter == "full":
            return float(rng.uniform(0.0, d))
        if jitter == "equal":
            return d / 2 + float(rng.uniform(0.0, d / 2))
        prev = self.base if previous is None else previous
        return min(self.cap, float(rng.uniform(self.base, max(self.base, 3 * prev))))

    def delays(self, rng: np.random.Generator | None = None) -> list[float]:
        """The delays before retries 1 … max_retries."""
        out: list[float] = []
        for n in range(1, self.max_retries + 1):
            out.append(self.delay(n, rng, out[-1] if out else None))
        return out

    def bounds(self, n: int) -> tuple[float, float]:
        """The interval that the delay before retry ``n`` always lies in."""
        d = self.backoff(n)
        if self.jitter == "none":
            return d, d
        if self.jitter == "full":
            return 0.0, d
        if self.jitter == "equal":
            return d / 2, d
        return self.base, self.cap


class RetryBudget:
    """Allow a retry only while retries ≤ ratio × requests + min_retries (in the window).

    Parameters:
        ratio: retries allowed per request in the window.
        min_retries: retries always allowed in the window.
        window: the sliding window, in seconds (None: all time).
    """

    def __init__(self, ratio: float = 0.2, min_retries: int = 10, window: float | None = 10.0) -> None:
        if ratio < 0 or min_retries < 0 or (window is not None and window <= 0):
            raise ValueError("need ratio >= 0, min_retries >= 0 and window > 0 (or None)")
        self.ratio, self.min_retries, self.window = ratio, min_retries, window
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()
        self.denied = 0

    def __repr__(self) -> str:
        return (f"RetryBudget(ratio={self.ratio}, min_retries={self.min_retries}, "
                f"window={self.window}, denied={self.denied})")

    def _trim(self, t: float) -> None:
        if self.window is None:
            return
        for q in (self._requests, self._retries):
            while q and q[0] <= t - self.window:
                q.popleft()

    def record_request(self, t: float) -> None:
        self._requests.append(t)

    def try_spend(self, t: float) -> bool:
        """Take one retry at ``t`` if the budget allows it."""
        self._trim(t)
        if len(self._retries) + 1 <= self.ratio * len(self._requests) + self.min_retries:
            self._retries.append(t)
            return True
        self.denied += 1
        return False
