"""Calibration from logs (issue 26): each format reads the same attempts; logs drawn from a known
system calibrate back to its numbers within their intervals; the fitted scenario predicts held-out
logs of the same system (latency within 10 %, rates within 1 point); a quota shows in its 429s; bad
logs are one line naming the file, line and column; the CLI writes a folder whose scenario runs."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import simroute as sr
from simroute.experiments.calibrate import calibrate, logs_of_run
from simroute.io.logs import STATUSES, read_logs, write_logs

LOGS = sr.catalog.data_dir() / "logs"
FILES = {"csv": LOGS / "example.csv", "otel": LOGS / "example.otel.jsonl",
         "litellm": LOGS / "example.litellm.jsonl"}
SYSTEM = sr.Scenario.from_yaml(LOGS / "system.yaml")


def _frame(scenario: sr.Scenario, seed: int) -> pd.DataFrame:
    res = sr.run(scenario, seed=seed)
    groups = {d.name: d.group for d in scenario.model_groups.deployments.values()}
    return logs_of_run(res.attempts, res.requests, groups)


def test_every_format_reads_the_same_attempts():
    read = {fmt: read_logs(path, fmt) for fmt, path in FILES.items()}
    base = read["csv"]
    assert len(base) > 3000
    assert set(base.deployments) == {"azure-gpt-4o", "anthropic-sonnet", "bedrock-sonnet"}
    for fmt, logs in read.items():
        assert logs.deployments == base.deployments and logs.groups == base.groups, fmt
        np.testing.assert_array_equal(logs.status, base.status)
        np.testing.assert_array_equal(logs.input_tokens, base.input_tokens)
        np.testing.assert_array_equal(logs.output_tokens, base.output_tokens)
        np.testing.assert_allclose(logs.start, base.start, atol=2e-6)
        np.testing.assert_allclose(logs.end, base.end, atol=2e-6)
        np.testing.assert_allclose(logs.ttft, base.ttft, atol=2e-6)  # NaN where not a success
        assert len(np.unique(logs.request)) == len(np.unique(base.request)) == 3000


def test_reading_in_small_chunks_gives_the_same_table():
    whole, chunked = read_logs(FILES["csv"]), read_logs(FILES["csv"], chunk_rows=97)
    for name in ("start", "end", "status", "deployment", "request", "input_tokens"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(chunked, name))


def _truth() -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for name in SYSTEM.model_groups.deployments:
        plugin = SYSTEM.catalog.plugins[name]
        model = plugin.service["default"]
        out[(name, "mean_s")], out[(name, "per_token_s")] = model.mean, model.per_token
        out[(name, "tpot_s")], out[(name, "cv")] = model.tpot, model.cv
        out[(name, "failure_p")] = plugin.failure_p
        for kind, share in plugin.failure.kinds.items():
            if plugin.failure_p > 0.015:  # enough failures to read their kinds
                out[(name, f"failure.kinds.{kind}")] = share
    out[("anthropic-sonnet", "weight")], out[("bedrock-sonnet", "weight")] = 0.6, 0.4
    out[("azure-gpt-4o", "timeout_s")] = 60.0
    return out


@pytest.mark.parametrize("fmt", list(FILES))
def test_logs_of_a_known_system_calibrate_back_to_it(fmt):
    cal = calibrate(FILES[fmt], fmt, replications=2)
    fit = cal.fit.set_index(["deployment", "parameter"])
    missed = [f"{dep} {par}: {value:g} not in [{fit.low[(dep, par)]:.4g}, {fit.high[(dep, par)]:.4g}]"
              for (dep, par), value in _truth().items()
              if not fit.low[(dep, par)] - 1e-12 <= value <= fit.high[(dep, par)] + 1e-12]
    assert not missed, missed
    assert fit.value[("(router)", "num_retries")] == 2
    assert (fit["rows"] > 0).all()
    # the arrivals: the trace replays the logged requests at their times, with their groups and tokens
    trace = pd.read_csv(pd.io.common.StringIO(cal.trace))
    res = sr.run(SYSTEM, seed=7)
    np.testing.assert_allclose(trace["time"], res.requests["arrival"] - res.requests["arrival"].iloc[0],
                               atol=2e-6)
    assert (trace["group"].to_numpy() == res.requests["primary"].to_numpy()).all()
    assert (trace["context_tokens"].to_numpy() == res.requests["context_tokens"].to_numpy()).all()


@pytest.fixture(scope="module")
def held_out_check():
    """Four hours of the known system (the hour's trace, four seeds, one after another)."""
    hour = SYSTEM.replace(workload=dataclasses.replace(SYSTEM.workload, requests=None))
    parts = []
    for k in range(4):
        f = _frame(hour, seed=100 + k)
        f[["start", "end"]] += 3700.0 * k
        f["request_id"] = f["request_id"] + f"-{k}"
        parts.append(f)
    frame = pd.concat(parts, ignore_index=True)
    return frame, calibrate(_as_logs(frame), replications=3)


def _as_logs(frame):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "logs.csv"
        write_logs(frame, path, "csv")
        return read_logs(path)


def test_the_fitted_scenario_predicts_held_out_logs(held_out_check):
    _, cal = held_out_check
    v = cal.validation.set_index(["scope", "metric"])
    for dep in ("azure-gpt-4o", "anthropic-sonnet", "bedrock-sonnet", "all"):
        for q in ("latency p50", "latency p95"):
            obs, pred = v.observed[(dep, q)], v.predicted[(dep, q)]
            assert abs(pred - obs) <= 0.10 * obs, (dep, q, obs, pred)
        for rate in ("error rate", "429 rate"):
            obs, pred = v.observed[(dep, rate)], v.predicted[(dep, rate)]
            assert abs(pred - obs) <= 0.01, (dep, rate, obs, pred)
    assert v.rows[("azure-gpt-4o", "latency p95")] > 3000


def test_a_quota_is_read_from_the_minutes_with_429s(tmp_path):
    text = (LOGS / "system.yaml").read_text()
    spec = yaml.safe_load(text)
    dep = spec["model_groups"]["deployments"][0]
    dep["rpm"] = 300  # the trace at 4x its rate asks ~600 calls a minute of it
    dep["failure_p"] = 0.0
    dep.pop("failure")
    spec["model_groups"].pop("fallbacks")
    spec["workload"].update(requests=None, time_scale=0.25)
    spec["workload"]["mix"] = [{"group": "gpt-4o"}]
    spec["model_groups"]["deployments"] = [dep]
    spec["settings"]["router"]["num_retries"] = 0
    scenario = sr.Scenario.from_dict(spec, source=str(LOGS / "system.yaml"))
    frame = _frame(scenario, seed=1)
    assert (frame["status"] == "rate_limited").mean() > 0.2
    cal = calibrate(_as_logs(frame), replications=2)
    fit = cal.fit.set_index(["deployment", "parameter"])
    row = fit.loc[("azure-gpt-4o", "rpm")]
    assert row.low <= 300 <= row.high and abs(row.value - 300) <= 30, row  # the bucket's burst lets more by
    assert "tpm" not in fit.loc["azure-gpt-4o"].index
    assert fit.value[("azure-gpt-4o", "failure_p")] < 0.01  # the quota's 429s are not failures
    v = cal.validation.set_index(["scope", "metric"])
    assert abs(v.predicted[("all", "429 rate")] - v.observed[("all", "429 rate")]) <= 0.02


HEAD = "start,end,deployment,status,input_tokens,output_tokens\n"


@pytest.mark.parametrize("name,text,expected", [
    ("missing column", "start,end,deployment,status,input_tokens\n0,1,d,success,5\n",
     ":1: field 'output_tokens': missing column"),
    ("end before start", HEAD + "0,1,d,success,5,5\n4,2,d,success,5,5\n", ":3: field 'end': ends before"),
    ("negative tokens", HEAD + "0,1,d,success,-5,5\n", ":2: field 'input_tokens': must be >= 0"),
    ("unknown status", HEAD + "0,1,d,succeeded!,5,5\n", ":2: field 'status': unknown status"),
    ("empty file", "", "empty file"),
    ("only a header", HEAD, "no data rows"),
    ("not a time", HEAD + "yesterday,1,d,success,5,5\n", ":2: field 'start': not a time"),
])
def test_bad_logs_get_one_line_naming_file_line_and_column(tmp_path, name, text, expected):
    path = tmp_path / "logs.csv"
    path.write_text(text)
    with pytest.raises(sr.InputError) as err:
        read_logs(path)
    assert str(path) in str(err.value) and expected in str(err.value), str(err.value)
    proc = subprocess.run([sys.executable, "-m", "simroute", "calibrate", str(path), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len([ln for ln in proc.stderr.splitlines() if ln.startswith("simroute:")]) == 1
    assert not (tmp_path / "out").exists()


def test_a_deployment_with_three_rows_is_refused_not_guessed(tmp_path):
    frame = pd.read_csv(FILES["csv"])
    rare = frame.index[frame["deployment"] == "bedrock-sonnet"][3:]
    path = tmp_path / "logs.csv"
    frame.drop(rare).to_csv(path, index=False)
    with pytest.raises(sr.InputError, match=r"'bedrock-sonnet' has [0-3] successful calls .* at least 30"):
        calibrate(path)


def test_otel_and_litellm_bad_rows_name_their_own_fields(tmp_path):
    span = ('{"traceId":"a","startTimeUnixNano":"2000000000","endTimeUnixNano":"1000000000",'
            '"attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m"}},'
            '{"key":"gen_ai.usage.input_tokens","value":{"intValue":"3"}},'
            '{"key":"gen_ai.usage.output_tokens","value":{"intValue":"3"}}]}\n')
    (tmp_path / "s.jsonl").write_text(span)
    with pytest.raises(sr.InputError, match=r"s.jsonl:1: field 'span end': ends before it starts"):
        read_logs(tmp_path / "s.jsonl", "otel")
    (tmp_path / "l.jsonl").write_text('{"request_id":"a","startTime":"2024-01-01T00:00:00Z",'
                                      '"endTime":"2024-01-01T00:00:01Z","model":"m","status":"weird",'
                                      '"prompt_tokens":1,"completion_tokens":1}\n')
    with pytest.raises(sr.InputError, match=r"l.jsonl:1: field 'status': unknown status 'weird'"):
        read_logs(tmp_path / "l.jsonl", "litellm")


def test_the_cli_writes_a_folder_whose_scenario_runs(tmp_path):
    out = tmp_path / "cal"
    config = sr.catalog.data_dir() / "litellm" / "example_config.yaml"
    proc = subprocess.run([sys.executable, "-m", "simroute", "calibrate", str(FILES["litellm"]), "--format",
                           "litellm", "--config", str(config), "--replications", "2", "--out", str(out),
                           "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "predictions agree with the held-out logs" in proc.stdout
    for name in ("scenario.yaml", "trace.csv", "fit.csv", "validation.csv", "qq.csv", "index.html",
                 "simroute.json"):
        assert (out / name).is_file(), name
    page = (out / "index.html").read_text()
    assert "data:image/png;base64," in page and "Predicted against held-out logs" in page
    scenario = sr.Scenario.from_yaml(out / "scenario.yaml")
    # with --config, the config's prices and fallbacks are kept; the logs fill in service
    east = scenario.catalog.plugins["azure-gpt-4o"]
    assert east.service["default"].dist == "llm" and abs(east.service["default"].tpot - 0.012) < 0.001
    assert scenario.model_groups.fallbacks["gpt-4o"] == ("claude-sonnet",)
    res = sr.run(scenario, seed=1)
    assert len(res.requests) == 3000 and res.requests["cost"].sum() > 0
    assert set(res.attempts["plugin"]) <= {"azure-gpt-4o", "anthropic-sonnet", "bedrock-sonnet"}


def test_a_trace_row_names_its_model_group(tmp_path):
    trace = tmp_path / "t.csv"
    trace.write_text("time,group,context_tokens,generated_tokens\n0,b,10,5\n1,a,10,5\n2,b,10,5\n")
    spec = {"model_groups": {"deployments": [
        {"name": "da", "group": "a", "service": {"default": {"dist": "deterministic", "mean_s": 1}}},
        {"name": "db", "group": "b", "service": {"default": {"dist": "deterministic", "mean_s": 1}}}]},
        "workload": {"kind": "trace", "trace": str(trace), "mix": [{"group": "a"}, {"group": "b"}]}}
    res = sr.run(sr.Scenario.from_dict(spec), seed=0)
    assert res.attempts.sort_values("request_id")["plugin"].tolist() == ["db", "da", "db"]
    spec["workload"]["mix"] = [{"group": "a"}]
    spec["model_groups"]["deployments"].pop()
    with pytest.raises(sr.InputError, match=r"group 'b' \(first on data row 1\) is not a model group"):
        sr.run(sr.Scenario.from_dict(spec), seed=0)


def test_statuses_and_http_codes():
    from simroute.io.logs import status_of

    assert [status_of(c) for c in ("200", "429", "408", "504", "400", "503", "RateLimitError", "Timeout",
                                   "InternalServerError", "BadRequestError", "success")] == [
        "success", "rate_limited", "timeout", "timeout", "non_retryable", "error", "rate_limited", "timeout",
        "error", "non_retryable", "success"]
    assert status_of("teapot") is None and status_of("999") is None
    assert set(STATUSES) >= {"success", "error", "timeout", "rate_limited", "non_retryable"}
