"""Named rows: one attempt (:class:`Call`) and one request (:class:`RequestState`).

Each is a ``__slots__`` object whose public attributes are the columns of its table, in the
table's order (``ATTEMPT_COLUMNS``, ``REQUEST_COLUMNS``). Its ``append_to`` appends those
attributes to one list per column, in that order (the recorder's hot path: compiled, it reads each
field directly); ``tests/test_engine.py`` checks, column by column, that ``append_to`` puts each
attribute under its own name. Internal working state has a leading underscore and is not recorded.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from ..common.statuses import IN_FLIGHT

__all__ = ["Row", "Call", "RequestState", "ATTEMPT_COLUMNS", "RECORDED_ATTEMPT_COLUMNS",
           "DERIVED_ATTEMPT_COLUMNS", "REQUEST_COLUMNS"]

NAN = math.nan
#: plugins_used strings, shared: the plugins called, in order → each named once, comma-joined
_JOINED: dict[tuple[str, ...], str] = {}

#: the attempts table (documented in :mod:`simroute.experiments.results`)
ATTEMPT_COLUMNS = ("request_id", "phase", "plugin", "fallback_level", "attempt", "hedge", "queued",
                   "start", "end", "server_end", "queue_wait", "service", "outcome", "retry_after",
                   "abandoned", "cost", "tier")
#: the columns derived when the table is built: name → (minuend, subtrahend)
DERIVED_ATTEMPT_COLUMNS = {"queue_wait": ("start", "queued"), "service": ("server_end", "start")}
#: the columns a :class:`Call` holds
RECORDED_ATTEMPT_COLUMNS = tuple(c for c in ATTEMPT_COLUMNS if c not in DERIVED_ATTEMPT_COLUMNS)
#: the requests table (documented in :mod:`simroute.experiments.results`)
REQUEST_COLUMNS = ("request_id", "arrival", "end", "latency", "status", "reason", "text",
                   "complexity", "saga", "primary", "plugins_used", "phases", "attempts", "retries",
                   "fallbacks", "cost", "est_cost", "est_duration", "plan_cost", "budget", "optimized",
                   "context_tokens", "generated_tokens", "ttft", "tpot")


class Row(Protocol):
    """A named row: it appends its columns' values to ``columns``, one list per column, in its
    table's order."""

    def append_to(self, columns: list[list[Any]]) -> None: ...


class Call:
    """One attempt of a phase (or saga step) on one plugin: a row of the attempts table, plus
    ``tokens`` and ``deadline`` for the guards."""

    __slots__ = (*RECORDED_ATTEMPT_COLUMNS, "tokens", "deadline", "wrong", "_ticket", "_price")

    def __init__(self, request_id: int, phase: str, plugin: str, fallback_level: int, attempt: int,
                 now: float, tier: str, tokens: float, deadline: float, price: float) -> None:
        self.request_id = request_id
        self.phase = phase
        self.plugin = plugin
        self.fallback_level = fallback_level
        self.attempt = attempt
        self.hedge = 0  #: 0: the attempt itself; 1, 2 …: hedged copies
        self.queued = now  #: sent (guards passed or refused)
        self.start = NAN  #: the plugin started working on it
        self.end = NAN  #: the caller had its answer, or gave up
        self.server_end = NAN  #: the plugin stopped working on it (queue_wait and service derive)
        self.outcome = ""
        self.retry_after = 0.0
        self.abandoned = False  #: the caller gave up while the plugin still had it
        self.cost = 0.0
        self.tier = tier
        self.tokens = tokens  #: context + generated tokens (NaN: unknown)
        self.deadline = deadline  #: the request's deadline (absolute seconds; inf: none)
        self.wrong = False  #: the plugin is not one the request accepts (settings.wrong_plugin)
        self._ticket: Any = None  #: the plugin's queue ticket while it waits
        self._price = price  #: dollars if the plugin works on it

    def append_to(self, columns: list[list[Any]]) -> None:
        """Append this row to ``columns``, one list per column of ``RECORDED_ATTEMPT_COLUMNS``."""
        columns[0].append(self.request_id)
        columns[1].append(self.phase)
        columns[2].append(self.plugin)
        columns[3].append(self.fallback_level)
        columns[4].append(self.attempt)
        columns[5].append(self.hedge)
        columns[6].append(self.queued)
        columns[7].append(self.start)
        columns[8].append(self.end)
        columns[9].append(self.server_end)
        columns[10].append(self.outcome)
        columns[11].append(self.retry_after)
        columns[12].append(self.abandoned)
        columns[13].append(self.cost)
        columns[14].append(self.tier)

    def copy(self, hedge: int, now: float) -> Call:
        """A hedged copy of this attempt, sent at ``now``."""
        c = Call(self.request_id, self.phase, self.plugin, self.fallback_level, self.attempt, now,
                 self.tier, self.tokens, self.deadline, self._price)
        c.hedge = hedge
        c.wrong = self.wrong
        return c

    def refused(self, outcome: str, retry_after: float, now: float) -> None:
        """Ended before reaching the plugin: no work, no cost."""
        self.outcome, self.retry_after = outcome, retry_after
        self.start = self.end = self.server_end = now

    @property
    def service(self) -> float:
        """Seconds the plugin worked on it (NaN: not started, or still working)."""
        return self.server_end - self.start

    def __repr__(self) -> str:
        return (f"Call(request {self.request_id}, {self.phase!r} on {self.plugin}, attempt {self.attempt}"
                f"{f' copy {self.hedge}' if self.hedge else ''}: {self.outcome or 'running'})")


