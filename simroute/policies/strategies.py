"""How an LLM router picks a deployment of a model group: LiteLLM's routing strategies, one small
class each (read from LiteLLM 1.95.0's ``litellm/router_strategy``).

A strategy sees every call of the run — :meth:`Strategy.started` when a call to a deployment goes
out, :meth:`Strategy.ended` when its answer is in — and keeps what it needs from them; then
:meth:`Strategy.pick` chooses among a group's available deployments (``None``: none within its
limits, LiteLLM's "no deployments available"). Times are simulated seconds; a "minute" is a
calendar minute of simulated time (``floor(t / 60)``), as LiteLLM keys its counters by the
wall-clock minute.

* ``simple-shuffle`` — at random, weighted by ``weight``, else ``rpm``, else ``tpm`` (uniform
  without any);
* ``least-busy`` — the deployment with the fewest calls in flight. LiteLLM looks for the minimum
  over every deployment it has counted (in the order it first saw them), and when that one is not
  available it picks an available one at random;
* ``latency-based-routing`` — the lowest mean of each deployment's last 10 latencies (seconds per
  output token when a call has output tokens; a timeout counts as 1000; a deployment never used
  counts as 0), among those within their rpm/tpm this minute; at random among those within
  ``lowest_latency_buffer`` × the lowest. What it has seen is forgotten ``latency_ttl`` seconds
  after the last call it recorded;
* ``usage-based-routing-v2`` — the lowest tokens used this minute, among deployments whose tokens
  plus the call's stay within ``tpm`` and whose calls this minute plus one stay *below* ``rpm``;
  at random among ties;
* ``cost-based-routing`` — the lowest ``input_cost_per_token + output_cost_per_token`` (5 dollars each
  when not given, LiteLLM's default for an unknown model) among deployments within their rpm/tpm this
  minute; the first in order among ties.

Pure: no SimPy; the engine (:mod:`simroute.engine.grouprouter`) calls these methods.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

__all__ = ["Strategy", "DeploymentLimits", "SimpleShuffle", "LeastBusy", "LatencyBased", "UsageBasedV2",
           "CostBased", "STRATEGIES", "make_strategy"]

TIMEOUT_LATENCY = 1000.0  #: what LiteLLM records for a timed-out call (latency-based routing)
LATENCY_LIST = 10  #: latencies kept per deployment (LiteLLM's max_latency_list_size)
UNKNOWN_COST = 5.0  #: dollars per token LiteLLM assumes for a model without a price


@dataclass(frozen=True, slots=True)
class DeploymentLimits:
    """What a strategy knows of a deployment from the config: its limits and prices."""

    rpm: float = math.inf
    tpm: float = math.inf
    input_cost: float | None = None  #: dollars per input token (None: not given)
    output_cost: float | None = None  #: dollars per output token (None: not given)


class Strategy:
    """A routing strategy (see the module docstring).

    Parameters:
        groups: group → its deployments, in config order.
        limits: deployment → its :class:`DeploymentLimits`.
        rng: the run's stream for random picks.
    """

    name: ClassVar[str] = ""

    def __init__(self, groups: Mapping[str, Sequence[str]], limits: Mapping[str, DeploymentLimits],
                 rng: np.random.Generator) -> None:
        self.groups = groups
        self.limits = limits
        self.rng = rng
        self.group_of = {m: g for g, members in groups.items() for m in members}  #: deployment → group

    def pick(self, group: str, available: list[str], t: float, tokens: float) -> str | None:
        """One of ``available`` (the group's deployments not cooling down; never empty) for a call
        of ``tokens`` input tokens (NaN: unknown) at ``t``, or None when none is within its limits."""
        raise NotImplementedError

    def started(self, name: str, t: float) -> None:
        """A call to ``name`` went out at ``t``."""

    def ended(self, name: str, t: float, outcome: str, seconds: float, tokens: float,
              output_tokens: float) -> None:
        """A call to ``name`` answered at ``t`` with ``outcome`` after ``seconds``; ``tokens``: its
        input plus output tokens, ``output_tokens`` its output tokens (NaN: unknown)."""

    def _choice(self, items: Sequence[str]) -> str:
        return items[0] if len(items) == 1 else items[int(self.rng.integers(len(items)))]


class SimpleShuffle(Strategy):
    """At random, by each group's pick weights (``weights``: group → one per deployment, in config
    order, or None for uniform: :meth:`~simroute.policies.modelgroups.ModelGroups.weights`)."""

    name = "simple-shuffle"

    def __init__(self, groups: Mapping[str, Sequence[str]], limits: Mapping[str, DeploymentLimits],
                 rng: np.random.Generator, weights: Mapping[str, tuple[float, ...] | None] | None = None
                 ) -> None:
        super().__init__(groups, limits, rng)
        self._weights: dict[str, dict[str, float] | None] = {
            g: None if (weights is None or weights.get(g) is None)
            else dict(zip(members, weights[g], strict=True))  # type: ignore[arg-type]
            for g, members in groups.items()}

    def pick(self, group: str, available: list[str], t: float, tokens: float) -> str | None:
        if len(available) == 1:
            return available[0]
        weights = self._weights[group]
        if weights is None:
            return self._choice(available)
        w = np.array([weights[c] for c in available], float)
        if w.sum() <= 0:
            return self._choice(available)
        return available[int(np.searchsorted(np.cumsum(w), self.rng.random() * w.sum(), side="right"))]


class LeastBusy(Strategy):
    """The fewest calls in flight (see the module docstring)."""

    name = "least-busy"

    def __init__(self, groups: Mapping[str, Sequence[str]], limits: Mapping[str, DeploymentLimits],
                 rng: np.random.Generator) -> None:
        super().__init__(groups, limits, rng)
        self._in_flight: dict[str, dict[str, int]] = {g: {} for g in groups}  #: first-seen order

    def pick(self, group: str, available: list[str], t: float, tokens: float) -> str | None:
        counts = self._in_flight[group]
        for name in available:
            counts.setdefault(name, 0)
        least = min(counts, key=counts.__getitem__)  # the first of the least, in first-seen order
        return least if least in available else self._choice(available)

    def started(self, name: str, t: float) -> None:
        counts = self._in_flight[self.group_of[name]]
        counts[name] = counts.get(name, 0) + 1

    def ended(self, name: str, t: float, outcome: str, seconds: float, tokens: float,
              output_tokens: float) -> None:
        counts = self._in_flight[self.group_of[name]]
        counts[name] = counts.get(name, 0) - 1


class _PerMinute(Strategy):
    """Counts each deployment's calls and tokens per minute (on success, as LiteLLM's latency- and
    cost-based strategies do) and checks a call against the deployment's rpm and tpm."""

    def __init__(self, groups: Mapping[str, Sequence[str]], limits: Mapping[str, DeploymentLimits],
                 rng: np.random.Generator) -> None:
        super().__init__(groups, limits, rng)
        self._minute: dict[str, int] = {}
        self._rpm: dict[str, float] = {}
        self._tpm: dict[str, float] = {}

    def _usage(self, name: str, t: float) -> tuple[float, float]:
        if self._minute.get(name) != math.floor(t / 60.0):
            return 0.0, 0.0
        return self._rpm.get(name, 0.0), self._tpm.get(name, 0.0)

    def _count(self, name: str, t: float, calls: float, tokens: float) -> None:
        minute = math.floor(t / 60.0)
        if self._minute.get(name) != minute:
            self._minute[name], self._rpm[name], self._tpm[name] = minute, 0.0, 0.0
        self._rpm[name] += calls
        self._tpm[name] += tokens

    def _within(self, name: str, t: float, tokens: float) -> bool:
        rpm, tpm = self._usage(name, t)
        lim = self.limits[name]
        return not (tpm + _known(tokens) > lim.tpm or rpm + 1 > lim.rpm)

    def ended(self, name: str, t: float, outcome: str, seconds: float, tokens: float,
              output_tokens: float) -> None:
        if outcome == "success":
            self._count(name, t, 1.0, _known(tokens))


