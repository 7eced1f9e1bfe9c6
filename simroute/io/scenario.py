"""Scenarios: catalog (with overrides) + settings + workload + faults + horizon.

``Scenario.from_yaml(path)`` reads and validates one; ``Scenario(...)`` builds one in code;
``Scenario.default()`` is the bundled ``simroute/data/scenarios/default.yaml``. YAML layout::

    name: default
    catalog: null                 # a catalog path relative to this file; null: bundled
    overrides:                    # per-plugin catalog changes
      fastapi-backend: {capacity: 8, failure_p: 0.05}
      ahling-command-center: {service: {default: {dist: deterministic, mean_s: 0}}}
    settings:
      breaker: {failure_threshold: 5, open_timeout: 60, success_threshold: 3, enabled: true}
      retry: {max_retries: 3, base: 1.0, cap: 10.0, jitter: none}
      retry_budget: {ratio: 0.2, min_retries: 10, window: 10}   # or null
      bus_latency: 0.0
      record_messages: false
      service: plugin             # "plugin": sample the plugin's model; "plan": phase durations
      on_over_budget: reject      # or "flag"
      weights: {domain: 30, context: 20, pattern: 15}
      share_state: false          # a finished phase registers its result in the state store
      route_around_open: true     # routing avoids plugins whose breaker is open
    sagas:                        # saga definitions besides the bundled ones (saga.SAGAS)
      my-saga: {detection_delay: 1, rollback_delay: 1, steps: [
        {action: create_tenant_db, plugin: lobbi-platform-manager, argument: acme_corp,
         duration: 5, compensation_duration: 2}]}
    workload: {kind: poisson, rate: 0.5, requests: 1000, mix: [{text: "...", weight: 1}]}
    # mix entries may also name a saga (saga: NAME) or a documented plan (plan: PATH.yaml)
    # kind: schedule takes arrival times instead of a rate: {kind: schedule, times: [0, 1, 11]}
    faults:
      - {plugin: ahling-command-center, kind: outage, start: 10, end: 75}
    horizon: null                 # seconds; requests still running then end as in_flight
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..common.errors import InputError, did_you_mean
from ..common.schema import build
from ..common.yamlio import Fields, load_yaml
from ..policies.catalog import (
    Catalog,
    data_dir,
    load_catalog,
    parse_plugin_resilience,
    parse_service,
    plugin_number,
)
from ..policies.modelgroups import ModelGroups, parse_model_groups
from ..policies.plan import Plan
from ..policies.saga import COMPENSATIONS, SAGAS, Saga, SagaStep
from . import traces
from .faults import FAULT_KINDS, Fault
from .profiles import Shape, read_shape
from .settings import RetryBudgetSettings, Settings
from .workload import KINDS, MixEntry, Surge, Workload

__all__ = ["Fault", "Settings", "RetryBudgetSettings", "Scenario", "FAULT_KINDS"]

DEFAULT_REQUESTS = 1000  #: arrivals of a synthetic workload that does not say (a trace runs every row)
OVERRIDABLE = ("capacity", "failure_p", "availability", "priority", "fallbacks", "service", "failure",
               "timeout_s", "rpm", "tpm", "slot_price", "rpm_price", "tpm_price", "guard_order")


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """What to simulate: catalog, settings, workload, faults and horizon (see the module docstring).

    Parameters:
        name: the scenario's name (in results and reports).
        catalog: plugins, agents, tiers and lexicon, with the scenario's overrides applied.
        settings: breaker, retry, timeout, guard, scoring and engine settings.
        workload: arrivals and their request mix.
        faults: fault windows (outages, error rates, slowdowns).
        horizon: seconds after which the run stops (None: when the last request ends); requests still
            running end ``in_flight``.
        source: the file it was read from (for error messages).
        sagas: saga name → definition, for mix entries that name a saga.
        model_groups: an LLM router's deployments, model groups and fallbacks, for mix entries that
            name a group (:mod:`simroute.policies.modelgroups`; empty: none).
    """
    name: str = "scenario"
    catalog: Catalog = field(default_factory=load_catalog)
    settings: Settings = field(default_factory=Settings)
    workload: Workload = field(default_factory=lambda: Workload(mix=(MixEntry(text="api"),),
                                                                         requests=DEFAULT_REQUESTS))
    faults: tuple[Fault, ...] = ()
    horizon: float | None = None
    source: str = "<code>"
    sagas: Mapping[str, Saga] = field(default_factory=lambda: dict(SAGAS))  #: name → saga
    model_groups: ModelGroups = field(default_factory=ModelGroups)

    def __post_init__(self) -> None:
        for i, m in enumerate(self.workload.mix):
            if m.group is not None and m.group not in self.model_groups.groups:
                known = ", ".join(self.model_groups.groups) or "none: the scenario has no model_groups"
                raise InputError(f"unknown model group {m.group!r} (known: {known})",
                                 file=self.source, entry=f"workload.mix[{i}]", field="group")
            if m.saga is not None and m.saga not in self.sagas:
                raise InputError(f"unknown saga {m.saga!r} (known: {', '.join(self.sagas)})",
                                 file=self.source, entry=f"workload.mix[{i}]", field="saga")
            for plugin in m.accept:
                if plugin not in self.catalog.plugins:
                    raise InputError(f"unknown plugin {plugin!r}{self._hint(plugin)}", file=self.source,
                                     entry=f"workload.mix[{i}]", field="accept")
        for name, saga in self.sagas.items():
            for i, step in enumerate(saga.steps):
                if step.plugin not in self.catalog.plugins:
                    raise InputError(f"unknown plugin {step.plugin!r}{self._hint(step.plugin)}",
                                     file=self.source, entry=f"sagas.{name}.steps[{i}]", field="plugin")
        for i, m in enumerate(self.workload.mix):
            for phase in m.plan.phases if m.plan is not None else ():
                if phase.plugin not in self.catalog.plugins:
                    raise InputError(f"unknown plugin {phase.plugin!r}{self._hint(phase.plugin)} in phase "
                                     f"{phase.name!r}",
                                     file=self.source, entry=f"workload.mix[{i}].plan", field="plugin")
        for i, f in enumerate(self.faults):
            if f.plugin not in self.catalog.plugins:
                raise InputError(f"unknown plugin {f.plugin!r}{self._hint(f.plugin)}", file=self.source,
                                 entry=f"faults[{i}]", field="plugin")
        if self.horizon is not None and self.horizon <= 0:
            raise InputError(f"must be > 0 seconds, got {self.horizon}", file=self.source,
                             field="horizon")

    def _hint(self, plugin: str) -> str:
        """`` (did you mean 'x'?)`` for a plugin name the catalog does not have."""
        return did_you_mean(plugin, self.catalog.plugins)

    def replace(self, **changes: Any) -> Scenario:
        return replace(self, **changes)

    @classmethod
    def default(cls) -> Scenario:
        """The bundled default scenario (``simroute/data/scenarios/default.yaml``)."""
        return cls.from_yaml(data_dir() / "scenarios" / "default.yaml")

    @classmethod
    def documented(cls, name: str) -> Scenario:
        """One of the seed's documented flows (``simroute/data/scenarios/flows/NAME.yaml``), e.g.
        ``"routing"``, ``"bus"``, ``"discovery"``, ``"breaker"``, ``"breaker-recovery-failure"``,
        ``"saga"``, ``"saga-rollback"``, ``"cost"``."""
        folder = data_dir() / "scenarios" / "flows"
        path = folder / f"{name}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml")))
            raise InputError(f"unknown documented scenario {name!r} (known: {known})", field="name")
        return cls.from_yaml(path)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """A scenario file (``simroute/data/scenarios/*.yaml`` are examples).

        Parameters:
            path: the YAML file.

        Returns:
            The validated scenario.

        Raises:
            InputError: a bad value (the message names the file, line, entry and field).
        """
        path = Path(path)
        raw, lines = load_yaml(path)
        return cls.from_dict(raw, source=str(path), lines=lines)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<dict>", lines: Any = None,
                  base: str | Path | None = None) -> Scenario:
        """A scenario from the mapping a scenario file holds.

        Parameters:
            data: the mapping.
            source: where it came from (errors name it).
            lines: line numbers of its nodes (:func:`~simroute.common.yamlio.load_yaml`'s), if any.
            base: the folder relative paths (catalog, trace, plans) start from (None: the source
                file's folder, else the working directory).

        Returns:
            The validated scenario.

        Raises:
            InputError: a bad value (the message names the source, line, entry and field).
        """
        path = Path(base) / "scenario.yaml" if base is not None else Path(source)
        if isinstance(data, Mapping) and "model_list" in data and "workload" not in data:
            line = lines.line("model_list") if lines is not None else None
            raise InputError(f"a LiteLLM config, not a scenario: `simroute import litellm {source} --out "
                             "scenario.yaml` writes a scenario from it (Scenario.from_litellm in Python)",
                             file=source, line=line, field="model_list")
        f = Fields(data, file=source, entry="scenario", lines=lines)
        try:
            return _parse(f, path, lines, source)
        except InputError as exc:
            raise exc.at(file=source) from None

    @classmethod
    def from_litellm(cls, config: str | Path | Mapping[str, Any], **options: Any) -> Scenario:
        """A scenario from a LiteLLM Router config (:func:`simroute.io.litellm.import_litellm`); each key
        that is not modelled is one ``UserWarning``.

        Parameters:
            config: a proxy ``config.yaml``, or a mapping with ``model_list`` and ``router_settings``.
            options: the workload's options (``rate``, ``requests``, ``group``, ``context_tokens``,
                ``generated_tokens``, ``name``).

        Returns:
            The scenario.

        Raises:
            InputError: a malformed config (one line naming the file, line and key).
        """
        import warnings

        from .litellm import import_litellm

        imported = import_litellm(config, **options)
        for line in imported.warnings:
            warnings.warn(line, UserWarning, stacklevel=2)
        source = str(config) if not isinstance(config, Mapping) else "<litellm config>"
        base = Path(config).parent if not isinstance(config, Mapping) else None
        return cls.from_dict(imported.scenario, source=source, base=base)


def _settings(raw: Any, file: str, lines: Any) -> Settings:
    """The ``settings:`` section, built and checked from its declaration (:mod:`simroute.io.settings`)."""
    try:
        return build(Settings, raw)
    except InputError as exc:
        path = tuple(exc.field.split(".")) if exc.field else ()
        line = lines.line("settings", *path) if lines is not None else None
        raise InputError(exc.message, file=file, line=line, entry="settings", field=exc.field) from None


def _parse(f: Fields, path: Path, lines: Any, source: str | None = None) -> Scenario:
    file = source or str(path)
    cat_path = f.get("catalog", None)
    catalog = load_catalog(path.parent / cat_path) if cat_path else load_catalog()
    groups = ModelGroups()
    if f.has("model_groups"):
        catalog, groups = parse_model_groups(f.get("model_groups"), catalog, file=file, lines=lines)
    for plugin, changes in f.mapping("overrides", {}).items():
        if plugin not in catalog.plugins:
            raise f.error("overrides", f"unknown plugin {plugin!r}")
        if not isinstance(changes, Mapping):
            raise f.error("overrides", f"{plugin}: must be a mapping")
        for k in changes:
            if k not in OVERRIDABLE:
                raise f.error(f"overrides.{plugin}.{k}",
                              f"cannot be overridden ({', '.join(OVERRIDABLE)})")
        # the same checks as the catalog's own entries
        h = Fields(changes, file=file, entry=f"overrides.{plugin}", lines=lines, path=("overrides", plugin))
        fixed: dict[str, Any] = {k: plugin_number(h, k) for k in ("priority", "availability", "capacity",
                                                                    "failure_p", "slot_price", "rpm_price",
                                                                    "tpm_price")
                                 if k in changes}
        if "fallbacks" in changes:
            fixed["fallbacks"] = h.strings("fallbacks")
        if "guard_order" in changes:
            fixed["guard_order"] = h.strings("guard_order")
        if "service" in changes:
            fixed["service"] = parse_service(h)  # replaces every task kind's model
        fixed.update(parse_plugin_resilience(h, catalog.plugins[plugin]))
        catalog = catalog.with_plugin(plugin, **fixed)

    settings = _settings(f.mapping("settings", {}), file, lines)

    sagas = dict(SAGAS)
    for name, spec in f.mapping("sagas", {}).items():
        sagas[str(name)] = _parse_saga(str(name), spec, file, lines, catalog)

    w = Fields(f.mapping("workload"), file=file, entry="workload", lines=lines, path=("workload",))
    mix = []
    for i, m in enumerate(w.list("mix")):
        h = Fields(m, file=file, entry=f"workload.mix[{i}]", lines=lines, path=("workload", "mix", i))
        raw = dict(h.raw)
        plan_path, group = h.str("plan", None), h.str("group", None)
        if plan_path:  # a documented plan's file, beside the scenario
            raw["plan"] = Plan.from_yaml(_resolve(path, plan_path), prices=catalog.tiers)
        if group is not None:  # a model group's request is named after the group unless it says
            raw.setdefault("text", group)
        mix.append(_entry(MixEntry, h, raw))
    # the workload, built and checked by its declaration (simroute.io.workload.Workload)
    raw = dict(w.raw, mix=tuple(mix),
               surges=tuple(_surge(item, i, file, lines) for i, item in enumerate(w.list("surges", []))),
               profile=tuple(_shape(item, i, file, lines) for i, item in enumerate(w.list("profile", []))))
    if w.get("trace", None):
        raw["trace"] = str(_resolve(path, w.str("trace")))
    if "requests" not in raw:  # a synthetic workload that does not say runs DEFAULT_REQUESTS
        raw["requests"] = None if _runs_every_row(w.str("kind", "poisson")) else DEFAULT_REQUESTS
    workload: Workload = _entry(Workload, w, raw)

    faults = []
    for i, item in enumerate(f.list("faults", [])):
        h = Fields(item, file=file, entry=f"faults[{i}]", lines=lines, path=("faults", i))
        plugin = h.str("plugin")
        if plugin not in catalog.plugins:
            raise h.error("plugin", f"unknown plugin {plugin!r}")
        faults.append(_entry(Fault, h))
    scenario = Scenario(name=f.str("name", path.stem), catalog=catalog, settings=settings,
                        workload=workload, faults=tuple(faults),
                        horizon=f.number("horizon", None, lo=0, lo_open=True), source=file,
                        sagas=sagas, model_groups=groups)
    f.finish()
    return scenario


def _runs_every_row(kind: str) -> bool:
    found = KINDS.get(kind)
    return found is not None and found.runs_every_row


def _surge(item: Any, i: int, file: str, lines: Any) -> Surge:
    h = Fields(item, file=file, entry=f"workload.surges[{i}]", lines=lines, path=("workload", "surges", i))
    surge: Surge = _entry(Surge, h)
    return surge


def _shape(item: Any, i: int, file: str, lines: Any) -> Shape:
    h = Fields(item, file=file, entry=f"workload.profile[{i}]", lines=lines, path=("workload", "profile", i))
    try:
        return read_shape(h.raw)
    except InputError as exc:
        raise h.error(exc.field, exc.message) from None


def _entry(cls: type, h: Fields, raw: Mapping[str, Any] | None = None) -> Any:
    """An input entry (the workload, a mix entry, a fault, a surge) built and checked by its class's
    declaration, as settings are (:func:`~simroute.common.schema.build`), from ``raw`` (default:
    the entry as read); errors name the file, line, entry and field."""
    try:
        return build(cls, h.raw if raw is None else raw)
    except InputError as exc:
        raise h.error(exc.field, exc.message) from None


def _parse_saga(name: str, spec: Any, file: str, lines: Any, catalog: Catalog) -> Saga:
    h = Fields(spec, file=file, entry=f"sagas.{name}", lines=lines, path=("sagas", name))
    steps = []
    for i, raw in enumerate(h.list("steps")):
        g = Fields(raw, file=file, entry=f"sagas.{name}.steps[{i}]", lines=lines,
                   path=("sagas", name, "steps", i))
        action = g.str("action")
        if action not in COMPENSATIONS:
            raise g.error("action", f"no compensation for {action!r} (known: {', '.join(COMPENSATIONS)})")
        plugin = g.str("plugin")
        if plugin not in catalog.plugins:
            raise g.error("plugin", f"unknown plugin {plugin!r}")
        steps.append(SagaStep(action=action, plugin=plugin, argument=g.str("argument", ""),
                              duration=g.number("duration", 1.0, lo=0),
                              compensation_duration=g.number("compensation_duration", 1.0, lo=0),
                              state_key=g.str("state_key", "")))
        g.finish()
    try:
        saga = Saga(name, tuple(steps), detection_delay=h.number("detection_delay", 0.0, lo=0),
                    rollback_delay=h.number("rollback_delay", 0.0, lo=0))
    except InputError as exc:
        raise h.error(exc.field, exc.message) from None
    h.finish()
    return saga


def _resolve(scenario_path: Path, trace: str) -> Path:
    """A trace: ``bundled:NAME`` (:mod:`simroute.io.traces`), an absolute path, or a path relative
    to the scenario file."""
    if trace.startswith(traces.PREFIX):
        return traces.resolve(trace)
    p = Path(trace)
    return p if p.is_absolute() else scenario_path.parent / p
