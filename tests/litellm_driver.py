"""Drive the real ``litellm.Router`` through scripted cases and print what each call did.

Run by ``tests/test_litellm_differential.py`` in a process of its own (LiteLLM keeps module-level
state, starts background logging tasks and reads its retry constants from the environment when it
is imported): the cases come as JSON on stdin, the calls go out as JSON on stdout.

Each deployment is served by a scripted provider (LiteLLM's ``CustomLLM`` hook, no network): a call
answers after ``SERVICE_S``, or fails as the case's script says — a 503 after ``ERROR_S``, a 429 with
or without a ``Retry-After`` header after ``ERROR_S``, or a hang until the deployment's timeout, then
LiteLLM's own ``Timeout``. A case's requests are sent at their offsets (seconds) on one event loop;
for each call the provider records the deployment, the request and when it started; for each
request the driver records when it ended and whether it raised.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import

import httpx  # noqa: E402
import litellm  # noqa: E402
from litellm import CustomLLM, Router  # noqa: E402

SERVICE_S = 0.02  #: a successful call's latency, seconds
ERROR_S = 0.01  #: a refused call's latency, seconds


class Scripted(CustomLLM):
    """A provider whose deployments fail as the current case's script says."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, dict] = {}
        self.counts: dict[str, int] = {}
        self.calls: list[dict] = []
        self.t0 = 0.0

    async def acompletion(self, model, messages, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        script = self.scripts[model]
        n = self.counts[model] = self.counts.get(model, 0) + 1
        rid = int(messages[0]["content"].split()[-1])
        start = time.monotonic() - self.t0
        failing = script["fails"] != "ok" and (script["first"] is None or n <= script["first"])
        self.calls.append({"request": rid, "deployment": model, "start": start,
                           "outcome": script["fails"] if failing else "success"})
        # as a real provider's handler does: the Router's strategies (least-busy) count the call here
        kwargs["logging_obj"].pre_call(input=messages, api_key=None)
        if not failing:
            await asyncio.sleep(SERVICE_S)
            return litellm.ModelResponse(model=model, choices=[
                {"message": {"role": "assistant", "content": "ok"}}])
        request = httpx.Request("POST", "http://scripted.invalid/v1/chat/completions")
        if script["fails"] == "timeout":
            await asyncio.sleep(float(kwargs.get("timeout") or script["timeout"]))
            raise litellm.Timeout(message="scripted hang", model=model, llm_provider="scripted")
        await asyncio.sleep(ERROR_S)
        if script["fails"] == "rate_limited":
            headers = {"retry-after": str(script["retry_after"])} if script["retry_after"] else {}
            raise litellm.RateLimitError(message="scripted 429", llm_provider="scripted", model=model,
                                         response=httpx.Response(429, headers=headers, request=request))
        raise litellm.ServiceUnavailableError(message="scripted 503", llm_provider="scripted", model=model,
                                              response=httpx.Response(503, request=request))


async def run_case(case: dict, provider: Scripted) -> dict:
    """The case's requests through a fresh Router; its calls and each request's end."""
    provider.scripts = {d["name"]: d for d in case["deployments"]}
    provider.counts, provider.calls = {}, []
    model_list = []
    for d in case["deployments"]:
        params: dict = {"model": f"scripted/{d['name']}"}
        for key in ("timeout", "cooldown_time", "input_cost_per_token", "output_cost_per_token"):
            if d.get(key) is not None:
                params[key] = d[key]
        model_list.append({"model_name": d["group"], "litellm_params": params,
                           "model_info": {"id": d["name"]}})
    router = Router(model_list=model_list, **case["router"])
    ends: dict[int, dict] = {}

    async def send(rid: int, at: float, group: str) -> None:
        await asyncio.sleep(max(0.0, at - (time.monotonic() - provider.t0)))
        sent = time.monotonic() - provider.t0
        try:
            await router.acompletion(model=group, messages=[{"role": "user", "content": f"request {rid}"}])
            raised = None
        except Exception as e:  # noqa: BLE001 - the outcome is what we record
            raised = type(e).__name__
        ends[rid] = {"sent": sent, "end": time.monotonic() - provider.t0, "raised": raised}

    provider.t0 = time.monotonic()
    await asyncio.gather(*(send(i, at, case["group"]) for i, at in enumerate(case["requests"])))
    return {"calls": provider.calls, "requests": [ends[i] for i in range(len(case["requests"]))]}


async def main() -> None:
    cases = json.load(sys.stdin)
    provider = Scripted()
    litellm.custom_provider_map = [{"provider": "scripted", "custom_handler": provider}]
    litellm.utils.custom_llm_setup()
    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    out = {}
    for case in cases:
        out[case["name"]] = await run_case(case, provider)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)  # LiteLLM's notes on models missing from its cost map
    asyncio.run(main())
