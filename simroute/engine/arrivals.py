"""Arrivals: the workload's requests started at their times, block after block.

The workload comes as blocks of arrivals (:meth:`simroute.io.workload.Workload.blocks`), so that a
run of ten million requests never holds them all. One timeout per distinct arrival time: its
callback schedules the next arrival first, then starts every request arriving now, in order (as
a source process would: it yields its next timeout before the requests it created run).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from .tasks import sleeper, start

if TYPE_CHECKING:
    from ..io.workload import MixEntry, Requests
    from ..policies.plan import Plan
    from .orchestrator import Orchestrator

#: a mix entry as a request starts from it: text, saga, plan, group, stream, context and
#: generated tokens (None: the entry gives none)
Entry = tuple[str, "str | None", "Plan | None", "str | None", bool, "float | None", float]

__all__ = ["Arrivals", "Window"]


@dataclass
class Window:
    """The default summary window, as the arrivals reveal it: when the warm-up ends (``inf`` while
    not known: the request that ends it has not arrived, or never does) and the first request
    arriving after it (``None``: none yet). Requests are numbered in arrival order, so the
    window's requests are ``first`` and later."""
    warmup_end: float = math.inf
    first: int | None = None


class Arrivals:
    """Starts the requests of ``blocks`` at their arrival times on ``orch``.

    Parameters:
        env: the environment.
        orch: the orchestrator whose :meth:`~Orchestrator.request` runs each request.
        blocks: the workload's blocks of arrivals, in time order.
        mix: the workload's mix (a block's ``mix`` column indexes it; -1: the row names its text).
        on_arrival: called with the running count of arrivals every 4096 (a progress bar).
        window: the summary :class:`Window`, kept up to date as arrivals reveal it.
        warmup: ``(seconds, requests)``: the warm-up ends at ``seconds`` or at the arrival of
            request number ``requests``, whichever is later.
    """

    def __init__(self, env: simpy.Environment, orch: Orchestrator, blocks: Iterator[Requests],
                 mix: tuple[MixEntry, ...], on_arrival: Callable[[int], None] | None = None,
                 window: Window | None = None, warmup: tuple[float, int] = (0.0, 0)) -> None:
        self.env = env
        self.orch = orch
        self.mix = mix
        #: per mix entry, what starting its request reads (read once here, not per request)
        self._entries: list[Entry] = [(m.text, m.saga, m.plan, m.group, m.stream, m.context_tokens,
                                       m.generated_tokens or 0.0) for m in mix]
        self.count = 0  #: requests started so far (the next request's id)
        self._blocks = blocks
        self._rows: Iterator[tuple] = iter(())
        self._next: tuple | None  # set by _advance (not narrowed to None here: mypyc would keep that)
        self._sleep = sleeper(env)
        self._on_arrival = on_arrival
        self._warmup = warmup
        self.window = window if window is not None else Window()
        self.window.warmup_end = float(warmup[0]) if not warmup[1] else math.inf
        self._advance()
        if self._next is not None:
            self._sleep(max(self._next[0] - env.now, 0.0)).callbacks.append(self._arrive)

    def _advance(self) -> None:
        """The next row, from the next block when this one is used up (None: no more)."""
        while True:
            for row in self._rows:  # the next row of this block, if any
                self._next = row
                return
            block = next(self._blocks, None)
            if block is None:
                self._next = None
                return
            # plain Python values, converted once per block (indexing numpy arrays per request is slow)
            self._rows = zip(block.time.tolist(), block.mix.tolist(), block.text.tolist(),
                             block.budget.tolist(), block.context_tokens.tolist(),
                             block.generated_tokens.tolist(), strict=True)

    def _find_window(self, due: list[tuple]) -> None:
        """Find the warm-up's end and the first request after it among the arrivals ``due``."""
        seconds, count = self._warmup
        first, window = self.count, self.window
        if count and first <= count < first + len(due):  # the request that ends the warm-up
            window.warmup_end = max(float(seconds), due[count - first][0])
        for j, row in enumerate(due):
            if row[0] >= window.warmup_end:
                window.first = first + j
                return

    def _arrive(self, _: simpy.Event) -> None:
        env = self.env
        now = env.now
        due = []
        while self._next is not None and self._next[0] <= now:
            due.append(self._next)
            self._advance()
        if self._next is not None:
            self._sleep(self._next[0] - now).callbacks.append(self._arrive)
        if self.window.first is None:
            self._find_window(due)
        request, mix = self.orch.request, self._entries
        for _t, k, text, budget, ctx, gen in due:
            i = self.count
            self.count += 1
            if self._on_arrival is not None and not i % 4096:
                self._on_arrival(i)
            if k < 0:  # a trace row naming its request
                start(request(i, text, budget, ctx, gen, None))
                continue
            entry_text, saga, plan, group, stream, entry_ctx, entry_gen = mix[k]
            if ctx != ctx and entry_ctx is not None:  # no tokens of its own (NaN)
                ctx, gen = entry_ctx, entry_gen
            start(request(i, entry_text, budget, ctx, gen, saga, plan, group, stream))
