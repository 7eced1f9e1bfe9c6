"""Replay the seed's six documented flows through the engine and compare every number it states.

Each flow is one or two scenarios in ``simroute/data/scenarios/flows/`` that
:func:`~simroute.experiments.run.run` simulates. :func:`replay_flow` runs a flow and compares what
the simulation produced with each number and event of ``seed/routing-flow-diagrams.md``;
:func:`replay` does it for all six and returns the conformance table:

``flow, item, documented, simulated, status, note`` — status is

* ``exact`` — the simulation gives the documented value;
* ``within tolerance`` — it differs by no more than the tolerance given in ``note``;
* ``seed inconsistent`` — the seed contradicts its own listed parts (DESIGN.md §4); the simulated
  value is the one its parts give, and ``note`` says why;
* ``mismatch`` — a regression: none of the above. :func:`replay` never hides one.

The documented values live here, next to the code that reads the simulated value from the run's
tables, so that each row says where its number comes from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..common.errors import InputError
from ..io.scenario import Scenario
from ..policies.catalog import data_dir
from ..policies.classify import classify
from ..policies.cost import optimize_cost
from ..policies.discovery import build_team, find_agents
from ..policies.plan import Plan
from ..policies.routing import decide_route
from .export import write_csv
from .results import Results
from .run import run

__all__ = ["FLOWS", "FlowReplay", "replay", "replay_flow", "STATUSES"]

STATUSES = ("exact", "within tolerance", "seed inconsistent", "assumption", "mismatch")
COLUMNS = ["flow", "item", "documented", "simulated", "status", "note"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return str(v)


@dataclass
class FlowReplay:
    """One flow's runs (scenario name → :class:`Results`), its conformance rows and timeline.

    Parameters:
        flow: the flow's name (one of :data:`FLOWS`).
        title: its title.
        results: scenario name → the run's :class:`Results`.
        rows: the conformance rows so far.
        extras: policy objects for plots (route, team …).
    """

    flow: str
    title: str
    results: dict[str, Results] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  #: policy objects for plots (route, team …)

    # -------------------------------------------------------------- comparisons
    def _add(self, item: str, documented: Any, simulated: Any, status: str, note: str) -> None:
        self.rows.append({"flow": self.flow, "item": item, "documented": _show(documented),
                          "simulated": _show(simulated), "status": status, "note": note})

    def exact(self, item: str, documented: Any, simulated: Any, note: str = "") -> None:
        self._add(item, documented, simulated, "exact" if _same(documented, simulated) else "mismatch",
                  note)

    def within(self, item: str, documented: float, simulated: float, tolerance: float,
               note: str = "") -> None:
        if _same(documented, simulated):
            status = "exact"
        elif abs(documented - simulated) <= tolerance:
            status = "within tolerance"
        else:
            status = "mismatch"
        self._add(item, documented, simulated, status, f"tolerance ±{tolerance:g}. {note}".strip())

    def inconsistent(self, item: str, documented: Any, simulated: Any, derived: Any, reason: str) -> None:
        """The seed's number contradicts its parts; ``derived`` is what the parts give."""
        self._explained(item, documented, simulated, derived, "seed inconsistent", reason,
                        f"expected {_show(derived)} from the seed's parts. {reason}")

    def assumption(self, item: str, documented: Any, simulated: Any, expected: Any, assumption: str,
                   needs: str) -> None:
        """The seed does not determine the value: the model makes ``assumption``, under which the
        value is ``expected`` (stated from the catalog and the assumption, never from the model's
        output); ``needs`` says what the seed would have to state to fix it."""
        note = f"assumption: {assumption}; the seed would need {needs}"
        self._explained(item, documented, simulated, expected, "assumption", note,
                        f"{note} (expected {_show(expected)} under the assumption)")

    def _explained(self, item: str, documented: Any, simulated: Any, expected: Any, status: str,
                   note: str, mismatch_note: str) -> None:
        """``exact`` when the model gives the seed's number, ``status`` when it gives ``expected``
        (the explained value), else ``mismatch``."""
        if _same(documented, simulated):
            self._add(item, documented, simulated, "exact", note)
        elif _same(expected, simulated):
            self._add(item, documented, simulated, status, note)
        else:
            self._add(item, documented, simulated, "mismatch", mismatch_note)

    # -------------------------------------------------------------- outputs
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)

    def timeline(self) -> pd.DataFrame:
        """Every run's events (:meth:`Results.timeline`), with a ``scenario`` column."""
        frames = [r.timeline().assign(scenario=name) for name, r in self.results.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["scenario", *[c for c in out.columns if c != "scenario"]]]

    @property
    def ok(self) -> bool:
        return all(r["status"] != "mismatch" for r in self.rows)

    def __repr__(self) -> str:
        counts = self.table().status.value_counts().to_dict()
        return f"FlowReplay({self.flow!r}, {len(self.rows)} rows {counts})"


