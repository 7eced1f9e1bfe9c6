"""Every run is bounded: the limits that stop runs nothing else would (issue 25)."""

from __future__ import annotations

import copy
import dataclasses

import pandas as pd
import pytest

import simroute as sr
from simroute.io.litellm import import_litellm

from .test_litellm import REALISTIC


def failing_everywhere(scenario: sr.Scenario, **settings) -> sr.Scenario:
    catalog = scenario.catalog
    for name in catalog.plugins:
        catalog = catalog.with_plugin(name, failure_p=1.0)
    settings = dataclasses.replace(scenario.settings, **settings)
    return scenario.replace(catalog=catalog, faults=(), settings=settings)


def test_zero_wait_retries_without_end_stop_at_the_attempt_limit():
    base = sr.Scenario.default()
    scenario = failing_everywhere(
        base, max_attempts=40, breaker=dataclasses.replace(base.settings.breaker, enabled=False),
        retry=sr.RetryPolicy(max_retries=10**9, base=1e-9, cap=1e-9, jitter="none"))
    scenario = scenario.replace(workload=dataclasses.replace(scenario.workload, requests=6))
    r = sr.run(scenario, seed=1)
    assert len(r.requests) == 6 and (r.requests.attempts <= 40).all()
    assert (r.requests.reason == "attempt_limit").any()
    assert set(r.requests.status) == {"failed"}


def _router(**router_settings) -> sr.Scenario:
    config = copy.deepcopy(REALISTIC)
    config["router_settings"].update(router_settings)
    scenario = sr.Scenario.from_dict(import_litellm(config).scenario)
    return scenario.replace(workload=dataclasses.replace(scenario.workload, requests=4))


def test_a_routers_endless_retries_stop_at_the_attempt_limit():
    scenario = _router(num_retries=10**6, retry_after=0, disable_cooldowns=True, retry_policy={})
    scenario = failing_everywhere(scenario, max_attempts=25)
    r = sr.run(scenario, seed=2)
    assert (r.requests.attempts <= 25).all() and (r.requests.reason == "attempt_limit").all()


def test_a_cyclic_fallback_chain_at_the_deepest_allowed_ends():
    scenario = _router(num_retries=0, disable_cooldowns=True, max_fallbacks=100, retry_policy={},
                       fallbacks=[{"gpt-4o": ["claude"]}, {"claude": ["gpt-4o"]}], default_fallbacks=[])
    r = sr.run(failing_everywhere(scenario), seed=3)  # no RecursionError
    assert (r.requests.status == "failed").all() and (r.requests.fallbacks == 100).all()
    with pytest.raises(sr.InputError, match="max_fallbacks"):
        sr.RouterSettings(max_fallbacks=101)


def test_hedging_copies_are_bounded():
    with pytest.raises(sr.InputError, match=r"max_copies.*within \[2, 32\]"):
        sr.Settings(hedge=sr.HedgeSettings(delay=1.0, max_copies=33))


def test_calls_that_hang_for_years_keep_the_per_minute_tables_bounded():
    """Three requests whose calls hang for 10^12 s made per-minute tables as long as the simulated
    time (issue 25; then refused before the run). Now the rows merge in pairs past MAX_BINS (issue
    28): the run completes at both record levels, its tables at most MAX_BINS rows, the resolution
    stated, and no work is lost in the merging."""
    from simroute.experiments.streaming import MAX_BINS

    base = sr.Scenario.default()
    catalog = base.catalog
    for name in catalog.plugins:
        plugin = catalog.plugins[name]
        catalog = catalog.with_plugin(name, failure_p=1.0, failure=dataclasses.replace(
            plugin.failure, kinds={"timeout": 1.0}, hang_s=1e12))
    scenario = base.replace(catalog=catalog, faults=(),
                            workload=dataclasses.replace(base.workload, requests=3))
    tables = {}
    for record in ("full", "summary"):
        r = sr.run(scenario, seed=0, record=record)
        assert r.end_time > 1e12
        overall, by_plugin = r.per_minute(), r.per_minute(by_plugin=True)
        per = overall.attrs["minutes_per_row"]
        assert len(overall) <= MAX_BINS and per > 1 and (overall.minutes == per).all()
        assert by_plugin.attrs["minutes_per_row"] == per and overall.arrivals.sum() == 3
        busy = by_plugin.utilization.fillna(0) * by_plugin.plugin.map(dict(zip(
            r.plugins.plugin, r.plugins.capacity, strict=True))) * per * 60.0
        tables[record] = (overall, by_plugin, float(busy.sum()))
    (full, _, full_busy), (summary, _, summary_busy) = tables["full"], tables["summary"]
    pd.testing.assert_frame_equal(full, summary)
    assert full_busy == pytest.approx(summary_busy, rel=1e-9) and full_busy > 1e12  # the hung work, all of it
