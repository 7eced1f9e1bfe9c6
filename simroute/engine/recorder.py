"""Columnar recording: one list per column, each DataFrame built once at the end.

Attempts and requests arrive as named rows (:mod:`simroute.engine.records`) and are read by
column name; the small tables (breakers, sagas) take rows of values, refused when of the wrong
length. A table can stream its rows on a chunk at a time (to Parquet) instead of keeping them."""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .bus import MESSAGE_COLUMNS
from .records import ATTEMPT_COLUMNS, DERIVED_ATTEMPT_COLUMNS, RECORDED_ATTEMPT_COLUMNS, REQUEST_COLUMNS, Row

__all__ = ["Recorder", "Table", "CHUNK",
           "REQUEST_COLUMNS", "ATTEMPT_COLUMNS", "BREAKER_COLUMNS", "SAGA_COLUMNS"]

BREAKER_COLUMNS = ("plugin", "time", "from_state", "to_state")
SAGA_COLUMNS = ("request_id", "saga", "step", "action", "argument", "direction", "plugin",
                "start", "end", "outcome", "attempts")

#: typed storage for the columns of the two big tables: "d" float64, "q" int64 (8 bytes a value),
#: "b" bool (1 byte) — instead of a Python object each, no conversion when the frame is built — and
#: "c" a categorical string (a 4-byte code per row; the frame's column is a pandas Categorical)
TYPES = {
    "requests": {"request_id": "q", "arrival": "d", "end": "d", "latency": "d", "phases": "q",
                 "attempts": "q", "retries": "q", "fallbacks": "q", "cost": "d", "est_cost": "d",
                 "est_duration": "d", "plan_cost": "d", "budget": "d", "optimized": "b",
                 "context_tokens": "d", "generated_tokens": "d", "ttft": "d", "tpot": "d",
                 "status": "c", "reason": "c",
                 "text": "c", "complexity": "c", "saga": "c", "primary": "c", "plugins_used": "c"},
    "attempts": {"request_id": "q", "fallback_level": "q", "attempt": "q", "hedge": "q", "queued": "d",
                 "start": "d", "end": "d", "server_end": "d", "queue_wait": "d", "service": "d",
                 "retry_after": "d", "abandoned": "b", "cost": "d", "phase": "c", "plugin": "c",
                 "outcome": "c", "tier": "c"},
    "messages": {"message_id": "q", "published": "d", "delivered": "d"},
}
#: the numpy dtype of each kind of typed column (a categorical's: its codes')
_DTYPES = {"d": np.float64, "q": np.int64, "b": np.bool_, "c": np.int32}


def _columns(names: tuple[str, ...], types: dict[str, str]) -> dict[str, list | array]:
    """The message table's columns (the bus appends to them): a typed array, else a list."""
    return {k: array(types[k]) if k in types else [] for k in names}


class _Codes(dict):
    """A categorical column's values → their codes; a value seen for the first time gets the next
    code (one dict lookup per row on the hot path)."""

    __slots__ = ()

    def __missing__(self, value: str) -> int:
        code = self[value] = len(self)
        return code

    def decode(self, codes: array | np.ndarray) -> pd.Categorical:
        """The column as a Categorical, from ``codes``: storage that is not written again (a
        private copy, or a table that is closed), since it may be read in place."""
        values = np.asarray(codes, dtype=np.int32) if len(codes) else np.zeros(0, np.int32)
        return pd.Categorical.from_codes(values, categories=pd.Index(list(self), dtype="str"))


#: a column as stored (typed array, list) or made ready for a frame (numpy array, Categorical)
Column: TypeAlias = list | array | np.ndarray | pd.Categorical

CHUNK = 65_536  #: rows a streamed table hands on at a time
#: rows :meth:`Table.write` gathers in plain lists before moving them to the typed columns (their
#: greatest common divisor with CHUNK, so that chunks are CHUNK rows): a value is one list append on
#: the hot path, and a column takes a batch of values in one call
BATCH = 1024


