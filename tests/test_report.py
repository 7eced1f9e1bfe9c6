"""The capacity and cost report: a decision document equal to sr.run, with units, intervals, a
verified capacity plan, saturation said in words, legible figures and no external link."""

import importlib
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import simroute as sr
from simroute.faces.report import at_load, default_scenario, with_capacity
from simroute.faces.report_page import figures, text_overlaps

report_module = importlib.import_module("simroute.faces.report")  # sr.report is the function

FIGURES = ["Latency against offered load", "Utilization and queue wait per plugin", "Capacity needed",
           "Breakers and retries as load grows", "Settings compared", "Cost per request",
           "Spend over time"]
TABLES = ["runs", "outcomes", "plugins", "saturation", "capacity_plan", "plan_check", "cost_by_tier",
          "cost_by_plugin", "cost_by_class", "spend", "budgets", "settings"]
UNIT = re.compile(r"\([^()]+\)")  # "(min)", "($/month)", "(share)" …


def _check_page(rep, figures=FIGURES):
    page = rep.path.read_text(encoding="utf-8")
    assert rep.figures == figures
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)) == len(figures)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing loads from elsewhere
    assert "http://" not in page and "https://" not in page
    for name in TABLES if "Settings compared" in figures else TABLES[:-1]:
        assert (rep.path.parent / f"{name}.csv").exists()
    assert "Wall time" in page and "simulation" in page and "pandas" in page
    headers = re.findall(r"<th>(.*?)</th>", page, flags=re.S)
    assert headers and all(UNIT.search(h) for h in headers), [h for h in headers if not UNIT.search(h)]
    return page


def _same_as_run(rep, scenario, factors):
    runs = pd.read_csv(rep.path.parent / "runs.csv", keep_default_na=False, na_values=[""])
    for f in factors:
        for r in range(rep.replications):
            want = sr.run(at_load(scenario, f), seed=rep.seed, replication=r).summary()
            got = runs[(runs.load_factor == f) & (runs.replication == r)]
            assert list(got.metric) == list(want.metric)
            assert got.value.to_numpy() == pytest.approx(want.value.to_numpy(), nan_ok=True, rel=1e-12)


@pytest.fixture(scope="module")
def default_report(tmp_path_factory):
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("svg")  # a user's own backend (a notebook's inline one, say)
    try:
        rep = sr.report(out=tmp_path_factory.mktemp("report"), load_factors=(0.5, 1.0, 2.0), replications=3,
                        seed=3, executor="serial", progress=False)
        assert matplotlib.get_backend() == "svg"  # the report did not switch it
    finally:
        matplotlib.use(before)
    return rep


def test_default_report_matches_run_and_is_self_contained(default_report):
    rep = default_report
    page = _check_page(rep)
    _same_as_run(rep, default_scenario(), (0.5, 1.0, 2.0))
    p95 = rep.outcome("latency_p95")
    assert list(p95.load_factor) == [0.5, 1.0, 2.0] and (p95.n == 3).all()
    assert p95["mean"].is_monotonic_increasing  # more load, longer tail
    assert ((p95.ci_low < p95["mean"]) & (p95["mean"] < p95.ci_high)).all()  # every estimate has its interval
    tier = rep.tables["cost_by_tier"].set_index("tier").cost_per_request
    by_run = []
    for r in range(3):
        one = sr.run(at_load(default_scenario(), 1.0), seed=3, replication=r)
        by_run.append(one.attempts[one.attempts.tier != ""].groupby("tier").cost.sum() / len(one.requests))
    assert tier.sort_index().to_dict() == pytest.approx(pd.concat(by_run, axis=1).mean(axis=1).to_dict())
    # the decision, in words: the SLO and where it comes from, the highest load within it
    assert "p95 latency ≤ 90.0 min (from the scenario&#x27;s slo.latency setting" in page
    assert rep.slo_p95 == 5400 and rep.time_unit == "min"
    assert f"meets the SLO up to load factor <b>{rep.highest_load_within_slo:g}</b>" in page
    # the bundled trace is bursty: at load 2 plugins a whole-run mean calls idle are full at peaks
    sat = rep.tables["saturation"].set_index("load_factor")
    plug = rep.tables["plugins"]
    assert (plug.peak_utilization >= plug.utilization - 1e-9).all()
    at2 = plug[plug.load_factor == 2.0]
    assert sat.utilization[2.0] < 0.5 and at2.peak_utilization.max() >= 0.95
    assert not sat.saturated[0.5] and not sat.saturated[1.0]
    full = at2[at2.peak_utilization >= 0.95]
    waits = (full.queue_wait_mean >= full.service_mean).any()  # the rule: full, and calls wait long
    assert (2.0 in rep.saturated) == waits
    assert ("saturated at its peaks" in rep.saturated.get(2.0, "")) == waits


