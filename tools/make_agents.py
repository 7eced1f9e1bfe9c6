"""Write simroute/data/catalog/agents.yaml from the real registry facts plus the seed's agents.

Usage: python tools/make_agents.py [SOURCES_DIR]   (default: data/sources)

Every agent of data/sources/plugin-ecosystem-facts.json (plugin, name, model tier) is kept as
it is. What the facts do not say is derived from the name, documented here so that it can be
re-made and questioned:

* category — the first rule in CATEGORY_RULES whose word appears in the name, else the plugin's
  first scored domain;
* keywords — the words of the name, less the generic role words in GENERIC;
* capabilities — the contexts and patterns that the lexicon gives those words, plus the category;
* success rate and average duration by tier (opus 0.96 / 20 min, sonnet 0.94 / 10 min,
  haiku 0.90 / 5 min: the seed's by-model table gives sonnet 10 min and haiku 5 min), with a fixed
  per-agent offset of at most ±0.015 from a CRC32 of its id, so agents of one tier are not all tied.

The agents the seed names but the facts lack (frontend-powerhouse lists 13 agents in its registry
entry but none in the facts; the cost flow's backend-architect, api-specialist …) are added from
SEED_AGENTS with the capabilities, keywords and success rates the seed states.
"""

from __future__ import annotations

import json
import sys
import zlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TIER_DEFAULTS = {"opus": (0.96, 20), "sonnet": (0.94, 10), "haiku": (0.90, 5), "inherit": (0.92, 10)}
GENERIC = {"agent", "manager", "specialist", "expert", "engineer", "architect", "builder", "creator",
           "generator", "the", "and", "v2"}
CATEGORY_RULES = [
    ({"test", "tester", "qa", "e2e"}, "testing"),
    ({"review", "reviewer", "quality", "gate", "auditor", "validator", "enhancer"}, "quality"),
    ({"security", "secrets", "compliance", "vulnerability", "policy", "governance"}, "security"),
    ({"documentation", "documenter", "docs", "writer", "confluence", "logger"}, "documentation"),
    ({"deploy", "deployment", "release", "ci", "pipeline", "docker", "dockerfile", "container",
      "compose", "image", "registry", "volume", "health", "multi", "devops"}, "devops"),
    ({"terraform", "infrastructure", "iac", "vault", "resource", "cloud", "cost"}, "infrastructure"),
    ({"api"}, "api"),
    ({"database", "db", "data"}, "database"),
    ({"ha", "home", "ollama"}, "smart-home"),
    ({"frontend", "component", "react", "design", "theme", "style", "responsive", "dashboard",
      "accessibility"}, "frontend"),
    ({"keycloak", "auth", "env"}, "auth"),
]
SEED_AGENTS = [
    # Flow 3, agent discovery (capabilities, keywords and success rates as the seed lists them).
    dict(plugin="frontend-powerhouse", name="react-component-specialist", category="frontend",
         capabilities=["react", "jsx", "component-generation"], keywords=["react", "component", "hooks"],
         model_tier="sonnet", success_rate=0.95, avg_duration_min=10),
    dict(plugin="frontend-powerhouse", name="accessibility-auditor", category="frontend",
         capabilities=["a11y", "wcag", "aria"], keywords=["accessibility", "a11y", "wcag"],
         model_tier="sonnet", success_rate=0.93, avg_duration_min=8),
    # Flow 6, cost optimization: the original plan's agents.
    dict(plugin="fastapi-backend", name="backend-architect", category="backend",
         capabilities=["fastapi", "rest-api", "architecture"], keywords=["architecture", "backend"],
         model_tier="opus", success_rate=0.96, avg_duration_min=5),
    dict(plugin="fastapi-backend", name="api-specialist", category="api",
         capabilities=["fastapi", "rest-api"], keywords=["api", "endpoint"],
         model_tier="sonnet", success_rate=0.94, avg_duration_min=15),
    dict(plugin="fastapi-backend", name="database-expert", category="database",
         capabilities=["mongodb", "postgres"], keywords=["database", "schema"],
         model_tier="sonnet", success_rate=0.94, avg_duration_min=15),
    dict(plugin="frontend-powerhouse", name="react-architect", category="frontend",
         capabilities=["frontend-architecture"], keywords=["architecture", "planning"],
         model_tier="opus", success_rate=0.96, avg_duration_min=5),
    dict(plugin="frontend-powerhouse", name="component-builder", category="frontend",
         capabilities=["ui-composition"], keywords=["layout", "assembly"],
         model_tier="sonnet", success_rate=0.94, avg_duration_min=15),
    dict(plugin="frontend-powerhouse", name="state-manager", category="frontend",
         capabilities=["state-management"], keywords=["state", "store"],
         model_tier="sonnet", success_rate=0.94, avg_duration_min=10),
    dict(plugin="jira-orchestrator", name="integration-tester", category="testing",
         capabilities=["integration-testing"], keywords=["integration", "test"],
         model_tier="sonnet", success_rate=0.94, avg_duration_min=20),
    dict(plugin="jira-orchestrator", name="docs-writer", category="documentation",
         capabilities=["documentation"], keywords=["docs", "documentation"],
         model_tier="sonnet", success_rate=0.95, avg_duration_min=5),
    # The rest of frontend-powerhouse's 13 agents (its registry entry counts 13; names are ours).
    *[dict(plugin="frontend-powerhouse", name=n, category="frontend", capabilities=c, keywords=k,
           model_tier=t, success_rate=0.94, avg_duration_min=10) for n, c, k, t in [
        ("nextjs-app-router-expert", ["nextjs", "ssr"], ["nextjs", "routing"], "sonnet"),
        ("performance-auditor", ["web-vitals", "bundle-analysis"], ["performance", "lighthouse"], "sonnet"),
        ("design-token-engineer", ["design-tokens", "theming"], ["tokens", "theme"], "sonnet"),
        ("animation-specialist", ["framer-motion"], ["animation", "motion"], "haiku"),
        ("form-builder", ["forms", "validation"], ["form", "validation"], "haiku"),
        ("frontend-test-writer", ["jest", "testing-library"], ["test", "jest"], "haiku"),
        ("storybook-curator", ["storybook"], ["storybook", "stories"], "haiku"),
        ("ultrathink-planner", ["planning"], ["ultrathink", "plan"], "opus"),
    ]],
]
# Seed facts about real agents (flow 3): the registry's router coordinates; the code reviewer.
SEED_OVERRIDES = {
    "jira-orchestrator::agent-router": dict(category="orchestration", role="coordinator",
                                             capabilities=["routing", "coordination"],
                                             keywords=["route", "coordinate"], success_rate=0.99),
    "jira-orchestrator::code-reviewer": dict(category="quality", capabilities=["code-review", "quality"],
                                              keywords=["review", "quality", "best-practices"],
                                              success_rate=0.96),
    "chakra-react-toolkit::chakra-component-generator": dict(
        category="frontend", capabilities=["react", "chakra-ui", "components"],
        keywords=["chakra", "component", "accessible"], success_rate=0.90),
    "chakra-react-toolkit::accessibility-reviewer": dict(
        category="frontend", capabilities=["wcag", "aria", "contrast-checking"],
        keywords=["aria", "wcag", "contrast"], success_rate=0.90),
}


