"""The attempt path in simulation: failure kinds, timeouts, rate limits, retries per class,
hedging, bulkhead and shedding (simroute.engine.guards, simroute.engine.orchestrator)."""

import dataclasses
import math

import numpy as np
import pytest

import simroute as sr
from simroute.experiments.params import with_params

from .conftest import littles_law

INFRA = "Terraform the AWS infrastructure"  # one phase on iac-golden-architect
PLUGIN = "iac-golden-architect"


def one_plugin(catalog, *, rate=1.0, n=2000, service=None, capacity=2, failure_p=0.0,
               failure=None, faults=(), horizon=None, **settings):
    """Requests that run one phase on PLUGIN, with no fallback: what happens there is all there is."""
    cat = catalog.with_plugin(PLUGIN, capacity=capacity, failure_p=failure_p, fallbacks=(),
                              service={"default": service or sr.ServiceTime(dist="exponential", mean=1.0)},
                              failure=failure or sr.FailureModel())
    settings.setdefault("retry", sr.RetryPolicy(max_retries=0))
    settings.setdefault("breaker", sr.BreakerSettings(enabled=False))
    workload = sr.Workload(kind="poisson", rate=rate, requests=n, mix=(sr.MixEntry(text=INFRA),))
    return sr.Scenario(name="guards", catalog=cat, settings=sr.Settings(builtin_fallback=False, **settings),
                       workload=workload, faults=tuple(faults), horizon=horizon)


def on_plugin(r):
    return r.attempts[r.attempts.plugin == PLUGIN]


def test_a_fast_failing_outage_fails_after_the_error_latency_and_opens_the_breaker_on_time(catalog):
    fast = sr.FailureModel(error_latency=sr.ServiceTime(dist="deterministic", mean=0.25))
    sc = one_plugin(catalog, rate=0.5, n=400, failure=fast, capacity=50,
                    service=sr.ServiceTime(dist="deterministic", mean=30),
                    faults=[sr.Fault(plugin=PLUGIN, kind="outage", start=200, end=400)],
                    breaker=sr.BreakerSettings(failure_threshold=5, open_timeout=60))
    r = sr.run(sc, seed=3)
    a = on_plugin(r)
    errors = a[a.outcome == "error"].sort_values("end")
    assert len(errors) >= 5
    assert np.allclose(errors.end - errors.start, 0.25)  # the error latency, not the 30 s of work
    assert np.allclose(errors.service, 0.25)
    ev = r.breaker_events[(r.breaker_events.plugin == PLUGIN) & (r.breaker_events.to_state == "open")]
    # it opens at the instant the 5th consecutive failure ends (results in the order they end;
    # a success of a call started before the outage resets the count)
    count, opened = 0, None
    results = a[a.outcome != "rejected_open"].sort_values("end", kind="stable")
    for outcome, end in results[["outcome", "end"]].values:
        count = count + 1 if outcome == "error" else 0
        if count == 5:
            opened = end
            break
    assert opened is not None and ev.time.iloc[0] == opened
    assert (a.outcome == "rejected_open").any()
    assert (r.requests.status == "failed").any()


def test_an_outage_that_hangs_is_cut_by_the_timeout(catalog):
    sc = one_plugin(catalog, rate=0.2, n=300, capacity=50, faults=[
        sr.Fault(plugin=PLUGIN, kind="outage", start=100, end=600, failure="timeout")],
        timeout=sr.TimeoutSettings(attempt=20.0))
    r = sr.run(sc, seed=1)
    hung = on_plugin(r)[lambda a: (a.outcome == "timeout") & (a.start >= 100) & (a.start < 600)]
    assert len(hung) > 10
    assert np.allclose(hung.end - hung.queued, 20.0)
    # the plugin held each hanging call for its own limit (600 s), long after the caller left
    assert np.allclose(hung.service, sr.FailureModel().hang_s)
    assert hung.abandoned.all() and (hung.server_end > hung.end).all()


def test_no_attempt_waits_longer_than_its_timeout_and_abandoned_work_is_busy_time(catalog):
    sc = one_plugin(catalog, rate=1.8, n=6000, capacity=2, timeout=sr.TimeoutSettings(attempt=3.0))
    r = sr.run(sc, seed=5)
    a = on_plugin(r)
    assert ((a.end - a.queued) <= 3.0 + 1e-9).all()
    timed_out = a[a.outcome == "timeout"]
    assert len(timed_out) > 100 and timed_out.abandoned.all()
    served = timed_out[timed_out.server_end.notna()]
    assert len(served) and (served.server_end > served.end).all()
    # the plugin's busy time is all its work: served calls plus abandoned ones (none still running)
    assert a.server_end.notna().sum() == a.start.notna().sum()
    busy = float(r.plugins.set_index("plugin").loc[PLUGIN, "busy_time"])
    assert busy == pytest.approx(a.service.sum(), rel=1e-9)