def test_saturation_at_peaks_needs_a_full_window_and_a_queue():
    from simroute.faces.report import _at_peaks

    frame = pd.DataFrame({"plugin": ["a", "b", "c", "d"], "peak_utilization": [1.0, 1.0, 0.9, 1.0],
                          "utilization": [0.2, 0.2, 0.2, 0.7], "queue_wait_mean": [120.0, 30.0, 500.0, 140.0],
                          "service_mean": [60.0, 60.0, 60.0, 60.0], "capacity": [1, 1, 1, 1],
                          "arrival_rate": [0.2 / 60, 0.2 / 60, 0.2 / 60, 0.7 / 60]})
    words = _at_peaks(frame)
    # a: full and its calls wait twice their service, where a steady load at 20 % would wait 0.25×;
    # b: full but waits are short; c: never full; d: M/M/1 at 70 % waits 2.3× its service anyway
    assert words.startswith("a is saturated at its peaks: busy 100% of its busiest 10 min (20% over the run)")
    assert "b is" not in words and "c is" not in words and "d is" not in words


def test_the_capacity_plan_is_verified_by_simulation(default_report):
    """Where today's capacity misses the SLO, the planned capacity, re-simulated with other seeds,
    meets it; the page prices the slots per month."""
    rep = default_report
    plan, check = rep.tables["capacity_plan"], rep.tables["plan_check"].set_index("load_factor")
    short = [f for f in rep.load_factors if (plan[plan.load_factor == f].added > 0).any()]
    assert short, "the bundled scenario should need capacity at its highest load"
    for f in short:
        assert check.meets_slo[f] and check.rounds[f] >= 1
        slots = plan[plan.load_factor == f].set_index("plugin").capacity_needed.to_dict()
        scenario = with_capacity(at_load(default_scenario(), f), slots)
        p95 = [sr.run(scenario, seed=99, replication=r).summary().set_index("metric").value["latency_p95"]
               for r in range(3)]
        assert np.mean(p95) <= rep.slo_p95
        price = plan[plan.load_factor == f]
        assert check.capacity_cost_per_month[f] == pytest.approx(
            (price.capacity_needed * price.slot_price).sum() * 730)


def test_a_saturated_load_is_said_in_words(tmp_path):
    catalog = sr.load_catalog().with_plugin(
        "iac-golden-architect", capacity=1, failure_p=0.0,
        service={"default": sr.ServiceTime(dist="exponential", mean=1.0)})
    scenario = sr.Scenario(name="overloaded", catalog=catalog,
                           settings=sr.Settings(slo=sr.SloSettings(latency=30)),
                           workload=sr.Workload(kind="poisson", rate=0.7, requests=3000,
                                                mix=(sr.MixEntry(text="Terraform the AWS infrastructure"),)))
    # (three replications: with two, the t quantile is 12.7 and a p95's interval spans the SLO)
    rep = sr.report(scenario, tmp_path, load_factors=(1.0, 1.6), replications=3, executor="serial",
                    compare_settings=False, progress=False)
    page = _check_page(rep, [f for f in FIGURES if f != "Settings compared"])
    assert list(rep.saturated) == [1.6] and "iac-golden-architect is busy" in rep.saturated[1.6]
    assert "<b>Load factor 1.6 is saturated</b>" in page
    assert rep.highest_load_within_slo == 1.0 and rep.slo_breached_at == 1.6
    plan = rep.tables["capacity_plan"].set_index(["load_factor", "plugin"])
    assert plan.capacity_needed[(1.6, "iac-golden-architect")] >= 2
    assert rep.tables["plan_check"].set_index("load_factor").meets_slo[1.6]