def _known(tokens: float) -> float:
    return 0.0 if tokens != tokens else tokens


class LatencyBased(_PerMinute):
    """The lowest recent latency (see the module docstring).

    Parameters:
        buffer: ``lowest_latency_buffer``: deployments within the lowest × (1 + buffer) tie.
        ttl: seconds after the last recorded call when everything recorded is forgotten.
    """

    name = "latency-based-routing"

    def __init__(self, groups: Mapping[str, Sequence[str]], limits: Mapping[str, DeploymentLimits],
                 rng: np.random.Generator, buffer: float = 0.0, ttl: float = 3600.0) -> None:
        super().__init__(groups, limits, rng)
        self.buffer = buffer
        self.ttl = ttl
        self._latencies: dict[str, dict[str, list[float]]] = {g: {} for g in groups}
        self._written: dict[str, float] = {}  #: group → when its map was last written

    def _map(self, group: str, t: float) -> dict[str, list[float]]:
        if t - self._written.get(group, -math.inf) > self.ttl:
            self._latencies[group] = {}
        return self._latencies[group]

    def pick(self, group: str, available: list[str], t: float, tokens: float) -> str | None:
        seen = self._map(group, t)
        for name in available:
            seen.setdefault(name, [0.0])
        names = list(seen)
        order = [names[i] for i in self.rng.permutation(len(names))]  # LiteLLM shuffles first
        candidates = []
        for name in order:
            if name in available and self._within(name, t, tokens):
                values = seen[name]
                candidates.append((name, sum(values) / len(values)))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[1])
        lowest = candidates[0][1]
        valid = [n for n, v in candidates if v <= lowest + self.buffer * lowest]
        return self._choice(valid)

    def ended(self, name: str, t: float, outcome: str, seconds: float, tokens: float,
              output_tokens: float) -> None:
        group = self.group_of[name]
        if outcome == "success":
            per_token = output_tokens == output_tokens and output_tokens > 0
            value = seconds / output_tokens if per_token else seconds
        elif outcome == "timeout":
            value = TIMEOUT_LATENCY
        else:
            return
        values = self._map(group, t).setdefault(name, [])
        values.append(value)
        del values[:-LATENCY_LIST]
        self._written[group] = t
        super().ended(name, t, outcome, seconds, tokens, output_tokens)


