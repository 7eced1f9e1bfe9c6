"""A retry storm that outlives its trigger (simroute/data/scenarios/metastable.yaml, notebook 06)."""

import pytest

import simroute as sr
from simroute.experiments.params import with_params
from simroute.policies.catalog import data_dir


@pytest.fixture(scope="module")
def scenario():
    return sr.Scenario.from_yaml(data_dir() / "scenarios" / "metastable.yaml")


def goodput(r, t0, t1):
    """Share of the requests arriving in [t0, t1) that succeeded."""
    q = r.requests[(r.requests.arrival >= t0) & (r.requests.arrival < t1)]
    return float((q.status == "succeeded").mean())


@pytest.mark.parametrize("seed", [1, 2])
def test_retries_and_timeouts_keep_the_plugin_collapsed_after_the_spike(scenario, seed):
    r = sr.run(scenario, seed=seed)
    spike = scenario.workload.surges[0]
    assert goodput(r, 0, spike.start) > 0.99                 # healthy before
    assert goodput(r, spike.end + 1200, r.end_time) < 0.05    # still collapsed long after
    a = r.attempts
    assert a.abandoned.sum() > 1000                           # busy serving callers who left


@pytest.mark.parametrize("lever", [
    {"retry_budget": sr.RetryBudgetSettings(ratio=0.1, min_retries=0, window=60)},
    {"breaker.enabled": True},
    {"shedding.max_queue": 8},
    {"retry.max_retries": 0},
], ids=["retry budget", "breaker", "shedding", "no retries"])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_lever_brings_it_back(scenario, lever, seed):
    r = sr.run(with_params(scenario, lever), seed=seed)
    spike = scenario.workload.surges[0]
    assert goodput(r, spike.end + 1200, r.end_time) > 0.9


def test_without_the_spike_nothing_collapses(scenario):
    r = sr.run(with_params(scenario, {"workload.surges[0].factor": 1.0}), seed=1)
    assert goodput(r, 0, r.end_time) > 0.99
