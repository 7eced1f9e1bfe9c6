import json
import re

import pytest

import simroute as sr
from simroute.faces.cli import main

from .conftest import ROOT

SEED_PLUGINS = ["fastapi-backend", "lobbi-platform-manager", "ahling-command-center",
                "jira-orchestrator", "frontend-powerhouse", "chakra-react-toolkit"]
SEED_AGENTS = ["frontend-powerhouse::react-component-specialist",
               "frontend-powerhouse::accessibility-auditor",
               "chakra-react-toolkit::chakra-component-generator", "jira-orchestrator::code-reviewer",
               "jira-orchestrator::agent-router", "fastapi-backend::backend-architect",
               "fastapi-backend::api-specialist", "fastapi-backend::database-expert",
               "frontend-powerhouse::react-architect", "frontend-powerhouse::component-builder",
               "frontend-powerhouse::state-manager", "jira-orchestrator::integration-tester",
               "jira-orchestrator::docs-writer"]


def test_bundled_catalog_has_everything_the_seed_names(catalog):
    for name in SEED_PLUGINS:
        assert catalog.plugin(name).name == name
    ids = {a.id for a in catalog.agents}
    assert set(SEED_AGENTS) <= ids
    assert catalog.orchestrator.name == "jira-orchestrator"
    assert {t: catalog.tiers[t].price for t in catalog.tiers} == {
        "opus": 0.15, "sonnet": 0.10, "haiku": 0.03, "cached": 0.01}
    assert catalog.plugin("fastapi-backend").availability == 0.98


def test_catalog_objects_are_frozen(catalog):
    with pytest.raises(AttributeError):
        catalog.plugin("fastapi-backend").priority = 1  # type: ignore[misc]


def test_catalog_is_realistic_against_the_real_registry(catalog):
    facts_path = ROOT / "data" / "sources" / "plugin-ecosystem-facts.json"  # the tools' input
    facts = json.loads(facts_path.read_text())
    assert {p["name"] for p in facts["plugins"]} == set(catalog.plugins)
    real = {(a["plugin"], a["name"]): a["model_tier"] for a in facts["agents"]}
    ours = {(a.plugin, a.name): a.model_tier for a in catalog.agents}
    assert all(ours[k] == tier for k, tier in real.items())  # every real agent, with its tier
    for p in facts["plugins"]:  # keywords are the registry's own
        assert set(catalog.plugin(p["name"]).keywords) <= set(p["keywords"])


def test_inherit_tier_resolves_to_plugin_default(catalog):
    agent = catalog.agent("chakra-react-toolkit::chakra-component-generator")
    assert agent.model_tier == "inherit"
    assert catalog.tier_of(agent).name == catalog.plugin("chakra-react-toolkit").default_tier


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def _line_of(path, needle):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("file, old, new, entry, field, message", [
    ("plugins.yaml", "    availability: 0.98\n", "    availability: 1.5\n",
     "plugins[1] (fastapi-backend)", "availability", "within [0, 1]"),
    ("plugins.yaml",
     "    capacity: 4\n    slot_price: 0.6\n    service:\n      default: {dist: lognormal, mean_min: 15",
     "    service:\n      default: {dist: lognormal, mean_min: 15",
     "plugins[1] (fastapi-backend)", "capacity", "missing"),
    ("plugins.yaml", "fallbacks: [lobbi-platform-manager, ahling-command-center, jira-orchestrator]",
     "fallbacks: [lobbi-platform-manager, no-such-plugin]", "plugins[1] (fastapi-backend)", "fallbacks",
     "unknown plugin 'no-such-plugin'"),
    ("tiers.yaml", "price: 0.03", "price: -0.03", "tiers[2] (haiku)", "price", "within [0, inf]"),
    ("plugins.yaml", "    priority: 100\n    availability: 0.98",
     "    priority: 100\n    availabilty: 0.98\n    availability: 0.98",
     "plugins[1] (fastapi-backend)", "availabilty", "unknown field"),
])
def test_bad_catalog_names_file_line_entry_and_field(catalog_copy, file, old, new, entry, field, message):
    path = catalog_copy / file
    _edit(path, old, new)
    with pytest.raises(sr.InputError) as info:
        sr.load_catalog(catalog_copy)
    err = info.value
    assert err.file == str(path)
    assert err.entry == entry and err.field == field
    assert message in err.message
    assert err.line is not None and 1 <= err.line <= len(path.read_text().splitlines())
    assert "\n" not in str(err)
    assert str(err).startswith(f"{path}:{err.line}: {entry}: field '{field}': ")


