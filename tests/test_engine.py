import math

import numpy as np
import pandas as pd
import pytest

import simroute as sr
from simroute.engine.bus import topic_matches
from simroute.experiments.metrics import STATUS_RATES
from simroute.resilience.breaker import CLOSED, HALF_OPEN, OPEN

from .conftest import littles_law

INFRA = "Terraform the AWS infrastructure"  # one phase on iac-golden-architect
DEPLOY = "Deploy the service to kubernetes with helm"  # one phase on ahling-command-center


def single_server(catalog, *, c, mean, rate, n):
    cat = catalog.with_plugin("iac-golden-architect", capacity=c, failure_p=0.0,
                              service={"default": sr.ServiceTime(dist="exponential", mean=mean)})
    return sr.Scenario(name="mmc", catalog=cat,
                       workload=sr.Workload(kind="poisson", rate=rate, requests=n,
                                            mix=(sr.MixEntry(text=INFRA),)))


def erlang_c_wait(c, lam, mu):
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (s + top) / (c * mu - lam)


def test_queue_wait_matches_erlang_c(catalog):
    c, mean, lam = 2, 1.0, 1.5
    scenario = single_server(catalog, c=c, mean=mean, rate=lam, n=20000)
    waits = []
    for rep in range(8):
        r = sr.run(scenario, seed=7, replication=rep)
        assert set(r.attempts.plugin) == {"iac-golden-architect"}
        waits.append(r.attempts.queue_wait.iloc[2000:].mean())  # drop the warm-up
    mean_w, half = np.mean(waits), 3 * np.std(waits, ddof=1) / math.sqrt(len(waits))
    theory = erlang_c_wait(c, lam, 1 / mean)  # 1.2857 s
    assert abs(mean_w - theory) <= half, (mean_w, half, theory)


def test_littles_law_on_the_output_tables(catalog):
    r = sr.run(single_server(catalog, c=2, mean=1.0, rate=1.2, n=5000), seed=3)
    req = r.requests
    assert (req.status == "succeeded").all()
    in_system, lam_w = littles_law(req)  # the number in the system, sampled at random instants
    assert in_system == pytest.approx(lam_w, rel=0.05)
    assert np.allclose(req.latency, req.end - req.arrival)


def trace_scenario(catalog, tmp_path, times, faults, **settings):
    path = tmp_path / "seq.csv"
    path.write_text("time,text\n" + "".join(f"{t},{DEPLOY}\n" for t in times))
    instant = sr.ServiceTime(dist="deterministic", mean=0.0)
    cat = catalog.with_plugin("ahling-command-center", failure_p=0.0, service={"default": instant},
                              failure=sr.FailureModel(error_latency=instant))  # fails at once
    cat = cat.with_plugin("container-workflow", failure_p=0.0,
                          service={"default": sr.ServiceTime(dist="deterministic", mean=0.0)})
    return sr.Scenario(
        name="breaker", catalog=cat,
        settings=sr.Settings(retry=sr.RetryPolicy(max_retries=0), **settings),
        workload=sr.Workload(kind="trace", trace=str(path), requests=None,
                             mix=(sr.MixEntry(text=DEPLOY),)),
        faults=tuple(sr.Fault(plugin="ahling-command-center", kind=k, start=a, end=b, value=1.0)
                     for k, a, b in faults), horizon=1000)


def ahling_events(r):
    ev = r.breaker_events[r.breaker_events.plugin == "ahling-command-center"]
    return list(zip(ev.time, ev.from_state, ev.to_state, strict=True))


def test_breaker_reproduces_the_seed_timeline_in_simulation(catalog, tmp_path):
    times = [0, 1, 11, 12, 13, 14, 15, 30, 60, 76, 77, 78]
    r = sr.run(trace_scenario(catalog, tmp_path, times, [("outage", 10, 75.5)]), seed=1)
    assert ahling_events(r) == [(15, CLOSED, OPEN), (75, OPEN, HALF_OPEN), (78, HALF_OPEN, CLOSED)]
    by_time = r.requests.set_index("arrival")
    assert by_time.loc[30, "primary"] != "ahling-command-center"  # open: routed around it
    assert (by_time.loc[[11, 12, 13, 14, 15], "status"] == "degraded").all()  # fallback served
    assert (by_time.loc[[76, 77, 78], "status"] == "succeeded").all()


