import pytest
from hypothesis import given
from hypothesis import strategies as st

import simroute as sr
from simroute.resilience.breaker import CLOSED, HALF_OPEN, OPEN


def seed_breaker(**kw):
    """The seed's example: two successes, then five failures from t=11 to t=15."""
    cb = sr.CircuitBreaker(failure_threshold=5, open_timeout=60, success_threshold=3, **kw)
    for t in (1, 2):
        assert cb.allow(t)
        cb.record_success(t)
    for t in (11, 12, 13, 14, 15):
        assert cb.allow(t)
        cb.record_failure(t)
    return cb


def test_seed_timeline_recovery():
    cb = seed_breaker()
    assert cb.transitions == [(15, CLOSED, OPEN)]
    assert not cb.allow(40) and cb.state_at(74.999) == OPEN
    assert cb.state_at(75) == HALF_OPEN
    for t in (76, 77, 78):
        assert cb.allow(t)
        cb.record_success(t)
    assert cb.transitions == [(15, CLOSED, OPEN), (75, OPEN, HALF_OPEN), (78, HALF_OPEN, CLOSED)]
    assert cb.failures == 0 and cb.open_time(100) == 60


def test_seed_timeline_failed_recovery():
    cb = seed_breaker()
    assert cb.allow(76)
    cb.record_success(76)
    assert cb.allow(77)
    cb.record_failure(77)
    assert cb.state == OPEN and cb.opened_at == 77
    assert cb.state_at(136.9) == OPEN and cb.state_at(137) == HALF_OPEN
    assert [t for t, _, _ in cb.transitions] == [15, 75, 77, 137]


def test_boundary_call_at_exactly_opened_at_plus_timeout_is_admitted():
    cb = seed_breaker()
    assert cb.allow(75)
    assert cb.transitions[-1] == (75, OPEN, HALF_OPEN)


def test_lazy_half_open_happens_at_the_next_call():
    cb = seed_breaker(lazy_half_open=True)
    assert cb.state_at(80) == OPEN
    assert cb.allow(90)
    assert cb.transitions[-1] == (90, OPEN, HALF_OPEN)


def _breaker_in(state):
    cb = sr.CircuitBreaker(failure_threshold=1, open_timeout=10, success_threshold=2,
                           half_open_max_calls=2)
    if state in (OPEN, HALF_OPEN):
        cb.record_failure(0)
    if state == HALF_OPEN:
        cb.state_at(10)
    assert cb.state == state
    return cb


@pytest.mark.parametrize("state, event, after", [
    (CLOSED, "success", CLOSED),
    (CLOSED, "failure", OPEN),  # threshold 1
    (CLOSED, "allow", CLOSED),
    (OPEN, "success", OPEN),  # a late result changes nothing
    (OPEN, "failure", OPEN),
    (OPEN, "allow", OPEN),  # rejected
    (OPEN, "timeout", HALF_OPEN),
    (HALF_OPEN, "success", HALF_OPEN),  # 1 of 2
    (HALF_OPEN, "failure", OPEN),
    (HALF_OPEN, "allow", HALF_OPEN),
])
def test_transition_table(state, event, after):
    cb = _breaker_in(state)
    t = 5 if state == OPEN else 10  # before the open timeout ends
    if event == "success":
        cb.record_success(t)
    elif event == "failure":
        cb.record_failure(t)
    elif event == "allow":
        allowed = cb.allow(t)
        assert allowed == (state != OPEN)
    elif event == "timeout":
        cb.state_at(20)
    assert cb.state == after


def test_half_open_admits_only_max_trial_calls():
    cb = _breaker_in(HALF_OPEN)
    assert cb.allow(10) and cb.allow(10)
    assert not cb.allow(10) and cb.rejected == 1


def test_failure_rate_window_with_minimum_calls():
    cb = sr.CircuitBreaker(window="count", window_size=4, failure_rate_threshold=0.5, minimum_calls=4)
    for t, ok in enumerate([False, True, False]):
        cb.record_success(t) if ok else cb.record_failure(t)
    assert cb.state == CLOSED  # 3 calls < minimum
    cb.record_success(3)
    # the window reaches its minimum with 2/4 failed: judged after every call (as resilience4j
    # does), a success included
    assert cb.state == OPEN and cb.opened_at == 3


def test_time_window_forgets_old_failures():
    cb = sr.CircuitBreaker(window="time", window_size=10, failure_rate_threshold=0.6, minimum_calls=3)
    cb.record_failure(0)
    cb.record_failure(1)
    cb.record_success(20)
    cb.record_success(21)
    cb.record_failure(22)  # old failures fell out: 1/3 failed
    assert cb.state == CLOSED


def test_slow_calls_count_as_failures():
    cb = sr.CircuitBreaker(failure_threshold=2, slow_call_duration=5.0)
    cb.record_success(1, duration=6.0)
    cb.record_success(2, duration=7.0)
    assert cb.state == OPEN


def test_time_must_not_go_backwards_and_settings_are_checked():
    cb = sr.CircuitBreaker()
    cb.allow(5)
    with pytest.raises(ValueError, match="backwards"):
        cb.allow(4)
    with pytest.raises(ValueError, match="window must be one of"):
        sr.CircuitBreaker(window="sliding")


def test_transition_callback():
    seen = []
    cb = sr.CircuitBreaker(failure_threshold=1, on_transition=lambda *a: seen.append(a))
    cb.record_failure(3)
    assert seen == [(3, CLOSED, OPEN)]


