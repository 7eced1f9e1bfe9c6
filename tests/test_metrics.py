"""The summary metrics: known answers on hand-built tables, windows, fault windows and the warm-up."""

import math

import numpy as np
import pandas as pd
import pytest

import simroute as sr
from simroute.experiments.metrics import METRICS, STATUS_RATES, metric, metrics_table
from simroute.experiments.params import with_params

from .test_engine import erlang_c_wait, single_server


def hand_built(slo_latency=10.0, warmup=0.0):
    """Four requests: two succeed (5 s and 50 s), one is degraded, one fails; $1 + $2 + $3 + $4."""
    requests = pd.DataFrame({
        "request_id": [0, 1, 2, 3], "arrival": [0.0, 600.0, 1200.0, 1800.0],
        "end": [5.0, 650.0, 1210.0, 1900.0], "latency": [5.0, 50.0, 10.0, 100.0],
        "status": ["succeeded", "succeeded", "degraded", "failed"], "cost": [1.0, 2.0, 3.0, 4.0],
        "attempts": [1, 1, 2, 3], "phases": [1, 1, 1, 1], "fallbacks": [0, 0, 1, 1]})
    attempts = pd.DataFrame({
        "request_id": [0, 1, 2, 2, 3, 3, 3], "plugin": ["a", "a", "a", "b", "a", "a", "b"],
        "tier": ["sonnet"] * 7, "cost": [1.0, 2.0, 0.0, 3.0, 0.0, 0.0, 4.0],
        "outcome": ["success", "success", "timeout", "success", "error", "rejected_open", "error"],
        "start": [0.0, 600.0, 1200.0, 1205.0, 1800.0, 1801.0, 1802.0],
        "server_end": [5.0, 650.0, 1300.0, 1210.0, 1801.0, 1801.0, 1900.0],
        "queue_wait": [0.0] * 7, "abandoned": [False, False, True, False, False, False, False]})
    attempts["service"] = attempts.server_end - attempts.start
    breaker = pd.DataFrame({"plugin": ["a", "a"], "time": [1801.0, 1861.0],
                            "from_state": ["closed", "open"], "to_state": ["open", "half_open"]})
    plugins = pd.DataFrame({"plugin": ["a", "b"], "capacity": [1, 2], "breaker": [True, False],
                            "busy_time": [0.0, 0.0], "utilization": [0.0, 0.0],
                            "breaker_open_time": [60.0, 0.0]})
    empty = pd.DataFrame()
    return sr.Results(requests=requests, attempts=attempts, breaker_events=breaker, messages=empty,
                      sagas=empty, plugins=plugins, seed=0, replication=0, end_time=3600.0,
                      slo_latency=slo_latency, warmup=warmup,
                      fault_windows=(("faults[0] a outage", 1500.0, 2000.0),))


def values(summary):
    return summary.set_index(["metric", "key"]).value


def test_outcome_metrics_have_their_known_values():
    s = values(hand_built().summary())
    assert s[("requests", "")] == 4
    assert s[("success_rate", "")] == 0.5  # the degraded answer is not a success
    assert s[("degraded_rate", "")] == 0.25 and s[("failed_rate", "")] == 0.25
    assert sum(s[(m, "")] for m in STATUS_RATES.values()) == 1.0
    assert s[("goodput", "")] == 2.0  # two successes in one hour
    assert s[("slo_attainment", "")] == 0.25  # only the 5 s success is within 10 s
    assert s[("cost_total", "")] == 10.0 and s[("cost_per_request", "")] == 2.5
    assert s[("cost_per_success", "")] == 5.0  # the failures' spend is carried by the successes
    assert s[("timeouts_per_request", "")] == 0.25
    assert s[("fast_fails_per_request", "")] == 0.25
    assert s[("abandoned_work", "")] == 100.0
    assert s[("fallback_rate", "")] == 0.5
    assert s[("utilization", "a")] == pytest.approx((5 + 50 + 100 + 1) / 3600)
    assert s[("utilization", "b")] == pytest.approx((5 + 98) / (2 * 3600))
    assert s[("breaker_open_time", "a")] == 60.0
    assert s[("latency_growth", "")] == pytest.approx(100 / ((5 + 50) / 2))  # thirds: [5, 50] [10] [100]


