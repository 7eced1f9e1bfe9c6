"""Closed-loop users against exact mean-value analysis, and their bounds and bad inputs."""

import pytest

import simroute as sr
from simroute.common.distributions import ServiceTime

TEXT = "Terraform the AWS infrastructure"  # one phase, on iac-golden-architect (the seed's routing)


def mva(n_users: int, service: float, think: float) -> tuple[float, float]:
    """Exact MVA of one FCFS exponential station and a delay (think) station: (R, X)."""
    queue = 0.0
    for n in range(1, n_users + 1):
        response = service * (1 + queue)
        throughput = n / (response + think)
        queue = throughput * response
    return response, throughput


def closed(catalog, users, *, service=1.0, think=3.0, requests=20_000, **settings):
    cat = catalog.with_plugin("iac-golden-architect", capacity=1, failure_p=0.0,
                              service={"default": ServiceTime(dist="exponential", mean=service)})
    return sr.Scenario(name="closed", catalog=cat,
                       settings=sr.Settings(reading=sr.SEED_READING, weights=sr.SEED_WEIGHTS,
                                            retry=sr.RetryPolicy(max_retries=0), **settings),
                       workload=sr.Workload(kind="closed", users=users, requests=requests,
                                            think=ServiceTime(dist="exponential", mean=think),
                                            mix=(sr.MixEntry(text=TEXT),)))


@pytest.mark.parametrize("users", [1, 3, 8])
def test_response_time_and_throughput_match_mean_value_analysis(catalog, users):
    r = sr.run(closed(catalog, users), seed=users)
    q = r.requests
    assert (q.status == "succeeded").all()
    want_r, want_x = mva(users, 1.0, 3.0)
    assert q.latency.mean() == pytest.approx(want_r, rel=0.04)
    assert len(q) / (q.end.max() - q.arrival.min()) == pytest.approx(want_x, rel=0.04)


def test_a_closed_loop_never_has_more_requests_in_flight_than_users(catalog):
    s = closed(catalog, 4, requests=2000)
    s = s.replace(faults=(sr.Fault(plugin="iac-golden-architect", kind="latency", value=20, start=500,
                                   end=1500),))
    q = sr.run(s, seed=2).requests
    events = sorted([(t, 1) for t in q.arrival] + [(t, -1) for t in q.end], key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    assert peak <= 4
    assert q.request_id.is_unique and len(q) == 2000


def test_a_load_factor_scales_the_users_and_the_same_seed_gives_the_same_run(catalog):
    s = closed(catalog, 3, requests=300)
    assert s.workload.at_load(2.0).users == 6
    assert sr.run(s, seed=5).requests.equals(sr.run(s, seed=5).requests)


def test_closed_workloads_read_from_yaml_and_bad_ones_name_the_field(catalog):
    raw = {"name": "c", "settings": {"reading": {"vocabulary": "seed"}},
           "workload": {"kind": "closed", "users": 2, "think": {"dist": "exponential", "mean_s": 5},
                        "requests": 10, "mix": [{"text": TEXT}]}}
    s = sr.Scenario.from_dict(raw)
    assert s.workload.think.mean == 5 and len(sr.run(s, seed=0).requests) == 10
    for change, field in (({"users": 0}, "users"), ({"users": None}, "users"), ({"think": None}, "think"),
                          ({"think": {"dist": "exponential", "mean_s": -1}}, "think")):
        bad = dict(raw, workload=dict(raw["workload"], **change))
        with pytest.raises(sr.InputError, match=field):
            sr.Scenario.from_dict(bad)


def test_users_join_evenly_over_the_ramp(catalog):
    s = closed(catalog, 10).replace(workload=sr.Workload(kind="closed", users=10, ramp=100.0, requests=10,
                                       think=ServiceTime(dist="deterministic", mean=200.0),
                                       mix=(sr.MixEntry(text=TEXT),)))
    first = sr.run(s, seed=1).requests.sort_values("arrival").arrival.to_numpy()
    assert first == pytest.approx([10 * k + 200.0 for k in range(10)])  # user k joins at k × 100 / 10 s
    assert "joining over 100 s" in s.workload.describe()
    with pytest.raises(sr.InputError, match="ramp"):
        sr.Workload(kind="closed", users=2, ramp=-5, think=ServiceTime(dist="deterministic", mean=1.0),
                    mix=(sr.MixEntry(text=TEXT),))
