"""The engine's hot path changes no result: blocked random streams give the very numbers drawn one
by one, wake events are scheduled as timeouts are, and the event loop stops where SimPy's does
(simroute.common.draws, simroute.engine.tasks): a seed's tables do not change with them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import simpy

import simroute as sr
from simroute.common.draws import BLOCK, Exponentials, ExponentialsFirst, Uniforms, service_source
from simroute.engine import context
from simroute.engine.tasks import sleeper, start


@pytest.mark.parametrize("seed", [0, 7, 2**40])
def test_uniforms_are_the_generators_draws_across_blocks(seed):
    one_by_one = np.random.default_rng(seed)
    blocked = Uniforms(np.random.default_rng(seed))
    n = 2 * BLOCK + 17
    assert [blocked.random() for _ in range(n)] == [one_by_one.random() for _ in range(n)]


def test_exponentials_are_the_generators_draws_with_any_scale():
    one_by_one = np.random.default_rng(3)
    blocked = Exponentials(np.random.default_rng(3))
    scales = np.random.default_rng(4).uniform(0.01, 50.0, 2 * BLOCK + 5).tolist()
    assert [blocked.exponential(s) for s in scales] == [float(one_by_one.exponential(s)) for s in scales]


def test_a_blocked_stream_refuses_another_kind_of_draw():
    with pytest.raises(RuntimeError, match="stream of random draws was asked for exponential"):
        Uniforms(np.random.default_rng(0)).exponential(1.0)
    with pytest.raises(RuntimeError, match="lognormal"):
        Exponentials(np.random.default_rng(0)).lognormal(0.0, 1.0)


def test_the_service_stream_is_blocked_only_when_every_drawing_model_is_exponential():
    rng = np.random.default_rng(0)
    exp = sr.ServiceTime(dist="exponential", mean=0.5)
    quiet = [sr.ServiceTime(dist="deterministic", mean=1.0), sr.ServiceTime(dist="tokens", mean=0.1),
             sr.ServiceTime(dist="lognormal", mean=1.0, cv=0.0)]  # these draw nothing
    assert isinstance(service_source(rng, [exp, *quiet]), Exponentials)
    for other in (sr.ServiceTime(dist="lognormal", mean=1.0, cv=0.3), sr.ServiceTime(dist="llm", mean=0.2)):
        assert isinstance(service_source(rng, [exp, other]), ExponentialsFirst)
        assert service_source(rng, [other]) is rng
    assert service_source(rng, quiet) is rng


@pytest.mark.parametrize("switch_after", [0, 1, BLOCK - 1, BLOCK, 2 * BLOCK + 5])
def test_exponentials_first_rewinds_to_the_draws_one_by_one(switch_after):
    """Exponentials from blocks, then other kinds: every number is the generator's, one by one."""
    one_by_one = np.random.default_rng(11)
    stream = ExponentialsFirst(np.random.default_rng(11))
    scales = np.random.default_rng(4).uniform(0.01, 50.0, switch_after).tolist()
    assert [stream.exponential(s) for s in scales] == [float(one_by_one.exponential(s)) for s in scales]
    mixed = [("lognormal", (0.3, 0.5)), ("exponential", (2.0,)), ("random", ()), ("exponential", (0.5,)),
             ("lognormal", (-1.0, 0.1))] * 3
    assert [getattr(stream, kind)(*args) for kind, args in mixed] == [
        float(getattr(one_by_one, kind)(*args)) for kind, args in mixed]


def _exponential_everywhere(sc: sr.Scenario) -> sr.Scenario:
    """``sc`` with every plugin's service and failure latency exponential (both streams blocked)."""
    cat = sc.catalog
    for name in cat.plugins:
        service = sr.ServiceTime(dist="exponential", mean=0.2)
        cat = cat.with_plugin(name, service={"default": service}, failure_p=0.1,
                              failure=sr.FailureModel(error_latency=service))
    return sc.replace(catalog=cat)


@pytest.mark.parametrize("exponential", ["none", "all", "some"],
                         ids=["uniforms blocked", "both blocked", "service blocked until another kind"])