# ---------------------------------------------------------------------- helpers
def _run(fr: FlowReplay, name: str, seed: int) -> Results:
    r = run(Scenario.documented(name), seed=seed)
    fr.results[name] = r
    return r


def _phase_times(r: Results) -> dict[str, tuple[float, float, str]]:
    """phase → (start, end, plugin) of its successful attempt."""
    ok = r.attempts[r.attempts.outcome == "success"]
    return {p: (s, e, pl) for p, s, e, pl in zip(ok.phase, ok.start, ok.end, ok.plugin, strict=True)}


def _decision(r: Results) -> dict:
    m = r.messages
    (payload,) = m[(m.topic == "routing/decision") & (m.subscriber == "telemetry")].payload
    return payload


# ---------------------------------------------------------------------- flow 1
def _routing(fr: FlowReplay, seed: int) -> None:
    r = _run(fr, "routing", seed)
    scenario = Scenario.documented("routing")
    cat = scenario.catalog
    (text,) = r.requests.text
    c = classify(text, cat, scenario.settings.reading)
    route = decide_route(c, cat, scenario.settings.weights)
    fr.extras.update(classification=c, route=route)
    fr.exact("keywords", ["fastapi", "mongodb", "keycloak", "k8s"], list(c.keywords))
    fr.exact("patterns", ["rest-api", "jwt-auth", "deployment"], list(c.patterns))
    fr.exact("domains", ["backend", "api", "database", "auth", "devops"], list(c.domains))
    fr.exact("complexity", "COMPLEX", c.complexity.upper())
    fr.exact("urgency (of 10)", 5, c.urgency)
    fr.exact("classifier est. duration (min)", 45, c.est_duration / 60)
    scores = {s.name: s for s in route.scores}
    fa, lo, ah = (scores[n] for n in ("fastapi-backend", "lobbi-platform-manager", "ahling-command-center"))
    for name, s, parts in (("fastapi-backend", fa, {"domain:backend": 30, "context:fastapi": 20,
                                                     "context:mongodb": 20, "pattern:rest-api": 15}),
                           ("lobbi-platform-manager", lo, {"domain:auth": 30, "context:keycloak": 20,
                                                           "pattern:jwt-auth": 15}),
                           ("ahling-command-center", ah, {"domain:devops": 30, "context:kubernetes": 20})):
        for k, v in parts.items():
            fr.exact(f"{name} {k.replace(':', ' ')} points", v, s.breakdown.get(k, 0.0))
    fr.exact("fastapi-backend priority multiplier", 1.0, fa.multipliers.get("priority"))
    fr.exact("fastapi-backend availability multiplier", 0.98, fa.multipliers.get("availability"))
    fr.inconsistent("fastapi-backend score", 95, fa.raw, 85, "its listed parts sum to 30+20+20+15 = 85")
    fr.inconsistent("fastapi-backend final score", 93.1, fa.score, 85 * 0.98,
                    "93.1 = 95 × 0.98, but the parts give 85 × 0.98 = 83.3")
    fr.inconsistent("lobbi-platform-manager score", 75, lo.score, 65, "its listed parts sum to 30+20+15 = 65")
    fr.inconsistent("ahling-command-center score", 68, ah.score, 50, "its listed parts sum to 30+20 = 50")
    fr.exact("ranking", ["fastapi-backend", "lobbi-platform-manager", "ahling-command-center"],
             [s.name for s in route.scores[:3]])
    d = _decision(r)
    fr.exact("primary plugin (routing/decision)", "fastapi-backend", d["primaryPlugin"])
    fr.exact("fallbacks", ["lobbi-platform-manager", "ahling-command-center", "jira-orchestrator"],
             list(d["fallbacks"]))
    fr.exact("collaboration required", True, len(d["phases"]) > 1)
    fr.exact("execution strategy", "sequential", d["strategy"],
             "the seed's SEQUENTIAL_COLLABORATION")
    times = _phase_times(r)
    documented = [("backend", "fastapi-backend", 0, 15), ("auth", "lobbi-platform-manager", 15, 27),
                  ("deployment", "ahling-command-center", 27, 45)]
    for i, (phase, plugin, start, end) in enumerate(documented, 1):
        began, ended, pl = times[phase]
        fr.exact(f"phase {i} ({phase}) plugin", plugin, pl)
        fr.exact(f"phase {i} ({phase}) duration (min)", end - start, (ended - began) / 60)
        fr.exact(f"phase {i} ({phase}) starts at (min)", start, began / 60,
                 "after its dependencies" if i > 1 else "")
    fr.exact("phase 3 depends on", ["backend", "auth"],
             list(next(p for p in route.plan.phases if p.name == "deployment").depends_on))
    fr.exact("estimated total duration (min)", 45, d["estDuration"] / 60)
    fr.exact("simulated end-to-end latency (min)", 45, float(r.requests.latency.iloc[0]) / 60)
    fr.assumption("estimated cost ($)", 0.25, d["estCost"], 0.40,
                  "each phase's cost is its lead agent's, one task at the seed's tier prices: "
                  "opus 0.15 + sonnet 0.10 + opus 0.15 = 0.40",
                  "the agents of each phase (0.25 is 0.15 + 0.10: two agents, not three phases)")
    fr.exact("circuit breakers armed on every plugin", sorted(set(cat.plugins) - {cat.orchestrator.name}),
             sorted(r.plugins.plugin[r.plugins.breaker]), "the orchestrator's built-in path has none")
    fr.exact("retry policy: max retries", 3, scenario.settings.retry.max_retries)
    fr.exact("retry backoff delays (s)", [1.0, 2.0, 4.0],
             scenario.settings.retry.delays(), "exponential, no jitter")
    fr.exact("outcome", "succeeded", r.requests.status.iloc[0])


