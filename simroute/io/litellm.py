"""Import a LiteLLM Router configuration as a simroute scenario.

``simroute import litellm CONFIG.yaml --out SCENARIO.yaml`` and :func:`import_litellm` read a
LiteLLM proxy ``config.yaml`` (or the Router's ``model_list`` and settings as Python dicts) and
write an ordinary scenario: each deployment a plugin of ``model_groups.deployments``, each
``model_name`` a model group, the fallbacks as fallback chains by error kind, the retry and
cooldown settings as ``settings.router`` (:class:`~simroute.io.settings.RouterSettings`), a
workload of requests to one group, and a p95 latency goal of 30 s (``settings.slo.latency``: a
config states none, and the orchestrator's default of an hour would judge calls of seconds against
a goal none can miss; set your own). How such a scenario runs is :mod:`simroute.engine.grouprouter`.

:data:`MAPPING` lists every key that is read and the scenario field it becomes; ``docs/litellm.md``
prints it. A key that is not read gets one warning line (file, line, key and why), never a silent
drop. Connection settings (``api_key``, ``api_base`` …) do not change what happens to a request and
are noted as such. Values are checked as the scenario's own are: a bad one is an
:class:`~simroute.common.errors.InputError` naming the file, line and key.

Precedence follows the Router: a ``router_settings`` value, else the ``litellm_settings`` one
(LiteLLM's module defaults), else LiteLLM's default (``num_retries`` 2, ``cooldown_time`` 5 s,
``allowed_fails`` 3 with the failure-rate rule, ``timeout`` 6000 s, ``max_fallbacks`` 5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.errors import InputError
from ..common.schema import check_value
from ..policies.modelgroups import ANY_GROUP, DEFAULT_CAPACITY, MAX_TOKEN_PRICE
from ..policies.strategies import STRATEGIES
from ..resilience.failure import CONTENT_POLICY, CONTEXT_WINDOW, ERROR, NON_RETRYABLE, RATE_LIMITED, TIMEOUT
from .settings import RouterSettings

__all__ = ["import_litellm", "LiteLLMImport", "MAPPING", "mapping_reference", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 6000.0  #: litellm.request_timeout, in seconds

#: (LiteLLM key, scenario field, how) for every key the import reads
MAPPING: tuple[tuple[str, str, str], ...] = (
    ("model_list[].model_name", "model_groups.deployments[].group", "the model group"),
    ("model_list[].litellm_params.model", "model_groups.deployments[].model", "for reference"),
    ("model_list[].model_info.id", "model_groups.deployments[].name",
     "else MODEL_NAME-K (K-th deployment of the group)"),
    ("model_list[].litellm_params.rpm (or model_list[].rpm)", "model_groups.deployments[].rpm",
     "the provider's limit: calls over it get a 429; also the pick weight without weights"),
    ("model_list[].litellm_params.tpm (or model_list[].tpm)", "model_groups.deployments[].tpm",
     "the same, in tokens per minute"),
    ("model_list[].litellm_params.timeout", "model_groups.deployments[].timeout_s", "seconds"),
    ("model_list[].litellm_params.stream_timeout", "model_groups.deployments[].stream_timeout_s",
     "seconds, for requests marked stream: true"),
    ("model_list[].litellm_params.max_parallel_requests", "model_groups.deployments[].capacity",
     f"calls at once (default {DEFAULT_CAPACITY})"),
    ("model_list[].litellm_params.weight", "model_groups.deployments[].weight", "share of picks"),
    ("model_list[].litellm_params.cooldown_time", "model_groups.deployments[].cooldown_time", "seconds"),
    ("model_list[].litellm_params.input_cost_per_token (or model_info.)",
     "model_groups.deployments[].input_cost_per_token", "dollars"),
    ("model_list[].litellm_params.output_cost_per_token (or model_info.)",
     "model_groups.deployments[].output_cost_per_token", "dollars"),
    ("router_settings.num_retries (or litellm_settings.)", "settings.router.num_retries", "default 2"),
    ("router_settings.retry_after", "settings.router.retry_after", "seconds"),
    ("router_settings.retry_policy", "settings.router.retry_policy",
     "TimeoutErrorRetries → timeout, RateLimitErrorRetries → rate_limited, "
     "ContentPolicyViolationErrorRetries → content_policy, BadRequestErrorRetries → non_retryable "
     "and context_window"),
    ("router_settings.allowed_fails (or litellm_settings.)", "settings.router.allowed_fails",
     "failures before a cooldown"),
    ("router_settings.allowed_fails_policy", "settings.router.allowed_fails_policy",
     "the same names as retry_policy with AllowedFails; InternalServerErrorAllowedFails → error"),
    ("router_settings.cooldown_time (or litellm_settings.)", "settings.router.cooldown_time", "seconds"),
    ("router_settings.disable_cooldowns", "settings.router.disable_cooldowns", ""),
    ("router_settings.max_fallbacks", "settings.router.max_fallbacks", ""),
    ("router_settings.timeout (or litellm_settings.request_timeout)", "settings.timeout.attempt",
     f"seconds (default {DEFAULT_TIMEOUT:g})"),
    ("router_settings.fallbacks (or litellm_settings.)", "model_groups.fallbacks", "any failure"),
    ("router_settings.default_fallbacks (or litellm_settings.)", "model_groups.fallbacks['*']",
     "every group without its own"),
    ("router_settings.context_window_fallbacks (or litellm_settings.)",
     "model_groups.context_window_fallbacks", "a context_window failure"),
    ("router_settings.content_policy_fallbacks (or litellm_settings.)",
     "model_groups.content_policy_fallbacks", "a content_policy failure"),
    ("router_settings.routing_strategy", "settings.router.routing_strategy",
     "simple-shuffle, least-busy, latency-based-routing, usage-based-routing-v2, cost-based-routing; "
     "usage-based-routing (v1) is a warning and runs as simple-shuffle; any other name is an error"),
    ("router_settings.routing_strategy_args.lowest_latency_buffer",
     "settings.router.lowest_latency_buffer", "latency-based routing"),
    ("router_settings.routing_strategy_args.ttl", "settings.router.latency_ttl",
     "latency-based routing, seconds"),
)

_RETRY_POLICY = {"TimeoutErrorRetries": (TIMEOUT,), "RateLimitErrorRetries": (RATE_LIMITED,),
                 "ContentPolicyViolationErrorRetries": (CONTENT_POLICY,),
                 "BadRequestErrorRetries": (NON_RETRYABLE, CONTEXT_WINDOW)}
_ALLOWED_FAILS_POLICY = {"TimeoutErrorAllowedFails": (TIMEOUT,),
                         "RateLimitErrorAllowedFails": (RATE_LIMITED,),
                         "ContentPolicyViolationErrorAllowedFails": (CONTENT_POLICY,),
                         "BadRequestErrorAllowedFails": (NON_RETRYABLE, CONTEXT_WINDOW),
                         "InternalServerErrorAllowedFails": (ERROR,)}
_NOT_MODELLED_POLICY = {
    "AuthenticationErrorRetries": "authentication errors are not modelled",
    "NotFoundErrorRetries": "not-found errors are not modelled",
    "InternalServerErrorRetries": "LiteLLM's router does not apply it (its retry-policy lookup has no "
                                  "InternalServerError case): 5xx retries follow num_retries",
    "AuthenticationErrorAllowedFails": "authentication errors are not modelled",
}
#: keys that only say how to reach the provider: they change nothing a simulation sees
_CONNECTION = ("api_key", "api_base", "api_version", "organization", "base_url", "aws_access_key_id",
               "aws_secret_access_key", "aws_region_name", "aws_session_name", "aws_role_name",
               "vertex_project", "vertex_location", "vertex_credentials", "azure_ad_token",
               "tenant_id", "client_id", "client_secret", "litellm_credential_name", "extra_headers",
               "custom_llm_provider", "region_name", "use_in_pass_through")
_ROUTER_KEYS = ("num_retries", "retry_after", "retry_policy", "allowed_fails", "allowed_fails_policy",
                "cooldown_time", "disable_cooldowns", "max_fallbacks", "timeout", "fallbacks",
                "default_fallbacks", "context_window_fallbacks", "content_policy_fallbacks",
                "routing_strategy", "routing_strategy_args", "default_max_parallel_requests")
_LITELLM_KEYS = ("num_retries", "allowed_fails", "cooldown_time", "request_timeout", "fallbacks",
                 "default_fallbacks", "context_window_fallbacks", "content_policy_fallbacks")
_WHY = {
    "enable_pre_call_checks": "pre-call context-window checks are not modelled",
    "model_group_retry_policy": "per-group retry policies are not modelled (the router's applies)",
    "model_group_alias": "aliases are not modelled: requests name their group",
    "redis_host": "shared state across proxy replicas is not modelled: one router, limits per replica",
    "redis_port": "shared state across proxy replicas is not modelled",
    "redis_password": "shared state across proxy replicas is not modelled",
    "redis_url": "shared state across proxy replicas is not modelled",
    "num_retries": "per-deployment retry counts are not modelled (the router's apply)",
    "max_retries": "the provider SDK's own retries: the Router sets them to 0",
    "max_input_tokens": "context windows are not checked: give a failure model with context_window",
    "max_tokens": "context windows are not checked",
}


@dataclass
class LiteLLMImport:
    """The result of an import: the scenario as a mapping (ordinary scenario YAML) and the warnings.

    Parameters:
        scenario: the scenario, as the YAML mapping a scenario file holds.
        warnings: one line per key that was not read, with why.
    """
    scenario: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_yaml(self, source: str = "") -> str:
        """The scenario as YAML text, with a header saying where it came from and what was left out.

        Parameters:
            source: the config it was read from.

        Returns:
            YAML text.
        """
        import yaml

        head = [f"# A simroute scenario imported from the LiteLLM config {source or '(dicts)'} by",
                "# `simroute import litellm`. Edit, sweep and report on it like any other scenario;",
                "# `simroute validate` checks it. docs/litellm.md says how each key was mapped.",
                f"# settings.slo.latency is a p95 goal of {GATEWAY_SLO_S:g} s for the router's calls: set "
                "your own."]
        if self.warnings:
            head.append("# Not modelled (warnings at import):")
            head += [f"#   {w}" for w in self.warnings]
        return "\n".join(head) + "\n" + yaml.safe_dump(self.scenario, sort_keys=False, width=100)


#: the p95 latency goal an imported router gets (a config states none): seconds
GATEWAY_SLO_S = 30.0


class _Reader:
    """Walks a config, checking values and collecting warnings; errors name file, line and key."""

    def __init__(self, file: str, lines: Any) -> None:
        self.file = file
        self.lines = lines
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    def where(self, path: tuple) -> str:
        line = self.lines.line(*path) if self.lines is not None else None
        return f"{self.file}:{line}" if line else self.file

    def warn(self, path: tuple, key: str, why: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self.warnings.append(f"{self.where(path)}: {key}: {why}")

    def error(self, path: tuple, key: str, message: str) -> InputError:
        line = self.lines.line(*path) if self.lines is not None else None
        return InputError(message, file=self.file, line=line, entry=key.rsplit(".", 1)[0] or None,
                          field=key.rsplit(".", 1)[-1])

    def mapping(self, value: Any, path: tuple, key: str) -> Mapping:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(path, key, f"must be a mapping, got {value!r}")
        return value

    def number(self, value: Any, path: tuple, key: str, *, lo: float = 0.0, hi: float | None = None,
               integer: bool = False, lo_open: bool = False) -> Any:
        if value is None:
            return None
        try:  # the one rule for numbers (simroute.schema), as for every scenario setting
            return check_value(int if integer else float, value, {"lo": lo, "hi": hi, "lo_open": lo_open})
        except ValueError as exc:
            raise self.error(path, key, str(exc)) from None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.:-]+", "-", text).strip("-") or "deployment"


def _fallbacks(r: _Reader, value: Any, path: tuple, key: str,
               groups: Mapping[str, Any]) -> dict[str, list[str]]:
    """LiteLLM's ``[{"group": ["fallback", …]}, …]`` (or a mapping) as ``{group: [fallbacks]}``."""
    items: list[tuple[Any, Any, tuple]] = []
    if isinstance(value, Mapping):
        items = [(k, v, path + (k,)) for k, v in value.items()]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, Mapping) or len(item) != 1:
                raise r.error(path + (i,), f"{key}[{i}]",
                              f"must be a one-key mapping {{group: [fallbacks]}}, got {item!r}")
            (k, v), = item.items()
            items.append((k, v, path + (i, k)))
    else:
        raise r.error(path, key, f"must be a list of {{group: [fallbacks]}}, got {value!r}")
    out: dict[str, list[str]] = {}
    for group, chain, where in items:
        chain = [chain] if isinstance(chain, str) else chain
        if not isinstance(chain, list) or not all(isinstance(g, str) for g in chain):
            raise r.error(where, f"{key}.{group}", f"must be a list of model group names, got {chain!r}")
        for g in [group, *chain]:
            if g != ANY_GROUP and g not in groups:
                raise r.error(where, f"{key}.{group}", f"names an unknown model group {g!r} (known: "
                                                       f"{', '.join(sorted(groups))})")
        out[str(group)] = list(chain)
    return out


