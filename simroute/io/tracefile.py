"""Trace files: reading a workload trace (CSV) into columns, every row checked.

Two formats: simroute's own (``time,text,budget,context_tokens,generated_tokens,group,accept``;
time in seconds, only ``time`` required; ``group``: the model group the row's request goes to, which
a mix entry of the workload must name; ``accept``: the plugins an engineer would accept for the
row's request, ``a|b``, read by :func:`trace_labels`) and the Azure LLM inference format
(``TIMESTAMP,ContextTokens,GeneratedTokens``). :func:`read_trace` gives the columns; a bad row
raises an :class:`~simroute.common.errors.InputError` naming the file, the line and the field. A
trace is parsed once per file version (path, modification time, size) and shared by every run.
"""

from __future__ import annotations

import calendar
import csv
import functools
import io
import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from ..common.errors import InputError
from ..common.yamlio import read_text

__all__ = ["read_trace", "trace_format_of", "trace_labels", "header_of", "TRACE_FORMATS", "TRACE_COLUMNS",
           "MAX_TOKENS", "MAX_TRACE_SPAN"]

TRACE_FORMATS = ("simroute", "azure")
#: the columns each trace format may have
TRACE_COLUMNS = {"simroute": ("time", "text", "budget", "context_tokens", "generated_tokens", "group",
                              "accept"),
                 "azure": ("TIMESTAMP", "ContextTokens", "GeneratedTokens")}
TOKEN_COLUMNS = ("context_tokens", "generated_tokens", "ContextTokens", "GeneratedTokens")
MAX_TOKENS = 10_000_000  #: tokens in one request, at most
MAX_TRACE_SPAN = 10 * 365 * 86400.0  #: seconds from a trace's first row to its last, at most


def _parse_azure_time(s: str) -> Decimal:
    """Exact seconds since the epoch (UTC) of "2023-11-16 18:17:03.9799600" (7 fractional digits,
    more than datetime parses, and more than a float of the epoch keeps)."""
    head, _, frac = s.strip().partition(".")
    if frac and not frac.isdigit():
        raise ValueError(f"bad fraction of a second {frac!r}")
    base = calendar.timegm(datetime.strptime(head, "%Y-%m-%d %H:%M:%S").timetuple())  # as UTC
    return Decimal(base) + (Decimal("0." + frac) if frac else Decimal(0))


def _seconds(raw: str) -> Decimal:
    """Exact seconds from a decimal string (a float would round a large epoch time)."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"not a number: {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {raw!r}")
    return value


def trace_format_of(path: str | Path) -> str:
    """``azure`` when the CSV's header starts with ``TIMESTAMP``, else ``simroute``."""
    header = read_text(path).split("\n", 1)[0]  # UTF-8 (a BOM is fine), or a clear error
    return "azure" if header.startswith("TIMESTAMP") else "simroute"


