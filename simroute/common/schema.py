"""Settings declared once: frozen dataclasses whose fields carry their documentation and checks.

A settings class declares each field with :func:`setting` (default, one line of documentation, the
unit, the allowed range or choices). From that one declaration:

* :func:`build` makes the value from a YAML mapping, checking types, finiteness, ranges, choices
  and unknown keys, with errors that name the file, line, entry and field;
* :func:`set_path` sets one field by a dotted path (``retry_classes.timeout.max_retries``) with the
  same checks (sweeps, tuning and widgets use it through :mod:`simroute.experiments.params`);
* :func:`describe` lists every field with its type, default, unit and documentation (the settings
  reference in ``docs/settings.md`` is this table, and a test keeps them equal).

Nested settings classes, ``X | None``, ``tuple[str, ...]``, ``Mapping[str, float]`` and
``Mapping[str, SettingsClass]`` are understood.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from .distributions import DISTRIBUTIONS, ServiceTime
from .errors import InputError, did_you_mean

__all__ = ["setting", "build", "set_path", "describe", "check_value", "check", "documented", "service_time",
           "window", "plain"]


def setting(default: Any = dataclasses.MISSING, doc: str = "", *, unit: str = "",
            lo: float | None = None, hi: float | None = None, lo_open: bool = False,
            choices: tuple[str, ...] | None = None, factory: Any = None) -> Any:
    """A dataclass field with its documentation and checks (see the module docstring)."""
    meta = {"doc": doc, "unit": unit, "lo": lo, "hi": hi, "lo_open": lo_open, "choices": choices}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        import sys
        module = sys.modules[cls.__module__]
        hints = _HINTS[cls] = typing.get_type_hints(cls, vars(module))
    return hints


def _optional(tp: Any) -> tuple[Any, bool]:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _type_name(tp: Any) -> str:
    inner, optional = _optional(tp)
    origin = typing.get_origin(inner)
    if origin is tuple:
        item = (typing.get_args(inner) or (str,))[0]
        name = "list of strings" if item is str else f"list of {_type_name(item)}"
    elif origin is not None and issubclass(origin, Mapping):
        value = typing.get_args(inner)[1]
        name = f"mapping of {_type_name(value)}"
    elif dataclasses.is_dataclass(inner):
        name = getattr(inner, "__name__", str(inner))
    else:
        names = {float: "number", int: "whole number", bool: "true/false", str: "string"}
        name = names.get(inner, getattr(inner, "__name__", str(inner)))
    return name + (" or null" if optional else "")


def check_value(tp: Any, value: Any, meta: Mapping[str, Any] | None = None, where: str = "") -> Any:
    """``value`` checked and converted for a field of type ``tp`` (``ValueError`` if it cannot be)."""
    meta = meta or {}
    inner, optional = _optional(tp)
    if value is None:
        if optional:
            return None
        raise ValueError("must be set (null is not allowed here)")
    if dataclasses.is_dataclass(value) and isinstance(value, inner if isinstance(inner, type) else object):
        return value
    origin = typing.get_origin(inner)
    if inner is bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value
    if inner in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value!r}")
        if inner is int:
            if not float(value).is_integer():
                raise ValueError(f"must be a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
        lo, hi, lo_open = meta.get("lo"), meta.get("hi"), meta.get("lo_open")
        if (lo is not None and (value <= lo if lo_open else value < lo)) or (hi is not None and value > hi):
            lo_s = "-inf" if lo is None else f"{lo:g}"
            hi_s = "inf" if hi is None else f"{hi:g}"
            raise ValueError(f"must be within {'(' if lo_open else '['}{lo_s}, {hi_s}], got {value!r}")
        return value
    if inner is str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be a non-empty string, got {value!r}")
        choices = meta.get("choices")
        if choices and value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return value
    if origin is tuple and (typing.get_args(inner) or (str,))[0] is not str:
        return _items(typing.get_args(inner)[0], value, meta)
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError(f"must be a list of strings, got {value!r}")
        choices = meta.get("choices")
        seen = set()
        for item in value:
            if not isinstance(item, str) or not item:
                raise ValueError(f"must be a list of non-empty strings, got item {item!r}")
            if choices and item not in choices:
                raise ValueError(f"unknown {item!r} (known: {', '.join(choices)})")
            if item in seen:
                raise ValueError(f"{item!r} is listed twice")
            seen.add(item)
        return tuple(value)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a mapping, got {value!r}")
        value_type = typing.get_args(inner)[1]
        choices = meta.get("choices")
        out = {}
        for k, v in value.items():
            if choices and k not in choices:
                raise ValueError(f"unknown key {k!r} (known: {', '.join(choices)})")
            try:
                out[str(k)] = check_value(value_type, v, {"lo": meta.get("lo"), "hi": meta.get("hi")})
            except InputError as exc:
                raise InputError(exc.message, field=f"{k}.{exc.field}" if exc.field else str(k)) from None
            except ValueError as exc:
                raise InputError(str(exc), field=str(k)) from None
        return out
    if inner is ServiceTime:
        return service_time(value)
    if dataclasses.is_dataclass(inner):
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a mapping, got {value!r}")
        return build(inner, value)  # type: ignore[arg-type]
    raise TypeError(f"schema: unsupported field type {tp!r}")


def _items(item_type: Any, value: Any, meta: Mapping[str, Any]) -> tuple:
    """A list of numbers (each within the field's range) or of settings objects, as a tuple; an
    error names the item's index."""
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise ValueError(f"must be a list, got {value!r}")
    bounds = {k: meta.get(k) for k in ("lo", "hi", "lo_open")}
    out = []
    for i, item in enumerate(value):
        try:
            out.append(check_value(item_type, item, bounds))
        except InputError as exc:
            raise InputError(exc.message, field=f"{i}.{exc.field}" if exc.field else str(i)) from None
        except ValueError as exc:
            raise InputError(str(exc), field=str(i)) from None
    return tuple(out)


def service_time(value: Any) -> ServiceTime:
    """A service-time or latency distribution from its YAML spec ``{dist, mean_s (or mean_min), cv,
    per_token_s, tpot_s, tpot_growth}`` (the one rule, for plugins' service models and failure
    latencies): the mean is required, > 0 unless ``deterministic``; errors name the field."""
    if isinstance(value, ServiceTime):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a mapping like {{dist: lognormal, mean_s: 1, cv: 0.5}}, got {value!r}")
    known = ("dist", "mean_s", "mean_min", "cv", "per_token_s", "tpot_s", "tpot_growth")
    for k in value:
        if k not in known:
            raise InputError("unknown field", field=str(k))
    def get(name: str, tp: Any, default: Any, meta: dict[str, Any]) -> Any:
        try:
            return check_value(tp, value.get(name, default), meta)
        except ValueError as exc:
            raise InputError(str(exc), field=name) from None

    dist = get("dist", str, "exponential", {"choices": DISTRIBUTIONS})
    mean_key = "mean_min" if "mean_min" in value else "mean_s"
    if value.get(mean_key) is None:
        raise InputError("missing", field=mean_key)
    mean = get(mean_key, float, None, {"lo": 0, "lo_open": dist != "deterministic"})
    mean *= 60.0 if mean_key == "mean_min" else 1.0
    try:
        return ServiceTime(dist=dist, mean=mean, cv=get("cv", float, 0.5, {"lo": 0}),
                           per_token=get("per_token_s", float, 0.0, {"lo": 0}),
                           tpot=get("tpot_s", float, 0.0, {"lo": 0}),
                           tpot_growth=get("tpot_growth", float, 0.0, {"lo": 0}))
    except ValueError as exc:
        raise InputError(str(exc), field=mean_key) from None


def _error_field(exc: Exception) -> tuple[str | None, str]:
    """``(field, message)`` of an error from a settings class (``"name: message"`` names the field)."""
    if isinstance(exc, InputError):
        return exc.field, exc.message
    text = str(exc)
    head, sep, rest = text.partition(": ")
    if sep and head.replace("_", "").replace(".", "").isalnum() and " " not in head:
        return head, rest
    return None, text


def build(cls: type, raw: Mapping[str, Any]) -> Any:
    """An instance of settings class ``cls`` from a mapping, every field checked.

    Errors are :class:`InputError` whose ``field`` is the dotted path inside ``raw``; the caller
    adds the file, line and entry (see :func:`simroute.io.scenario._build`)."""
    if not isinstance(raw, Mapping):
        raise InputError(f"must be a mapping, got {raw!r}")
    hints = _hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            raise InputError(f"unknown field{did_you_mean(key, known)} (known: {', '.join(known)})",
                             field=str(key))
        try:
            kwargs[key] = check_value(hints[key], value, f.metadata, key)
        except InputError as exc:
            raise exc.at(field=key) if exc.field is None else InputError(
                exc.message, field=f"{key}.{exc.field}") from None
        except ValueError as exc:
            raise InputError(str(exc), field=key) from None
    for required, f in known.items():
        if required not in kwargs and dataclasses.MISSING is f.default is f.default_factory:
            raise InputError("missing (a required field)", field=required)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        name, message = _error_field(exc)
        raise InputError(message, field=name) from None


def set_path(obj: Any, parts: list[str] | tuple[str, ...], value: Any) -> Any:
    """A copy of settings object ``obj`` with the field at ``parts`` set to ``value`` (checked)."""
    if not parts:
        raise InputError("name a field")
    cls = type(obj)
    known = {f.name: f for f in dataclasses.fields(obj)}
    head = parts[0]
    f = known.get(head)
    if f is None:
        raise InputError(f"unknown parameter{did_you_mean(head, known)}: {cls.__name__} has "
                         f"{', '.join(known)}", field=head)
    tp = _hints(cls)[head]
    current = getattr(obj, head)
    inner, _ = _optional(tp)
    try:
        if len(parts) == 1:
            new = check_value(tp, value, f.metadata)
        elif dataclasses.is_dataclass(inner):
            base = current if current is not None else inner()  # type: ignore[operator]
            new = set_path(base, parts[1:], value)
        elif typing.get_origin(inner) is not None and issubclass(typing.get_origin(inner), Mapping):
            value_type = typing.get_args(inner)[1]
            choices = f.metadata.get("choices")
            key = parts[1]
            if choices and key not in choices:
                raise InputError(f"unknown key {key!r} (known: {', '.join(choices)})", field=head)
            mapping = dict(current or {})
            if len(parts) == 2:
                mapping[key] = check_value(value_type, value, {"lo": f.metadata.get("lo"),
                                                               "hi": f.metadata.get("hi")})
            else:
                base = mapping.get(key) or value_type()
                mapping[key] = set_path(base, parts[2:], value)
            new = mapping
        else:
            raise InputError(f"{head} has no field {parts[1]!r}", field=head)
        return dataclasses.replace(obj, **{head: new})
    except InputError as exc:
        raise exc.at(field=".".join(parts)) from None
    except (TypeError, ValueError) as exc:
        _, message = _error_field(exc)
        raise InputError(f"cannot be {value!r}: {message}", field=".".join(parts)) from None


def describe(cls: type, prefix: str = "") -> list[dict[str, str]]:
    """One row per leaf field of ``cls``: ``path, type, default, unit, doc`` (nested classes
    are expanded; mappings as ``path.<kind>``)."""
    rows = []
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        inner, _ = _optional(tp)
        path = f"{prefix}{f.name}"
        origin = typing.get_origin(inner)
        if dataclasses.is_dataclass(inner) and inner is not ServiceTime:
            rows.extend(describe(inner, path + "."))  # type: ignore[arg-type]
            continue
        if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
            value_type = typing.get_args(inner)[1]
            scalar = not dataclasses.is_dataclass(value_type)
            made = f.default_factory() if f.default_factory is not dataclasses.MISSING else {}
            shown = ("{" + ", ".join(f"{k}: {_show(v)}" for k, v in dict(made).items()) + "}"
                     if scalar else "{}")
            rows.append({"path": f"{path}.<kind>",
                         "type": _type_name(value_type) if scalar else f"mapping of {_type_name(value_type)}",
                         "default": shown, "unit": f.metadata.get("unit", "") if scalar else "",
                         "doc": f.metadata.get("doc", "")})
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = "required"
        rows.append({"path": path, "type": _type_name(tp), "default": _show(default),
                     "unit": f.metadata.get("unit", ""), "doc": f.metadata.get("doc", "")})
    return rows


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, ServiceTime):
        cv = f" cv {value.cv:g}" if value.dist == "lognormal" else ""
        return f"{value.dist} mean {value.mean:g} s{cv}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check(obj: Any) -> None:
    """Check every field of settings object ``obj`` against its declaration (in ``__post_init__``:
    a value built in code is held to the same rules as one read from YAML)."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) or (isinstance(value, Mapping) and value and
                                               dataclasses.is_dataclass(next(iter(value.values())))):
            continue  # nested settings check themselves
        try:
            checked = check_value(hints[f.name], value, f.metadata)
        except InputError as exc:
            raise exc.at(field=f.name) if exc.field is None else InputError(
                exc.message, field=f"{f.name}.{exc.field}") from None
        except ValueError as exc:
            raise InputError(str(exc), field=f.name) from None
        if isinstance(checked, tuple) and checked != value:
            object.__setattr__(obj, f.name, checked)


def window(start: float, end: float) -> None:
    """The one rule of a time window (a fault's, a surge's): ``0 <= start < end`` seconds."""
    if not 0 <= start < end:
        raise InputError(f"need 0 <= start < end, got {start}..{end}", field="start")


def documented(cls: type) -> type:
    """Class decorator: append a ``Parameters:`` section to ``cls.__doc__`` from its declared
    fields (the same table as :func:`describe`), so the reference documents every field once."""
    rows = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        unit = f" ({meta['unit']})" if meta.get("unit") else ""
        if f.default is not dataclasses.MISSING:
            default = _show(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
            default = type(value).__name__ + "()" if dataclasses.is_dataclass(value) else _show(value)
        else:
            default = "required"
        doc = meta.get("doc") or f"see {getattr(_hints(cls)[f.name], '__name__', f.name)}"
        rows.append(f"    {f.name}: {doc}{unit}; default {default}.")
    cls.__doc__ = (cls.__doc__ or cls.__name__).rstrip() + "\n\nParameters:\n" + "\n".join(rows) + "\n"
    return cls


def plain(value: Any) -> Any:
    """A table cell as the plain Python value a setting takes: a numpy scalar as its Python
    number, NaN (pandas' stand-in for a missing value, such as a null setting) as None."""
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value
