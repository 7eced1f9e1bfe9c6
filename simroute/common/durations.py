"""Durations as people write them: ``90`` (seconds), ``90s``, ``1.5m``, ``5min``, ``2h``."""

from __future__ import annotations

import math
import re

from .errors import InputError

__all__ = ["parse_duration", "DURATION_UNITS"]

#: a duration's unit → seconds per unit
DURATION_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*$")


def parse_duration(value: str | float, field: str = "duration") -> float:
    """Seconds from a number (seconds) or a text with a unit (``30s``, ``5m``, ``2h``).

    Parameters:
        value: the duration.
        field: the field named in an error.

    Returns:
        Seconds, finite and > 0.

    Raises:
        InputError: not a duration, an unknown unit, or not > 0 (one line naming ``field``).
    """
    if isinstance(value, bool):
        raise InputError(f"must be a duration such as 90s, 1.5m or 2h, got {value!r}", field=field)
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _PATTERN.match(str(value).lower())
        if m is None or (m[2] and m[2] not in DURATION_UNITS):
            raise InputError(f"must be a duration such as 90s, 1.5m or 2h (a bare number is seconds), "
                             f"got {value!r}", field=field)
        seconds = float(m[1]) * DURATION_UNITS[m[2] or "s"]
    if not seconds > 0 or math.isinf(seconds):
        raise InputError(f"must be > 0 seconds, got {value!r}", field=field)
    return seconds