def _trace_table(path: str | Path, fmt: str) -> dict[str, np.ndarray]:
    """:func:`read_trace`, parsed once per file version in this process (a sweep or a report runs
    the same trace many times); the arrays are read-only."""
    try:
        st = Path(path).stat()
    except OSError:
        return read_trace(path, fmt)  # the reader says what is wrong
    return _parsed(str(Path(path).resolve()), fmt, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _parsed(path: str, fmt: str, _mtime_ns: int, _size: int) -> dict[str, np.ndarray]:
    table = read_trace(path, fmt)
    for column in table.values():
        column.flags.writeable = False
    return table


@functools.lru_cache(maxsize=8)
def header_of(path: str | Path) -> list[str]:
    """The column names of a CSV's first line, read without reading the rest (a file that is not
    UTF-8 text, or cannot be read, is the one-line :class:`InputError` of a full read)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        first = read_text(path).split("\n", 1)[0]
    return [h.strip() for h in next(csv.reader([first]), [])]


def _labels(path: str, _mtime_ns: int, _size: int) -> dict[str, tuple[tuple[str, ...], int]]:
    out: dict[str, tuple[tuple[str, ...], int]] = {}
    if not {"accept", "text"} <= set(header_of(path)):
        return out  # the usual trace: its rows are read once, by read_trace, not here too
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    header = [h.strip() for h in next(reader, [])]
    i_text, i_accept = header.index("text"), header.index("accept")
    for lineno, row in enumerate(reader, start=2):
        cell = row[i_accept].strip() if i_accept < len(row) else ""
        if not cell:
            continue
        text = row[i_text].strip() if i_text < len(row) else ""
        if not text:
            raise InputError("accepted plugins for a row without text (they label a request's text)",
                             file=path, line=lineno, field="accept")
        accept = tuple(dict.fromkeys(p.strip() for p in cell.split("|") if p.strip()))
        if not accept:
            raise InputError(f"no plugin in {cell!r} (name one or more, separated by |)", file=path,
                             line=lineno, field="accept")
        if text in out and set(out[text][0]) != set(accept):
            raise InputError(f"{'|'.join(accept)} for a text labelled {'|'.join(out[text][0])} on line "
                             f"{out[text][1]}: one request text has one set of accepted plugins",
                             file=path, line=lineno, field="accept")
        out.setdefault(text, (accept, lineno))
    return out


def trace_labels(path: str | Path) -> dict[str, tuple[tuple[str, ...], int]]:
    """A simroute trace's ``accept`` column: request text → (its accepted plugins, the first line
    labelling it); empty without the column. A text labelled twice must be labelled alike.

    Parameters:
        path: the CSV file (simroute format).

    Returns:
        text → (plugins, line).

    Raises:
        InputError: a label without text, an empty label or a text labelled two ways (file, line, field).
    """
    st = Path(path).stat()
    return _labels(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


def read_trace(path: str | Path, fmt: str = "simroute") -> dict[str, np.ndarray]:
    """Columns time (s), text, budget, context_tokens, generated_tokens and group of a trace CSV.

    Times are seconds after the first row, computed exactly from the file's decimal timestamps
    (so the Azure trace's 100 ns resolution survives: an epoch time as a float would not keep it).

    Parameters:
        path: the CSV file.
        fmt: ``simroute`` (``time,text,budget,context_tokens,generated_tokens``) or ``azure``
            (``TIMESTAMP,ContextTokens,GeneratedTokens``).

    Returns:
        Arrays ``time`` (seconds after the first row), ``text``, ``budget``, ``context_tokens``,
        ``generated_tokens`` and ``group`` (``""`` where a row names none).

    Raises:
        InputError: an unreadable file, a missing column, a value that does not parse, or times out
            of order (naming the file, line and field).
    """
    path = Path(path)
    if fmt not in TRACE_FORMATS:
        raise InputError(f"unknown trace format {fmt!r} (known: {', '.join(TRACE_FORMATS)})",
                         file=str(path))
    handle = io.StringIO(read_text(path), newline="")  # UTF-8 (a BOM is fine), or a clear error
    cols: dict[str, list] = {k: [] for k in ("time", "text", "budget", "context_tokens",
                                             "generated_tokens", "group")}
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        need = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"] if fmt == "azure" else ["time"]
        missing = [h for h in need if h not in header]
        if missing:
            raise InputError(f"missing column {missing[0]!r} (header: {','.join(header)})",
                             file=str(path), line=1, field=missing[0])
        known = TRACE_COLUMNS[fmt]
        for i, h in enumerate(header):
            if h not in known:
                raise InputError(f"unknown column (known for a {fmt} trace: {', '.join(known)})",
                                 file=str(path), line=1, field=h)
            if h in header[:i]:
                raise InputError("the column appears twice", file=str(path), line=1, field=h)
        idx = {h: i for i, h in enumerate(header)}
        last: Decimal | float = -math.inf
        first: Decimal | None = None
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue

            def cell(name: str, conv, default=None, *, row=row, lineno=lineno):
                if name not in idx or idx[name] >= len(row) or row[idx[name]].strip() == "":
                    if default is not None or name not in need:
                        return default
                    raise InputError("missing value", file=str(path), line=lineno, field=name)
                raw = row[idx[name]].strip()
                try:
                    value = conv(raw)
                except ValueError:
                    raise InputError(f"cannot parse {raw!r}", file=str(path), line=lineno,
                                     field=name) from None
                if isinstance(value, float | Decimal) and conv is not str:
                    if value != value or value < 0 or value in (math.inf, Decimal("Infinity")):
                        raise InputError(f"must be a finite number >= 0, got {raw!r}", file=str(path),
                                         line=lineno, field=name)
                    if name in TOKEN_COLUMNS and value > MAX_TOKENS:
                        raise InputError(f"more than {MAX_TOKENS:,} tokens in one request: {raw}",
                                         file=str(path), line=lineno, field=name)
                return value

            if fmt == "azure":
                t = cell("TIMESTAMP", _parse_azure_time)
                ctx, gen, text, budget, group = (cell("ContextTokens", float), cell("GeneratedTokens", float),
                                                 "", math.nan, "")
                tname = "TIMESTAMP"
            else:
                t = cell("time", _seconds)
                text = cell("text", str, "")
                budget = cell("budget", float, math.nan)
                ctx = cell("context_tokens", float, math.nan)
                gen = cell("generated_tokens", float, math.nan)
                group = cell("group", str, "")
                tname = "time"
            if t < last:
                raise InputError(f"timestamps out of order ({t} after {last})", file=str(path),
                                 line=lineno, field=tname)
            if first is not None and t - first > MAX_TRACE_SPAN:
                raise InputError(f"{float(t - first):.3g} s after the first row: a trace spans at most "
                                 f"{MAX_TRACE_SPAN:.3g} s (ten years)", file=str(path), line=lineno,
                                 field=tname)
            last = t
            if first is None:
                first = t
            for k, v in zip(cols, (float(t - first), text, budget, ctx, gen, group), strict=True):
                cols[k].append(v)
    out = {k: np.asarray(v, dtype=object if k in ("text", "group") else float) for k, v in cols.items()}
    if len(out["time"]) == 0:
        raise InputError("no data rows", file=str(path), line=1)
    return out