def test_blocked_streams_leave_a_run_unchanged(exponential, monkeypatch):
    sc = sr.Scenario.default()
    if exponential == "all":
        sc = _exponential_everywhere(sc)
    elif exponential == "some":  # the busiest plugins exponential, the others lognormal
        cat = sc.catalog
        for name in ("fastapi-backend", "frontend-powerhouse", "iac-golden-architect"):
            cat = cat.with_plugin(name, service={"default": sr.ServiceTime(dist="exponential", mean=600.0)})
        sc = sc.replace(catalog=cat)
    models = [m for p in sc.catalog.plugins.values() for m in p.service_models()]
    source = service_source(np.random.default_rng(0), models)
    kinds = {"none": np.random.Generator, "all": Exponentials, "some": ExponentialsFirst}
    assert type(source) is kinds[exponential]
    blocked = sr.run(sc, seed=5)
    assert (blocked.attempts.outcome != "success").sum() > 50  # failures were drawn
    monkeypatch.setattr(context, "service_source", lambda rng, models: rng)
    monkeypatch.setattr(context, "Uniforms", lambda rng: rng)
    one_by_one = sr.run(sc, seed=5)
    for table in ("requests", "attempts", "breaker_events", "plugins"):
        pd.testing.assert_frame_equal(getattr(blocked, table), getattr(one_by_one, table))


def test_a_wake_is_scheduled_as_a_timeout_would_be():
    env = simpy.Environment()
    sleep = sleeper(env)
    order = []

    def waiter(name, wait):
        yield wait()
        order.append((name, env.now))

    start(waiter("timeout first", lambda: env.timeout(1.0)))
    start(waiter("wake", lambda: sleep(1.0)))
    env.process(waiter("process on a wake", lambda: sleep(1.0)))  # a Process may yield one too
    start(waiter("timeout last", lambda: env.timeout(1.0)))
    start(waiter("earlier wake", lambda: sleep(0.5)))
    env.run()
    # same time: first scheduled, first resumed (the process starts one event later than the tasks)
    assert order == [("earlier wake", 0.5), ("timeout first", 1.0), ("wake", 1.0),
                     ("timeout last", 1.0), ("process on a wake", 1.0)]


def test_the_event_loop_stops_where_simpy_stops():
    """engine.tasks.run against env.run: the same events processed, the same clock at the end."""
    from simroute.engine.tasks import run

    def model(env, log):
        def ticker(name, period):
            while True:
                yield env.timeout(period)
                log.append((name, env.now))

        env.process(ticker("a", 1.0))
        env.process(ticker("b", 2.5))

    for until in (5.0, 7.5, 10.0):
        ours, simpys = [], []
        env1, env2 = simpy.Environment(), simpy.Environment()
        model(env1, ours)
        model(env2, simpys)
        run(env1, until)
        env2.run(until=until)
        assert ours == simpys and env1.now == env2.now == until  # (events at `until` itself wait)
    with pytest.raises(ValueError, match="must be greater than the current simulation time"):
        run(env1, 1.0)


def test_the_event_loop_raises_an_unhandled_failure_as_simpy_does():
    from simroute.engine.tasks import run

    env = simpy.Environment()

    def broken():
        yield env.timeout(1.0)
        raise KeyError("boom")

    env.process(broken())
    with pytest.raises(KeyError, match="boom"):
        run(env)


def test_finished_requests_leave_no_garbage_for_the_collector():
    """A request's task is freed by reference counting when it ends: no cycle per request waits
    for a full garbage collection (they piled up by the hundred thousand in long runs)."""
    import gc

    from simroute.engine.tasks import Task

    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        sr.run(sr.Scenario.default(), seed=1, record="summary", progress=False)
        gc.collect()
        tasks = sum(isinstance(o, Task) for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert tasks == 0


@pytest.mark.parametrize("loop", ["simpy", "engine"])
def test_the_engines_environment_keeps_its_clock_with_either_loop(loop):
    """engine.tasks.Environment's ``now`` is an attribute: every callback sees the event's time,
    whether SimPy's own loop (env.run, env.step) or the engine's (tasks.run) drives it."""
    from simroute.engine.tasks import Environment, run

    env = Environment(5.0)
    seen = []

    def proc():
        for delay in (1.5, 0.0, 2.25):
            yield env.timeout(delay)
            seen.append((env.now, env._now))

    env.process(proc())
    if loop == "simpy":
        env.run()
    else:
        run(env)
    assert seen == [(6.5, 6.5), (6.5, 6.5), (8.75, 8.75)]
    assert env.now == 8.75
