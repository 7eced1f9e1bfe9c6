"""Adding a kind is one class and one registration: the example in the module docstring of each
kind (guard, fault kind, workload kind, report section) is run here as written, used by a real run
and removed again; a toy metric is registered the same way."""

from __future__ import annotations

import ast
import dataclasses
import math
import textwrap
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import simroute as sr
from simroute.common.errors import InputError
from simroute.engine import guards
from simroute.experiments import metrics
from simroute.faces import report_sections
from simroute.io import faults, workload
from simroute.resilience.failure import SHED

from .conftest import REQUEST_1

PLUGIN = "fastapi-backend"


def module_doc(module) -> str:
    """``module``'s docstring, read from its source when mypyc compiled it (a compiled module keeps
    none)."""
    if module.__doc__:
        return module.__doc__
    source = Path(module.__file__).with_name(module.__name__.rpartition(".")[2] + ".py")
    return ast.get_docstring(ast.parse(source.read_text(encoding="utf-8")), clean=False)


@contextmanager
def docstring_example(module, table, key):
    """Run the last code block of ``module``'s docstring (after its last ``::``) in the module's
    namespace, as its reader would add the kind; yield what it defined; undo its registration in
    ``table``."""
    block = module_doc(module).rsplit("::\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line)
    names = dict(vars(module))
    exec(textwrap.dedent("\n".join(lines)), names)  # noqa: S102 - the documented example itself
    try:
        yield names
    finally:
        if isinstance(table, dict):
            table.pop(key, None)
        else:
            table[:] = [x for x in table if getattr(x, "key", None) != key]


def small(requests: int = 60, **changes) -> sr.Scenario:
    base = sr.Scenario.default()
    w = dataclasses.replace(base.workload, requests=requests, mix=(sr.MixEntry(text=REQUEST_1),), **changes)
    return base.replace(workload=w, faults=())


def test_a_new_guard_is_a_class_and_a_line_and_runs_last_in_order():
    with docstring_example(guards, guards.GUARDS, "maintenance"):
        assert "maintenance" in guards.GUARDS
        res = sr.run(small(), seed=3)
    assert "maintenance" not in guards.GUARDS
    a = res.attempts
    mine = a[a.plugin == PLUGIN]
    assert (mine[mine.queued < 5000].outcome == SHED).all() and (mine.queued < 5000).any()
    assert (mine[mine.queued >= 5000].outcome != SHED).all()
    assert (a[a.plugin != PLUGIN].outcome != SHED).all()
    # without it, nothing is shed
    assert (sr.run(small(), seed=3).attempts.outcome != SHED).all()


def test_a_new_fault_kind_is_a_class_and_a_line_and_acts_in_its_window():
    with docstring_example(faults, faults.FAULT_KINDS, "brownout"):
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


def test_a_new_workload_kind_is_a_class_and_a_line_and_runs_scaled():
    with docstring_example(workload, workload.KINDS, "jittered"):
        scenario = small(400, kind="jittered", rate=0.01)
        res = sr.run(scenario, seed=5)
        arrivals = res.requests.arrival.sort_values().to_numpy()
        assert len(arrivals) == 400
        k = np.arange(1, 401)
        assert (np.abs(arrivals * 0.01 - k) <= 0.5).all()  # each within half a gap of its slot
        assert np.ptp(arrivals * 0.01 - k) > 0.5  # and jittered
        assert scenario.workload.at_load(2.0).rate == pytest.approx(0.02)  # the default scaling
        assert scenario.workload.describe().startswith("jittered, rate 0.01/s")
    with pytest.raises(InputError, match="jittered"):
        small(kind="jittered")


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


def test_a_new_report_section_is_a_class_and_a_place_in_the_list(tmp_path):
    scenario = small(120).replace(faults=(sr.Fault(plugin=PLUGIN, kind="outage", start=100, end=900),))
    with docstring_example(report_sections, report_sections.SECTIONS, "faults"):
        assert [s.key for s in report_sections.SECTIONS].index("faults") == 3
        rep = sr.report(scenario, tmp_path / "r", load_factors=(1,), replications=2, executor="serial",
                        progress=False, compare_settings=False)
    assert "faults" not in [s.key for s in report_sections.SECTIONS]
    page = rep.path.read_text(encoding="utf-8")
    assert page.index("<h2>Faults</h2>") < page.index("<h2>Cost</h2>")
    assert "<h2>Settings compared</h2>" not in page  # not compared: the section is left out
    assert np.isfinite(rep.outcome("latency_p95")["mean"]).all()
