"""Random draws for the engine's hot path, a block at a time, exactly as if drawn one by one.

A scalar draw from a :class:`numpy.random.Generator` costs a few hundred nanoseconds, most of it the
call; a draw taken from a block drawn ahead costs a tenth of that. The block must not change a
single number, so that a seed gives the same tables as before:

* :class:`Uniforms` — ``random()``: ``rng.random(n)`` gives the same doubles, in the same order, as
  ``n`` calls of ``rng.random()`` (each is one 64-bit output of the bit generator);
* :class:`Exponentials` — ``exponential(scale)``: numpy draws ``rng.exponential(scale)`` as
  ``scale × standard_exponential``, so a block of standard exponentials scaled one by one gives
  the same values.

Drawing ahead consumes the bit generator ahead, so a stream is blocked only while every draw from
it is of that one kind: :func:`service_source` blocks the service stream when every service model
that draws is exponential; when only some are, it gives :class:`ExponentialsFirst`, blocked until
the first draw of another kind, which puts the generator back where draws one by one would have
left it (its state saved at the block's start, then the block's used draws taken again) and draws
directly from then on. Every source has the :class:`Source` interface (a
:class:`numpy.random.Generator` has it too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from .distributions import ServiceTime, Source

__all__ = ["Source", "Uniforms", "Exponentials", "ExponentialsFirst", "BLOCK", "service_source"]

BLOCK = 4096  #: draws taken from the generator at a time


def _blocks(draw: Callable[[int], np.ndarray]) -> Iterator[float]:
    while True:
        yield from draw(BLOCK).tolist()


class _Blocked:
    """A stream of one kind of draw, a block at a time; any other kind is refused (it would change
    every later number)."""

    __slots__ = ("_next",)
    kind = ""

    def __init__(self, rng: np.random.Generator) -> None:
        self._next: Iterator[float] = _blocks(getattr(rng, self.kind))

    def _refuse(self, other: str) -> float:
        raise RuntimeError(f"a stream of {self.kind} draws was asked for {other} "
                           "(a bug: see simroute.common.draws)")

    def random(self) -> float:
        return self._refuse("random")

    def exponential(self, scale: float) -> float:
        return self._refuse("exponential")

    def lognormal(self, mean: float, sigma: float) -> float:
        return self._refuse("lognormal")


class Uniforms(_Blocked):
    """``random()`` draws in [0, 1), a block at a time (see the module docstring).

    Parameters:
        rng: the generator; nothing else may draw from it.
    """

    __slots__ = ()
    kind = "random"

    def random(self) -> float:
        """The next uniform draw in [0, 1).

        Returns:
            The number ``rng.random()`` would have given.
        """
        return next(self._next)


class Exponentials(_Blocked):
    """``exponential(scale)`` draws, a block of standard exponentials at a time (see the module
    docstring).

    Parameters:
        rng: the generator; nothing else may draw from it.
    """

    __slots__ = ()
    kind = "standard_exponential"

    def exponential(self, scale: float) -> float:
        """The next exponential draw with mean ``scale``.

        Parameters:
            scale: the mean.

        Returns:
            The number ``rng.exponential(scale)`` would have given.
        """
        return scale * next(self._next)


class ExponentialsFirst:
    """``exponential(scale)`` draws a block at a time while they are the only kind asked for; the
    first draw of another kind rewinds the generator to where the draws taken so far, one by one,
    would have left it, and every draw from then on is the generator's own (see the module
    docstring). The numbers are those of the generator drawn one by one, whatever the order of
    kinds.

    Parameters:
        rng: the generator; nothing else may draw from it.
    """

    __slots__ = ("_rng", "_block", "_used", "_state", "_direct")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._block: list[float] = []
        self._used = 0  #: draws taken from the block
        self._state: Mapping[str, Any] | None = None  #: the bit generator's state at the block's start
        self._direct = False  #: another kind was asked for: every draw is the generator's

    def exponential(self, scale: float) -> float:
        """The next exponential draw with mean ``scale`` (what ``rng.exponential(scale)`` gives)."""
        if self._direct:
            return float(self._rng.exponential(scale))
        used = self._used
        if used == len(self._block):
            self._state = self._rng.bit_generator.state
            self._block = self._rng.standard_exponential(BLOCK).tolist()
            used = 0
        self._used = used + 1
        return scale * self._block[used]

    def random(self) -> float:
        """The next uniform draw in [0, 1) (from here on, draws are the generator's own)."""
        return float(self._rewound().random())

    def lognormal(self, mean: float, sigma: float) -> float:
        """The next lognormal draw (from here on, draws are the generator's own)."""
        return float(self._rewound().lognormal(mean, sigma))

    def _rewound(self) -> np.random.Generator:
        """The generator, where the draws taken so far would have left it."""
        if not self._direct:
            if self._state is not None:
                self._rng.bit_generator.state = self._state
                self._rng.standard_exponential(self._used)  # the block's draws that were used
            self._direct, self._block = True, []
        return self._rng


def service_source(rng: np.random.Generator, models: Iterable[ServiceTime]) -> Source:
    """The source to draw service and failure times from: blocked when every model in ``models``
    that draws at all is exponential (deterministic and token-priced models draw nothing), blocked
    until another kind is drawn when some are (:class:`ExponentialsFirst`), else ``rng`` itself.

    Parameters:
        rng: the run's service-time generator.
        models: every service-time model the run may draw from.

    Returns:
        An :class:`Exponentials` or :class:`ExponentialsFirst` over ``rng``, or ``rng``.
    """
    draws = {m.dist for m in models if m.dist in ("exponential", "llm") or (m.dist == "lognormal" and m.cv)}
    if draws == {"exponential"}:
        return Exponentials(rng)
    return ExponentialsFirst(rng) if "exponential" in draws else rng  # type: ignore[return-value]
