"""The seed's six flows replayed through the engine: the conformance table and its timelines."""

import subprocess
import sys

import pytest

import simroute as sr
from simroute.experiments.replay import FLOWS, STATUSES, FlowReplay


@pytest.fixture(scope="module")
def table():
    return sr.replay()


def test_every_flow_is_replayed_and_nothing_regresses(table):
    assert list(table.columns) == ["flow", "item", "documented", "simulated", "status", "note"]
    assert list(dict.fromkeys(table.flow)) == list(FLOWS)
    assert set(table.status) <= set(STATUSES)
    assert not table.duplicated(["flow", "item"]).any()
    assert (table.status != "mismatch").all(), table[table.status == "mismatch"].to_string()
    counts = table.status.value_counts().to_dict()
    assert counts == {"exact": 132, "seed inconsistent": 13, "assumption": 7}, counts
    # every row that is not exact says why
    assert (table[table.status != "exact"].note.str.len() > 10).all()


def _row(table, flow, item):
    (row,) = table[(table.flow == flow) & (table["item"] == item)].itertuples()
    return row


@pytest.mark.parametrize(("flow", "item", "value"), [
    ("routing", "estimated total duration (min)", "45"),
    ("routing", "phase 3 (deployment) starts at (min)", "27"),
    ("breaker", "closed → open at (s)", "15"),
    ("breaker", "open → half_open at (s)", "75"),
    ("breaker", "half_open → closed at (s)", "78"),
    ("breaker", "variant: reopens (half_open → open) at (s)", "77"),
    ("breaker", "variant: half-opens again (open → half_open) at (s)", "137"),
    ("saga", "happy path: saga completes at (s)", "25"),
    ("saga", "error path: compensation order", "[delete_realm, delete_tenant_db]"),
    ("saga", "error path: rollback complete at (s)", "22"),
    ("saga", "error path: state store back to its initial state", "{}"),
    ("cost", "original plan cost ($)", "0.85"),
    ("cost", "optimized: total duration (min)", "45"),
])
def test_self_consistent_numbers_are_exact(table, flow, item, value):
    row = _row(table, flow, item)
    assert (row.simulated, row.status) == (value, "exact")


@pytest.mark.parametrize(("flow", "item", "simulated"), [
    ("routing", "fastapi-backend final score", "83.3"),
    ("routing", "lobbi-platform-manager score", "65"),
    ("routing", "ahling-command-center score", "50"),
    ("discovery", "react-component-specialist score", "65"),
    ("cost", "optimized: total cost ($)", "0.3"),
])
def test_the_seeds_contradictions_show_side_by_side(table, flow, item, simulated):
    row = _row(table, flow, item)
    assert (row.simulated, row.status) == (simulated, "seed inconsistent")
    assert row.documented != row.simulated


@pytest.mark.parametrize(("flow", "item", "simulated"), [
    ("routing", "estimated cost ($)", "0.4"),
    ("bus", "errors before the breaker opens", "1"),
    ("discovery", "accessibility-auditor score", "65"),
    ("discovery", "chakra-component-generator score", "65"),
    ("discovery", "team total cost ($)", "0.33"),
    ("discovery", "team duration (min)", "28"),
    ("discovery", "team success probability", "0.8397"),
])
def test_what_the_seed_leaves_open_is_an_assumption_stated_as_such(table, flow, item, simulated):
    row = _row(table, flow, item)
    assert (row.simulated, row.status) == (simulated, "assumption")
    assert row.note.startswith("assumption: ") and "the seed would need" in row.note


def test_an_assumption_that_the_model_no_longer_meets_is_a_mismatch():
    fr = FlowReplay("x", "a flow")
    fr.assumption("a", 0.25, 0.41, 0.40, "three lead agents", "the agents")
    fr.assumption("b", 0.25, 0.40, 0.40, "three lead agents", "the agents")
    assert list(fr.table().status) == ["mismatch", "assumption"]


