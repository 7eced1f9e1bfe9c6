"""Columnar recording: one list per column, each DataFrame built once at the end.

Attempts and requests arrive as named rows (:mod:`simroute.engine.records`) and are read by
column name; the small tables (breakers, sagas) are written with :meth:`Recorder.add`, which
refuses a row of the wrong length either way."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from .bus import MESSAGE_COLUMNS
from .records import ATTEMPT_COLUMNS, DERIVED_ATTEMPT_COLUMNS, RECORDED_ATTEMPT_COLUMNS, REQUEST_COLUMNS

__all__ = ["Recorder", "REQUEST_COLUMNS", "ATTEMPT_COLUMNS", "BREAKER_COLUMNS", "SAGA_COLUMNS"]

BREAKER_COLUMNS = ("plugin", "time", "from_state", "to_state")
SAGA_COLUMNS = ("request_id", "saga", "step", "action", "argument", "direction", "plugin",
                "start", "end", "outcome", "attempts")

#: typed storage for the numeric columns of the two big tables: "d" float64, "q" int64, "b" bool;
#: 8 bytes a value instead of a Python object each, and no conversion when the frame is built
TYPES = {
    "requests": {"request_id": "q", "arrival": "d", "end": "d", "latency": "d", "phases": "q",
                 "attempts": "q", "retries": "q", "fallbacks": "q", "cost": "d", "est_cost": "d",
                 "est_duration": "d", "plan_cost": "d", "budget": "d", "optimized": "b",
                 "context_tokens": "d", "generated_tokens": "d"},
    "attempts": {"request_id": "q", "fallback_level": "q", "attempt": "q", "hedge": "q", "queued": "d",
                 "start": "d", "end": "d", "server_end": "d", "queue_wait": "d", "service": "d",
                 "retry_after": "d", "abandoned": "b", "cost": "d"},
    "messages": {"message_id": "q", "published": "d", "delivered": "d"},
}
_NUMPY = {"d": np.float64, "q": np.int64, "b": np.int8}


def _columns(names: tuple[str, ...], types: dict[str, str]) -> dict[str, list | array]:
    return {k: array(types[k]) if k in types else [] for k in names}


class Recorder:
    def __init__(self) -> None:
        self.requests = _columns(REQUEST_COLUMNS, TYPES["requests"])
        self.attempts = _columns(RECORDED_ATTEMPT_COLUMNS, TYPES["attempts"])
        self.breakers: dict[str, list] = {k: [] for k in BREAKER_COLUMNS}
        self.sagas: dict[str, list] = {k: [] for k in SAGA_COLUMNS}
        self.messages = _columns(MESSAGE_COLUMNS, TYPES["messages"])

    @staticmethod
    def add(table: dict[str, list], *values) -> None:
        if len(values) != len(table):
            raise ValueError(f"a row of {len(values)} values for {len(table)} columns ({', '.join(table)})")
        for column, value in zip(table.values(), values, strict=True):
            column.append(value)

    @staticmethod
    def writer(table: dict[str, list | array]) -> Callable[[object], None]:
        """A function appending one named row — an object whose attributes are the columns — to
        ``table``. The hot path: the function is generated for the table (as
        :func:`collections.namedtuple` generates its class), one bound ``append`` of one
        attribute per column, with no loop, tuple or lookup by name at run time."""
        names = list(table)
        for name in names:
            if not name.isidentifier():
                raise ValueError(f"column {name!r} is not an attribute name")
        body = "\n".join(f"    _{i}(row.{name})" for i, name in enumerate(names))
        scope = {f"_{i}": column.append for i, column in enumerate(table.values())}
        exec(f"def write(row):\n{body}\n", scope)  # noqa: S102 (names checked above)
        return scope["write"]  # type: ignore[no-any-return]

    @staticmethod
    def attempts_frame(table: dict[str, list | array], seed: int, replication: int) -> pd.DataFrame:
        """The attempts table: the recorded columns, the derived ones (``queue_wait`` = start −
        queued, ``service`` = server_end − start) computed at once, in ``ATTEMPT_COLUMNS`` order."""
        df = Recorder.frame(table, seed, replication, consume=True)
        for name, (a, b) in DERIVED_ATTEMPT_COLUMNS.items():
            df[name] = (df[a] - df[b]) if len(df) else pd.Series(dtype=float)
        return df[[*ATTEMPT_COLUMNS, "seed", "replication"]]

    @staticmethod
    def frame(table: Mapping[str, list | array], seed: int, replication: int, *,
              consume: bool = False) -> pd.DataFrame:
        """Build once: typed columns without a copy, numeric lists through numpy, string columns
        straight to pandas' string dtype (the dtypes ``pd.DataFrame(table)`` would infer, about
        three times faster). ``consume`` empties each list once converted, so that the lists and
        the frame are not both held whole (the run's own tables)."""
        n = len(next(iter(table.values()), []))
        columns: dict[str, object] = {}
        for name, values in table.items():
            if isinstance(values, array):
                if not n:
                    values = []  # as pandas infers an empty list: object
                elif values.typecode == "b":
                    columns[name] = np.frombuffer(values, dtype=np.int8).astype(bool)
                    continue
                else:
                    columns[name] = np.frombuffer(values, dtype=_NUMPY[values.typecode])
                    continue
            first = values[0] if values else None
            if isinstance(first, str):
                columns[name] = pd.array(values, dtype="str")
            elif isinstance(first, bool | int | float) and not isinstance(first, np.bool_):
                arr = np.asarray(values)
                columns[name] = arr if arr.dtype != object else _objects(values)
            else:
                columns[name] = _objects(values) if values else values
            if consume and isinstance(values, list):
                values.clear()
        df = pd.DataFrame(columns, copy=False)
        df["seed"] = np.full(n, seed)
        df["replication"] = np.full(n, replication)
        return df


def _objects(values: list) -> np.ndarray:
    """An object array holding ``values`` as they are (dicts stay dicts)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
