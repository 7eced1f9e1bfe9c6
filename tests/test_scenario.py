import numpy as np
import pytest

import simroute as sr
from simroute.faces.cli import main


def test_default_scenario_loads():
    s = sr.Scenario.default()
    assert s.name == "default" and s.workload.requests == 2000
    assert s.settings.breaker.failure_threshold == 5 and s.settings.retry.jitter == "full"


def _write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


BASE = """name: t
workload:
  rate: 1.0
  requests: 10
  mix:
    - {text: "api"}
"""


@pytest.mark.parametrize("extra, field, message", [
    ("faults:\n  - {plugin: nope, kind: outage, start: 0, end: 5}\n", "plugin", "unknown plugin 'nope'"),
    ("settings:\n  breaker: {failure_threshold: 0}\n", "breaker.failure_threshold", "must be within [1"),
    ("settings:\n  retry: {jitter: wobble}\n", "retry.jitter", "must be one of"),
    ("overrides:\n  fastapi-backend: {colour: red}\n", "overrides.fastapi-backend.colour", "cannot be"),
    ("overrides:\n  fastapi-backend: {service: {fast: {dist: deterministic, mean_s: 0}}}\n",
     "service", "needs a 'default'"),
    ("sagas:\n  s: {steps: [{action: launch_rocket, plugin: fastapi-backend}]}\n", "action",
     "no compensation for 'launch_rocket'"),
    ("sagas:\n  s: {steps: [{action: create_realm, plugin: nope}]}\n", "plugin", "unknown plugin 'nope'"),
    ("sagas:\n  s: {detection_delay: -1, steps: [{action: create_realm, plugin: fastapi-backend}]}\n",
     "detection_delay", "must be within [0"),
])
def test_bad_scenarios_name_file_entry_field(tmp_path, extra, field, message):
    path = _write(tmp_path, BASE + extra)
    with pytest.raises(sr.InputError) as info:
        sr.Scenario.from_yaml(path)
    assert info.value.file == str(path) and info.value.field == field
    assert message in str(info.value) and info.value.line is not None


def test_unknown_saga_names_the_mix_entry(tmp_path):
    path = _write(tmp_path, BASE.replace('{text: "api"}', '{text: "api", saga: moon-landing}'))
    with pytest.raises(sr.InputError, match=r"workload\.mix\[0\]: field 'saga': unknown saga 'moon-landing'"):
        sr.Scenario.from_yaml(path)


def test_negative_rate(tmp_path):
    path = _write(tmp_path, BASE.replace("rate: 1.0", "rate: -2"))
    message = r"s\.yaml:\d+: workload: field 'rate': must be within \(0, inf\]"
    with pytest.raises(sr.InputError, match=message):
        sr.Scenario.from_yaml(path)


def test_cli_run_writes_tables_and_prints_summary(tmp_path, capsys):
    path = _write(tmp_path, BASE)
    out = tmp_path / "out"
    assert main(["run", str(path), "--seed", "3", "--out", str(out)]) == 0
    for name in ("requests", "attempts", "breaker_events", "sagas", "summary"):
        assert (out / f"{name}.csv").exists()
    assert "latency_p95" in capsys.readouterr().out


def test_cli_validate_scenario_and_trace(tmp_path, capsys):
    assert main(["validate", str(sr.catalog.data_dir() / "scenarios" / "default.yaml")]) == 0
    bad = tmp_path / "t.csv"
    bad.write_text("time,text\n1,api\nx,api\n")
    assert main(["validate", str(bad)]) == 2
    assert "t.csv:3: field 'time': cannot parse 'x' (read as a trace" in capsys.readouterr().err


def test_schedule_workload_arrives_at_the_listed_times(tmp_path):
    path = _write(tmp_path, BASE.replace("  rate: 1.0\n", "  kind: schedule\n  times: [0, 2.5, 2.5, 9]\n"))
    r = sr.run(sr.Scenario.from_yaml(path), seed=3)
    assert list(r.requests.arrival) == [0, 2.5, 2.5, 9]
    with pytest.raises(sr.InputError, match="non-decreasing"):
        sr.Workload(kind="schedule", times=(3.0, 1.0), mix=(sr.MixEntry(text="api"),))
    bad = _write(tmp_path, BASE.replace("  rate: 1.0\n", "  kind: schedule\n  times: [0, soon]\n"))
    with pytest.raises(sr.InputError) as info:
        sr.Scenario.from_yaml(bad)
    assert info.value.field == "times.1" and info.value.line == 4  # the item, on its line