def test_no_success_means_no_cost_per_success():
    r = hand_built()
    r.requests["status"] = "failed"
    s = values(r.summary())
    assert s[("success_rate", "")] == 0 and s[("goodput", "")] == 0
    assert math.isnan(s[("cost_per_success", "")])


def test_a_window_counts_its_arrivals_and_its_length():
    s = values(hand_built().summary(window=(500.0, 1500.0)))
    assert s[("requests", "")] == 2  # arrivals at 600 and 1200
    assert s[("success_rate", "")] == 0.5 and s[("cost_total", "")] == 5.0
    assert s[("goodput", "")] == pytest.approx(1 / (1000 / 3600))
    assert s[("utilization", "a")] == pytest.approx((50 + 100) / 1000)  # 600–650 and 1200–1300


def test_the_warmup_is_left_out_by_default():
    r = hand_built(warmup=600.0)
    assert values(r.summary())[("requests", "")] == 3
    pd.testing.assert_frame_equal(r.summary(), r.summary(window=(600.0, 3600.0)))


def test_by_fault_gives_each_fault_window_and_the_rest():
    by = hand_built().summary(by="fault")
    counts = by[by.metric == "requests"].set_index("window").value
    assert counts.to_dict() == {"faults[0] a outage": 1.0, "outside": 3.0}
    assert by.columns[0] == "window"
    inside = by[(by.window == "faults[0] a outage")].set_index(["metric", "key"]).value
    assert inside[("failed_rate", "")] == 1.0
    assert inside[("breaker_open_time", "a")] == 60.0


@pytest.mark.parametrize("bad", [(5, 5), (10, 0), "0-10", (0, 1, 2)])
def test_a_bad_window_is_refused(bad):
    with pytest.raises(sr.InputError, match="window"):
        hand_built().summary(window=bad)


def test_summary_window_equals_filtering_the_tables_by_hand():
    scenario = sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "outage.yaml")
    r = sr.run(scenario, seed=2)
    t0, t1 = 600.0, 1800.0
    s = values(r.summary(window=(t0, t1)))
    req = r.requests[(r.requests.arrival >= t0) & (r.requests.arrival < t1)]
    att = r.attempts[r.attempts.request_id.isin(req.request_id)]
    assert s[("requests", "")] == len(req)
    assert s[("success_rate", "")] == (req.status == "succeeded").mean()
    assert s[("latency_p95", "")] == req.latency.dropna().quantile(0.95)
    assert s[("cost_total", "")] == pytest.approx(att.cost.sum())
    assert s[("attempts_per_request", "")] == req.attempts.mean()
    for plugin, cap in zip(r.plugins.plugin, r.plugins.capacity, strict=True):
        a = r.attempts[(r.attempts.plugin == plugin) & r.attempts.start.notna()]
        busy = (np.minimum(a.server_end.fillna(r.end_time), t1) - np.maximum(a.start, t0)).clip(lower=0).sum()
        assert s[("utilization", plugin)] == pytest.approx(busy / (cap * (t1 - t0)))


def test_the_whole_run_matches_the_plugins_table():
    r = sr.run(sr.Scenario.default(), seed=1)
    s = values(r.summary())
    for p in r.plugins.itertuples():
        assert s[("utilization", p.plugin)] == pytest.approx(p.utilization)
        assert s[("breaker_open_time", p.plugin)] == pytest.approx(p.breaker_open_time)


def test_a_warmup_removes_the_bias_of_the_empty_start(catalog):
    """M/M/1 at ρ = 0.9 over short runs: the empty start biases the mean queue wait low; leaving out
    the first 1,000 requests brings the estimate to Erlang C (one hidden-free check, tightened)."""
    scenario = single_server(catalog, c=1, mean=1.0, rate=0.9, n=3000)
    theory = erlang_c_wait(1, 0.9, 1.0)  # 9 s
    warm = scenario.replace(settings=sr.Settings(warmup=sr.WarmupSettings(requests=1000)))
    cold, hot = [], []
    for rep in range(30):
        cold.append(values(sr.run(scenario, seed=5, replication=rep).summary())[("queue_wait_mean",
                                                                                "iac-golden-architect")])
        hot.append(values(sr.run(warm, seed=5, replication=rep).summary())[("queue_wait_mean",
                                                                           "iac-golden-architect")])
    bias_cold, bias_hot = np.mean(cold) - theory, np.mean(hot) - theory
    half = 3 * np.std(hot, ddof=1) / math.sqrt(len(hot))
    assert bias_cold < 0 and abs(bias_hot) < abs(bias_cold)
    assert abs(bias_hot) <= half, (np.mean(hot), half, theory)