class UsageBasedV2(_PerMinute):
    """The lowest tokens used this minute, within rpm and tpm (see the module docstring)."""

    name = "usage-based-routing-v2"

    def pick(self, group: str, available: list[str], t: float, tokens: float) -> str | None:
        lowest, best = math.inf, []
        for name in available:
            rpm, tpm = self._usage(name, t)
            lim = self.limits[name]
            if tpm + _known(tokens) > lim.tpm or rpm + 1 >= lim.rpm:
                continue
            if tpm < lowest:
                lowest, best = tpm, [name]
            elif tpm == lowest:
                best.append(name)
        return self._choice(best) if best else None

    def started(self, name: str, t: float) -> None:
        self._count(name, t, 1.0, 0.0)  # v2 counts the request before the call …

    def ended(self, name: str, t: float, outcome: str, seconds: float, tokens: float,
              output_tokens: float) -> None:
        if outcome == "success":
            self._count(name, t, 0.0, _known(tokens))  # … and its tokens after a success


class CostBased(_PerMinute):
    """The lowest price per token, within rpm and tpm (see the module docstring)."""

    name = "cost-based-routing"

    def pick(self, group: str, available: list[str], t: float, tokens: float) -> str | None:
        candidates = []
        for name in available:
            lim = self.limits[name]
            if not self._within(name, t, tokens):
                continue
            cost = ((lim.input_cost if lim.input_cost else UNKNOWN_COST)
                    + (lim.output_cost if lim.output_cost else UNKNOWN_COST))
            candidates.append((cost, name))
        if not candidates:
            return None
        return min(candidates, key=lambda c: c[0])[1]  # the first of the cheapest


#: strategy name → class
STRATEGIES: dict[str, type[Strategy]] = {
    s.name: s for s in (SimpleShuffle, LeastBusy, LatencyBased, UsageBasedV2, CostBased)}


def make_strategy(name: str, groups: Mapping[str, Sequence[str]], limits: Mapping[str, DeploymentLimits],
                  rng: np.random.Generator, *, weights: Mapping[str, tuple[float, ...] | None] | None = None,
                  buffer: float = 0.0, ttl: float = 3600.0) -> Strategy:
    """The strategy called ``name`` for these groups (``weights``: simple-shuffle's; ``buffer`` and
    ``ttl``: latency-based routing's)."""
    cls = STRATEGIES[name]
    if cls is LatencyBased:
        return LatencyBased(groups, limits, rng, buffer=buffer, ttl=ttl)
    if cls is SimpleShuffle:
        return SimpleShuffle(groups, limits, rng, weights)
    return cls(groups, limits, rng)
