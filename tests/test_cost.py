import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simroute as sr
from simroute.policies.catalog import data_dir


@pytest.fixture(scope="module")
def seed_plan(catalog):
    return sr.Plan.from_yaml(data_dir() / "plans" / "fullstack.yaml", prices=catalog.tiers)


def test_seed_original_plan(seed_plan):
    assert seed_plan.cost == pytest.approx(0.85)
    assert seed_plan.duration == 90 * 60 and seed_plan.strategy == "sequential"
    assert [p.duration / 60 for p in seed_plan.phases] == [35, 30, 25]


def test_seed_optimization_under_half_a_dollar(seed_plan, catalog):
    opt = sr.optimize_cost(seed_plan, budget=0.50, catalog=catalog)
    assert opt.within_budget and opt.total_cost <= 0.50
    assert opt.overage == pytest.approx(0.70)  # "70 % over budget"
    assert opt.duration == 45 * 60  # backend and frontend in parallel: max(30, 25) + 15
    assert opt.plan["frontend"].after == ()
    # the seed's optimized line items ($0.30; its "$0.47" total contradicts them, DESIGN.md §4)
    assert [(a.agent, a.tier, round(a.cost, 3)) for _, a in opt.lines] == [
        ("api-specialist", "sonnet", 0.10), ("database-expert", "haiku", 0.03),
        ("component-builder", "sonnet", 0.10), ("state-manager", "haiku", 0.03),
        ("integration-tester", "haiku", 0.03), ("docs-writer", "cached", 0.01)]
    assert opt.total_cost == pytest.approx(0.30)
    # totals equal the sum of their lines, and the change log explains the difference
    assert opt.total_cost == pytest.approx(sum(a.cost for _, a in opt.lines))
    assert seed_plan.cost + sum(c.delta_cost for c in opt.changes) == pytest.approx(opt.total_cost)
    assert seed_plan.duration + sum(c.delta_duration for c in opt.changes) == pytest.approx(opt.duration)
    assert [c.strategy for c in opt.changes] == sorted(
        (c.strategy for c in opt.changes), key=sr.cost.STRATEGIES.index)  # the seed's order
    removed = [c for c in opt.changes if c.description.startswith("remove optional opus")]
    assert sum(c.delta_cost for c in removed) == pytest.approx(-0.30)  # "Removed opus agents (-$0.30)"


def test_stop_at_budget_and_over_budget(seed_plan, catalog):
    early = sr.optimize_cost(seed_plan, 0.60, catalog, stop_at_budget=True)
    assert early.within_budget and early.total_cost <= 0.60
    assert len(early.changes) < len(sr.optimize_cost(seed_plan, 0.60, catalog).changes)
    rejected = sr.optimize_cost(seed_plan, 0.10, catalog)
    assert rejected.status == "rejected" and "over the $0.10 budget" in rejected.reason
    flagged = sr.optimize_cost(seed_plan, 0.10, catalog, on_over_budget="flag")
    assert flagged.status == "over_budget"
    with pytest.raises(sr.InputError, match="budget"):
        sr.optimize_cost(seed_plan, -1, catalog)


CATALOG = sr.load_catalog()
line = st.builds(
    dict, tier=st.sampled_from(["opus", "sonnet", "haiku", "cached"]),
    effort=st.floats(0.1, 3), duration_min=st.floats(0, 30), critical=st.booleans(),
    optional=st.booleans(), cacheable=st.booleans(), simplify_min=st.floats(0, 40))


@settings(max_examples=150, deadline=None)
@given(phases=st.lists(st.lists(line, min_size=1, max_size=4), min_size=1, max_size=4),
       chain=st.booleans(), budget=st.floats(0, 2))
def test_optimizing_never_raises_cost_and_totals_add_up(phases, chain, budget):
    catalog = CATALOG
    raw = []
    for i, lines in enumerate(phases):
        raw.append({"name": f"p{i}", "plugin": "fastapi-backend",
                    "duration_min": 1 + sum(a["duration_min"] for a in lines),
                    "after": [f"p{i - 1}"] if chain and i else [],
                    "agents": [dict(a, agent=f"a{i}{j}") for j, a in enumerate(lines)]})
    plan = sr.Plan.from_dict(raw, prices=catalog.tiers)
    opt = sr.optimize_cost(plan, budget, catalog)
    assert opt.total_cost <= plan.cost + 1e-9
    assert opt.duration <= plan.duration + 1e-9
    assert opt.total_cost == pytest.approx(sum(a.cost for _, a in opt.lines))
    assert plan.cost + sum(c.delta_cost for c in opt.changes) == pytest.approx(opt.total_cost)
    assert plan.duration + sum(c.delta_duration for c in opt.changes) == pytest.approx(opt.duration)
    assert all(c.delta_cost <= 1e-12 for c in opt.changes)
    assert opt.within_budget == (opt.total_cost <= budget + 1e-12)


def test_a_plan_within_budget_is_left_as_it_is(seed_plan, catalog):
    opt = sr.optimize_cost(seed_plan, 0.90, catalog)
    assert opt.status == "within_budget" and opt.changes == () and opt.plan is seed_plan