def words(name: str) -> list[str]:
    return [w for w in name.lower().replace(" ", "-").split("-") if w]


def derive(plugin: dict, agent: dict, lexicon: dict, plugin_domains: list[str]) -> dict:
    ws = words(agent["name"])
    category = next((cat for keys, cat in CATEGORY_RULES if keys & set(ws)),
                    plugin_domains[0] if plugin_domains else "orchestration")
    caps: list[str] = []
    for w in ws:
        term = lexicon["terms"].get(w) or lexicon["terms"].get(w.rstrip("s")) or {}
        for c in term.get("contexts", []) + term.get("patterns", []):
            if c not in caps:
                caps.append(c)
    if category not in caps:
        caps.append(category)
    success, minutes = TIER_DEFAULTS[agent["model_tier"]]
    offset = (zlib.crc32(f"{plugin['name']}::{agent['name']}".encode()) % 31 - 15) / 1000
    return dict(plugin=plugin["name"], name=agent["name"], category=category, capabilities=caps,
                keywords=[w for w in ws if w not in GENERIC], model_tier=agent["model_tier"],
                success_rate=round(success + offset, 3), avg_duration_min=minutes)


def main(sources: Path) -> None:
    facts = json.loads((sources / "plugin-ecosystem-facts.json").read_text())
    lexicon = yaml.safe_load((ROOT / "simroute/data/catalog/lexicon.yaml").read_text())["lexicon"]
    raw_plugins = yaml.safe_load((ROOT / "simroute/data/catalog/plugins.yaml").read_text())["plugins"]
    plugins = {p["name"]: p for p in raw_plugins}
    facts_plugins = {p["name"]: p for p in facts["plugins"]}
    out = []
    for agent in facts["agents"]:
        row = derive(facts_plugins[agent["plugin"]], agent, lexicon,
                     plugins[agent["plugin"]].get("domains", []))
        row.update(SEED_OVERRIDES.get(f"{row['plugin']}::{row['name']}", {}))
        out.append(row)
    out.extend(SEED_AGENTS)
    out.sort(key=lambda a: (a["plugin"], a["name"].lower()))
    header = (
        "# Agents of the unified registry. Generated by tools/make_agents.py from\n"
        "# data/sources/plugin-ecosystem-facts.json (plugin, name, model tier: real) and the\n"
        "# seed's agents; the derived fields are explained in that script. Re-make, do not hand-edit.\n"
    )
    lines = [header, "agents:"]
    for a in out:
        row = yaml.safe_dump(a, default_flow_style=True, sort_keys=False, width=10000).strip()
        lines.append("  - " + row)
    (ROOT / "simroute/data/catalog/agents.yaml").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(out)} agents")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "sources")
