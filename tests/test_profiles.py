"""Rate profiles on every open arrival kind: arrivals per window follow the profile's integral."""

import math

import numpy as np
import pytest

import simroute as sr
from simroute.common.errors import InputError
from simroute.io.profiles import MAX_GRID, Diurnal, Ramp, RateProfile, Spike, Steps
from simroute.io.traces import azure_code_2023
from simroute.io.workload import MixEntry, Surge, Workload

MIX = (MixEntry(text="x"),)
SHAPES = (Steps(at=(100.0, 200.0), factors=(3.0, 0.5)), Ramp(start=0, end=50, factor_from=0.2, factor_to=1),
          Spike(start=150, end=180, factor=2.0))
WINDOWS = [(0, 50), (50, 100), (100, 150), (150, 180), (180, 200), (200, 300)]


def counts(times, windows=WINDOWS):
    return np.array([((times >= a) & (times < b)).sum() for a, b in windows])


def expected(rate, profile, windows=WINDOWS):
    return np.array([rate * profile.integral(a, b) for a, b in windows])


def test_the_integral_is_exact_for_steps_ramps_and_spikes_and_close_for_a_cycle():
    p = RateProfile(SHAPES)
    # by hand: the ramp's mean 0.6 over 50 s, then 1, then steps × spike
    assert p.integral(0, 50) == pytest.approx(30.0)
    assert p.integral(50, 100) == pytest.approx(50.0)
    assert p.integral(100, 200) == pytest.approx(3 * 50 + 6 * 30 + 3 * 20)
    assert p.integral(200, 1000) == pytest.approx(400.0)
    wave = RateProfile((Diurnal(amplitude=0.5, period=100.0),))
    exact = 25 + 0.5 * 100 / (2 * math.pi) * (1 - math.cos(2 * math.pi * 25 / 100))
    assert wave.integral(0, 25) == pytest.approx(exact, rel=1e-4)
    assert wave.inverse(wave.cumulative(np.array([3.0, 40.0, 77.0]))) == pytest.approx([3.0, 40.0, 77.0])


@pytest.mark.parametrize("kind, by", [("poisson", None), ("poisson", "warp"), ("onoff", None),
                                      ("constant", None), ("constant", "thin")])
def test_arrivals_per_window_are_the_rate_times_the_profiles_integral(kind, by):
    w = Workload(kind=kind, rate=20.0, mix=MIX, profile=SHAPES, profile_by=by, mean_off=0.0)
    times = w.generate(np.random.default_rng(7), horizon=300).time
    want = expected(20.0, w.rate_profile)
    got = counts(times)
    if kind == "constant" and by is None:  # evenly spaced in the profile's terms: off by one at most
        assert np.abs(got - want).max() <= 1
    else:  # a Poisson count: within four standard deviations
        assert (np.abs(got - want) <= 4 * np.sqrt(want)).all(), (got, want)
    assert np.all(np.diff(times) >= 0)


def test_a_poisson_profile_with_requests_stops_at_the_count_and_a_load_factor_scales_it():
    w = Workload(kind="poisson", rate=5.0, mix=MIX, profile=SHAPES, requests=700)
    assert len(w.generate(np.random.default_rng(1))) == 700
    double = Workload(kind="poisson", rate=5.0, mix=MIX, profile=SHAPES).at_load(2.0)
    got = counts(double.generate(np.random.default_rng(2), horizon=300).time)
    want = expected(10.0, double.rate_profile)
    assert (np.abs(got - want) <= 4 * np.sqrt(want)).all()
    assert double.expected_requests(300) == pytest.approx(want.sum())


def test_two_overlapping_spikes_multiply():
    spikes = (Spike(start=100, end=200, factor=3.0), Spike(start=150, end=250, factor=3.0))
    w = Workload(kind="poisson", rate=4.0, mix=MIX, profile=spikes)
    got = counts(w.generate(np.random.default_rng(3), horizon=300).time, [(0, 100), (150, 200), (200, 250)])
    want = np.array([400.0, 4 * 9 * 50, 4 * 3 * 50])
    assert (np.abs(got - want) <= 4 * np.sqrt(want)).all(), got
    # the surges of a poisson workload are spikes of its profile, multiplying with the shapes
    mixed = Workload(kind="poisson", rate=4.0, mix=MIX, profile=spikes[:1], surges=(Surge(start=150, end=250,
                                                                                          factor=3.0),))
    assert mixed.rate_profile.integral(150, 200) == pytest.approx(450.0)


