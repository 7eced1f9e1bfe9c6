"""Workloads: synthetic arrivals with a request mix, and trace replay.

A workload becomes a :class:`Requests` table (arrival time, request-mix entry, budget, tokens).

* ``poisson`` — rate ``rate`` per second;
* ``onoff`` — bursty: Poisson at ``rate`` during exponential "on" periods (mean ``mean_on`` s)
  separated by silent "off" periods (mean ``mean_off`` s), a two-state MMPP;
* ``diurnal`` — rate ``rate × (1 + amplitude × sin(2πt / period))`` by thinning;
* ``surges`` (with ``poisson``) — load spikes: inside each :class:`Surge` window the rate is
  multiplied by its ``factor``, overlapping surges multiplying (by thinning from the true peak);
* ``constant`` — one arrival every ``1 / rate`` seconds (the first at ``1 / rate``), as a
  constant-rate load generator sends them;
* ``closed`` — a closed loop: ``users`` users (joining evenly over ``ramp`` seconds), each
  sending a request, waiting for it to end, thinking for a ``think`` time and sending the next, as
  load-test tools do; the engine's users
  send them (:mod:`simroute.engine.users`), so a closed loop cannot pile up a retry storm the way
  an open one does;
* ``schedule`` — arrivals at the listed ``times`` (seconds, non-decreasing): a documented sequence
  of requests, such as the seed's breaker timeline;
* ``trace`` — a CSV: the project's format (``time,text,budget,context_tokens,generated_tokens``;
  time in seconds, only ``time`` required) or the Azure LLM inference format
  (``TIMESTAMP,ContextTokens,GeneratedTokens``); times are shifted to start at 0 and multiplied by
  ``time_scale``. A request without text draws its class from the mix.

Any open kind takes a rate ``profile`` (:mod:`simroute.io.profiles`): steps, ramps, spikes and
diurnal cycles whose factors multiply the rate over time, applied by thinning or by warping time
(``profile_by``).

Every generator takes the run's :class:`numpy.random.Generator`; a bad trace row raises an
:class:`~simroute.common.errors.InputError` naming the file, the line and the field.

Each kind is one small class (:class:`WorkloadKind`): its checks, its arrival times over a horizon,
how many it expects, how it scales with a load factor and how it describes itself. Adding a kind
is a class and one registration line. For example, arrivals every ``1 / rate`` seconds, each
shifted by a uniform jitter of up to half a gap (a load generator with a loose clock)::

    class Jittered(WorkloadKind):
        name = "jittered"

        def times(self, w, rng, limit, horizon, size):
            end = math.inf if horizon is None else horizon

            def arrivals():
                k = 0
                while True:
                    k += 1
                    t = (k + rng.uniform(-0.5, 0.5)) / w.rate
                    if t > end:
                        return
                    yield t

            return _blocked(arrivals(), limit, size)

    register(Jittered())
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..common.distributions import ServiceTime
from ..common.errors import InputError
from ..common.schema import check, setting, window
from ..policies.plan import Plan
from .profiles import RateProfile, Shape, Spike, kept
from .tracefile import TRACE_FORMATS, _trace_table, read_trace, trace_format_of

__all__ = ["MixEntry", "Surge", "Workload", "Requests", "read_trace", "trace_format_of", "KINDS",
           "WorkloadKind", "register", "TRACE_FORMATS"]

BLOCK = 65_536  #: arrivals generated at a time
PROFILE_WAYS = ("thin", "warp")  #: how a rate profile applies (simroute.io.profiles)


@dataclass(frozen=True, kw_only=True, slots=True)
class MixEntry:
    """One kind of request in a workload's mix.

    Parameters:
        text: the request's text (classified and routed).
        weight: its share of arrivals, relative to the other entries.
        budget: dollars per request (None: no budget).
        saga: run as this saga instead of a routed plan.
        plan: run this documented plan instead of the router's (still routed).
        group: send it to this model group of the scenario's ``model_groups`` instead (an LLM
            router's request; see :mod:`simroute.policies.modelgroups`).
        stream: a streaming request (a deployment's ``stream_timeout_s`` applies).
        context_tokens: its input tokens when the workload gives none (a trace's rows carry theirs).
        generated_tokens: its output tokens when the workload gives none.
        accept: the plugins an engineer would accept for it (empty: not labelled); a task on another
            plugin succeeds less often and takes longer (``settings.wrong_plugin``).
    """
    text: str = setting(doc="the request's text (classified and routed)")
    weight: float = setting(1.0, "its share of arrivals, relative to the other entries", lo=0, lo_open=True)
    budget: float | None = setting(None, "dollars per request (null: no budget)", unit="$", lo=0)
    saga: str | None = setting(None, "run as this saga instead of a routed plan")
    plan: Plan | None = setting(None, "run this documented plan instead of the router's (still routed)")
    group: str | None = setting(None, "a model group of the scenario's model_groups (an LLM router's "
                                      "request)")
    stream: bool = setting(False, "a streaming request (a deployment's stream_timeout_s applies)")
    context_tokens: float | None = setting(None, "its input tokens when the workload gives none",
                                           unit="tokens", lo=0)
    generated_tokens: float | None = setting(None, "its output tokens when the workload gives none",
                                             unit="tokens", lo=0)
    accept: tuple[str, ...] = setting((), "the plugins an engineer would accept for this request (empty: "
                                      "not labelled); a task on another plugin succeeds less often and "
                                      "takes longer, as settings.wrong_plugin says")

    def __post_init__(self) -> None:
        check(self)  # types, finiteness and ranges, as declared


@dataclass(frozen=True, kw_only=True, slots=True)
class Surge:
    """A load spike: from ``start`` to ``end`` (seconds) the arrival rate is × ``factor``.

    Parameters:
        start: when the spike begins, in seconds.
        end: when it ends, in seconds.
        factor: the arrival rate's multiplier inside the window.
    """

    start: float = setting(doc="when the spike begins", unit="s", lo=0)
    end: float = setting(doc="when it ends", unit="s", lo=0)
    factor: float = setting(doc="the arrival rate's multiplier inside the window", lo=0, lo_open=True)

    def __post_init__(self) -> None:
        check(self)  # types, finiteness and ranges, as declared
        window(self.start, self.end)


@dataclass(frozen=True, kw_only=True, slots=True)
class Workload:
    """Arrivals and their request mix: synthetic, a trace replay or a documented schedule.

    Parameters:
        kind: ``poisson``, ``onoff``, ``diurnal``, ``trace`` or ``schedule`` (see the module docstring).
        rate: requests per second (the mean rate while "on").
        requests: how many arrivals (None, the default: until the horizon; a trace or a schedule
            runs every row). A scenario file's synthetic workload without ``requests`` has 1,000.
        mix: the kinds of request and their shares.
        mean_on: ``onoff``: mean burst length, in seconds.
        mean_off: ``onoff``: mean silence, in seconds.
        amplitude: ``diurnal``: relative swing of the rate (0–1).
        period: ``diurnal``: seconds per cycle.
        trace: ``trace``: the CSV file.
        trace_format: ``trace``: ``simroute`` or ``azure``.
        time_scale: ``trace``: multiplies the trace's times.
        times: ``schedule``: arrival times, in seconds.
        surges: load spikes (``poisson``).
        users: ``closed``: how many users send requests, one at a time each.
        think: ``closed``: a user's think time between the end of its request and its next.
        ramp: ``closed``: seconds over which the users join, evenly (0: all at once).
        profile: the rate's shape over time (:mod:`simroute.io.profiles`): shapes whose factors
            multiply the rate.
        profile_by: how the profile applies: ``thin`` or ``warp`` (None: the kind's own way).
    """
    kind: str = setting("poisson", "how requests arrive: a name in KINDS")
    rate: float = setting(1.0, "requests per second (the mean rate while on)", unit="1/s", lo=0, lo_open=True)
    requests: int | None = setting(None, "how many arrivals (null: until the horizon, or every row)",
                                   unit="requests", lo=0)
    mix: tuple[MixEntry, ...] = setting((), "the kinds of request and their shares")
    mean_on: float = setting(30.0, "onoff: mean burst length", unit="s", lo=0, lo_open=True)
    mean_off: float = setting(60.0, "onoff: mean silence", unit="s", lo=0)
    amplitude: float = setting(0.5, "diurnal: relative swing of the rate", lo=0, hi=1)
    period: float = setting(86400.0, "diurnal: seconds per cycle", unit="s", lo=0, lo_open=True)
    trace: str | None = setting(None, "trace: the CSV file")
    trace_format: str = setting("simroute", "trace: its format", choices=TRACE_FORMATS)
    time_scale: float = setting(1.0, "trace: multiplies the trace's times", lo=0, lo_open=True)
    times: tuple[float, ...] = setting((), "schedule: arrival times", unit="s", lo=0)
    surges: tuple[Surge, ...] = setting((), "load spikes (poisson)")
    users: int | None = setting(None, "closed: how many users, each sending its next request when its "
                                "last has ended and it has thought", unit="users", lo=1)
    think: ServiceTime | None = setting(None, "closed: a user's think time between the end of a "
                                        "request and its next (a distribution)", unit="s")
    ramp: float = setting(0.0, "closed: seconds over which the users join, evenly (0: all at once)",
                          unit="s", lo=0)
    profile: tuple[Shape, ...] = setting((), "the rate's shape over time: steps, ramps, spikes, diurnal "
                                         "cycles, whose factors multiply the rate (simroute.io.profiles)")
    profile_by: str | None = setting(None, "how the profile applies: thin (keep arrivals by the factor) or "
                                     "warp (stretch time); null: the kind's own way",
                                     choices=PROFILE_WAYS)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"must be one of {', '.join(KINDS)}, got {self.kind!r}", field="kind")
        check(self)  # types, finiteness, ranges and choices, as declared (each mix entry checked itself)
        if not self.mix:
            raise InputError("needs at least one request", field="mix")
        kind = KINDS[self.kind]
        kind.check(self)
        if self.surges and not kind.surges:
            raise InputError("surges apply to poisson arrivals", field="surges")
        if self.profile:
            if kind.closed:
                raise InputError("a closed loop's users set its pace: a rate profile applies to open "
                                 "arrivals", field="profile")
            profile = self.rate_profile  # checks that the rate is not 0 everywhere
            if (self.profile_way == "thin" and kind.runs_every_row and profile is not None
                    and profile.peak() > 1):
                raise InputError(f"thinning keeps at most every row of a {self.kind}: its factors must be "
                                 f"at most 1 (the peak is {profile.peak():g}); use profile_by: warp",
                                 field="profile_by")
            if (profile is not None and profile.final() <= 0 and not kind.runs_every_row
                    and self.requests is not None):
                raise InputError("the profile's rate ends at 0, so the requests may never all arrive: "
                                 "give a horizon and requests: null", field="requests")

    @property
    def rate_profile(self) -> RateProfile | None:
        """The profile's shapes with the surges as spikes (None: no profile). A new object each
        time, on purpose: its integral's grid grows with the times asked for, so a profile shared
        between runs would make one run's arrival times depend on what an earlier one asked."""
        if not self.profile:
            return None
        spikes = tuple(Spike(start=s.start, end=s.end, factor=s.factor) for s in self.surges)
        return RateProfile(self.profile + spikes)

    @property
    def profile_way(self) -> str:
        """How the profile applies: ``profile_by``, else the kind's own way."""
        return self.profile_by or KINDS[self.kind].profile_by

    def expected_requests(self, horizon: float | None = None) -> float:
        """How many requests :meth:`generate` will make, about (before making them).

        Parameters:
            horizon: the scenario's horizon, in seconds (None: none).

        Returns:
            The expected count (``inf`` when nothing bounds it).
        """
        if self.requests is not None and not KINDS[self.kind].runs_every_row:
            return float(self.requests)
        profile = self.rate_profile
        if profile is not None and horizon is not None and not KINDS[self.kind].runs_every_row:
            # the kind's arrivals over the profile's integral: exact when warped, the mean when thinned
            return KINDS[self.kind].expected(replace(self, profile=()), float(profile.cumulative(horizon)))
        return KINDS[self.kind].expected(self, horizon)

    def at_load(self, factor: float) -> Workload:
        """This workload at ``factor`` × its load over the same horizon (its kind says how: a
        synthetic rate multiplied with its request count, so the run spans the same time and a
        fault window stays where it was; a trace's or a schedule's times divided).

        Parameters:
            factor: the load multiplier (> 0).

        Returns:
            The scaled workload.
        """
        return KINDS[self.kind].scaled(self, factor)

    def describe(self) -> str:
        """One line saying what arrives (for pages and tables)."""
        profile = self.rate_profile
        line = KINDS[self.kind].describe(self)
        return line if profile is None else f"{line}, profile {profile.describe()} ({self.profile_way})"

    def span(self, horizon: float | None = None) -> float:
        """Seconds from the first arrival to the last, about, before drawing them (``inf``: nothing
        bounds them)."""
        kind = KINDS[self.kind]
        profile = self.rate_profile
        if profile is None or (kind.runs_every_row and self.profile_way == "thin"):
            return kind.span(self, horizon)
        plain = replace(self, profile=(), surges=())
        base = kind.span(plain, None if horizon is None else float(profile.cumulative(horizon)))
        return base if math.isinf(base) else float(profile.inverse(base))

    def generate(self, rng: np.random.Generator, horizon: float | None = None) -> Requests:
        """Every request of the workload, as one table (the blocks of :meth:`blocks`, joined).

        Parameters:
            rng: the run's workload stream.
            horizon: the scenario's horizon, in seconds (None: none).

        Returns:
            The arrivals, in time order.
        """
        return Requests.concat(list(self.blocks(rng, horizon)))

    def blocks(self, rng: np.random.Generator, horizon: float | None = None,
               size: int = BLOCK) -> Iterator[Requests]:
        """The workload's requests, ``size`` at a time, in time order: a run holds one block of
        arrivals at a time, whatever its length. Each block's times are drawn, then its mix.

        Parameters:
            rng: the run's workload stream.
            horizon: the scenario's horizon, in seconds (None: none).
            size: arrivals per block.

        Yields:
            :class:`Requests` blocks (the last may be shorter; none when nothing arrives).

        Raises:
            InputError: nothing bounds a synthetic workload (no ``requests``, no horizon).
        """
        kind = KINDS[self.kind]
        if self.requests is None and horizon is None and not kind.runs_every_row:
            raise InputError("give 'requests' or a horizon", field="requests")
        if self.profile and not kind.runs_every_row:
            yield from self._requests(rng, kind.profiled_times(self, rng, horizon, size))
            return
        yield from kind.blocks(self, rng, horizon, size)

    def _requests(self, rng: np.random.Generator, parts: Iterator[np.ndarray]) -> Iterator[Requests]:
        """Blocks of arrival times, each with its requests drawn from the mix."""
        for times in parts:
            mix_idx = self._draw_mix(rng, len(times))
            nan = np.full(len(times), np.nan)
            yield Requests(times, mix_idx, np.full(len(times), "", dtype=object), self._mix_budget(mix_idx),
                           nan, nan.copy())

    def _mix_budget(self, idx: np.ndarray) -> np.ndarray:
        budgets = np.array([np.nan if m.budget is None else m.budget for m in self.mix])
        return np.where(idx >= 0, budgets[np.maximum(idx, 0)], np.nan)

    def _draw_mix(self, rng: np.random.Generator, n: int) -> np.ndarray:
        w = np.array([m.weight for m in self.mix], float)
        if len(w) == 1:
            return np.zeros(n, int)
        return rng.choice(len(w), size=n, p=w / w.sum())


# ---------------------------------------------------------------------- workload kinds
class WorkloadKind:
    """What a workload of this kind does (see the module docstring): one small class per kind,
    one instance registered in :data:`KINDS`.

    Attributes:
        name: the ``kind`` a scenario names.
        runs_every_row: its arrivals are a list (a trace's rows, a schedule's times): without
            ``requests``, every one runs, and no horizon is needed.
        surges: it takes ``surges`` (load spikes).
    """

    name: ClassVar[str] = ""
    runs_every_row: ClassVar[bool] = False
    surges: ClassVar[bool] = False
    #: how a rate profile applies to it unless the workload says (``thin`` or ``warp``)
    profile_by: ClassVar[str] = "thin"
    #: its arrivals depend on the run (a closed loop: the engine's users send them), so it has no
    #: times or blocks of its own
    closed: ClassVar[bool] = False

    def check(self, w: Workload) -> None:
        """Refuse fields this kind cannot run with (an :class:`InputError` naming the field)."""

    def expected(self, w: Workload, horizon: float | None) -> float:
        """How many arrivals over ``horizon`` seconds, about (``inf`` when nothing bounds them);
        called when ``requests`` does not bound a synthetic workload."""
        return math.inf if horizon is None else w.rate * horizon

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        """Arrival times in seconds, in order, ``size`` at a time: at most ``limit`` (None: no
        limit), none after ``horizon`` (None: none)."""
        raise NotImplementedError

    def span(self, w: Workload, horizon: float | None) -> float:
        """Seconds from the first arrival to the last, about (before drawing them): the expected
        count over the mean rate (``inf``: nothing bounds it)."""
        n = w.expected_requests(horizon)
        return n / w.rate if horizon is None else min(horizon, n / w.rate)

    def blocks(self, w: Workload, rng: np.random.Generator, horizon: float | None,
               size: int) -> Iterator[Requests]:
        """The workload's requests, ``size`` at a time: each block's times, then its mix."""
        yield from w._requests(rng, self.times(w, rng, w.requests, horizon, size))

    def profiled_times(self, w: Workload, rng: np.random.Generator, horizon: float | None,
                       size: int) -> Iterator[np.ndarray]:
        """Arrival times under ``w``'s rate profile (its surges among its spikes), at most
        ``w.requests``: the kind's own arrivals thinned from the profile's peak, or warped."""
        profile = w.rate_profile
        assert profile is not None
        plain = replace(w, profile=(), surges=())
        if w.profile_way == "warp":
            end = None if horizon is None else float(profile.cumulative(horizon))
            for block in self.times(plain, rng, w.requests, end, size):
                yield profile.inverse(block)
            return
        peak = profile.peak()
        left = math.inf if w.requests is None else w.requests
        for block in self.times(replace(plain, rate=w.rate * peak), rng, None, horizon, size):
            if left <= 0:
                return
            arrivals = block[kept(block, profile, peak, rng)][:int(min(left, size))]
            left -= len(arrivals)
            if len(arrivals):
                yield arrivals

    def scaled(self, w: Workload, factor: float) -> Workload:
        """``w`` at ``factor`` × its load over the same horizon (default: the rate multiplied, and a
        request count with it, so the arrivals span the same time and faults keep their place)."""
        requests = None if w.requests is None else max(1, round(w.requests * factor))
        return replace(w, rate=w.rate * factor, requests=requests)

    def describe(self, w: Workload) -> str:
        """One line saying what arrives."""
        return f"{w.kind}, rate {w.rate:g}/s, {w.requests} requests"


def _profiled_rows(w: Workload, times: np.ndarray, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """A list's arrival times (a trace's, a schedule's) under ``w``'s rate profile: warped (every row
    kept), or thinned — each row kept with probability factor(t), its index returned."""
    profile = w.rate_profile
    if profile is None:
        return times, None
    if w.profile_way == "warp":
        return profile.inverse(times), None
    rows = np.flatnonzero(kept(times, profile, 1.0, rng))
    return times[rows], rows


def _blocked(arrivals: Iterator[float], limit: int | None, size: int) -> Iterator[np.ndarray]:
    """Arrival times drawn one at a time, ``size`` per block, at most ``limit``."""
    cap = math.inf if limit is None else limit
    out: list[float] = []
    count = 0
    for t in arrivals:
        if count >= cap:
            break
        out.append(t)
        count += 1
        if len(out) == size:
            yield np.asarray(out, float)
            out = []
    if out:
        yield np.asarray(out, float)


class Poisson(WorkloadKind):
    """Poisson arrivals at ``rate`` per second; ``surges`` multiply the rate inside their windows."""

    name = "poisson"
    surges = True

    def expected(self, w: Workload, horizon: float | None) -> float:
        if horizon is None:
            return math.inf
        return w.rate * sum((b - a) * f for a, b, f in surge_profile(w.surges, horizon))

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        if w.surges:
            return _blocked(self._surged(w, rng, math.inf if horizon is None else horizon), limit, size)
        return self._poisson(w, rng, limit, horizon, size)

    @staticmethod
    def _poisson(w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
                 size: int) -> Iterator[np.ndarray]:
        """Poisson arrivals drawn in vectorised blocks: the same times as adding one exponential
        gap after another."""
        t = 0.0
        end = math.inf if horizon is None else horizon
        left = math.inf if limit is None else limit
        while left > 0:
            k = int(min(size, left))
            times = np.cumsum(np.concatenate(([t], rng.exponential(1 / w.rate, k))))[1:]
            stop = int(np.searchsorted(times, end, side="right"))
            if stop:
                yield times[:stop]
            if stop < k:
                return
            t = float(times[-1])
            left -= k

    @staticmethod
    def _surged(w: Workload, rng: np.random.Generator, end: float) -> Iterator[float]:
        """Poisson arrivals whose rate is × each surge's factor inside its window (overlapping surges
        multiply): a Poisson process at the peak rate, thinned to ``rate × factor(t)``. The peak is
        the largest product of overlapping factors (at least 1), so thinning never clips."""
        peak = max(f for _, _, f in surge_profile(w.surges, math.inf))
        t = 0.0
        while True:
            t += rng.exponential(1 / (w.rate * peak))
            if t > end:
                return
            factor = 1.0
            for s in w.surges:
                if s.start <= t < s.end:
                    factor *= s.factor
            if rng.random() * peak <= factor:
                yield t


def surge_profile(surges: tuple[Surge, ...], end: float) -> list[tuple[float, float, float]]:
    """The rate multiplier over ``[0, end)`` as pieces ``(start, end, factor)``: the product of the
    factors of the surges that cover each piece (1 where none does)."""
    cuts = sorted({0.0, *(s.start for s in surges if s.start < end), *(s.end for s in surges if s.end < end)})
    pieces = []
    for a, b in zip(cuts, [*cuts[1:], end], strict=True):
        if b <= a:
            continue
        factor = 1.0
        for s in surges:
            if s.start <= a and b <= s.end:
                factor *= s.factor
        pieces.append((a, b, factor))
    return pieces


class OnOff(WorkloadKind):
    """Bursts: Poisson at ``rate`` during exponential on periods (mean ``mean_on`` s), nothing
    during the off periods (mean ``mean_off`` s): a two-state MMPP."""

    name = "onoff"

    def expected(self, w: Workload, horizon: float | None) -> float:
        share = w.mean_on / (w.mean_on + w.mean_off)  # of the time, on
        return math.inf if horizon is None else w.rate * horizon * share

    def span(self, w: Workload, horizon: float | None) -> float:
        n = w.expected_requests(horizon)
        mean_rate = w.rate * w.mean_on / (w.mean_on + w.mean_off)
        return n / mean_rate if horizon is None else min(horizon, n / mean_rate)

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        return _blocked(self._arrivals(w, rng, math.inf if horizon is None else horizon), limit, size)

    @staticmethod
    def _arrivals(w: Workload, rng: np.random.Generator, end: float) -> Iterator[float]:
        """Poisson at ``rate`` during exponential on periods, nothing during the off periods."""
        t = 0.0
        on_until = rng.exponential(w.mean_on)
        while True:
            t += rng.exponential(1 / w.rate)
            while t > on_until:  # skip the off period, start a new burst
                off = rng.exponential(w.mean_off) if w.mean_off > 0 else 0.0
                t = on_until + off + (t - on_until)
                on_until = on_until + off + rng.exponential(w.mean_on)
            if t > end:
                return
            yield t


class Diurnal(WorkloadKind):
    """A sinusoidal rate ``rate × (1 + amplitude × sin(2πt / period))``, by thinning."""

    name = "diurnal"

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        return _blocked(self._arrivals(w, rng, math.inf if horizon is None else horizon), limit, size)

    @staticmethod
    def _arrivals(w: Workload, rng: np.random.Generator, end: float) -> Iterator[float]:
        """A sinusoidal rate, by thinning a Poisson process at the peak rate."""
        peak = w.rate * (1 + w.amplitude)
        t = 0.0
        while True:
            t += rng.exponential(1 / peak)
            if t > end:
                return
            rate = w.rate * (1 + w.amplitude * math.sin(2 * math.pi * t / w.period))
            if rng.random() * peak <= rate:
                yield t


class Constant(WorkloadKind):
    """One arrival every ``1 / rate`` seconds, the first at ``1 / rate``: a constant-rate load
    generator. A rate profile warps its time, so the arrivals stay evenly spaced in the profile's
    terms."""

    name = "constant"
    profile_by = "warp"

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        last = math.inf if limit is None else limit
        if horizon is not None:
            last = min(last, math.floor(horizon * w.rate * (1 + 1e-12)))
        k = 1
        while k <= last:
            stop = int(min(k + size, last + 1))
            yield np.arange(k, stop, dtype=float) / w.rate
            k = stop


class Schedule(WorkloadKind):
    """Arrivals at the listed ``times`` (seconds, non-decreasing): a documented sequence."""

    name = "schedule"
    runs_every_row = True
    profile_by = "warp"

    def check(self, w: Workload) -> None:
        if not w.times:
            raise InputError("a schedule workload needs 'times' (seconds)", field="times")
        if any(t < 0 for t in w.times) or bool(np.any(np.diff(w.times) < 0)):
            raise InputError("times must be >= 0 and non-decreasing", field="times")

    def expected(self, w: Workload, horizon: float | None) -> float:
        n = float(len(w.times))
        return min(n, w.requests) if w.requests is not None else n

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        times, _ = _profiled_rows(w, np.array(w.times, float), rng)
        times = times[times <= horizon] if horizon is not None else times
        times = times[:limit] if limit is not None else times
        return (times[i:i + size] for i in range(0, len(times), size))

    def scaled(self, w: Workload, factor: float) -> Workload:
        return replace(w, times=tuple(t / factor for t in w.times))

    def span(self, w: Workload, horizon: float | None) -> float:
        return max(w.times) if horizon is None else min(horizon, max(w.times))


class Trace(WorkloadKind):
    """A trace's rows: times shifted to start at 0 and × ``time_scale``; a row without text draws
    its request from the mix."""

    name = "trace"
    runs_every_row = True
    profile_by = "warp"

    def check(self, w: Workload) -> None:
        if not w.trace:
            raise InputError("a trace workload needs 'trace' (a CSV path)", field="trace")
        if not Path(w.trace).is_file():
            raise InputError(f"no such file: {w.trace}", field="trace")

    def expected(self, w: Workload, horizon: float | None) -> float:
        n = float(len(_trace_table(w.trace, w.trace_format)["time"]))  # type: ignore[arg-type]
        return min(n, w.requests) if w.requests is not None else n

    def blocks(self, w: Workload, rng: np.random.Generator, horizon: float | None,
               size: int) -> Iterator[Requests]:
        table = _trace_table(w.trace, w.trace_format)  # type: ignore[arg-type]
        times = (table["time"] - table["time"][0]) * w.time_scale  # read_trace: >= 1 row
        times, rows = _profiled_rows(w, times, rng)
        if rows is not None:  # thinned: the rows kept
            table = {k: v[rows] for k, v in table.items()}
        n = len(times) if w.requests is None else min(len(times), w.requests)
        if horizon is not None:
            n = min(n, int(np.searchsorted(times, horizon, side="right")))
        for i in range(0, n, size):
            part = slice(i, min(i + size, n))
            mix_idx = w._draw_mix(rng, part.stop - part.start)
            texts = table["text"][part]
            mix_idx[texts != ""] = -1  # a trace row naming its request overrides the mix
            _group_rows(w, table["group"][part], mix_idx, first_row=i)
            raw = table["budget"][part]
            budget = np.where(np.isnan(raw), w._mix_budget(mix_idx), raw)
            yield Requests(times[part], mix_idx, texts, budget, table["context_tokens"][part],
                           table["generated_tokens"][part])

    def scaled(self, w: Workload, factor: float) -> Workload:
        return replace(w, time_scale=w.time_scale / factor)

    def span(self, w: Workload, horizon: float | None) -> float:
        times = _trace_table(w.trace, w.trace_format)["time"]  # type: ignore[arg-type]
        n = len(times) if w.requests is None else min(len(times), w.requests)
        last = float(times[n - 1] - times[0]) * w.time_scale if n else 0.0
        return last if horizon is None else min(horizon, last)

    def describe(self, w: Workload) -> str:
        return f"trace {Path(w.trace or '').name} ({w.trace_format}), time scale {w.time_scale:g}"


def _group_rows(w: Workload, groups: np.ndarray, mix_idx: np.ndarray, *, first_row: int) -> None:
    """A trace row naming a model group goes to the mix entry of that group (the first naming it)."""
    named = groups != ""
    if not named.any():
        return
    entry = {m.group: k for k, m in reversed(list(enumerate(w.mix))) if m.group}
    for group in dict.fromkeys(groups[named]):
        if group not in entry:
            row = first_row + int(np.argmax(groups == group))
            raise InputError(f"group {group!r} (first on data row {row + 1}) is not a model group of the "
                             f"workload's mix (groups: {', '.join(entry) or 'none'})",
                             file=str(w.trace), field="group")
        mix_idx[groups == group] = entry[group]


class Closed(WorkloadKind):
    """A closed loop: ``users`` users, each sending a request (drawn from the mix), waiting for it
    to end, thinking for a ``think`` time, and sending the next — as load-test tools and gateway
    benchmarks send traffic. The first requests go out after one think time each. ``requests``
    (or the horizon) bounds the run; a load factor scales the users. The engine's users send the
    requests (:mod:`simroute.engine.users`): arrivals depend on how fast requests end."""

    name = "closed"
    closed = True

    def check(self, w: Workload) -> None:
        if w.users is None:
            raise InputError("a closed workload needs 'users' (how many)", field="users")
        if w.think is None:
            raise InputError("a closed workload needs 'think' (a think-time distribution, e.g. "
                             "{dist: exponential, mean_s: 5})", field="think")

    def expected(self, w: Workload, horizon: float | None) -> float:
        mean = w.think.expected() if w.think is not None else 0.0
        if horizon is None or mean <= 0:
            return math.inf
        return horizon * (w.users or 1) / mean  # an upper bound: requests take time too

    def span(self, w: Workload, horizon: float | None) -> float:
        return math.inf if horizon is None else horizon

    def times(self, w: Workload, rng: np.random.Generator, limit: int | None, horizon: float | None,
              size: int) -> Iterator[np.ndarray]:
        raise InputError("a closed workload's arrivals are made by its users during a run (sr.run)",
                         field="kind")

    def scaled(self, w: Workload, factor: float) -> Workload:
        return replace(w, users=max(1, round((w.users or 1) * factor)))

    def describe(self, w: Workload) -> str:
        mean = w.think.expected() if w.think is not None else math.nan
        ramp = f", joining over {w.ramp:g} s" if w.ramp else ""
        return f"closed loop, {w.users} users{ramp}, think {mean:g} s on average, {w.requests} requests"


#: name → workload kind; :func:`register` adds one
KINDS: dict[str, WorkloadKind] = {}


def register(kind: WorkloadKind) -> WorkloadKind:
    """Make ``kind`` available to scenarios as ``kind: <its name>``."""
    KINDS[kind.name] = kind
    return kind


for _kind in (Poisson(), OnOff(), Diurnal(), Constant(), Trace(), Schedule(), Closed()):
    register(_kind)


@dataclass(slots=True)
class Requests:
    """Arrivals, columnar: ``mix`` is the mix entry (-1: the trace named the request in ``text``)."""

    time: np.ndarray
    mix: np.ndarray
    text: np.ndarray
    budget: np.ndarray
    context_tokens: np.ndarray
    generated_tokens: np.ndarray
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def concat(cls, blocks: list[Requests]) -> Requests:
        """One table of ``blocks``, in order (none: an empty table)."""
        if not blocks:
            empty = np.array([], float)
            return cls(empty, np.array([], int), np.array([], dtype=object), empty.copy(), empty.copy(),
                       empty.copy())
        if len(blocks) == 1:
            return blocks[0]
        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(b, name) for b in blocks])

        return cls(joined("time"), joined("mix"), joined("text"), joined("budget"), joined("context_tokens"),
                   joined("generated_tokens"))