def test_a_documented_plan_is_run_instead_of_the_routers(tmp_path):
    plan = sr.catalog.data_dir() / "plans" / "fullstack.yaml"
    path = _write(tmp_path, BASE.replace('{text: "api"}', f'{{text: "api", plan: {plan}}}')
                  .replace("rate: 1.0\n  requests: 10", "rate: 0.001\n  requests: 3"))
    r = sr.run(sr.Scenario.from_yaml(path), seed=1)
    assert (r.requests.phases == 3).all()  # backend, frontend, integration — not the router's plan
    assert set(r.attempts.phase) == {"backend", "frontend", "integration"}
    assert (r.requests.est_cost == 0.85).all()


def test_a_scenario_saga_runs_with_its_own_durations(tmp_path):
    path = _write(tmp_path, BASE.replace('{text: "api"}', '{text: "t", saga: quick}')
                  .replace("rate: 1.0\n  requests: 10", "rate: 0.001\n  requests: 1") + """
sagas:
  quick:
    steps:
      - {action: create_storage_bucket, plugin: lobbi-platform-manager, duration: 2}
      - {action: provision_dns_record, plugin: lobbi-platform-manager, duration: 3}
settings: {service: plan}
overrides:
  lobbi-platform-manager: {failure_p: 0}
""")
    r = sr.run(sr.Scenario.from_yaml(path), seed=1)
    assert list(r.sagas.end - r.requests.arrival.iloc[0]) == [2, 5]
    assert r.requests.status.iloc[0] == "succeeded"


def test_shared_state_is_published_per_phase():
    s = sr.Scenario.documented("routing")
    r = sr.run(s.replace(settings=s.settings.__class__(**{**_settings(s), "share_state": True})), seed=0)
    assert set(r.final_state) == {"fastapi-backend", "lobbi-platform-manager", "ahling-command-center"}
    changes = r.messages[(r.messages.subscriber == "telemetry") & r.messages.topic.str.startswith("state/")]
    assert len(changes) == 3


def _settings(s):
    from dataclasses import fields

    return {f.name: getattr(s.settings, f.name) for f in fields(s.settings)}


def test_routing_around_open_breakers_or_failing_fast():
    s = sr.Scenario.documented("breaker")
    fast = sr.run(s, seed=0)  # the scenario: route_around_open false
    around = sr.run(s.replace(settings=s.settings.__class__(**{**_settings(s), "route_around_open": True})),
                    seed=0)
    in_window = [7, 8]  # the requests at 30 s and 60 s, while the breaker is open
    assert list(fast.requests.primary[in_window]) == ["ahling-command-center"] * 2
    assert list(around.requests.primary[in_window]) == ["container-workflow"] * 2


@pytest.mark.parametrize("overrides, field, message", [
    ("{rpm: 0}", "rpm", "must be within (0, inf]"),
    ("{timeout_s: -3}", "timeout_s", "must be within (0, inf]"),
    ("{failure: {kinds: {error: 0.5, timeout: 0.4}}}", "failure.kinds", "shares must sum to 1"),
    ("{failure: {kinds: {melt: 1.0}}}", "failure.kinds", "unknown key 'melt'"),
    ("{failure: {error_latency: {dist: lognormal, mean_s: .inf}}}", "failure.error_latency.mean_s", "finite"),
    ("{capacity: 0}", "capacity", "must be within [1, inf]"),
    ("{failure_p: .nan}", "failure_p", "finite"),
    ("{fallbacks: nope}", "fallbacks", "list of strings"),
])
def test_bad_plugin_resilience_gets_one_line_and_exit_2(tmp_path, capsys, overrides, field, message):
    from simroute.faces.cli import main

    path = _write(tmp_path, BASE + f"overrides:\n  fastapi-backend: {overrides}\n")
    with pytest.raises(sr.InputError) as info:
        sr.Scenario.from_yaml(path)
    err = info.value
    assert (err.file, err.entry, err.field) == (str(path), "overrides.fastapi-backend", field)
    assert err.line == 8 and message in err.message
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().err.strip().splitlines()
    assert len(out) == 1 and field in out[0] and str(path) in out[0]