def test_unknown_plugin_error_points_at_its_line(catalog_copy):
    path = catalog_copy / "agents.yaml"
    _edit(path, "plugin: lobbi-platform-manager, name: env-manager",
          "plugin: lobbi-platfrom-manager, name: env-manager")
    with pytest.raises(sr.InputError) as info:
        sr.load_catalog(catalog_copy)
    assert info.value.field == "plugin"
    assert info.value.line == _line_of(path, "lobbi-platfrom-manager")
    assert "unknown plugin 'lobbi-platfrom-manager'" in str(info.value)


def test_malformed_yaml_names_file_and_line(catalog_copy):
    path = catalog_copy / "tiers.yaml"
    _edit(path, "  - {name: haiku,", "  - {name: [haiku,")
    with pytest.raises(sr.InputError) as info:
        sr.load_catalog(catalog_copy)
    assert info.value.file == str(path)
    assert info.value.line == _line_of(path, "[haiku")
    assert "malformed YAML" in str(info.value)


def test_cyclic_phase_templates_are_rejected(catalog_copy):
    path = catalog_copy / "lexicon.yaml"
    _edit(path, "      tasks: [Create FastAPI endpoint, Setup MongoDB models, Define API schema]\n",
          "      tasks: [Create FastAPI endpoint, Setup MongoDB models, Define API schema]\n"
          "      depends_on: [deployment]\n")
    with pytest.raises(sr.InputError, match=r"cyclic dependencies: .*backend.*deployment"):
        sr.load_catalog(catalog_copy)


def test_single_file_catalog(tmp_path, catalog_copy):
    text = "".join((catalog_copy / f"{s}.yaml").read_text() + "\n" for s in
                   ("tiers", "lexicon", "plugins", "agents"))
    one = tmp_path / "one.yaml"
    one.write_text(text)
    assert len(sr.load_catalog(one).plugins) == 19


def test_cli_validate_ok_and_bad(catalog_copy, capsys):
    assert main(["validate", str(catalog_copy)]) == 0
    assert capsys.readouterr().out.startswith("ok (catalog): Catalog(19 plugins")
    _edit(catalog_copy / "plugins.yaml", "    availability: 0.98\n", "    availability: 1.5\n")
    assert main(["validate", str(catalog_copy)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert re.match(r"simroute: .*plugins\.yaml:\d+: plugins\[1\] \(fastapi-backend\): "
                    r"field 'availability': must be within \[0, 1\], got 1\.5 "
                    r"\(read as a catalog: a directory; --kind to say otherwise\)$", err.strip())
    assert "Traceback" not in err


def test_cli_validate_missing_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_with_plugin_override(catalog):
    changed = catalog.with_plugin("fastapi-backend", capacity=9)
    assert changed.plugin("fastapi-backend").capacity == 9
    assert catalog.plugin("fastapi-backend").capacity == 4
    with pytest.raises(sr.InputError, match="unknown plugin 'nope'"):
        catalog.with_plugin("nope", capacity=1)


def test_the_catalog_written_in_the_docs_loads_and_routes(tmp_path):
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "catalog.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", page, flags=re.S).group(1)
    path = tmp_path / "catalog.yaml"
    path.write_text(block)
    catalog = sr.load_catalog(path)
    assert set(catalog.plugins) == {"coordinator", "api-builder", "ui-builder"}
    route = sr.decide_route(sr.classify("Build a FastAPI endpoint and a React page", catalog), catalog)
    assert {p.plugin for p in route.plan.phases} == {"api-builder", "ui-builder"}
