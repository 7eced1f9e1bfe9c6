import numpy as np
import pytest

import simroute as sr
from simroute.resilience.failure import FAILURE_KINDS


def test_kinds_are_drawn_by_their_shares(rng):
    model = sr.FailureModel(kinds={"error": 0.6, "timeout": 0.3, "non_retryable": 0.1})
    draws = [model.pick(rng) for _ in range(20000)]
    shares = {k: draws.count(k) / len(draws) for k in model.kinds}
    assert shares == pytest.approx({"error": 0.6, "timeout": 0.3, "non_retryable": 0.1}, abs=0.015)


def test_each_kind_has_its_own_duration(rng):
    model = sr.FailureModel(error_latency=sr.ServiceTime(dist="deterministic", mean=0.2), hang_s=90)
    assert model.duration("error", rng) == 0.2 and model.duration("rate_limited", rng) == 0.2
    assert model.duration("timeout", rng) == 90


@pytest.mark.parametrize("kwargs, message", [
    ({"kinds": {"error": 0.5}}, "sum to 1"),
    ({"kinds": {"boom": 1.0}}, "unknown failure kind"),
    ({"kinds": {"error": 1.5, "timeout": -0.5}}, "a share must be within"),
    ({"hang_s": 0}, "hang_s"),
    ({"retry_after_s": float("inf")}, "retry_after_s"),
])
def test_bad_failure_models_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sr.FailureModel(**kwargs)


def test_setting_one_share_rescales_the_others():
    model = sr.FailureModel(kinds={"error": 0.75, "non_retryable": 0.25}).with_share("timeout", 0.2)
    assert dict(model.kinds) == pytest.approx({"error": 0.6, "non_retryable": 0.2, "timeout": 0.2})
    assert sum(model.kinds.values()) == pytest.approx(1)
    assert set(model.kinds) <= set(FAILURE_KINDS)


def test_a_fault_says_which_kind_it_produces():
    with pytest.raises(sr.InputError, match="failure"):
        sr.Fault(plugin="x", kind="outage", start=0, end=1, failure="explode")
    assert sr.Fault(plugin="x", kind="outage", start=0, end=1, failure="timeout").failure == "timeout"


def test_a_kind_never_drawn_is_never_seen(rng):
    model = sr.FailureModel(kinds={"timeout": 1.0})
    assert {model.pick(rng) for _ in range(100)} == {"timeout"}
    assert np.isfinite(model.hang_s)


def _scripted(catalog, kind, value, failure="error", **plugin):
    cat = catalog.with_plugin("iac-golden-architect", failure_p=0.0, **plugin)
    return sr.Scenario(name="scripted", catalog=cat,
                       settings=sr.Settings(retry=sr.RetryPolicy(max_retries=0), builtin_fallback=False,
                                            reading=sr.SEED_READING, weights=sr.SEED_WEIGHTS),
                       workload=sr.Workload(kind="schedule", times=tuple(1000.0 * t for t in range(10)),
                                            mix=(sr.MixEntry(text="Terraform the AWS infrastructure"),)),
                       faults=(sr.Fault(plugin="iac-golden-architect", kind=kind, value=value, start=0,
                                        end=1e9, failure=failure),))


def test_faults_by_count_script_the_first_calls_and_every_nth(catalog):
    def outcomes(*args):
        a = sr.run(_scripted(catalog, *args), seed=0).attempts.sort_values("queued")
        return list(a[a.plugin == "iac-golden-architect"].outcome)

    assert outcomes("first_calls", 2, "rate_limited") == ["rate_limited"] * 2 + ["success"] * 8
    assert [i for i, o in enumerate(outcomes("every_nth", 3), 1) if o != "success"] == [3, 6, 9]
    assert outcomes("first_calls", 0) == ["success"] * 10


@pytest.mark.parametrize("kind, value", [("first_calls", -1), ("first_calls", 1.5), ("every_nth", 0)])
def test_a_count_that_is_not_a_whole_number_of_calls_is_named(kind, value):
    with pytest.raises(sr.InputError, match=r"field 'value': must be a whole number of calls"):
        sr.Fault(plugin="x", kind=kind, value=value, start=0, end=10)
