"""Closed-loop users: the requests of a ``closed`` workload, sent by users who wait for each answer.

Each of the workload's ``users`` runs one task: join (user ``k`` of ``n`` at ``k × ramp / n``
seconds, all at once without a ramp, as a load tool spawns users at a steady rate), then think (a
draw of ``think``), send a request drawn from the mix, wait until it ends (whatever its status),
and start again — until the workload's ``requests`` have been sent (or the run's horizon ends it).
Requests are numbered in the order they are sent. The think times and the mix draws come from the
run's workload stream, so a seed gives the same run. The warm-up ends at ``warmup.seconds`` or when
request number ``warmup.requests`` is sent, whichever is later, as for open arrivals
(:mod:`simroute.engine.arrivals`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import simpy

from .arrivals import Window
from .tasks import sleeper, start

if TYPE_CHECKING:
    from ..io.workload import Workload
    from .orchestrator import Orchestrator
    from .tasks import ProcessGenerator

__all__ = ["ClosedLoop"]


class ClosedLoop:
    """Starts ``workload.users`` users on ``orch`` (see the module docstring).

    Parameters:
        env: the environment.
        orch: the orchestrator whose :meth:`~Orchestrator.request` runs each request.
        workload: a ``closed`` workload.
        rng: the run's workload stream (think times and mix draws).
        on_arrival: called with the running count of requests every 4096 (a progress bar).
        window: the summary :class:`~simroute.engine.arrivals.Window`, kept up to date.
        warmup: ``(seconds, requests)``.
    """

    def __init__(self, env: simpy.Environment, orch: Orchestrator, workload: Workload,
                 rng: np.random.Generator, on_arrival: Callable[[int], None] | None = None,
                 window: Window | None = None, warmup: tuple[float, int] = (0.0, 0)) -> None:
        assert workload.users is not None and workload.think is not None  # Closed.check
        self.env = env
        self.orch = orch
        self.workload = workload
        self.rng = rng
        self.count = 0  #: requests sent so far (the next request's id)
        self.limit = math.inf if workload.requests is None else workload.requests
        self._on_arrival = on_arrival
        self._sleep = sleeper(env)
        self._warmup = warmup
        self.window = window if window is not None else Window()
        self.window.warmup_end = float(warmup[0]) if not warmup[1] else math.inf
        weights = np.array([m.weight for m in workload.mix], float)
        self._p = weights / weights.sum()
        for k in range(workload.users):
            start(self._user(k * workload.ramp / workload.users))

    def _user(self, joins: float) -> ProcessGenerator:
        w, mix = self.workload, self.workload.mix
        think = w.think
        assert think is not None
        if joins:
            yield self._sleep(joins)
        while True:
            yield self._sleep(think.sample(self.rng))
            if self.count >= self.limit:
                return
            i = self.count
            self.count += 1
            now = self.env.now
            self._arrived(i, now)
            k = 0 if len(mix) == 1 else int(self.rng.choice(len(mix), p=self._p))
            entry = mix[k]
            budget = math.nan if entry.budget is None else entry.budget
            ctx = math.nan if entry.context_tokens is None else entry.context_tokens
            gen = (entry.generated_tokens or 0.0) if entry.context_tokens is not None else math.nan
            yield from self.orch.request(i, entry.text, budget, ctx, gen, entry.saga, entry.plan,
                                         entry.group, entry.stream)

    def _arrived(self, i: int, now: float) -> None:
        if self._on_arrival is not None and not i % 4096:
            self._on_arrival(i)
        seconds, count = self._warmup
        window = self.window
        if count and i == count:  # the request that ends the warm-up
            window.warmup_end = max(float(seconds), now)
        if window.first is None and now >= window.warmup_end:
            window.first = i
