"""M/M/c formulas (Erlang C) for capacity planning and for checking the engine against theory."""

from __future__ import annotations

import math

__all__ = ["erlang_c", "mean_wait", "capacity_for_wait"]


def erlang_c(c: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load ``λ/μ`` (1 if unstable)."""
    if c < 1:
        raise ValueError(f"c must be >= 1, got {c}")
    if offered >= c:
        return 1.0
    term, total = 1.0, 1.0  # a^k / k!, summed for k < c
    for k in range(1, c):
        term *= offered / k
        total += term
    last = term * offered / c  # a^c / c!
    top = last * c / (c - offered)
    return top / (total + top)


def mean_wait(c: int, arrival_rate: float, service_mean: float) -> float:
    """Mean time in queue Wq of M/M/c (infinite when ρ >= 1)."""
    offered = arrival_rate * service_mean
    if offered >= c:
        return math.inf
    return erlang_c(c, offered) * service_mean / (c - offered)


def capacity_for_wait(arrival_rate: float, service_mean: float, max_wait: float, *,
                      limit: int = 10_000) -> int:
    """The smallest c whose M/M/c mean queue wait is at most ``max_wait`` (0 arrivals: 1)."""
    if arrival_rate <= 0 or service_mean <= 0:
        return 1
    c = max(1, math.floor(arrival_rate * service_mean) + 1)
    while mean_wait(c, arrival_rate, service_mean) > max_wait:
        c += 1
        if c > limit:
            raise ValueError("no capacity up to the limit meets the wait")
    return c
