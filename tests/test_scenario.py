import pytest

import simroute as sr
from simroute.cli import main

from .conftest import ROOT


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
    ("settings:\n  breaker: {failure_threshold: 0}\n", "breaker", "failure_threshold"),
    ("settings:\n  retry: {jitter: wobble}\n", "retry", "jitter must be one of"),
    ("overrides:\n  fastapi-backend: {colour: red}\n", "overrides.fastapi-backend.colour", "cannot be"),
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
    with pytest.raises(sr.InputError, match=r"s\.yaml:\d+: workload: field 'rate': must be > 0"):
        sr.Scenario.from_yaml(path)


def test_cli_run_writes_tables_and_prints_summary(tmp_path, capsys):
    path = _write(tmp_path, BASE)
    out = tmp_path / "out"
    assert main(["run", str(path), "--seed", "3", "--out", str(out)]) == 0
    for name in ("requests", "attempts", "breaker_events", "sagas", "summary"):
        assert (out / f"{name}.csv").exists()
    assert "latency_p95" in capsys.readouterr().out


def test_cli_validate_scenario_and_trace(tmp_path, capsys):
    assert main(["validate", str(ROOT / "data" / "scenarios" / "default.yaml")]) == 0
    bad = tmp_path / "t.csv"
    bad.write_text("time,text\n1,api\nx,api\n")
    assert main(["validate", str(bad)]) == 2
    assert capsys.readouterr().err.strip().endswith("t.csv:3: field 'time': cannot parse 'x'")
