"""Scenario parameters by dotted path, for sweeps, tuning and widgets.

``with_params(scenario, {"breaker.failure_threshold": 3, "plugins.fastapi-backend.capacity": 8})``
returns a new scenario. Paths:

* settings: ``breaker.<field>``, ``retry.<field>``, ``retry_budget.<field>`` (``retry_budget`` alone:
  ``None`` switches it off), ``weights.<field>``, and the plain settings ``bus_latency``,
  ``record_messages``, ``service``, ``on_over_budget``, ``max_fallbacks``, ``share_state``,
  ``route_around_open`` (each also as ``settings.<name>``);
* catalog: ``plugins.<plugin>.<capacity|failure_p|availability|priority>``, ``plugins.*.<field>``
  (every plugin but the orchestrator), ``tiers.<tier>.<price|input_per_mtok|output_per_mtok>``;
* workload: ``workload.<rate|requests|time_scale|mean_on|mean_off|amplitude|period>``, and
  ``workload.budget`` (every mix entry's budget; ``None``: no budget);
* faults: ``faults[<i>].<start|end|value>``; and ``horizon``.

A path that names nothing raises :class:`~simroute.errors.InputError` naming the path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from .errors import InputError
from .scenario import RetryBudgetSettings, Scenario

__all__ = ["with_params", "check_path", "PLUGIN_FIELDS", "TIER_FIELDS", "WORKLOAD_FIELDS"]

SETTINGS_GROUPS = ("breaker", "retry", "retry_budget", "weights")
PLAIN_SETTINGS = ("bus_latency", "record_messages", "service", "on_over_budget", "max_fallbacks",
                  "share_state", "route_around_open")
PLUGIN_FIELDS = ("capacity", "failure_p", "availability", "priority")
TIER_FIELDS = ("price", "input_per_mtok", "output_per_mtok")
WORKLOAD_FIELDS = ("rate", "requests", "time_scale", "mean_on", "mean_off", "amplitude", "period")
FAULT_FIELDS = ("start", "end", "value")
_FAULT = re.compile(r"faults\[(\d+)\]\.(\w+)$")


def _bad(path: str, message: str) -> InputError:
    return InputError(message, entry=path, field="param")


def check_path(scenario: Scenario, path: str) -> None:
    """Raise :class:`InputError` unless ``path`` names a parameter of ``scenario``."""
    with_params(scenario, {path: _current(scenario, path)})


def _current(scenario: Scenario, path: str) -> Any:
    """The value at ``path`` now (used to check a path without changing anything)."""
    parts = path.removeprefix("settings.").split(".")
    s = scenario.settings
    if parts[0] in SETTINGS_GROUPS:
        group = getattr(s, parts[0])
        if len(parts) == 1:
            return group
        if group is None:
            group = RetryBudgetSettings()
        return getattr(group, parts[1], None)
    if parts[0] in PLAIN_SETTINGS:
        return getattr(s, parts[0])
    if parts[0] == "plugins" and len(parts) == 3:
        name = next(iter(scenario.catalog.plugins)) if parts[1] == "*" else parts[1]
        plugin = scenario.catalog.plugins.get(name)
        return getattr(plugin, parts[2], None) if plugin else None
    if parts[0] == "tiers" and len(parts) == 3:
        tier = scenario.catalog.tiers.get(parts[1])
        return getattr(tier, parts[2], None) if tier else None
    if parts[0] == "workload" and len(parts) == 2:
        if parts[1] == "budget":
            return scenario.workload.mix[0].budget
        return getattr(scenario.workload, parts[1], None)
    m = _FAULT.match(path)
    if m and int(m[1]) < len(scenario.faults):
        return getattr(scenario.faults[int(m[1])], m[2], None)
    if path == "horizon":
        return scenario.horizon
    return None


def with_params(scenario: Scenario, params: Mapping[str, Any]) -> Scenario:
    """``scenario`` with each dotted-path parameter set (see the module docstring)."""
    for path, value in params.items():
        try:
            scenario = _set(scenario, str(path), value)
        except InputError as exc:
            if exc.entry:
                raise
            raise _bad(path, exc.message) from None
        except (TypeError, ValueError) as exc:
            raise _bad(path, f"cannot be {value!r}: {exc}") from None
    return scenario


def _set(sc: Scenario, path: str, value: Any) -> Scenario:
    parts = path.removeprefix("settings.").split(".")
    s = sc.settings
    head = parts[0]
    if head in SETTINGS_GROUPS:
        if len(parts) == 1 and head == "retry_budget":
            return sc.replace(settings=replace(s, retry_budget=value))
        if len(parts) != 2:
            raise _bad(path, f"name a field of {head}, e.g. {head}.{fields(_group_type(head))[0].name}")
        group = getattr(s, head) or RetryBudgetSettings()
        known = [f.name for f in fields(group)]
        if parts[1] not in known:
            raise _bad(path, f"unknown parameter: {head} has {', '.join(known)}")
        return sc.replace(settings=replace(s, **{head: replace(group, **{parts[1]: value})}))
    if head in PLAIN_SETTINGS and len(parts) == 1:
        return sc.replace(settings=replace(s, **{head: value}))
    if head == "plugins" and len(parts) == 3:
        _, name, attr = parts
        if attr not in PLUGIN_FIELDS:
            raise _bad(path, f"a plugin parameter is one of {', '.join(PLUGIN_FIELDS)}")
        cat = sc.catalog
        names = ([n for n in cat.plugins if n != cat.orchestrator.name] if name == "*" else [name])
        for n in names:
            if n not in cat.plugins:
                raise _bad(path, f"unknown plugin {n!r}")
            cat = cat.with_plugin(n, **{attr: int(value) if attr == "capacity" else value})
        return sc.replace(catalog=cat)
    if head == "tiers" and len(parts) == 3:
        _, name, attr = parts
        if name not in sc.catalog.tiers:
            raise _bad(path, f"unknown model tier {name!r} (known: {', '.join(sc.catalog.tiers)})")
        if attr not in TIER_FIELDS:
            raise _bad(path, f"a tier parameter is one of {', '.join(TIER_FIELDS)}")
        if value is not None and value < 0:
            raise _bad(path, f"a price must be >= 0, got {value}")
        tiers = dict(sc.catalog.tiers)
        tiers[name] = replace(tiers[name], **{attr: value})
        return sc.replace(catalog=sc.catalog.replace(tiers=tiers))
    if head == "workload" and len(parts) == 2:
        w = sc.workload
        if parts[1] == "budget":
            if value is not None and value < 0:
                raise _bad(path, f"a budget must be >= 0 dollars, got {value}")
            mix = tuple(replace(m, budget=value) for m in w.mix)
            return sc.replace(workload=replace(w, mix=mix))
        if parts[1] not in WORKLOAD_FIELDS:
            raise _bad(path, f"a workload parameter is one of {', '.join((*WORKLOAD_FIELDS, 'budget'))}")
        if parts[1] == "requests" and value is not None:
            value = int(value)
        return sc.replace(workload=replace(w, **{parts[1]: value}))
    m = _FAULT.match(path)
    if m:
        i, attr = int(m[1]), m[2]
        if i >= len(sc.faults):
            raise _bad(path, f"the scenario has {len(sc.faults)} faults")
        if attr not in FAULT_FIELDS:
            raise _bad(path, f"a fault parameter is one of {', '.join(FAULT_FIELDS)}")
        faults = list(sc.faults)
        faults[i] = replace(faults[i], **{attr: value})
        return sc.replace(faults=tuple(faults))
    if path == "horizon":
        return sc.replace(horizon=value)
    raise _bad(path, "unknown parameter path (see simroute.params: breaker.*, retry.*, weights.*, "
               "plugins.NAME.*, tiers.NAME.price, workload.*, faults[i].*, horizon …)")


def _group_type(head: str) -> type:
    from .breaker import BreakerSettings
    from .retry import RetryPolicy
    from .scoring import ScoringWeights

    return {"breaker": BreakerSettings, "retry": RetryPolicy, "retry_budget": RetryBudgetSettings,
            "weights": ScoringWeights}[head]
