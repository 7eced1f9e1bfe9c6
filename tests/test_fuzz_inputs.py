"""Fuzzing the inputs: a valid scenario, catalog, trace or LiteLLM config with one part replaced by
junk, every setting at an extreme value, a junk tuning space — each either loads (and runs, bounded)
or raises the package's own InputError, never another exception."""

import copy
import dataclasses
import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simroute as sr
from simroute.common.schema import describe
from simroute.experiments.params import with_params
from simroute.io.settings import Settings
from simroute.policies.catalog import data_dir

DATA = data_dir()
SCENARIO = yaml.safe_load((DATA / "scenarios" / "default.yaml").read_text())
SCENARIO["workload"]["requests"] = 25
PLUGINS = yaml.safe_load((DATA / "catalog" / "plugins.yaml").read_text())
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: the fuzz tests that run the model on every example: fewer examples (CI time)
FUZZ_RUNS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=4)), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(-5, 5), st.floats(), st.text(max_size=4)),
                    max_size=2),
)


def paths(obj, prefix=()):
    """Every path to a value inside ``obj`` (mapping keys and list indexes)."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, prefix + (i,))
    return out


def mutated(base, data):
    """A copy of ``base`` with one drawn part replaced by junk, deleted, or joined by a junk key."""
    raw = copy.deepcopy(base)
    path = data.draw(st.sampled_from(paths(raw)))
    mutate(raw, path, data.draw(st.sampled_from(["replace", "delete", "add"])), data.draw(JUNK))
    return raw


def mutate(obj, path, action, value):
    *head, last = path
    for part in head:
        obj = obj[part]
    if action == "replace":
        obj[last] = value
    elif action == "delete":
        del obj[last]
    elif isinstance(obj, dict):
        obj[f"{last}_extra"] = value


@FUZZ
@given(data=st.data())
def test_a_mutated_scenario_loads_and_runs_or_is_an_input_error(data):
    raw = mutated(SCENARIO, data)
    try:
        scenario = sr.Scenario.from_dict(raw, base=DATA / "scenarios")
        if scenario.workload.expected_requests(scenario.horizon) <= 200:
            sr.run(scenario, seed=0)
    except sr.InputError:
        pass


@FUZZ
@given(data=st.data())
def test_a_mutated_catalog_loads_or_is_an_input_error(data):
    raw = mutated(PLUGINS, data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("tiers", "lexicon", "agents"):
            (folder / f"{name}.yaml").write_text((DATA / "catalog" / f"{name}.yaml").read_text())
        (folder / "plugins.yaml").write_text(yaml.safe_dump(raw))
        try:
            sr.load_catalog(folder)
        except sr.InputError:
            pass


CELL = st.one_of(st.text(max_size=10), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-10**16, 10**16).map(str), st.just(""))


@FUZZ
@given(header=st.lists(st.sampled_from(["time", "text", "budget", "context_tokens", "generated_tokens",
                                        "TIMESTAMP", "ContextTokens", "GeneratedTokens", "other", ""]),
                       min_size=1, max_size=6),
       rows=st.lists(st.lists(CELL, max_size=7), max_size=6),
       raw=st.binary(max_size=40))
def test_a_junk_trace_reads_or_is_an_input_error(header, rows, raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
        path.write_bytes(text.encode("utf-8", "surrogatepass") if raw[:1] != b"\xff" else raw)
        for fmt in ("simroute", "azure"):
            try:
                sr.read_trace(path, fmt)
            except sr.InputError:
                pass


# ---------------------------------------------------------------------- LiteLLM configs, settings, tune
LITELLM = yaml.safe_load((DATA / "litellm" / "example_config.yaml").read_text())


@FUZZ_RUNS
@given(data=st.data())
def test_a_mutated_litellm_config_imports_and_runs_or_is_an_input_error(data):
    from simroute.io.litellm import import_litellm

    raw = mutated(LITELLM, data)
    try:
        scenario = sr.Scenario.from_dict(import_litellm(raw, requests=6).scenario)
        sr.run(scenario, seed=0)
    except sr.InputError:
        pass


EXTREMES = st.sampled_from([math.inf, -math.inf, math.nan, -1, 0, 0.5, 2.5, 10**12, 1e300, True, "x", None,
                            [], {}, ["deadline"]])
SETTING_PATHS = [row["path"] for row in describe(Settings)]


def _small() -> sr.Scenario:
    base = sr.Scenario.default()
    settings = dataclasses.replace(base.settings, max_attempts=60)  # a huge retry count stays quick
    return base.replace(settings=settings, workload=dataclasses.replace(base.workload, requests=4))


@FUZZ_RUNS
@given(path=st.sampled_from(SETTING_PATHS), value=EXTREMES)
def test_every_setting_at_an_extreme_is_refused_or_runs_bounded(path, value):
    """inf, NaN, fractions for counts and huge counts: one InputError naming the path, or a run
    that ends (the attempt limit, the memory checks)."""
    scenario = _small()
    try:
        changed = with_params(scenario, {path: value})
    except sr.InputError as exc:
        assert path.split(".")[0] in str(exc), str(exc)
        return
    try:
        sr.run(changed, seed=0)
    except sr.InputError:
        pass


@FUZZ_RUNS
@given(path=st.sampled_from(["retry.max_retries", "breaker.failure_threshold", "timeout.attempt",
                             "workload.rate", "plugins.fastapi-backend.failure_p", "horizon"]),
       low=EXTREMES, high=EXTREMES, as_list=st.booleans())
def test_a_junk_tune_space_is_refused_or_tunes(path, low, high, as_list):
    space = {path: [low, high] if as_list else (low, high)}
    try:
        sr.tune(_small(), space, trials=1, replications=1, executor="serial", progress=False)
    except sr.InputError:
        pass
