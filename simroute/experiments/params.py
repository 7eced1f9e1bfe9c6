"""Scenario parameters by dotted path, for sweeps, tuning and widgets.

``with_params(scenario, {"breaker.failure_threshold": 3, "plugins.fastapi-backend.capacity": 8})``
returns a new scenario. Paths:

* settings: every field of :class:`~simroute.io.settings.Settings` by its dotted path, checked as
  the YAML parser checks it (one declaration, :mod:`simroute.common.schema`): ``breaker.<field>``,
  ``retry.<field>``, ``retry_classes.<kind>.<field>``, ``retry_budget.<field>`` (``retry_budget``
  alone: ``None`` switches it off), ``timeout.<attempt|deadline|cancel_abandoned>``,
  ``hedge.<delay|max_copies>``, ``bulkhead.max_concurrent``, ``shedding.<max_queue|max_wait>``,
  ``weights.<field>``, and the plain settings ``bus_latency``, ``record_messages``, ``service``,
  ``on_over_budget``, ``max_fallbacks``, ``share_state``, ``route_around_open`` (each also as
  ``settings.<name>``; ``docs/settings.md`` lists them all);
* catalog: ``plugins.<plugin>.<capacity|failure_p|availability|priority|timeout_s|rpm|tpm>``,
  ``plugins.<plugin>.failure.<kinds.KIND|hang_s|retry_after_s>``, ``plugins.*.<field>`` (every
  plugin but the orchestrator), ``tiers.<tier>.<price|input_per_mtok|output_per_mtok>``;
* workload: ``workload.<rate|requests|time_scale|mean_on|mean_off|amplitude|period>``, and
  ``workload.budget`` (every mix entry's budget; ``None``: no budget);
* workload surges: ``workload.surges[<i>].<start|end|factor>``; rate profiles:
  ``workload.profile[<i>].<field>`` (a shape's number: ``factor``, ``factor_to``, ``amplitude`` …);
* faults: ``faults[<i>].<start|end|value|failure>``; and ``horizon``.

A path that names nothing raises :class:`~simroute.common.errors.InputError` naming the path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from ..common.errors import InputError, did_you_mean
from ..common.schema import check_value, set_path
from ..io.scenario import Scenario
from ..io.settings import Settings
from ..policies.catalog import PLUGIN_NUMBERS, check_plugin_number

__all__ = ["with_params", "check_space", "suggest", "PLUGIN_FIELDS", "TIER_FIELDS", "WORKLOAD_FIELDS"]

PLUGIN_FIELDS = tuple(PLUGIN_NUMBERS)
TIER_FIELDS = ("price", "input_per_mtok", "output_per_mtok")
WORKLOAD_FIELDS = ("rate", "requests", "time_scale", "mean_on", "mean_off", "amplitude", "period")
FAULT_FIELDS = ("start", "end", "value", "failure")
_SETTINGS_FIELDS = {f.name for f in fields(Settings)}
_SURGE = re.compile(r"workload\.surges\[(\d+)\]\.(\w+)$")
_FAULT = re.compile(r"faults\[(\d+)\]\.(\w+)$")
_SHAPE = re.compile(r"workload\.profile\[(\d+)\]\.(\w+)$")


def _bad(path: str, message: str) -> InputError:
    return InputError(message, entry=path, field="param")


def check_space(space: Mapping[str, Any], *, ranges: bool) -> None:
    """Each parameter's values: a non-empty list, or — when ``ranges`` — a ``(low, high)`` tuple.

    Paths are checked where the values are set (:func:`with_params`)."""
    if not space:
        raise InputError("give at least one parameter", field="params")
    for path, values in space.items():
        if isinstance(values, tuple):
            if not ranges:
                raise InputError("a (low, high) range needs sampling='random' or 'lhs'; list values "
                                 "for a grid", entry=path, field="values")
            if (len(values) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                            and math.isfinite(v) for v in values)
                    or not values[0] <= values[1]):
                raise InputError(f"a range is (low, high): finite numbers with low <= high, got {values!r}",
                                 entry=path, field="values")
        elif isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
            raise InputError(f"needs a non-empty list of values, got {values!r}", entry=path,
                             field="values")
        elif not all(v is None or isinstance(v, bool | int | float | str) for v in values):
            raise InputError(f"each value is a number, true/false, a string or null, got {values!r}",
                             entry=path, field="values")


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
    head = parts[0]
    if head in _SETTINGS_FIELDS:
        try:
            return sc.replace(settings=set_path(sc.settings, parts, value))
        except InputError as exc:
            raise _bad(path, exc.message) from None
    if head == "plugins" and len(parts) >= 3:
        name, attr = parts[1], parts[2]
        if attr not in (*PLUGIN_FIELDS, "failure") or (attr != "failure" and len(parts) != 3):
            raise _bad(path, f"a plugin parameter is one of {', '.join(PLUGIN_FIELDS)} or failure.FIELD")
        cat = sc.catalog
        names = ([n for n in cat.plugins if n != cat.orchestrator.name] if name == "*" else [name])
        for n in names:
            if n not in cat.plugins:
                raise _bad(path, f"unknown plugin {n!r}{did_you_mean(n, cat.plugins)}")
            if attr == "failure" and parts[3:4] == ["kinds"] and len(parts) == 5:
                new = cat.plugins[n].failure.with_share(parts[4], value)  # the others fill the rest
            elif attr == "failure":
                new = set_path(cat.plugins[n].failure, parts[3:], value)
            else:
                new = check_plugin_number(attr, value)
            cat = cat.with_plugin(n, **{attr: new})
        return sc.replace(catalog=cat)
    if head == "tiers" and len(parts) == 3:
        _, name, attr = parts
        if name not in sc.catalog.tiers:
            raise _bad(path, f"unknown model tier {name!r} (known: {', '.join(sc.catalog.tiers)})")
        if attr not in TIER_FIELDS:
            raise _bad(path, f"a tier parameter is one of {', '.join(TIER_FIELDS)}")
        value = check_value(float if attr == "price" else float | None, value, {"lo": 0})  # no NaN, no inf
        tiers = dict(sc.catalog.tiers)
        tiers[name] = replace(tiers[name], **{attr: value})
        return sc.replace(catalog=sc.catalog.replace(tiers=tiers))
    if head == "workload" and len(parts) == 2:
        w = sc.workload
        if parts[1] == "budget":  # None: no budget (NaN is not a way to say it)
            value = check_value(float | None, value, {"lo": 0})
            mix = tuple(replace(m, budget=value) for m in w.mix)
            return sc.replace(workload=replace(w, mix=mix))
        if parts[1] not in WORKLOAD_FIELDS:
            raise _bad(path, f"a workload parameter is one of {', '.join((*WORKLOAD_FIELDS, 'budget'))}")
        if parts[1] == "requests":  # a whole number (10.7 is refused, not cut to 10)
            value = check_value(int | None, value, {"lo": 0})
        return sc.replace(workload=replace(w, **{parts[1]: value}))
    m = _SURGE.match(path)
    if m:
        i, attr = int(m[1]), m[2]
        w = sc.workload
        if i >= len(w.surges):
            raise _bad(path, f"the workload has {len(w.surges)} surges")
        if attr not in ("start", "end", "factor"):
            raise _bad(path, "a surge parameter is one of start, end, factor")
        surges = list(w.surges)
        surges[i] = replace(surges[i], **{attr: check_value(float, value)})
        return sc.replace(workload=replace(w, surges=tuple(surges)))
    m = _SHAPE.match(path)
    if m:
        i, attr = int(m[1]), m[2]
        w = sc.workload
        if i >= len(w.profile):
            raise _bad(path, f"the workload's profile has {len(w.profile)} shapes")
        shape: Any = w.profile[i]  # each shape is a dataclass (simroute.io.profiles)
        numbers = [f.name for f in fields(shape) if isinstance(getattr(shape, f.name), float)]
        if attr not in numbers:
            raise _bad(path, f"a {shape.shape} shape's parameter is one of {', '.join(numbers)}")
        shapes = list(w.profile)
        try:
            shapes[i] = replace(shape, **{attr: check_value(float, value)})
        except InputError as exc:
            raise _bad(path, exc.message) from None
        return sc.replace(workload=replace(w, profile=tuple(shapes)))
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
        return sc.replace(horizon=check_value(float | None, value, {"lo": 0, "lo_open": True}))
    hint = did_you_mean(head, [*_SETTINGS_FIELDS, "plugins", "tiers", "workload", "faults", "horizon"])
    raise _bad(path, f"unknown parameter path{hint} (see simroute.params: breaker.*, retry.*, weights.*, "
               "plugins.NAME.*, tiers.NAME.price, workload.*, faults[i].*, horizon …)")


def suggest(trial: Any, path: str, values: Any) -> Any:
    """An Optuna trial's value for ``path``: an int or float from a ``(low, high)`` range (ints when
    both ends are), else one of the listed choices."""
    if isinstance(values, tuple):
        lo, hi = values
        if isinstance(lo, int) and isinstance(hi, int):
            return trial.suggest_int(path, lo, hi)
        return trial.suggest_float(path, float(lo), float(hi))
    return trial.suggest_categorical(path, list(values))
