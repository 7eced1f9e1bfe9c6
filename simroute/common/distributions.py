"""Service-time models: how long a plugin takes for one task of a kind.

A :class:`ServiceTime` is frozen data with a ``sample(rng, tokens)`` method; the engine draws from it
with the run's own :class:`numpy.random.Generator` (or a blocked stream of it,
:mod:`simroute.common.draws`). Kinds:

* ``deterministic`` — always ``mean`` seconds;
* ``exponential`` — mean ``mean`` (coefficient of variation 1, the M/M/c case);
* ``lognormal`` — mean ``mean`` and coefficient of variation ``cv``:
  ``sigma² = ln(1 + cv²)``, ``mu = ln(mean) - sigma²/2``;
* ``tokens`` — ``mean + per_token × tokens`` (a request's context + generated tokens);
  without tokens it is ``mean``;
* ``llm`` — a token-aware LLM deployment: time to first token ``mean + per_token × input
  tokens``, then ``tpot × output tokens``, each part lognormal with ``cv``
  (:meth:`ServiceTime.sample_parts`); the requests' ``ttft`` and ``tpot`` come from it. With
  ``tpot_growth`` the decode slows as the deployment batches: each other call in flight on it when
  the call is sent makes every output token ``tpot_growth`` × ``tpot`` slower (continuous batching
  shares the accelerator; the count is taken once, when the call is sent).

In a scenario or catalog a distribution is written ``{dist: llm, mean_s: 0.25, per_token_s: 5e-5,
tpot_s: 0.015, tpot_growth: 0.01, cv: 0.4}`` (``mean_min`` instead of ``mean_s`` gives minutes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["ServiceTime", "DISTRIBUTIONS", "Source"]

DISTRIBUTIONS = ("deterministic", "exponential", "lognormal", "tokens", "llm")


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
        dist: ``deterministic``, ``exponential``, ``lognormal``, ``tokens`` or ``llm``.
        mean: seconds (``llm``: the time to first token of an empty prompt).
        cv: coefficient of variation (``lognormal``; ``llm``: of each of its two parts).
        per_token: seconds per token (``tokens``: of all tokens; ``llm``: prefill, per input token).
        tpot: ``llm``: seconds per output token (the decode) of a call alone on its deployment.
        tpot_growth: ``llm``: the share by which each other call in flight on the deployment slows
            every output token (0: no batching effect).

    ``llm`` is a token-aware model of an LLM deployment: time to first token ``mean + per_token ×
    input tokens`` and then ``tpot × output tokens``, each part lognormal with its ``cv`` around its
    mean (:meth:`sample_parts`), so a call's mean latency is the mean TTFT plus the output tokens ×
    ``tpot``.
    """
    dist: str = "exponential"
    mean: float = 1.0  #: seconds
    cv: float = 0.5  #: coefficient of variation (lognormal and llm)
    per_token: float = 0.0  #: seconds per token (tokens; llm: per input token)
    tpot: float = 0.0  #: seconds per output token (llm only)
    tpot_growth: float = 0.0  #: llm: tpot's growth per other call in flight (share)

    def __post_init__(self) -> None:
        if self.dist not in DISTRIBUTIONS:
            raise ValueError(f"dist must be one of {', '.join(DISTRIBUTIONS)}, got {self.dist!r}")
        if not (self.mean > 0 or (self.dist == "deterministic" and self.mean == 0)):
            raise ValueError(f"mean must be > 0 seconds (0 only if deterministic), got {self.mean!r}")
        if self.cv < 0 or self.per_token < 0 or self.tpot < 0 or self.tpot_growth < 0:
            raise ValueError("cv, per_token, tpot and tpot_growth must be >= 0")

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
        if self.dist == "llm":
            return self.sample_parts(rng, tokens or 0.0, 0.0)[1]
        return self.mean + self.per_token * (tokens or 0.0)

    def sample_parts(self, rng: Source, input_tokens: float, output_tokens: float,
                     in_flight: int = 0) -> tuple[float, float]:
        """``llm``: one call's (time to first token, whole latency), in seconds, for its tokens,
        sent while ``in_flight`` other calls are being served on its deployment."""
        ttft = self._noisy(rng, self.mean + self.per_token * max(input_tokens, 0.0))
        tpot = self.tpot * (1.0 + self.tpot_growth * in_flight)
        decode = self._noisy(rng, tpot * max(output_tokens, 0.0)) if output_tokens > 0 else 0.0
        return ttft, ttft + decode

    def _noisy(self, rng: Source, mean: float) -> float:
        """Lognormal around ``mean`` with this model's cv (``mean`` itself without noise)."""
        if self.cv == 0 or mean <= 0:
            return mean
        s2 = math.log1p(self.cv**2)
        return float(rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2)))

    def expected(self, tokens: float | None = None, output_tokens: float = 0.0) -> float:
        """The mean service time in seconds (for ``tokens``, given the token count; ``llm``: of
        which ``output_tokens`` are output, for a call alone on its deployment)."""
        if self.dist == "tokens":
            return self.mean + self.per_token * (tokens or 0.0)
        if self.dist == "llm":
            inp = (tokens or 0.0) - output_tokens
            return self.mean + self.per_token * inp + self.tpot * output_tokens
        return self.mean

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        """Pickled by its fields (compiled by mypyc, a frozen dataclass would not unpickle: it
        would set its fields one by one)."""
        return _rebuild, ({"dist": self.dist, "mean": self.mean, "cv": self.cv, "per_token": self.per_token,
                           "tpot": self.tpot, "tpot_growth": self.tpot_growth},)

    def scaled(self, factor: float) -> ServiceTime:
        """The same shape with every duration multiplied by ``factor`` (a latency spike)."""
        return ServiceTime(dist=self.dist, mean=self.mean * factor, cv=self.cv,
                           per_token=self.per_token * factor, tpot=self.tpot * factor,
                           tpot_growth=self.tpot_growth)


def _rebuild(fields: dict[str, Any]) -> ServiceTime:
    """A pickled :class:`ServiceTime`, from its fields."""
    return ServiceTime(**fields)
