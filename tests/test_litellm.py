"""LiteLLM import and router semantics: key mapping, warnings, cooldowns, retries and fallbacks."""

import math
import re

import pytest

import simroute as sr
from simroute.experiments.params import with_params
from simroute.io.litellm import import_litellm
from simroute.resilience.cooldown import DeploymentCooldown

EXAMPLE = sr.catalog.data_dir() / "litellm" / "example_config.yaml"

REALISTIC = {
    "model_list": [
        {"model_name": "gpt-4o",
         "litellm_params": {"model": "azure/gpt-4o", "api_key": "os.environ/KEY", "rpm": 600, "tpm": 90000,
                            "timeout": 30, "stream_timeout": 10, "max_parallel_requests": 8, "weight": 2,
                            "cooldown_time": 12, "input_cost_per_token": 2.5e-6},
         "model_info": {"id": "east", "output_cost_per_token": 1e-5}},
        {"model_name": "gpt-4o", "tpm": 1000, "litellm_params": {"model": "openai/gpt-4o"}},
        {"model_name": "claude", "litellm_params": {"model": "anthropic/claude"}},
        {"model_name": "long", "litellm_params": {"model": "anthropic/claude-long"}},
    ],
    "router_settings": {
        "num_retries": 4, "retry_after": 1.5, "allowed_fails": 2, "cooldown_time": 30,
        "disable_cooldowns": False, "max_fallbacks": 3, "timeout": 45, "routing_strategy": "simple-shuffle",
        "retry_policy": {"TimeoutErrorRetries": 1, "RateLimitErrorRetries": 6,
                         "ContentPolicyViolationErrorRetries": 0, "BadRequestErrorRetries": 0},
        "allowed_fails_policy": {"RateLimitErrorAllowedFails": 10, "InternalServerErrorAllowedFails": 3},
        "fallbacks": [{"gpt-4o": ["claude"]}], "default_fallbacks": ["claude"],
        "context_window_fallbacks": [{"gpt-4o": ["long"]}],
        "content_policy_fallbacks": [{"gpt-4o": ["claude"]}],
    },
}


def get(mapping, path):
    for part in path.split("/"):
        mapping = mapping[int(part)] if isinstance(mapping, list) else mapping[part]
    return mapping


@pytest.mark.parametrize(("path", "expected"), [
    ("model_groups/deployments/0/name", "east"),
    ("model_groups/deployments/0/group", "gpt-4o"),
    ("model_groups/deployments/0/model", "azure/gpt-4o"),
    ("model_groups/deployments/0/rpm", 600),
    ("model_groups/deployments/0/tpm", 90000),
    ("model_groups/deployments/0/timeout_s", 30),
    ("model_groups/deployments/0/stream_timeout_s", 10),
    ("model_groups/deployments/0/capacity", 8),
    ("model_groups/deployments/0/weight", 2),
    ("model_groups/deployments/0/cooldown_time", 12),
    ("model_groups/deployments/0/input_cost_per_token", 2.5e-6),
    ("model_groups/deployments/0/output_cost_per_token", 1e-5),  # from model_info
    ("model_groups/deployments/1/name", "gpt-4o-2"),  # no id: group and position
    ("model_groups/deployments/1/tpm", 1000),  # an entry-level tpm
    ("settings/router/num_retries", 4),
    ("settings/router/retry_after", 1.5),
    ("settings/router/allowed_fails", 2),
    ("settings/router/cooldown_time", 30),
    ("settings/router/disable_cooldowns", False),
    ("settings/router/max_fallbacks", 3),
    ("settings/router/retry_policy", {"timeout": 1, "rate_limited": 6, "content_policy": 0,
                                      "non_retryable": 0, "context_window": 0}),
    ("settings/router/allowed_fails_policy", {"rate_limited": 10, "error": 3}),
    ("settings/timeout/attempt", 45),
    ("settings/breaker/enabled", False),
    ("model_groups/fallbacks", {"gpt-4o": ["claude"], "*": ["claude"]}),
    ("model_groups/context_window_fallbacks", {"gpt-4o": ["long"]}),
    ("model_groups/content_policy_fallbacks", {"gpt-4o": ["claude"]}),
])
def test_every_supported_key_maps_to_its_scenario_field(path, expected):
    imported = import_litellm(REALISTIC)
    assert get(imported.scenario, path) == expected
    sr.Scenario.from_dict(imported.scenario)  # an ordinary, valid scenario


