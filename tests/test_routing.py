import pytest

import simroute as sr

from .conftest import REQUEST_1


def test_routing_plan_for_request_1(catalog):
    route = sr.decide_route(sr.classify(REQUEST_1, catalog), catalog)
    assert route.primary == "fastapi-backend"
    assert route.fallbacks == ("lobbi-platform-manager", "ahling-command-center", "jira-orchestrator")
    assert route.collaboration
    phases = route.plan.phases
    assert [(p.plugin, p.duration / 60) for p in phases] == [
        ("fastapi-backend", 15), ("lobbi-platform-manager", 12), ("ahling-command-center", 18)]
    assert phases[0].tasks == ("Create FastAPI endpoint", "Setup MongoDB models", "Define API schema")
    assert phases[1].depends_on == ("backend",)
    assert phases[2].depends_on == ("backend", "auth")
    assert route.strategy == "sequential"
    assert route.est_duration == 45 * 60
    assert route.plan.critical_path() == ["backend", "auth", "deployment"]
    assert route.est_cost == pytest.approx(sum(a.cost for _, a in route.plan.lines))


def test_open_breaker_excludes_primary(catalog):
    route = sr.decide_route(sr.classify(REQUEST_1, catalog), catalog, exclude=["fastapi-backend"])
    assert route.primary == "lobbi-platform-manager"
    assert route.plan.phases[0].plugin != "fastapi-backend"


def test_no_capable_plugin(catalog):
    route = sr.decide_route(sr.classify("hello there", catalog), catalog)
    assert route.primary is None and route.reason == "no capable plugin"
    assert route.fallbacks == ("jira-orchestrator",)


def _phase(name, d, deps=(), after=()):
    return sr.Phase(name=name, plugin="p", duration=d, depends_on=deps, after=after)


def test_strategy_and_critical_path_follow_the_dag():
    assert sr.Plan((_phase("a", 1), _phase("b", 2))).strategy == "parallel"
    assert sr.Plan((_phase("a", 1), _phase("b", 2, ("a",)))).strategy == "sequential"
    mixed = sr.Plan((_phase("a", 5), _phase("b", 2), _phase("c", 1, ("a", "b"))))
    assert mixed.strategy == "mixed" and mixed.duration == 6
    assert mixed.critical_path() == ["a", "c"]
    assert sr.Plan((_phase("a", 1),)).strategy == "single"


def test_cyclic_and_unknown_dependencies_are_errors():
    with pytest.raises(sr.InputError, match="cyclic phase dependencies"):
        sr.Plan((_phase("a", 1, ("b",)), _phase("b", 1, ("a",))))
    with pytest.raises(sr.InputError, match="unknown phase 'zz'"):
        sr.Plan((_phase("a", 1, ("zz",)),))
