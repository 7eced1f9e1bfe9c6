"""The capacity and cost report: content equal to sr.run, every figure, no external link, errors."""

import importlib
import re
import shutil
import subprocess

import pandas as pd
import pytest

import simroute as sr
from simroute.report import at_load, default_scenario

report_module = importlib.import_module("simroute.report")  # sr.report is the function

FIGURES = ["Latency against offered load", "Utilization and queue wait per plugin", "Capacity needed",
           "Breakers and retries as load grows", "Cost per request", "Spend over time",
           "Cost–latency frontier"]
TABLES = ["runs", "capacity", "plugins", "required_capacity", "cost_by_tier", "cost_by_plugin",
          "cost_by_class", "spend", "budgets", "settings"]


def _check_page(rep):
    page = rep.path.read_text(encoding="utf-8")
    assert rep.figures == FIGURES
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)) == len(FIGURES)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing loads from elsewhere
    assert "http://" not in page and "https://" not in page
    for name in TABLES:
        assert (rep.path.parent / f"{name}.csv").exists()
    assert "Wall time" in page and "simulation" in page and "pandas" in page
    return page


def _same_as_run(rep, scenario, factors):
    runs = pd.read_csv(rep.path.parent / "runs.csv", keep_default_na=False, na_values=[""])
    for f in factors:
        for r in range(rep.replications):
            want = sr.run(at_load(scenario, f), seed=rep.seed, replication=r).summary()
            got = runs[(runs.load_factor == f) & (runs.replication == r)]
            assert list(got.metric) == list(want.metric)
            assert got.value.to_numpy() == pytest.approx(want.value.to_numpy(), nan_ok=True, rel=1e-12)


def test_default_report_matches_run_and_is_self_contained(tmp_path):
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")  # a user's own backend (a notebook's inline one, say)
    factors = (0.5, 1.0, 2.0)
    try:
        rep = sr.report(out=tmp_path, load_factors=factors, replications=1, seed=3, executor="serial")
        assert matplotlib.get_backend() == "svg"  # the report did not switch it
    finally:
        matplotlib.use(before)
    _check_page(rep)
    _same_as_run(rep, default_scenario(), factors)
    cap = rep.tables["capacity"]
    assert list(cap.load_factor) == list(factors)
    assert cap.latency_p95.is_monotonic_increasing  # more load, longer tail
    tier = rep.tables["cost_by_tier"]
    one = sr.run(at_load(default_scenario(), 1.0), seed=3).attempts
    assert tier.set_index("tier").cost.sort_index().to_dict() == pytest.approx(
        one[one.tier != ""].groupby("tier").cost.sum().sort_index().to_dict())


def test_report_on_the_real_azure_trace(tmp_path):
    trace = sr.traces.azure_code_2023()
    rep = sr.report(default_scenario(), tmp_path, trace="azure-code-2023", load_factors=(1.0, 2.0),
                    replications=1, seed=1)
    _check_page(rep)
    scenario = rep.scenario
    assert scenario.workload.trace == str(trace) and scenario.workload.trace_format == "azure"
    _same_as_run(rep, scenario, (1.0,))
    assert rep.tables["runs"].query("metric == 'requests'").value.iloc[0] == 8819


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"load_factors": (1.0, 0.0)}, "load_factors"),
    ({"load_factors": (-2.0,)}, "load_factors"),
    ({"slo_p95": -1.0}, "slo_p95"),
    ({"replications": 0}, "replications"),
])
def test_bad_report_input_is_a_clear_error(tmp_path, kwargs, field):
    with pytest.raises(sr.InputError) as info:
        sr.report(out=tmp_path, executor="serial", **kwargs)
    assert info.value.field == field


def test_a_trace_that_does_not_parse_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2026-01-01 12:00:00.1,601,5\nnot a time,3,4\n")
    with pytest.raises(sr.InputError) as info:
        sr.report(out=tmp_path / "out", trace=bad, executor="serial")
    assert (info.value.file, info.value.line, info.value.field) == (str(bad), 3, "TIMESTAMP")
    assert not (tmp_path / "out" / "index.html").exists()


def test_cli_report_errors_are_one_line(tmp_path, capsys):
    from simroute.cli import main

    assert main(["report", "--load-factors", "1,x", "--out", str(tmp_path)]) == 2
    assert main(["report", "--load-factors", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("simroute: ") for e in err)


def test_pdf_without_chromium_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(report_module, "chromium", lambda: None)
    page = tmp_path / "index.html"
    page.write_text("<html><body>x</body></html>")
    with pytest.raises(sr.InputError, match="apt-get install chromium"):
        report_module.to_pdf(page, tmp_path / "r.pdf")


@pytest.mark.skipif(report_module.chromium() is None, reason="Chromium is not installed")
def test_report_renders_in_headless_chromium_with_its_images(tmp_path):
    rep = sr.report(out=tmp_path, load_factors=(1.0, 2.0), replications=1, executor="serial")
    exe = report_module.chromium()
    done = subprocess.run([exe, *report_module.CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=5000", "--dump-dom", rep.path.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    assert f'data-images-loaded="{len(FIGURES)}/{len(FIGURES)}"' in done.stdout
    pdf = report_module.to_pdf(rep.path, tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