def test_litellm_settings_are_the_defaults_router_settings_override():
    cfg = {"model_list": REALISTIC["model_list"][:3],
           "litellm_settings": {"num_retries": 7, "request_timeout": 99, "allowed_fails": 5,
                                "fallbacks": [{"gpt-4o": ["claude"]}]},
           "router_settings": {"num_retries": 1}}
    s = import_litellm(cfg).scenario
    assert s["settings"]["router"]["num_retries"] == 1 and s["settings"]["router"]["allowed_fails"] == 5
    assert s["settings"]["timeout"]["attempt"] == 99
    assert s["model_groups"]["fallbacks"] == {"gpt-4o": ["claude"]}
    plain = import_litellm({"model_list": REALISTIC["model_list"][:1]}).scenario["settings"]
    assert plain["router"] == {"num_retries": 2, "retry_after": 0.0, "allowed_fails": None,
                               "cooldown_time": 5.0, "max_fallbacks": 5}
    assert plain["timeout"]["attempt"] == 6000


def test_every_key_not_modelled_is_one_warning_line():
    imported = import_litellm(EXAMPLE)
    keys = [w.split(": ")[1] for w in imported.warnings]
    assert keys == ["model_list[].litellm_params.api_base", "model_list[].litellm_params.api_key",
                    "model_list[].litellm_params.aws_region_name", "litellm_settings.drop_params"]
    assert all("\n" not in w and w.startswith(f"{EXAMPLE}:") for w in imported.warnings)
    assert "connection setting" in imported.warnings[0]
    odd = import_litellm({"model_list": [{"model_name": "a",
                                          "litellm_params": {"model": "x", "num_retries": 3}}],
                          "router_settings": {"routing_strategy": "usage-based-routing", "redis_host": "r",
                                              "retry_policy": {"InternalServerErrorRetries": 4}},
                          "general_settings": {"master_key": "k"}})
    text = "\n".join(odd.warnings)
    for key in ("general_settings", "litellm_params.num_retries", "routing_strategy", "redis_host",
                "InternalServerErrorRetries"):
        assert text.count(key) == 1, key
    assert "error" not in odd.scenario["settings"]["router"].get("retry_policy", {})
    with pytest.warns(UserWarning) as caught:
        sr.Scenario.from_litellm(EXAMPLE)
    assert [str(w.message) for w in caught] == imported.warnings  # one warning per line
    assert [w.split(": ")[1] for w in import_litellm(REALISTIC).warnings] == [
        "model_list[].litellm_params.api_key"]  # every other key of REALISTIC is read


