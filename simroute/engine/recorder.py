"""Columnar recording: one list per column, each DataFrame built once at the end.

Attempts and requests arrive as named rows (:mod:`simroute.engine.records`) and are read by
column name; the small tables (breakers, sagas) take rows of values, refused when of the wrong
length. A table can stream its rows on a chunk at a time (to Parquet) instead of keeping them."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from .bus import MESSAGE_COLUMNS
from .records import ATTEMPT_COLUMNS, DERIVED_ATTEMPT_COLUMNS, RECORDED_ATTEMPT_COLUMNS, REQUEST_COLUMNS

__all__ = ["Recorder", "Table", "CHUNK",
           "REQUEST_COLUMNS", "ATTEMPT_COLUMNS", "BREAKER_COLUMNS", "SAGA_COLUMNS"]

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


CHUNK = 65_536  #: rows a streamed table hands on at a time


class Table:
    """One growing table of named rows, one typed column each.

    :meth:`write` appends a named row (an object whose attributes are the columns); :meth:`add`
    a row of values in column order. With ``on_chunk``, every :data:`CHUNK` rows are handed on
    (to a writer that streams them to disk) and the columns start again empty, so that a long run
    never holds its table.

    Parameters:
        columns: the column names, in order.
        types: typed storage for some columns (``"d"`` float64, ``"q"`` int64, ``"b"`` bool).
        on_chunk: called with each full chunk as ``{column: values}`` instead of keeping it.
    """

    def __init__(self, columns: tuple[str, ...], types: Mapping[str, str] | None = None,
                 on_chunk: Callable[[dict[str, list | array]], None] | None = None) -> None:
        for name in columns:
            if not name.isidentifier():
                raise ValueError(f"column {name!r} is not an attribute name")
        self.columns = columns
        self.types = dict(types or {})
        self.store = _columns(columns, self.types)
        self.on_chunk = on_chunk
        self.write = self._writer()

    def _writer(self) -> Callable[[object], None]:
        """The hot path, generated for the table (as :func:`collections.namedtuple` generates its
        class): one bound ``append`` of one attribute per column, with no loop, tuple or lookup
        by name at run time; with ``on_chunk``, one length check."""
        body = [f"    _{i}(row.{name})" for i, name in enumerate(self.columns)]
        scope: dict = {f"_{i}": column.append for i, column in enumerate(self.store.values())}
        if self.on_chunk is not None:
            scope.update(first=next(iter(self.store.values())), CHUNK=CHUNK, flush=self.flush)
            body.append("    if len(first) >= CHUNK:\n        flush()")
        exec("def write(row):\n" + "\n".join(body) + "\n", scope)  # noqa: S102 (names checked)
        return scope["write"]  # type: ignore[no-any-return]

    def add(self, *values: object) -> None:
        """Append a row given as values in column order (refused when the length is wrong)."""
        if len(values) != len(self.columns):
            raise ValueError(f"a row of {len(values)} values for {len(self.columns)} columns "
                             f"({', '.join(self.columns)})")
        for column, value in zip(self.store.values(), values, strict=True):
            column.append(value)

    def flush(self) -> None:
        """Hand the rows held to ``on_chunk`` and start again empty (without it: nothing to do)."""
        if self.on_chunk is None:
            return
        n = len(next(iter(self.store.values())))
        if not n:
            return
        chunk = {k: array(v.typecode, v) if isinstance(v, array) else list(v) for k, v in self.store.items()}
        for column in self.store.values():  # emptied in place: the writer's appends stay bound
            del column[:]
        self.on_chunk(chunk)

    def frame(self, seed: int, replication: int) -> pd.DataFrame:
        """The rows kept, as a DataFrame (see :meth:`Recorder.frame`); the storage is emptied."""
        return Recorder.frame(self.store, seed, replication, consume=True)


class Recorder:
    """The run's tables. The engine calls ``request(row)``, ``attempt(row)``, ``breaker(*values)``
    and ``saga(*values)`` as rows happen (each is the table's own writer, bound once).

    Parameters:
        on_chunk: ``table name → callable`` for tables to stream (see :class:`Table`) instead of
            keeping them (requests, attempts).
    """

    def __init__(self, on_chunk: Mapping[str, Callable[[dict[str, list | array]], None]] | None = None
                 ) -> None:
        on_chunk = on_chunk or {}
        self.requests = Table(REQUEST_COLUMNS, TYPES["requests"], on_chunk.get("requests"))
        self.attempts = Table(RECORDED_ATTEMPT_COLUMNS, TYPES["attempts"], on_chunk.get("attempts"))
        self.breakers = Table(BREAKER_COLUMNS)
        self.sagas = Table(SAGA_COLUMNS)
        self.messages = _columns(MESSAGE_COLUMNS, TYPES["messages"])
        #: a request ended: its :class:`~simroute.engine.records.RequestState`
        self.request: Callable[[object], None] = self.requests.write
        #: an attempt ended: its :class:`~simroute.engine.records.Call`
        self.attempt: Callable[[object], None] = self.attempts.write
        self.breaker = self.breakers.add
        self.saga = self.sagas.add

    @staticmethod
    def attempts_frame(table: Table | dict[str, list | array], seed: int, replication: int) -> pd.DataFrame:
        """The attempts table: the recorded columns, the derived ones (``queue_wait`` = start −
        queued, ``service`` = server_end − start) computed at once, in ``ATTEMPT_COLUMNS`` order."""
        if isinstance(table, Table):
            table = table.store
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