def test_breaker_failed_recovery_in_simulation(catalog, tmp_path):
    times = [0, 1, 11, 12, 13, 14, 15, 76, 77, 140]
    faults = [("outage", 10, 75.5), ("outage", 76.5, 80)]
    r = sr.run(trace_scenario(catalog, tmp_path, times, faults), seed=1)
    assert ahling_events(r)[:4] == [(15, CLOSED, OPEN), (75, OPEN, HALF_OPEN),
                                    (77, HALF_OPEN, OPEN), (137, OPEN, HALF_OPEN)]


def saga_scenario(catalog, faults, max_retries=0):
    fails_in_2s = sr.FailureModel(error_latency=sr.ServiceTime(dist="deterministic", mean=2.0))
    for plugin in ("ahling-command-center", "lobbi-platform-manager"):
        catalog = catalog.with_plugin(plugin, failure=fails_in_2s)
    return sr.Scenario(
        name="saga", catalog=catalog,
        settings=sr.Settings(service="plan", retry=sr.RetryPolicy(max_retries=max_retries),
                             record_messages=True),
        workload=sr.Workload(kind="poisson", rate=1.0, requests=1,
                             mix=(sr.MixEntry(text="tenant", saga="tenant-provisioning"),)),
        faults=tuple(sr.Fault(plugin=p, kind="outage", start=a, end=b) for p, a, b in faults))


def test_saga_third_step_fails_and_compensates_in_reverse(catalog):
    r = sr.run(saga_scenario(catalog, [("ahling-command-center", 0, 1e6)]), seed=2)
    (status,) = r.requests.status
    assert status == "compensated"
    s = r.sagas
    assert list(zip(s.action, s.direction, s.outcome, strict=True)) == [
        ("create_tenant_db", "forward", "success"), ("create_realm", "forward", "success"),
        ("deploy_namespace", "forward", "failure"), ("delete_realm", "compensate", "success"),
        ("delete_tenant_db", "compensate", "success")]
    t0 = r.requests.arrival.iloc[0]
    # plan durations 5, 7 s; the failing step fails after its error latency (2 s, not its 13 s of
    # work); compensations 3 s each
    assert list(s.end - t0) == pytest.approx([5, 12, 14, 17, 20])
    assert r.final_state == {}  # back to the pre-saga state
    changes = r.messages[(r.messages.subscriber == "telemetry")
                         & r.messages.topic.str.startswith("state/")]
    assert [p["type"] for p in changes.payload] == ["register", "register", "unregister", "unregister"]


def test_failing_compensation_is_recorded_not_dropped(catalog):
    faults = [("ahling-command-center", 0, 1e6), ("lobbi-platform-manager", 20, 1e6)]
    r = sr.run(saga_scenario(catalog, faults, max_retries=1), seed=2)
    assert r.requests.status.iloc[0] == "failed"
    assert "compensation_failed" in r.requests.reason.iloc[0]
    comp = r.sagas[r.sagas.direction == "compensate"]
    assert list(comp.outcome) == ["compensation_failed", "compensation_failed"]
    assert list(comp.action) == ["delete_realm", "delete_tenant_db"]  # the rollback went on
    assert r.final_state != {}


def test_conservation_and_costs_add_up():
    r = sr.run(sr.Scenario.default(), seed=4)
    n = sr.Scenario.default().workload.requests
    assert len(r.requests) == n and r.requests.request_id.is_unique
    assert set(r.requests.status) <= set(sr.results.STATUSES)
    assert r.requests.cost.sum() == pytest.approx(r.attempts.cost.sum())
    per_request = r.attempts.groupby("request_id").cost.sum()
    assert np.allclose(r.requests.set_index("request_id").cost.loc[per_request.index], per_request)
    summary = r.summary().set_index(["metric", "key"]).value
    assert set(STATUS_RATES) == set(sr.results.STATUSES)
    rates = sum(summary[(STATUS_RATES[s], "")] for s in sr.results.STATUSES)
    assert rates == pytest.approx(1.0)


