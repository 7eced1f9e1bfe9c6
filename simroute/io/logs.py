"""Reading a gateway's request logs: one row per attempt, in three formats, streamed.

``simroute calibrate LOGS --format csv|otel|litellm`` (:func:`simroute.experiments.calibrate.calibrate`)
fits a scenario to logs read here. :func:`read_logs` turns any of the formats into one columnar
:class:`Logs` table of attempts — start and end (seconds), deployment, model group, status, input
and output tokens, time to first token, request and, where the logs state it, the money spent —
reading ``chunk_rows`` rows at a time: a million rows take a few seconds and about 60 bytes a row.

Formats (an example of each ships in ``simroute/data/logs/``; :data:`FORMATS` says which fields each
reads):

* ``csv`` — columns ``start``, ``end`` (seconds, since the epoch or relative; or ISO 8601 times),
  ``deployment``, ``status`` (:data:`STATUSES`, or an HTTP code), ``input_tokens``,
  ``output_tokens``; optional ``ttft`` (seconds from start to the first token), ``request_id``
  (attempts of one request share it; without it each row is its own request), ``group`` (the model
  group; without it, the deployment's own name).
* ``otel`` — OpenTelemetry spans as JSON lines (one span per line, as the OTLP JSON encoding
  ``startTimeUnixNano``/``attributes: [{key, value}]`` or the Python SDK's ``start_time``/
  ``attributes: {}``; a line holding ``resourceSpans`` is unpacked), following the GenAI semantic
  conventions: ``gen_ai.request.model`` is the group, ``server.address`` the deployment (else the
  model), ``gen_ai.usage.input_tokens``/``output_tokens`` the tokens, ``error.type`` the failure
  (absent: success), the trace id the request; ``gen_ai.server.time_to_first_token`` (seconds) is
  read when present. Spans without a ``gen_ai.`` attribute are not calls and are skipped.
* ``litellm`` — an export of LiteLLM's spend logs (``LiteLLM_SpendLogs``, as CSV or JSON lines):
  ``startTime``, ``endTime``, ``completionStartTime``, ``model_id`` (the deployment; else
  ``api_base``, else ``model``), ``model_group`` (else ``model``), ``status`` (``success`` or
  ``failure``, the kind read from ``metadata.error_information``), ``prompt_tokens``,
  ``completion_tokens``, ``request_id`` and ``spend`` (dollars).

A bad row is one :class:`~simroute.common.errors.InputError` naming the file, the line and the
column: a missing column, an end before its start, negative tokens, an unknown status, a time that
does not parse; an empty file says so. Limits: at most ``max_rows`` rows (:data:`MAX_LOG_ROWS`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..common.errors import InputError
from ..resilience.failure import (
    CONTENT_POLICY,
    CONTEXT_WINDOW,
    ERROR,
    NON_RETRYABLE,
    RATE_LIMITED,
    SUCCESS,
    TIMEOUT,
)

__all__ = ["read_logs", "write_logs", "Logs", "FORMATS", "STATUSES", "MAX_LOG_ROWS", "status_of"]

#: the statuses an attempt can have in the logs (HTTP codes are read as these)
STATUSES = (SUCCESS, ERROR, TIMEOUT, RATE_LIMITED, NON_RETRYABLE, CONTEXT_WINDOW, CONTENT_POLICY)
MAX_LOG_ROWS = 20_000_000  #: rows read from one log, at most (``max_rows`` raises it)
CHUNK_ROWS = 50_000  #: rows parsed at a time

#: format → (required fields, optional fields), as named in the logs
FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "csv": (("start", "end", "deployment", "status", "input_tokens", "output_tokens"),
            ("ttft", "request_id", "group")),
    "otel": (("gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
              "span start", "span end"),
             ("server.address", "error.type", "gen_ai.server.time_to_first_token", "trace id")),
    "litellm": (("startTime", "endTime", "model", "status", "prompt_tokens", "completion_tokens"),
                ("completionStartTime", "model_id", "api_base", "model_group", "request_id", "spend",
                 "metadata")),
}

# failure names (error classes, OTel error.type values) → status, matched by a word in the name
_NAMED = ((("ratelimit", "rate_limit", "ratelimited", "toomanyrequests"), RATE_LIMITED),
          (("timeout", "timedout", "deadline"), TIMEOUT),
          (("contextwindow", "context_window", "context_length"), CONTEXT_WINDOW),
          (("contentpolicy", "content_policy", "contentfilter"), CONTENT_POLICY),
          (("badrequest", "authentication", "permissiondenied", "notfound", "unprocessable",
            "invalidrequest", "non_retryable", "unsupportedparams"), NON_RETRYABLE),
          (("internalserver", "serviceunavailable", "apiconnection", "apierror", "badgateway",
            "_other", "error", "exception", "failure"), ERROR))


def status_of(value: Any) -> str | None:
    """The status an attempt's logged status, HTTP code or error name stands for (None: unknown).

    ``200``–``299`` success; ``429`` rate_limited; ``408`` and ``504`` timeout; other ``4xx``
    non_retryable; ``5xx`` error; a name of :data:`STATUSES`; an error class such as
    ``RateLimitError``, ``Timeout``, ``BadRequestError``, ``InternalServerError``."""
    text = str(value).strip()
    if text.lower() in STATUSES:
        return text.lower()
    if text.isdigit() or (text.endswith(".0") and text[:-2].isdigit()):
        code = int(float(text))
        if 200 <= code < 300:
            return SUCCESS
        if code == 429:
            return RATE_LIMITED
        if code in (408, 504):
            return TIMEOUT
        if 400 <= code < 500:
            return NON_RETRYABLE
        if 500 <= code < 600:
            return ERROR
        return None
    low = text.lower().replace(" ", "").replace("-", "").replace(".", "")
    if low in ("ok", "success", "succeeded"):
        return SUCCESS
    for words, status in _NAMED:
        if any(w in low for w in words):
            return status
    return None


@dataclass(frozen=True)
class Logs:
    """Attempts read from a log, sorted by start (one row each, columnar).

    Parameters:
        start: seconds after the log's first attempt began.
        end: seconds after the same origin (``end >= start``).
        ttft: seconds from start to the first token (NaN: not logged, or not a success).
        input_tokens: the attempt's input (prompt) tokens.
        output_tokens: its output (completion) tokens.
        status: index into :data:`STATUSES`.
        deployment: index into ``deployments``.
        group: index into ``groups``.
        request: the request each attempt belongs to (attempts of one request share it).
        spend: dollars the log says the attempt cost (NaN: not logged).
        deployments: the deployments' names, in order of first appearance.
        groups: the model groups' names, in order of first appearance.
        origin: the first start as the log wrote it (seconds since the epoch, or relative).
        file: the log file; fmt: its format.
    """
    start: np.ndarray
    end: np.ndarray
    ttft: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    status: np.ndarray
    deployment: np.ndarray
    group: np.ndarray
    request: np.ndarray
    spend: np.ndarray
    deployments: tuple[str, ...]
    groups: tuple[str, ...]
    origin: float
    file: str
    fmt: str

    def __len__(self) -> int:
        return len(self.start)

    def take(self, rows: np.ndarray) -> Logs:
        """The attempts at ``rows`` (indices or a mask), same names and origin."""
        cols = {k: getattr(self, k)[rows] for k in _COLUMNS}
        return Logs(**cols, deployments=self.deployments, groups=self.groups, origin=self.origin,
                    file=self.file, fmt=self.fmt)

    def frame(self) -> pd.DataFrame:
        """The attempts as a DataFrame (names instead of indices), for a look in a notebook."""
        return pd.DataFrame({
            "start": self.start, "end": self.end, "ttft": self.ttft,
            "deployment": np.asarray(self.deployments, object)[self.deployment],
            "group": np.asarray(self.groups, object)[self.group],
            "status": np.asarray(STATUSES, object)[self.status],
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "request": self.request, "spend": self.spend})


_COLUMNS = ("start", "end", "ttft", "input_tokens", "output_tokens", "status", "deployment", "group",
            "request", "spend")


# ---------------------------------------------------------------------------------------- chunks
# Every format yields chunks of raw values as a DataFrame with these columns (strings or numbers),
# plus "line" (the file's line of each row); _Collector checks and converts them.
_RAW = ("start", "end", "ttft", "deployment", "group", "status", "input_tokens", "output_tokens",
        "request_id", "spend")


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    required, optional = FORMATS["csv"]
    header = _csv_header(path)
    for name in required:
        if name not in header:
            raise InputError(f"missing column (header: {','.join(header)})", file=str(path), line=1,
                             field=name)
    unknown = [h for h in header if h not in required + optional]
    if unknown:
        raise InputError(f"unknown column (known: {', '.join(required + optional)})", file=str(path),
                         line=1, field=unknown[0])
    for offset, chunk in _read_csv(path, chunk_rows):
        chunk["line"] = np.arange(offset + 2, offset + 2 + len(chunk))
        yield chunk


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if not first.strip():
        raise InputError("empty file: no header and no rows", file=str(path))
    return [h.strip() for h in first.rstrip("\r\n").split(",")]


def _read_csv(path: Path, chunk_rows: int) -> Iterator[tuple[int, pd.DataFrame]]:
    offset = 0
    try:
        with pd.read_csv(path, chunksize=chunk_rows, dtype=str, keep_default_na=False,
                         encoding="utf-8-sig", skipinitialspace=True) as reader:
            for chunk in reader:
                chunk.columns = [c.strip() for c in chunk.columns]
                yield offset, chunk
                offset += len(chunk)
    except pd.errors.ParserError as exc:
        raise InputError(f"not a CSV table: {str(exc).strip().splitlines()[-1]}", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None


def _csv_raw(chunk: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({k: chunk[k] if k in chunk else "" for k in _RAW if k != "spend"})
    out["group"] = np.where(out["group"] == "", out["deployment"], out["group"])
    out["spend"] = ""
    out["line"] = chunk["line"]
    return out


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for lineno, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    yield lineno, json.loads(text)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not JSON: {exc.msg} at column {exc.colno}", file=str(path),
                                     line=lineno) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None


def _otel_value(v: Any) -> Any:
    if isinstance(v, dict):  # OTLP JSON: {"stringValue": …} / {"intValue": "12"} / {"doubleValue": …}
        for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
            if key in v:
                return v[key]
        return None
    return v


def _otel_spans(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, dict) and "resourceSpans" in item:
        for rs in item.get("resourceSpans") or ():
            for ss in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or ():
                yield from ss.get("spans") or ()
    elif isinstance(item, dict):
        yield item


def _otel_time(span: dict[str, Any], nano: str, iso: str) -> Any:
    if nano in span:
        return float(int(span[nano])) / 1e9 if str(span[nano]).strip().isdigit() else span[nano]
    return span.get(iso, "")


def _otel_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    rows: list[tuple[Any, ...]] = []
    for lineno, item in _json_lines(path):
        if not isinstance(item, dict):
            raise InputError("a line must hold one span (a JSON object)", file=str(path), line=lineno)
        for span in _otel_spans(item):
            raw = span.get("attributes") or {}
            attrs = ({a.get("key"): _otel_value(a.get("value")) for a in raw if isinstance(a, dict)}
                     if isinstance(raw, list) else dict(raw))
            if not any(str(k).startswith("gen_ai.") for k in attrs):
                continue  # not an LLM call (a parent span, an HTTP span …)
            for name in ("gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"):
                if attrs.get(name) in (None, ""):
                    raise InputError("missing attribute", file=str(path), line=lineno, field=name)
            model = str(attrs["gen_ai.request.model"])
            error = attrs.get("error.type")
            context = span.get("context") or {}
            rows.append((
                _otel_time(span, "startTimeUnixNano", "start_time"),
                _otel_time(span, "endTimeUnixNano", "end_time"),
                attrs.get("gen_ai.server.time_to_first_token", ""),
                str(attrs.get("server.address") or model), model,
                SUCCESS if error in (None, "") else str(error),
                attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"],
                str(span.get("traceId") or context.get("trace_id") or ""), "", lineno))
            if len(rows) >= chunk_rows:
                yield _frame(rows)
                rows = []
    if rows:
        yield _frame(rows)


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=[*_RAW, "line"])


def _litellm_error(metadata: Any) -> str:
    """A failed spend-log row's kind, from ``metadata.error_information`` (else ``error``)."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError:
            metadata = {}
    info = metadata.get("error_information") if isinstance(metadata, dict) else None
    if isinstance(info, dict):
        for key in ("error_class", "error_code"):
            kind = status_of(info.get(key) or "")
            if kind not in (None, SUCCESS):
                return kind
    return ERROR