# ---------------------------------------------------------------------- flow 2
#: The seed's message sequence: (step, topic, type, source, named subscribers, payload checks).
BUS_SEQUENCE: tuple[tuple[str, str, str, str, tuple[str, ...], dict], ...] = (
    ("t0", "routing/decision", "event", "jira-orchestrator",
     ("fastapi-backend", "lobbi-platform-manager", "ahling-command-center", "telemetry"),
     {"primaryPlugin": "fastapi-backend"}),
    ("t1", "plugin/fastapi-backend/request", "request", "jira-orchestrator", ("fastapi-backend",), {}),
    ("t1", "orchestration/task-start", "event", "fastapi-backend", ("jira-orchestrator",),
     {"plugin": "fastapi-backend", "status": "running"}),
    ("t2", "plugin/fastapi-backend/response", "response", "fastapi-backend", ("jira-orchestrator",),
     {"status": "success"}),
    ("t2", "plugin/lobbi-platform-manager/request", "request", "jira-orchestrator",
     ("lobbi-platform-manager",), {}),
    ("t3", "state/fastapi-backend/change", "event", "fastapi-backend",
     ("lobbi-platform-manager", "ahling-command-center"), {"type": "register"}),
    ("t4", "plugin/ahling-command-center/response", "response", "ahling-command-center",
     ("jira-orchestrator",), {"status": "error"}),
    ("t4", "routing/fallback", "event", "jira-orchestrator", ("jira-orchestrator",),
     {"originalPlugin": "ahling-command-center", "fallbackPlugin": "jira-orchestrator",
      "reason": "circuit_breaker_open"}),
    ("t4", "plugin/jira-orchestrator/request", "request", "jira-orchestrator", ("jira-orchestrator",), {}),
)