def test_a_fault_names_the_kind_it_produces(tmp_path):
    path = _write(tmp_path, BASE + "faults:\n  - {plugin: fastapi-backend, kind: outage, start: 0, end: 5, "
                                   "failure: melt}\n")
    with pytest.raises(sr.InputError, match="field 'failure'.*melt") as info:
        sr.Scenario.from_yaml(path)
    assert info.value.entry == "faults[0]" and info.value.line == 8


def test_surges_are_load_spikes(tmp_path):
    path = _write(tmp_path, BASE.replace("requests: 10", "requests: null")
                  + "  surges: [{start: 100, end: 200, factor: 4}]\nhorizon: 400\n")
    sc = sr.Scenario.from_yaml(path)
    t = sc.workload.generate(np.random.default_rng(0), sc.horizon).time
    inside, outside = ((t >= 100) & (t < 200)).sum() / 100, ((t < 100) | (t >= 200)).sum() / 300
    assert inside / outside == pytest.approx(4, rel=0.25)


@pytest.mark.parametrize("text, kind", [
    ("name: x\nsettings: {}\n", "scenario"),
    ("tiers: []\n", "catalog"),
    ("phases: [{name: a}]\n", "plan"),
])
def test_validate_tells_the_kinds_apart_and_says_which_it_read(tmp_path, capsys, text, kind):
    path = tmp_path / "f.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"(read as a {kind}:" in err and "--kind" in err and len(err.splitlines()) == 1
    if kind == "scenario":
        assert "field 'workload': missing" in err  # not "missing top-level key 'tiers'"


def test_validate_takes_the_kind_it_is_told(capsys):
    plan = str(sr.catalog.data_dir() / "plans" / "fullstack.yaml")
    assert main(["validate", plan]) == 0
    assert capsys.readouterr().out.startswith("ok (plan): plan of 3 phases")
    assert main(["validate", "--kind", "scenario", plan]) == 2
    assert "read as a scenario: as --kind says" in capsys.readouterr().err


def test_csv_outputs_neutralize_spreadsheet_formulas(tmp_path):
    trace = tmp_path / "t.csv"
    trace.write_text('time,text\n0,"=HYPERLINK(""http://x"")"\n1,+cmd\n2,api\n')
    path = _write(tmp_path, f"name: t\nworkload:\n  kind: trace\n  trace: {trace}\n  mix: [{{text: api}}]\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 0
    import pandas as pd
    texts = list(pd.read_csv(out / "requests.csv").sort_values("request_id").text)
    assert texts == ["'=HYPERLINK(\"http://x\")", "'+cmd", "api"]
    # the DataFrame keeps the exact text
    r = sr.run(sr.Scenario.from_yaml(path), seed=0)
    assert r.requests.sort_values("request_id").text.iloc[0] == '=HYPERLINK("http://x")'


def test_validate_reads_a_trace_workloads_rows(tmp_path, capsys):
    """A bad row of a scenario's trace is found by validate, not by the run (issue 25)."""
    (tmp_path / "t.csv").write_text("time,text\n1,api\n2,api\nlater,api\n")
    path = _write(tmp_path, BASE.replace("  rate: 1.0\n  requests: 10\n", "  kind: trace\n  trace: t.csv\n"))
    assert main(["validate", str(path)]) == 2
    assert "t.csv:4: field 'time': cannot parse 'later'" in capsys.readouterr().err
    (tmp_path / "t.csv").write_text("time,text\n1,api\n2,api\n")
    assert main(["validate", str(path)]) == 0
    assert "trace workload (about 2 requests)" in capsys.readouterr().out


def test_a_warm_up_longer_than_the_run_is_said_not_just_nan(tmp_path, capsys):
    """Every metric is NaN when the warm-up outlasts the run: simroute run says why (issue 25)."""
    path = _write(tmp_path, BASE + "settings:\n  warmup: {seconds: 1000000000}\n")
    assert main(["run", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warm-up (1e+09 s) lasts to the end of the run" in err and "every metric is NaN" in err
    assert main(["run", str(_write(tmp_path, BASE))]) == 0
    assert "warm-up" not in capsys.readouterr().err