def _litellm_records(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Spend-log rows as string columns, from CSV or JSON lines (or one JSON array)."""
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    if head[:1] in (b"{", b"["):
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        for lineno, item in _json_lines(path):
            for record in item if isinstance(item, list) else [item]:
                if not isinstance(record, dict):
                    raise InputError("a line must hold a spend-log row (a JSON object)", file=str(path),
                                     line=lineno)
                rows.append(record)
                lines.append(lineno)
                if len(rows) >= chunk_rows:
                    yield _records_frame(rows, lines)
                    rows, lines = [], []
        if rows:
            yield _records_frame(rows, lines)
        return
    if not head:
        raise InputError("empty file: no header and no rows", file=str(path))
    for offset, chunk in _read_csv(path, chunk_rows):
        chunk["line"] = np.arange(offset + 2, offset + 2 + len(chunk))
        yield chunk


def _records_frame(rows: list[dict[str, Any]], lines: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows)
    values = [c for c in frame.columns if c != "metadata"]
    frame[values] = frame[values].astype(object).where(frame[values].notna(), "").astype(str)
    frame["line"] = lines
    return frame


def _litellm_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    required, _ = FORMATS["litellm"]
    for chunk in _litellm_records(path, chunk_rows):
        for name in required:
            if name not in chunk:
                raise InputError("missing column", file=str(path), line=int(chunk["line"].iloc[0]) if
                                 "line" in chunk and len(chunk) else 1, field=name)

        def col(name: str, chunk: pd.DataFrame = chunk) -> pd.Series:
            return chunk[name].astype(str) if name in chunk else pd.Series("", index=chunk.index)

        deployment = col("model_id").where(col("model_id") != "", col("api_base"))
        deployment = deployment.where(deployment != "", col("model"))
        group = col("model_group").where(col("model_group") != "", col("model"))
        status = col("status").str.strip().str.lower()
        failed = status == "failure"
        if failed.any():
            meta = chunk["metadata"] if "metadata" in chunk else pd.Series("", index=chunk.index)
            status = status.where(~failed, meta[failed].map(_litellm_error))
        start = col("startTime")
        first = col("completionStartTime")
        yield pd.DataFrame({
            "start": start, "end": col("endTime"), "ttft": first, "deployment": deployment,
            "group": group, "status": status, "input_tokens": col("prompt_tokens"),
            "output_tokens": col("completion_tokens"), "request_id": col("request_id"),
            "spend": col("spend"), "line": chunk["line"].to_numpy()})


# ------------------------------------------------------------------------------------ checking
def _times(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from numbers (epoch or relative) or ISO 8601 times; and where a value is missing."""
    text = values.astype(str).str.strip()
    missing = (text == "").to_numpy()
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(float)
    bad = np.isnan(numbers) & ~missing
    if bad.any():
        parsed = pd.to_datetime(text.where(bad, None), utc=True, format="ISO8601", errors="coerce")
        seconds = (parsed - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy(float)
        numbers = np.where(bad, seconds, numbers)
    return numbers, missing


class _Collector:
    """Checks each chunk's rows and keeps them as compact columns."""

    def __init__(self, path: Path, max_rows: int) -> None:
        self.path, self.max_rows = path, max_rows
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in _COLUMNS}
        self.deployments: dict[str, int] = {}
        self.groups: dict[str, int] = {}
        self.rows = 0

    def fail(self, message: str, raw: pd.DataFrame, where: np.ndarray, column: str, label: str) -> InputError:
        """The error of the first row ``where`` marks: its line and the log's name of the column."""
        i = int(np.flatnonzero(where)[0])
        return InputError(message.format(value=raw[column].iloc[i]), file=str(self.path),
                          line=int(raw["line"].iloc[i]), field=label)

    def time(self, raw: pd.DataFrame, column: str, label: str) -> np.ndarray:
        values, missing = _times(raw[column])
        if missing.any():
            raise self.fail("missing value", raw, missing, column, label)
        if np.isnan(values).any():
            raise self.fail("not a time: {value!r} (seconds, or ISO 8601)", raw, np.isnan(values), column,
                            label)
        return values

    def number(self, raw: pd.DataFrame, column: str, label: str, *, required: bool) -> np.ndarray:
        text = raw[column].astype(str).str.strip()
        missing = (text == "").to_numpy()
        if required and missing.any():
            raise self.fail("missing value", raw, missing, column, label)
        values = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(float)
        bad = (np.isnan(values) & ~missing) | np.isinf(values)
        if bad.any():
            raise self.fail("not a number: {value!r}", raw, bad, column, label)
        if (values < 0).any():
            raise self.fail("must be >= 0, got {value}", raw, values < 0, column, label)
        return values

    def codes(self, raw: pd.DataFrame, column: str, label: str, table: dict[str, int]) -> np.ndarray:
        text = raw[column].astype(str).str.strip()
        empty = (text == "").to_numpy()
        if empty.any():
            raise self.fail("missing value", raw, empty, column, label)
        return text.map(lambda s: table.setdefault(s, len(table))).to_numpy(np.int32)

    def add(self, raw: pd.DataFrame, names: dict[str, str], *, ttft_is_time: bool) -> None:
        """Check and keep one chunk (``names``: the log's name of each column, for messages)."""
        n = len(raw)
        if self.rows + n > self.max_rows:
            raise InputError(f"more than {self.max_rows:,} rows: the limit of one log (max_rows raises it)",
                             file=str(self.path), line=int(raw["line"].iloc[0]))
        start = self.time(raw, "start", names["start"])
        end = self.time(raw, "end", names["end"])
        if (end < start).any():
            raise self.fail("ends before it starts (at {value})", raw, end < start, "end", names["end"])
        first, no_first = _times(raw["ttft"])
        if np.isnan(first[~no_first]).any():
            raise self.fail("not a number or time: {value!r}", raw, ~no_first & np.isnan(first), "ttft",
                            names["ttft"])
        ttft = first - start if ttft_is_time else first  # a time of the first token, or seconds to it
        late = (ttft < 0) | (ttft > end - start + 1e-6)
        if late.any():
            raise self.fail("the first token must come between the start and the end (got {value})", raw,
                            late, "ttft", names["ttft"])
        inp = self.number(raw, "input_tokens", names["input_tokens"], required=True)
        out = self.number(raw, "output_tokens", names["output_tokens"], required=True)
        spend = self.number(raw, "spend", "spend", required=False)
        text = raw["status"].astype(str).str.strip()
        status = text.map(_STATUS_CODES)
        unknown = status.isna().to_numpy()
        if unknown.any():
            status[unknown] = text[unknown].map(
                lambda v: STATUSES.index(k) if (k := status_of(v)) else np.nan)
            unknown = status.isna().to_numpy()
            if unknown.any():
                raise self.fail("unknown status {value!r} (known: " + ", ".join(STATUSES) +
                                ", or an HTTP code)", raw, unknown, "status", names["status"])
        status_codes = status.to_numpy().astype(np.int8)
        dep = self.codes(raw, "deployment", names["deployment"], self.deployments)
        grp = self.codes(raw, "group", names["group"], self.groups)
        rid = raw["request_id"].astype(str).str.strip()
        request = pd.util.hash_array(rid.to_numpy(object)).astype(np.uint64)
        no_id = (rid == "").to_numpy()
        if no_id.any():  # each row its own request
            request[no_id] = np.arange(self.rows, self.rows + n, dtype=np.uint64)[no_id] ^ _NO_ID
        ttft = np.where(status_codes == 0, ttft, np.nan)
        for k, v in (("start", start), ("end", end), ("ttft", ttft), ("input_tokens", inp),
                     ("output_tokens", out), ("status", status_codes), ("deployment", dep), ("group", grp),
                     ("request", request), ("spend", spend)):
            self.parts[k].append(v)
        self.rows += n

    def logs(self, fmt: str) -> Logs:
        if not self.rows:
            raise InputError("no attempts: the log has no data rows", file=str(self.path))
        cols = {k: np.concatenate(v) for k, v in self.parts.items()}
        order = np.argsort(cols["start"], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        origin = float(cols["start"][0])
        cols["start"] = cols["start"] - origin
        cols["end"] = cols["end"] - origin
        return Logs(**cols, deployments=tuple(self.deployments), groups=tuple(self.groups), origin=origin,
                    file=str(self.path), fmt=fmt)


_STATUS_CODES = {s: float(i) for i, s in enumerate(STATUSES)}
_NO_ID = np.uint64(0x9E3779B97F4A7C15)  # a row without a request id: its own request
_NAMES = {
    "csv": {"start": "start", "end": "end", "ttft": "ttft", "deployment": "deployment", "group": "group",
            "status": "status", "input_tokens": "input_tokens", "output_tokens": "output_tokens"},
    "otel": {"start": "span start", "end": "span end", "ttft": "gen_ai.server.time_to_first_token",
             "deployment": "server.address", "group": "gen_ai.request.model", "status": "error.type",
             "input_tokens": "gen_ai.usage.input_tokens", "output_tokens": "gen_ai.usage.output_tokens"},
    "litellm": {"start": "startTime", "end": "endTime", "ttft": "completionStartTime",
                "deployment": "model_id", "group": "model_group", "status": "status",
                "input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"},
}


def read_logs(path: str | Path, fmt: str = "csv", *, chunk_rows: int = CHUNK_ROWS,
              max_rows: int = MAX_LOG_ROWS) -> Logs:
    """A gateway's logged attempts, checked row by row (see the module docstring).

    Parameters:
        path: the log file.
        fmt: ``csv``, ``otel`` or ``litellm``.
        chunk_rows: rows parsed at a time (memory per chunk).
        max_rows: refuse a log with more rows than this.

    Returns:
        The attempts, sorted by start, times in seconds after the first start.

    Raises:
        InputError: an unknown format, a file that cannot be read, or a bad row (file, line, column).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown log format {fmt!r} (known: {', '.join(FORMATS)})", file=str(path))
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("empty file: no header and no rows", file=str(path))
    collector = _Collector(path, max_rows)
    names = _NAMES[fmt]
    chunks = {"csv": _csv_chunks, "otel": _otel_chunks, "litellm": _litellm_chunks}[fmt]
    for chunk in chunks(path, chunk_rows):
        # csv and otel give seconds to the first token; LiteLLM the time it came
        collector.add(chunk if fmt != "csv" else _csv_raw(chunk), names, ttft_is_time=fmt == "litellm")
    return collector.logs(fmt)


def write_logs(frame: pd.DataFrame, path: str | Path, fmt: str = "csv", *, origin: float = 1.7e9) -> None:
    """Write attempts (the ``csv`` format's columns, times in seconds) as a log of ``fmt``: what a
    gateway logging each call would write (examples, tests, and a run's calls as logs).

    Parameters:
        frame: columns ``start``, ``end``, ``deployment``, ``group``, ``status``, ``input_tokens``,
            ``output_tokens``, ``ttft`` (NaN: none), ``request_id``.
        path: the file to write.
        fmt: ``csv``, ``otel`` or ``litellm``.
        origin: seconds since the epoch added to the times (``otel`` and ``litellm`` write clock
            times).
    """
    path = Path(path)
    if fmt == "csv":
        frame.to_csv(path, index=False, lineterminator="\n", float_format="%.6f")
        return
    with open(path, "w", encoding="utf-8") as handle:
        for row in frame.itertuples(index=False):
            start, end = origin + float(row.start), origin + float(row.end)
            ok = row.status == SUCCESS
            ttft = float(row.ttft) if ok and row.ttft == row.ttft else None
            if fmt == "otel":
                attrs: list[dict[str, Any]] = [
                    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                    {"key": "gen_ai.request.model", "value": {"stringValue": str(row.group)}},
                    {"key": "server.address", "value": {"stringValue": str(row.deployment)}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": str(int(row.input_tokens))}},
                    {"key": "gen_ai.usage.output_tokens",
                     "value": {"intValue": str(int(row.output_tokens))}}]
                if not ok:
                    attrs.append({"key": "error.type",
                                  "value": {"stringValue": _OTEL_ERRORS[str(row.status)]}})
                if ttft is not None:
                    attrs.append({"key": "gen_ai.server.time_to_first_token",
                                  "value": {"doubleValue": ttft}})
                span = {"traceId": str(row.request_id), "name": f"chat {row.group}",
                        "startTimeUnixNano": str(round(start * 1e9)),
                        "endTimeUnixNano": str(round(end * 1e9)),
                        "attributes": attrs, "status": {"code": 1 if ok else 2}}
                handle.write(json.dumps(span, separators=(",", ":")) + "\n")
            else:
                def iso(t: float) -> str:
                    return pd.Timestamp(t, unit="s", tz="UTC").isoformat()

                record: dict[str, Any] = {
                    "request_id": str(row.request_id), "call_type": "acompletion",
                    "startTime": iso(start), "endTime": iso(end),
                    "completionStartTime": iso(start + ttft) if ttft is not None else None,
                    "model": str(row.group), "model_id": str(row.deployment), "model_group": str(row.group),
                    "prompt_tokens": int(row.input_tokens), "completion_tokens": int(row.output_tokens),
                    "status": "success" if ok else "failure",
                    "metadata": {} if ok else {"error_information": {
                        "error_code": _LITELLM_CODES[str(row.status)],
                        "error_class": _OTEL_ERRORS[str(row.status)]}}}
                handle.write(json.dumps(record, separators=(",", ":")) + "\n")


# how each failure is named in the logs written by write_logs
_OTEL_ERRORS = {ERROR: "InternalServerError", TIMEOUT: "Timeout", RATE_LIMITED: "RateLimitError",
                NON_RETRYABLE: "BadRequestError", CONTEXT_WINDOW: "ContextWindowExceededError",
                CONTENT_POLICY: "ContentPolicyViolationError"}
_LITELLM_CODES = {ERROR: "500", TIMEOUT: "408", RATE_LIMITED: "429", NON_RETRYABLE: "400",
                  CONTEXT_WINDOW: "400", CONTENT_POLICY: "400"}
