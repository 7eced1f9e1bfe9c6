import pytest

import simroute as sr

from .conftest import REQUEST_1


def test_routing_plan_for_request_1(catalog):
    route = sr.decide_route(sr.classify(REQUEST_1, catalog, sr.SEED_READING), catalog, sr.SEED_WEIGHTS)
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


def test_a_request_nothing_matches_is_the_orchestrators_built_in_handling(catalog, capsys):
    c = sr.classify("hello there", catalog)
    route = sr.decide_route(c, catalog)
    assert not route.matched and route.reason == "no capable plugin"
    assert route.primary == "jira-orchestrator" and route.fallbacks == ()
    sonnet = catalog.tiers["sonnet"].price  # the orchestrator's default tier
    assert (route.est_duration, route.est_cost) == (c.est_duration, sonnet) == (600.0, sonnet)
    # the command line says the same
    from simroute.faces.cli import main
    assert main(["route", "hello there"]) == 0
    out = capsys.readouterr().out
    assert "built-in handling" in out and "estimate:       10 min, $0.10" in out
    # and the engine runs it there: degraded, at that cost
    scenario = sr.Scenario(catalog=catalog, settings=sr.Settings(service="plan"),
                           workload=sr.Workload(kind="schedule", times=(0.0,),
                                                mix=(sr.MixEntry(text="hello there"),)))
    sr_catalog = catalog.with_plugin("jira-orchestrator", failure_p=0.0)
    r = sr.run(scenario.replace(catalog=sr_catalog), seed=1)
    (row,) = r.requests.itertuples()
    assert (row.status, row.reason, row.primary) == ("degraded", "no capable plugin", "jira-orchestrator")
    assert (row.latency, row.cost) == (600.0, sonnet)
    off = scenario.replace(settings=sr.Settings(builtin_fallback=False))
    assert tuple(sr.run(off, seed=1).requests.status) == ("rejected",)


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


def test_the_decision_says_what_the_engine_runs(catalog):
    """One source of fallbacks: the routing/decision message, the attempts and the requests agree."""
    down = ("fastapi-backend", "lobbi-platform-manager")
    scenario = sr.Scenario(
        name="chains", catalog=catalog,
        settings=sr.Settings(record_messages=True, retry=sr.RetryPolicy(max_retries=0),
                             breaker=sr.BreakerSettings(enabled=False)),
        workload=sr.Workload(kind="schedule", times=(0.0,), mix=(sr.MixEntry(text=REQUEST_1),)),
        faults=tuple(sr.Fault(plugin=p, kind="outage", start=0, end=1e9) for p in down))
    r = sr.run(scenario, seed=1)
    m = r.messages
    (decision,) = m[(m.topic == "routing/decision") & (m.subscriber == "telemetry")].payload
    route = sr.decide_route(sr.classify(REQUEST_1, catalog), catalog)
    assert tuple(decision["fallbacks"]) == route.fallbacks == decision["phaseFallbacks"]["backend"]
    for phase in r.attempts.phase.unique():
        tried = list(r.attempts[r.attempts.phase == phase].plugin)
        own = next(p.plugin for p in route.plan.phases if p.name == phase)
        chain = [own, *decision["phaseFallbacks"][phase]]
        assert tried == chain[:len(tried)]  # in the decision's order, nothing else
    backend = list(r.attempts[r.attempts.phase == "backend"].plugin)
    assert backend[:2] == ["fastapi-backend", "lobbi-platform-manager"]  # both down: on down the chain
    (used,) = r.requests.plugins_used
    assert used.split(",") == list(dict.fromkeys(r.attempts[r.attempts.start.notna()].plugin))