def test_horizon_leaves_in_flight_requests(catalog):
    s = single_server(catalog, c=1, mean=5.0, rate=1.0, n=100).replace(horizon=30.0)
    r = sr.run(s, seed=1)
    assert "in_flight" in set(r.requests.status)
    assert r.requests[r.requests.status == "in_flight"].latency.isna().all()
    assert len(r.requests) == (r.requests.arrival <= 30).sum()


def test_same_seed_same_frames_different_replications_differ():
    s = sr.Scenario.default()
    a, b = sr.run(s, seed=11), sr.run(s, seed=11)
    for name in ("requests", "attempts", "breaker_events", "sagas", "plugins"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = sr.run(s, seed=11, replication=1)
    assert not np.allclose(a.requests.arrival, c.requests.arrival)
    assert (c.requests.replication == 1).all() and (a.requests.seed == 11).all()


def test_topic_wildcards():
    assert topic_matches("state/*/change", "state/fastapi-backend/change")
    assert not topic_matches("state/*/change", "state/a/b/change")
    assert topic_matches("plugin/#", "plugin/x/request")
    assert topic_matches("#", "routing/decision")
    assert not topic_matches("plugin/x/request", "plugin/x/response")


def test_messages_for_a_documented_request(catalog):
    for plugin in ("fastapi-backend", "lobbi-platform-manager", "ahling-command-center"):
        catalog = catalog.with_plugin(plugin, failure_p=0.0)  # the happy path, every time
    s = sr.Scenario(name="m", catalog=catalog, settings=sr.Settings(
                    record_messages=True, service="plan", reading=sr.SEED_READING, weights=sr.SEED_WEIGHTS),
                    workload=sr.Workload(rate=1.0, requests=1, mix=(sr.MixEntry(
                        text="Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s"),)))
    r = sr.run(s, seed=0)
    m = r.messages
    first = m.drop_duplicates("message_id")
    assert first.topic.iloc[0] == "routing/decision"
    assert set(m[m.topic == "routing/decision"].subscriber) == {
        "fastapi-backend", "lobbi-platform-manager", "ahling-command-center", "telemetry"}
    req_topics = [t for t in first.topic if t.endswith("/request")]
    assert req_topics[:3] == ["plugin/fastapi-backend/request",
                              "plugin/lobbi-platform-manager/request",
                              "plugin/ahling-command-center/request"]
    assert (m.correlation_id == 0).all()
    assert r.requests.status.iloc[0] == "succeeded"
    assert r.requests.latency.iloc[0] == pytest.approx(45 * 60)  # plan durations 15 + 12 + 18 min


def test_recorder_frames_have_the_dtypes_pandas_would_infer():
    from simroute.engine.recorder import Recorder

    table = {"id": [1, 2, 3], "x": [0.5, float("nan"), 2], "s": ["a", "b", "a"], "ok": [True, False, True],
             "p": [{"k": 1}, {}, {"k": 2}]}
    expected = pd.DataFrame(table).assign(seed=7, replication=2)
    pd.testing.assert_frame_equal(Recorder.frame(table, 7, 2), expected)
    assert list(Recorder.frame({"a": []}, 1, 0).columns) == ["a", "seed", "replication"]


@pytest.mark.parametrize("row", [("p", 2.0, "open"), ("p", 2.0, "open", "closed", "extra")])
def test_a_row_of_the_wrong_length_is_refused_either_way(row):
    from simroute.engine.recorder import Recorder

    rec = Recorder()
    rec.breaker("p", 1.0, "closed", "open")
    with pytest.raises(ValueError, match="4 columns"):
        rec.breaker(*row)
    assert len(rec.breakers.frame(0, 0)) == 1


@pytest.mark.parametrize("kind", ["attempt", "request"])
def test_each_row_appends_every_column_under_its_own_name(kind):
    """append_to writes the columns by position (the recorder's hot path): each column, set to a
    value no other column has, must land in its own list."""
    from simroute.engine.records import RECORDED_ATTEMPT_COLUMNS, REQUEST_COLUMNS, Call, RequestState

    if kind == "attempt":
        row, columns = Call(7, "backend", "p", 0, 1, 3.0, "sonnet", 100.0, 9.0, 0.5), RECORDED_ATTEMPT_COLUMNS
    else:
        row, columns = RequestState(7, 3.0, "t", 1.0, 2.0, 3.0, None, 9.0), REQUEST_COLUMNS
    for i, name in enumerate(columns):  # a distinct value of the column's own type
        value = getattr(row, name)
        setattr(row, name, (not value) if isinstance(value, bool) else type(value)(f"{1000 + i}"))
    lists: list[list] = [[] for _ in columns]
    row.append_to(lists)
    assert lists == [[getattr(row, name)] for name in columns]
    assert len({repr(v) for (v,) in lists if not isinstance(v, bool)}) == len(columns) - 1


def test_named_rows_are_written_by_column_name():
    from simroute.engine.recorder import Recorder
    from simroute.engine.records import ATTEMPT_COLUMNS, Call

    rec = Recorder()
    call = Call(7, "backend", "fastapi-backend", 0, 1, 3.0, "sonnet", 100.0, float("inf"), 0.5)
    call.refused("rejected_open", 0.0, 3.0)
    rec.attempt(call)
    frame = Recorder.attempts_frame(rec.attempts, 0, 0)
    row = frame.iloc[0]
    assert list(frame.columns) == [*ATTEMPT_COLUMNS, "seed", "replication"]
    assert (row.queue_wait, row.service) == (0.0, 0.0)
    assert (row.request_id, row.plugin, row.outcome, row.queued, row.tier) == (
        7, "fastapi-backend", "rejected_open", 3.0, "sonnet")


@pytest.mark.parametrize("chunk", [1500, 7])
def test_streamed_tables_are_handed_on_in_chunks_of_chunk_rows(chunk, monkeypatch):
    """Rows move to the columns in batches; a streamed table still hands on exactly CHUNK rows at a
    time (the last chunk: the rest), whatever CHUNK is."""
    from simroute.engine import recorder

    monkeypatch.setattr(recorder, "CHUNK", chunk)
    sizes: dict[str, list[int]] = {"requests": [], "attempts": []}
    sr.run(sr.Scenario.default(), seed=1,
           on_chunk={k: (lambda c, k=k: sizes[k].append(len(c["request_id"]))) for k in sizes})
    full = sr.run(sr.Scenario.default(), seed=1)
    for name, rows in (("requests", len(full.requests)), ("attempts", len(full.attempts))):
        assert sum(sizes[name]) == rows > chunk
        assert all(n == chunk for n in sizes[name][:-1]) and 0 < sizes[name][-1] <= chunk


def test_a_streamed_table_keeps_only_the_columns_asked_for():
    """A summary run's tables hand the folds only the columns they read (FOLDED_COLUMNS), with the
    same values as a table that keeps every column; a kept table cannot drop columns."""
    from simroute.engine.recorder import TYPES, Table
    from simroute.engine.records import REQUEST_COLUMNS

    rows = [{c: (f"{c}{i % 3}" if TYPES["requests"].get(c) == "c" else i + 0.5) for c in REQUEST_COLUMNS}
            for i in range(2500)]
    keep = ("request_id", "latency", "status")
    chunks: dict[str, list[dict]] = {"all": [], "some": []}
    tables = {"all": Table(REQUEST_COLUMNS, TYPES["requests"], chunks["all"].append),
              "some": Table(REQUEST_COLUMNS, TYPES["requests"], chunks["some"].append, keep=keep)}
    for table in tables.values():
        for row in rows:
            table.add(*row.values())
        table.flush()
    assert [list(c) for c in chunks["some"]] == [list(keep)]
    assert all(list(chunks["some"][0][k]) == list(chunks["all"][0][k]) for k in keep)
    assert len(chunks["some"][0]["latency"]) == 2500
    kept = Table(REQUEST_COLUMNS, TYPES["requests"], keep=keep)
    kept.add(*rows[0].values())
    with pytest.raises(ValueError, match="not kept"):
        kept.columns_out()
    with pytest.raises(ValueError, match="'nope' is not a column"):
        Table(REQUEST_COLUMNS, TYPES["requests"], keep=("nope",))