def test_cancel_abandoned_withdraws_queued_calls_that_timed_out(catalog):
    base = dict(rate=1.8, n=3000, capacity=2)
    keep = sr.run(one_plugin(catalog, **base, timeout=sr.TimeoutSettings(attempt=3.0)), seed=5)
    drop = sr.run(one_plugin(catalog, **base, timeout=sr.TimeoutSettings(attempt=3.0, cancel_abandoned=True)),
                  seed=5)
    never_started = on_plugin(drop)[lambda a: (a.outcome == "timeout") & a.start.isna()]
    assert len(never_started) > 0 and not never_started.abandoned.any()
    busy = {k: float(r.plugins.set_index("plugin").loc[PLUGIN, "busy_time"]) for k, r in
            (("keep", keep), ("drop", drop))}
    assert busy["drop"] < busy["keep"]  # no work for callers that left


def test_littles_law_holds_with_timeouts_and_retries(catalog):
    sc = one_plugin(catalog, rate=1.5, n=8000, capacity=2, timeout=sr.TimeoutSettings(attempt=4.0),
                    retry=sr.RetryPolicy(max_retries=2, base=0.5, cap=2.0, jitter="full"))
    req = sr.run(sc, seed=2).requests
    assert (req.status == "failed").any()  # timeouts did end some requests
    in_system, lam_w = littles_law(req)
    assert in_system == pytest.approx(lam_w, rel=0.05)


def test_a_rate_limit_admits_its_rate_and_retries_wait_for_retry_after(catalog):
    cat = catalog.with_plugin(PLUGIN, rpm=30.0)
    sc = one_plugin(cat, rate=2.0, n=12000, capacity=100,
                    retry=sr.RetryPolicy(max_retries=2, base=0.1, cap=0.5))
    sc = sc.replace(catalog=sc.catalog.with_plugin(PLUGIN, rpm=30.0))
    r = sr.run(sc, seed=4)
    a = on_plugin(r)
    admitted = a[a.outcome != "rate_limited"]
    span = a.queued.max()
    # a bucket of 30/min starting full: 30 + 0.5/s × span admitted
    assert len(admitted) == pytest.approx(30 + 0.5 * span, rel=0.02)
    limited = a[a.outcome == "rate_limited"]
    assert (limited.retry_after > 0).all() and (limited.cost == 0).all()
    nxt = a.sort_values(["request_id", "attempt"]).groupby("request_id").shift(-1)
    follows = nxt.queued.notna() & (a.sort_values(["request_id", "attempt"]).outcome == "rate_limited")
    prev = a.sort_values(["request_id", "attempt"])[follows]
    assert len(prev) > 100
    assert (nxt.queued[follows] >= prev.end + prev.retry_after - 1e-9).all()


def test_a_tokens_per_minute_limit_counts_tokens(catalog, tmp_path):
    trace = tmp_path / "t.csv"
    trace.write_text("time,text,context_tokens,generated_tokens\n"
                     + "".join(f"{i * 0.5},{INFRA},900,100\n" for i in range(200)))
    cat = catalog.with_plugin(PLUGIN, capacity=50, failure_p=0.0, fallbacks=(), tpm=6000.0,
                              service={"default": sr.ServiceTime(dist="deterministic", mean=1.0)})
    sc = sr.Scenario(name="tpm", catalog=cat, settings=sr.Settings(builtin_fallback=False,
                                                                   retry=sr.RetryPolicy(max_retries=0)),
                     workload=sr.Workload(kind="trace", trace=str(trace), requests=None,
                                          mix=(sr.MixEntry(text=INFRA),)))
    a = on_plugin(sr.run(sc, seed=0))
    ok = a[a.outcome == "success"]
    # 6 calls of 1,000 tokens in the first minute's burst, then one every 10 s
    assert len(ok) == pytest.approx(6 + (a.queued.max()) / 10, abs=2)


