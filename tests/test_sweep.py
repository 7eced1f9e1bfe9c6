"""Sweeps, parameter paths, tuning: direction of effects, honest intervals, identical executors."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simroute as sr
from simroute.experiments.metrics import metrics_table
from simroute.experiments.params import with_params
from simroute.experiments.sweep import aggregate, bounds, design, intervals, pivot

DEPLOY = "Deploy the service to kubernetes with helm"


@pytest.fixture(scope="module")
def outage():
    """Deployments every ~20 s, served in ~2 s; ahling-command-center is down for 40 minutes."""
    fast = {"default": sr.ServiceTime(dist="exponential", mean=2.0)}
    catalog = sr.load_catalog()
    for name in ("ahling-command-center", "container-workflow", "jira-orchestrator"):
        catalog = catalog.with_plugin(name, service=fast)
    return sr.Scenario(
        name="outage", catalog=catalog,
        settings=sr.Settings(retry=sr.RetryPolicy(max_retries=2, base=1.0, cap=4.0)),
        workload=sr.Workload(kind="poisson", rate=0.05, requests=240, mix=(sr.MixEntry(text=DEPLOY),)),
        faults=(sr.Fault(plugin="ahling-command-center", kind="outage", start=1200, end=3600),))


def test_lower_breaker_threshold_fails_fast_and_wastes_fewer_attempts(outage):
    frame = sr.sweep(outage, {"breaker.failure_threshold": [1, 10]}, replications=6, executor="serial",
                     metrics=["fast_fails_per_request", "failed_attempts_per_request"])
    agg = aggregate(frame)
    fast = pivot(agg, "fast_fails_per_request").set_index("breaker.failure_threshold")
    wasted = pivot(agg, "failed_attempts_per_request").set_index("breaker.failure_threshold")
    assert fast.loc[1, "ci_low"] > fast.loc[10, "ci_high"]
    # failures are fast errors here: a lower threshold saves the (threshold - 1) failures before
    # each first opening, a small effect next to the noise — compared on the means
    assert wasted.loc[1, "mean"] < wasted.loc[10, "mean"]


def test_confidence_intervals_shrink_with_replications(outage):
    def half_width(n):
        f = sr.sweep(outage, {"breaker.failure_threshold": [5]}, replications=n, executor="serial",
                     metrics=["latency_mean"])
        return float(pivot(aggregate(f), "latency_mean").eval("ci_high - ci_low").iloc[0])

    assert half_width(12) < half_width(3)


def test_rows_carry_parameters_replications_and_seed(outage):
    f = sr.sweep(outage, {"breaker.failure_threshold": [2, 4], "retry.max_retries": [0, 1]},
                 replications=2, seed=7, executor="serial", metrics=["success_rate"])
    assert list(f.columns) == ["point", "breaker.failure_threshold", "retry.max_retries", "replication",
                               "seed", "metric", "key", "value"]
    assert len(f) == 4 * 2 and (f.seed == 7).all()
    # replication r of a point is exactly sr.run(seed, replication=r) of that point's scenario
    one = sr.run(with_params(outage, {"breaker.failure_threshold": 4, "retry.max_retries": 1}),
                 seed=7, replication=1).summary()
    row = f[(f["breaker.failure_threshold"] == 4) & (f["retry.max_retries"] == 1) & (f.replication == 1)]
    assert row.value.iloc[0] == one.set_index("metric").value["success_rate"]


def test_executors_give_identical_frames(outage):
    from distributed import Client, LocalCluster

    args = ({"breaker.failure_threshold": [2, 6]},)
    kw = {"replications": 3, "seed": 3, "metrics": ["success_rate", "latency_p95", "cost_per_request"]}
    serial = sr.sweep(outage, *args, executor="serial", **kw)
    pool = sr.sweep(outage, *args, executor="processes", workers=2, **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        dask = sr.sweep(outage, *args, executor=client, **kw)
    assert serial.equals(pool)
    assert serial.equals(dask)


@pytest.mark.parametrize(("params", "kw", "field"), [
    ({"breaker.colour": [1]}, {}, "param"),
    ({"plugins.nope.capacity": [2]}, {}, "param"),
    ({"breaker.failure_threshold": []}, {}, "values"),
    ({"breaker.failure_threshold": [0]}, {}, "param"),  # a value the breaker refuses
    ({"breaker.failure_threshold": [3]}, {"replications": 0}, "replications"),
    ({"breaker.failure_threshold": [3]}, {"executor": "gpu"}, "executor"),
    ({"breaker.failure_threshold": (1, 5)}, {}, "values"),  # a range on a grid
])
def test_bad_sweep_input_is_a_clear_error(outage, params, kw, field):
    with pytest.raises(sr.InputError) as info:
        sr.sweep(outage, params, **{"executor": "serial", **kw})
    assert info.value.field == field


def test_latin_hypercube_covers_every_stratum_once():
    d = design({"a": (0.0, 1.0), "b": (10, 19)}, "lhs", samples=10, seed=1)
    assert sorted(np.floor(d.a * 10).astype(int)) == list(range(10))
    assert sorted(d.b) == list(range(10, 20))
    assert design({"a": (0.0, 1.0)}, "lhs", samples=10, seed=1).equals(
        design({"a": (0.0, 1.0)}, "lhs", samples=10, seed=1))


def test_parameter_paths_reach_settings_catalog_workload_and_faults(outage):
    s = with_params(outage, {"weights.domain": 10, "plugins.ahling-command-center.capacity": 7,
                             "plugins.*.failure_p": 0.0, "tiers.sonnet.price": 0.2,
                             "workload.budget": 0.3, "faults[0].end": 2000, "retry_budget.ratio": 0.5})
    assert s.settings.weights.domain == 10
    assert s.catalog.plugins["ahling-command-center"].capacity == 7
    assert all(p.failure_p == 0 for n, p in s.catalog.plugins.items() if n != s.catalog.orchestrator.name)
    assert s.catalog.tiers["sonnet"].price == 0.2 and s.workload.mix[0].budget == 0.3
    assert s.faults[0].end == 2000 and s.settings.retry_budget.ratio == 0.5
    with pytest.raises(sr.InputError, match=r"tiers.opus.price.*must be within \[0, inf\]"):
        with_params(outage, {"tiers.opus.price": -1})
    with pytest.raises(sr.InputError, match="has 1 faults"):
        with_params(outage, {"faults[3].end": 5})


def test_tier_prices_reach_the_simulated_cost(outage):
    cheap = sr.run(with_params(outage, {"tiers.opus.price": 0.0, "tiers.sonnet.price": 0.0}), seed=1)
    dear = sr.run(outage, seed=1)
    assert cheap.requests.cost.sum() < dear.requests.cost.sum()


def test_tune_finds_the_cheapest_feasible_settings_reproducibly(outage):
    space = {"breaker.failure_threshold": (1, 10), "retry.max_retries": [0, 1, 2, 3]}
    goals = {"success_rate": (">=", 0.5)}
    a = sr.tune(outage, space, constraints=goals, trials=6, replications=2, executor="serial")
    b = sr.tune(outage, space, constraints=goals, trials=6, replications=2, executor="serial")
    assert a.trials.equals(b.trials)
    t = a.trials
    feasible = t[t.feasible]
    assert a.best["cost_per_request_mean"] == feasible.cost_per_request_mean.min()
    assert (feasible.success_rate_low >= 0.5).all()  # judged on the interval's conservative end
    best = a.best
    for _, row in t.iterrows():  # the ties: feasible trials whose cost interval overlaps the best's
        overlaps = (row.cost_per_request_low <= best.cost_per_request_high
                    and best.cost_per_request_low <= row.cost_per_request_high)
        assert row.ties == (bool(row.feasible) and overlaps and row.trial != best.trial)
    assert a.ties == t[t.ties].trial.tolist()
    front = a.frontier()
    assert front.index.isin(feasible.index).all()  # never an infeasible trial
    # nothing on the frontier is beaten on both latency and cost by another feasible trial
    for _, p in front.iterrows():
        better = feasible[(feasible.latency_p95_mean < p.latency_p95_mean)
                          & (feasible.cost_per_request_mean < p.cost_per_request_mean)]
        assert better.empty


def test_the_frontier_leaves_out_infeasible_trials(outage):
    goals = {"success_rate": (">=", 0.9999)}  # no trial meets it
    with pytest.warns(UserWarning):
        t = sr.tune(outage, {"retry.max_retries": [0, 1, 3]}, constraints=goals, trials=3, replications=2,
                    executor="serial")
    assert not t.trials.feasible.any() and t.frontier().empty
    assert sr.tune.__globals__["frontier"](t.trials, "latency_p95_mean", "cost_per_request_mean").shape[0]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=12), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_a_share_s_interval_stays_within_0_and_1(values, confidence):
    v = np.array(values)
    low, high = bounds(v.mean(), v.std(ddof=1), len(v), "wilson", confidence)
    assert -1e-12 <= low[0] <= v.mean() + 1e-9 and v.mean() - 1e-9 <= high[0] <= 1 + 1e-12


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(1e-6, 1e6), min_size=2, max_size=12))
def test_a_positive_quantity_s_interval_stays_positive(values):
    v = np.array(values)
    low, high = bounds(v.mean(), v.std(ddof=1), len(v), "log")
    assert 0 < low[0] <= v.mean() * (1 + 1e-9) and high[0] >= v.mean() * (1 - 1e-9)


def test_intervals_follow_each_metric_s_domain():
    # notebook 03's trial 13: success 0.917 over three replications, a t interval to 1.25
    frame = pd.DataFrame({"metric": ["success_rate"] * 3 + ["latency_p95"] * 3,
                          "value": [0.6, 1.0, 1.0, 10.0, 400.0, 30.0]})
    out = intervals(frame, ["metric"]).set_index("metric")
    assert 0 <= out.ci_low["success_rate"] < 0.917 < out.ci_high["success_rate"] <= 1
    assert 0 < out.ci_low["latency_p95"] < out["mean"]["latency_p95"] < out.ci_high["latency_p95"]
    # away from the ends, the Wilson and log intervals are close to Student's t
    near = bounds(0.5, 0.02, 10, ["wilson", "log", "t"])
    assert near[0] == pytest.approx([near[0][2]] * 3, rel=1e-3)
    assert metrics_table().set_index("metric").interval.to_dict()["success_rate"] == "wilson"
    assert metrics_table().set_index("metric").interval.to_dict()["cost_per_request"] == "log"


def test_tune_rejects_a_bad_space(outage):
    with pytest.raises(sr.InputError):
        sr.tune(outage, {"breaker.nope": (1, 3)}, trials=2, executor="serial")
    with pytest.raises(sr.InputError):
        sr.tune(outage, {"breaker.failure_threshold": (5, 1)}, trials=2, executor="serial")
    with pytest.raises(sr.InputError, match="unknown metric 'p95'"):
        sr.tune(outage, {"retry.max_retries": [0, 1]}, constraints={"p95": ("<=", 1)}, executor="serial")
    with pytest.raises(sr.InputError, match="finite bound"):
        sr.tune(outage, {"retry.max_retries": [0, 1]}, constraints={"latency_p95": ("<=", math.nan)},
                executor="serial")


def test_impossible_goals_warn_and_return_the_least_infeasible_trial(outage):
    goals = {"success_rate": (">=", 0.9999), "latency_p95": ("<=", 1000.0)}
    with pytest.warns(UserWarning, match=r"success_rate >= 0.9999 \(no trial met it; best lower 95 % bound "
                                         r"reached: 0\.\d+ share\)") as caught:
        t = sr.tune(outage, {"retry.max_retries": [0, 1, 3]}, constraints=goals, trials=3, replications=2,
                    executor="serial")
    assert "latency_p95" not in str(caught[0].message)  # every trial met that one
    assert not t.feasible and not t.best["feasible"]
    assert t.best["violation"] == t.trials.violation.min() > 0
    assert "least infeasible" in repr(t)


def test_the_readme_goals_are_met_on_the_bundled_outage():
    outage = sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "outage.yaml")
    space = {"breaker.failure_threshold": (2, 10), "breaker.open_timeout": (60, 1200),
             "retry.max_retries": [0, 1, 2, 3]}
    goals = {"latency_p95": ("<=", 30), "success_rate": (">=", 0.99)}
    t = sr.tune(outage, space, objective="cost_per_success", constraints=goals, trials=16, replications=3,
                seed=1, executor="serial", batch=4)  # the README's processes propose 4 at a time
    assert t.feasible and t.best["feasible"] and t.best["success_rate_low"] >= 0.99


def test_the_frontier_keeps_a_trade_off_only_when_the_intervals_show_it():
    frame = pd.DataFrame({
        "x_mean": [1.0, 2.0, 3.0, 2.5, 5.0], "x_low": [0.9, 1.9, 2.9, 2.4, 4.9],
        "x_high": [1.1, 2.1, 3.1, 2.6, 5.1],
        "y_mean": [10.0, 9.99, 5.0, 10.5, 4.0], "y_low": [9.9, 9.89, 4.9, 10.4, 3.0],
        "y_high": [10.1, 10.09, 5.1, 10.6, 5.0]}, index=["a", "b", "c", "d", "e"])
    front = sr.tune.__globals__["frontier"](frame, "x_mean", "y_mean")
    # b saves $0.01 within the noise: a tie of a; c is a real trade-off; e's saving overlaps c's
    assert list(front.index) == ["a", "c"]
    assert front.ties.to_dict() == {"a": ("b",), "c": ("e",)}
    plain = sr.tune.__globals__["frontier"](frame[["x_mean", "y_mean"]], "x_mean", "y_mean")
    assert list(plain.index) == ["a", "b", "c", "e"]  # means alone: every gain counts


def test_cli_tune_finds_settings_and_says_when_none_is_feasible(tmp_path, capsys):
    from simroute.faces.cli import main

    args = ["tune", "outage", "--param", "retry.max_retries=0,1", "--param", "breaker.open_timeout=60:600",
            "--trials", "3", "--replications", "2", "--executor", "serial", "--quiet"]
    assert main([*args, "--constraint", "latency_p95<=100", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "best feasible trial" in out and "tied with it (95 % intervals of cost_per_request overlap)" in out
    assert "ties" in pd.read_csv(tmp_path / "trials.csv").columns
    assert main([*args, "--constraint", "success_rate>=0.9999"]) == 1
    out, err = capsys.readouterr()
    assert "no feasible trial; the least infeasible" in out and "success_rate >= 0.9999" in err
    assert main([*args, "--constraint", "success<=1"]) == 2
    assert "unknown metric 'success'" in capsys.readouterr().err
    assert main([*args, "--constraint", "success_rate=1"]) == 2


def test_cli_sweep_writes_tables_and_rejects_bad_params(tmp_path, capsys):
    from simroute.faces.cli import main

    assert main(["sweep", "--param", "breaker.failure_threshold=2,8", "--param", "workload.requests=60",
                 "--replications", "2", "--executor", "serial", "--quiet", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"sweep.csv", "aggregate.csv", "simroute.json"}
    assert "2 points × 2 replications" in capsys.readouterr().out
    assert main(["sweep", "--param", "breaker.nope=1", "--executor", "serial"]) == 2
    assert main(["sweep", "--param", "breaker.failure_threshold", "--executor", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("simroute: ") for line in err)


def test_a_guard_can_be_swept_on_and_off(outage):
    """None switches a guard off: the point with None runs without it (not with NaN)."""
    frame = sr.sweep(outage, {"hedge.delay": [None, 2.0], "workload.requests": [60]}, replications=1,
                     executor="serial", metrics=["retry_amplification"])
    per_point = frame.groupby("point").value.first()
    assert len(per_point) == 2 and per_point[1] > per_point[0]  # hedged copies are calls too


def test_a_local_dask_cluster_listens_on_localhost_only(monkeypatch):
    """Its scheduler and dashboard bind to 127.0.0.1, not every interface (issue 25)."""
    distributed = pytest.importorskip("distributed")
    from simroute.experiments import executors

    seen = {}

    class Stop(Exception):
        pass

    def cluster(**options):
        seen.update(options)
        raise Stop

    monkeypatch.setattr(distributed, "LocalCluster", cluster)
    with pytest.raises(Stop):
        executors._map_dask([()], sr.Scenario.default(), "dask", 1, lambda: None)
    assert seen["host"] == "127.0.0.1" and seen["dashboard_address"].startswith("127.0.0.1:")


def test_tune_refuses_an_infinite_range_or_one_outside_the_settings_domain(outage, monkeypatch):
    """An infinite end crashed with OverflowError; a range outside the domain was accepted because
    only sampled points were checked (issue 25). Both are refused before any run."""
    from simroute.experiments import tune

    monkeypatch.setattr(tune, "map_runs", lambda *a, **k: pytest.fail("a run started"))
    with pytest.raises(sr.InputError, match="finite numbers"):
        sr.tune(outage, {"retry.base": (0.1, math.inf)}, trials=2, executor="serial")
    with pytest.raises(sr.InputError, match="failure_threshold"):
        sr.tune(outage, {"breaker.failure_threshold": (0, 5)}, trials=2, executor="serial")
    with pytest.raises(sr.InputError, match="slow_call_rate_threshold"):
        sr.tune(outage, {"breaker.slow_call_rate_threshold": (0.5, 2.0)}, trials=2, executor="serial")


def test_tune_refuses_a_per_plugin_metric_as_objective_or_constraint(outage):
    """utilization has a value per plugin: as an objective it gave NaN (issue 25)."""
    with pytest.raises(sr.InputError, match="'utilization' has a value per plugin"):
        sr.tune(outage, {"retry.max_retries": [0, 1]}, objective="utilization", executor="serial")
    with pytest.raises(sr.InputError, match="'cost_by_tier' has a value per tier"):
        sr.tune(outage, {"retry.max_retries": [0, 1]}, constraints={"cost_by_tier": ("<=", 1.0)},
                executor="serial")


@pytest.mark.parametrize("path, value", [
    ("workload.requests", 10.7), ("horizon", math.inf), ("workload.rate", math.inf),
    ("tiers.sonnet.price", math.nan), ("workload.budget", math.nan), ("tiers.sonnet.price", -1.0),
    ("faults.0.start", math.nan)])
def test_a_sweep_value_outside_its_domain_is_refused_naming_the_path(outage, path, value):
    """10.7 requests became 10, inf was accepted for horizon, price and rate, NaN meant "off" for a
    budget and ended in a TypeError for a price (issue 25): each is one InputError naming the path."""
    with pytest.raises(sr.InputError, match=re.escape(path)):
        with_params(outage, {path: value})


def test_tune_gives_the_same_trials_on_the_serial_and_the_process_executor(outage):
    """The help says all executors agree; the serial executor proposed one trial at a time and
    the others four, so trials.csv differed (issue 25)."""
    space = {"breaker.failure_threshold": (2, 10), "retry.max_retries": [0, 1, 2]}
    runs = dict(trials=5, replications=2, seed=4, progress=False)
    serial = sr.tune(outage, space, executor="serial", **runs).trials
    processes = sr.tune(outage, space, executor="processes", workers=2, **runs).trials
    pd.testing.assert_frame_equal(serial, processes)


def _bad_trace_scenario(tmp_path):
    (tmp_path / "t.csv").write_text("time,text\n1,api\nlater,api\n")
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nworkload:\n  kind: trace\n  trace: t.csv\n  mix:\n    - {text: api}\n")
    return sr.Scenario.from_yaml(path)


def test_a_bad_trace_row_is_one_line_before_any_worker_starts(tmp_path, monkeypatch):
    from simroute.experiments import executors

    monkeypatch.setattr(executors, "ProcessPoolExecutor", lambda *a, **k: pytest.fail("a worker started"))
    with pytest.raises(sr.InputError, match=r"t\.csv:3: field 'time'"):
        sr.sweep(_bad_trace_scenario(tmp_path), {"retry.max_retries": [0, 1]}, executor="processes")


def test_a_task_failing_in_a_dask_worker_is_not_logged_line_by_line(tmp_path, capfd):
    """A failing Dask task printed a dozen log lines before simroute's one line (issue 25)."""
    pytest.importorskip("distributed")
    from simroute.experiments import executors
    from simroute.experiments.sweep import _stream

    scenario = _bad_trace_scenario(tmp_path)
    with pytest.raises(sr.InputError):  # straight to the workers, past map_runs's own check
        executors._map_dask([(_stream, 0, 0)], scenario, "dask", 1, lambda: None)
    assert "Compute Failed" not in capfd.readouterr().err


