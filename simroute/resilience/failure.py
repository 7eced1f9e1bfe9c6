"""How a call ends: outcome kinds, and each plugin's failure model.

Every attempt on a plugin ends with one *outcome* (the ``outcome`` column of the attempts table):

========================  ==================================================================
outcome                   meaning
========================  ==================================================================
``success``               the plugin answered; it took a service time
``error``                 a fast failure (a 5xx): the plugin answers after a short error latency
``timeout``               the caller gave up: the plugin hung, or queued and served too slowly.
                          The plugin keeps working on the call until its own work ends
``rate_limited``          a 429: refused at once (by the plugin's failure model, or by its
                          requests/tokens-per-minute limits) with a Retry-After
``non_retryable``         an error that a retry on the same plugin cannot fix (a bad request):
                          answered after an error latency; the phase moves on
``context_window``        a non-retryable error: the request is longer than the model's context
                          window (a router can send it down a context-window fallback chain)
``content_policy``        a non-retryable error: the provider's content filter refused the request
                          (a router can send it down a content-policy fallback chain)
``rejected_open``         refused by the plugin's open circuit breaker (no call was made)
``rejected_bulkhead``     refused: the orchestrator already has the bulkhead's limit of calls
                          outstanding on the plugin
``shed``                  refused by load shedding: the plugin's queue is too long
``deadline``              the request's deadline passed: nothing more is tried
``cancelled``             a hedged copy that lost the race (withdrawn from the queue, or its
                          work stopped)
========================  ==================================================================

A :class:`FailureModel` says how a plugin fails *when* an attempt fails (the plugin's ``failure_p``,
or a fault window's): which kind, with which shares, and how long each kind takes. Fault windows
pick one kind (:attr:`~simroute.io.scenario.Fault.failure`): an outage can refuse fast (``error``) or
hang (``timeout``). A failed attempt's duration comes from its kind, never from the success
service time: every kind but ``timeout`` answers after ``error_latency``;
a hanging call (``timeout``) holds the plugin for ``hang_s`` unless the caller cuts it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..common.distributions import ServiceTime
from ..common.schema import documented, setting

if TYPE_CHECKING:
    from ..common.draws import Source

__all__ = [
    "FailureModel", "FAILURE_KINDS", "OUTCOMES", "REFUSALS", "SUCCESS", "ERROR", "TIMEOUT",
    "RATE_LIMITED", "NON_RETRYABLE", "CONTEXT_WINDOW", "CONTENT_POLICY", "NOT_BILLED",
    "REJECTED_OPEN", "REJECTED_BULKHEAD", "SHED", "DEADLINE", "CANCELLED",
]

SUCCESS, ERROR, TIMEOUT, RATE_LIMITED, NON_RETRYABLE = (
    "success", "error", "timeout", "rate_limited", "non_retryable")
CONTEXT_WINDOW, CONTENT_POLICY = "context_window", "content_policy"
REJECTED_OPEN, REJECTED_BULKHEAD, SHED, DEADLINE, CANCELLED = (
    "rejected_open", "rejected_bulkhead", "shed", "deadline", "cancelled")

#: the kinds a plugin's failure model (or a fault) can produce
FAILURE_KINDS = (ERROR, TIMEOUT, RATE_LIMITED, NON_RETRYABLE, CONTEXT_WINDOW, CONTENT_POLICY)
#: failures refused before any work: the provider does not bill them
NOT_BILLED = (RATE_LIMITED, NON_RETRYABLE, CONTEXT_WINDOW, CONTENT_POLICY)
#: outcomes decided before any call reaches the plugin (no work, no cost)
REFUSALS = (REJECTED_OPEN, REJECTED_BULKHEAD, SHED, DEADLINE)
OUTCOMES = (SUCCESS, *FAILURE_KINDS, *REFUSALS, CANCELLED)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class FailureModel:
    """How a plugin fails, when it fails.

    ``kinds`` maps each failure kind to its share of failures (shares sum to 1);
    ``error_latency`` is how long a fast failure (``error``, ``rate_limited``, ``non_retryable``)
    takes; ``hang_s`` how long a hanging call (``timeout``) holds the plugin, in seconds (its own
    server-side limit); ``retry_after_s`` the Retry-After of the plugin's own 429s, in seconds.
    """

    kinds: Mapping[str, float] = setting(doc="share of each failure kind among failures (sum 1)",
                                         lo=0, hi=1, choices=FAILURE_KINDS,
                                         factory=lambda: MappingProxyType({ERROR: 1.0}))
    error_latency: ServiceTime = setting(doc="latency of a fast failure (every kind but timeout)",
                                         unit="s",
                                         factory=lambda: ServiceTime(dist="lognormal", mean=1.0, cv=0.5))
    hang_s: float = setting(600.0, "how long a hanging call holds the plugin (its own limit)",
                            unit="s", lo=0, lo_open=True)
    retry_after_s: float = setting(30.0, "Retry-After of the plugin's own 429s", unit="s", lo=0)

    def __post_init__(self) -> None:
        if not self.kinds:
            raise ValueError("kinds: give at least one failure kind")
        for kind, share in self.kinds.items():
            if kind not in FAILURE_KINDS:
                raise ValueError(f"kinds: unknown failure kind {kind!r} (known: {', '.join(FAILURE_KINDS)})")
            if not (isinstance(share, int | float) and 0 <= share <= 1):
                raise ValueError(f"kinds.{kind}: a share must be within [0, 1], got {share!r}")
        total = sum(self.kinds.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"kinds: shares must sum to 1, got {total:g}")
        if not (0 < self.hang_s < float("inf")):
            raise ValueError(f"hang_s: must be a finite number of seconds > 0, got {self.hang_s!r}")
        if not (0 <= self.retry_after_s < float("inf")):
            raise ValueError(f"retry_after_s: must be a finite number of seconds >= 0, "
                             f"got {self.retry_after_s!r}")
        object.__setattr__(self, "kinds", MappingProxyType(dict(self.kinds)))

    def with_share(self, kind: str, share: float) -> FailureModel:
        """The same model with ``kind`` taking ``share`` of failures and the other kinds scaled to
        fill the rest in their old proportions (what a sweep over one kind's share means)."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"kinds: unknown failure kind {kind!r} (known: {', '.join(FAILURE_KINDS)})")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise ValueError(f"kinds.{kind}: a share must be within [0, 1], got {share!r}")
        others = {k: v for k, v in self.kinds.items() if k != kind and v > 0}
        rest = sum(others.values())
        if not others and share < 1:
            others, rest = {ERROR if kind != ERROR else TIMEOUT: 1.0}, 1.0
        kinds = {k: v * (1 - share) / rest for k, v in others.items()}
        if share:
            kinds[kind] = float(share)
        return replace(self, kinds=kinds)

    def pick(self, rng: Source) -> str:
        """One failure kind, drawn by the shares (no draw when there is one kind)."""
        if len(self.kinds) == 1:
            return next(iter(self.kinds))
        u = rng.random()
        acc = 0.0
        kind = ERROR
        for kind, share in self.kinds.items():
            acc += share
            if u < acc:
                return kind
        return kind

    def duration(self, kind: str, rng: Source) -> float:
        """How long the plugin works on a failed call of ``kind``, in seconds."""
        return self.hang_s if kind == TIMEOUT else self.error_latency.sample(rng)
