"""A scenario's settings: one frozen value, every field declared once (see :mod:`simroute.common.schema`).

The YAML ``settings:`` section, the sweep parameter paths (``timeout.attempt``,
``retry_classes.timeout.max_retries`` …) and the reference table in ``docs/settings.md`` all come
from these declarations. ``describe(Settings)`` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..common.schema import check, describe, documented, setting
from ..policies.classify import Reading
from ..policies.scoring import ScoringWeights
from ..policies.strategies import STRATEGIES
from ..resilience.failure import FAILURE_KINDS
from ..resilience.retry import RETRYABLE
from ..resilience.settings import BreakerSettings, RetryPolicy

__all__ = ["Settings", "RetryBudgetSettings", "TimeoutSettings", "HedgeSettings", "BulkheadSettings",
           "SheddingSettings", "SloSettings", "WarmupSettings", "RouterSettings", "WrongPluginSettings",
           "settings_reference"]


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class RetryBudgetSettings:
    """Retries allowed: ``ratio`` × requests + ``min_retries`` in a sliding window."""

    ratio: float = setting(0.2, "retries allowed per request in the window", lo=0)
    min_retries: int = setting(10, "retries always allowed in the window", unit="retries", lo=0)
    window: float | None = setting(10.0, "sliding window (null: all time)", unit="s", lo=0, lo_open=True)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class TimeoutSettings:
    """How long a caller waits: per attempt and per request."""

    attempt: float | None = setting(None, "the caller gives up on an attempt after this long, "
                                    "queueing included (a plugin's timeout_s overrides it; null: "
                                    "never)", unit="s", lo=0, lo_open=True)
    deadline: float | None = setting(None, "a request stops trying this long after its arrival "
                                     "(status failed, reason deadline; null: never)", unit="s",
                                     lo=0, lo_open=True)
    cancel_abandoned: bool = setting(False, "a timed-out call still queued is withdrawn from the "
                                     "plugin's queue (deadline propagation); false: the plugin "
                                     "serves it anyway, as wasted work")

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class HedgeSettings:
    """Hedged requests: a second copy after ``delay``; the first success wins, the rest are cancelled."""

    delay: float | None = setting(None, "send another copy when an attempt has not answered after "
                                  "this long (null: no hedging)", unit="s", lo=0, lo_open=True)
    max_copies: int = setting(2, "copies of one attempt at most (each copy watches the others: at most "
                                 "32)", unit="calls", lo=2, hi=32)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class WrongPluginSettings:
    """Routing quality in the simulation: a task of a labelled request (a mix entry's ``accept``) on a
    plugin outside its accepted plugins — routed there, or fallen back there — fails more often and
    takes longer. Assumed values: nothing in the seed measures them; set both to their neutral value
    (0 and 1) to turn the effect off. Requests without labels (the seed's) never feel it."""

    failure_p: float = setting(0.3, "added probability that an attempt on a plugin the request does not "
                               "accept fails (on top of the plugin's own: 1 - (1 - p)(1 - this))",
                               lo=0, hi=1)
    slowdown: float = setting(1.5, "service times of such an attempt are multiplied by this",
                              unit="×", lo=1)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class BulkheadSettings:
    """At most ``max_concurrent`` calls outstanding per plugin from the orchestrator."""

    max_concurrent: int | None = setting(None, "calls in flight per plugin (queued or served) before "
                                         "new ones are refused as rejected_bulkhead (null: no limit)",
                                         unit="calls", lo=1)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class SheddingSettings:
    """Load shedding: refuse a call (``shed``) when the plugin's queue is too long."""

    max_queue: int | None = setting(None, "refuse when this many calls already wait for the plugin "
                                    "(null: no limit)", unit="calls", lo=0)
    max_wait: float | None = setting(None, "refuse when the expected queue wait (queue length / "
                                     "capacity × mean service time) exceeds this (null: no limit)",
                                     unit="s", lo=0, lo_open=True)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class RouterSettings:
    """LiteLLM-style routing of requests to model groups (scenarios with ``model_groups``, such as
    those ``simroute import litellm`` writes): retries, fallbacks and deployment cooldowns with
    the LiteLLM Router's semantics and defaults (see ``docs/litellm.md``)."""

    num_retries: int = setting(2, "retries of a model group after its first attempt (LiteLLM's "
                               "num_retries; its default is the OpenAI SDK's 2)", unit="retries", lo=0)
    retry_after: float = setting(0.0, "least wait before a retry when the router backs off (LiteLLM's "
                                 "retry_after)", unit="s", lo=0)
    retry_policy: Mapping[str, int] = setting(
        doc="retries per failure kind of the group's first failure, instead of num_retries "
            "(LiteLLM's retry_policy: timeout, rate_limited, content_policy, non_retryable and "
            "context_window ← its Timeout, RateLimit, ContentPolicyViolation and BadRequest counts)",
        choices=FAILURE_KINDS, lo=0, factory=lambda: MappingProxyType({}))
    max_fallbacks: int = setting(5, "fallback hops at most (LiteLLM's max_fallbacks; at most 100: a "
                                 "chain is followed hop by hop)", unit="hops", lo=0, hi=100)
    allowed_fails: int | None = setting(None, "failures a deployment may have before it cools down "
                                        "(null: not set, LiteLLM's failure-rate rule)", unit="calls",
                                        lo=0)
    allowed_fails_policy: Mapping[str, int] = setting(
        doc="allowed fails per failure kind (LiteLLM's allowed_fails_policy)", choices=FAILURE_KINDS,
        lo=0, factory=lambda: MappingProxyType({}))
    cooldown_time: float = setting(5.0, "how long a deployment cools down (LiteLLM's cooldown_time)",
                                   unit="s", lo=0)
    disable_cooldowns: bool = setting(False, "no deployment ever cools down")
    initial_retry_delay: float = setting(0.5, "the first step of the router's exponential backoff "
                                         "(LiteLLM's INITIAL_RETRY_DELAY)", unit="s", lo=0)
    max_retry_delay: float = setting(8.0, "the longest backoff step (LiteLLM's MAX_RETRY_DELAY)",
                                     unit="s", lo=0)
    jitter: float = setting(0.75, "each backoff, and each wait for a Retry-After, gets a random extra "
                            "wait uniform in [0, this) (LiteLLM's JITTER)", unit="s", lo=0)
    client_overhead: float = setting(0.0, "seconds the gateway adds before every attempt it sends "
                                     "(its own processing, the client's connection)", unit="s", lo=0)
    routing_strategy: str = setting("simple-shuffle", "how a deployment of a group is picked (LiteLLM's "
                                    "routing_strategy; see simroute.policies.strategies)",
                                    choices=tuple(STRATEGIES))
    lowest_latency_buffer: float = setting(0.0, "latency-based routing: deployments within the lowest "
                                           "mean latency × (1 + this) are picked at random", lo=0)
    latency_ttl: float = setting(3600.0, "latency-based routing: what it recorded is forgotten this long "
                                 "after its last record (LiteLLM's routing_strategy_args.ttl)", unit="s",
                                 lo=0, lo_open=True)

    def __post_init__(self) -> None:
        check(self)
        object.__setattr__(self, "retry_policy", MappingProxyType(dict(self.retry_policy)))
        object.__setattr__(self, "allowed_fails_policy", MappingProxyType(dict(self.allowed_fails_policy)))


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class SloSettings:
    """The service-level objective that summaries and reports judge latency against."""

    latency: float = setting(3600.0, "latency target: slo_attainment counts the requests that "
                             "succeed within it; the report's p95 SLO unless --slo-p95 says otherwise",
                             unit="s", lo=0, lo_open=True)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class WarmupSettings:
    """The start of a run that summaries leave out (the empty system is not steady state): the
    warm-up ends at ``seconds`` or at the arrival of request number ``requests``, whichever is later."""

    seconds: float = setting(0.0, "leave out the requests arriving before this time", unit="s", lo=0)
    requests: int = setting(0, "leave out the first this-many requests", unit="requests", lo=0)

    def __post_init__(self) -> None:
        check(self)


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Every setting of a scenario (the YAML ``settings:`` section)."""

    breaker: BreakerSettings = setting(doc="", factory=BreakerSettings)
    retry: RetryPolicy = setting(doc="", factory=RetryPolicy)
    retry_classes: Mapping[str, RetryPolicy] = setting(
        doc="a retry policy per outcome kind (error, timeout, rate_limited, shed) overriding `retry` "
            "for that kind", choices=RETRYABLE, factory=lambda: MappingProxyType({}))
    retry_budget: RetryBudgetSettings | None = setting(None, "null: no retry budget")
    timeout: TimeoutSettings = setting(doc="", factory=TimeoutSettings)
    hedge: HedgeSettings = setting(doc="", factory=HedgeSettings)
    bulkhead: BulkheadSettings = setting(doc="", factory=BulkheadSettings)
    shedding: SheddingSettings = setting(doc="", factory=SheddingSettings)
    weights: ScoringWeights = setting(doc="", factory=ScoringWeights)
    reading: Reading = setting(doc="", factory=Reading)
    wrong_plugin: WrongPluginSettings = setting(doc="", factory=WrongPluginSettings)
    router: RouterSettings = setting(doc="", factory=RouterSettings)
    slo: SloSettings = setting(doc="", factory=SloSettings)
    warmup: WarmupSettings = setting(doc="", factory=WarmupSettings)
    bus_latency: float = setting(0.0, "message delivery latency", unit="s", lo=0)
    record_messages: bool = setting(False, "keep every bus message in results.messages")
    service: str = setting("plugin", "plugin: sample the plugin's service model; plan: the plan's "
                           "phase durations", choices=("plugin", "plan"))
    on_over_budget: str = setting("reject", "a plan over budget that cannot be optimized under it: "
                                  "reject or flag", choices=("reject", "flag"))
    max_fallbacks: int = setting(2, "fallbacks listed by a routing decision", unit="plugins", lo=0)
    share_state: bool = setting(False, "a successful phase registers its result in the state store")
    builtin_fallback: bool = setting(True, "the orchestrator's built-in path ends every fallback "
                                     "chain (false: a phase fails when its plugin and its catalog "
                                     "fallbacks have failed)")
    route_around_open: bool = setting(True, "routing leaves out plugins whose breaker is open (else "
                                      "the breaker fails the call fast and the phase falls back)")
    max_attempts: int = setting(10_000, "attempts (and fallback hops) one request may make at most: "
                                "past it the request fails with reason attempt_limit (bounds zero-wait "
                                "retries and deep fallback chains)", unit="attempts", lo=1)
    guard_order: tuple[str, ...] = setting((), "the order an attempt meets each plugin's guards in "
                                           "(deadline, breaker, bulkhead, rate_limit, shedding; empty: "
                                           "that order); guards not listed follow, in that order; a "
                                           "plugin's own guard_order (catalog or override) wins")

    def __post_init__(self) -> None:
        check(self)
        object.__setattr__(self, "retry_classes", MappingProxyType(dict(self.retry_classes)))

    def retry_for(self, kind: str) -> RetryPolicy | None:
        """The retry policy for an attempt that ended ``kind``, or None when it is not retried."""
        policy = self.retry_classes.get(kind)
        if policy is not None:
            return policy
        return self.retry if kind in self.retry.retry_on else None


def settings_reference() -> str:
    """The settings reference as a Markdown table (``docs/settings.md``)."""
    lines = ["| setting | type | default | unit | meaning |", "|---|---|---|---|---|"]
    for row in describe(Settings):
        lines.append(f"| `{row['path']}` | {row['type']} | {row['default']} | {row['unit']} | {row['doc']} |")
    return "\n".join(lines) + "\n"