def test_non_retryable_errors_are_never_retried_on_the_same_plugin(catalog):
    model = sr.FailureModel(kinds={"non_retryable": 0.5, "error": 0.5})
    sc = one_plugin(catalog, failure_p=0.6, failure=model, n=1500, capacity=10,
                    retry=sr.RetryPolicy(max_retries=3, base=0.1, cap=0.2))
    a = on_plugin(sr.run(sc, seed=8)).sort_values(["request_id", "attempt"])
    nxt = a.groupby("request_id").attempt.shift(-1)
    assert (a.outcome == "non_retryable").sum() > 100
    assert nxt[a.outcome == "non_retryable"].isna().all()  # nothing after it on this plugin
    assert nxt[a.outcome == "error"].notna().any()          # errors are retried


def test_retry_classes_set_retries_per_outcome_kind(catalog):
    model = sr.FailureModel(kinds={"error": 1.0})
    sc = one_plugin(catalog, failure_p=1.0, failure=model, n=200, capacity=10,
                    retry=sr.RetryPolicy(max_retries=0),
                    retry_classes={"error": sr.RetryPolicy(max_retries=2, base=0.1, cap=0.1)})
    a = on_plugin(sr.run(sc, seed=1))
    assert (a.groupby("request_id").size() == 3).all()
    off = with_params(sc, {"retry_classes.error.max_retries": 0})
    assert (on_plugin(sr.run(off, seed=1)).groupby("request_id").size() == 1).all()


def test_a_deadline_stops_a_request(catalog):
    sc = one_plugin(catalog, failure_p=1.0, n=100, capacity=10,
                    retry=sr.RetryPolicy(max_retries=10, base=2.0, cap=8.0),
                    timeout=sr.TimeoutSettings(deadline=10.0))
    r = sr.run(sc, seed=1)
    assert (r.requests.status == "failed").all() and (r.requests.reason == "deadline").all()
    assert (r.requests.latency <= 10.0 + 1e-9).all()


def test_hedging_cancels_the_loser_conserves_slots_and_pays_for_both(catalog):
    slow_tail = sr.ServiceTime(dist="lognormal", mean=2.0, cv=2.0)
    sc = one_plugin(catalog, rate=0.4, n=3000, capacity=3, service=slow_tail,
                    hedge=sr.HedgeSettings(delay=3.0))
    r = sr.run(sc, seed=6)
    a = on_plugin(r)
    copies = a[a.hedge > 0]
    assert len(copies) > 100
    hedged = a[a.request_id.isin(copies.request_id)]
    per_request = hedged.groupby("request_id").outcome.agg(lambda s: sorted(s))
    assert per_request.map(lambda o: o.count("success") == 1).all()  # one winner each
    assert per_request.map(lambda o: "cancelled" in o).all()        # the loser cancelled
    # no slot leaked: the plugin's busy time is exactly the work of every copy, and all finished
    assert (r.requests.status == "succeeded").all()
    busy = float(r.plugins.set_index("plugin").loc[PLUGIN, "busy_time"])
    assert busy == pytest.approx(a.service.sum(), rel=1e-9)
    # cost counts every copy that reached the plugin
    cost = a.groupby("request_id").cost.sum()
    assert np.allclose(r.requests.set_index("request_id").cost.loc[cost.index], cost)
    started = hedged[hedged.start.notna()]
    assert (started.cost > 0).all() and (hedged[hedged.start.isna()].cost == 0).all()
    assert (started.groupby("request_id").size() == 2).sum() > 50  # both copies paid for


def test_hedging_cuts_the_tail(catalog):
    slow_tail = sr.ServiceTime(dist="lognormal", mean=2.0, cv=2.0)
    plain = one_plugin(catalog, rate=0.3, n=3000, capacity=4, service=slow_tail)
    p95 = {h: float(sr.run(with_params(plain, {"hedge.delay": h}), seed=2).requests.latency.quantile(0.95))
           for h in (None, 4.0)}
    assert p95[4.0] < p95[None]


def test_a_bulkhead_caps_calls_in_flight(catalog):
    sc = one_plugin(catalog, rate=3.0, n=3000, capacity=4, bulkhead=sr.BulkheadSettings(max_concurrent=5))
    a = on_plugin(sr.run(sc, seed=3))
    assert (a.outcome == "rejected_bulkhead").sum() > 50
    served = a[a.outcome == "success"]
    events = np.concatenate([np.c_[served.queued, np.ones(len(served))],
                             np.c_[served.end, -np.ones(len(served))]])
    events = events[np.lexsort((events[:, 1], events[:, 0]))]
    assert np.cumsum(events[:, 1]).max() <= 5