def test_no_documented_value_comes_from_the_simulation():
    """The documented column is the seed's: another seed (other random draws) leaves it as it is."""
    a, b = sr.replay(seed=0), sr.replay(seed=5)
    assert list(a.documented) == list(b.documented)


def test_documented_values_stay_when_the_model_changes(tmp_path, monkeypatch):
    """Change the model (the routing flow's scoring weights) and the simulated scores move while
    every documented value stays: none is computed from the simulation."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(sr.catalog.data_dir(), data)
    flow = data / "scenarios" / "flows" / "routing.yaml"
    text = flow.read_text().replace("  weights: {", "  weights: {domain: 41, ")
    flow.write_text(text)
    before = sr.replay_flow("routing").table()
    monkeypatch.setenv("SIMROUTE_DATA", str(data))
    after = sr.replay_flow("routing").table()
    assert list(after.documented) == list(before.documented)
    moved = after.simulated != before.simulated
    assert moved.any() and "fastapi-backend score" in set(after[moved]["item"])


def test_bus_messages_follow_the_seeds_sequence(table):
    bus = table[table.flow == "bus"]
    messages = bus[bus["item"].str.match(r"t\d ")]
    assert list(messages["item"].str.split().str[1]) == [
        "routing/decision", "plugin/fastapi-backend/request", "orchestration/task-start",
        "plugin/fastapi-backend/response", "plugin/lobbi-platform-manager/request",
        "state/fastapi-backend/change", "plugin/ahling-command-center/response", "routing/fallback",
        "plugin/jira-orchestrator/request"]
    assert (messages.status == "exact").all()


def test_a_regression_is_reported_as_a_mismatch():
    fr = FlowReplay("x", "x")
    fr.exact("a", 15, 16)
    fr.inconsistent("b", 95, 84, 85, "parts sum to 85")
    fr.within("c", 1.0, 1.2, 0.1)
    fr.within("d", 1.0, 1.05, 0.1)
    assert list(fr.table().status) == ["mismatch", "mismatch", "mismatch", "within tolerance"]
    assert not fr.ok


def test_one_flow_with_its_timeline(tmp_path):
    fr = sr.replay_flow("saga")
    assert fr.ok and set(fr.results) == {"saga", "saga-rollback"}
    tl = fr.timeline()
    rollback = tl[tl.scenario == "saga-rollback"]
    assert rollback.time.is_monotonic_increasing
    assert rollback.event.iloc[-1] == "end: compensated"
    sr.replay(["breaker", "saga"], out=tmp_path)
    sr.replay("breaker", out=tmp_path)  # replaces the earlier output whole: no stale saga timeline
    assert sorted(p.name for p in tmp_path.iterdir()) == ["breaker_timeline.csv", "conformance.csv",
                                                          "simroute.json"]


def test_unknown_flow_is_a_clear_error():
    with pytest.raises(sr.InputError, match="unknown flow 'nope'"):
        sr.replay_flow("nope")
    with pytest.raises(sr.InputError, match="unknown documented scenario"):
        sr.Scenario.documented("nope")


def test_cli_replay_exits_zero_and_counts_exact_rows(tmp_path):
    done = subprocess.run([sys.executable, "-m", "simroute.faces.cli", "replay", "--flow", "cost",
                           "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert " exact, " in done.stdout.splitlines()[-2]
    assert (tmp_path / "cost_timeline.csv").exists()


def test_cli_replay_exits_non_zero_when_a_flow_regresses(monkeypatch, tmp_path, capsys):
    import importlib

    from simroute.faces.cli import main

    replay_module = importlib.import_module("simroute.experiments.replay")  # sr.replay is the function
    wrong = list(replay_module.BUS_SEQUENCE)
    step, topic, mtype, source, subs, checks = wrong[0]
    wrong[0] = (step, topic, mtype, source, subs, {"primaryPlugin": "lobbi-platform-manager"})
    monkeypatch.setattr(replay_module, "BUS_SEQUENCE", tuple(wrong))
    assert main(["replay", "--flow", "bus", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "regression in flow bus: t0 routing/decision" in err
