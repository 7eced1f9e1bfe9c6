"""Adding a kind is one class and one registration: a toy guard, fault kind, workload kind, metric
and report section are registered here, used by a real run, and removed again."""

from __future__ import annotations

import dataclasses
import math
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

import simroute as sr
from simroute.common.errors import InputError
from simroute.engine.guards import GUARDS, Guard, Refusal
from simroute.experiments import metrics
from simroute.faces import report_sections
from simroute.io import faults, workload
from simroute.resilience.failure import SHED

from .conftest import REQUEST_1

PLUGIN = "fastapi-backend"


@contextmanager
def registered(table, key, value):
    """``table[key] = value`` for the duration (a dict) — the registration line of a kind."""
    table[key] = value
    try:
        yield value
    finally:
        del table[key]


def small(requests: int = 60, **changes) -> sr.Scenario:
    base = sr.Scenario.default()
    w = dataclasses.replace(base.workload, requests=requests, mix=(sr.MixEntry(text=REQUEST_1),), **changes)
    return base.replace(workload=w, faults=())


class Maintenance(Guard):
    """Refuses every call to one plugin before t = 5,000 s."""

    name = "maintenance"

    @classmethod
    def build(cls, plugin, settings, ctx):
        return cls() if plugin.name == PLUGIN and PLUGIN in ctx.servers else None

    def admit(self, call, now):
        return Refusal(SHED) if now < 5000 else None


def test_a_new_guard_is_a_class_and_a_line_and_runs_last_in_order():
    with registered(GUARDS, Maintenance.name, Maintenance):
        res = sr.run(small(), seed=3)
    a = res.attempts
    mine = a[a.plugin == PLUGIN]
    assert (mine[mine.queued < 5000].outcome == SHED).all() and (mine.queued < 5000).any()
    assert (mine[mine.queued >= 5000].outcome != SHED).all()
    assert (a[a.plugin != PLUGIN].outcome != SHED).all()
    # without it, nothing is shed
    assert (sr.run(small(), seed=3).attempts.outcome != SHED).all()


class Brownout(faults.FaultKind):
    """Calls fail with at least the probability ``value``, and take twice as long."""

    name = "brownout"

    def check(self, fault):
        if not 0 <= fault.value <= 1:
            raise InputError(f"must be within [0, 1], got {fault.value}", field="value")

    def on_call(self, fault, p, imposed):
        return max(p, fault.value), imposed, False

    def slowdown(self, fault):
        return 2.0


def test_a_new_fault_kind_is_a_class_and_a_line_and_acts_in_its_window():
    with registered(faults.FAULT_KINDS, Brownout.name, Brownout()):
        fault = sr.Fault(plugin=PLUGIN, kind="brownout", start=0, end=5_000, value=1.0)
        with pytest.raises(InputError, match="within"):
            sr.Fault(plugin=PLUGIN, kind="brownout", start=0, end=1, value=2.0)
        res = sr.run(small().replace(faults=(fault,)), seed=3)
    a = res.attempts
    inside = a[(a.plugin == PLUGIN) & (a.queued < 5_000)]
    after = a[(a.plugin == PLUGIN) & (a.queued >= 8_000)]
    assert len(inside) and (inside.outcome != "success").all()
    assert len(after) and (after.outcome == "success").any()
    with pytest.raises(InputError, match="brownout"):  # gone again
        sr.Fault(plugin=PLUGIN, kind="brownout", start=0, end=1)


class Ramp(workload.WorkloadKind):
    """The module docstring's example: a rate ramping from 0 to ``rate`` over ``period`` s."""

    name = "ramp"

    def times(self, w, rng, limit, horizon, size):
        end = math.inf if horizon is None else horizon

        def arrivals():
            t = 0.0
            while True:
                t += rng.exponential(1 / w.rate)
                if t > end:
                    return
                if rng.random() <= min(t / w.period, 1.0):
                    yield t

        return workload._blocked(arrivals(), limit, size)


def test_a_new_workload_kind_is_a_class_and_a_line_and_runs_scaled():
    with registered(workload.KINDS, Ramp.name, Ramp()):
        scenario = small(400, kind="ramp", rate=0.01, period=20_000)
        res = sr.run(scenario, seed=5)
        arrivals = res.requests.arrival.sort_values().to_numpy()
        assert len(arrivals) == 400
        early = (arrivals < 10_000).sum()
        between = ((arrivals >= 10_000) & (arrivals < 20_000)).sum()
        assert early < between  # the rate ramps up
        assert scenario.workload.at_load(2.0).rate == pytest.approx(0.02)  # the default scaling
        assert scenario.workload.describe().startswith("ramp, rate 0.01/s")
    with pytest.raises(InputError, match="ramp"):
        small(kind="ramp")


def test_a_new_metric_is_one_declaration_and_both_record_levels_compute_it():
    new = metrics.Metric("cost_per_attempt", "$/call", "cost_total ÷ attempts made", better="lower",
                         value=lambda t: t.cost / t.attempts if t.attempts else math.nan)
    metrics.register(new)
    try:
        scenario = small(300)
        full = sr.run(scenario, seed=2).summary().set_index(["metric", "key"]).value
        summary = sr.run(scenario, seed=2, record="summary").summary().set_index(["metric", "key"]).value
        assert "cost_per_attempt" in sr.metrics_table().metric.tolist()
        with pytest.raises(ValueError, match="exists"):
            metrics.register(new)
    finally:
        metrics.METRICS.remove(new)
    expected = full[("cost_total", "")] / (full[("attempts_per_request", "")] * full[("requests", "")])
    assert full[("cost_per_attempt", "")] == pytest.approx(expected)
    assert summary[("cost_per_attempt", "")] == pytest.approx(full[("cost_per_attempt", "")])
    assert "cost_per_attempt" not in sr.run(scenario, seed=2).summary().metric.tolist()


class Faults(report_sections.Section):
    """The report_sections module docstring's example: a table of the scenario's faults."""

    key, title = "faults", "Faults"

    def applies(self, rep):
        return bool(rep.scenario.faults)

    def html(self, rep, figures):
        rows = pd.DataFrame([(f.plugin, f.kind, f.start, f.end) for f in rep.scenario.faults],
                            columns=["plugin (name)", "kind", "start (s)", "end (s)"])
        return f"<h2>{self.title}</h2>\n{report_sections.html_table(rows)}"


def test_a_new_report_section_is_a_class_and_a_place_in_the_list(tmp_path):
    scenario = small(120).replace(faults=(sr.Fault(plugin=PLUGIN, kind="outage", start=100, end=900),))
    report_sections.SECTIONS.insert(3, Faults())
    try:
        rep = sr.report(scenario, tmp_path / "r", load_factors=(1,), replications=2, executor="serial",
                        progress=False, compare_settings=False)
    finally:
        report_sections.SECTIONS.pop(3)
    page = rep.path.read_text(encoding="utf-8")
    assert page.index("<h2>Faults</h2>") < page.index("<h2>Cost</h2>")
    assert "<h2>Breaker and retry settings</h2>" not in page  # not compared: the section is left out
    assert np.isfinite(rep.outcome("latency_p95")["mean"]).all()
