"""The orchestrator: one run's engine, wired, and the pipeline of each request.

:class:`Orchestrator` builds the run's parts once and starts each request on them:

* :class:`~simroute.engine.context.Context` (``context.py``) — the wiring every part shares:
  servers, breakers, guards, random streams, bus, state store, faults;
* :class:`~simroute.engine.decisions.Decisions` (``decisions.py``) — the policies' answers,
  computed once per distinct question;
* :class:`~simroute.engine.attempts.AttemptRunner` (``attempts.py``) — attempts on one plugin:
  guards, the call, hedging, timeouts and retries;
* :class:`~simroute.engine.plans.PlanExecutor` (``plans.py``) — a routed request's plan, phase by
  phase, down the fallbacks;
* :class:`~simroute.engine.sagas.SagaRunner` (``sagas.py``) — sagas and their compensations;
* :class:`~simroute.engine.grouprouter.GroupRouter` (``grouprouter.py``) — requests to an LLM
  router's model groups.

:meth:`Orchestrator.request` is one request's process: it goes to the group router (a model-group
request), the saga runner (a saga) or the plan executor (anything else), and its row is written
when it ends. At the end of a run, :meth:`Orchestrator.close` ends the requests still in flight
(status ``in_flight``) and the work the plugins still hold; :meth:`plugin_facts` and
:meth:`final_state` are what the run's tables read (:mod:`simroute.experiments.run`).

Terminal status: ``succeeded``; ``degraded`` (a phase ran on a fallback, or nothing matched and
the orchestrator handled it); ``failed`` (a phase failed everywhere, or the deadline passed);
``compensated`` (a saga rolled back); ``rejected`` (over budget, or no plugin matched and there is
no built-in path); ``in_flight`` when the horizon cut it off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from ..common.statuses import IN_FLIGHT
from ..policies.plan import Plan
from ..policies.saga import Saga
from .attempts import AttemptRunner
from .context import Context
from .decisions import Decisions
from .grouprouter import GroupRouter
from .plans import PlanExecutor
from .recorder import Recorder
from .records import RequestState
from .sagas import SagaRunner
from .tasks import ProcessGenerator

if TYPE_CHECKING:
    from ..io.scenario import Scenario

__all__ = ["Orchestrator", "ProcessGenerator"]


class Orchestrator:
    """One run's engine (see the module docstring).

    Parameters:
        env: the environment.
        scenario: the scenario run.
        rngs: the run's random streams.
        recorder: where rows go.
        sagas: the scenario's sagas by name.
        record_messages: keep the bus's messages (when the scenario asks for them too).
    """

    def __init__(self, env: simpy.Environment, scenario: Scenario, rngs: dict[str, np.random.Generator],
                 recorder: Recorder, sagas: Mapping[str, Saga], *, record_messages: bool = True) -> None:
        self.env = env
        self.ctx = ctx = Context(env, scenario, rngs, recorder, record_messages=record_messages)
        self.sagas = sagas
        self.decisions = Decisions(ctx)
        self.runner = AttemptRunner(ctx)
        self.plans = PlanExecutor(ctx, self.decisions, self.runner)
        self.saga_runner = SagaRunner(ctx, self.runner)
        groups = scenario.model_groups
        self.group_router = GroupRouter(ctx, self.runner, groups) if groups else None
        self._write_request = recorder.request
        self._deadline = ctx.deadline
        self._retry_budget = ctx.retry_budget
        self._accept = ctx.accept
        self.active: dict[int, RequestState] = {}  #: the requests in flight, by id

    def request(self, rid: int, text: str, budget: float, ctx: float, gen: float,
                saga: str | None, plan: Plan | None = None, group: str | None = None,
                stream: bool = False) -> ProcessGenerator:
        """Request ``rid``'s process: run it and write its row.

        Parameters:
            rid: the request's id.
            text: its text (classified and routed).
            budget: dollars it may cost (NaN: no budget).
            ctx: its context tokens (NaN: unknown).
            gen: its generated tokens.
            saga: the saga it runs (None: routed).
            plan: a documented plan it runs instead of the routed one.
            group: the model group it calls (an LLM router's request).
            stream: a streaming call (the deployment's ``stream_timeout`` applies).
        """
        arrival = self.env.now
        info = RequestState(rid, arrival, text, budget, ctx, gen, saga, arrival + self._deadline)
        info._accept = self._accept.get(text)
        self.active[rid] = info
        if self._retry_budget is not None:
            self._retry_budget.record_request(arrival)
        if group is not None:
            assert self.group_router is not None  # the scenario checks that the group exists
            status, reason = yield from self.group_router.request(rid, group, info, stream)
        elif saga is not None:
            status, reason = yield from self.saga_runner.run(rid, self.sagas[saga], info)
        else:
            status, reason = yield from self.plans.run_routed(rid, text, budget, info, plan)
        self.finish(rid, status, reason)

    def finish(self, rid: int, status: str, reason: str, end: float | None = None) -> None:
        """Request ``rid`` ended (now, or at ``end``) with ``status``: its row is written."""
        info = self.active.pop(rid)
        info.finish(status, reason, self.env.now if end is None else end)
        self._write_request(info)

    def close(self, end: float) -> None:
        """The run ended at ``end``: the requests still in flight end as ``in_flight`` (reason
        ``horizon``), in id order; the rows of abandoned calls the plugins were still working on
        are written, and cooldowns that ended unobserved are closed."""
        for rid in sorted(self.active):
            self.finish(rid, IN_FLIGHT, "horizon", end)
        self.runner.flush()
        if self.group_router is not None:
            self.group_router.close(self.env.now)

    def plugin_facts(self, end: float) -> dict[str, dict[str, Any]]:
        """Per plugin, at the end of the run: ``busy_time`` (slot-seconds), ``breaker`` (whether it
        has one) and ``open_time`` (seconds its breaker was open, or its deployment cooling down)."""
        ctx = self.ctx
        cooldowns = self.group_router.cooldowns if self.group_router is not None else {}
        facts = {}
        for name, server in ctx.servers.items():
            breaker = ctx.breakers.get(name)
            cooldown = cooldowns.get(name)
            open_time = (breaker.open_time(end) if breaker is not None
                         else cooldown.open_time(end) if cooldown is not None else 0.0)
            facts[name] = {"busy_time": server.busy_time(), "breaker": breaker is not None,
                           "open_time": open_time}
        return facts

    def final_state(self) -> dict[str, dict[str, Any]]:
        """The state store at the end: ``{plugin: {key: value}}``."""
        return self.ctx.state.snapshot()
