import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import simroute as sr


def test_backoff_without_jitter():
    policy = sr.RetryPolicy(max_retries=3, base=1.0, cap=10.0, jitter="none")
    assert policy.delays() == [1.0, 2.0, 4.0]
    assert [policy.backoff(n) for n in range(4, 7)] == [8.0, 10.0, 10.0]  # capped


@given(jitter=st.sampled_from(["none", "full", "equal", "decorrelated"]),
       seed=st.integers(0, 2**32 - 1), base=st.floats(0.01, 5), cap_factor=st.floats(1, 50),
       retries=st.integers(0, 12))
def test_jittered_delays_stay_within_bounds(jitter, seed, base, cap_factor, retries):
    policy = sr.RetryPolicy(max_retries=retries, base=base, cap=base * cap_factor, jitter=jitter)
    delays = policy.delays(np.random.default_rng(seed))
    assert len(delays) == retries
    for n, d in enumerate(delays, 1):
        lo, hi = policy.bounds(n)
        assert lo - 1e-12 <= d <= hi + 1e-12


def test_jitter_is_reproducible_and_needs_rng():
    policy = sr.RetryPolicy(jitter="full")
    assert policy.delays(np.random.default_rng(1)) == policy.delays(np.random.default_rng(1))
    with pytest.raises(ValueError, match="needs an rng"):
        policy.delays()
    with pytest.raises(ValueError, match="jitter must be one of"):
        sr.RetryPolicy(jitter="random")


def test_retry_budget_caps_retries_to_a_fraction_of_requests():
    budget = sr.RetryBudget(ratio=0.1, min_retries=0, window=None)
    for i in range(100):
        budget.record_request(i)
    granted = sum(budget.try_spend(100) for _ in range(50))
    assert granted == 10 and budget.denied == 40


def test_retry_budget_window_slides():
    budget = sr.RetryBudget(ratio=0.5, min_retries=0, window=10)
    budget.record_request(0)
    budget.record_request(1)
    assert budget.try_spend(2) and not budget.try_spend(2)
    assert not budget.try_spend(30)  # the requests left the window


@pytest.mark.parametrize("jitter", ["none", "full", "equal", "decorrelated"])
def test_a_huge_retry_count_backs_off_at_the_cap_instead_of_overflowing(jitter):
    """2.0 ** n overflows past n = 1024: the doubling stops at the cap (issue 25)."""
    policy = sr.RetryPolicy(max_retries=5000, base=0.5, cap=30.0, jitter=jitter)
    rng = np.random.default_rng(1)
    assert policy.backoff(1) == 0.5 and policy.backoff(5000) == 30.0
    assert all(0 <= d <= 30.0 for d in (policy.delay(n, rng, 30.0) for n in (1024, 1025, 5000)))


def test_the_group_routers_backoff_stops_doubling_at_its_maximum():
    from simroute.engine.grouprouter import GroupRouter, _NoCall

    router = GroupRouter.__new__(GroupRouter)  # only the backoff rule: no run needed
    router.rng = np.random.default_rng(0)
    router.settings = s = sr.RouterSettings()
    wait = router._sleep(_NoCall("error"), remaining=1, retries=5000, healthy=[], size=1)
    assert s.max_retry_delay <= wait < s.max_retry_delay + s.jitter


@pytest.mark.parametrize("jitter", ["none", "full", "equal", "decorrelated"])
def test_zero_backoff_retries_at_once(jitter):
    policy = sr.RetryPolicy(max_retries=4, base=0.0, cap=0.0, jitter=jitter)
    assert policy.delays(np.random.default_rng(1)) == [0.0, 0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="0 <= base <= cap"):
        sr.RetryPolicy(base=-1.0)


def test_zero_backoff_in_the_engine_sends_each_retry_when_the_last_attempt_ends(catalog):
    failing = sr.FailureModel(error_latency=sr.ServiceTime(dist="deterministic", mean=2.0))
    cat = catalog.with_plugin("iac-golden-architect", failure_p=1.0, failure=failing)
    s = sr.Scenario(name="zero", catalog=cat,
                    settings=sr.Settings(retry=sr.RetryPolicy(max_retries=3, base=0.0, cap=0.0),
                                         builtin_fallback=False, reading=sr.SEED_READING,
                                         weights=sr.SEED_WEIGHTS),
                    workload=sr.Workload(kind="schedule", times=(0.0,),
                                         mix=(sr.MixEntry(text="Terraform the AWS infrastructure"),)))
    a = sr.run(s, seed=0).attempts
    a = a[a.plugin == "iac-golden-architect"]
    assert list(a.queued) == [0.0, 2.0, 4.0, 6.0]