def _bus(fr: FlowReplay, seed: int) -> None:
    """Each documented message is matched to the first published message on its topic; within a
    step the seed's order must hold, and the steps t0..t4 must come at non-decreasing times."""
    r = _run(fr, "bus", seed)
    m = r.messages
    published = m.drop_duplicates("message_id").reset_index(drop=True)
    subscribers = m.groupby("message_id").subscriber.agg(lambda s: set(s))
    rid = int(r.requests.request_id.iloc[0])
    step_time: dict[str, list[float]] = {}
    last_in_step: dict[str, int] = {}
    for step, topic, mtype, source, subs, checks in BUS_SEQUENCE:
        item = f"{step} {topic}"
        expected = "; ".join([mtype, source, *[f"{k}={v}" for k, v in checks.items()]])
        hits = published.index[published.topic == topic]
        if hits.empty:
            fr.exact(item, expected, "not published")
            continue
        i = int(hits[0])
        row = published.loc[i]
        got_subs = subscribers[row.message_id]
        problems = []
        if row.correlation_id != rid:
            problems.append(f"correlation {row.correlation_id}")
        missing = [x for x in subs if x not in got_subs]
        if missing:
            problems.append("not delivered to " + ", ".join(missing))
        if i < last_in_step.get(step, -1):
            problems.append(f"out of order within {step}")
        last_in_step[step] = i
        step_time.setdefault(step, []).append(float(row.published))
        got = "; ".join([row.type, row.source, *[f"{k}={row.payload.get(k)}" for k in checks]])
        note = (f"message #{i + 1} of {len(published)}, t={row.published:g} s, correlation "
                f"{row.correlation_id}, delivered to {', '.join(sorted(got_subs))}")
        if step == "t3":
            note += ("; published as the phase completes, at the same simulated instant as t2's "
                     "messages (the seed's t2 and t3 are steps, not distinct times)")
        fr.exact(item, expected, got if not problems else got + "; " + "; ".join(problems), note)
    spans = [(min(v), max(v)) for _, v in sorted(step_time.items())]
    fr.exact("steps t0..t4 at non-decreasing times", True,
             all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)))
    ahling = r.attempts[r.attempts.plugin == "ahling-command-center"]
    failures_before_open = int((ahling.outcome == "error").sum())
    fr.assumption("errors before the breaker opens", 5, failures_before_open, 1,
                  "the diagram opens the breaker right after one error, so this scenario sets "
                  "failure_threshold 1 (flow 4's threshold is 5)",
                  "how many errors the bus flow's deployment makes before circuit-breaker/open")
    opened = r.breaker_events[(r.breaker_events.to_state == "open")]
    fr.exact("circuit-breaker/open published", True,
             bool((published.topic == "circuit-breaker/open").any()) and len(opened) == 1)
    fr.exact("deployment served by", "jira-orchestrator", _phase_times(r)["deployment"][2],
             "built-in deployment (graceful degradation)")
    fr.exact("outcome", "degraded", r.requests.status.iloc[0])


