import numpy as np
import pytest

import simroute as sr

MIX = (sr.MixEntry(text="api"),)


@pytest.mark.parametrize("kind", ["poisson", "onoff", "diurnal"])
def test_synthetic_arrivals_are_ordered_and_reproducible(kind):
    w = sr.Workload(kind=kind, rate=2.0, requests=500, mix=MIX, period=100.0)
    a = w.generate(np.random.default_rng(1))
    b = w.generate(np.random.default_rng(1))
    assert len(a) == 500 and np.all(np.diff(a.time) >= 0)
    assert np.array_equal(a.time, b.time)


def test_poisson_rate_and_onoff_burstiness():
    rng = np.random.default_rng(5)
    p = sr.Workload(rate=2.0, requests=20000, mix=MIX).generate(rng)
    assert len(p) / p.time[-1] == pytest.approx(2.0, rel=0.05)
    gaps = np.diff(sr.Workload(kind="onoff", rate=2.0, requests=20000, mix=MIX, mean_on=10,
                               mean_off=30).generate(rng).time)
    assert gaps.std() / gaps.mean() > 1.5  # burstier than Poisson (cv 1)


def test_bundled_traces_load():
    for name, fmt in (("sample", "simroute"), ("azure-like", "azure"), ("azure-code-2023", "azure")):
        t = sr.read_trace(sr.traces.resolve(name), fmt)
        assert len(t["time"]) > 100 and np.all(np.diff(t["time"]) >= 0)
    assert sr.traces.resolve("bundled:sample") == sr.traces.resolve("sample")
    with pytest.raises(sr.InputError, match="unknown bundled trace 'nope'"):
        sr.traces.resolve("bundled:nope")


def test_real_azure_trace_ships_with_its_licence_and_matches_its_published_figures():
    path = sr.traces.azure_code_2023()
    licence = (path.parent / "LICENSE").read_text(encoding="utf-8-sig")
    assert licence.startswith("Attribution 4.0 International")
    assert "CC BY 4.0" in (path.parent / "ATTRIBUTION.md").read_text()
    t = sr.read_trace(path, "azure")
    assert len(t["time"]) == 8819
    assert t["time"][-1] - t["time"][0] == pytest.approx(3435.948, abs=1e-3)
    assert np.median(t["context_tokens"]) == 1469 and t["generated_tokens"].max() == 1899


@pytest.mark.parametrize("text, line, field, message", [
    ("time,text\n0,api\nabc,api\n", 3, "time", "cannot parse 'abc'"),
    ("time,text\n5,api\n3,api\n", 3, "time", "out of order"),
    ("time,text,budget\n1,api,-2\n", 2, "budget", "must be a finite number >= 0"),
    ("when,text\n1,api\n", 1, "time", "missing column 'time'"),
])
def test_bad_trace_rows_name_file_line_and_field(tmp_path, text, line, field, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(sr.InputError) as info:
        sr.read_trace(path)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)
    assert message in str(info.value)


def test_bad_azure_timestamp(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9,10,2\nnope,1,1\n")
    with pytest.raises(sr.InputError, match=r"a\.csv:3: field 'TIMESTAMP': cannot parse 'nope'"):
        sr.read_trace(path, "azure")


def test_workload_validation():
    with pytest.raises(sr.InputError, match="rate"):
        sr.Workload(rate=-1, mix=MIX)
    with pytest.raises(sr.InputError, match="at least one request"):
        sr.Workload(mix=())


def test_azure_times_keep_their_100_ns_resolution(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                    "2023-11-16 18:17:03.9799600,10,1\n2023-11-16 18:17:03.9799601,10,1\n"
                    "2023-11-16 18:17:04.0000000,10,1\n")
    t = sr.read_trace(path, "azure")["time"]
    assert list(t) == [0.0, 1e-7, 0.02004]  # relative to the first row, exactly


def test_large_simroute_times_are_kept_relative_and_exact(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("time,text\n1700000000.0000001,api\n1700000000.0000002,api\n")
    assert list(sr.read_trace(path)["time"]) == [0.0, 1e-7]


def test_overlapping_surges_multiply_and_arrivals_follow_the_profiles_integral():
    """Two overlapping ×3 surges give ×9 where they overlap (thinning from the true peak, not the
    largest single factor, which gave a third of that); each piece's arrivals match rate × factor ×
    length within noise."""
    import math

    from simroute.io.workload import KINDS, Surge, surge_profile

    surges = (Surge(start=10, end=20, factor=3), Surge(start=15, end=30, factor=3),
              Surge(start=35, end=40, factor=0.5))
    w = sr.Workload(kind="poisson", rate=2.0, requests=None, surges=surges, mix=(sr.MixEntry(text="api"),))
    pieces = surge_profile(surges, 45.0)
    assert [f for _, _, f in pieces] == [1, 3, 9, 3, 1, 0.5, 1]
    assert KINDS["poisson"].expected(w, 45.0) == pytest.approx(2.0 * sum((b - a) * f for a, b, f in pieces))
    rng = np.random.default_rng(5)
    runs = 300
    counts = np.zeros(len(pieces))
    for _ in range(runs):
        times = np.concatenate(list(KINDS["poisson"].times(w, rng, None, 45.0, 4096)))
        counts += [((times >= a) & (times < b)).sum() for a, b, _ in pieces]
    for (a, b, f), n in zip(pieces, counts, strict=True):
        expected = 2.0 * f * (b - a)
        assert abs(n / runs - expected) < 4 * math.sqrt(expected / runs), (a, b, f, n / runs)
