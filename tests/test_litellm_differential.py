"""simroute's model of a LiteLLM router against the real ``litellm.Router``, case by case.

Each case is one LiteLLM config (model list and router settings) and a script saying how each
deployment answers. The real Router runs it in a process of its own (``litellm_driver.py``: LiteLLM's
``CustomLLM`` hook serves the calls, no network); simroute imports the same config
(``import_litellm``) and runs it with the same script as faults and deterministic latencies. For every
request both must make the same calls — to the same deployment (to the same group where the case's
routing picks at random), in the same order — with the same gaps between calls, and end at the same
time with the same outcome, within what LiteLLM's jitter and the event loop's overhead allow.

LiteLLM's retry constants come from its environment (``INITIAL_RETRY_DELAY``, ``MAX_RETRY_DELAY``,
``JITTER``); simroute's are ``settings.router``; both get the values below, small enough that every
case runs in a few seconds of real time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

import simroute as sr
from simroute.engine.grouprouter import GroupRouter
from simroute.io.litellm import import_litellm

if importlib.util.find_spec("litellm") is None:  # not imported here: the driver's process does
    pytest.skip("the differential test drives the real litellm.Router (pip install -e '.[test]')",
                allow_module_level=True)

DRIVER = Path(__file__).with_name("litellm_driver.py")
INITIAL, MAXIMUM, JITTER = 0.2, 1.6, 0.02  #: the retry constants both sides use, seconds
SERVICE_S, ERROR_S = 0.02, 0.01  #: a success's and a refusal's latency (as the driver's)
#: how much later a real call may start than the model's, per gap: the event loop's and the
#: Router's own work between two calls (a few milliseconds here; generous for a loaded machine)
SLACK = 0.08


@dataclass
class Dep:
    """A deployment and its script: ``fails`` is how its calls fail (``ok``: they never do) —
    every call, or only the ``first`` K; ``retry_after`` the 429's Retry-After header (0: none)."""
    name: str
    group: str
    fails: str = "ok"
    first: int | None = None
    retry_after: int = 0
    timeout: float | None = None
    cooldown_time: float | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None


@dataclass
class Case:
    """A config, its deployments' scripts and the requests' offsets (seconds); ``random_picks``:
    the routing picks at random among healthy deployments, so calls are compared by group."""
    name: str
    deployments: list[Dep]
    router: dict = field(default_factory=dict)
    requests: tuple[float, ...] = (0.0,)
    group: str = "g"
    random_picks: bool = False


FB = Dep("b", "fb")
CASES = [
    Case("a primary that refuses fast, retried with backoff, then the fallback",
         [Dep("a", "g", "error"), FB], {"num_retries": 2, "fallbacks": [{"g": ["fb"]}]}),
    Case("a primary that hangs past its timeout",
         [Dep("a", "g", "timeout", timeout=0.15), FB], {"num_retries": 1, "fallbacks": [{"g": ["fb"]}]}),
    Case("429s without Retry-After back off as any failure",
         [Dep("a", "g", "rate_limited"), FB], {"num_retries": 2, "fallbacks": [{"g": ["fb"]}]}),
    Case("one 429 with Retry-After: 1, then healthy",
         [Dep("a", "g", "rate_limited", first=1, retry_after=1)], {"num_retries": 2}),
    Case("a persistent 503 without fallbacks fails after the last backoff",
         [Dep("a", "g", "error")], {"num_retries": 3}),
    Case("allowed_fails 1: the second failure cools the cheap deployment down for cooldown_time",
         [Dep("a", "g", "error", input_cost_per_token=1e-6, output_cost_per_token=1e-6),
          Dep("c", "g", input_cost_per_token=5e-6, output_cost_per_token=5e-6)],
         {"num_retries": 2, "allowed_fails": 1, "cooldown_time": 1.0,
          "routing_strategy": "cost-based-routing"},
         requests=(0.0, 0.3, 0.6, 1.9)),
    Case("a group of several failing deployments retries at once, then the fallback",
         [Dep("a", "g", "error"), Dep("c", "g", "error"), Dep("d", "g", "error"), FB],
         {"num_retries": 2, "fallbacks": [{"g": ["fb"]}]}, random_picks=True),
    Case("429s empty the group through cooldowns: the fallback at once, without sleeping",
         [Dep("a", "g", "rate_limited"), Dep("c", "g", "rate_limited"), FB],
         {"num_retries": 3, "fallbacks": [{"g": ["fb"]}]}, random_picks=True),
    Case("default fallbacks serve a group without its own",
         [Dep("a", "g", "error"), FB], {"num_retries": 1, "default_fallbacks": ["fb"]}),
    Case("a chain of fallbacks, each group with its own retry cycle",
         [Dep("a", "g", "error"), Dep("e", "fb1", "error"), FB],
         {"num_retries": 1, "fallbacks": [{"g": ["fb1", "fb"]}]}),
    Case("a deployment's own cooldown_time, used after a 429's Retry-After",
         [Dep("a", "g", "rate_limited", first=2, retry_after=1, cooldown_time=0.5),
          Dep("c", "g", "error", first=1)],
         {"num_retries": 2, "routing_strategy": "least-busy"}, requests=(0.0, 0.2, 0.9)),
]


def litellm_config(case: Case) -> dict:
    model_list = []
    for d in case.deployments:
        params = {"model": f"scripted/{d.name}"}
        for key in ("timeout", "cooldown_time", "input_cost_per_token", "output_cost_per_token"):
            if getattr(d, key) is not None:
                params[key] = getattr(d, key)
        model_list.append({"model_name": d.group, "litellm_params": params, "model_info": {"id": d.name}})
    return {"model_list": model_list, "router_settings": case.router}