def test_shedding_bounds_the_queue(catalog):
    sc = one_plugin(catalog, rate=2.5, n=4000, capacity=2, shedding=sr.SheddingSettings(max_queue=3))
    a = on_plugin(sr.run(sc, seed=3))
    assert (a.outcome == "shed").sum() > 50
    assert (a[a.outcome == "success"].queue_wait < 20).all()
    # at most 3 waiting when a call was admitted: its wait is at most 4 services' worth on average
    assert a[a.outcome == "success"].queue_wait.mean() < 2.0


def test_every_outcome_is_a_known_kind(catalog):
    r = sr.run(sr.Scenario.default(), seed=7)
    assert set(r.attempts.outcome) <= set(sr.OUTCOMES)


def test_the_default_outage_trips_breakers_and_fails_or_degrades_some_requests():
    r = sr.run(sr.Scenario.default(), seed=7)
    assert (r.breaker_events.to_state == "open").any()
    assert r.requests.status.isin(["degraded", "failed"]).sum() > 0
    assert (r.attempts.outcome != "success").sum() > 0


def test_same_seed_same_tables_with_every_guard_on(catalog):
    sc = one_plugin(catalog, rate=1.5, n=1500, capacity=2, failure_p=0.1,
                    failure=sr.FailureModel(kinds={"error": 0.5, "timeout": 0.3, "rate_limited": 0.2},
                                            hang_s=8.0),
                    timeout=sr.TimeoutSettings(attempt=5.0, deadline=60.0),
                    retry=sr.RetryPolicy(max_retries=2, jitter="full"), hedge=sr.HedgeSettings(delay=2.0),
                    bulkhead=sr.BulkheadSettings(max_concurrent=6), shedding=sr.SheddingSettings(max_queue=6))
    sc = sc.replace(catalog=sc.catalog.with_plugin(PLUGIN, rpm=80.0))
    a, b = sr.run(sc, seed=11), sr.run(sc, seed=11)
    assert a.attempts.equals(b.attempts) and a.requests.equals(b.requests)
    assert set(a.attempts.outcome) >= {"success", "error", "timeout", "rate_limited", "cancelled"}
    assert not math.isnan(a.requests.cost.sum())


def test_a_plugins_guards_run_in_the_explicit_order_the_settings_give():
    """``guard_order`` puts the guards it names first, the rest after in GUARDS order; an unknown
    name is refused naming the setting."""
    from types import SimpleNamespace

    from simroute.common.errors import InputError
    from simroute.engine.guards import build_guards, guard_order

    plugin = sr.load_catalog().plugins["fastapi-backend"]
    ctx = SimpleNamespace(breakers={"fastapi-backend": sr.BreakerSettings().make()}, servers={})
    base = sr.Settings(timeout=sr.TimeoutSettings(deadline=600.0),
                       bulkhead=sr.BulkheadSettings(max_concurrent=3))
    names = [g.name for g in build_guards(plugin, base, ctx)]
    assert names == ["deadline", "breaker", "bulkhead"]
    reordered = dataclasses.replace(base, guard_order=("bulkhead", "deadline"))
    assert guard_order(reordered)[:3] == ("bulkhead", "deadline", "breaker")
    assert [g.name for g in build_guards(plugin, reordered, ctx)] == ["bulkhead", "deadline", "breaker"]
    with pytest.raises(InputError, match="unknown guard 'moat'") as err:
        guard_order(dataclasses.replace(base, guard_order=("moat",)))
    assert err.value.field == "guard_order"


def test_a_plugins_own_guard_order_wins_over_the_settings(tmp_path):
    """A scenario's override gives one plugin its own order; the others keep the settings' order.
    An unknown name in a plugin's order is refused naming the plugin, before any simulation."""
    from simroute.common.errors import InputError
    from simroute.engine.guards import guard_order

    text = (sr.catalog.data_dir() / "scenarios" / "default.yaml").read_text()
    text = text.replace("overrides:\n", "overrides:\n  fastapi-backend: {guard_order: [bulkhead, breaker]}\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scenario = sr.Scenario.from_yaml(path)
    settings = dataclasses.replace(scenario.settings, guard_order=("shedding",))
    plugins = scenario.catalog.plugins
    assert guard_order(settings, plugins["fastapi-backend"])[:2] == ("bulkhead", "breaker")
    assert guard_order(settings, plugins["lobbi-platform-manager"])[0] == "shedding"
    bad = scenario.replace(catalog=scenario.catalog.with_plugin("fastapi-backend", guard_order=("moat",)))
    with pytest.raises(InputError, match="plugin fastapi-backend: field 'guard_order': unknown guard 'moat'"):
        sr.run(bad.replace(workload=dataclasses.replace(bad.workload, requests=5)), seed=0)
