"""Every run is bounded: the limits that stop runs nothing else would (issue 25)."""

from __future__ import annotations

import copy
import dataclasses

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


def test_calls_that_hang_for_years_are_refused_before_the_run_not_after_filling_memory():
    """Three requests whose calls hang for 10^12 s made per-minute tables as long as the simulated
    time (issue 25): refused at once, naming the plugin's hang_s, at both record levels."""
    base = sr.Scenario.default()
    catalog = base.catalog
    for name in catalog.plugins:
        plugin = catalog.plugins[name]
        catalog = catalog.with_plugin(name, failure_p=1.0, failure=dataclasses.replace(
            plugin.failure, kinds={"timeout": 1.0}, hang_s=1e12))
    scenario = base.replace(catalog=catalog, faults=(),
                            workload=dataclasses.replace(base.workload, requests=3))
    for record in ("full", "summary"):
        with pytest.raises(sr.InputError, match=r"failure\.hang_s is 1,000,000,000,000 s.*set a horizon"):
            sr.run(scenario, seed=0, record=record)
    bounded = scenario.replace(horizon=3600.0)
    assert len(sr.run(bounded, seed=0, record="summary").summary())  # a horizon bounds it