def import_litellm(config: str | Path | Mapping[str, Any], *, rate: float = 0.5, requests: int = 1000,
                   group: str | None = None, context_tokens: float = 1000.0,
                   generated_tokens: float = 300.0, name: str | None = None) -> LiteLLMImport:
    """Read a LiteLLM config (a proxy ``config.yaml``, or a mapping with ``model_list`` and
    ``router_settings``) and build the scenario (see the module docstring).

    Parameters:
        config: the config file, or its content as a mapping.
        rate: the workload's Poisson arrival rate, in requests per second.
        requests: how many requests.
        group: the model group the requests name (None: the first in ``model_list``).
        context_tokens: each request's input tokens (for per-token prices).
        generated_tokens: each request's output tokens.
        name: the scenario's name (None: from the file name, or ``litellm``).

    Returns:
        A :class:`LiteLLMImport`: the scenario mapping and the warnings.

    Raises:
        InputError: a config that is not a mapping, a deployment without ``model``, a fallback naming
            an unknown group, a negative or non-numeric setting … (one line naming file, line, key).
    """
    from ..common.yamlio import load_yaml

    if isinstance(config, Mapping):
        raw, lines, file = config, None, "<config>"
    else:
        raw, lines = load_yaml(config)
        file = str(config)
    r = _Reader(file, lines)
    if not isinstance(raw, Mapping):
        raise InputError(f"a LiteLLM config is a mapping with model_list, got {type(raw).__name__}",
                         file=file, line=1)
    for section in raw:
        if section not in ("model_list", "router_settings", "litellm_settings"):
            r.warn((section,), str(section), "this section is not modelled")
    model_list = raw.get("model_list")
    if not isinstance(model_list, list) or not model_list:
        raise r.error(("model_list",), "model_list", "must be a non-empty list of deployments")
    router = r.mapping(raw.get("router_settings"), ("router_settings",), "router_settings")
    module = r.mapping(raw.get("litellm_settings"), ("litellm_settings",), "litellm_settings")

    deployments, groups = _deployments(r, model_list, router)
    for key in router:
        if key not in _ROUTER_KEYS:
            r.warn(("router_settings", key), f"router_settings.{key}", _WHY.get(key, "not modelled"))
    for key in module:
        if key not in _LITELLM_KEYS:
            r.warn(("litellm_settings", key), f"litellm_settings.{key}", _WHY.get(key, "not modelled"))

    def setting(key: str, alias: str | None = None) -> tuple[Any, tuple, str]:
        if router.get(key) is not None:
            return router[key], ("router_settings", key), f"router_settings.{key}"
        other = alias or key
        return module.get(other), ("litellm_settings", other), f"litellm_settings.{other}"

    settings: dict[str, Any] = {"breaker": {"enabled": False}}
    # LiteLLM's defaults (RouterSettings declares them), written out so the scenario shows them
    defaults = RouterSettings()
    rs: dict[str, Any] = {key: getattr(defaults, key) for key in
                          ("num_retries", "retry_after", "allowed_fails", "cooldown_time", "max_fallbacks")}
    for key, integer in (("num_retries", True), ("retry_after", False), ("allowed_fails", True),
                         ("cooldown_time", False)):
        v, p, k = setting(key)
        if v is not None:
            rs[key] = r.number(v, p, k, integer=integer)
    if router.get("disable_cooldowns") is not None:
        if not isinstance(router["disable_cooldowns"], bool):
            raise r.error(("router_settings", "disable_cooldowns"), "router_settings.disable_cooldowns",
                          f"must be true or false, got {router['disable_cooldowns']!r}")
        rs["disable_cooldowns"] = router["disable_cooldowns"]
    if router.get("max_fallbacks") is not None:
        rs["max_fallbacks"] = r.number(router["max_fallbacks"], ("router_settings", "max_fallbacks"),
                                       "router_settings.max_fallbacks", integer=True)
    for key, table in (("retry_policy", _RETRY_POLICY), ("allowed_fails_policy", _ALLOWED_FAILS_POLICY)):
        policy = r.mapping(router.get(key), ("router_settings", key), f"router_settings.{key}")
        out: dict[str, int] = {}
        for error_name, value in policy.items():  # (not `name`: that is the scenario's)
            where = ("router_settings", key, error_name)
            if error_name in table:
                if value is not None:
                    for kind in table[error_name]:
                        out[kind] = r.number(value, where, f"router_settings.{key}.{error_name}",
                                             integer=True)
            else:
                r.warn(where, f"router_settings.{key}.{error_name}",
                       _NOT_MODELLED_POLICY.get(error_name, "unknown: not read"))
        if out:
            rs[key] = out
    strategy = router.get("routing_strategy")
    if strategy == "usage-based-routing":
        r.warn(("router_settings", "routing_strategy"), "router_settings.routing_strategy",
               "usage-based-routing (v1) is not modelled: deployments are picked by simple-shuffle "
               "(usage-based-routing-v2 is)")
    elif strategy is not None:
        if not isinstance(strategy, str) or strategy not in STRATEGIES:
            raise r.error(("router_settings", "routing_strategy"), "router_settings.routing_strategy",
                          f"unknown routing strategy {strategy!r} (known: {', '.join(STRATEGIES)}, "
                          f"usage-based-routing)")
        rs["routing_strategy"] = strategy
    args = r.mapping(router.get("routing_strategy_args"), ("router_settings", "routing_strategy_args"),
                     "router_settings.routing_strategy_args")
    for key, target, lo_open in (("lowest_latency_buffer", "lowest_latency_buffer", False),
                                 ("ttl", "latency_ttl", True)):
        if args.get(key) is not None:
            rs[target] = r.number(args[key], ("router_settings", "routing_strategy_args", key),
                                  f"router_settings.routing_strategy_args.{key}", lo_open=lo_open)
    for key in args:
        if key not in ("lowest_latency_buffer", "ttl"):
            r.warn(("router_settings", "routing_strategy_args", key),
                   f"router_settings.routing_strategy_args.{key}", "not read")
    v, p, k = setting("timeout", "request_timeout")
    timeout = r.number(v, p, k, lo_open=True) if v is not None else DEFAULT_TIMEOUT
    settings["timeout"] = {"attempt": timeout}
    settings["router"] = rs
    # a LiteLLM config states no latency goal; the orchestrator's default (an hour) would judge one-second
    # calls against a goal no call can miss: a p95 goal for LLM calls, for the user to set
    settings["slo"] = {"latency": GATEWAY_SLO_S}

    model_groups: dict[str, Any] = {"deployments": deployments}
    chains: dict[str, list[str]] = {}
    v, p, k = setting("fallbacks")
    if v is not None:
        chains.update(_fallbacks(r, v, p, k, groups))
    v, p, k = setting("default_fallbacks")
    if v is not None:
        if isinstance(v, str):
            v = [v]
        chains.update(_fallbacks(r, {ANY_GROUP: v}, p, k, groups))
    if chains:
        model_groups["fallbacks"] = chains
    for key in ("context_window_fallbacks", "content_policy_fallbacks"):
        v, p, k = setting(key)
        if v is not None:
            model_groups[key] = _fallbacks(r, v, p, k, groups)

    first = next(iter(groups))
    target = group if group is not None else first
    if target not in groups:
        raise InputError(f"unknown model group {target!r} (known: {', '.join(groups)})", field="group")
    scenario_name = name or (Path(file).stem if not isinstance(config, Mapping) else "litellm")
    scenario = {
        "name": scenario_name,
        "settings": settings,
        "model_groups": model_groups,
        "workload": {"kind": "poisson", "rate": rate, "requests": requests,
                     "mix": [{"group": target, "context_tokens": context_tokens,
                              "generated_tokens": generated_tokens}]},
    }
    return LiteLLMImport(scenario=scenario, warnings=r.warnings)