# ---------------------------------------------------------------------- the two sides
def run_real(cases: list[Case]) -> dict:
    """Every case through the real Router, in one process of its own."""
    env = {**os.environ, "INITIAL_RETRY_DELAY": str(INITIAL), "MAX_RETRY_DELAY": str(MAXIMUM),
           "JITTER": str(JITTER), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONWARNINGS": "ignore"}
    payload = [{"name": c.name, "group": c.group, "router": c.router, "requests": list(c.requests),
                "deployments": [asdict(d) for d in c.deployments]} for c in cases]
    done = subprocess.run([sys.executable, str(DRIVER)], input=json.dumps(payload), capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def run_model(case: Case, seed: int = 1) -> dict:
    """The case through simroute: the same config imported, the script as faults."""
    raw = import_litellm(litellm_config(case), group=case.group).scenario
    raw["settings"]["router"].update(initial_retry_delay=INITIAL, max_retry_delay=MAXIMUM, jitter=JITTER)
    raw["faults"] = []
    for spec, d in zip(raw["model_groups"]["deployments"], case.deployments, strict=True):
        spec["service"] = {"default": {"dist": "deterministic", "mean_s": SERVICE_S}}
        spec["failure"] = {"error_latency": {"dist": "deterministic", "mean_s": ERROR_S},
                           "retry_after_s": float(d.retry_after)}
        if d.fails != "ok":
            kind = {"kind": "outage"} if d.first is None else {"kind": "first_calls", "value": d.first}
            raw["faults"].append({"plugin": d.name, "start": 0, "end": 1e6, "failure": d.fails, **kind})
    raw["workload"] = {"kind": "schedule", "times": list(case.requests), "mix": [{"group": case.group}]}
    r = sr.run(sr.Scenario.from_dict(raw), seed=seed)
    a = r.attempts.sort_values(["request_id", "queued"])
    calls = [{"request": int(x.request_id), "deployment": x.plugin, "start": float(x.queued),
              "outcome": x.outcome} for x in a.itertuples()]
    req = r.requests.sort_values("request_id")
    requests = [{"sent": float(x.arrival), "end": float(x.arrival + x.latency),
                 "raised": None if x.status != "failed" else x.reason} for x in req.itertuples()]
    return {"calls": calls, "requests": requests}


# ---------------------------------------------------------------------- the comparison
def differences(case: Case, real: dict, model: dict) -> list[str]:
    """Every way the model's calls differ from the real Router's (empty: they agree)."""
    group_of = {d.name: d.group for d in case.deployments}
    key = (lambda name: group_of[name]) if case.random_picks else (lambda name: name)
    out = []
    for rid, (rr, mr) in enumerate(zip(real["requests"], model["requests"], strict=True)):
        rc = [c for c in real["calls"] if c["request"] == rid]
        mc = [c for c in model["calls"] if c["request"] == rid]
        seen = ([(key(c["deployment"]), c["outcome"]) for c in rc],
                [(key(c["deployment"]), c["outcome"]) for c in mc])
        if seen[0] != seen[1]:
            out.append(f"request {rid}: calls {seen[0]} (LiteLLM) against {seen[1]} (simroute)")
            continue
        if (rr["raised"] is None) != (mr["raised"] is None):
            out.append(f"request {rid}: LiteLLM raised {rr['raised']}, simroute {mr['raised']}")
        times = ([c["start"] - rr["sent"] for c in rc] + [rr["end"] - rr["sent"]],
                 [c["start"] - mr["sent"] for c in mc] + [mr["end"] - mr["sent"]])
        for k in range(1, len(times[0])):
            gap_real = times[0][k] - times[0][k - 1]
            gap_model = times[1][k] - times[1][k - 1]
            # the model draws its own jitter; the real Router adds its overheads, never removes time
            if not -JITTER - 0.005 <= gap_real - gap_model <= JITTER + SLACK:
                what = f"call {k + 1}" if k < len(rc) else "the end"
                out.append(f"request {rid}: {what} came {gap_real:.3f} s after the previous (LiteLLM) "
                           f"against {gap_model:.3f} s (simroute)")
    return out


@pytest.fixture(scope="module")
def real() -> dict:
    return run_real(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_simroute_makes_the_calls_the_real_router_makes(case, real):
    assert differences(case, real[case.name], run_model(case)) == []


def test_a_backoff_one_step_behind_is_caught(real, monkeypatch):
    """The comparison has teeth: simroute's old schedule (the first two retries waiting the same
    step) differs from LiteLLM's on a single failing deployment."""
    right = GroupRouter._sleep

    def one_behind(self, failed, remaining, retries, healthy, size):
        return right(self, failed, min(remaining + 1, retries), retries, healthy, size)

    monkeypatch.setattr(GroupRouter, "_sleep", one_behind)
    case = CASES[0]
    found = differences(case, real[case.name], run_model(case))
    assert found and all("after the previous" in line for line in found)


def test_the_group_emptied_by_cooldowns_goes_to_the_fallback_without_sleeping(real):
    case = next(c for c in CASES if c.name.startswith("429s empty the group"))
    for side in (real[case.name], run_model(case)):
        calls = side["calls"]
        assert [c["deployment"] for c in calls][-1] == "b" and len(calls) == 3
        assert calls[2]["start"] - calls[1]["start"] < ERROR_S + 0.05  # no backoff step (≥ 0.2 s)
