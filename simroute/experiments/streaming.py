"""Streaming summaries: what ``record="summary"`` keeps instead of the per-request tables.

A run in summary mode writes its request and attempt rows into small chunks, as a full run does,
and folds each chunk (vectorised) into a :class:`StreamSummary`, then drops it: memory stays flat
however long the run. What it keeps:

* **counters** for every metric of :meth:`Results.summary <simroute.experiments.results.Results.summary>` over
  the default window (from the end of the warm-up to the end of the run): requests by status,
  cost by plugin and tier, attempts by outcome class, queue waits, busy time, abandoned work;
* a **quantile sketch** of the latencies of the window's requests served (rejected ones left out;
  :class:`ddsketch.DDSketch`, relative accuracy
  :data:`RELATIVE_ACCURACY`): p50/p95/p99 within 1 % of the exact order statistic. Sketches and
  counters merge (:meth:`StreamSummary.merge`): over replications, over Dask workers;
* **per-minute aggregates** (:meth:`StreamSummary.per_minute`): arrivals, completions by status
  and spend per minute; utilization and queue length per plugin per minute. Their rows are bounded
  however long the simulated time: past :data:`MAX_BINS` rows, neighbouring rows merge in pairs (a
  row then covers 2, 4 … minutes; the tables say so), the way ``latency_growth``'s blocks merge.
  Work spanning many minutes is added in time linear in the calls (:class:`Bins`).

``latency_growth`` is computed from latency sums per block of :data:`GROWTH_BLOCK` consecutive
arrivals (blocks merge in pairs whenever there would be more than :data:`GROWTH_BLOCKS`, so their
number stays bounded), the thirds' boundaries interpolated within their block: an approximation
of the full run's value (within a few per cent; more where latency jumps inside a boundary
block, as when an outage starts there). A full run computes the same
per-minute tables from its tables with the same functions (:func:`per_minute`), so the two record
levels agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ddsketch import DDSketch

from ..common.statuses import REJECTED, STATUSES, SUCCEEDED
from ..resilience.failure import FAILURE_KINDS, REFUSALS, TIMEOUT

__all__ = ["StreamSummary", "FOLDED_COLUMNS", "RELATIVE_ACCURACY", "MINUTE", "MAX_BINS", "GROWTH_BLOCK",
           "GROWTH_BLOCKS", "per_minute", "pooled_summary", "add_to_sketch"]

RELATIVE_ACCURACY = 0.01  #: the latency sketch's relative accuracy (1 %)
MINUTE = 60.0  #: seconds per row of the per-minute tables (until a run outgrows MAX_BINS of them)
#: rows of the per-minute tables at most: a longer run's rows are merged in pairs (each row two,
#: four … minutes long), so their memory is bounded however long the simulated time
MAX_BINS = 2**16
GROWTH_BLOCK = 64  #: arrivals per block of the latency_growth sums, at first
GROWTH_BLOCKS = 4096  #: at most this many blocks: past it, pairs of blocks merge (blocks twice as long)
#: the columns of each streamed table that the folds read (:meth:`StreamSummary.add_requests`,
#: :meth:`StreamSummary.add_attempts`): a summary run with no other reader of its chunks keeps
#: only these (the others' values are dropped as rows move to the columns)
FOLDED_COLUMNS = {
    "requests": ("request_id", "arrival", "end", "latency", "status", "ttft", "tpot", "cost", "attempts",
                 "phases", "fallbacks"),
    "attempts": ("request_id", "queued", "start", "end", "server_end", "cost", "plugin", "outcome", "tier",
                 "hedge", "abandoned"),
}


def add_to_sketch(sketch: DDSketch, values: np.ndarray) -> None:
    """Add ``values`` (seconds, ≥ 0) to ``sketch`` with one weighted add per bucket instead of one
    add per value (several microseconds each, in Python): the values are grouped by the bucket
    their logarithm falls in (base γ = (1 + α) / (1 − α), α = :data:`RELATIVE_ACCURACY`, as the
    sketch maps them), and each group is added as its mean with the group's size as weight. The
    sketch's counts, hence every quantile, and its sum are those of adding each value; its min and
    max are of the groups' means.

    Parameters:
        sketch: a :class:`ddsketch.DDSketch` of relative accuracy :data:`RELATIVE_ACCURACY`,
            added to in place.
        values: the values to add.
    """
    positive = values > 0
    zeros = len(values) - int(np.count_nonzero(positive))
    if zeros:  # (a latency of 0 — a request refused at once — counts in the zero bucket)
        sketch.add(0.0, float(zeros))
    values = values[positive]
    if not len(values):
        return
    alpha = RELATIVE_ACCURACY  # (every sketch here is made with it)
    keys = np.ceil(np.log(values) / math.log((1 + alpha) / (1 - alpha))).astype(np.int64)
    buckets, index, counts = np.unique(keys, return_inverse=True, return_counts=True)
    means = np.bincount(index, values) / counts
    for mean, count in zip(means.tolist(), counts.tolist(), strict=True):
        sketch.add(mean, float(count))


class Bins:
    """A growing row of per-minute values (index: minute number).

    Work that spans many minutes is added in time linear in the calls, not in the minutes: its
    whole minutes go to a difference row (``ramp``: +w where a run of whole minutes starts, −w
    after it ends), whose running sum :meth:`dense` adds to the partial minutes at read time.
    """

    __slots__ = ("values", "ramp", "seconds")

    def __init__(self, seconds: float = 60.0) -> None:
        self.values = np.zeros(0)
        self.ramp = np.zeros(0)
        self.seconds = seconds  #: seconds per bin: a minute, or a power of two of them once coarsened

    def coarsened(self) -> Bins:
        """These bins at twice the width: neighbours summed (bin k of the result is bins 2k, 2k+1)."""
        v = self.dense()
        out = Bins(2 * self.seconds)
        out.values = np.pad(v, (0, len(v) % 2)).reshape(-1, 2).sum(axis=1)
        return out

    @staticmethod
    def _grown(row: np.ndarray, top: int) -> np.ndarray:
        if top > len(row):
            return np.concatenate([row, np.zeros(max(top, 2 * len(row)) - len(row))])
        return row

    def add(self, index: np.ndarray, weights: np.ndarray | float = 1.0) -> None:
        if not len(index):
            return
        top = int(index.max()) + 1
        self.values = self._grown(self.values, top)
        w = np.broadcast_to(np.asarray(weights, float), index.shape)
        self.values[:top] += np.bincount(index, w, minlength=top)[:top]

    def _runs(self, first: np.ndarray, stop: np.ndarray, weight: float) -> None:
        """Add ``weight`` to every minute first … stop − 1 of each run (``first < stop``)."""
        if not len(first):
            return
        top = int(stop.max()) + 1
        self.ramp = self._grown(self.ramp, top)
        self.ramp[:top] += weight * (np.bincount(first, minlength=top)[:top]
                                     - np.bincount(stop, minlength=top)[:top])

    def dense(self) -> np.ndarray:
        """The per-minute values, whole-minute runs included."""
        n = max(len(self.values), len(self.ramp))
        out = np.zeros(n)
        out[:len(self.values)] += self.values
        if len(self.ramp):
            out[:len(self.ramp)] += np.cumsum(self.ramp)
        return out

    def spread(self, a: np.ndarray, b: np.ndarray) -> None:
        """Add the length of each interval [a, b) to the bins it covers."""
        width = self.seconds
        first, last = (a // width).astype(np.int64), (b // width).astype(np.int64)
        one = first == last
        self.add(first[one], b[one] - a[one])
        many = ~one
        lo, hi, i, j = a[many], b[many], first[many], last[many]
        self.add(np.concatenate([i, j]), np.concatenate([(i + 1) * width - lo, hi - j * width]))
        inner = j > i + 1  # whole bins i + 1 … j − 1
        self._runs(i[inner] + 1, j[inner], width)

    def boundaries(self, a: np.ndarray, b: np.ndarray) -> None:
        """Count each interval [a, b) at the end of every minute inside it (minute m ends at
        (m + 1) × 60 s), in the bin that holds that minute."""
        first = np.ceil(a / MINUTE).astype(np.int64)  # the first boundary at or after a
        last = np.ceil(b / MINUTE).astype(np.int64)  # boundaries before b: first … last - 1
        many = last > first
        per = int(round(self.seconds / MINUTE))  # minutes per bin (1 until the bins coarsen)
        lo, hi = first[many] - 1, last[many] - 1  # the minutes m whose end is inside: lo … hi − 1
        bin_lo, bin_hi = lo // per, (hi - 1) // per
        same = bin_lo == bin_hi
        self.add(bin_lo[same], (hi - lo)[same].astype(float))
        apart = ~same
        self.add(np.concatenate([bin_lo[apart], bin_hi[apart]]),
                 np.concatenate([((bin_lo + 1) * per - lo)[apart], (hi - bin_hi * per)[apart]]).astype(float))
        inner = apart & (bin_hi > bin_lo + 1)
        self._runs(bin_lo[inner] + 1, bin_hi[inner], float(per))

    def merged(self, other: Bins) -> Bins:
        """Both bins added (at the coarser of their widths)."""
        a, b = self, other
        while a.seconds < b.seconds:
            a = a.coarsened()
        while b.seconds < a.seconds:
            b = b.coarsened()
        out = Bins(a.seconds)
        for name in ("values", "ramp"):
            mine, theirs = getattr(a, name), getattr(b, name)
            row = np.zeros(max(len(mine), len(theirs)))
            row[:len(mine)] += mine
            row[:len(theirs)] += theirs
            setattr(out, name, row)
        return out


def _col(chunk: Mapping[str, Sequence], name: str, dtype: type = float) -> np.ndarray:
    return np.asarray(chunk[name], dtype=dtype)


class Labels:
    """A text column as integer codes and their values (what the recorder's Categoricals hold):
    masks are integer comparisons, not string ones."""

    __slots__ = ("codes", "values")

    def __init__(self, column: Sequence | pd.Categorical) -> None:
        cat = column if isinstance(column, pd.Categorical) else pd.Categorical(
            np.asarray(column, dtype=object))
        self.codes = np.asarray(cat.codes)
        self.values = [str(v) for v in cat.categories]

    def mask(self, wanted: Iterable[str]) -> np.ndarray:
        """Rows whose value is one of ``wanted``."""
        wanted = set(wanted)
        return np.isin(self.codes, [i for i, v in enumerate(self.values) if v in wanted])

    def groups(self) -> Iterator[tuple[str, np.ndarray]]:
        """Each value present and its rows' mask."""
        for i in np.unique(self.codes).tolist():
            yield self.values[i], self.codes == i


@dataclass
class StreamSummary:
    """Counters, a latency sketch and per-minute bins, folded from chunks of rows.

    Parameters:
        plugins: each plugin's capacity (slots), in the order the summary lists them.
        slo_latency: the latency target of ``slo_attainment``, in seconds.
        first_in_window: the id of the first request arriving after the warm-up (the window's
            requests are this one and later; unknown until it arrives: the largest integer).
        warmup: when the warm-up ends, in seconds (inf until known).
    """
    plugins: dict[str, int]
    slo_latency: float = math.inf
    first_in_window: int = 2**62
    warmup: float = math.inf
    # the state folded so far (not parameters)
    requests: int = field(init=False, default=0)
    status: dict[str, int] = field(init=False, default_factory=lambda: dict.fromkeys(STATUSES, 0))
    latency: DDSketch = field(init=False, default_factory=lambda: DDSketch(RELATIVE_ACCURACY))
    latency_sum: float = field(init=False, default=0.0)
    latency_count: int = field(init=False, default=0)
    #: sketches of ttft and tpot (requests a token-aware deployment answered) and their counts
    token_sketches: dict[str, DDSketch] = field(init=False, default_factory=lambda: {
        "ttft": DDSketch(RELATIVE_ACCURACY), "tpot": DDSketch(RELATIVE_ACCURACY)})
    token_counts: dict[str, int] = field(init=False, default_factory=lambda: {"ttft": 0, "tpot": 0})
    within_slo: int = field(init=False, default=0)
    cost: float = field(init=False, default=0.0)
    attempts: int = field(init=False, default=0)
    phases: int = field(init=False, default=0)
    fell_back: int = field(init=False, default=0)
    growth: dict[str, Bins] = field(init=False, default_factory=lambda: {
        "arrivals": Bins(), "ended": Bins(), "latency": Bins()})
    growth_block: int = field(init=False, default=GROWTH_BLOCK)  #: arrivals per block of ``growth``
    cost_by_tier: dict[str, float] = field(init=False, default_factory=dict)
    cost_by_plugin: dict[str, float] = field(init=False, default_factory=dict)
    sent: int = field(init=False, default=0)
    failed_attempts: int = field(init=False, default=0)
    fast_fails: int = field(init=False, default=0)
    timeouts: int = field(init=False, default=0)
    abandoned_work: float = field(init=False, default=0.0)
    wait_sum: dict[str, float] = field(init=False, default_factory=dict)
    wait_count: dict[str, int] = field(init=False, default_factory=dict)
    busy: dict[str, float] = field(init=False, default_factory=dict)  #: slot-seconds inside the window
    minutes: dict[str, Bins] = field(init=False, default_factory=dict)  #: per-minute totals (see per_minute)
    #: seconds per row of the per-minute tables: a minute, doubled whenever the run outgrows MAX_BINS
    bin_seconds: float = field(init=False, default=60.0)
    open_time: dict[str, float] = field(init=False, default_factory=dict)  #: s the breaker was open
    end_time: float = field(init=False, default=0.0)

    def fit(self, latest: float) -> None:
        """Coarsen every per-minute bin (doubling their width, as often as needed) so that a time
        up to ``latest`` seconds falls within :data:`MAX_BINS` bins."""
        while latest >= MAX_BINS * self.bin_seconds:
            self.bin_seconds *= 2
            self.minutes = {k: b.coarsened() for k, b in self.minutes.items()}

    def bins(self, name: str) -> Bins:
        b = self.minutes.get(name)
        if b is None:
            b = self.minutes[name] = Bins(self.bin_seconds)
        return b

    # ------------------------------------------------------------------ folding chunks
    def add_requests(self, chunk: Mapping[str, Sequence]) -> None:
        """Fold a chunk of request rows (columns of the requests table)."""
        rid = _col(chunk, "request_id", np.int64)
        arrival, end, latency = _col(chunk, "arrival"), _col(chunk, "end"), _col(chunk, "latency")
        status = Labels(chunk["status"])
        fold_minutes(self, arrival, end, status)
        win = rid >= self.first_in_window
        if not win.any():
            return
        latency, rid = latency[win], rid[win]
        self.requests += int(win.sum())
        for st, rows in status.groups():
            self.status[st] += int((rows & win).sum())
        succeeded = status.mask([SUCCEEDED])[win]
        served = ~np.isnan(latency) & ~status.mask([REJECTED])[win]  # (rejected: not served)
        done = latency[served]
        add_to_sketch(self.latency, done)
        self.latency_sum += float(done.sum())
        self.latency_count += len(done)
        for name, sketch in self.token_sketches.items():
            if name in chunk:
                values = _col(chunk, name)[win]
                values = values[~np.isnan(values)]
                if len(values):
                    add_to_sketch(sketch, values)
                    self.token_counts[name] += len(values)
        self.within_slo += int((succeeded & (latency <= self.slo_latency)).sum())
        self.cost += float(_col(chunk, "cost")[win].sum())
        self.attempts += int(_col(chunk, "attempts", np.int64)[win].sum())
        self.phases += int(_col(chunk, "phases", np.int64)[win].sum())
        self.fell_back += int((_col(chunk, "fallbacks", np.int64)[win] > 0).sum())
        offset = rid - self.first_in_window
        while len(offset) and int(offset.max()) // self.growth_block >= GROWTH_BLOCKS:
            self._coarsen()
        block = offset // self.growth_block
        self.growth["arrivals"].add(block)
        self.growth["ended"].add(block[served])
        self.growth["latency"].add(block[served], latency[served])

    def add_attempts(self, chunk: Mapping[str, Sequence], now: float) -> None:
        """Fold a chunk of attempt rows; ``now``: the time (a call still working is cut there)."""
        rid = _col(chunk, "request_id", np.int64)
        queued, start, end = _col(chunk, "queued"), _col(chunk, "start"), _col(chunk, "end")
        server_end, cost = _col(chunk, "server_end"), _col(chunk, "cost")
        plugin, outcome = Labels(chunk["plugin"]), Labels(chunk["outcome"])
        worked = ~np.isnan(start)
        finish = np.where(np.isnan(server_end), now, server_end)
        left = np.where(worked, start, end)  # when the call left the queue (refused: at once)
        if len(queued):
            self.fit(float(np.nanmax(np.concatenate([queued, left, finish]))))
        self.bins("cost").add((start[worked] // self.bin_seconds).astype(np.int64), cost[worked])
        win = rid >= self.first_in_window
        sent = ~outcome.mask(REFUSALS)
        for name, mine in plugin.groups():
            w = worked & mine
            self.bins(f"busy:{name}").spread(start[w], finish[w])
            q = mine & (left > queued)
            self.bins(f"queue:{name}").boundaries(queued[q], left[q])
            a, b = np.maximum(start[w], self.warmup), finish[w]
            self.busy[name] = self.busy.get(name, 0.0) + float(np.clip(b - a, 0.0, None).sum())
            served = mine & win & sent & worked
            self.wait_sum[name] = self.wait_sum.get(name, 0.0) + float((start - queued)[served].sum())
            self.wait_count[name] = self.wait_count.get(name, 0) + int(served.sum())
            if (mine & win).any():  # (as a full run, only plugins the window's requests called)
                self.cost_by_plugin[name] = self.cost_by_plugin.get(name, 0.0) + float(cost[mine & win].sum())
        if not win.any():
            return
        for name, rows in Labels(chunk["tier"]).groups():
            if name and (rows & win).any():
                self.cost_by_tier[name] = self.cost_by_tier.get(name, 0.0) + float(cost[rows & win].sum())
        self.sent += int(sent[win].sum())
        own = _col(chunk, "hedge", np.int64) == 0  # an attempt's own call, not a hedged copy
        self.failed_attempts += int((outcome.mask(FAILURE_KINDS) & win & own).sum())
        self.fast_fails += int((~sent[win]).sum())
        self.timeouts += int((outcome.mask([TIMEOUT]) & win & own).sum())
        abandoned = np.asarray(chunk["abandoned"], bool)[win]
        service = (server_end - start)[win][abandoned]
        self.abandoned_work += float(np.nansum(service))

    # ------------------------------------------------------------------ results
    def merge(self, other: StreamSummary) -> StreamSummary:
        """The summary of both runs' windows together (counters added, sketches merged): the
        pooled summary of replications, or of Dask workers' parts."""
        out = StreamSummary(dict(self.plugins), self.slo_latency)
        for name in ("requests", "latency_sum", "latency_count", "within_slo", "cost", "attempts", "phases",
                     "fell_back", "sent", "failed_attempts", "fast_fails", "timeouts", "abandoned_work"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        for name in ("status", "cost_by_tier", "cost_by_plugin", "wait_sum", "wait_count", "busy",
                     "open_time"):
            a, b = getattr(self, name), getattr(other, name)
            setattr(out, name, {k: a.get(k, 0) + b.get(k, 0) for k in {**a, **b}})
        out.latency = DDSketch(RELATIVE_ACCURACY)
        out.latency.merge(self.latency)
        out.latency.merge(other.latency)
        for name in out.token_sketches:
            out.token_sketches[name].merge(self.token_sketches[name])
            out.token_sketches[name].merge(other.token_sketches[name])
            out.token_counts[name] = self.token_counts[name] + other.token_counts[name]
        out.bin_seconds = max(self.bin_seconds, other.bin_seconds)
        out.minutes = {k: self.minutes.get(k, Bins(self.bin_seconds)).merged(
            other.minutes.get(k, Bins(other.bin_seconds))) for k in {**self.minutes, **other.minutes}}
        out.growth = {}  # latency_growth is a trend within one run: not defined for pooled runs
        # time metrics of pooled runs: their windows' lengths add up
        out.end_time = self.span + other.span
        out.warmup = 0.0
        return out

    @property
    def span(self) -> float:
        """Seconds in the window."""
        return max(self.end_time - min(self.warmup, self.end_time), 0.0)

    def token_quantile(self, name: str, q: float) -> float:
        """The ``q`` quantile of the window's ``ttft`` or ``tpot``, in seconds (NaN: none)."""
        if not self.token_counts[name]:
            return math.nan
        value = self.token_sketches[name].get_quantile_value(q)
        return math.nan if value is None else float(value)

    def quantile(self, q: float) -> float:
        """The ``q`` quantile of the latencies of the window's requests served, in seconds (NaN: none
        ended)."""
        if not self.latency_count:
            return math.nan
        value = self.latency.get_quantile_value(q)
        return math.nan if value is None else float(value)

    def _coarsen(self) -> None:
        """Merge the growth blocks in pairs (each twice as long): their number stays bounded
        however long the run, at the cost of cutting the thirds within longer blocks."""
        for bins in self.growth.values():
            v = bins.values
            bins.values = np.pad(v, (0, len(v) % 2)).reshape(-1, 2).sum(axis=1)
        self.growth_block *= 2

    def _growth(self) -> float:
        """Mean latency of the last third of the window's arrivals ÷ that of the first third."""
        n = self.requests
        if n < 3 or not self.growth:
            return math.nan
        sizes = [len(p) for p in np.array_split(np.empty(n, dtype=np.int8), 3)]
        firsts = (0, n - sizes[2])
        lasts = (sizes[0], n)
        means = [self._mean_between(a, b) for a, b in zip(firsts, lasts, strict=True)]
        first, last = means
        return last / first if first > 0 else math.nan

    def _mean_between(self, a: int, b: int) -> float:
        """Mean latency of arrivals a … b-1 of the window (blocks cut proportionally)."""
        size = max(len(self.growth[k].values) for k in ("arrivals", "ended", "latency"))
        arr, ended, lat = (np.pad(self.growth[k].values, (0, size - len(self.growth[k].values)))
                           for k in ("arrivals", "ended", "latency"))
        edges = np.arange(len(arr) + 1) * self.growth_block
        lo, hi = np.maximum(edges[:-1], a), np.minimum(edges[1:], b)
        share = np.clip(hi - lo, 0, None) / np.maximum(arr, 1)
        share = np.minimum(share, 1.0)
        count = float((ended * share).sum())
        return float((lat * share).sum()) / count if count else math.nan

    def set_window(self, first: int | None, warmup: float) -> None:
        """The window as known now: its first request (None: not arrived yet) and the warm-up's
        end (inf: not known yet). Rows folded before a request or a second of the window exists
        cannot belong to it, so folding with what is known so far is exact."""
        if first is not None:
            self.first_in_window = first
        self.warmup = warmup

    def finish(self, end_time: float, breaker_events: pd.DataFrame, warmup: float) -> None:
        """The run ended at ``end_time`` (the warm-up at ``warmup``): the window's breaker open time
        per plugin, from the transitions (a small table, kept in both record levels)."""
        from .metrics import _open_spans, _overlap

        self.end_time, self.warmup = end_time, warmup
        spans = _open_spans(breaker_events, end_time)
        window = [(self.warmup, end_time)] if self.warmup < end_time else []
        if len(spans):
            overlap = _overlap(spans.start.to_numpy(float), spans.end.to_numpy(float), window)
            self.open_time = {str(k): float(v) for k, v in
                              pd.Series(overlap, index=spans.index).groupby(spans.plugin).sum().items()}

    def rows(self) -> list[tuple[str, str, float]]:
        """The rows ``(metric, key, value)`` of the summary, as
        :func:`simroute.experiments.metrics.compute` gives them for the default window of a full run
        (after :meth:`finish`): the same metric declarations, read from these counters (this
        summary is their :class:`~simroute.experiments.metrics.Tally`)."""
        from .metrics import rows

        return rows(self)

    # ------------------------------------------------------------------ the Tally the metrics read
    @property
    def latency_mean(self) -> float:
        """Mean latency of the window's requests that ended, in seconds (NaN: none)."""
        return self.latency_sum / self.latency_count if self.latency_count else math.nan

    @property
    def latency_growth(self) -> float:
        """Mean latency of the last third of the window's arrivals ÷ that of the first third."""
        return self._growth()

    def busy_time(self, plugin: str) -> float:
        """Slot-seconds the plugin worked inside the window."""
        return self.busy.get(plugin, 0.0)

    def breaker_open(self, plugin: str) -> float:
        """Seconds inside the window the plugin's breaker was open."""
        return self.open_time.get(plugin, 0.0)

    def queue_wait(self, plugin: str) -> float | None:
        """Mean wait for a slot of the window's calls the plugin served (None: none)."""
        return self.wait_sum[plugin] / self.wait_count[plugin] if self.wait_count.get(plugin) else None

    def per_minute(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The per-minute tables: ``(overall, by_plugin)`` (see :func:`per_minute_frames`)."""
        return per_minute_frames(self.minutes, self.plugins, self.end_time, self.bin_seconds)


def minute_bytes(plugins: int) -> int:
    """Bytes one simulated minute costs the per-minute tables: a float for arrivals, spend and each
    final status, and two per plugin (busy, queue) — held in the bins while running and once more
    in the frames built from them (both record levels keep them)."""
    series = 2 + (len(STATUSES) - 1) + 2 * plugins  # (in_flight has no completions)
    return 2 * 8 * series


def fold_minutes(summary: StreamSummary, arrival: np.ndarray, end: np.ndarray, status: Labels) -> None:
    """Arrivals and completions by status, per minute, of a chunk of request rows."""
    if len(arrival):
        summary.fit(float(np.nanmax(np.concatenate([arrival, end]))))
    width = summary.bin_seconds
    summary.bins("arrivals").add((arrival // width).astype(np.int64))
    ended = ~np.isnan(end)
    minute = (np.where(ended, end, 0.0) // width).astype(np.int64)
    for name, rows in status.groups():
        if name != "in_flight":
            summary.bins(name).add(minute[rows & ended])


def per_minute_frames(minutes: Mapping[str, Bins], plugins: Mapping[str, int], end_time: float,
                      bin_seconds: float = MINUTE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-minute tables from per-minute bins.

    Returns:
        ``overall``: minute, start (s), arrivals, one column per final status (completions in the
        row), cost ($ of the attempts started in the row); ``by_plugin``: minute, start (s),
        plugin, utilization (busy slot-seconds ÷ capacity × the row's length inside the run),
        queue (calls waiting for a slot at the row's minute end; in a row of several minutes, their
        mean over its minute ends). A row is one minute until the run outgrows :data:`MAX_BINS`
        rows; then each row covers ``bin_seconds`` (a power of two of minutes): ``minute`` is its
        first minute, a ``minutes`` column says how many it covers, and ``frame.attrs
        ["minutes_per_row"]`` says so for every table.
    """
    count = max(int(math.ceil(end_time / bin_seconds)), 1)
    per = int(round(bin_seconds / MINUTE))

    def values(name: str) -> np.ndarray:
        v = minutes[name].dense() if name in minutes else np.zeros(0)
        out = np.zeros(count)
        out[:min(count, len(v))] = v[:count]
        return out

    row = np.arange(count)
    start = row * bin_seconds
    first = {"minute": row * per, "start": start, **({"minutes": per} if per > 1 else {})}
    overall = pd.DataFrame({**first, "arrivals": values("arrivals").astype(np.int64)})
    for name in STATUSES[:-1]:
        overall[name] = values(name).astype(np.int64)
    overall["cost"] = values("cost")
    length = np.clip(end_time - start, 0.0, bin_seconds)
    parts = []
    for name, capacity in plugins.items():
        busy = values(f"busy:{name}")
        util = np.divide(busy, capacity * length, out=np.full(count, np.nan), where=length > 0)
        queue = values(f"queue:{name}")
        parts.append(pd.DataFrame({**first, "plugin": name, "utilization": util,
                                   "queue": queue.astype(np.int64) if per == 1 else queue / per}))
    by_plugin = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*first, "plugin", "utilization", "queue"])
    for frame in (overall, by_plugin):
        frame.attrs["minutes_per_row"] = per
    return overall, by_plugin


def per_minute(requests: pd.DataFrame, attempts: pd.DataFrame, plugins: Mapping[str, int],
               end_time: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-minute tables of a full run, from its tables (the same folds a summary run makes)."""
    s = StreamSummary(dict(plugins))
    fold_minutes(s, requests.arrival.to_numpy(float), requests.end.to_numpy(float),
                 Labels(requests.status.array))
    s.add_attempts({c: attempts[c].array for c in ("request_id", "queued", "start", "end", "server_end",
                                                    "cost", "plugin", "outcome", "tier", "abandoned")},
                   end_time)
    return per_minute_frames(s.minutes, plugins, end_time, s.bin_seconds)


def pooled_summary(summaries: Iterable[StreamSummary]) -> StreamSummary:
    """One summary of several runs' windows (replications, or Dask workers' parts) together.

    Parameters:
        summaries: the runs' summaries (``Results.stream``), merged in this order.

    Returns:
        The pooled :class:`StreamSummary` (``.rows()``: its summary rows).

    Raises:
        ValueError: no summaries.
    """
    items = list(summaries)
    if not items:
        raise ValueError("no summaries to pool")
    out = items[0]
    for s in items[1:]:
        out = out.merge(s)
    return out