def _deployments(r: _Reader, model_list: list,
                 router: Mapping) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    deployments: list[dict[str, Any]] = []
    groups: dict[str, list[str]] = {}
    names: set[str] = set()
    for i, entry in enumerate(model_list):
        base = ("model_list", i)
        if not isinstance(entry, Mapping):
            raise r.error(base, f"model_list[{i}]", f"a deployment is a mapping, got {entry!r}")
        group = entry.get("model_name")
        if not isinstance(group, str) or not group:
            raise r.error(base, f"model_list[{i}].model_name",
                          "missing: every deployment names its model group")
        params = r.mapping(entry.get("litellm_params"), base + ("litellm_params",),
                           f"model_list[{i}].litellm_params")
        info = r.mapping(entry.get("model_info"), base + ("model_info",), f"model_list[{i}].model_info")
        model = params.get("model")
        if not isinstance(model, str) or not model:
            raise r.error(base + ("litellm_params",), f"model_list[{i}].litellm_params.model",
                          "missing: every deployment names its provider model")
        for key in entry:
            if key not in ("model_name", "litellm_params", "model_info", "rpm", "tpm"):
                r.warn(base + (key,), f"model_list[].{key}", _WHY.get(key, "not modelled"))
        name = info.get("id")
        name = _slug(str(name)) if name is not None else f"{_slug(group)}-{len(groups.get(group, [])) + 1}"
        if name in names:
            raise r.error(base + ("model_info", "id"), f"model_list[{i}].model_info.id",
                          f"two deployments are named {name!r}")
        names.add(name)
        groups.setdefault(group, []).append(name)
        d: dict[str, Any] = {"name": name, "group": group, "model": model}

        def num(key: str, value: Any, *, where: tuple, integer: bool = False, lo_open: bool = False,
                hi: float | None = None, i: int = i) -> Any:
            return r.number(value, where, f"model_list[{i}].{'.'.join(str(w) for w in where[2:])}",
                            integer=integer, lo_open=lo_open, hi=hi)

        lp = base + ("litellm_params",)
        for key in ("rpm", "tpm"):
            value = params.get(key, entry.get(key))
            if value is not None:
                d[key] = num(key, value, where=(lp if key in params else base) + (key,), lo_open=True)
        simple = {"timeout": ("timeout_s", True), "stream_timeout": ("stream_timeout_s", True),
                  "weight": ("weight", False), "cooldown_time": ("cooldown_time", False)}
        for key, (target, positive) in simple.items():
            if params.get(key) is not None:
                d[target] = num(key, params[key], where=lp + (key,), lo_open=positive)
        if params.get("max_parallel_requests") is not None:
            d["capacity"] = num("max_parallel_requests", params["max_parallel_requests"],
                                where=lp + ("max_parallel_requests",), integer=True, lo_open=True)
        elif router.get("default_max_parallel_requests") is not None:
            d["capacity"] = r.number(router["default_max_parallel_requests"],
                                     ("router_settings", "default_max_parallel_requests"),
                                     "router_settings.default_max_parallel_requests", integer=True,
                                     lo_open=True)
        for key in ("input_cost_per_token", "output_cost_per_token"):
            if params.get(key) is not None:
                d[key] = num(key, params[key], where=lp + (key,), hi=MAX_TOKEN_PRICE)
            elif info.get(key) is not None:
                d[key] = num(key, info[key], where=base + ("model_info", key), hi=MAX_TOKEN_PRICE)
        read = {"model", "rpm", "tpm", "timeout", "stream_timeout", "weight", "cooldown_time",
                "max_parallel_requests", "input_cost_per_token", "output_cost_per_token"}
        for key in params:
            if key in read:
                continue
            why = ("a connection setting: it does not change what happens to a request" if key in _CONNECTION
                   else _WHY.get(key, "not modelled"))
            r.warn(lp + (key,), f"model_list[].litellm_params.{key}", why)
        for key in info:
            if key not in ("id", "input_cost_per_token", "output_cost_per_token"):
                r.warn(base + ("model_info", key), f"model_list[].model_info.{key}",
                       _WHY.get(key, "not modelled"))
        deployments.append(d)
    return deployments, groups


def mapping_reference() -> str:
    """:data:`MAPPING` as a Markdown table (``docs/litellm.md``).

    Returns:
        Markdown text.
    """
    rows = ["| LiteLLM key | scenario field | note |", "|---|---|---|"]
    rows += [f"| `{a}` | `{b}` | {c} |" for a, b, c in MAPPING]
    return "\n".join(rows) + "\n"