class RequestState:
    """One request while it runs; at its end, a row of the requests table."""

    __slots__ = (*REQUEST_COLUMNS, "_plugins", "_deadline", "_accept")

    def __init__(self, request_id: int, arrival: float, text: str, budget: float, ctx: float, gen: float,
                 saga: str | None, deadline: float) -> None:
        self.request_id = request_id
        self.arrival = arrival
        self.end = NAN
        self.latency = NAN
        self.status = ""
        self.reason = ""
        self.text = text
        self.complexity = ""
        self.saga = saga or ""
        self.primary = ""
        self.plugins_used = ""
        self.phases = 0
        self.attempts = 0
        self.retries = 0
        self.fallbacks = 0
        self.cost = 0.0
        self.est_cost = NAN
        self.est_duration = NAN
        self.plan_cost = NAN
        self.budget = budget
        self.optimized = False
        self.context_tokens = ctx
        self.generated_tokens = gen
        self.ttft = NAN  #: seconds from arrival to the answer's first token (a token-aware deployment)
        self.tpot = NAN  #: seconds per output token of the answer's decode (a token-aware deployment)
        self._plugins: list[str] = []
        self._accept: frozenset[str] | None = None  #: the plugins it accepts (None: not labelled)
        self._deadline = deadline

    def append_to(self, columns: list[list[Any]]) -> None:
        """Append this row to ``columns``, one list per column of ``REQUEST_COLUMNS``."""
        columns[0].append(self.request_id)
        columns[1].append(self.arrival)
        columns[2].append(self.end)
        columns[3].append(self.latency)
        columns[4].append(self.status)
        columns[5].append(self.reason)
        columns[6].append(self.text)
        columns[7].append(self.complexity)
        columns[8].append(self.saga)
        columns[9].append(self.primary)
        columns[10].append(self.plugins_used)
        columns[11].append(self.phases)
        columns[12].append(self.attempts)
        columns[13].append(self.retries)
        columns[14].append(self.fallbacks)
        columns[15].append(self.cost)
        columns[16].append(self.est_cost)
        columns[17].append(self.est_duration)
        columns[18].append(self.plan_cost)
        columns[19].append(self.budget)
        columns[20].append(self.optimized)
        columns[21].append(self.context_tokens)
        columns[22].append(self.generated_tokens)
        columns[23].append(self.ttft)
        columns[24].append(self.tpot)

    def finish(self, status: str, reason: str, end: float) -> None:
        self.status, self.reason = status, reason
        if status != IN_FLIGHT:
            self.end, self.latency = end, end - self.arrival
        plugins = self._plugins
        if len(plugins) == 1:  # (the common case: the string itself)
            self.plugins_used = plugins[0]
            return
        calls = tuple(plugins)
        joined = _JOINED.get(calls)
        if joined is None:  # one string per distinct list, not one per request (memory)
            joined = _JOINED[calls] = ",".join(dict.fromkeys(calls))
        self.plugins_used = joined
