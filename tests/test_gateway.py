"""The LLM gateway world: a token-aware service model, stream_timeout at the first token, and the
real Azure trace reported as LLM calls in seconds."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import simroute as sr
from simroute.common.distributions import ServiceTime
from simroute.faces.report import at_load, gateway_scenario, with_quota
from simroute.faces.report_data import QUOTA_BINDS


def one_deployment(service, *, stream_timeout=None, requests=400, ctx=1000, gen=50, stream=False):
    deployment = {"name": "d", "group": "g", "service": {"default": service}, "timeout_s": 60}
    if stream_timeout is not None:
        deployment["stream_timeout_s"] = stream_timeout
    raw = {"name": "llm", "settings": {"router": {"num_retries": 0}, "breaker": {"enabled": False}},
           "model_groups": {"deployments": [deployment]},
           "workload": {"kind": "poisson", "rate": 0.5, "requests": requests,
                        "mix": [{"group": "g", "context_tokens": ctx, "generated_tokens": gen,
                                 "stream": stream}]}}
    return sr.Scenario.from_dict(raw)


def test_the_token_model_gives_ttft_plus_output_tokens_times_tpot():
    exact = {"dist": "llm", "mean_s": 0.3, "per_token_s": 1e-4, "tpot_s": 0.02, "cv": 0}
    q = sr.run(one_deployment(exact), seed=1).requests
    assert q.latency.to_numpy() == pytest.approx(0.3 + 1000 * 1e-4 + 50 * 0.02)  # 1.4 s, every call
    noisy = one_deployment(dict(exact, cv=0.4), requests=4000)
    q = sr.run(noisy, seed=2).requests
    assert q.latency.mean() == pytest.approx(1.4, rel=0.02)  # the mean TTFT plus the mean decode
    assert q.latency.std() > 0.2
    model = ServiceTime(dist="llm", mean=0.3, per_token=1e-4, tpot=0.02, cv=0.4)
    draws = [model.sample_parts(np.random.default_rng(k), 1000, 50) for k in range(3000)]
    ttft = np.array([d[0] for d in draws])
    assert ttft.mean() == pytest.approx(0.4, rel=0.03) and all(t <= total for t, total in draws)
    assert model.expected(1050, 50) == pytest.approx(1.4)


def test_tpot_grows_with_the_calls_in_flight_on_the_deployment():
    batching = {"dist": "llm", "mean_s": 0.2, "tpot_s": 0.02, "tpot_growth": 0.1, "cv": 0}
    s = one_deployment(batching, requests=300, gen=100)
    s = s.replace(workload=replace(s.workload, rate=4.0))  # 2.2 s calls, 4 a second: ~9 in flight
    q = sr.run(s, seed=3).requests.sort_values("arrival")
    arrival, end = q.arrival.to_numpy(), q.end.to_numpy()
    # the reference: the calls still being served when each call is sent
    in_flight = np.array([((arrival[:i] < arrival[i]) & (end[:i] > arrival[i])).sum()
                          for i in range(len(q))])
    assert q.tpot.to_numpy() == pytest.approx(0.02 * (1 + 0.1 * in_flight))
    assert q.latency.to_numpy() == pytest.approx(0.2 + 100 * 0.02 * (1 + 0.1 * in_flight))
    assert in_flight.max() >= 5  # the effect was exercised
    alone = sr.run(one_deployment(dict(batching, tpot_growth=0), requests=300, gen=100), seed=3).requests
    assert alone.tpot.to_numpy() == pytest.approx(0.02)


def test_stream_timeout_waits_for_the_first_token_only():
    slow_first = {"dist": "llm", "mean_s": 0.5, "tpot_s": 0.04, "cv": 0}
    a = sr.run(one_deployment(slow_first, stream_timeout=0.3, stream=True, requests=20, gen=50),
               seed=1).attempts
    assert (a.outcome == "timeout").all() and (a.end - a.queued).to_numpy() == pytest.approx(0.3)
    quick_first = {"dist": "llm", "mean_s": 0.2, "tpot_s": 0.04, "cv": 0}  # 0.2 s, then 2 s of decode
    q = sr.run(one_deployment(quick_first, stream_timeout=0.3, stream=True, requests=20, gen=50),
               seed=1).requests
    assert (q.status == "succeeded").all() and q.latency.to_numpy() == pytest.approx(2.2)
    # not streaming: stream_timeout does not apply
    q = sr.run(one_deployment(slow_first, stream_timeout=0.3, requests=20, gen=50), seed=1).requests
    assert (q.status == "succeeded").all() and q.latency.to_numpy() == pytest.approx(2.5)


def test_the_gateway_replays_the_real_trace_in_seconds_and_bills_its_tokens():
    s = gateway_scenario()
    w = s.workload
    assert w.kind == "trace" and w.time_scale == 1.0 and w.trace_format == "azure"
    r = sr.run(s, seed=0)
    q, a = r.requests, r.attempts
    assert len(q) == 8819 and q.arrival.max() < 3600  # the hour as it was
    assert q.latency.median() < 2  # calls of about a second
    tiers = {n: s.catalog.tiers[s.catalog.plugins[n].default_tier] for n in s.model_groups.deployments}
    prices = {n: (t.input_per_mtok / 1e6, t.output_per_mtok / 1e6) for n, t in tiers.items()}
    ok = a[a.outcome == "success"].merge(q[["request_id", "context_tokens", "generated_tokens"]],
                                         on="request_id")
    billed = sum(row.context_tokens * prices[row.plugin][0] + row.generated_tokens * prices[row.plugin][1]
                 for row in ok.itertuples())
    assert q.cost.sum() == pytest.approx(billed, rel=1e-9)  # model spend: the trace's tokens × prices


def test_report_on_the_azure_trace_runs_the_gateway_and_names_the_quota_that_binds(tmp_path):
    rep = sr.report(out=tmp_path / "az", trace="azure-code-2023", load_factors=(1.0, 3.0), replications=2,
                    seed=0, executor="serial", compare_settings=False, progress=False)
    assert rep.scenario.name == "gateway" and rep.scenario.workload.time_scale == 1.0  # no stretching
    assert rep.time_unit == "s"
    assert 3.0 in rep.saturated and "quota binds" in rep.saturated[3.0]
    page = rep.path.read_text(encoding="utf-8")
    assert "quota binds" in page and "(min)" not in page
    plug = pd.read_csv(tmp_path / "az" / "plugins.csv")
    assert set(plug.plugin) <= {"gpt-4o-east", "gpt-4o-west", "claude-sonnet"}
    assert not math.isnan(plug.rate_limited_share.max())


def test_the_capacity_plan_buys_the_quota_that_binds_and_prices_it(tmp_path):
    s = gateway_scenario()
    catalog = s.catalog
    for d in ("gpt-4o-east", "gpt-4o-west"):
        catalog = catalog.with_plugin(d, tpm_price=0.01, rpm_price=0.5)  # $/h per 1k tpm, per rpm
    rep = sr.report(s.replace(catalog=catalog), tmp_path / "q", load_factors=(1.0, 3.0), replications=2,
                    seed=0, executor="serial", compare_settings=False, progress=False)
    use = rep.tables["quota_use"].set_index(["load_factor", "plugin", "limit"]).peak_minute_share
    assert use[(3.0, "gpt-4o-east", "tpm")] >= 1 > use[(3.0, "gpt-4o-east", "rpm")]  # tokens bind
    quota = rep.tables["quota_plan"]
    raised = quota[(quota.load_factor == 3.0) & (quota.added > 0)]
    assert set(raised.limit) == {"tpm"} and "gpt-4o-east" in set(raised.plugin)  # only what binds
    assert not quota[quota.load_factor == 1.0].added.any() or 1.0 in rep.saturated
    # priced: every stated quota, whole, per month of 730 hours; the slots of a deployment cost nothing
    at3 = quota[quota.load_factor == 3.0]
    units = np.where(at3.limit == "tpm", at3.needed / 1000, at3.needed)
    assert at3.quota_cost_per_month.to_numpy() == pytest.approx(units * at3.price.to_numpy() * 730)
    check = rep.tables["plan_check"].set_index("load_factor")
    assert check.capacity_cost_per_month[3.0] == pytest.approx(at3.quota_cost_per_month.sum())
    assert check.meets_slo[3.0] and check.rounds[3.0] >= 1
    # verified: re-run at that quota, no deployment refuses QUOTA_BINDS of its calls any more
    quotas = {p: {r.limit: r.needed for r in at3[at3.plugin == p].itertuples()} for p in set(at3.plugin)}
    r = sr.run(with_quota(at_load(rep.scenario, 3.0), quotas), seed=0, replication=0)
    a = r.attempts
    assert (a.outcome == "rate_limited").groupby(a.plugin, observed=True).mean().max() < QUOTA_BINDS
    page = rep.path.read_text(encoding="utf-8")
    assert "Quota plan" in page and "gpt-4o-east tpm 300,000 →" in page


@pytest.mark.parametrize("record", ["full", "summary"])
def test_ttft_and_tpot_are_metrics_at_both_record_levels(record):
    exact = {"dist": "llm", "mean_s": 0.3, "per_token_s": 1e-4, "tpot_s": 0.02, "cv": 0}
    r = sr.run(one_deployment(exact), seed=1, record=record)
    m = r.summary().set_index("metric").value
    # no queue (1000 slots), no failures: the first token after 0.3 + 1000 × 1e-4 s, then 20 ms a token
    assert m["ttft_p50"] == pytest.approx(0.4, rel=0.01) and m["ttft_p95"] == pytest.approx(0.4, rel=0.01)
    assert m["tpot_p50"] == pytest.approx(0.02, rel=0.01)
    if record == "full":
        q = r.requests
        assert (q.ttft + q.tpot * q.generated_tokens).to_numpy() == pytest.approx(q.latency.to_numpy())
    plain = sr.run(sr.Scenario.default(), seed=0, record=record).summary().set_index("metric").value
    assert math.isnan(plain["ttft_p50"])  # no token-aware deployment: no first token to time


def test_spend_over_time_has_every_bin_of_the_run(tmp_path):
    rep = sr.report(out=tmp_path / "az", trace="azure-code-2023", load_factors=(1.0,), replications=2,
                    seed=0, executor="serial", compare_settings=False, progress=False)
    spend = rep.tables["spend"]
    minutes = spend.hour.to_numpy() * 60
    assert minutes == pytest.approx(np.arange(len(minutes)))  # a one-hour trace: by minute, none missing
    assert 55 <= len(minutes) <= 62
    total = spend.cost.sum() / 60  # $ per hour in minute bins → dollars
    assert total == pytest.approx(rep.tables["spend_per_month"].spend_per_month.iloc[0] / 730, rel=0.1)


def test_a_deployment_takes_every_field_of_its_reference_table_and_no_other():
    from simroute.policies.modelgroups import DEPLOYMENT_FIELDS

    every = {"name": "d", "group": "g", "model": "azure/gpt-4o", "weight": 1, "capacity": 8, "rpm": 600,
             "tpm": 90000, "timeout_s": 30, "stream_timeout_s": 5, "cooldown_time": 10,
             "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
             "service": {"default": {"dist": "llm", "mean_s": 0.2, "tpot_s": 0.01, "tpot_growth": 0.01}},
             "failure_p": 0.01, "failure": {"kinds": {"error": 1.0}}, "slot_price": 0.1, "rpm_price": 0.01,
             "tpm_price": 0.02}
    assert set(every) == set(DEPLOYMENT_FIELDS)  # (a new field goes in the table and here)
    raw = {"name": "x", "model_groups": {"deployments": [every]},
           "workload": {"kind": "poisson", "rate": 1, "requests": 10, "mix": [{"group": "g"}]}}
    s = sr.Scenario.from_dict(raw)
    p = s.catalog.plugins["d"]
    assert (p.capacity, p.rpm, p.tpm, p.tpm_price) == (8, 600, 90000, 0.02)
    assert p.service["default"].tpot_growth == 0.01
    raw["model_groups"]["deployments"][0]["tpm_prise"] = 1
    with pytest.raises(sr.InputError, match="tpm_prise.*unknown field.*did you mean 'tpm_price'"):
        sr.Scenario.from_dict(raw)
