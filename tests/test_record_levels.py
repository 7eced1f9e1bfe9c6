"""record="summary" against record="full": the same run, the same answers, without the rows."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simroute as sr
from simroute.experiments.metrics import LATENCY_QUANTILES, STATUS_RATES
from simroute.experiments.params import with_params
from simroute.experiments.streaming import RELATIVE_ACCURACY, pooled_summary

from .test_engine import erlang_c_wait, single_server

QUANTILES = {f"latency_p{int(q * 100)}": q for q in LATENCY_QUANTILES}


def within_sketch_accuracy(value: float, latencies: np.ndarray, q: float) -> bool:
    """A sketch's quantile lies within its relative accuracy of the order statistics around rank
    q (n - 1) (pandas interpolates between the two; a sketch returns one of them, approximately)."""
    x = np.sort(latencies)
    rank = q * (len(x) - 1)
    lo, hi = x[int(math.floor(rank))], x[int(math.ceil(rank))]
    return lo * (1 - RELATIVE_ACCURACY) - 1e-12 <= value <= hi * (1 + RELATIVE_ACCURACY) + 1e-12


def scenarios():
    default = sr.Scenario.default()
    return {
        "default (sagas, budgets, breakers)": default,
        "outage with a warm-up": with_params(
            sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "outage.yaml"),
            {"warmup.seconds": 120.0}),
        "metastable (timeouts, abandoned work)":
            sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "metastable.yaml"),
    }


def sparse_after_warmup(catalog):
    """Arrivals every second up to 100 s, then one at 500 s; a 150 s warm-up; 60 s calls: the
    calls that straddle the warm-up's end are folded before any request of the window arrives."""
    slow = sr.ServiceTime(dist="deterministic", mean=60.0)
    cat = catalog.with_plugin("iac-golden-architect", capacity=200, failure_p=0.0, service={"default": slow})
    times = tuple(float(t) for t in range(101)) + (500.0,)
    settings = sr.Settings(warmup=sr.WarmupSettings(seconds=150.0))
    return sr.Scenario(name="sparse", catalog=cat, settings=settings,
                       workload=sr.Workload(kind="schedule", times=times, requests=None,
                                            mix=(sr.MixEntry(text="Terraform the AWS infrastructure"),)))


@pytest.mark.parametrize("chunk", [None, 7], ids=["one chunk", "chunks of 7 rows"])
@pytest.mark.parametrize("name", [*scenarios(), "sparse after the warm-up"])
def test_summary_and_full_agree_on_the_same_seed(name, chunk, catalog, monkeypatch):
    from simroute.engine import recorder

    if chunk is not None:  # rows folded during the run, while the window is still being found
        monkeypatch.setattr(recorder, "CHUNK", chunk)
    scenario = sparse_after_warmup(catalog) if name.startswith("sparse") else scenarios()[name]
    full = sr.run(scenario, seed=5)
    summary = sr.run(scenario, seed=5, record="summary")
    assert summary.record == "summary" and len(summary.requests) == len(summary.attempts) == 0
    a = full.summary().set_index(["metric", "key"]).value
    b = summary.summary().set_index(["metric", "key"]).value
    assert list(a.index) == list(b.index)
    window = full.requests[full.requests.arrival >= full.warmup]
    assert summary.warmup == full.warmup
    for (metric, key), expected in a.items():
        got = b[(metric, key)]
        if metric in QUANTILES:
            done = window.latency.dropna().to_numpy()
            assert within_sketch_accuracy(got, done, QUANTILES[metric]), (metric, got, expected)
        elif metric == "latency_growth":  # from sums per block of 64 arrivals, cut at the thirds
            assert got == pytest.approx(expected, rel=0.1, nan_ok=True), metric
        else:  # counts, costs, rates, times: the same numbers (summed in another order)
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-9, nan_ok=True), (metric, key)


