"""LiteLLM's deployment cooldown: a breaker variant with the LiteLLM Router's own rules and defaults.

A cooled-down deployment is left out of every pick, for every request, until its cooldown ends;
nothing is half-open and no trial call is made. Whether a failed call cools its deployment down
follows the Router's source (``litellm/router_utils/cooldown_handlers.py``; ``router.py``;
``constants.py``), with simroute's failure kinds read as the HTTP statuses LiteLLM sees
(:data:`STATUS`):

1. Only some failures run the cooldown logic at all: a 429, 401, 408 (a timeout) or 404, and any
   status that is not a 4xx. A 400 (a bad request, a context window or content policy error)
   never cools a deployment down. Neither does a cooldown time of 0, nor ``disable_cooldowns``.
2. *The failure-rate rule* — LiteLLM's default, when ``allowed_fails`` is not set (or is set to its
   default, 3) and there is no ``allowed_fails_policy``. Successes and failures are counted per
   calendar minute of simulated time. The deployment cools down on a 429 if its model group has
   other deployments; or when every call this minute failed and there were at least
   :data:`SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD` of them; or when more than
   :data:`FAILURE_THRESHOLD_PERCENT` of this minute's calls failed, there were at least
   :data:`FAILURE_THRESHOLD_MINIMUM_REQUESTS`, and the group has other deployments; or on a status
   LiteLLM never retries. So **a model group with a single deployment is not cooled down** by
   errors or 429s at ordinary traffic.
3. *The allowed-fails rule* — when ``allowed_fails`` is set to another value, or an
   ``allowed_fails_policy`` is given. Each failure adds one to a count that expires
   ``cooldown_time`` after the last failure it counted; the failure that would take the count past
   the allowance (the policy's for that kind, else ``allowed_fails``; a policy value of 0 falls
   back to ``allowed_fails``, as LiteLLM's ``or`` does) cools the deployment down instead. This rule
   applies to single-deployment groups too.

How long (LiteLLM 1.95's ``deployment_callback_on_failure``): the deployment's own
``cooldown_time`` when it has one, for any failure; else the response's Retry-After when it has one
(a 429 with ``retry_after_s``); else the router's ``cooldown_time``. A failure during a cooldown
restarts it.

Transitions go to ``on_transition(t, from_state, to_state)`` as ``closed → open`` when a cooldown
starts and ``open → closed`` when it ends (recorded when next looked at, with the time it ended).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from .failure import CONTENT_POLICY, CONTEXT_WINDOW, ERROR, NON_RETRYABLE, RATE_LIMITED, TIMEOUT

__all__ = ["DeploymentCooldown", "STATUS", "DEFAULT_ALLOWED_FAILS", "DEFAULT_COOLDOWN_TIME",
           "FAILURE_THRESHOLD_PERCENT", "FAILURE_THRESHOLD_MINIMUM_REQUESTS",
           "SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD", "cooldown_required", "retryable_status"]

DEFAULT_ALLOWED_FAILS = 3  #: litellm.allowed_fails
DEFAULT_COOLDOWN_TIME = 5.0  #: DEFAULT_COOLDOWN_TIME_SECONDS, in seconds
FAILURE_THRESHOLD_PERCENT = 0.5  #: DEFAULT_FAILURE_THRESHOLD_PERCENT
FAILURE_THRESHOLD_MINIMUM_REQUESTS = 5  #: DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS
SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD = 1000  #: calls in a minute, all failed

#: the HTTP status LiteLLM sees for each simroute failure kind
STATUS = {ERROR: 500, TIMEOUT: 408, RATE_LIMITED: 429, NON_RETRYABLE: 400, CONTEXT_WINDOW: 400,
          CONTENT_POLICY: 400}
#: kinds whose failure carries an HTTP response (a timeout has none)
_WITH_RESPONSE = (ERROR, RATE_LIMITED, NON_RETRYABLE, CONTEXT_WINDOW, CONTENT_POLICY)

CLOSED, OPEN = "closed", "open"


def cooldown_required(status: int) -> bool:
    """Whether a failure with this status runs the cooldown logic (LiteLLM's
    ``_is_cooldown_required``)."""
    if 400 <= status < 500:
        return status in (429, 401, 408, 404)
    return True


def retryable_status(status: int) -> bool:
    """Whether LiteLLM retries a status (``litellm._should_retry``)."""
    return status in (408, 409, 429) or status >= 500


class DeploymentCooldown:
    """One deployment's cooldown state (see the module docstring).

    Parameters:
        group_size: deployments in its model group.
        allowed_fails: the router's ``allowed_fails`` (None: not set).
        allowed_fails_policy: failure kind → allowed fails (empty: none).
        cooldown_time: the router's cooldown time, in seconds.
        own_cooldown_time: the deployment's ``cooldown_time``, in seconds (None: the router's).
        disabled: ``disable_cooldowns``.
        on_transition: called with ``(t, from_state, to_state)``.
    """

    def __init__(self, *, group_size: int, allowed_fails: int | None = None,
                 allowed_fails_policy: Mapping[str, int] | None = None,
                 cooldown_time: float = DEFAULT_COOLDOWN_TIME, own_cooldown_time: float | None = None,
                 disabled: bool = False,
                 on_transition: Callable[[float, str, str], None] | None = None) -> None:
        self.single = group_size == 1
        self.policy = dict(allowed_fails_policy or {})
        self.allowed_fails = DEFAULT_ALLOWED_FAILS if allowed_fails is None else allowed_fails
        #: the allowed-fails rule (else the failure-rate rule)
        self.counting = bool(self.policy) or self.allowed_fails != DEFAULT_ALLOWED_FAILS
        self.cooldown_time = cooldown_time or DEFAULT_COOLDOWN_TIME
        self.own_cooldown_time = own_cooldown_time
        self.disabled = disabled
        self.on_transition = on_transition
        self.until = -math.inf  #: the cooldown ends then
        self._cooling = False
        self._minute = -1
        self._successes = 0
        self._failures = 0
        self._count = 0
        self._count_expires = -math.inf
        self._spans: list[tuple[float, float]] = []  #: finished cooldowns: (start, end)
        self._started = -math.inf

    def available(self, t: float) -> bool:
        """Whether the deployment can be picked at ``t`` (records the end of a finished cooldown)."""
        if self._cooling and t >= self.until:
            self._cooling = False
            self._spans.append((self._started, self.until))
            if self.on_transition is not None:
                self.on_transition(self.until, OPEN, CLOSED)
        return not self._cooling

    def open_time(self, until: float) -> float:
        """Seconds spent cooling down up to ``until``."""
        self.available(until)
        total = sum(min(b, until) - a for a, b in self._spans if a < until)
        if self._cooling:
            total += max(min(self.until, until) - self._started, 0.0)
        return total

    def _tick(self, t: float) -> None:
        minute = math.floor(t / 60.0)
        if minute != self._minute:
            self._minute, self._successes, self._failures = minute, 0, 0

    def record_success(self, t: float) -> None:
        """A call succeeded at ``t``."""
        self._tick(t)
        self._successes += 1

    def record_failure(self, t: float, kind: str, retry_after: float = 0.0) -> bool:
        """A call failed at ``t`` with ``kind`` (and this Retry-After, for a 429); whether it cooled
        the deployment down.

        Parameters:
            t: when the failure reached the router, in seconds.
            kind: the failure kind.
            retry_after: the response's Retry-After, in seconds (0: none).

        Returns:
            True if a cooldown started (or restarted).
        """
        self._tick(t)
        self._failures += 1
        status = STATUS.get(kind, 500)
        duration = self._duration(kind, retry_after)
        if self.disabled or duration <= 1e-9 or not cooldown_required(status):
            return False
        if not self._should_cool(t, kind, status):
            return False
        if not self._cooling:
            self.available(t)
            self._cooling = True
            self._started = t
            if self.on_transition is not None:
                self.on_transition(t, CLOSED, OPEN)
        self.until = t + duration
        return True

    def _duration(self, kind: str, retry_after: float) -> float:
        if self.own_cooldown_time is not None:
            return self.own_cooldown_time
        if kind in _WITH_RESPONSE and retry_after > 0:
            return retry_after
        return self.cooldown_time

    def _should_cool(self, t: float, kind: str, status: int) -> bool:
        if self.counting:
            allowed = self.policy.get(kind) or self.allowed_fails
            count = self._count if t < self._count_expires else 0
            if count + 1 > allowed:
                return True
            self._count, self._count_expires = count + 1, t + self.cooldown_time
            return False
        total = self._successes + self._failures
        share = self._failures / total if total else 0.0
        if status == 429 and not self.single:
            return True
        if share == 1.0 and total >= SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD:
            return True
        busy = total >= FAILURE_THRESHOLD_MINIMUM_REQUESTS
        if share > FAILURE_THRESHOLD_PERCENT and busy and not self.single:
            return True
        return not retryable_status(status)
