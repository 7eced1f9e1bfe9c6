"""Service-time models: how long a plugin takes for one task of a kind.

A :class:`ServiceTime` is frozen data with a ``sample(rng, tokens)`` method; the engine draws from it
with the run's own :class:`numpy.random.Generator` (or a blocked stream of it,
:mod:`simroute.common.draws`). Kinds:

* ``deterministic`` — always ``mean`` seconds;
* ``exponential`` — mean ``mean`` (coefficient of variation 1, the M/M/c case);
* ``lognormal`` — mean ``mean`` and coefficient of variation ``cv``:
  ``sigma² = ln(1 + cv²)``, ``mu = ln(mean) - sigma²/2``;
* ``tokens`` — ``mean + per_token × tokens`` (a request's context + generated tokens), the LLM case;
  without tokens it is ``mean``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ServiceTime", "DISTRIBUTIONS", "Source"]

DISTRIBUTIONS = ("deterministic", "exponential", "lognormal", "tokens")


class Source(Protocol):
    """What a distribution draws from: a :class:`numpy.random.Generator`, or a blocked stream of one
    (:mod:`simroute.common.draws`)."""

    def random(self) -> float: ...

    def exponential(self, scale: float) -> float: ...

    def lognormal(self, mean: float, sigma: float) -> float: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceTime:
    """How long a plugin takes for one task (see the module docstring).

    Parameters:
        dist: ``deterministic``, ``exponential``, ``lognormal`` or ``tokens``.
        mean: seconds.
        cv: coefficient of variation (``lognormal``).
        per_token: seconds per token (``tokens``).
    """
    dist: str = "exponential"
    mean: float = 1.0  #: seconds
    cv: float = 0.5  #: coefficient of variation (lognormal only)
    per_token: float = 0.0  #: seconds per token (tokens only)

    def __post_init__(self) -> None:
        if self.dist not in DISTRIBUTIONS:
            raise ValueError(f"dist must be one of {', '.join(DISTRIBUTIONS)}, got {self.dist!r}")
        if not (self.mean > 0 or (self.dist == "deterministic" and self.mean == 0)):
            raise ValueError(f"mean must be > 0 seconds (0 only if deterministic), got {self.mean!r}")
        if self.cv < 0 or self.per_token < 0:
            raise ValueError("cv and per_token must be >= 0")

    def sample(self, rng: Source, tokens: float | None = None) -> float:
        """One service time in seconds."""
        if self.dist == "deterministic":
            return self.mean
        if self.dist == "exponential":
            return float(rng.exponential(self.mean))
        if self.dist == "lognormal":
            if self.cv == 0:
                return self.mean
            s2 = math.log1p(self.cv**2)
            return float(rng.lognormal(math.log(self.mean) - s2 / 2, math.sqrt(s2)))
        return self.mean + self.per_token * (tokens or 0.0)

    def expected(self, tokens: float | None = None) -> float:
        """The mean service time in seconds (for ``tokens``, given the token count)."""
        if self.dist == "tokens":
            return self.mean + self.per_token * (tokens or 0.0)
        return self.mean

    def scaled(self, factor: float) -> ServiceTime:
        """The same shape with every duration multiplied by ``factor`` (a latency spike)."""
        return ServiceTime(dist=self.dist, mean=self.mean * factor, cv=self.cv,
                           per_token=self.per_token * factor)