def test_every_figure_is_legible_with_units_on_its_axes(default_report):
    for _, title, _, fig in figures(default_report):
        assert text_overlaps(fig) == [], title
        for ax in fig.axes:
            labels = [lab for lab in (ax.get_xlabel(), ax.get_ylabel()) if lab]
            assert labels and all(UNIT.search(lab) for lab in labels), (title, labels)


def test_the_legibility_check_finds_overlapping_labels():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.annotate("first label", (0.5, 0.5))
    ax.annotate("second label", (0.52, 0.5))
    assert ("first label", "second label") in text_overlaps(fig)


@pytest.mark.parametrize(("seconds", "unit"), [(30, "s"), (5400, "min"), (4 * 86400, "h")])
def test_one_time_unit_by_magnitude(seconds, unit):
    assert report_module.time_unit(seconds)[0] == unit


def test_no_budget_binds_is_said_instead_of_a_table_of_zeros(default_report):
    page = default_report.path.read_text(encoding="utf-8")
    b = default_report.tables["budgets"]
    assert (b[["optimized", "rejected_over_budget", "spent_over_budget"]].to_numpy() == 0).all()
    assert "No budget ever binds" in page


def test_report_on_the_real_azure_trace(tmp_path):
    trace = sr.traces.azure_code_2023()
    rep = sr.report(default_scenario(), tmp_path, trace="azure-code-2023", load_factors=(1.0,),
                    replications=2, seed=1, compare_settings=False, progress=False)
    _check_page(rep, [f for f in FIGURES if f != "Settings compared"])
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
    from simroute.faces.cli import main

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


