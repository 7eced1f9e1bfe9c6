"""The settings of the circuit breaker and the retry policy, as frozen values.

A scenario's settings (:class:`~simroute.io.settings.Settings`) hold one :class:`BreakerSettings`
and one :class:`RetryPolicy` (and a policy per outcome class); sweeps and tuning vary their fields.
They live apart from the run-time classes they configure (:class:`~simroute.resilience.breaker.
CircuitBreaker`, :class:`~simroute.resilience.retry.Backoff`) because the schema reads their
annotations (units, ranges, documentation), while the run-time classes are compiled, and a
compiled class keeps no annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..common.schema import documented, setting
from .breaker import WINDOWS, CircuitBreaker
from .failure import FAILURE_KINDS
from .retry import JITTERS, RETRYABLE, Backoff

__all__ = ["BreakerSettings", "RetryPolicy"]


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class BreakerSettings:
    """The options of :class:`~simroute.resilience.breaker.CircuitBreaker`, as one frozen value
    (for scenarios and sweeps)."""

    failure_threshold: int = setting(5, "consecutive failures that open the breaker (window "
                                     "consecutive)", unit="calls", lo=1)
    open_timeout: float = setting(60.0, "how long the breaker stays open before half-open", unit="s", lo=0)
    success_threshold: int = setting(3, "trial successes in half-open that close it", unit="calls", lo=1)
    half_open_max_calls: int | None = setting(None, "trial calls admitted at a time when half-open "
                                              "(null: success_threshold)", unit="calls", lo=1)
    lazy_half_open: bool = setting(False, "half-open only when the next call arrives")
    window: str = setting("consecutive", "how failures are counted: consecutive, count (last "
                          "window_size calls) or time (last window_size seconds)", choices=WINDOWS)
    window_size: float = setting(10, "size of the count (calls) or time (s) window", lo=0, lo_open=True)
    failure_rate_threshold: float = setting(0.5, "failure rate that opens a count/time breaker",
                                            lo=0, hi=1, lo_open=True)
    minimum_calls: int = setting(5, "calls in the window before a rate is judged", unit="calls", lo=1)
    slow_call_duration: float | None = setting(None, "a call at least this long is slow (null: off)",
                                               unit="s", lo=0, lo_open=True)
    slow_call_rate_threshold: float = setting(1.0, "slow-call rate that opens a count/time breaker",
                                              lo=0, hi=1, lo_open=True)
    failure_kinds: tuple[str, ...] = setting(("error", "timeout"), "attempt outcomes that count as "
                                             "failures", choices=FAILURE_KINDS)
    enabled: bool = setting(True, "a breaker per plugin (false: none)")

    def __post_init__(self) -> None:
        self.make()  # the breaker checks its settings (check_settings)
        unknown = [k for k in self.failure_kinds if k not in FAILURE_KINDS]
        if unknown:
            raise ValueError(f"failure_kinds: unknown kind {unknown[0]!r} "
                             f"(known: {', '.join(FAILURE_KINDS)})")
        object.__setattr__(self, "failure_kinds", tuple(self.failure_kinds))

    def make(self, on_transition: Callable[[float, str, str], None] | None = None) -> CircuitBreaker:
        """A breaker with these settings (``on_transition`` is told every transition)."""
        kwargs = {k: getattr(self, k) for k in self.__slots__ if k not in ("enabled", "failure_kinds")}
        return CircuitBreaker(**kwargs, on_transition=on_transition)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class RetryPolicy:
    """How an outcome is retried on the same plugin: up to ``max_retries`` retries, each after an
    exponential backoff with jitter (see :mod:`simroute.resilience.retry`)."""

    max_retries: int = setting(3, "retries after the first attempt (3: at most 4 attempts)",
                               unit="retries", lo=0)
    base: float = setting(1.0, "backoff before the first retry (0: retry at once, every time)", unit="s",
                          lo=0)
    cap: float = setting(10.0, "longest backoff", unit="s", lo=0)
    jitter: str = setting("none", "jitter: none, full, equal or decorrelated", choices=JITTERS)
    retry_on: tuple[str, ...] = setting(RETRYABLE, "outcomes retried on the same plugin (the others "
                                        "move to the next candidate)", choices=RETRYABLE)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.base < 0 or self.cap < self.base:
            raise ValueError(f"need 0 <= base <= cap, got base={self.base}, cap={self.cap}")
        if self.jitter not in JITTERS:
            raise ValueError(f"jitter must be one of {', '.join(JITTERS)}, got {self.jitter!r}")
        bad = [k for k in self.retry_on if k not in RETRYABLE]
        if bad:
            raise ValueError(f"retry_on: {bad[0]!r} cannot be retried (retryable: {', '.join(RETRYABLE)})")
        object.__setattr__(self, "retry_on", tuple(self.retry_on))

    def make(self) -> Backoff:
        """The delays of this policy, as the engine computes them."""
        return Backoff(self.max_retries, self.base, self.cap, self.jitter)

    def backoff(self, n: int) -> float:
        """``d(n)``, the un-jittered delay before retry ``n`` (1-based)."""
        return self.make().backoff(n)

    def delay(self, n: int, rng: np.random.Generator | None = None, previous: float | None = None) -> float:
        """The delay before retry ``n``; ``previous`` is the last delay (decorrelated jitter)."""
        return self.make().delay(n, rng, previous)

    def delays(self, rng: np.random.Generator | None = None) -> list[float]:
        """The delays before retries 1 … max_retries."""
        return self.make().delays(rng)

    def bounds(self, n: int) -> tuple[float, float]:
        """The interval that the delay before retry ``n`` always lies in."""
        return self.make().bounds(n)
