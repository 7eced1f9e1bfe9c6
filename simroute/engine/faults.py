"""How an attempt ends on a plugin: its failure model, and the faults active on it.

:class:`Faults` is built once per run from the catalog and the scenario's faults. When a plugin
starts on an attempt, :meth:`Faults.draw` decides how the attempt ends — a failure (by the plugin's
failure model, or the kind an active fault imposes) after that kind's latency, else a success after
a service time, slowed by the active faults; either way the plugin's pauses stretch the time it
takes, as if its clock stopped for each pause. What each fault kind does is its class's business
(:mod:`simroute.io.faults`); this module only applies the active ones, in the scenario's order.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..common.distributions import ServiceTime, Source
from ..io.faults import Fault, FaultKind
from ..policies.catalog import Catalog
from ..resilience.failure import SUCCESS, FailureModel

__all__ = ["Faults", "through_pauses"]


class Faults:
    """The run's failure draws (see the module docstring).

    Parameters:
        catalog: the scenario's catalog (each plugin's failure probability and model).
        faults: the scenario's faults.
        rng_service: the service stream (service times, failure latencies).
        rng_failure: the failure stream (whether an attempt fails, and how).
    """

    def __init__(self, catalog: Catalog, faults: Iterable[Fault], rng_service: Source,
                 rng_failure: Source, wrong: tuple[float, float] = (0.0, 1.0)) -> None:
        self.rng_service = rng_service
        #: an attempt on a plugin its request does not accept: (1 - added failure p, slowdown)
        self._wrong_keep, self._wrong_slow = 1.0 - wrong[0], wrong[1]
        self.rng_failure = rng_failure
        self._uniform = rng_failure.random
        self.failure_p = {n: p.failure_p for n, p in catalog.plugins.items()}
        self.failure_model: dict[str, FailureModel] = {n: p.failure for n, p in catalog.plugins.items()}
        #: plugin → its faults, in the scenario's order: (start, end, kind, fault)
        self.on: dict[str, list[tuple[float, float, FaultKind, Fault]]] = {}
        faults_list = list(faults)
        for f in faults_list:
            self.on.setdefault(f.plugin, []).append((f.start, f.end, f.effect, f))
        #: calls started so far in the window of each counting fault (by its id)
        self._calls: dict[int, int] = {}
        #: plugin → its pause windows, merged and in time order
        self.paused: dict[str, list[tuple[float, float]]] = {}
        for f in sorted((f for f in faults_list if f.effect.pauses), key=lambda f: f.start):
            windows = self.paused.setdefault(f.plugin, [])
            if windows and f.start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(windows[-1][1], f.end))
            else:
                windows.append((f.start, f.end))

    def failure_at(self, plugin: str, t: float) -> tuple[float, str | None]:
        """(probability that an attempt starting at ``t`` fails, the kind a fault imposes or None)."""
        p, kind = self.failure_p[plugin], None
        for start, end, effect, f in self.on.get(plugin, ()):
            if start <= t < end:
                if effect.counted:
                    n = self._calls[id(f)] = self._calls.get(id(f), 0) + 1
                    p, kind, final = effect.on_counted_call(f, n, p, kind)
                else:
                    p, kind, final = effect.on_call(f, p, kind)
                if final:
                    return p, kind
        return p, kind

    def slowdown(self, plugin: str, t: float) -> float:
        """The multiplier of the plugin's service times at ``t``."""
        factor = 1.0
        for start, end, effect, f in self.on.get(plugin, ()):
            if start <= t < end:
                factor *= effect.slowdown(f)
        return factor

    def draw(self, plugin: str, t: float, model: ServiceTime, duration: float | None,
             tokens: float | None, wrong: bool = False) -> tuple[str, float]:
        """How an attempt that starts at ``t`` ends on the plugin, and how long the plugin works on
        it: a failure (by the plugin's failure model, or a fault's kind) with its kind's latency,
        else a success with a service time (``duration`` when the scenario runs plan durations).
        ``wrong``: the plugin is not one the request accepts (``settings.wrong_plugin``)."""
        if plugin in self.on:
            p, imposed = self.failure_at(plugin, t)
            factor = self.slowdown(plugin, t)
        else:
            p, imposed, factor = self.failure_p[plugin], None, 1.0
        if wrong:
            p = 1.0 - (1.0 - p) * self._wrong_keep
            factor *= self._wrong_slow
        if p and self._uniform() < p:
            fm = self.failure_model[plugin]
            kind = imposed or fm.pick(self.rng_failure)
            seconds = fm.duration(kind, self.rng_service)
        else:
            service = duration if duration is not None else model.sample(self.rng_service, tokens)
            kind, seconds = SUCCESS, service * factor
        if self.paused and plugin in self.paused:
            seconds = through_pauses(self.paused[plugin], t, seconds)
        return kind, seconds


def through_pauses(windows: list[tuple[float, float]], t: float, seconds: float) -> float:
    """How long ``seconds`` of work begun at ``t`` takes when no work is done in ``windows``
    (merged, in time order): each pause the work meets adds its length (from ``t`` if it began
    inside one)."""
    end = t + seconds
    for start, stop in windows:
        if stop <= t:
            continue
        if start > end or (start == end and seconds > 0):
            break
        end += stop - max(start, t)
    return end - t