class Table:
    """One growing table of named rows, one typed column each.

    :meth:`write` appends a named row (a :class:`~simroute.engine.records.Row`, which appends its
    values to one list per column); :meth:`add` a row of values in column order. The rows wait in
    those lists and move to the columns :data:`BATCH` rows at a time: a typed column is one numpy
    array that doubles its capacity as it fills (read in place, without a copy), any other column
    a list. With ``on_chunk``, every :data:`CHUNK` rows are handed on (to a writer that streams
    them to disk, or to the summary's folds) and the columns start again empty, so that a long run
    never holds its table; ``keep`` drops the columns no reader of the chunks needs.

    Parameters:
        columns: the column names, in order.
        types: typed storage for some columns (``"d"`` float64, ``"q"`` int64, ``"b"`` bool,
            ``"c"`` a categorical string: an int32 code per row, a Categorical in the frame).
        on_chunk: called with each full chunk as ``{column: values}`` instead of keeping it.
        keep: the columns kept and handed on (None: all); the others' values are dropped as the
            rows move (a row still gives every column).
    """

    def __init__(self, columns: tuple[str, ...], types: Mapping[str, str] | None = None,
                 on_chunk: Callable[[dict[str, Column]], None] | None = None,
                 keep: Collection[str] | None = None) -> None:
        for name in columns:
            if not name.isidentifier():
                raise ValueError(f"column {name!r} is not an attribute name")
        unknown = [k for k in keep or () if k not in columns]
        if unknown:
            raise ValueError(f"keep: {unknown[0]!r} is not a column ({', '.join(columns)})")
        self.columns = columns
        #: the columns kept, in table order
        self.kept = columns if keep is None else tuple(k for k in columns if k in keep)
        self._dropped = frozenset(columns) - frozenset(self.kept)
        self.types = dict(types or {})
        self.codes = {k: _Codes() for k, t in self.types.items() if t == "c"}  #: per categorical column
        self.on_chunk = on_chunk
        self._dtypes = {k: _DTYPES[t] for k, t in self.types.items()}
        #: per typed column: one array, its first :attr:`rows` values filled (capacity: see _room)
        self._arrays: dict[str, np.ndarray] = {}
        #: per untyped column: its values
        self.store: dict[str, list[Any]] = {k: [] for k in columns if k not in self._dtypes}
        self.rows = 0  #: rows moved to the columns (not counting those pending)
        #: the rows written since the last :meth:`_pack`, one plain list per column
        self._pending: list[list[Any]] = [[] for _ in columns]
        self._first = self._pending[0]
        self._batch = math.gcd(BATCH, CHUNK)  # a divisor of CHUNK: chunks of CHUNK rows (tests set it)

    def write(self, row: Row) -> None:
        """Append a named row (the hot path: the row appends its values to the pending lists)."""
        row.append_to(self._pending)
        if len(self._first) >= self._batch:
            self._pack()
            if self.on_chunk is not None and self.rows >= CHUNK:
                self.flush()

    def add(self, *values: object) -> None:
        """Append a row given as values in column order (refused when the length is wrong)."""
        if len(values) != len(self.columns):
            raise ValueError(f"a row of {len(values)} values for {len(self.columns)} columns "
                             f"({', '.join(self.columns)})")
        for column, value in zip(self._pending, values, strict=True):
            column.append(value)
        if len(self._first) >= self._batch:
            self._pack()

    def _pack(self) -> None:
        """Move the pending rows to the columns: a typed column takes them as one numpy block (a
        categorical's values as their codes), any other column as values."""
        n = len(self._first)
        if not n:
            return
        start = self.rows
        end = start + n
        dropped = self._dropped
        for name, values in zip(self.columns, self._pending, strict=True):
            if name in dropped:
                values.clear()
                continue
            codes = self.codes.get(name)
            dtype = self._dtypes.get(name)
            if codes is not None:
                self._room(name, np.int32, end)[start:end] = np.fromiter(map(codes.__getitem__, values),
                                                                         np.int32, n)
            elif dtype is not None:
                self._room(name, dtype, end)[start:end] = np.fromiter(values, dtype, n)
            else:
                self.store[name].extend(values)
            values.clear()
        self.rows = end

    def _room(self, name: str, dtype: Any, end: int) -> np.ndarray:
        """Typed column ``name``'s array, grown to hold ``end`` rows: a streamed table's holds a
        chunk from the start; a kept table's doubles, so that a value is copied about once however
        long the run (a large array is mapped memory: what it has not filled costs no RAM)."""
        column = self._arrays.get(name)
        if column is None or len(column) < end:
            size = CHUNK if self.on_chunk is not None else max(end, BATCH)
            if column is not None:
                size = max(size, end, 2 * len(column))
            grown = np.empty(size, dtype)
            if column is not None:
                grown[:self.rows] = column[:self.rows]
            self._arrays[name] = column = grown
        return column

    def _joined(self, name: str) -> Any:
        """Column ``name``'s rows: a view of a typed column's array (a list column as is)."""
        if name not in self._dtypes:
            return self.store[name]
        column = self._arrays.get(name)
        return column[:self.rows] if column is not None else np.zeros(0, self._dtypes[name])

    def _release(self, name: str) -> None:
        """Let go of column ``name``'s storage (it was handed on, or copied in order)."""
        if name in self._dtypes:
            self._arrays.pop(name, None)
        else:
            self.store[name] = []

    def flush(self) -> None:
        """Hand the rows held to ``on_chunk`` and start again empty (without it: nothing to do)."""
        if self.on_chunk is None:
            return
        self._pack()
        if not self.rows:
            return
        chunk: dict[str, Column] = {}
        for name in self.kept:
            values = self._joined(name)
            chunk[name] = self.codes[name].decode(values) if name in self.codes else values
            self._release(name)  # the chunk keeps its arrays: the next chunk fills new ones
        self.rows = 0
        self.on_chunk(chunk)

    def columns_out(self, order_by: str | None = None) -> dict[str, Column]:
        """The rows kept, column by column (numpy arrays, Categoricals, lists; every column, so a
        streamed table's are empty), in ``order_by``'s order when given. Sorting takes one column
        at a time and empties its storage before the next, so that the table is never held twice."""
        self._pack()
        order = None
        if order_by is not None and self.rows:
            key = np.asarray(self._joined(order_by), dtype=np.int64)
            if bool((np.diff(key) < 0).any()):
                order = np.argsort(key, kind="stable")
        if self.rows and self._dropped:
            raise ValueError(f"the table holds rows without its columns {', '.join(sorted(self._dropped))} "
                             "(not kept): only a streamed table may drop columns")
        return {name: self._column(name, order) for name in self.columns}

    def _column(self, name: str, order: np.ndarray | None) -> Column:
        """One column, read in place (``order``: a sorted copy, and the storage is emptied)."""
        values = self._joined(name)
        if order is not None:
            values = [values[i] for i in order] if isinstance(values, list) else values[order]
            self._release(name)
        if name in self.codes:
            return self.codes[name].decode(values)
        if not self.rows and name in self._dtypes:
            return []  # as pandas infers an empty list: object
        return values  # type: ignore[no-any-return]

    def frame(self, seed: int, replication: int, order_by: str | None = None) -> pd.DataFrame:
        """The rows kept, as a DataFrame (see :meth:`Recorder.frame`), in ``order_by``'s order."""
        return Recorder.frame(self.columns_out(order_by), seed, replication, consume=True)