def test_every_metric_computed_is_in_the_table_and_documented():
    r = sr.run(sr.Scenario.default(), seed=0)
    assert set(r.summary().metric) <= {m.name for m in METRICS}
    table = metrics_table()
    assert (table.unit != "").all() and (table.definition != "").all()
    with pytest.raises(sr.InputError, match="unknown metric 'succes_rate'"):
        metric("succes_rate")


def test_a_trace_runs_every_row_unless_told_otherwise(tmp_path):
    trace = sr.traces.azure_code_2023()
    workload = sr.Workload(kind="trace", trace=str(trace), trace_format="azure",
                           mix=(sr.MixEntry(text="api"),))
    assert len(workload.generate(np.random.default_rng(0)).time) == 8819
    path = tmp_path / "s.yaml"
    path.write_text(f"workload:\n  kind: trace\n  trace: {trace}\n  trace_format: azure\n"
                    "  mix: [{text: api}]\n")
    assert sr.Scenario.from_yaml(path).workload.requests is None
    path.write_text("workload:\n  kind: poisson\n  mix: [{text: api}]\n")
    assert sr.Scenario.from_yaml(path).workload.requests == 1000  # synthetic: a documented default


@pytest.mark.parametrize("record", ["full", "summary"])
def test_with_hedging_failed_attempts_never_exceed_attempts(record):
    """Hedged copies that failed counted as failed attempts, so failed_attempts_per_request could
    exceed attempts_per_request (issue 25): only an attempt's own call counts, at both levels."""
    import dataclasses

    base = sr.Scenario.default()
    catalog = base.catalog
    for name in catalog.plugins:
        catalog = catalog.with_plugin(name, failure_p=0.7)
    settings = dataclasses.replace(base.settings, hedge=sr.HedgeSettings(delay=5.0, max_copies=4))
    scenario = base.replace(catalog=catalog, settings=settings, faults=(),
                            workload=dataclasses.replace(base.workload, requests=150))
    res = sr.run(scenario, seed=3, record=record)
    s = res.summary().set_index("metric").value
    assert s["failed_attempts_per_request"] <= s["attempts_per_request"]
    if record == "full":
        assert (res.attempts.hedge > 0).any()  # copies were sent, and some failed
        assert res.attempts[(res.attempts.hedge > 0)].outcome.isin(["error", "timeout"]).any()


@pytest.mark.parametrize("record", ["full", "summary"])
def test_latency_and_cost_per_request_leave_out_rejected_requests(record):
    """Known answer: a budget that rejects some requests at once must not make latency and cost per
    request look lower — they are over the requests served, the rejected share beside them."""
    s = sr.Scenario.default()
    tight = with_params(s, {"workload.budget": 0.25, "workload.requests": 300})
    full = sr.run(tight, seed=2)
    q = full.requests
    q = q[q.arrival >= full.warmup]
    rejected = q.status == "rejected"
    assert 0 < rejected.sum() < len(q)  # some refused at once, for $0
    assert (q[rejected].cost == 0).all()
    served = q[~rejected & q.latency.notna()]
    m = sr.run(tight, seed=2, record=record).summary().set_index("metric").value
    rel = 1e-9 if record == "full" else 0.02  # (the summary level's sketch: within 1 %)
    assert m["latency_p95"] == pytest.approx(served.latency.quantile(0.95), rel=rel)
    assert m["latency_p50"] == pytest.approx(served.latency.quantile(0.5), rel=rel)
    assert m["latency_mean"] == pytest.approx(served.latency.mean(), rel=1e-9)
    assert m["cost_per_request"] == pytest.approx(q.cost.sum() / (~rejected).sum(), rel=1e-9)
    assert m["rejected_rate"] == pytest.approx(rejected.mean())
    # counting the rejected (latency 0, $0) would have pulled both down
    assert q.latency.quantile(0.5) < served.latency.quantile(0.5)
    assert q.cost.mean() < m["cost_per_request"]