# ---------------------------------------------------------------------- flow 3
def _discovery(fr: FlowReplay, seed: int) -> None:
    r = _run(fr, "discovery", seed)
    scenario = Scenario.documented("discovery")
    cat = scenario.catalog
    c = classify(r.requests.text.iloc[0], cat, scenario.settings.reading)
    agents = find_agents(c, cat, scenario.settings.weights)
    team = build_team(agents, c)
    fr.extras.update(classification=c, agents=agents, team=team)
    fr.exact("domains", ["frontend", "ui"], list(c.domains))
    fr.exact("contexts", ["react", "jsx", "a11y"], list(c.contexts))
    fr.exact("patterns", ["component-generation"], list(c.patterns))
    fr.exact("complexity", "moderate", c.complexity.lower())
    fr.exact("registry query contexts", ["react", "a11y"], list(c.query_contexts))
    fr.exact("registry query keywords", ["component", "accessibility"], list(c.keywords))
    fr.exact("plugins searched", ["frontend-powerhouse", "chakra-react-toolkit", "jira-orchestrator"],
             list(dict.fromkeys(s.agent.plugin for s in agents[:4])))
    by = {s.agent.name: s for s in agents}
    rcs = by["react-component-specialist"]
    for k, v in {"domain:frontend": 30, "context:react": 20, "keyword:component": 15}.items():
        fr.exact(f"react-component-specialist {k.replace(':', ' ')} points", v, rcs.breakdown.get(k, 0.0))
    fr.exact("react-component-specialist availability multiplier", 1.0, rcs.multipliers["availability"])
    fr.exact("react-component-specialist success-rate multiplier", 0.95, rcs.multipliers["success_rate"])
    fr.inconsistent("react-component-specialist score", 85, rcs.raw, 65,
                    "its listed parts sum to 30+20+15 = 65 (then × 0.95 = 61.75)")
    for name, documented in (("accessibility-auditor", 75), ("chakra-component-generator", 70)):
        fr.assumption(f"{name} score", documented, by[name].raw, 65,
                      "the catalog gives it the same matching terms as react-component-specialist "
                      "(domain frontend 30 + context react 20 + keyword component 15 = 65), so the "
                      "documented ranking holds",
                      f"the parts of its {documented}: at 75 and 70 with react-component-specialist at "
                      "the 65 its parts give, the documented ranking could not hold")
    fr.exact("code-reviewer score", 40, by["code-reviewer"].raw,
             "the review weight (40); before × availability × success rate")
    fr.exact("ranking", ["react-component-specialist", "accessibility-auditor",
                         "chakra-component-generator", "code-reviewer"],
             [s.agent.name for s in agents[:4]])
    fr.exact("team coordinator", "jira-orchestrator::agent-router", team.coordinator.id)
    fr.exact("team specialists", ["frontend-powerhouse::react-component-specialist",
                                  "frontend-powerhouse::accessibility-auditor",
                                  "jira-orchestrator::code-reviewer"], [a.id for a in team.specialists])
    fr.assumption("team total cost ($)", 0.12, team.total_cost, 0.33,
                  "each member does one task at its own tier's price: haiku 0.03 (coordinator) + "
                  "3 × sonnet 0.10 = 0.33",
                  "the members' tiers or task counts (0.12 is 4 × haiku 0.03: every member on haiku)")
    fr.assumption("team duration (min)", 18, team.duration / 60, 28,
                  "the specialists work in sequence, each for its catalog average: 10 + 8 + 10 min",
                  "the members' durations and whether they overlap (18 could be 10 + 8 with the "
                  "reviewer in parallel)")
    fr.assumption("team success probability", 0.92, round(team.success_probability, 4), 0.8397,
                  "every member must succeed: the product of their success rates, "
                  "0.99 × 0.95 × 0.93 × 0.96 = 0.8397",
                  "the members' success rates and how they combine (0.92 is none of their products)")
    d = _decision(r)
    fr.exact("request routed to", "frontend-powerhouse", d["primaryPlugin"], "the engine's run")
    fr.exact("outcome", "succeeded", r.requests.status.iloc[0])


