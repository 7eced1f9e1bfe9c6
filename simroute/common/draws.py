"""Random draws for the engine's hot path, a block at a time, exactly as if drawn one by one.

A scalar draw from a :class:`numpy.random.Generator` costs a few hundred nanoseconds, most of it the
call; a draw taken from a block drawn ahead costs a tenth of that. The block must not change a
single number, so that a seed gives the same tables as before:

* :class:`Uniforms` — ``random()``: ``rng.random(n)`` gives the same doubles, in the same order, as
  ``n`` calls of ``rng.random()`` (each is one 64-bit output of the bit generator);
* :class:`Exponentials` — ``exponential(scale)``: numpy draws ``rng.exponential(scale)`` as
  ``scale × standard_exponential``, so a block of standard exponentials scaled one by one gives
  the same values.

Drawing ahead consumes the bit generator ahead, so a stream is blocked only when every draw from
it is of that one kind: :func:`service_source` blocks the service stream when every service model
that draws is exponential, and leaves it a plain generator otherwise. Every source has the
:class:`Source` interface (a :class:`numpy.random.Generator` has it too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .distributions import ServiceTime, Source

__all__ = ["Source", "Uniforms", "Exponentials", "BLOCK", "service_source"]

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


def service_source(rng: np.random.Generator, models: Iterable[ServiceTime]) -> Source:
    """The source to draw service and failure times from: blocked when every model in ``models``
    that draws at all is exponential (deterministic and token-priced models draw nothing), else
    ``rng`` itself.

    Parameters:
        rng: the run's service-time generator.
        models: every service-time model the run may draw from.

    Returns:
        An :class:`Exponentials` over ``rng``, or ``rng``.
    """
    draws = {m.dist for m in models if m.dist == "exponential" or (m.dist == "lognormal" and m.cv)}
    return Exponentials(rng) if draws == {"exponential"} else rng  # type: ignore[return-value]
