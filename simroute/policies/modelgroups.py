"""Model groups: an LLM router's deployments, the groups requests name, and their fallback chains.

A scenario's ``model_groups:`` section (``simroute import litellm`` writes one from a LiteLLM
config) describes a router in the LiteLLM Router's terms::

    model_groups:
      deployments:            # each one a plugin of the scenario's catalog
        - {name: gpt-4o-east, group: gpt-4o, model: azure/gpt-4o, rpm: 600, timeout_s: 60,
           input_cost_per_token: 2.5e-6, output_cost_per_token: 1.0e-5,
           service: {default: {dist: lognormal, mean_s: 2, cv: 0.5}}}
        - {name: claude, group: claude, model: anthropic/claude-sonnet-4}
      fallbacks: {gpt-4o: [claude]}            # any failure; "*": every group without its own
      context_window_fallbacks: {}             # a context_window failure (else: fallbacks)
      content_policy_fallbacks: {}             # a content_policy failure (else: fallbacks)

and a workload's mix entries name a group (``{group: gpt-4o}``). How such a request is served —
retries in the group, cooldowns, fallbacks — is :mod:`simroute.engine.grouprouter`; its settings
are ``settings.router`` (:class:`~simroute.io.settings.RouterSettings`).

A deployment's fields: ``name`` (unique: the plugin's name), ``group``, ``model`` (the provider's
model, for reference), ``weight`` (its share of picks; without weights the picks follow ``rpm``,
then ``tpm``, else are uniform, as LiteLLM's simple shuffle does), ``capacity`` (calls at once;
default 1000), ``rpm`` / ``tpm`` (the provider's limits: calls beyond them get a 429),
``timeout_s``, ``stream_timeout_s`` (for requests marked ``stream: true``), ``cooldown_time``
(seconds; see :mod:`simroute.resilience.cooldown`), ``input_cost_per_token`` / ``output_cost_per_token``
(dollars), ``service`` (the call's latency; default lognormal, mean 2 s, cv 0.5), ``failure_p``
and ``failure`` (as any plugin's), and the prices of its capacity for the report's capacity plan:
``slot_price`` (dollars per hour per call at once; default 0), ``rpm_price`` (dollars per hour per
request per minute of quota; default 0) and ``tpm_price`` (dollars per hour per 1,000 tokens per
minute; default 0) — 0 where a pay-per-token provider raises quota for nothing but the calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..common.distributions import ServiceTime
from ..common.errors import InputError, did_you_mean
from ..common.yamlio import Fields
from ..resilience.failure import CONTENT_POLICY, CONTEXT_WINDOW
from .catalog import Catalog, ModelTier, Plugin, parse_plugin_resilience, parse_service, plugin_number

__all__ = ["ModelGroups", "Deployment", "parse_model_groups", "DEFAULT_LATENCY", "DEFAULT_CAPACITY",
           "ANY_GROUP", "MAX_TOKEN_PRICE"]

MAX_TOKEN_PRICE = 1.0  #: dollars per token at most (past it: a typo, that would overflow per million)

DEFAULT_LATENCY = ServiceTime(dist="lognormal", mean=2.0, cv=0.5)  #: a deployment's call latency
DEFAULT_CAPACITY = 1000  #: a deployment's calls at once, when its config does not limit them
ANY_GROUP = "*"  #: a fallbacks key for every group without its own (LiteLLM's default_fallbacks)
#: a deployment's fields: name → (type, default, unit, meaning) — the reference page's table; a field
#: not listed here is refused when the scenario loads
DEPLOYMENT_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "name": ("str", "required", "", "the deployment, unique among deployments and plugins"),
    "group": ("str", "required", "", "the model group it serves (mix entries name groups)"),
    "model": ("str", "\"\"", "", "the provider's model, for reference"),
    "weight": ("float", "null", "share", "its share of picks (null: by rpm, then tpm, else uniform)"),
    "capacity": ("int", str(DEFAULT_CAPACITY), "calls", "calls served at once (LiteLLM's "
                 "max_parallel_requests); more wait in line"),
    "rpm": ("float", "null", "requests/min", "the provider's request quota: a call beyond it gets a 429"),
    "tpm": ("float", "null", "tokens/min", "the provider's token quota (context + generated tokens)"),
    "timeout_s": ("float", "settings.timeout.attempt", "s", "a call's timeout"),
    "stream_timeout_s": ("float", "null (timeout_s)", "s", "for streaming requests: the wait for the "
                         "first token"),
    "cooldown_time": ("float", "null (settings.router.cooldown_time)", "s", "its own cooldown after "
                      "failures"),
    "input_cost_per_token": ("float", "0", "$/token", "price of a context token"),
    "output_cost_per_token": ("float", "0", "$/token", "price of a generated token"),
    "service": ("mapping", "lognormal, mean 2 s, cv 0.5", "", "task kind → latency distribution "
                "(`default` required; `dist: llm` is token-aware)"),
    "failure_p": ("float", "0", "share", "probability that a call fails"),
    "failure": ("mapping", "errors only", "", "failure kinds and shares, error latency, hang time, "
                "Retry-After (as a plugin's)"),
    "slot_price": ("float", "0", "$/hour per call at once", "price of capacity, for the capacity plan"),
    "rpm_price": ("float", "0", "$/hour per rpm", "price of rpm quota, for the capacity plan"),
    "tpm_price": ("float", "0", "$/hour per 1k tpm", "price of tpm quota, for the capacity plan"),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Deployment:
    """A deployment's router facts (its serving facts are its :class:`~simroute.policies.catalog.Plugin`).

    Parameters:
        name: the deployment (and plugin) name.
        group: the model group it serves.
        model: the provider's model, for reference.
        weight: its share of picks (None: by rpm, then tpm, else uniform).
        rpm: its requests-per-minute limit (None: none), also a pick weight.
        tpm: its tokens-per-minute limit (None: none), also a pick weight.
        cooldown_time: its own cooldown time, in seconds (None: the router's).
        stream_timeout_s: the timeout of streaming requests, in seconds (None: ``timeout_s``).
    """
    name: str
    group: str
    model: str = ""
    weight: float | None = None
    rpm: float | None = None
    tpm: float | None = None
    cooldown_time: float | None = None
    stream_timeout_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class ModelGroups:
    """The deployments, the model groups and the fallback chains of a router.

    Parameters:
        deployments: name → :class:`Deployment`, in the config's order.
        fallbacks: group (or ``"*"``) → the groups to try, in order, after any failure.
        context_window_fallbacks: group → groups for a ``context_window`` failure.
        content_policy_fallbacks: group → groups for a ``content_policy`` failure.
    """
    deployments: Mapping[str, Deployment] = field(default_factory=dict)
    fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context_window_fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    content_policy_fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        groups: dict[str, list[str]] = {}
        for name, d in self.deployments.items():
            groups.setdefault(d.group, []).append(name)
        object.__setattr__(self, "groups", MappingProxyType({g: tuple(v) for g, v in groups.items()}))
        for what in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
            chains = getattr(self, what)
            for key, chain in chains.items():
                if key != ANY_GROUP and key not in self.groups:
                    raise InputError(f"unknown model group {key!r} (known: {', '.join(self.groups)})",
                                     field=what)
                for g in chain:
                    if g not in self.groups:
                        raise InputError(f"{key}: unknown model group {g!r} (known: "
                                         f"{', '.join(self.groups)})", field=what)
            object.__setattr__(self, what, MappingProxyType({k: tuple(v) for k, v in chains.items()}))

    groups: Mapping[str, tuple[str, ...]] = field(init=False)  #: group → its deployments

    def __bool__(self) -> bool:
        return bool(self.deployments)

    def fallbacks_for(self, group: str, kind: str | None) -> tuple[str, ...]:
        """The groups to try after ``group`` failed with ``kind``, as LiteLLM chooses them: a
        context window or content policy failure goes down its own chains when the router has any
        (none for this group: no fallback), else down the group's ``fallbacks`` (or ``"*"``'s).

        Parameters:
            group: the group that failed.
            kind: the failure kind of its first failed attempt (None: no deployment was available).

        Returns:
            The fallback groups, in order.
        """
        special = {CONTEXT_WINDOW: self.context_window_fallbacks,
                   CONTENT_POLICY: self.content_policy_fallbacks}.get(kind or "")
        if special:
            return special.get(group, ())
        chain = self.fallbacks.get(group)
        return chain if chain is not None else self.fallbacks.get(ANY_GROUP, ())

    def weights(self, group: str) -> tuple[float, ...] | None:
        """The pick weights of a group's deployments (None: uniform), as LiteLLM's simple shuffle
        chooses them: ``weight`` if any deployment has one, else ``rpm``, else ``tpm``."""
        deps = [self.deployments[n] for n in self.groups[group]]
        for attr in ("weight", "rpm", "tpm"):
            values = [getattr(d, attr) for d in deps]
            if any(v is not None for v in values):
                return tuple(float(v) if v is not None else 0.0 for v in values)
        return None


def _chains(f: Fields, name: str) -> dict[str, tuple[str, ...]]:
    raw = f.mapping(name, {})
    out = {}
    for key, chain in raw.items():
        if isinstance(chain, str) or not isinstance(chain, list) or \
                not all(isinstance(g, str) for g in chain):
            raise f.error(f"{name}.{key}", f"must be a list of model group names, got {chain!r}")
        out[str(key)] = tuple(chain)
    return out


def parse_model_groups(raw: Any, catalog: Catalog, *, file: str, lines: Any) -> tuple[Catalog, ModelGroups]:
    """The ``model_groups:`` section: the catalog with a plugin (and a priced tier) per deployment,
    and the :class:`ModelGroups`.

    Parameters:
        raw: the section.
        catalog: the scenario's catalog.
        file: the scenario file (for error messages).
        lines: its line index.

    Returns:
        ``(catalog, model_groups)``.

    Raises:
        InputError: a bad entry (the message names the file, line, entry and field).
    """
    f = Fields(raw, file=file, entry="model_groups", lines=lines, path=("model_groups",))
    items = f.get("deployments")
    if not isinstance(items, list) or not items:
        raise f.error("deployments", "must be a non-empty list of deployments")
    plugins = dict(catalog.plugins)
    tiers = dict(catalog.tiers)
    deployments: dict[str, Deployment] = {}
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, Mapping) else None
        g = Fields(item, file=file, entry=f"model_groups.deployments[{i}]" + (f" ({name})" if name else ""),
                   lines=lines, path=("model_groups", "deployments", i))
        for key in item if isinstance(item, Mapping) else ():
            if key not in DEPLOYMENT_FIELDS:
                raise g.error(str(key), "unknown field" + did_you_mean(key, DEPLOYMENT_FIELDS))
        name = g.str("name")
        if name in plugins:
            raise g.error("name", f"{name!r} is already a plugin or deployment")
        tier = f"deployment:{name}"
        tiers[tier] = ModelTier(
            name=tier, rank=len(tiers), price=0.0,
            input_per_mtok=g.number("input_cost_per_token", 0.0, lo=0, hi=MAX_TOKEN_PRICE) * 1e6,
            output_per_mtok=g.number("output_cost_per_token", 0.0, lo=0, hi=MAX_TOKEN_PRICE) * 1e6)
        resilience = parse_plugin_resilience(g)
        deployment = Deployment(
            name=name, group=g.str("group"), model=g.str("model", ""), weight=g.number("weight", None, lo=0),
            rpm=resilience.get("rpm"), tpm=resilience.get("tpm"),
            cooldown_time=g.number("cooldown_time", None, lo=0),
            stream_timeout_s=g.number("stream_timeout_s", None, lo=0, lo_open=True))
        plugins[name] = Plugin(
            name=name, description=f"{deployment.model or name} in model group {deployment.group}",
            capacity=plugin_number(g, "capacity", DEFAULT_CAPACITY),
            service=parse_service(g) if g.has("service") else {"default": DEFAULT_LATENCY},
            failure_p=plugin_number(g, "failure_p", 0.0), slot_price=plugin_number(g, "slot_price", 0.0),
            rpm_price=plugin_number(g, "rpm_price", 0.0), tpm_price=plugin_number(g, "tpm_price", 0.0),
            default_tier=tier, **resilience)
        deployments[name] = deployment
        g.finish()
    try:
        groups = ModelGroups(deployments=deployments, fallbacks=_chains(f, "fallbacks"),
                             context_window_fallbacks=_chains(f, "context_window_fallbacks"),
                             content_policy_fallbacks=_chains(f, "content_policy_fallbacks"))
    except InputError as exc:
        raise f.error(exc.field, exc.message) from None
    f.finish()
    return catalog.replace(plugins=plugins, tiers=tiers), groups