# ---------------------------------------------------------------------- flow 4
def _breaker(fr: FlowReplay, seed: int) -> None:
    r = _run(fr, "breaker", seed)
    ev = r.breaker_events[r.breaker_events.plugin == "ahling-command-center"]
    got = list(zip(ev.time, ev.from_state, ev.to_state, strict=True))
    doc = [(15, "closed", "open"), (75, "open", "half_open"), (78, "half_open", "closed")]
    for i, (t, a, b) in enumerate(doc):
        fr.exact(f"{a} → {b} at (s)", t, got[i][0] if i < len(got) and got[i][1:] == (a, b) else "missing")
    fr.exact("number of transitions", 3, len(got))
    req = r.requests.set_index("request_id")
    att = r.attempts
    on_ahling = att[att.plugin == "ahling-command-center"]
    fr.exact("requests 1–2 (t=0 s) succeed", ["success", "success"],
             list(on_ahling[on_ahling.request_id.isin([0, 1])].outcome))
    fails = on_ahling[on_ahling.outcome == "error"]
    fr.exact("requests 3–7 fail (failures 1..5)", [3, 4, 5, 6, 7], list(fails.request_id + 1),
             "requests numbered from 1 as in the seed")
    open_window = att[att.request_id.isin([7, 8])]
    fr.exact("while open: rejected at once", ["rejected_open", "rejected_open"],
             list(open_window[open_window.plugin == "ahling-command-center"].outcome))
    fr.exact("while open: fallback used", ["jira-orchestrator", "jira-orchestrator"],
             list(open_window[open_window.outcome == "success"].plugin))
    fr.exact("open for (s)", 60, float(r.plugins.set_index("plugin").loc["ahling-command-center",
                                                                          "breaker_open_time"]))
    fr.exact("test requests 76, 77, 78 s succeed", ["succeeded"] * 3,
             list(req[req.arrival.isin([76, 77, 78])].status))
    pub = r.messages.drop_duplicates("message_id")
    fr.exact("events published", ["circuit-breaker/open", "circuit-breaker/half-open",
                                  "circuit-breaker/closed"],
             list(pub[pub.topic.str.startswith("circuit-breaker/")].topic))

    r2 = _run(fr, "breaker-recovery-failure", seed)
    ev = r2.breaker_events[r2.breaker_events.plugin == "ahling-command-center"]
    got = list(zip(ev.time, ev.from_state, ev.to_state, strict=True))
    variant = [("opens", 15, "closed", "open"), ("half-opens", 75, "open", "half_open"),
               ("reopens", 77, "half_open", "open"), ("half-opens again", 137, "open", "half_open")]
    for i, (what, t, a, b) in enumerate(variant):
        fr.exact(f"variant: {what} ({a} → {b}) at (s)", t,
                 got[i][0] if i < len(got) and got[i][1:] == (a, b) else "missing")
    att2 = r2.attempts[r2.attempts.plugin == "ahling-command-center"]
    fr.exact("variant: test request 1 (76 s) succeeds, 2 (77 s) fails", ["success", "error"],
             list(att2[att2.start.isin([76, 77])].outcome))


# ---------------------------------------------------------------------- flow 5
def _saga(fr: FlowReplay, seed: int) -> None:
    r = _run(fr, "saga", seed)
    s = r.sagas
    fr.exact("happy path: steps", ["create_tenant_db", "create_realm", "deploy_namespace"], list(s.action))
    fr.exact("happy path: step starts (s)", [0, 5, 12], list(s.start))
    fr.exact("happy path: saga completes at (s)", 25, float(s.end.iloc[-1]))
    fr.exact("happy path: outcome", "succeeded", r.requests.status.iloc[0])
    fr.exact("happy path: resources left", ["create_realm:acme-corp", "create_tenant_db:acme_corp",
                                            "deploy_namespace:acme-corp-prod"],
             sorted(k for kv in (r.final_state or {}).values() for k in kv))

    r = _run(fr, "saga-rollback", seed)
    s = r.sagas
    fwd = s[s.direction == "forward"]
    comp = s[s.direction == "compensate"]
    fr.exact("error path: tenant DB created at (s)", 5, float(fwd.end.iloc[0]))
    fr.exact("error path: realm created at (s)", 8, float(fwd.end.iloc[1]))
    fr.exact("error path: deployment fails at (s)", 15, float(fwd.end.iloc[2]))
    fr.exact("error path: failing step", "deploy_namespace", fwd[fwd.outcome == "failure"].action.iloc[0])
    m = r.messages.drop_duplicates("message_id")
    detect = m[m.topic.str.startswith("saga/") & m.topic.str.endswith("/rollback")].published
    fr.exact("error path: failure detected, rollback initiated at (s)", 16,
             float(detect.iloc[0]) if len(detect) else "missing")
    fr.exact("error path: compensation order", ["delete_realm", "delete_tenant_db"], list(comp.action))
    fr.exact("error path: realm rollback starts at (s)", 17, float(comp.start.iloc[0]))
    fr.exact("error path: realm deleted at (s)", 20, float(comp.end.iloc[0]))
    fr.exact("error path: tenant DB rollback starts at (s)", 20, float(comp.start.iloc[1]))
    fr.exact("error path: rollback complete at (s)", 22, float(comp.end.iloc[1]))
    fr.exact("error path: state store back to its initial state", {}, r.final_state)
    fr.exact("error path: outcome", "compensated", r.requests.status.iloc[0])
    from ..policies.saga import COMPENSATIONS
    doc_pairs = {"create_tenant_db": "delete_tenant_db", "create_realm": "delete_realm",
                 "deploy_namespace": "destroy_namespace", "create_storage_bucket": "delete_storage_bucket",
                 "provision_dns_record": "remove_dns_record", "send_notification": "send_cancellation_notice"}
    fr.exact("compensation mapping (6 pairs)", sorted(doc_pairs.items()), sorted(COMPENSATIONS.items()))


