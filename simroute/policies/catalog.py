"""The catalog: plugins, agents, model tiers and the classifier's lexicon, as frozen data.

``load_catalog()`` reads the bundled YAML in ``simroute/data/catalog/`` (``plugins.yaml``, ``agents.yaml``,
``tiers.yaml``, ``lexicon.yaml``); ``load_catalog(path)`` reads another directory of the same four
files, or one YAML file holding the four sections as top-level keys. Everything is validated once,
here: a bad value raises :class:`~simroute.common.errors.InputError` naming the file, line, entry and
field. Durations are stored in seconds (the YAML says minutes where its field name ends in ``_min``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from ..common.distributions import ServiceTime
from ..common.errors import InputError, did_you_mean
from ..common.schema import build, check_value, service_time
from ..common.yamlio import Fields, Lines, load_yaml
from ..resilience.failure import FailureModel
from .words import description_words

__all__ = [
    "ModelTier", "Plugin", "Agent", "Term", "PhaseTemplate", "Lexicon", "Catalog",
    "load_catalog", "data_dir", "SECTIONS", "parse_plugin_resilience", "PLUGIN_NUMBERS",
    "check_plugin_number",
]

SECTIONS = ("tiers", "lexicon", "plugins", "agents")


def data_dir() -> Path:
    """The bundled data: ``simroute/data`` inside the installed package (catalog, scenarios,
    plans, traces); ``$SIMROUTE_DATA`` points at another copy."""
    env = os.environ.get("SIMROUTE_DATA")
    return Path(env) if env else Path(str(resources.files("simroute") / "data"))


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelTier:
    """A model tier and its price. ``price`` is dollars per agent task (the seed's unit); the
    optional per-million-token prices are used for trace-driven requests that carry tokens.

    Parameters:
        name: the tier's name (opus, sonnet, haiku, cached …).
        rank: 0 is the most capable; downgrading moves to rank + 1.
        price: dollars per agent task.
        input_per_mtok: dollars per million input tokens (None: priced per task only).
        output_per_mtok: dollars per million output tokens (None: priced per task only).
        cached: a cache hit rather than a model (a flat price that effort does not scale).
    """

    name: str
    rank: int  #: 0 = most capable; downgrading moves to rank + 1
    price: float
    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    cached: bool = False  #: a cache hit rather than a model (flat price, effort does not scale it)

    def task_cost(self, effort: float = 1.0) -> float:
        """Dollars for one agent task of relative size ``effort`` (cached: flat ``price``)."""
        return self.price if self.cached else self.price * effort

    def token_cost(self, input_tokens: float, output_tokens: float) -> float | None:
        """Dollars for a call with these token counts, or None without per-token prices."""
        if self.input_per_mtok is None or self.output_per_mtok is None:
            return None
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


@dataclass(frozen=True, kw_only=True, slots=True)
class Plugin:
    """A plugin of the catalog: what it serves, its capacity, speed and failure behaviour.

    Parameters:
        name: unique plugin name.
        description: one line about what it does.
        role: ``plugin``, or ``orchestrator`` for the built-in degradation path (exactly one).
        domains: domains it serves (scored).
        contexts: technologies it knows (scored).
        patterns: patterns it implements (scored).
        keywords: its registry keywords.
        priority: 0–100; the score is multiplied by priority / 100.
        availability: 0–1; the score is multiplied by it.
        capacity: concurrent tasks (slots).
        service: task kind → service-time model (``default`` required).
        failure_p: probability that an attempt fails.
        fallbacks: the plugins its phases fall back to, in order.
        default_tier: the model tier of its agents whose tier is ``inherit``.
        subscribes: bus topic patterns it listens to besides its own requests.
        failure: how an attempt fails (:class:`~simroute.resilience.failure.FailureModel`).
        timeout_s: the caller's per-attempt timeout on this plugin, in seconds (None: the setting's).
        rpm: requests-per-minute limit (None: none).
        tpm: tokens-per-minute limit, counting each call's context and generated tokens (None: none).
        slot_price: dollars per slot-hour: what one unit of capacity costs to run (the report's
            capacity plan prices the slots it recommends with it).
        rpm_price: dollars per hour for each request per minute of ``rpm`` quota (the report's
            capacity plan prices a quota raise with it; 0: raising the quota costs nothing but the
            calls, as with pay-per-token providers).
        tpm_price: dollars per hour for each 1,000 tokens per minute of ``tpm`` quota (as ``rpm_price``).
        guard_order: the order an attempt meets this plugin's guards in (names; empty: the
            ``guard_order`` setting's); guards not listed follow in their registered order.
    """
    name: str
    description: str = ""
    role: str = "plugin"  #: "plugin", or "orchestrator" for the built-in degradation path
    domains: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    priority: float = 50.0  #: 0–100; the score is multiplied by priority / 100
    availability: float = 1.0  #: 0–1; the score is multiplied by it
    capacity: int = 1  #: concurrent tasks
    service: Mapping[str, ServiceTime] = field(default_factory=dict)  #: task kind → model
    failure_p: float = 0.0  #: probability that one attempt fails
    fallbacks: tuple[str, ...] = ()
    default_tier: str = "sonnet"  #: the tier of agents whose tier is "inherit"
    subscribes: tuple[str, ...] = ()  #: bus topic patterns it listens to (besides its requests)
    failure: FailureModel = field(default_factory=FailureModel)  #: how an attempt fails
    timeout_s: float | None = None  #: the caller's per-attempt timeout here (None: the setting's)
    rpm: float | None = None  #: requests-per-minute limit (None: none)
    tpm: float | None = None  #: tokens-per-minute limit (a call's context + generated tokens)
    slot_price: float = 0.5  #: dollars per slot-hour (capacity cost)
    rpm_price: float = 0.0  #: dollars per hour per request-per-minute of quota
    tpm_price: float = 0.0  #: dollars per hour per 1,000 tokens-per-minute of quota
    guard_order: tuple[str, ...] = ()  #: its guards' order (empty: the settings')

    def service_for(self, kind: str | None = None) -> ServiceTime:
        """The service-time model for a task kind, falling back to ``default``."""
        if kind is not None and kind in self.service:
            return self.service[kind]
        return self.service["default"]

    def service_models(self) -> tuple[ServiceTime, ...]:
        """Every service-time model an attempt here may draw from: each task kind's, and the
        latency of a fast failure."""
        return (*self.service.values(), self.failure.error_latency)


@dataclass(frozen=True, kw_only=True, slots=True)
class Agent:
    """An agent of a plugin: a specialist (or coordinator) with capabilities and a model tier.

    Parameters:
        plugin: the plugin the agent belongs to.
        name: its name, unique within the plugin (``id`` is ``plugin::name``).
        category: what kind of work it does (the registry's category).
        capabilities: capability tags matched against a request's domains and patterns.
        keywords: words matched against a request's keywords.
        model_tier: the model tier it runs on, or ``inherit`` (the plugin's default tier).
        success_rate: probability that its task succeeds (0–1).
        availability: fraction of time it is available (0–1).
        avg_duration: mean duration of its task, in seconds.
        role: ``specialist`` or ``coordinator``.
    """
    plugin: str
    name: str
    category: str
    capabilities: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    model_tier: str = "sonnet"
    success_rate: float = 0.95
    availability: float = 1.0
    avg_duration: float = 600.0  #: seconds
    role: str = "specialist"  #: "specialist" or "coordinator"

    @property
    def id(self) -> str:
        """``plugin::name``, unique across the registry."""
        return f"{self.plugin}::{self.name}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Term:
    """What one word of a request means to the classifier."""

    word: str
    domains: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    implied_contexts: tuple[str, ...] = ()  #: contexts it implies (react → jsx), not searched for
    patterns: tuple[str, ...] = ()
    keyword: bool = False  #: reported among the request's keywords
    complex: bool = False  #: makes a request COMPLEX (architecture, refactor, migration …)
    urgency: int | None = None  #: sets the urgency (urgent, asap, hotfix …)


@dataclass(frozen=True, kw_only=True, slots=True)
class PhaseTemplate:
    """A unit of collaboration work triggered by some domains (Backend, Authentication …)."""

    name: str
    title: str
    domains: tuple[str, ...]
    duration: float  #: seconds
    tasks: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()  #: names of templates whose output it needs
    kind: str = "default"  #: task kind for the plugin's service-time model


@dataclass(frozen=True, kw_only=True, slots=True)
class Lexicon:
    domains: tuple[str, ...]
    domain_aliases: Mapping[str, str]
    terms: Mapping[str, Term]
    phases: tuple[PhaseTemplate, ...]
    default_urgency: int = 5
    complex_min_domains: int = 3
    moderate_min_domains: int = 2
    simple_duration: float = 600.0  #: seconds, when no phase template applies
    #: phrase → the vocabulary terms it stands for (read only by the ``catalog`` vocabulary; see
    #: :mod:`simroute.policies.vocabulary`)
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def canonical_domain(self, name: str) -> str:
        return self.domain_aliases.get(name, name)


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """Plugins, agents, model tiers and lexicon. Immutable; derive variants with :meth:`replace`.

    Parameters:
        plugins: plugin name → :class:`Plugin`.
        agents: every agent of every plugin.
        tiers: tier name → :class:`ModelTier`.
        lexicon: the classifier's terms, domains and phase templates.
        source: where it was read from (for error messages).
    """

    plugins: Mapping[str, Plugin]
    agents: tuple[Agent, ...]
    tiers: Mapping[str, ModelTier]
    lexicon: Lexicon
    source: str = "<code>"
    #: data derived from the catalog once and kept with it (the classifier's vocabulary); a copy
    #: made by :meth:`replace` starts empty
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"Catalog({len(self.plugins)} plugins, {len(self.agents)} agents, "
                f"tiers {'/'.join(self.tiers)}, {len(self.lexicon.terms)} terms, from {self.source})")

    def plugin(self, name: str) -> Plugin:
        """The plugin called ``name``; an unknown name is an :class:`InputError`."""
        try:
            return self.plugins[name]
        except KeyError:
            raise InputError(f"unknown plugin {name!r}{did_you_mean(name, self.plugins)}",
                             file=self.source) from None

    @cached_property
    def orchestrator(self) -> Plugin:
        """The plugin with role ``orchestrator`` (the built-in degradation path)."""
        return next(p for p in self.plugins.values() if p.role == "orchestrator")

    def agents_of(self, plugin: str) -> tuple[Agent, ...]:
        return tuple(a for a in self.agents if a.plugin == plugin)

    def agent(self, ref: str) -> Agent:
        """An agent by ``plugin::name`` or by a name that is unique in the registry."""
        found = [a for a in self.agents if a.id == ref] or [a for a in self.agents if a.name == ref]
        if len(found) != 1:
            what = "unknown" if not found else "ambiguous (give plugin::name)"
            raise InputError(f"{what} agent {ref!r}", file=self.source)
        return found[0]

    def tier(self, name: str, plugin: str | None = None) -> ModelTier:
        """A model tier; ``inherit`` resolves to ``plugin``'s default tier."""
        if name == "inherit":
            name = self.plugin(plugin).default_tier if plugin else "sonnet"
        try:
            return self.tiers[name]
        except KeyError:
            raise InputError(f"unknown model tier {name!r}", file=self.source) from None

    def tier_of(self, agent: Agent) -> ModelTier:
        return self.tier(agent.model_tier, agent.plugin)

    def tier_below(self, name: str) -> ModelTier | None:
        """The next cheaper non-cached tier, or None at the bottom."""
        rank = self.tiers[name].rank
        lower = sorted((t for t in self.tiers.values() if t.rank > rank and not t.cached),
                       key=lambda t: t.rank)
        return lower[0] if lower else None

    @property
    def cached_tier(self) -> ModelTier | None:
        return next((t for t in self.tiers.values() if t.cached), None)

    def replace(self, **changes: Any) -> Catalog:
        """A copy with some fields replaced (re-validated)."""
        new = replace(self, **changes)
        _check_references(new)
        return new

    def with_plugin(self, name: str, **changes: Any) -> Catalog:
        """A copy where plugin ``name`` has some fields changed (capacity, failure_p …)."""
        old = self.plugin(name)
        plugins = dict(self.plugins)
        try:
            plugins[name] = replace(old, **changes)
        except TypeError as exc:
            raise InputError(str(exc), entry=f"plugin {name}") from None
        return self.replace(plugins=plugins)


# ----------------------------------------------------------------------------- loading


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog (see the module docstring for the layouts).

    Parameters:
        path: a directory of the four YAML files, or one YAML file with the four sections (None: the
            bundled catalog).

    Returns:
        The validated :class:`Catalog`.

    Raises:
        InputError: a file that cannot be read or parsed, or a value that does not validate (the
            message names the file, line, entry and field).
    """
    path = Path(path) if path is not None else data_dir() / "catalog"
    if path.is_dir():
        sources = {s: load_yaml(path / f"{s}.yaml") + (str(path / f"{s}.yaml"), (s,)) for s in SECTIONS}
        for name, (data, _lines, file, _) in sources.items():
            if not isinstance(data, Mapping) or name not in data:
                raise InputError(f"missing top-level key '{name}'", file=file, line=1)
    else:
        data, lines = load_yaml(path)
        if not isinstance(data, Mapping):
            raise InputError("must be a mapping with keys " + ", ".join(SECTIONS), file=str(path))
        for name in SECTIONS:
            if name not in data:
                raise InputError(f"missing top-level key '{name}'", file=str(path), line=1)
        sources = {s: (data, lines, str(path), (s,)) for s in SECTIONS}

    def section(name: str) -> tuple[Any, Lines, str, tuple]:
        data, lines, file, key = sources[name]
        return data[name], lines, file, key

    tiers = _parse_tiers(*section("tiers"))
    lexicon = _parse_lexicon(*section("lexicon"))
    plugins = _parse_plugins(*section("plugins"), lexicon=lexicon)
    agents = _parse_agents(*section("agents"))
    catalog = Catalog(plugins=plugins, agents=agents, tiers=tiers, lexicon=lexicon, source=str(path))
    _check_references(catalog, sources)
    return catalog


def _items(raw: Any, lines: Lines, file: str, key: tuple, what: str) -> Iterable[tuple[int, Any]]:
    if not isinstance(raw, list) or not raw:
        raise InputError(f"must be a non-empty list of {what}", file=file, line=lines.line(*key),
                         field=key[-1])
    return enumerate(raw)


def _entry_name(item: Any, i: int, section: str) -> str:
    name = item.get("name") if isinstance(item, Mapping) else None
    return f"{section}[{i}] ({name})" if isinstance(name, str) else f"{section}[{i}]"


def _parse_tiers(raw: Any, lines: Lines, file: str, key: tuple) -> dict[str, ModelTier]:
    tiers: dict[str, ModelTier] = {}
    for i, item in _items(raw, lines, file, key, "model tiers"):
        f = Fields(item, file=file, entry=_entry_name(item, i, "tiers"), lines=lines, path=key + (i,))
        name = f.str("name")
        if name in tiers or name == "inherit":
            raise f.error("name", f"duplicate or reserved tier name {name!r}")
        tiers[name] = ModelTier(
            name=name, rank=i, price=f.number("price", lo=0),
            input_per_mtok=f.number("input_per_mtok", None, lo=0),
            output_per_mtok=f.number("output_per_mtok", None, lo=0),
            cached=f.boolean("cached", False),
        )
        f.finish()
    return tiers


def _parse_lexicon(raw: Any, lines: Lines, file: str, key: tuple) -> Lexicon:
    f = Fields(raw, file=file, entry="lexicon", lines=lines, path=key)
    domains = f.strings("domains")
    aliases = dict(f.mapping("domain_aliases", {}))
    known = set(domains)

    def check_domains(g: Fields, name: str) -> tuple[str, ...]:
        values = tuple(aliases.get(d, d) for d in g.strings(name, ()))
        for d in values:
            if d not in known:
                raise g.error(name, f"unknown domain {d!r} (not in lexicon.domains)")
        return values

    terms: dict[str, Term] = {}
    for word, spec in f.mapping("terms").items():
        g = Fields(spec, file=file, entry=f"lexicon.terms.{word}", lines=lines, path=key + ("terms", word))
        terms[str(word).lower()] = Term(
            word=str(word).lower(), domains=check_domains(g, "domains"),
            contexts=g.strings("contexts", ()), implied_contexts=g.strings("implied_contexts", ()),
            patterns=g.strings("patterns", ()), keyword=g.boolean("keyword", False),
            complex=g.boolean("complex", False),
            urgency=g.number("urgency", None, lo=0, hi=10, integer=True),
        )
        g.finish()
    phases = []
    for i, item in enumerate(f.list("phases")):
        g = Fields(item, file=file, entry=_entry_name(item, i, "lexicon.phases"), lines=lines,
                   path=key + ("phases", i))
        phases.append(PhaseTemplate(
            name=g.str("name"), title=g.str("title"), domains=check_domains(g, "domains"),
            duration=60.0 * g.number("duration_min", lo=0, lo_open=True),
            tasks=g.strings("tasks", ()), depends_on=g.strings("depends_on", ()),
            kind=g.str("kind", "default"),
        ))
        g.finish()
    _check_acyclic({p.name: p.depends_on for p in phases}, file=file, what="lexicon.phases",
                   line=lines.line(*key, "phases"))
    lex = Lexicon(
        domains=domains, domain_aliases=aliases, terms=terms, phases=tuple(phases),
        default_urgency=f.number("default_urgency", 5, lo=0, hi=10, integer=True),
        complex_min_domains=f.number("complex_min_domains", 3, lo=1, integer=True),
        moderate_min_domains=f.number("moderate_min_domains", 2, lo=1, integer=True),
        simple_duration=60.0 * f.number("simple_duration_min", 10, lo=0, lo_open=True),
        synonyms=_parse_synonyms(f.mapping("synonyms", {}), f),
    )
    f.finish()
    return lex


def _parse_synonyms(raw: Mapping, f: Fields) -> dict[str, tuple[str, ...]]:
    """``phrase: term`` or ``phrase: [term, …]``; phrases are lower-cased (targets are checked against
    the whole vocabulary once the plugins and agents are read: :func:`_check_references`)."""
    out: dict[str, tuple[str, ...]] = {}
    for phrase, targets in raw.items():
        values = [targets] if isinstance(targets, str) else targets
        if (not isinstance(phrase, str) or not phrase.strip() or not isinstance(values, list) or not values
                or not all(isinstance(v, str) and v.strip() for v in values)):
            raise f.error(f"synonyms.{phrase}", "a synonym is a phrase mapped to a term or a non-empty "
                          "list of terms")
        out[" ".join(phrase.lower().split())] = tuple(v.strip().lower() for v in values)
    return out


def _check_acyclic(graph: Mapping[str, Iterable[str]], *, file: str | None, what: str,
                   line: int | None = None) -> None:
    """Unknown or cyclic dependencies in ``graph`` (node → prerequisites) are an InputError."""
    for node, deps in graph.items():
        for d in deps:
            if d not in graph:
                raise InputError(f"depends on unknown {d!r}", file=file, line=line,
                                 entry=f"{what} {node}", field="depends_on")
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " -> ".join(trail[trail.index(node):] + [node])
            raise InputError(f"cyclic dependencies: {cycle}", file=file, line=line,
                             entry=f"{what} {node}", field="depends_on")
        state[node] = 1
        for d in graph[node]:
            visit(d, trail + [node])
        state[node] = 2

    for node in graph:
        visit(node, [])


def parse_service(g: Fields) -> dict[str, ServiceTime]:
    raw = g.mapping("service")
    out = {}
    for kind, spec in raw.items():
        h = Fields(spec, file=g.file, entry=f"{g.entry} service.{kind}", lines=g.lines,
                   path=g.path + ("service", kind))
        try:
            out[str(kind)] = service_time(spec)
        except InputError as exc:
            raise h.error(exc.field, exc.message) from None
    if "default" not in out:
        raise g.error("service", "needs a 'default' task kind")
    return out


#: a plugin's numeric fields and their bounds (``Fields.number`` keywords), checked alike by the
#: catalog, scenario overrides and parameter paths; ``None`` (off) is allowed where ``optional``
PLUGIN_NUMBERS: dict[str, dict[str, Any]] = {
    "priority": {"lo": 0, "hi": 100},
    "availability": {"lo": 0, "hi": 1},
    "capacity": {"lo": 1, "integer": True},
    "failure_p": {"lo": 0, "hi": 1},
    "timeout_s": {"lo": 0, "lo_open": True, "optional": True},
    "rpm": {"lo": 0, "lo_open": True, "optional": True},
    "tpm": {"lo": 0, "lo_open": True, "optional": True},
    "slot_price": {"lo": 0},
    "rpm_price": {"lo": 0},
    "tpm_price": {"lo": 0},
}


def plugin_number(g: Fields, name: str, default: Any = ...) -> Any:
    """Plugin field ``name`` of entry ``g``, checked by :data:`PLUGIN_NUMBERS`."""
    bounds = {k: v for k, v in PLUGIN_NUMBERS[name].items() if k != "optional"}
    return g.number(name, None if PLUGIN_NUMBERS[name].get("optional") else default, **bounds)


def check_plugin_number(name: str, value: Any) -> Any:
    """``value`` for plugin field ``name``, checked by :data:`PLUGIN_NUMBERS` (``ValueError``)."""
    spec = PLUGIN_NUMBERS[name]
    tp: Any = int if spec.get("integer") else float
    return check_value(tp | None if spec.get("optional") else tp, value, spec)


def parse_plugin_resilience(g: Fields, base: Plugin | None = None) -> dict[str, Any]:
    """The resilience fields of a plugin entry that are present: ``failure`` (a
    :class:`~simroute.resilience.failure.FailureModel`; in an override, changes to ``base``'s), ``timeout_s``,
    ``rpm`` and ``tpm`` (``null`` or a positive number)."""
    out: dict[str, Any] = {}
    if g.has("failure"):
        raw = g.mapping("failure")
        try:
            model = build(FailureModel, raw)
            if base is not None:  # an override changes the fields it names, keeps the base's others
                model = replace(base.failure, **{k: getattr(model, k) for k in raw})
        except InputError as exc:
            field_path = f"failure.{exc.field}" if exc.field else "failure"
            raise g.error(field_path, exc.message) from None
        out["failure"] = model
    for name in ("timeout_s", "rpm", "tpm"):
        if g.has(name):
            out[name] = plugin_number(g, name)
    return out


def _parse_plugins(raw: Any, lines: Lines, file: str, key: tuple, *, lexicon: Lexicon) -> dict[str, Plugin]:
    plugins: dict[str, Plugin] = {}
    for i, item in _items(raw, lines, file, key, "plugins"):
        f = Fields(item, file=file, entry=_entry_name(item, i, "plugins"), lines=lines, path=key + (i,))
        name = f.str("name")
        if name in plugins:
            raise f.error("name", f"duplicate plugin {name!r}")
        domains = tuple(lexicon.canonical_domain(d) for d in f.strings("domains", ()))
        for d in domains:
            if d not in lexicon.domains:
                raise f.error("domains", f"unknown domain {d!r} (not in lexicon.domains)")
        role = f.str("role", "plugin")
        if role not in ("plugin", "orchestrator"):
            raise f.error("role", f"must be 'plugin' or 'orchestrator', got {role!r}")
        plugins[name] = Plugin(
            name=name, description=f.str("description", ""), role=role, domains=domains,
            contexts=f.strings("contexts", ()), patterns=f.strings("patterns", ()),
            keywords=f.strings("keywords", ()), priority=plugin_number(f, "priority"),
            availability=plugin_number(f, "availability"),
            capacity=plugin_number(f, "capacity"), service=parse_service(f),
            failure_p=plugin_number(f, "failure_p", 0.0), slot_price=plugin_number(f, "slot_price", 0.5),
            rpm_price=plugin_number(f, "rpm_price", 0.0), tpm_price=plugin_number(f, "tpm_price", 0.0),
            fallbacks=f.strings("fallbacks", ()),
            default_tier=f.str("default_tier", "sonnet"), subscribes=f.strings("subscribes", ()),
            guard_order=f.strings("guard_order", ()), **parse_plugin_resilience(f),
        )
        f.finish()
    return plugins


def _parse_agents(raw: Any, lines: Lines, file: str, key: tuple) -> tuple[Agent, ...]:
    agents: list[Agent] = []
    seen: set[str] = set()
    for i, item in _items(raw, lines, file, key, "agents"):
        f = Fields(item, file=file, entry=_entry_name(item, i, "agents"), lines=lines, path=key + (i,))
        agent = Agent(
            plugin=f.str("plugin"), name=f.str("name"), category=f.str("category"),
            capabilities=f.strings("capabilities", ()), keywords=f.strings("keywords", ()),
            model_tier=f.str("model_tier"), success_rate=f.number("success_rate", lo=0, hi=1),
            availability=f.number("availability", 1.0, lo=0, hi=1),
            avg_duration=60.0 * f.number("avg_duration_min", lo=0, lo_open=True),
            role=f.str("role", "specialist"),
        )
        if agent.id in seen:
            raise f.error("name", f"duplicate agent {agent.id!r}")
        if agent.role not in ("specialist", "coordinator"):
            raise f.error("role", f"must be 'specialist' or 'coordinator', got {agent.role!r}")
        seen.add(agent.id)
        agents.append(agent)
        f.finish()
    return tuple(agents)


def _check_references(catalog: Catalog, sources: Mapping[str, tuple] | None = None) -> None:
    """Cross-entry checks: fallbacks, agents' plugins and tiers name things that exist."""

    def where(section: str, i: int, fld: str) -> dict[str, Any]:
        if sources is None:
            return {"file": catalog.source}
        _, lines, file, key = sources[section]
        return {"file": file, "line": lines.line(*key, i, fld)}

    orchestrators = [p.name for p in catalog.plugins.values() if p.role == "orchestrator"]
    if len(orchestrators) != 1:
        raise InputError(f"exactly one plugin must have role 'orchestrator', found {orchestrators}",
                         file=catalog.source, field="role")
    for i, p in enumerate(catalog.plugins.values()):
        for fb in p.fallbacks:
            if fb not in catalog.plugins:
                raise InputError(f"unknown plugin {fb!r}", entry=f"plugins[{i}] ({p.name})",
                                 field="fallbacks", **where("plugins", i, "fallbacks"))
        if p.default_tier not in catalog.tiers:
            raise InputError(f"unknown model tier {p.default_tier!r}", entry=f"plugins[{i}] ({p.name})",
                             field="default_tier", **where("plugins", i, "default_tier"))
    for i, a in enumerate(catalog.agents):
        if a.plugin not in catalog.plugins:
            raise InputError(f"unknown plugin {a.plugin!r}", entry=f"agents[{i}] ({a.name})",
                             field="plugin", **where("agents", i, "plugin"))
        if a.model_tier != "inherit" and a.model_tier not in catalog.tiers:
            raise InputError(f"unknown model tier {a.model_tier!r}", entry=f"agents[{i}] ({a.name})",
                             field="model_tier", **where("agents", i, "model_tier"))
    if catalog.lexicon.synonyms:
        known = vocabulary_words(catalog)
        for phrase, targets in catalog.lexicon.synonyms.items():
            for target in targets:
                if target not in known:
                    file = sources["lexicon"][2] if sources is not None else catalog.source
                    raise InputError(f"{target!r} is not a term of the vocabulary (a lexicon term, or a "
                                     f"plugin's or agent's keyword, context or pattern)", file=file,
                                     entry="lexicon", field=f"synonyms.{phrase}")


def catalog_terms(catalog: Catalog) -> Iterator[tuple[str, str]]:
    """The catalog's own vocabulary, as ``(word, kind)`` with kind ``keywords``, ``contexts`` or
    ``patterns``: each plugin's keywords, contexts, patterns and description words (as keywords),
    then each agent's keywords."""
    for p in catalog.plugins.values():
        yield from ((k, "keywords") for k in p.keywords)
        yield from ((c, "contexts") for c in p.contexts)
        yield from ((pat, "patterns") for pat in p.patterns)
        yield from ((d, "keywords") for d in sorted(description_words(p.description)))
    for a in catalog.agents:
        yield from ((k, "keywords") for k in a.keywords)


def vocabulary_words(catalog: Catalog) -> set[str]:
    """Every term a synonym may stand for: the lexicon's words and :func:`catalog_terms`."""
    return set(catalog.lexicon.terms) | {word for word, _ in catalog_terms(catalog)}