def rendered_at_1400(rep, tmp_path):
    """The page's DOM once headless Chromium has loaded it in a 1400-pixel-wide window."""
    done = subprocess.run([report_module.chromium(), *report_module.CHROMIUM_FLAGS, "--window-size=1400,1000",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
                           "--dump-dom", rep.path.as_uri()], capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout


@pytest.mark.skipif(report_module.chromium() is None, reason="Chromium is not installed")
def test_report_renders_in_headless_chromium_with_its_images(tmp_path):
    rep = sr.report(out=tmp_path, load_factors=(1.0, 2.0), replications=2, executor="serial", progress=False)
    dom = rendered_at_1400(rep, tmp_path)
    assert f'data-images-loaded="{len(FIGURES)}/{len(FIGURES)}"' in dom
    assert 'data-too-wide="0:"' in dom  # every table and figure fits a 1400-pixel-wide window
    pdf = report_module.to_pdf(rep.path, tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


# ---------------------------------------------------------------------- any scenario: an imported router
def imported_router():
    """The bundled LiteLLM example config, imported, with its primary deployment down for 5 minutes."""
    from simroute.io.litellm import import_litellm

    raw = import_litellm(sr.catalog.data_dir() / "litellm" / "example_config.yaml", requests=400).scenario
    raw["faults"] = [{"plugin": "azure-gpt-4o", "kind": "outage", "start": 300, "end": 600,
                      "failure": "error"}]
    return sr.Scenario.from_dict(raw)


@pytest.fixture(scope="module")
def router_report(tmp_path_factory):
    return sr.report(imported_router(), tmp_path_factory.mktemp("router"), load_factors=(1.0, 2.0, 3.0),
                     replications=3, seed=1, executor="serial", progress=False)


def test_an_imported_router_is_reported_in_seconds_pricing_only_what_served(router_report):
    rep = router_report
    assert rep.time_unit == "s" and rep.slo_p95 == 30.0  # calls of seconds; the import's p95 goal
    page = rep.path.read_text(encoding="utf-8")
    assert "Times are in\nseconds (s)" in page and "(min)" not in page
    deployments = {"azure-gpt-4o", "anthropic-sonnet", "bedrock-sonnet"}
    assert set(rep.tables["capacity_plan"].plugin) <= deployments  # no catalog plugin is priced
    assert set(rep.tables["plugins"].plugin) <= deployments
    assert not rep.saturated  # utilization is low and latency does not grow


def test_an_imported_router_compares_the_router_knobs_with_todays_as_baseline(router_report):
    st = router_report.tables["settings"]
    assert {"router.num_retries", "router.allowed_fails", "router.cooldown_time"} <= set(st.columns)
    assert "retry.max_retries" not in st.columns  # a knob that does not act here is not offered
    assert st.baseline.sum() == 1 and (st[st.baseline].cost_per_success_vs_today == 0).all()
    r = router_report.recommended
    page = router_report.path.read_text(encoding="utf-8")
    if r["keep_today"]:
        assert "Keep today's settings" in page and st[st.baseline].recommended.all()
    else:  # a change is offered only when it improves on today's beyond its intervals
        best, today = st[st.recommended].iloc[0], st[st.baseline].iloc[0]
        assert (best.latency_p95_high < today.latency_p95_low
                or best.cost_per_success_high < today.cost_per_success_low)
        assert "Recommended settings" in page and "today:" in page


def test_a_load_factor_keeps_the_fault_window_where_it_was():
    s = imported_router()
    for f in (1.0, 3.0):
        arrivals = sr.run(at_load(s, f), seed=2).requests.arrival
        assert arrivals.max() == pytest.approx(800, rel=0.1)  # 400 requests at 0.5/s span the same time
        assert at_load(s, f).faults == s.faults


def test_one_replication_warns_and_shows_no_interval(tmp_path, capsys):
    from simroute.faces.cli import main

    code = main(["report", "--load-factors", "1", "--replications", "1", "--executor", "serial", "--quiet",
                 "--slo-p95", "90", "--out", str(tmp_path / "r")])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: 1 replication per load: no interval" in err
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert 'class="warning"' in page and "one replication: no intervals" in page
    assert "--slo-p95 90 (a bare number: seconds)" in page
    st = pd.read_csv(tmp_path / "r" / "settings.csv")
    assert st.latency_p95_low.isna().all() and st.cost_per_success_high.isna().all()  # never zero-width


def test_slo_p95_takes_a_unit():
    from simroute.common.durations import parse_duration

    assert parse_duration("90s") == parse_duration("1.5m") == parse_duration(90) == 90.0
    assert parse_duration("2h") == 7200.0 and parse_duration("5min") == 300.0
    for bad in ("90 parsecs", "-5m", "0", "fast"):
        with pytest.raises(sr.InputError, match="slo_p95|duration"):
            parse_duration(bad, "slo_p95")


@pytest.mark.skipif(report_module.chromium() is None, reason="Chromium is not installed")
def test_an_imported_routers_page_fits_1400_pixels(router_report, tmp_path):
    assert 'data-too-wide="0:"' in rendered_at_1400(router_report, tmp_path)
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def test_the_fault_windows_outcomes_stand_beside_the_whole_runs(router_report):
    inside = router_report.tables["fault_outcomes"].set_index(["load_factor", "metric"])["mean"]
    whole = router_report.tables["outcomes"].set_index(["load_factor", "metric"])["mean"]
    for f in router_report.load_factors:  # the outage is where requests fall back
        assert inside[(f, "success_rate")] < whole[(f, "success_rate")]
    assert "Outcomes inside the fault windows" in router_report.path.read_text(encoding="utf-8")
    assert (router_report.path.parent / "fault_outcomes.csv").is_file()
