import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simroute.resilience.ratelimit import TokenBucket


def test_a_full_bucket_admits_its_burst_then_its_rate():
    b = TokenBucket(60)  # one a second, burst 60
    admitted = 0
    for _ in range(100):
        if b.wait(0.0) == 0:
            b.take(0.0)
            admitted += 1
    assert admitted == 60
    assert b.wait(0.0) == pytest.approx(1.0)
    assert b.wait(0.5) == pytest.approx(0.5)
    assert b.wait(1.0) == 0


def test_retry_after_is_the_time_until_enough_tokens():
    b = TokenBucket(6000)  # 100 tokens a second
    b.take(0.0, 6000)
    assert b.wait(0.0, 250) == pytest.approx(2.5)
    assert b.wait(2.5, 250) == 0


def test_a_request_larger_than_the_burst_never_passes():
    assert TokenBucket(100).wait(1e9, 101) == math.inf


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan])
def test_a_limit_must_be_a_positive_finite_rate(bad):
    with pytest.raises(ValueError):
        TokenBucket(bad)


@given(st.floats(1, 600), st.lists(st.floats(0, 5), min_size=1, max_size=200))
def test_admitted_never_exceeds_burst_plus_rate_times_time(per_minute, gaps):
    """Over any stream of calls, admitted ≤ burst + rate × elapsed (the bucket's contract)."""
    b = TokenBucket(per_minute)
    t, admitted = 0.0, 0
    for gap in gaps:
        t += gap
        if b.wait(t) == 0:
            b.take(t)
            admitted += 1
        assert admitted <= per_minute + per_minute / 60 * t + 1e-9
