"""Studies that outgrow the machine: a separate Dask scheduler and workers, reached by address.

The scheduler and two workers run as their own processes (``dask scheduler``, ``dask worker``), as
on a real cluster; ``--scheduler ADDRESS`` (and Dask's ``DASK_SCHEDULER_ADDRESS`` with
``--executor dask``) sends a sweep and a tuning run there, and their tables equal the serial ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from simroute.faces.cli import main  # noqa: E402


def _dask() -> list[str]:
    found = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if found is None:
        pytest.skip("the dask command is not installed")
    return [found]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    file = folder / "scheduler.json"
    log = open(folder / "cluster.log", "w")  # noqa: SIM115 - closed at the end
    procs = [subprocess.Popen([*_dask(), "scheduler", "--scheduler-file", str(file), "--host", "127.0.0.1",
                               "--port", "0", "--dashboard-address", "127.0.0.1:0"],
                              stdout=log, stderr=subprocess.STDOUT)]
    try:
        deadline = time.monotonic() + 90
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert file.exists(), (folder / "cluster.log").read_text()
        address = json.loads(file.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen([*_dask(), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=log, stderr=subprocess.STDOUT))
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


SWEEP = ["sweep", "outage", "--param", "retry.max_retries=0,2", "--param", "breaker.failure_threshold=2,8",
         "--replications", "2", "--seed", "3", "--quiet"]
TUNE = ["tune", "outage", "--param", "retry.max_retries=0,1", "--param", "breaker.open_timeout=60:600",
        "--trials", "4", "--replications", "2", "--seed", "5", "--quiet", "--constraint", "latency_p95<=100"]


def test_a_sweep_and_a_tuning_run_on_a_separate_cluster_equal_the_serial_ones(scheduler, tmp_path):
    for name, command in (("sweep", SWEEP), ("tune", TUNE)):
        assert main([*command, "--executor", "serial", "--out", str(tmp_path / f"{name}-serial")]) == 0
        assert main([*command, "--scheduler", scheduler, "--out", str(tmp_path / f"{name}-cluster")]) == 0
        table = "sweep.csv" if name == "sweep" else "trials.csv"
        serial = pd.read_csv(tmp_path / f"{name}-serial" / table)
        cluster = pd.read_csv(tmp_path / f"{name}-cluster" / table)
        pd.testing.assert_frame_equal(serial, cluster)


def test_dask_scheduler_address_is_honoured_with_executor_dask(scheduler, tmp_path, monkeypatch):
    from simroute.experiments.executors import scheduler_address

    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", scheduler)
    assert scheduler_address("dask") == scheduler
    assert main([*SWEEP, "--executor", "dask", "--out", str(tmp_path / "env")]) == 0
    assert main([*SWEEP, "--executor", "serial", "--out", str(tmp_path / "serial")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "env" / "sweep.csv"),
                                  pd.read_csv(tmp_path / "serial" / "sweep.csv"))


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
    code = main([*SWEEP, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err[0]
    assert not (tmp_path / "x").exists()


def test_a_stored_study_resumes_and_two_processes_share_it(tmp_path):
    import subprocess
    import sys

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    base = ["tune", "outage", "--param", "retry.max_retries=0,1,2", "--param", "breaker.open_timeout=60:600",
            "--replications", "1", "--seed", "5", "--quiet", "--executor", "serial", "--storage", storage,
            "--study", "s"]
    assert main([*base, "--trials", "2", "--out", str(tmp_path / "first")]) == 0
    assert main([*base, "--trials", "4", "--out", str(tmp_path / "resumed")]) == 0
    first = pd.read_csv(tmp_path / "first" / "trials.csv")
    resumed = pd.read_csv(tmp_path / "resumed" / "trials.csv")
    assert list(resumed.trial) == [0, 1, 2, 3]  # the study's total, the first two kept as they were
    cols = [c for c in first.columns if c != "ties"]
    pd.testing.assert_frame_equal(first[cols], resumed[cols].iloc[:2])
    # two processes at once on one study: together they bring it to its total, no trial twice
    command = [sys.executable, "-m", "simroute", *base, "--trials", "8"]
    both = [subprocess.Popen([*command, "--out", str(tmp_path / f"p{i}")]) for i in range(2)]
    assert [p.wait(timeout=600) for p in both] == [0, 0]
    final = pd.read_csv(tmp_path / "p1" / "trials.csv")
    assert len(final) >= 8 and final.trial.is_unique  # (a process may add one batch past the total)
    # another question under the same name is refused, in one line
    other = [*base[:3], "retry.max_retries=0,5", *base[4:], "--trials", "2"]
    assert main(other) == 2


def test_a_tuning_run_interrupted_and_resumed_ends_with_the_uninterrupted_best(tmp_path, monkeypatch):
    import simroute as sr
    from simroute.experiments import tune as tune_module
    from simroute.experiments.params import with_params

    scenario = sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "outage.yaml")
    space = {"retry.max_retries": [0, 1, 2, 3], "breaker.open_timeout": (30.0, 600.0)}
    options = dict(objective="latency_p95", trials=6, replications=1, seed=3, executor="serial",
                   batch=2, progress=False)

    def tuned(url: str):
        return sr.tune(with_params(scenario, {"workload.requests": 300}), space,
                       storage=url, study="s", **options)

    whole = tuned(f"sqlite:///{tmp_path / 'whole.db'}")
    real, calls = tune_module.map_runs, []

    def interrupted(*args, **kwargs):  # the second batch is cut off: Ctrl-C while its runs go
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    url = f"sqlite:///{tmp_path / 'cut.db'}"
    monkeypatch.setattr(tune_module, "map_runs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tuned(url)
    monkeypatch.setattr(tune_module, "map_runs", real)
    resumed = tuned(url)
    cols = [*space, "latency_p95_mean"]
    pd.testing.assert_frame_equal(whole.trials[cols].reset_index(drop=True),
                                  resumed.trials[cols].reset_index(drop=True))
    assert whole.best_params == resumed.best_params
    assert whole.best["latency_p95_mean"] == resumed.best["latency_p95_mean"]