class Recorder:
    """The run's tables. The engine calls ``request(row)``, ``attempt(row)``, ``breaker(*values)``
    and ``saga(*values)`` as rows happen (each is the table's own writer, bound once).

    Parameters:
        on_chunk: ``table name → callable`` for tables to stream (see :class:`Table`) instead of
            keeping them (requests, attempts).
        keep: ``table name → the columns kept`` (see :class:`Table`; a table not named keeps all).
    """

    def __init__(self, on_chunk: Mapping[str, Callable[[dict[str, Column]], None]] | None = None,
                 keep: Mapping[str, Collection[str]] | None = None) -> None:
        on_chunk = on_chunk or {}
        keep = keep or {}
        self.requests = Table(REQUEST_COLUMNS, TYPES["requests"], on_chunk.get("requests"),
                              keep.get("requests"))
        self.attempts = Table(RECORDED_ATTEMPT_COLUMNS, TYPES["attempts"], on_chunk.get("attempts"),
                              keep.get("attempts"))
        self.breakers = Table(BREAKER_COLUMNS)
        self.sagas = Table(SAGA_COLUMNS)
        self.messages = _columns(MESSAGE_COLUMNS, TYPES["messages"])
        #: a request ended: its :class:`~simroute.engine.records.RequestState`
        self.request: Callable[[Row], None] = self.requests.write
        #: an attempt ended: its :class:`~simroute.engine.records.Call`
        self.attempt: Callable[[Row], None] = self.attempts.write
        self.breaker = self.breakers.add
        self.saga = self.sagas.add

    @staticmethod
    def attempts_frame(table: Table | Mapping[str, Column], seed: int, replication: int) -> pd.DataFrame:
        """The attempts table: the recorded columns, the derived ones (``queue_wait`` = start −
        queued, ``service`` = server_end − start) computed at once, in ``ATTEMPT_COLUMNS`` order."""
        columns: dict[str, Column] = dict(table.columns_out() if isinstance(table, Table) else table)
        n = len(columns["request_id"])  # type: ignore[arg-type]
        for name, (a, b) in DERIVED_ATTEMPT_COLUMNS.items():
            columns[name] = (np.asarray(columns[a], float) - np.asarray(columns[b], float) if n
                             else np.zeros(0))
        return Recorder.frame({k: columns[k] for k in ATTEMPT_COLUMNS}, seed, replication, consume=True)

    @staticmethod
    def frame(table: Mapping[str, Column], seed: int, replication: int, *,
              consume: bool = False) -> pd.DataFrame:
        """Build once: typed columns without a copy, numeric lists through numpy, string columns
        straight to pandas' string dtype (the dtypes ``pd.DataFrame(table)`` would infer, about
        three times faster). ``consume`` empties each list once converted, so that the lists and
        the frame are not both held whole (the run's own tables)."""
        n = len(next(iter(table.values()), []))
        columns: dict[str, object] = {}
        for name, values in table.items():
            if isinstance(values, np.ndarray | pd.Categorical):  # ready
                columns[name] = values
                continue
            if isinstance(values, array):
                if not n:
                    values = []  # as pandas infers an empty list: object
                else:
                    columns[name] = _typed(values)
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


def _typed(values: array) -> np.ndarray:
    """A typed array column as numpy: a view of its storage."""
    return np.frombuffer(values, dtype=_DTYPES[values.typecode])


def _objects(values: list) -> np.ndarray:
    """An object array holding ``values`` as they are (dicts stay dicts)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