# ---------------------------------------------------------------------- flow 6
def _cost(fr: FlowReplay, seed: int) -> None:
    r = _run(fr, "cost", seed)
    scenario = Scenario.documented("cost")
    d = _decision(r)
    req = r.requests.iloc[0]
    fr.exact("budget ($)", 0.50, float(req.budget))
    fr.exact("original plan cost ($)", 0.85, d["originalCost"])
    fr.exact("original plan duration (min, sequential)", 90, d["originalDuration"] / 60)
    fr.exact("overage ($)", 0.35, round(d["originalCost"] - req.budget, 10))
    fr.exact("overage (% over budget)", 70, round(100 * (d["originalCost"] - req.budget) / req.budget, 6))
    fr.exact("optimizer applied", True, bool(req.optimized))
    plan = Plan.from_yaml(data_dir() / "plans" / "fullstack.yaml", prices=scenario.catalog.tiers)
    opt = optimize_cost(plan, float(req.budget), scenario.catalog)
    fr.extras.update(plan=plan, optimization=opt)
    times = _phase_times(r)
    fr.exact("optimized: backend and frontend run in parallel (start, min)", [0, 0],
             [times["backend"][0] / 60, times["frontend"][0] / 60])
    for phase, minutes in (("backend", 30), ("frontend", 25), ("integration", 15)):
        fr.exact(f"optimized: {phase} duration (min)", minutes, (times[phase][1] - times[phase][0]) / 60)
    fr.exact("optimized: total duration (min)", 45, float(req.latency) / 60, "simulated end to end")
    fr.exact("optimized: duration reduction (%)", 50, 100 * (1 - float(req.latency) / d["originalDuration"]))
    lines = {(ln.agent): (ln.tier, ln.cost) for ph in opt.plan.phases for ln in ph.agents}
    for agent, tier, cost in (("api-specialist", "sonnet", 0.10), ("database-expert", "haiku", 0.03),
                              ("component-builder", "sonnet", 0.10), ("state-manager", "haiku", 0.03),
                              ("integration-tester", "haiku", 0.03), ("docs-writer", "cached", 0.01)):
        fr.exact(f"optimized line: {agent}", f"{tier} ${cost:.2f}",
                 f"{lines[agent][0]} ${lines[agent][1]:.2f}" if agent in lines else "removed")
    paid = r.attempts.groupby("phase", observed=True).cost.sum()
    for phase, total in (("backend", 0.13), ("frontend", 0.13), ("integration", 0.04)):
        fr.exact(f"optimized: {phase} cost ($, attempts)", total, round(float(paid[phase]), 10))
    fr.inconsistent("optimized: total cost ($)", 0.47, round(float(req.cost), 10), 0.30,
                    "the optimized plan's line items sum to 0.13 + 0.13 + 0.04 = 0.30")
    fr.exact("within budget", True, float(req.cost) <= float(req.budget))
    ch = opt.changes_frame()
    removed = ch[ch.description.str.startswith("remove")].delta_cost.sum()
    fr.exact("removed opus agents ($)", -0.30, round(float(removed), 10))
    haiku = ch[(ch.description == "sonnet → haiku") & (ch.target != "docs-writer")].delta_cost.sum()
    fr.inconsistent("used haiku for non-critical tasks ($)", -0.15, round(float(haiku), 10), -0.21,
                    "the seed's own lines give 3 × (0.10 − 0.03) = 0.21 (database-expert, "
                    "state-manager, integration-tester)")
    docs = ch[ch.target == "docs-writer"].delta_cost.sum()
    fr.exact("cached documentation template ($)", -0.04, round(float(docs), 10),
             "docs-writer 0.05 → 0.01")
    par = ch[ch.strategy == "parallelize"].delta_duration.sum()
    fr.inconsistent("parallelized backend + frontend (min)", -45, par / 60, -25,
                    "90 → 45 min is the whole reduction; it also includes the −10 min simplification "
                    "and the removed opus agents' 2 × 5 min, leaving −25 min for parallelizing")
    simp = ch[ch.strategy == "simplify"].delta_duration.sum()
    fr.exact("simplified integration testing (min)", -10, simp / 60)
    by_tier: dict[str, list[float]] = {}
    for ph in opt.plan.phases:
        for ln in ph.agents:
            by_tier.setdefault(ln.tier, []).append(ln.cost)
    n = {t: len(v) for t, v in by_tier.items()}
    tot = {t: round(sum(v), 10) for t, v in by_tier.items()}
    fr.exact("by model: opus agents", 0, n.get("opus", 0))
    fr.inconsistent("by model: sonnet agents", 3, n.get("sonnet", 0), 2,
                    "the optimized plan has 2 sonnet lines (api-specialist, component-builder)")
    fr.inconsistent("by model: sonnet total ($)", 0.30, tot.get("sonnet", 0), 0.20,
                    "the optimized plan's 2 sonnet lines at 0.10 each")
    fr.inconsistent("by model: haiku agents", 4, n.get("haiku", 0), 3,
                    "the optimized plan has 3 haiku lines")
    fr.inconsistent("by model: haiku total ($)", 0.12, tot.get("haiku", 0), 0.09,
                    "the optimized plan's 3 haiku lines at 0.03 each")
    fr.exact("by model: cached agents", 1, n.get("cached", 0))
    fr.exact("by model: cached total ($)", 0.01, tot.get("cached", 0))
    fr.inconsistent("by model: agent count", 8, sum(n.values()), 6,
                    "the by-model table counts 8 agents (rows summing to 0.43) where the plan has 6")
    fr.exact("outcome", "succeeded", r.requests.status.iloc[0])