def trace_file(tmp_path, rate=10.0, seconds=300):
    path = tmp_path / "even.csv"
    times = np.arange(0, seconds, 1 / rate)
    path.write_text("time\n" + "\n".join(f"{t:.4f}" for t in times) + "\n")
    return path


def test_a_trace_is_warped_keeping_every_row_or_thinned_keeping_its_times(tmp_path):
    path = trace_file(tmp_path, seconds=600)  # the profile's integral to 300 s is 520: rows to spare
    warped = Workload(kind="trace", trace=str(path), mix=MIX, profile=SHAPES)
    times = warped.generate(np.random.default_rng(1), horizon=300).time
    got, want = counts(times), expected(10.0, warped.rate_profile)
    assert np.abs(got - want).max() <= 2  # an evenly spaced trace stays evenly spaced, warped
    calm = (Steps(at=(100.0,), factors=(0.25,)), Ramp(start=0, end=50, factor_from=0.2, factor_to=1))
    thinned = Workload(kind="trace", trace=str(path), mix=MIX, profile=calm, profile_by="thin")
    kept = thinned.generate(np.random.default_rng(1), horizon=300).time
    assert np.isin(np.round(kept, 4), np.round(np.arange(0, 600, 0.1), 4)).all()  # rows keep their times
    got, want = counts(kept), expected(10.0, thinned.rate_profile)
    assert (np.abs(got - want) <= 4 * np.sqrt(want) + 1).all(), (got, want)


def test_the_real_azure_trace_under_a_profile():
    base = Workload(kind="trace", trace=str(azure_code_2023()), trace_format="azure", mix=MIX)
    plain = base.generate(np.random.default_rng(1)).time
    halves = [(0, 1800), (1800, 3600)]
    thinned = Workload(kind="trace", trace=str(azure_code_2023()), trace_format="azure", mix=MIX,
                       profile=(Steps(at=(1800.0,), factors=(0.5,)),), profile_by="thin")
    got = counts(thinned.generate(np.random.default_rng(2)).time, halves)
    first, second = counts(plain, halves)
    assert got[0] == first and abs(got[1] - second / 2) <= 4 * math.sqrt(second / 4)
    # warped by a ×2 spike over its first ten minutes: the same rows, that stretch twice as dense
    warped = Workload(kind="trace", trace=str(azure_code_2023()), trace_format="azure", mix=MIX,
                      profile=(Spike(start=0, end=300, factor=2.0),))
    times = warped.generate(np.random.default_rng(3)).time
    assert len(times) == len(plain)
    assert counts(times, [(0, 300)])[0] == counts(plain, [(0, 600)])[0]


def test_a_schedule_is_warped():
    w = Workload(kind="schedule", times=(10.0, 20.0, 30.0, 40.0), mix=MIX,
                 profile=(Steps(at=(0.0,), factors=(2.0,)),))
    assert w.generate(np.random.default_rng(1)).time.tolist() == pytest.approx([5.0, 10.0, 15.0, 20.0])