def test_per_minute_tables_agree_and_add_up():
    scenario = scenarios()["outage with a warm-up"]
    full, summary = sr.run(scenario, seed=2), sr.run(scenario, seed=2, record="summary")
    for by_plugin in (False, True):
        pd.testing.assert_frame_equal(full.per_minute(by_plugin), summary.per_minute(by_plugin),
                                      check_exact=False, rtol=1e-9, atol=1e-9)
    minutes = full.per_minute()
    assert minutes.arrivals.sum() == len(full.requests)
    ended = full.requests[full.requests.end.notna()]
    for status in ("succeeded", "degraded", "failed", "rejected"):
        assert minutes[status].sum() == (ended.status == status).sum()
    assert minutes.cost.sum() == pytest.approx(full.attempts.cost.sum())
    by_plugin = full.per_minute(by_plugin=True)
    capacity = dict(zip(full.plugins.plugin, full.plugins.capacity, strict=True))
    busy = (by_plugin.utilization * by_plugin.plugin.map(capacity)
            * np.clip(full.end_time - by_plugin.start, 0, 60)).groupby(by_plugin.plugin).sum()
    worked = full.attempts[full.attempts.start.notna()]
    expected = (worked.server_end.fillna(full.end_time) - worked.start).groupby(worked.plugin).sum()
    for plugin, seconds in expected.items():
        assert busy[plugin] == pytest.approx(seconds, rel=1e-9)


def test_queue_length_per_minute_counts_the_calls_waiting_at_the_minute_end(catalog):
    scenario = single_server(catalog, c=1, mean=1.0, rate=0.9, n=3000)
    r = sr.run(scenario, seed=3)
    q = r.per_minute(by_plugin=True)
    q = q[q.plugin == "iac-golden-architect"]
    a = r.attempts
    for minute in (5, 17, 30):
        t = (minute + 1) * 60.0
        waiting = ((a.queued <= t) & (a.start > t)).sum()
        assert q.queue.iloc[minute] == waiting


def test_sketches_merged_over_replications_match_the_pooled_data():
    scenario = scenarios()["default (sagas, budgets, breakers)"]
    parts = [sr.run(scenario, seed=9, replication=k, record="summary") for k in range(4)]
    full = [sr.run(scenario, seed=9, replication=k) for k in range(4)]
    pooled = pooled_summary(p.stream for p in parts)
    latencies = np.concatenate([f.requests.latency.dropna().to_numpy() for f in full])
    assert pooled.requests == sum(len(f.requests) for f in full)
    assert pooled.cost == pytest.approx(sum(f.requests.cost.sum() for f in full))
    for q in (0.5, 0.95, 0.99):
        assert within_sketch_accuracy(pooled.quantile(q), latencies, q)
    rows = dict(((m, k), v) for m, k, v in pooled.rows())
    assert sum(rows[(STATUS_RATES[s], "")] for s in STATUS_RATES) == pytest.approx(1.0)


def test_summary_level_meets_erlang_c_and_littles_law(catalog):
    c, mean, lam = 2, 1.0, 1.5
    scenario = single_server(catalog, c=c, mean=mean, rate=lam, n=20000)
    scenario = with_params(scenario, {"warmup.requests": 2000})
    waits, busy = [], []
    for rep in range(8):
        s = sr.run(scenario, seed=7, replication=rep, record="summary").summary().set_index(["metric", "key"])
        waits.append(s.value[("queue_wait_mean", "iac-golden-architect")])
        busy.append(s.value[("utilization", "iac-golden-architect")] * c)
    half = 3 * np.std(waits, ddof=1) / math.sqrt(len(waits))
    assert abs(np.mean(waits) - erlang_c_wait(c, lam, 1 / mean)) <= half
    # Little's law on the slots: busy slots on average = arrival rate × mean service time
    assert np.mean(busy) == pytest.approx(lam * mean, rel=0.03)


def test_summary_level_conserves_and_is_deterministic():
    s = sr.Scenario.default()
    a, b = sr.run(s, seed=11, record="summary"), sr.run(s, seed=11, record="summary")
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.per_minute(), b.per_minute())
    summary = a.summary().set_index(["metric", "key"]).value
    assert summary[("requests", "")] == s.workload.requests
    assert sum(summary[(STATUS_RATES[st], "")] for st in STATUS_RATES) == pytest.approx(1.0)
    by_plugin = summary.xs("cost_by_plugin", level="metric").sum()
    assert by_plugin == pytest.approx(summary[("cost_total", "")])
    c = sr.run(s, seed=11, replication=1, record="summary")
    assert not a.summary().equals(c.summary())


def test_a_summary_run_refuses_other_windows_and_says_why():
    r = sr.run(sr.Scenario.default(), seed=1, record="summary")
    with pytest.raises(sr.InputError, match="record='full'"):
        r.summary(window=(0.0, 100.0))
    with pytest.raises(sr.InputError, match="record='full'"):
        r.summary(by="fault")
    with pytest.raises(ValueError, match="record must be one of full, summary"):
        sr.run(sr.Scenario.default(), record="tables")


