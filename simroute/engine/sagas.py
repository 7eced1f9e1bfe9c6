"""Running a saga: its steps forward, and on a failure its compensations in reverse.

:meth:`SagaRunner.run` calls each step's plugin (through the attempt path, with its retries and
fallbacks' guards) and keeps what it created in the state store. When a step fails, the rollback
is published after the saga's detection delay, and the steps done are compensated in reverse
(:func:`~simroute.policies.saga.rollback_plan`). Every step and compensation is a row of the
``sagas`` table. The request's status: ``succeeded``, ``compensated`` (rolled back), or
``failed`` (a compensation failed too).
"""

from __future__ import annotations

from ..common.statuses import COMPENSATED, FAILED, SUCCEEDED
from ..policies.saga import Saga, SagaStep, rollback_plan
from ..resilience.failure import SUCCESS
from .attempts import ATTEMPT_LIMIT, AttemptRunner
from .context import Context
from .records import RequestState
from .tasks import ProcessGenerator

__all__ = ["SagaRunner"]


class SagaRunner:
    """Saga requests of one run (see the module docstring).

    Parameters:
        ctx: the run's context.
        runner: the run's attempt path.
    """

    def __init__(self, ctx: Context, runner: AttemptRunner) -> None:
        self.ctx = ctx
        self.env = ctx.env
        self.runner = runner

    def run(self, rid: int, saga: Saga, info: RequestState) -> ProcessGenerator:
        """Run ``saga`` for request ``rid``; returns ``(status, reason)``."""
        env = self.env
        info.primary = saga.steps[0].plugin
        info.phases = len(saga.steps)
        done: list[SagaStep] = []
        for i, step in enumerate(saga.steps):
            start = env.now
            ok = (yield from self.runner.call(rid, step.plugin, None, 0, info, duration=step.duration,
                                              kind="default", label=step.action)) == SUCCESS
            self._row(rid, saga, i, step.action, step.argument, "forward", step.plugin, start,
                      "success" if ok else "failure", info)
            if not ok:
                if info.reason == ATTEMPT_LIMIT:  # no attempt is left for compensations either
                    return FAILED, ATTEMPT_LIMIT
                break
            self.ctx.state.set(step.plugin, step.key, {"created_by": step.action, "request": rid},
                               correlation_id=rid)
            done.append(step)
        else:
            return SUCCEEDED, ""
        return (yield from self._roll_back(rid, saga, done, info))

    def _roll_back(self, rid: int, saga: Saga, done: list[SagaStep], info: RequestState) -> ProcessGenerator:
        env = self.env
        if saga.detection_delay:
            yield env.timeout(saga.detection_delay)
        self.ctx.bus.publish(f"saga/{saga.name}/rollback", type="event", source=self.ctx.orchestrator_name,
                             correlation_id=rid, payload={"failedStep": len(done) + 1,
                                                          "compensations": len(done)})
        if saga.rollback_delay:
            yield env.timeout(saga.rollback_delay)
        failed = []
        for compensation, step in rollback_plan(done):
            i = saga.steps.index(step)
            start = env.now
            ok = (yield from self.runner.call(rid, step.plugin, None, 0, info,
                                              duration=step.compensation_duration, kind="default",
                                              label=compensation)) == SUCCESS
            self._row(rid, saga, i, compensation, step.argument, "compensate", step.plugin,
                      start, "success" if ok else "compensation_failed", info)
            if ok:
                self.ctx.state.delete(step.plugin, step.key, correlation_id=rid)
            else:
                failed.append(compensation)
        if failed:
            return FAILED, "compensation_failed: " + ",".join(failed)
        return COMPENSATED, f"step {len(done) + 1} failed"

    def _row(self, rid: int, saga: Saga, i: int, action: str, argument: str, direction: str, plugin: str,
             start: float, outcome: str, info: RequestState) -> None:
        self.ctx.rec.saga(rid, saga.name, i + 1, action, argument, direction, plugin,
                          start, self.env.now, outcome, info.attempts)