def test_a_profiled_scenario_runs_end_to_end(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("""
name: ramped
model_groups:
  deployments: [{name: a, group: g}]
workload:
  kind: constant
  rate: 2
  requests: null
  mix: [{group: g}]
  profile:
    - {shape: ramp, start: 0, end: 60, factor_from: 0, factor_to: 1}
    - {shape: spike, start: 90, end: 120, factor: 3}
horizon: 180
""")
    r = sr.run(sr.Scenario.from_yaml(path), seed=1)
    arrivals = r.requests.arrival.to_numpy()
    assert counts(arrivals, [(0, 60), (60, 90), (90, 120), (120, 180)]).tolist() == pytest.approx(
        [60, 60, 180, 120], abs=1)
    assert "profile ramp × spike (warp)" in sr.Scenario.from_yaml(path).workload.describe()


BAD = [
    ("- {shape: ramp, start: 0, end: 60, factor_from: 0, factor_to: -1}", "factor_to", "within [0"),
    ("- {shape: sawtooth}", "shape", "must be one of steps, ramp, spike, diurnal"),
    ("- {shape: steps, at: [10, 5], factors: [1, 2]}", "at", "time order"),
    ("- {shape: steps, at: [10], factors: [1, 2]}", "factors", "one factor per step"),
    ("- {shape: spike, start: 5, end: 5, factor: 2}", "start", "start < end"),
]


@pytest.mark.parametrize("entry, field, message", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_a_bad_profile_is_one_line_naming_file_line_entry_and_field(tmp_path, capsys, entry, field, message):
    from simroute.faces.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nmodel_groups:\n  deployments: [{name: a, group: g}]\nworkload:\n"
                    "  kind: poisson\n  mix: [{group: g}]\n  profile:\n    - {shape: steps, at: [0], "
                    "factors: [1]}\n    " + entry + "\n")
    with pytest.raises(InputError) as caught:
        sr.Scenario.from_yaml(path)
    line = str(caught.value)
    assert f"{path}:9" in line and "workload.profile[1]" in line and field in line and message in line
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_profiles_that_cannot_run_are_refused_before_they_start(tmp_path):
    path = tmp_path / "zero.yaml"
    path.write_text("name: zero\nmodel_groups:\n  deployments: [{name: a, group: g}]\nworkload:\n"
                    "  kind: poisson\n  mix: [{group: g}]\n  profile:\n    - {shape: steps, at: [0], "
                    "factors: [0]}\n")
    with pytest.raises(InputError, match=r"zero.yaml:7: workload: field 'profile': the profile's rate is 0 "
                                         "at every time"):
        sr.Scenario.from_yaml(path)
    with pytest.raises(InputError, match="at most 1.*profile_by: warp"):
        Workload(kind="trace", trace=str(trace_file(tmp_path)), mix=MIX, profile=SHAPES, profile_by="thin")
    with pytest.raises(InputError, match="closed loop"):
        Workload(kind="closed", users=3, think=sr.ServiceTime(dist="exponential", mean=1.0), mix=MIX,
                 profile=SHAPES)
    with pytest.raises(InputError, match="ends at 0.*horizon"):
        Workload(kind="poisson", mix=MIX, requests=100, profile=(Steps(at=(10.0,), factors=(0.0,)),))
    ends = Workload(kind="poisson", rate=3.0, mix=MIX, profile=(Steps(at=(10.0,), factors=(0.0,)),))
    assert ends.generate(np.random.default_rng(1), horizon=100).time.max() < 10
    long = RateProfile((Diurnal(period=1.0),))
    with pytest.raises(InputError, match="MAX_GRID"):
        long.cumulative(MAX_GRID)


def test_a_shapes_number_is_a_sweep_parameter():
    from simroute.experiments.params import with_params

    raw = {"name": "p", "model_groups": {"deployments": [{"name": "a", "group": "g"}]},
           "workload": {"kind": "poisson", "mix": [{"group": "g"}],
                        "profile": [{"shape": "spike", "start": 10, "end": 20, "factor": 2}]}}
    s = sr.Scenario.from_dict(raw)
    assert with_params(s, {"workload.profile[0].factor": 5}).workload.profile[0].factor == 5
    with pytest.raises(InputError, match="one of start, end, factor"):
        with_params(s, {"workload.profile[0].shape": 1})
    with pytest.raises(InputError, match="1 shapes"):
        with_params(s, {"workload.profile[1].factor": 1})
    with pytest.raises(InputError, match="within"):
        with_params(s, {"workload.profile[0].factor": -1})


def test_a_load_factor_keeps_the_arrivals_span_so_faults_keep_their_place():
    w = Workload(kind="poisson", rate=2.0, mix=MIX, requests=1000)
    for factor in (0.5, 2.0, 3.0):
        scaled = w.at_load(factor)
        assert scaled.requests == round(1000 * factor) and scaled.rate == pytest.approx(2.0 * factor)
        times = scaled.generate(np.random.default_rng(1)).time
        assert times.max() == pytest.approx(500, rel=0.1)  # the same 500 s at every load