def test_parquet_streams_the_big_tables_in_chunks(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    from simroute.engine import recorder
    from simroute.faces.cli import main

    monkeypatch.setattr(recorder, "CHUNK", 100)  # many chunks from a small run
    assert main(["run", "--seed", "3", "--format", "parquet", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    full = sr.run(sr.Scenario.default(), seed=3)
    streamed = pd.read_parquet(tmp_path / "out" / "requests.parquet")
    assert len(streamed) == len(full.requests) > 100
    pd.testing.assert_frame_equal(streamed.sort_values("request_id", ignore_index=True), full.requests,
                                  check_dtype=False)
    attempts = pd.read_parquet(tmp_path / "out" / "attempts.parquet")
    key = ["request_id", "phase", "plugin", "attempt", "hedge", "queued"]
    pd.testing.assert_frame_equal(attempts.sort_values(key, ignore_index=True),
                                  full.attempts.sort_values(key, ignore_index=True), check_dtype=False)
    summary = pd.read_parquet(tmp_path / "out" / "summary.parquet")
    expected = full.summary()
    exact = ~expected.metric.isin([*QUANTILES, "latency_growth"])  # (the others: see the test above)
    assert list(summary.metric) == list(expected.metric)
    assert np.allclose(summary.value[exact], expected.value[exact], equal_nan=True)


def test_cli_record_summary_writes_the_small_tables(tmp_path, capsys):
    from simroute.faces.cli import main

    out = tmp_path / "out"
    assert main(["run", "--record", "summary", "--out", str(out), "--quiet"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["breaker_events.csv", "per_minute.csv", "per_minute_plugins.csv", "plugins.csv",
                       "simroute.json", "summary.csv"]
    assert "record='summary'" in capsys.readouterr().out


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_sketches_merge_the_same_across_workers(executor):
    if executor == "dask":
        pytest.importorskip("distributed")
    scenario = sr.Scenario.default()
    serial = sr.pooled(scenario, replications=3, seed=4, executor="serial")
    spread = sr.pooled(scenario, replications=3, seed=4, executor=executor, workers=2)
    assert serial.rows() == spread.rows()


def test_a_sweep_runs_at_the_summary_level():
    scenario = sr.Scenario.default()
    params = {"retry.max_retries": [0, 2]}
    full = sr.sweep(scenario, params, replications=2, executor="serial")
    summary = sr.sweep(scenario, params, replications=2, executor="serial", record="summary")
    counts = ~full.metric.isin([*QUANTILES, "latency_growth"])
    assert np.allclose(full.value[counts], summary.value[counts], equal_nan=True)


def test_per_minute_plot_draws_the_panels_asked_for():
    import matplotlib

    matplotlib.use("Agg")
    r = sr.run(sr.Scenario.default(), seed=1, record="summary")
    axes = sr.plots.per_minute(r.per_minute(), r.per_minute(by_plugin=True),
                               panels=("requests", "cost", "queue"))
    labels = ["requests (per min)", "spend ($/min)", "calls waiting (calls)"]
    assert [ax.get_ylabel() for ax in axes] == labels
    assert len(axes[0].lines) >= 2  # arrivals and at least one status
    with pytest.raises(ValueError, match="unknown panels"):
        sr.plots.per_minute(r.per_minute(), r.per_minute(by_plugin=True), panels=("latency",))


def test_a_sketch_filled_a_bucket_at_a_time_equals_one_filled_value_by_value():
    """streaming.add_to_sketch: the same counts (so the same quantiles) and sum as DDSketch.add
    per value, also for zeros and values spread over many decades, added in two chunks."""
    from ddsketch import DDSketch

    from simroute.experiments.streaming import add_to_sketch

    rng = np.random.default_rng(11)
    values = np.concatenate([rng.lognormal(0.0, 2.5, 50_000), np.zeros(40), rng.exponential(1e-3, 500)])
    one_by_one, bucketed = DDSketch(RELATIVE_ACCURACY), DDSketch(RELATIVE_ACCURACY)
    for v in values.tolist():
        one_by_one.add(v)
    add_to_sketch(bucketed, values[:20_000])
    add_to_sketch(bucketed, values[20_000:])
    assert bucketed.count == one_by_one.count == len(values)
    assert bucketed.sum == pytest.approx(one_by_one.sum, rel=1e-12)
    for q in np.linspace(0.0, 1.0, 201).tolist():
        assert bucketed.get_quantile_value(q) == one_by_one.get_quantile_value(q)


def test_latency_growth_keeps_a_bounded_number_of_blocks(monkeypatch):
    """Past GROWTH_BLOCKS blocks, pairs merge: a long summary run keeps a fixed number of growth
    sums, and latency_growth stays close to the full run's (here a metastable run of 10,341
    requests whose latency nearly doubles, in 8 blocks of 2,048 arrivals instead of 162 of 64)."""
    from simroute import streaming

    monkeypatch.setattr(streaming, "GROWTH_BLOCKS", 8)
    scenario = scenarios()["metastable (timeouts, abandoned work)"]
    full = sr.run(scenario, seed=5).summary().set_index(["metric", "key"]).value
    summary = sr.run(scenario, seed=5, record="summary")
    assert summary.stream.growth_block > streaming.GROWTH_BLOCK
    assert all(len(b.values) <= 8 for b in summary.stream.growth.values())
    got = summary.summary().set_index(["metric", "key"]).value[("latency_growth", "")]
    assert got == pytest.approx(full[("latency_growth", "")], rel=0.1)


def _reference_spread(a, b, minutes):
    """Each interval's length in each minute, minute by minute (the slow, obvious way)."""
    out = np.zeros(minutes)
    for lo, hi in zip(a, b, strict=True):
        for m in range(int(lo // 60), int(hi // 60) + 1):
            out[m] += max(0.0, min((m + 1) * 60.0, hi) - max(m * 60.0, lo))
    return out


def _reference_boundaries(a, b, minutes):
    """Each interval counted at the end of every minute inside it."""
    out = np.zeros(minutes)
    for lo, hi in zip(a, b, strict=True):
        for m in range(minutes):
            if lo <= (m + 1) * 60.0 < hi:
                out[m] += 1
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 3000), st.floats(0, 900)), min_size=1, max_size=40),
       st.integers(1, 3))
def test_per_minute_bins_equal_a_minute_by_minute_reference(intervals, chunks):
    """Spreading busy time and counting queued calls is linear in the calls (whole minutes go to a
    running sum), and gives what a minute-by-minute loop gives, however the rows arrive in chunks."""
    from simroute.experiments.streaming import Bins

    a = np.array([lo for lo, _ in intervals])
    b = a + np.array([length for _, length in intervals])
    minutes = int(b.max() // 60) + 2
    busy, queue = Bins(), Bins()
    for part in np.array_split(np.arange(len(a)), chunks):
        busy.spread(a[part], b[part])
        queue.boundaries(a[part], b[part])
    got_busy = np.pad(busy.dense(), (0, minutes))[:minutes]
    got_queue = np.pad(queue.dense(), (0, minutes))[:minutes]
    assert got_busy == pytest.approx(_reference_spread(a, b, minutes), abs=1e-9)
    assert got_queue == pytest.approx(_reference_boundaries(a, b, minutes))
    both = busy.merged(queue)
    assert np.pad(both.dense(), (0, minutes))[:minutes] == pytest.approx(got_busy + got_queue, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 30000), st.floats(0, 9000)), min_size=1, max_size=30),
       st.integers(1, 4))
def test_coarse_bins_equal_fine_bins_merged_in_pairs(intervals, doublings):
    """A run past MAX_BINS rows folds its later chunks into wider bins: folding straight into bins
    of 2^k minutes gives what folding into minutes and merging pairs k times gives."""
    from simroute.experiments.streaming import Bins

    a = np.array([lo for lo, _ in intervals])
    b = a + np.array([length for _, length in intervals])
    for fold in ("spread", "boundaries"):
        fine, coarse = Bins(), Bins(60.0 * 2**doublings)
        getattr(fine, fold)(a, b)
        getattr(coarse, fold)(a, b)
        for _ in range(doublings):
            fine = fine.coarsened()
        n = max(len(fine.dense()), len(coarse.dense()))
        assert np.pad(coarse.dense(), (0, n))[:n] == pytest.approx(np.pad(fine.dense(), (0, n))[:n], abs=1e-6)