@given(st.lists(st.tuples(st.floats(0, 5), st.sampled_from(["ok", "fail", "allow"])), max_size=60))
def test_transitions_are_consistent_chains(events):
    cb = sr.CircuitBreaker(failure_threshold=3, open_timeout=10, success_threshold=2)
    t = 0.0
    for dt, what in events:
        t += dt
        if what == "allow":
            cb.allow(t)
        elif what == "ok":
            cb.record_success(t)
        else:
            cb.record_failure(t)
    prev = CLOSED
    times = [tr[0] for tr in cb.transitions]
    assert times == sorted(times)
    for _, frm, to in cb.transitions:
        assert frm == prev and frm != to
        assert (frm, to) in {(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (HALF_OPEN, CLOSED)}
        prev = to


# ---------------------------------------------------------------------- rate and slow-call breakers
def reference_opens(calls, *, window, size, minimum, rate, slow_after, slow_rate):
    """A small reference: recompute the window from scratch after every call; the index of the
    call that opens the breaker, or None. ``calls`` are (t, failed, duration), t non-decreasing."""
    for i, (t, _, _) in enumerate(calls):
        seen = calls[: i + 1]
        if window == "count":
            inside = seen[-int(size):]
        else:
            inside = [c for c in seen if c[0] > t - size]
        if len(inside) < minimum:
            continue
        failures = sum(1 for c in inside if c[1]) / len(inside)
        slow = sum(1 for c in inside if slow_after is not None and c[2] >= slow_after) / len(inside)
        if failures >= rate or (slow_after is not None and slow >= slow_rate):
            return i
    return None


call_streams = st.lists(st.tuples(st.floats(0, 3), st.booleans(), st.floats(0, 10)), min_size=1, max_size=80)


@given(calls=call_streams, window=st.sampled_from(["count", "time"]), size=st.integers(1, 12),
       minimum=st.integers(1, 8), rate=st.sampled_from([0.2, 0.5, 0.8, 1.0]),
       slow_after=st.sampled_from([None, 2.0, 6.0]), slow_rate=st.sampled_from([0.3, 0.6, 1.0]))
def test_rate_and_slow_call_breakers_match_a_reference(calls, window, size, minimum, rate, slow_after,
                                                        slow_rate):
    stream, t = [], 0.0
    for gap, failed, duration in calls:
        t += gap
        stream.append((t, failed, duration))
    cb = sr.CircuitBreaker(window=window, window_size=size, minimum_calls=minimum,
                           failure_rate_threshold=rate, slow_call_duration=slow_after,
                           slow_call_rate_threshold=slow_rate, open_timeout=1e9)
    opened_at = None
    for i, (t, failed, duration) in enumerate(stream):
        assert cb.allow(t)
        (cb.record_failure if failed else cb.record_success)(t, duration)
        if cb.state == OPEN:
            opened_at = i
            break
    assert opened_at == reference_opens(stream, window=window, size=size, minimum=minimum, rate=rate,
                                        slow_after=slow_after, slow_rate=slow_rate)


def test_minimum_calls_and_window_expiry():
    cb = sr.CircuitBreaker(window="time", window_size=10, minimum_calls=3, failure_rate_threshold=0.5)
    for t in (0, 1):
        cb.allow(t)
        cb.record_failure(t)
    assert cb.state == CLOSED  # two failures: fewer than the minimum of calls
    cb.allow(12)
    cb.record_failure(12)  # the first two have left the window
    assert cb.state == CLOSED
    for t in (13, 14):
        cb.allow(t)
        cb.record_failure(t)
    assert cb.state == OPEN and cb.opened_at == 14


def test_a_slow_success_opens_a_slow_call_rate_breaker():
    cb = sr.CircuitBreaker(window="count", window_size=4, minimum_calls=4, slow_call_duration=5,
                           slow_call_rate_threshold=0.5)
    for t, d in ((1, 1), (2, 6), (3, 1), (4, 7)):
        cb.allow(t)
        cb.record_success(t, d)
    assert cb.transitions == [(4, CLOSED, OPEN)]


# ---------------------------------------------------------------------- half-open never livelocks
def test_one_trial_slot_and_three_successes_closes():
    cb = sr.CircuitBreaker(failure_threshold=1, open_timeout=10, success_threshold=3, half_open_max_calls=1)
    cb.allow(0)
    cb.record_failure(0)
    for t in (11, 12, 13):
        assert cb.allow(t)
        cb.record_success(t)
    assert cb.state == CLOSED


def test_a_trial_that_ends_without_a_verdict_gives_its_slot_back():
    cb = sr.CircuitBreaker(failure_threshold=1, open_timeout=10, success_threshold=1, half_open_max_calls=1)
    cb.allow(0)
    cb.record_failure(0)
    assert cb.allow(10) and not cb.allow(10)  # the one slot is taken
    cb.release(11)
    assert cb.allow(11)


@given(threshold=st.integers(1, 5), successes=st.integers(1, 5), slots=st.integers(1, 5),
       timeout=st.floats(0, 100), gaps=st.lists(st.floats(0, 20), min_size=1, max_size=40))
def test_successes_after_the_open_timeout_always_close_the_breaker(threshold, successes, slots, timeout,
                                                                    gaps):
    cb = sr.CircuitBreaker(failure_threshold=threshold, open_timeout=timeout, success_threshold=successes,
                           half_open_max_calls=slots)
    for _ in range(threshold):
        cb.allow(0)
        cb.record_failure(0)
    assert cb.state == OPEN
    t = timeout
    for gap in [*gaps, *([1.0] * successes)]:  # any stream of successes, each call ending as it starts
        t += gap
        if cb.allow(t):
            cb.record_success(t)
    assert cb.state == CLOSED