FLOWS: dict[str, tuple[str, Callable[[FlowReplay, int], None]]] = {
    "routing": ("1. Request classification and routing", _routing),
    "bus": ("2. Message bus timeline", _bus),
    "discovery": ("3. Agent discovery and team building", _discovery),
    "breaker": ("4. Circuit breaker state machine", _breaker),
    "saga": ("5. Saga with rollback", _saga),
    "cost": ("6. Cost optimization", _cost),
}


def replay_flow(flow: str, seed: int = 0) -> FlowReplay:
    """Run one documented flow (a name of :data:`FLOWS`) and compare it with the seed.

    Parameters:
        flow: the flow's name (routing, bus, discovery, breaker, saga, cost).
        seed: the runs' seed.

    Returns:
        The flow's :class:`FlowReplay` (runs, rows, timeline).

    Raises:
        InputError: an unknown flow name.
    """
    if flow not in FLOWS:
        raise InputError(f"unknown flow {flow!r} (known: {', '.join(FLOWS)})", field="flow")
    title, compare = FLOWS[flow]
    fr = FlowReplay(flow, title)
    compare(fr, seed)
    return fr


def replay(flows: str | Iterable[str] | None = None, *, seed: int = 0,
           out: str | Path | None = None, overwrite: bool = False) -> pd.DataFrame:
    """Replay the documented flows (all by default) and return the conformance table.

    With ``out``, also writes ``conformance.csv`` and each flow's ``<flow>_timeline.csv`` there,
    atomically and replacing a previous output whole (:mod:`simroute.io.outputs`).

    Parameters:
        flows: a flow name, several, or None for all.
        seed: the runs' seed.
        out: a folder for the CSV outputs (None: none written).
        overwrite: replace ``out`` even when it holds files simroute did not write.

    Returns:
        The conformance table: ``flow, item, documented, simulated, status, note``.

    Raises:
        InputError: an unknown flow name.
    """
    if flows is None:
        names: Sequence[str] = list(FLOWS)
    else:
        names = [flows] if isinstance(flows, str) else list(flows)
    replays = [replay_flow(n, seed) for n in names]
    table = pd.concat([fr.table() for fr in replays], ignore_index=True)
    if out is not None:
        from ..io.outputs import output_folder

        with output_folder(out, command="replay", overwrite=overwrite, seed=seed,
                           flows=list(names)) as folder:
            write_csv(table, folder / "conformance.csv")
            for fr in replays:
                write_csv(fr.timeline(), folder / f"{fr.flow}_timeline.csv")
    return table
