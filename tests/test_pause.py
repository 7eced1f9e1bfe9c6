"""Pause faults: a plugin that stops serving for D seconds stalls its calls by D; Little's law holds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simroute as sr
from simroute.engine.faults import through_pauses

from .conftest import littles_law


def scenario(times=None, capacity=1000, pauses=(), service=None, workload=None, timeout_s=None):
    deployment = {"name": "a", "group": "g", "capacity": capacity,
                  "service": {"default": service or {"dist": "deterministic", "mean_s": 10}}}
    if timeout_s is not None:
        deployment["timeout_s"] = timeout_s
    raw = {"name": "pause", "settings": {"router": {"num_retries": 0}},
           "model_groups": {"deployments": [deployment]},
           "workload": workload or {"kind": "schedule", "times": list(times), "mix": [{"group": "g"}]},
           "faults": [{"plugin": "a", "kind": "pause", "start": a, "end": b} for a, b in pauses]}
    return sr.Scenario.from_dict(raw)


def test_a_pause_delays_every_call_in_service_by_its_length_and_a_call_begun_in_it_waits():
    r = sr.run(scenario([0, 2, 4, 20, 40], pauses=[(5, 35)]), seed=1)
    end = r.requests.sort_values("request_id").end.tolist()
    # in service at 5 s: ten seconds of work, thirty of them paused; begun at 20 s: waits until 35 s
    assert end == pytest.approx([40, 42, 44, 45, 50])
    assert (r.requests.status == "succeeded").all()
    plain = sr.run(scenario([0, 2, 4, 20, 40]), seed=1).requests.sort_values("request_id").end.tolist()
    assert plain == pytest.approx([10, 12, 14, 30, 50])


def test_queued_calls_wait_for_the_slot_and_a_callers_timeout_still_runs_out():
    r = sr.run(scenario([0, 1], capacity=1, pauses=[(5, 25)]), seed=1)
    assert r.requests.sort_values("request_id").end.tolist() == pytest.approx([30, 40])
    r = sr.run(scenario([0], pauses=[(5, 25)], timeout_s=20), seed=1)
    assert r.attempts.outcome.tolist() == ["timeout"] and r.requests.end.iloc[0] == pytest.approx(20)


def test_littles_law_holds_through_pauses():
    pauses = [(t, t + 10) for t in range(100, 3000, 200)]
    workload = {"kind": "poisson", "rate": 0.4, "requests": 1200, "mix": [{"group": "g"}]}
    s = scenario(capacity=1, pauses=pauses, workload=workload,
                 service={"dist": "exponential", "mean_s": 1.0})
    r = sr.run(s, seed=4)
    req = r.requests
    assert (req.status == "succeeded").all()
    in_system, lam_w = littles_law(req)
    assert in_system == pytest.approx(lam_w, rel=0.05)
    for a, b in pauses:  # nothing that arrives during a pause ends before it does
        inside = req[(req.arrival >= a) & (req.arrival < b)]
        assert (inside.end >= b).all()
    calm = sr.run(s.replace(faults=()), seed=4).requests
    assert req.latency.mean() > calm.latency.mean() + 0.2  # 1/20 of the time paused


def reference(windows, t, seconds):
    """The clock ticked one second at a time: a tick inside a pause does no work; work of no length
    begun inside a pause ends with it."""
    paused = {x for a, b in windows for x in range(a, b)}
    clock, left = t, seconds
    while left > 0 or (seconds == 0 and clock in paused):
        if clock not in paused:
            left -= 1
        clock += 1
    return clock - t


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 15)), max_size=5),
       st.integers(0, 60), st.integers(0, 30))
def test_through_pauses_is_the_stopped_clock(raw, t, seconds):
    windows = []  # merged, in time order, as the engine keeps them
    for a, b in sorted((a, a + d) for a, d in raw):
        if windows and a <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], b))
        else:
            windows.append((a, b))
    assert through_pauses(windows, float(t), float(seconds)) == pytest.approx(reference(windows, t, seconds))


def test_pause_is_a_documented_fault_kind():
    assert "pause" in sr.Fault.__doc__ and np.isfinite(sr.Fault(plugin="x", kind="pause", start=0, end=1).end)
    pause = sr.Fault(plugin="x", kind="pause", start=0, end=1)
    assert pause.effect.pauses and pause.effect.on_call(pause, 0.1, None) == (0.1, None, False)  # no failure
    assert pause.effect.slowdown(pause) == 1.0  # it stops the clock; it does not slow the work