@pytest.mark.parametrize(("config", "key", "message"), [
    ("- just a list\n", None, "is a mapping with model_list"),
    ("model_list:\n  - model_name: a\n    litellm_params: {rpm: 3}\n", "model", "missing"),
    ("model_list:\n  - litellm_params: {model: x}\n", "model_name", "missing"),
    ("model_list:\n  - {model_name: a, litellm_params: {model: x}}\n"
     "router_settings:\n  fallbacks: [{a: [b]}]\n",
     "a", "unknown model group 'b'"),
    ("model_list:\n  - {model_name: a, litellm_params: {model: x}}\nrouter_settings:\n  cooldown_time: -5\n",
     "cooldown_time", "must be within [0, inf]"),
    ("model_list:\n  - {model_name: a, litellm_params: {model: x, rpm: fast}}\n", "rpm", "must be a number"),
    ("model_list: []\n", "model_list", "non-empty"),
])
def test_a_malformed_config_is_one_line_naming_the_key(tmp_path, capsys, config, key, message):
    from simroute.faces.cli import main

    path = tmp_path / "config.yaml"
    path.write_text(config)
    with pytest.raises(sr.InputError, match=re.escape(message)) as info:
        import_litellm(path)
    assert info.value.file == str(path) and info.value.line is not None
    if key is not None:
        assert info.value.field == key
    assert main(["import", "litellm", str(path), "--out", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"simroute: {path}:") and message in err[0]
    assert not (tmp_path / "s.yaml").exists()


def test_cli_import_writes_a_scenario_that_validates_and_never_overwrites(tmp_path, capsys):
    from simroute.faces.cli import main

    out = tmp_path / "s.yaml"
    assert main(["import", "litellm", str(EXAMPLE), "--out", str(out), "--rate", "2"]) == 0
    captured = capsys.readouterr()
    assert "3 deployments in 2 model groups" in captured.out
    assert captured.err.count("simroute: warning:") == 4
    assert main(["validate", str(out)]) == 0
    assert main(["validate", str(EXAMPLE)]) == 0  # the config itself, recognised as one
    assert "LiteLLM config: 3 deployments in 2 model groups; 4 keys not modelled" in capsys.readouterr().out
    scenario = sr.Scenario.from_yaml(out)
    assert scenario.workload.rate == 2 and set(scenario.model_groups.groups) == {"gpt-4o", "claude-sonnet"}
    out.write_text("my own notes")
    assert main(["import", "litellm", str(EXAMPLE), "--out", str(out)]) == 2
    assert out.read_text() == "my own notes"
    assert main(["import", "litellm", str(EXAMPLE), "--out", str(out), "--overwrite"]) == 0


# ---------------------------------------------------------------------- cooldowns, hand-built
def events(cooldown):
    seen = []
    cooldown.on_transition = lambda t, a, b: seen.append((t, a, b))
    return seen


def test_failure_rate_rule_needs_five_calls_in_the_minute_and_another_deployment():
    c = DeploymentCooldown(group_size=2)
    seen = events(c)
    for t in (1, 2, 3, 4):  # 4 of 4 failed: under the minimum of 5 calls
        assert not c.record_failure(t, "error")
    assert c.record_failure(5, "error") and not c.available(5)  # 5 of 5 > 50 %
    assert c.available(10) and seen == [(5, "closed", "open"), (10.0, "open", "closed")]  # 5 s default
    single = DeploymentCooldown(group_size=1)
    assert not any(single.record_failure(t, "error") for t in range(100))  # never on a single deployment


def test_the_minute_is_a_calendar_minute_and_successes_count():
    c = DeploymentCooldown(group_size=3)
    for t in range(5):
        c.record_success(50 + t)
    for t in range(5):
        assert not c.record_failure(55 + t * 0.5, "error")  # 5 of 10: not over 50 %
    for t in range(4):
        assert not c.record_failure(61 + t, "error")  # a new minute: 4 calls
    assert c.record_failure(66, "error")


def test_429_cools_down_at_once_for_its_retry_after_unless_single():
    c = DeploymentCooldown(group_size=2)
    assert c.record_failure(0, "rate_limited", retry_after=20) and c.until == 20
    c = DeploymentCooldown(group_size=2, cooldown_time=7)
    assert c.record_failure(0, "rate_limited") and c.until == 7
    assert not DeploymentCooldown(group_size=1).record_failure(0, "rate_limited", 20)


def test_a_single_deployment_cools_down_only_at_a_thousand_failures_a_minute():
    c = DeploymentCooldown(group_size=1)
    assert not any(c.record_failure(i * 0.05, "error") for i in range(999))
    assert c.record_failure(50, "error")


@pytest.mark.parametrize("kind", ["non_retryable", "context_window", "content_policy"])
def test_a_400_never_cools_a_deployment_down(kind):
    c = DeploymentCooldown(group_size=2, allowed_fails=0)
    assert not any(c.record_failure(t, kind) for t in range(20))


def test_allowed_fails_counts_failures_within_the_cooldown_time():
    c = DeploymentCooldown(group_size=1, allowed_fails=1, cooldown_time=10)
    seen = events(c)
    assert not c.record_failure(0, "error")
    assert c.record_failure(5, "error") and c.until == 15  # the 2nd within 10 s: > 1 allowed
    assert not c.available(14.9) and c.available(15)
    assert not c.record_failure(30, "error")  # the count expired at 15
    assert not c.record_failure(45, "error")  # 15 s later: expired again
    assert seen == [(5, "closed", "open"), (15, "open", "closed")]
    default = DeploymentCooldown(group_size=1, allowed_fails=3)  # LiteLLM's default: the rate rule
    assert not any(default.record_failure(t, "error") for t in range(20))


def test_allowed_fails_policy_per_kind_and_zero_falls_back():
    c = DeploymentCooldown(group_size=2, allowed_fails_policy={"rate_limited": 2, "error": 0},
                           allowed_fails=1)
    assert not c.record_failure(0, "rate_limited") and not c.record_failure(1, "rate_limited")
    assert c.record_failure(2, "rate_limited")
    e = DeploymentCooldown(group_size=2, allowed_fails_policy={"error": 0}, allowed_fails=1)
    assert not e.record_failure(0, "error") and e.record_failure(1, "error")  # 0 → allowed_fails (1)


def test_cooldown_length_by_kind_and_off_switches():
    """LiteLLM 1.95: the deployment's own cooldown_time, else the response's Retry-After, else the
    router's cooldown_time."""
    c = DeploymentCooldown(group_size=2, allowed_fails=0, cooldown_time=5, own_cooldown_time=30)
    assert c.record_failure(0, "timeout") and c.until == 30  # the deployment's own, whatever the kind
    c = DeploymentCooldown(group_size=2, allowed_fails=0, cooldown_time=5, own_cooldown_time=30)
    assert c.record_failure(0, "rate_limited", retry_after=2) and c.until == 30
    c = DeploymentCooldown(group_size=2, allowed_fails=0, cooldown_time=5)
    assert c.record_failure(0, "rate_limited", retry_after=2) and c.until == 2  # then the Retry-After
    c = DeploymentCooldown(group_size=2, allowed_fails=0, cooldown_time=5)
    assert c.record_failure(0, "error") and c.until == 5  # then the router's
    assert not DeploymentCooldown(group_size=2, allowed_fails=0, disabled=True).record_failure(0, "error")
    assert c.record_failure(3, "error") and c.until == 8  # a failure during a cooldown restarts it
    assert math.isclose(c.open_time(100), 8)


# ---------------------------------------------------------------------- the router in the engine
def outage_scenario(**router):
    """A primary group with one deployment that returns 503 from 100 s to 160 s; a fallback group."""
    raw = {
        "name": "outage", "settings": {"breaker": {"enabled": False}, "router": router},
        "model_groups": {
            "deployments": [
                {"name": "primary", "group": "gpt-4o", "input_cost_per_token": 2.5e-6,
                 "output_cost_per_token": 1e-5,
                 "failure": {"error_latency": {"dist": "deterministic", "mean_s": 0.2}}},
                {"name": "backup", "group": "claude", "input_cost_per_token": 3e-6,
                 "output_cost_per_token": 1.5e-5}],
            "fallbacks": {"gpt-4o": ["claude"]}},
        "workload": {"kind": "poisson", "rate": 0.3, "requests": 150,
                     "mix": [{"group": "gpt-4o", "context_tokens": 1000, "generated_tokens": 300}]},
        "faults": [{"plugin": "primary", "kind": "outage", "start": 100, "end": 160, "failure": "error"}],
    }
    return sr.Scenario.from_dict(raw)


def primary_attempts(r, start, end):
    req = r.requests[(r.requests.arrival >= start) & (r.requests.arrival < end)]
    a = r.attempts[r.attempts.request_id.isin(req.request_id) & (r.attempts.plugin == "primary")]
    return a.groupby("request_id").size().reindex(req.request_id, fill_value=0)


def test_by_default_every_request_in_the_outage_pays_num_retries_plus_one_primary_attempts():
    r = sr.run(outage_scenario(), seed=1)
    during = primary_attempts(r, 100, 153)  # a cycle takes at most 3 × 0.2 + 0.5 + 1 + 2 + 3 × 0.75 s
    assert len(during) > 10 and (during == 3).all()  # num_retries (2) + 1, never cooled down
    assert r.breaker_events.empty
    req = r.requests.set_index("request_id").loc[during.index]
    assert (req.status == "degraded").all() and (req.fallbacks == 1).all()
    backup = r.attempts[r.attempts.request_id.isin(during.index) & (r.attempts.plugin == "backup")]
    assert (backup.attempt == 1).all() and (backup.fallback_level == 1).all()  # the fallback's own cycle
    failed = r.attempts[(r.attempts.plugin == "primary") & (r.attempts.outcome == "error")]
    assert (failed.cost == 0).all()  # a provider does not bill a failed call


def test_with_allowed_fails_1_the_primary_cools_down_and_requests_go_straight_to_the_fallback():
    r = sr.run(outage_scenario(allowed_fails=1, cooldown_time=60), seed=1)
    during = primary_attempts(r, 100, 160)
    first = during.index[0]
    assert during[first] == 2  # the 2nd failure (> 1 allowed) cools the primary down for 60 s
    opened = r.breaker_events[r.breaker_events.to_state == "open"].time.iloc[0]
    later = r.requests[(r.requests.arrival > opened) & (r.requests.arrival < opened + 60)]
    assert len(later) > 5 and (primary_attempts(r, opened + 1e-9, opened + 60) == 0).all()
    assert (r.requests.set_index("request_id").loc[later.request_id].status == "degraded").all()
    back = r.breaker_events[r.breaker_events.to_state == "closed"].time.iloc[0]
    assert back == pytest.approx(opened + 60)


def test_retries_back_off_on_a_single_deployment_as_litellm_does():
    r = sr.run(outage_scenario(), seed=1)
    a = r.attempts[r.attempts.plugin == "primary"]
    one = a[a.request_id == primary_attempts(r, 100, 153).index[0]].sort_values("attempt")
    gaps = one.queued.diff().dropna().to_numpy() - 0.2  # minus the error latency
    # LiteLLM 1.95: the n-th retry waits the n-th step, 0.5 s, 1 s, 2 s …, plus a jitter in [0, 0.75) s
    assert 0.5 <= gaps[0] < 1.25 and 1.0 <= gaps[1] < 1.75
    slow = sr.run(outage_scenario(retry_after=3), seed=1).attempts
    slow = slow[(slow.plugin == "primary") & (slow.outcome == "error")]
    first = slow[slow.request_id == slow.request_id.iloc[0]].queued.diff().dropna().to_numpy() - 0.2
    assert (first >= 3 - 1e-9).all()  # at least retry_after


def test_num_retries_and_retry_policy_set_the_cycle():
    r = sr.run(outage_scenario(num_retries=0), seed=1)
    assert (primary_attempts(r, 100, 158) == 1).all()
    r = sr.run(outage_scenario(retry_policy={"error": 4}), seed=1)
    assert (primary_attempts(r, 100, 150) == 5).all()


def test_a_429_storm_with_retry_after_waits_the_retry_after():
    s = with_params(outage_scenario(), {"faults[0].failure": "rate_limited",
                                        "plugins.primary.failure.retry_after_s": 4.0})
    r = sr.run(s, seed=2)
    a = r.attempts[(r.attempts.plugin == "primary") & (r.attempts.outcome == "rate_limited")]
    one = a[a.request_id == a.request_id.iloc[0]].sort_values("attempt")
    gaps = one.queued.diff().dropna().sub(0.2)
    assert len(one) == 3 and ((gaps >= 4.0 - 1e-9) & (gaps < 4.75)).all()  # Retry-After + jitter


def test_a_multi_deployment_group_retries_at_once_on_another_pick():
    raw = {"settings": {"breaker": {"enabled": False}},
           "model_groups": {"deployments": [
               {"name": "a", "group": "g", "failure_p": 1.0,
                "failure": {"error_latency": {"dist": "deterministic", "mean_s": 0.1}}},
               {"name": "b", "group": "g"}]},
           "workload": {"kind": "poisson", "rate": 0.1, "requests": 40, "mix": [{"group": "g"}]}}
    r = sr.run(sr.Scenario.from_dict(raw), seed=3)
    a = r.attempts.sort_values(["request_id", "attempt"])
    retried = a[a.attempt == 2]
    before = a[a.attempt == 1].set_index("request_id").end
    assert len(retried) and (retried.set_index("request_id").queued == before.loc[retried.request_id]).all()
    # a retry picks again at random (LiteLLM's simple shuffle): it may land on the failing one
    failed = r.requests[r.requests.status == "failed"].request_id
    assert (a[a.request_id.isin(failed)].plugin == "a").all()
    assert (r.requests.status == "succeeded").mean() > 0.8


def test_a_hanging_provider_costs_timeout_times_attempts():
    s = with_params(outage_scenario(), {"faults[0].failure": "timeout", "plugins.primary.timeout_s": 10})
    r = sr.run(s, seed=1)
    inside = r.requests[(r.requests.arrival >= 100) & (r.requests.arrival < 125)]
    assert (inside.latency > 3 * 10).all()  # three attempts, each cut at 10 s, then the fallback


def test_a_model_group_sweep_path_and_an_unknown_group():
    s = outage_scenario()
    assert with_params(s, {"router.cooldown_time": 30}).settings.router.cooldown_time == 30
    with pytest.raises(sr.InputError, match="unknown model group 'nope'"):
        sr.Scenario.from_dict({"workload": {"mix": [{"group": "nope"}]}})


def test_an_imported_scenario_is_named_after_its_config_file(tmp_path):
    """The name was taken from the last allowed_fails_policy key read (issue 25)."""
    config = tmp_path / "my-gateway.yaml"
    text = EXAMPLE.read_text()
    config.write_text(text.replace("router_settings:\n", "router_settings:\n  allowed_fails_policy: "
                                   "{TimeoutErrorAllowedFails: 2}\n", 1))
    assert "TimeoutErrorAllowedFails" in config.read_text()
    assert import_litellm(config).scenario["name"] == "my-gateway"
    assert import_litellm(config, name="mine").scenario["name"] == "mine"


def test_cli_import_refuses_a_bad_out_in_one_line_and_writes_with_the_umasks_mode(tmp_path, capsys):
    """A folder (even with --overwrite) or a path under a file is one line and exit 2; the file
    gets the mode a new file gets (not mkstemp's 0600); an id that clashes with a bundled plugin
    names the config, not a deleted temporary file (issue 25)."""
    import os

    from simroute.faces.cli import main

    folder = tmp_path / "folder"
    folder.mkdir()
    assert main(["import", "litellm", str(EXAMPLE), "--out", str(folder), "--overwrite"]) == 2
    assert "is a folder" in capsys.readouterr().err
    (tmp_path / "a-file").write_text("x")
    assert main(["import", "litellm", str(EXAMPLE), "--out", str(tmp_path / "a-file" / "s.yaml")]) == 2
    assert "which is a file" in capsys.readouterr().err
    old = os.umask(0o027)
    try:
        assert main(["import", "litellm", str(EXAMPLE), "--out", str(tmp_path / "s.yaml")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "s.yaml").stat().st_mode & 0o777 == 0o640
    clash = tmp_path / "clash.yaml"
    clash.write_text("model_list:\n  - model_name: gpt-4o\n    litellm_params: {model: azure/gpt-4o}\n"
                     "    model_info: {id: fastapi-backend}\n")
    code = main(["import", "litellm", str(clash), "--out", str(tmp_path / "c.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and str(clash) in err and ".c.yaml." not in err, err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".c.yaml.")]


def test_a_token_price_that_would_overflow_is_refused_naming_its_key():
    """$1e305 per token became an infinite price per million tokens (issue 25)."""
    import copy

    config = copy.deepcopy(REALISTIC)
    config["model_list"][0]["litellm_params"]["input_cost_per_token"] = 1e305
    with pytest.raises(sr.InputError, match=r"input_cost_per_token.*within \[0, 1\]"):
        import_litellm(config)


# ---------------------------------------------------------------------- LiteLLM 1.95's retry loop
def test_the_nth_retry_waits_the_nth_step_of_the_backoff():
    """Without jitter the schedule is exact: 0.5 s before the first retry, then 1 s, 2 s, 4 s (the
    old one-step-behind schedule, 0.5, 0.5, 1, 2, fails this); at least retry_after, at most
    max_retry_delay."""
    def gaps(**router):
        r = sr.run(outage_scenario(jitter=0.0, **router), seed=1)
        a = r.attempts[r.attempts.plugin == "primary"]
        one = a[a.request_id == primary_attempts(r, 100, 140).index[0]].sort_values("attempt")
        return list(one.queued.diff().dropna().sub(0.2).round(9))

    assert gaps(num_retries=4) == [0.5, 1.0, 2.0, 4.0]
    assert gaps(num_retries=4, max_retry_delay=1.5) == [0.5, 1.0, 1.5, 1.5]
    assert gaps(num_retries=3, retry_after=0.8) == [0.8, 1.0, 2.0]
    assert gaps(num_retries=3, initial_retry_delay=0.0) == [0.0, 0.0, 0.0]  # no backoff at all


def two_deployment_outage(**router):
    """The primary group has two deployments, both down from 100 s to 160 s; a fallback group."""
    raw = {
        "name": "outage2", "settings": {"breaker": {"enabled": False}, "router": router},
        "model_groups": {
            "deployments": [
                {"name": "a", "group": "gpt-4o", "failure": {"error_latency": {"dist": "deterministic",
                                                                                "mean_s": 0.2}}},
                {"name": "b", "group": "gpt-4o", "failure": {"error_latency": {"dist": "deterministic",
                                                                                "mean_s": 0.2}}},
                {"name": "backup", "group": "claude"}],
            "fallbacks": {"gpt-4o": ["claude"]}},
        "workload": {"kind": "poisson", "rate": 0.3, "requests": 60, "mix": [{"group": "gpt-4o"}]},
        "faults": [{"plugin": "a", "kind": "outage", "start": 100, "end": 160, "failure": "error"},
                   {"plugin": "b", "kind": "outage", "start": 100, "end": 160, "failure": "error"}],
    }
    return sr.Scenario.from_dict(raw)


def test_a_group_emptied_by_cooldowns_goes_to_its_fallback_without_sleeping():
    r = sr.run(two_deployment_outage(allowed_fails=0, cooldown_time=30, num_retries=3), seed=1)
    a = r.attempts.sort_values(["request_id", "queued"])
    first = a[(a.plugin.isin(["a", "b"])) & (a.queued >= 100)].request_id.iloc[0]
    mine = a[a.request_id == first]
    assert list(mine.plugin) in (["a", "b", "backup"], ["b", "a", "backup"])
    assert mine.queued.iloc[1] == pytest.approx(mine.queued.iloc[0] + 0.2)  # a healthy one left: no sleep
    assert mine.queued.iloc[2] == pytest.approx(mine.queued.iloc[1] + 0.2)  # none left: no sleep either
    assert r.requests.set_index("request_id").status[first] == "degraded"


def test_a_retry_policy_for_the_kind_keeps_retrying_an_emptied_group():
    """LiteLLM 1.95 checks a retry policy first: with one for the failure's kind it does not ask
    should_retry_this_error, so it keeps sleeping and retrying while every deployment cools down."""
    r = sr.run(two_deployment_outage(allowed_fails=0, cooldown_time=30, retry_policy={"error": 3},
                                     jitter=0.0), seed=1)
    a = r.attempts.sort_values(["request_id", "queued"])
    first = a[(a.plugin.isin(["a", "b"])) & (a.queued >= 100)].request_id.iloc[0]
    mine = a[a.request_id == first]
    assert list(mine.plugin[:2]) in (["a", "b"], ["b", "a"]) and list(mine.plugin[2:]) == ["backup"]
    # retries 2 and 3 found no deployment (no call), each after its backoff: 1 s, then 2 s and 4 s
    assert mine.queued.iloc[2] - mine.queued.iloc[1] == pytest.approx(0.2 + 1.0 + 2.0 + 4.0)


def test_client_overhead_delays_every_attempt():
    def first_cycle(**router):
        r = sr.run(outage_scenario(jitter=0.0, **router), seed=1)
        a = r.attempts[r.attempts.plugin == "primary"]
        rid = primary_attempts(r, 100, 140).index[0]
        arrival = r.requests.set_index("request_id").arrival[rid]
        return arrival, a[a.request_id == rid].sort_values("attempt").queued.to_numpy()

    arrival, plain = first_cycle()
    arrival2, slow = first_cycle(client_overhead=0.05)
    assert arrival == arrival2 and plain[0] == pytest.approx(arrival)
    assert slow[0] == pytest.approx(arrival + 0.05)
    assert list((slow - plain).round(9)) == [0.05, 0.1, 0.15]


# ---------------------------------------------------------------------- routing strategies
def strategy_scenario(strategy, deployments, *, rate=2.0, requests=600, **router):
    raw = {"name": "strategy", "settings": {"breaker": {"enabled": False},
                                            "router": dict(router, routing_strategy=strategy)},
           "model_groups": {"deployments": [dict(d, group="g") for d in deployments]},
           "workload": {"kind": "poisson", "rate": rate, "requests": requests,
                        "mix": [{"group": "g", "context_tokens": 1000, "generated_tokens": 100}]}}
    return sr.Scenario.from_dict(raw)


def shares(r):
    return r.attempts.plugin.value_counts(normalize=True).to_dict()


def test_latency_based_routing_sends_traffic_to_the_fastest_deployment():
    fast = {"name": "fast", "service": {"default": {"dist": "lognormal", "mean_s": 0.5, "cv": 0.3}}}
    slow = {"name": "slow", "service": {"default": {"dist": "lognormal", "mean_s": 2.0, "cv": 0.3}}}
    assert shares(sr.run(strategy_scenario("latency-based-routing", [fast, slow]), seed=1))["fast"] > 0.95
    shuffled = shares(sr.run(strategy_scenario("simple-shuffle", [fast, slow]), seed=1))
    assert 0.4 < shuffled["fast"] < 0.6
    # a buffer of 10 × the lowest makes them tie: picked at random again
    tied = shares(sr.run(strategy_scenario("latency-based-routing", [fast, slow], lowest_latency_buffer=10),
                         seed=1))
    assert 0.3 < tied["fast"] < 0.7


def test_least_busy_balances_calls_in_flight_by_capacity():
    small = {"name": "small", "capacity": 1, "service": {"default": {"dist": "exponential", "mean_s": 1}}}
    big = {"name": "big", "capacity": 8, "service": {"default": {"dist": "exponential", "mean_s": 1}}}
    busy = sr.run(strategy_scenario("least-busy", [small, big], rate=3.0), seed=2)
    shuffle = sr.run(strategy_scenario("simple-shuffle", [small, big], rate=3.0), seed=2)
    assert shares(busy)["big"] > 0.65 > 0.55 > shares(shuffle)["big"]  # measured 0.70 and 0.47
    assert busy.requests.latency.mean() < shuffle.requests.latency.mean()


def test_usage_based_v2_keeps_each_deployment_under_its_rpm():
    a = {"name": "a", "rpm": 30}
    b = {"name": "b", "rpm": 90}
    r = sr.run(strategy_scenario("usage-based-routing-v2", [a, b], rate=1.0, requests=600), seed=3)
    calls = r.attempts.assign(minute=(r.attempts.queued // 60).astype(int))
    per_minute = calls.groupby(["plugin", "minute"]).size().unstack(0).fillna(0)
    assert (per_minute["a"] < 30).all() and (per_minute["b"] < 90).all()  # rpm + 1 >= limit: refused
    assert (r.attempts.outcome != "rate_limited").all()


def test_cost_based_routing_picks_the_cheapest_deployment_within_its_limits():
    cheap = {"name": "cheap", "input_cost_per_token": 1e-7, "output_cost_per_token": 4e-7, "rpm": 40}
    dear = {"name": "dear", "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5}
    r = sr.run(strategy_scenario("cost-based-routing", [dear, cheap], rate=0.5, requests=400), seed=4)
    calls = r.attempts.assign(minute=(r.attempts.queued // 60).astype(int))
    cheap_per_minute = calls[calls.plugin == "cheap"].groupby("minute").size()
    assert cheap_per_minute.max() <= 40 and shares(r)["cheap"] > 0.9


def test_an_unknown_routing_strategy_is_one_line_naming_the_key():
    config = {"model_list": [{"model_name": "a", "litellm_params": {"model": "x"}}],
              "router_settings": {"routing_strategy": "fastest-please"}}
    with pytest.raises(sr.InputError, match=r"router_settings: field 'routing_strategy': unknown routing "
                                            r"strategy 'fastest-please'"):
        import_litellm(config)
    with pytest.raises(sr.InputError, match="unknown routing strategy \\[\\]"):  # found by the fuzz test
        import_litellm({**config, "router_settings": {"routing_strategy": []}})
    ok = import_litellm({**config, "router_settings": {"routing_strategy": "latency-based-routing",
                                                       "routing_strategy_args": {"lowest_latency_buffer": 0.5,
                                                                                 "ttl": 600}}})
    router = ok.scenario["settings"]["router"]
    assert (router["routing_strategy"], router["lowest_latency_buffer"], router["latency_ttl"]) == (
        "latency-based-routing", 0.5, 600)
    with pytest.raises(sr.InputError, match="routing_strategy"):
        sr.RouterSettings(routing_strategy="nope")

