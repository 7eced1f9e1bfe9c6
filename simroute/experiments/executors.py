"""Where independent runs execute: serially, on a local process pool, or on Dask.

A task is ``(function, *arguments)``; :func:`map_runs` calls ``function(scenario, *arguments)``
for each and returns the results in task order, whatever the executor — so that sweeps, tuning and
reports give identical tables everywhere. The scenario is sent to each worker once (a pool
initializer, a Dask broadcast), not with every task.

Executors: ``"serial"``; ``"processes"`` (a ``ProcessPoolExecutor``, one worker per core by
default); ``"dask"`` (starts a ``distributed.LocalCluster`` and closes it afterwards — or, when
Dask's own ``DASK_SCHEDULER_ADDRESS`` is set, uses the cluster there); a scheduler's address
(``"tcp://host:8786"``: an existing Dask cluster, which is left running; the command line's
``--scheduler``); or a ``distributed.Client`` to use an existing cluster. The workers of an
existing cluster need simroute installed, the same version.
"""

from __future__ import annotations

import contextlib
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..common.errors import InputError
from ..io.scenario import Scenario

__all__ = ["EXECUTORS", "check_executor", "map_runs", "progress_bar", "scheduler_address"]

EXECUTORS = ("serial", "processes", "dask")
#: how a Dask scheduler's address starts (an executor given as one runs on that cluster)
SCHEDULER_SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


def scheduler_address(executor: Any) -> str | None:
    """The address of the existing Dask scheduler ``executor`` names: itself when it is an address,
    ``DASK_SCHEDULER_ADDRESS`` (Dask's convention) when it is ``"dask"``; else None."""
    if isinstance(executor, str) and executor.startswith(SCHEDULER_SCHEMES):
        return executor
    if executor == "dask":
        return os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    return None


def check_executor(executor: Any) -> None:
    """Raise :class:`InputError` unless ``executor`` is a known name, a scheduler's address or a
    ``distributed.Client``."""
    if isinstance(executor, str):
        if executor in EXECUTORS or executor.startswith(SCHEDULER_SCHEMES):
            return
    else:
        try:
            from distributed import Client
        except ImportError:
            pass
        else:
            if isinstance(executor, Client):
                return
    raise InputError(f"must be one of {', '.join(EXECUTORS)}, a Dask scheduler's address (tcp://host:8786) "
                     f"or a distributed.Client, got {executor!r}", field="executor")


def progress_bar(total: int, show: bool | None, desc: str, unit: str = "run"):
    """A tqdm bar (notebook-aware) as a context manager, or a null one (``as`` gives None):
    ``show`` None means "when there are 20 runs or more"."""
    if show is None:
        show = total >= 20
    if not show:
        return contextlib.nullcontext()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit)


_BASE: Scenario | None = None  #: the scenario, set once per pool worker


def _init_worker(scenario: Scenario) -> None:
    global _BASE
    _BASE = scenario


def _in_worker(task: tuple) -> Any:
    assert _BASE is not None
    return task[0](_BASE, *task[1:])


def _call(scenario: Scenario, task: tuple) -> Any:
    return task[0](scenario, *task[1:])


def map_runs(tasks: list[tuple], scenario: Scenario, executor: Any = "processes",
             workers: int | None = None, bar=None) -> list[Any]:
    """Each task's result, in task order; ``bar`` (if any) advances as tasks finish. The
    workload is read here first (a trace's every row), so that a bad input is one line from this
    process before any worker starts."""
    check_executor(executor)
    scenario.workload.expected_requests(scenario.horizon)

    def tick() -> None:
        if bar is not None:
            bar.update(1)

    if executor == "serial":
        out = []
        for task in tasks:
            out.append(_call(scenario, task))
            tick()
        return out
    if executor == "processes":
        workers = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                 initargs=(scenario,)) as pool:
            out = []
            for result in pool.map(_in_worker, tasks, chunksize=max(1, len(tasks) // (workers * 4))):
                out.append(result)
                tick()
            return out
    return _map_dask(tasks, scenario, executor, workers, tick)


def _map_dask(tasks: list[tuple], scenario: Scenario, executor: Any, workers: int | None,
              tick) -> list[Any]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("executor='dask' needs the dask extra: pip install -e \".[dask]\"",
                         field="executor") from None
    address = scheduler_address(executor)
    own = executor == "dask" and address is None
    cluster = None
    if address is not None:  # an existing cluster: connect, and leave it running
        try:
            client = Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {address} ({exc}); start one with "
                             "`dask scheduler` and workers with `dask worker ADDRESS`",
                             field="scheduler") from None
    elif own:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               silence_logs=logging.CRITICAL)  # a failing task is our one line, not a log
        client = Client(cluster)
    else:
        client = executor
    try:
        base = client.scatter(scenario, broadcast=True)
        futures = client.map(_call, [base] * len(tasks), tasks, pure=False)
        for _ in as_completed(futures):
            tick()
        return client.gather(futures)
    finally:
        if address is not None or own:
            client.close()
        if cluster is not None:
            cluster.close()
