"""Sagas: ordered steps, each with a compensation, rolled back in reverse on failure.

The seed's forward/compensation pairs are :data:`COMPENSATIONS`. A :class:`Saga` is a sequence of
:class:`SagaStep`; :func:`rollback_plan` gives, for the steps that completed, the compensations to
run: in reverse order of completion. The engine (``simroute.engine``) executes both directions on
the plugins, retrying a failing compensation with the retry policy and recording it as
``compensation_failed`` if it still fails — the rollback then continues with the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..common.errors import InputError

__all__ = ["COMPENSATIONS", "SAGAS", "SagaStep", "Saga", "rollback_plan", "tenant_provisioning"]

#: The seed's compensation mapping (forward action → compensation action).
COMPENSATIONS: Mapping[str, str] = {
    "create_tenant_db": "delete_tenant_db",
    "create_realm": "delete_realm",
    "deploy_namespace": "destroy_namespace",
    "create_storage_bucket": "delete_storage_bucket",
    "provision_dns_record": "remove_dns_record",
    "send_notification": "send_cancellation_notice",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class SagaStep:
    """One step of a saga and how it is undone.

    Parameters:
        action: the forward action (it must have a compensation).
        plugin: the plugin that runs it.
        argument: what it acts on (a tenant, a realm …).
        duration: seconds.
        compensation_duration: seconds of its compensation.
        state_key: the state-store key it registers (default: ``action:argument``).
    """
    action: str
    plugin: str
    argument: str = ""  #: e.g. the tenant, realm or namespace the action works on
    duration: float = 1.0  #: seconds of the forward action
    compensation_duration: float = 1.0  #: seconds of the compensation
    state_key: str = ""  #: the state-store key the action writes (default: the argument)

    @property
    def compensation(self) -> str:
        try:
            return COMPENSATIONS[self.action]
        except KeyError:
            raise InputError(f"no compensation for action {self.action!r} (known: "
                             f"{', '.join(COMPENSATIONS)})", field="action") from None

    @property
    def key(self) -> str:
        return self.state_key or f"{self.action}:{self.argument}"

    def __repr__(self) -> str:
        return f"{self.action}({self.argument})@{self.plugin} ↔ {self.compensation}"


@dataclass(frozen=True, slots=True)
class Saga:
    """A sequence of steps compensated in reverse order when one fails.

    Parameters:
        name: the saga's name.
        steps: the steps, in order.
        detection_delay: seconds between a failure and the rollback's start.
        rollback_delay: seconds before the compensations run.
    """
    name: str
    steps: tuple[SagaStep, ...] = field(default_factory=tuple)
    detection_delay: float = 0.0  #: seconds from a step's failure until the orchestrator notices
    rollback_delay: float = 0.0  #: seconds from noticing until the first compensation starts

    def __post_init__(self) -> None:
        if not self.steps:
            raise InputError("a saga needs at least one step", entry=f"saga {self.name}", field="steps")
        for i, s in enumerate(self.steps):
            if s.action not in COMPENSATIONS:
                raise InputError(f"no compensation for action {s.action!r}",
                                 entry=f"saga {self.name} steps[{i}]", field="action")
            if s.duration < 0 or s.compensation_duration < 0:
                raise InputError("durations must be >= 0 seconds", entry=f"saga {self.name} steps[{i}]",
                                 field="duration")
        if self.detection_delay < 0 or self.rollback_delay < 0:
            raise InputError("delays must be >= 0 seconds", entry=f"saga {self.name}",
                             field="detection_delay")


def rollback_plan(completed: Sequence[SagaStep]) -> list[tuple[str, SagaStep]]:
    """``(compensation, step)`` for each completed step, last completed first.

    Parameters:
        completed: the steps completed, in order.

    Returns:
        ``(compensation, step)`` pairs, last completed first.
    """
    return [(s.compensation, s) for s in reversed(completed)]


def tenant_provisioning(tenant: str = "acme_corp", realm: str = "acme-corp") -> Saga:
    """The seed's multi-tenant provisioning saga across lobbi-platform-manager and ahling.

    Parameters:
        tenant: the tenant database's name.
        realm: the realm's and namespace's name.

    Returns:
        The :class:`Saga`.
    """
    return Saga("tenant-provisioning", (
        SagaStep(action="create_tenant_db", plugin="lobbi-platform-manager", argument=tenant,
                 duration=5.0, compensation_duration=3.0),
        SagaStep(action="create_realm", plugin="lobbi-platform-manager", argument=realm,
                 duration=7.0, compensation_duration=3.0),
        SagaStep(action="deploy_namespace", plugin="ahling-command-center",
                 argument=f"{realm}-prod", duration=13.0, compensation_duration=3.0),
    ))


#: Saga definitions a workload's mix can name (``saga: tenant-provisioning``).
SAGAS: Mapping[str, Saga] = {"tenant-provisioning": tenant_provisioning()}
