"""Settings declared once: the YAML parser, the parameter paths and the docs agree."""

from pathlib import Path

import pytest

import simroute as sr
from simroute.common.schema import describe
from simroute.experiments.params import with_params
from simroute.io.settings import Settings, settings_reference

ROOT = Path(__file__).resolve().parent.parent


def test_the_settings_reference_in_the_docs_is_the_declared_one():
    text = (ROOT / "docs" / "settings.md").read_text()
    assert settings_reference() in text, "regenerate with: python tools/make_docs.py"


@pytest.mark.parametrize("page", ["settings.md", "metrics.md", "litellm.md", "workloads.md", "cli.md",
                                  "api.md", "gallery.md", "api-policies.md", "api-resilience.md", "api-io.md",
                                  "api-experiments.md", "api-faces.md", "api-common.md"])
def test_generated_doc_pages_are_up_to_date(page):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "tools" / "make_docs.py")
    make_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_docs)
    assert (ROOT / "docs" / page).read_text() == make_docs.PAGES[page](), "run: python tools/make_docs.py"


def test_every_public_name_is_in_the_api_reference():
    text = "".join(p.read_text() for p in (ROOT / "docs").glob("api-*.md"))
    missing = [n for n in sr.__all__ if n != "__version__" and f"::: simroute.{n}\n" not in text]
    assert not missing
    index = (ROOT / "docs" / "api.md").read_text()
    assert all(f"`{n}`" in index for n in sr.__all__ if n != "__version__")


@pytest.mark.parametrize("row", describe(Settings), ids=lambda r: r["path"])
def test_every_declared_setting_is_a_sweep_path(row, catalog):
    """Each declared setting is reachable by its path: set to another valid value, it changes."""
    path = row["path"]
    if "<kind>" in path and not path.startswith("retry_classes"):  # a mapping of numbers, per kind
        path = path.replace("<kind>", "timeout")
        scenario = with_params(sr.Scenario(catalog=catalog), {path: 1})
        assert _current(scenario.settings, path.split(".")[:-1])["timeout"] == 1
        return
    if "<kind>" in path:
        path = path.replace("<kind>", "timeout") + ".max_retries"
        value = 1
    else:
        sc = sr.Scenario(catalog=catalog)
        value = _current(sc.settings, path.split("."))
    scenario = with_params(sr.Scenario(catalog=catalog), {path: value})
    if "<kind>" not in row["path"]:
        assert _current(scenario.settings, path.split(".")) == value
        other = _another(path, value)
        changed = with_params(sr.Scenario(catalog=catalog), {path: other})
        assert _current(changed.settings, path.split(".")) == other != value
    else:
        assert scenario.settings.retry_classes["timeout"].max_retries == 1


def _another(path, value):
    """A valid value other than ``value`` for the setting at ``path``, from its declaration."""
    import dataclasses
    import typing

    obj, cls = sr.Settings(), sr.Settings
    *head, last = path.split(".")
    for part in head:
        hints = typing.get_type_hints(cls)
        cls = typing.get_args(hints[part])[0] if typing.get_args(hints[part]) else hints[part]
        obj = getattr(obj, part, None)
    meta = {f.name: f.metadata for f in dataclasses.fields(cls)}[last]
    if isinstance(value, bool):
        return not value
    if meta.get("choices") and isinstance(value, str):
        return next(c for c in meta["choices"] if c != value)
    if isinstance(value, tuple) and len(value) > 1:
        return tuple(value[:-1])
    if isinstance(value, tuple):  # names from a declared list, or (guard_order) a guard's
        from simroute.engine.guards import GUARDS

        return tuple(meta["choices"][:1]) if meta.get("choices") else (next(iter(GUARDS)),)
    lo, hi = meta.get("lo") or 0, meta.get("hi")
    if hi is not None:
        return (lo + hi) / 2 if value != (lo + hi) / 2 else hi
    return (value or lo or 1) + 1


def _current(obj, parts):
    for p in parts:
        obj = obj if obj is None else getattr(obj, p, None)
    if obj is None and parts[0] == "retry_budget":
        return getattr(sr.RetryBudgetSettings(), parts[-1])
    return obj


def test_every_setting_is_documented():
    missing = [r["path"] for r in describe(Settings) if not r["doc"] and not r["path"].startswith("weights.")]
    assert not missing


@pytest.mark.parametrize("yaml, field", [
    ("timeout: {attempt: -1}", "timeout.attempt"),
    ("timeout: {deadline: .inf}", "timeout.deadline"),
    ("hedge: {delay: 0}", "hedge.delay"),
    ("retry: {max_retries: 1.5}", "retry.max_retries"),
    ("retry: {retry_on: [error, rejected_open]}", "retry.retry_on"),
    ("retry_classes: {error: {max_retries: -2}}", "retry_classes.error.max_retries"),
    ("retry_classes: {bogus: {max_retries: 1}}", "retry_classes"),
    ("breaker: {failure_rate_threshold: .nan}", "breaker.failure_rate_threshold"),
    ("breaker: {failure_kinds: [error, nope]}", "breaker.failure_kinds"),
    ("bulkhead: {max_concurrent: 0}", "bulkhead.max_concurrent"),
    ("shedding: {max_queue: {a: 1}}", "shedding.max_queue"),
])
def test_a_bad_setting_names_its_file_line_and_field(tmp_path, yaml, field):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nsettings:\n  {yaml}\nworkload:\n  mix: [{{text: api}}]\n")
    with pytest.raises(sr.InputError) as info:
        sr.Scenario.from_yaml(path)
    err = info.value
    assert (err.file, err.line, err.entry, err.field) == (str(path), 3, "settings", field)
    assert "\n" not in str(err)