def test_tune_can_judge_inside_the_fault_windows(outage, capsys):
    from simroute.faces.cli import main

    space = {"retry.max_retries": [0, 3]}
    kw = {"trials": 2, "replications": 2, "executor": "serial", "objective": "latency_p95",
          "constraints": {"success_rate": (">=", 0.0)}}
    whole = sr.tune(outage, space, **kw)
    inside = sr.tune(outage, space, window="fault", **kw)
    params = {"retry.max_retries": int(inside.trials["retry.max_retries"].iloc[0])}
    runs = [sr.run(with_params(outage, params), seed=0, replication=r) for r in range(2)]
    want = np.mean([r.summary(by="faults").set_index("metric").value["success_rate"] for r in runs])
    assert inside.trials.success_rate_mean.iloc[0] == pytest.approx(want)  # judged in the fault windows
    assert inside.trials.success_rate_mean.iloc[0] < whole.trials.success_rate_mean.iloc[0]  # faults hurt
    with pytest.raises(sr.InputError, match="no faults"):
        sr.tune(outage.replace(faults=()), space, trials=1, executor="serial", window="fault")
    assert main(["tune", "outage", "--param", "retry.max_retries=0,3", "--trials", "2", "--replications", "2",
                 "--executor", "serial", "--quiet", "--window", "fault"]) == 0
    assert "best feasible trial" in capsys.readouterr().out
