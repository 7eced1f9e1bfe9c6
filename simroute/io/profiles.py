"""Rate profiles: how a workload's arrival rate changes over time.

A workload's ``profile`` is a list of *shapes*; at time ``t`` (seconds from the start of the run)
the arrival rate is the workload's own rate times the product of every shape's factor at ``t`` —
so shapes that overlap multiply, as surges do. The shapes, one small class each:

* ``steps`` — piecewise constant: ``factors[i]`` from ``at[i]`` until ``at[i + 1]`` (the last one
  holds), 1 before ``at[0]``;
* ``ramp`` — ``factor_from`` until ``start``, then linear to ``factor_to`` at ``end``, which holds
  (a ramp up from 0.1 to 1 over five minutes, as load tests start);
* ``spike`` — × ``factor`` from ``start`` to ``end``, 1 outside (a surge);
* ``diurnal`` — ``1 + amplitude × sin(2π (t - phase) / period)`` (a day's cycle by default).

A profile applies to any open arrival kind, in one of two ways (the workload's ``profile_by``):

* ``thin`` (the default for ``poisson``, ``onoff`` and ``diurnal``): the kind's arrivals are drawn at
  the rate × the profile's peak and each is kept with probability factor(t) / peak — exact for a
  Poisson process; for a ``trace`` or a ``schedule`` the rows are kept with probability factor(t),
  so every factor must be at most 1 and the rows keep their times;
* ``warp`` (the default for ``constant``, ``trace`` and ``schedule``): time is stretched so that the
  arrivals' rate is multiplied by the profile: an arrival at ``u`` in the kind's own time comes at the
  ``t`` where the profile's integral from 0 reaches ``u``. A constant-rate stream stays evenly spaced
  in the profile's terms; a trace keeps every row and its order.

Either way the arrivals in a window are, on average, the workload's rate times the profile's
integral over the window (:meth:`RateProfile.integral`); ``tests/test_profiles.py`` checks it for
every kind. The integral is computed on a grid through every shape's corners, with the midpoint rule
(exact for steps, spikes and ramps); a diurnal shape adds 256 points a period.

Adding a shape is a class and one registration line (:func:`register`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..common.errors import InputError
from ..common.schema import check, setting, window

__all__ = ["Shape", "Steps", "Ramp", "Spike", "Diurnal", "RateProfile", "SHAPES", "register", "MAX_GRID",
           "read_shape", "kept"]

#: the most grid points a profile's integral is kept on (a documented limit: a diurnal shape adds
#: 256 a period, so about 39,000 days of a daily cycle)
MAX_GRID = 10_000_000


class Shape:
    """One factor of a rate profile (see the module docstring)."""

    shape: ClassVar[str] = ""

    def value(self, t: np.ndarray) -> np.ndarray:
        """The factor at times ``t`` (seconds)."""
        raise NotImplementedError

    def peak(self) -> float:
        """The largest factor."""
        raise NotImplementedError

    def final(self) -> float:
        """The factor long after every corner (0: no arrivals come then)."""
        raise NotImplementedError

    def corners(self) -> tuple[float, ...]:
        """Times where the factor jumps or changes slope."""
        return ()

    def step(self) -> float:
        """The grid step that integrates it closely enough between corners (inf: it is linear there)."""
        return math.inf


@dataclass(frozen=True, kw_only=True, slots=True)
class Steps(Shape):
    """Piecewise constant: ``factors[i]`` from ``at[i]`` until ``at[i + 1]``; 1 before ``at[0]``."""

    shape: ClassVar[str] = "steps"
    at: tuple[float, ...] = setting(doc="when each step begins (non-decreasing)", unit="s", lo=0)
    factors: tuple[float, ...] = setting(doc="the rate's multiplier from each step on", lo=0)

    def __post_init__(self) -> None:
        check(self)
        if not self.at:
            raise InputError("give at least one step", field="at")
        if len(self.at) != len(self.factors):
            raise InputError(f"needs one factor per step: {len(self.at)} steps, {len(self.factors)} factors",
                             field="factors")
        if bool(np.any(np.diff(self.at) < 0)):
            raise InputError("steps must be in time order (non-decreasing)", field="at")

    def value(self, t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(np.asarray(self.at), t, side="right")
        return np.concatenate(([1.0], np.asarray(self.factors, float)))[i]

    def peak(self) -> float:
        return max(1.0, *self.factors) if self.at[0] > 0 else max(self.factors)

    def final(self) -> float:
        return float(self.factors[-1])

    def corners(self) -> tuple[float, ...]:
        return self.at


@dataclass(frozen=True, kw_only=True, slots=True)
class Ramp(Shape):
    """``factor_from`` until ``start``, linear to ``factor_to`` at ``end``, then ``factor_to``."""

    shape: ClassVar[str] = "ramp"
    start: float = setting(doc="when the ramp begins", unit="s", lo=0)
    end: float = setting(doc="when it reaches factor_to", unit="s", lo=0)
    factor_from: float = setting(doc="the rate's multiplier before start", lo=0)
    factor_to: float = setting(doc="the rate's multiplier from end on", lo=0)

    def __post_init__(self) -> None:
        check(self)
        window(self.start, self.end)

    def value(self, t: np.ndarray) -> np.ndarray:
        share = np.clip((np.asarray(t, float) - self.start) / (self.end - self.start), 0.0, 1.0)
        return self.factor_from + (self.factor_to - self.factor_from) * share

    def peak(self) -> float:
        return max(self.factor_from, self.factor_to)

    def final(self) -> float:
        return self.factor_to

    def corners(self) -> tuple[float, ...]:
        return (self.start, self.end)


@dataclass(frozen=True, kw_only=True, slots=True)
class Spike(Shape):
    """× ``factor`` from ``start`` to ``end``, 1 outside."""

    shape: ClassVar[str] = "spike"
    start: float = setting(doc="when the spike begins", unit="s", lo=0)
    end: float = setting(doc="when it ends", unit="s", lo=0)
    factor: float = setting(doc="the rate's multiplier inside the window", lo=0)

    def __post_init__(self) -> None:
        check(self)
        window(self.start, self.end)

    def value(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, float)
        return np.where((t >= self.start) & (t < self.end), self.factor, 1.0)

    def peak(self) -> float:
        return max(1.0, self.factor)

    def final(self) -> float:
        return 1.0

    def corners(self) -> tuple[float, ...]:
        return (self.start, self.end)


@dataclass(frozen=True, kw_only=True, slots=True)
class Diurnal(Shape):
    """``1 + amplitude × sin(2π (t - phase) / period)``."""

    shape: ClassVar[str] = "diurnal"
    amplitude: float = setting(0.5, "relative swing of the rate", lo=0, hi=1)
    period: float = setting(86400.0, "seconds per cycle", unit="s", lo=0, lo_open=True)
    phase: float = setting(0.0, "when the rate first crosses its mean going up", unit="s")

    def __post_init__(self) -> None:
        check(self)

    def value(self, t: np.ndarray) -> np.ndarray:
        return 1.0 + self.amplitude * np.sin(2 * math.pi * (np.asarray(t, float) - self.phase) / self.period)

    def peak(self) -> float:
        return 1.0 + self.amplitude

    def final(self) -> float:
        return 1.0  # its mean, long after

    def step(self) -> float:
        return self.period / 256


#: shape name → its class; :func:`register` adds one
SHAPES: dict[str, type[Shape]] = {}


def register(cls: type[Shape]) -> type[Shape]:
    """Make ``cls`` available to scenarios as ``shape: <its name>``."""
    SHAPES[cls.shape] = cls
    return cls


for _cls in (Steps, Ramp, Spike, Diurnal):
    register(_cls)


class RateProfile:
    """The product of ``shapes``: the factor at any time, its integral and its inverse.

    Parameters:
        shapes: the profile's shapes (at least one).
    """

    def __init__(self, shapes: Sequence[Shape]) -> None:
        if not shapes:
            raise InputError("a rate profile needs at least one shape", field="profile")
        self.shapes = tuple(shapes)
        #: grid times covered so far, and the integral from 0 to each (one pair, replaced whole)
        self._grid = (np.array([0.0]), np.array([0.0]))
        if self.peak() <= 0:
            raise InputError("the profile's rate is 0 at every time", field="profile")

    # ------------------------------------------------------------------ the factor
    def value(self, t: np.ndarray | float) -> np.ndarray:
        """The rate's multiplier at times ``t`` (seconds)."""
        out = np.ones(np.shape(t))
        for s in self.shapes:
            out = out * s.value(np.asarray(t, float))
        return out

    def peak(self) -> float:
        """An upper bound of the factor (the product of every shape's largest factor): thinning
        from it never clips."""
        return math.prod(s.peak() for s in self.shapes)

    def final(self) -> float:
        """The factor after every corner (0: arrivals stop for good at some time)."""
        return math.prod(s.final() for s in self.shapes)

    # ------------------------------------------------------------------ its integral
    def _extend(self, end: float) -> None:
        """Cover the grid up to ``end`` seconds."""
        grid_t, grid_cum = self._grid
        last = float(grid_t[-1])
        if end <= last:
            return
        step = min(s.step() for s in self.shapes)
        corners = [c for s in self.shapes for c in s.corners() if last < c < end]
        points = [last, end, *corners]
        if math.isfinite(step):
            count = math.ceil((end - last) / step)
            if len(grid_t) + count > MAX_GRID:
                raise InputError(f"the profile would need more than {MAX_GRID:,} grid points to reach "
                                 f"{end:g} s (raise simroute.io.profiles.MAX_GRID or give a shorter "
                                 "horizon)", field="profile")
            points.extend(np.linspace(last, end, count + 1))
        t = np.unique(np.asarray(points, float))
        mid = (t[1:] + t[:-1]) / 2
        cum = grid_cum[-1] + np.cumsum(self.value(mid) * np.diff(t))
        self._grid = (np.concatenate((grid_t, t[1:])), np.concatenate((grid_cum, cum)))

    def cumulative(self, t: np.ndarray | float) -> np.ndarray:
        """The profile's integral from 0 to ``t`` (factor × seconds)."""
        t = np.asarray(t, float)
        if t.size:
            self._extend(float(np.max(t)))
        return np.interp(t, *self._grid)

    def integral(self, a: float, b: float) -> float:
        """The profile's integral from ``a`` to ``b`` seconds: arrivals there are ``rate`` × this."""
        lo, hi = self.cumulative(np.array([a, b]))
        return float(hi - lo)

    def inverse(self, u: np.ndarray | float) -> np.ndarray:
        """The times at which the integral reaches ``u`` (non-decreasing ``u``): the warp of an
        arrival at ``u`` in its kind's own time."""
        u = np.asarray(u, float)
        if u.size:
            top = float(np.max(u))
            if top > self._grid[1][-1] and self.final() <= 0:
                end = max(c for s in self.shapes for c in (*s.corners(), 0.0))
                self._extend(end)
                if top > self._grid[1][-1]:
                    raise InputError(f"the profile's rate is 0 after {end:g} s: arrivals past it never "
                                     "come (give a horizon or fewer requests)", field="profile")
            while top > self._grid[1][-1]:
                grid_t, grid_cum = self._grid
                self._extend(max(2 * float(grid_t[-1]), 1.0, float(grid_t[-1]) + top - grid_cum[-1]))
        grid_t, grid_cum = self._grid
        return np.interp(u, grid_cum, grid_t)

    def describe(self) -> str:
        """One line naming the shapes."""
        return " × ".join(s.shape for s in self.shapes)


def read_shape(raw: object) -> Shape:
    """A shape from its scenario mapping (``{shape: ramp, start: 0, …}``), checked.

    Raises:
        InputError: an unknown shape or a bad field (the field named).
    """
    from ..common.schema import build

    if not isinstance(raw, dict):
        raise InputError(f"must be a mapping with a 'shape', got {raw!r}")
    name = raw.get("shape")
    if name not in SHAPES:
        raise InputError(f"must be one of {', '.join(SHAPES)}, got {name!r}", field="shape")
    fields = {k: v for k, v in raw.items() if k != "shape"}
    shape: Shape = build(SHAPES[str(name)], fields)
    return shape


def kept(times: np.ndarray, profile: RateProfile, peak: float, rng: np.random.Generator) -> np.ndarray:
    """Thinning: which of the arrivals ``times`` are kept, each with probability factor(t) /
    ``peak`` (one uniform draw each; ``peak`` 1 for a trace's or a schedule's rows)."""
    return rng.random(len(times)) * peak <= profile.value(times)
