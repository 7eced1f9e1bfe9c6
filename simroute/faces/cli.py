"""The ``simroute`` command line.

Errors in input print one line (``simroute: FILE:LINE: ENTRY: field 'F': message``) and exit 2.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..common.errors import InputError, did_you_mean
from ..experiments.export import write_csv
from ..experiments.run import RECORD_LEVELS
from ..io.outputs import MANIFEST

if TYPE_CHECKING:
    from ..io.labelled import LabelledRequest
    from ..policies.catalog import Catalog
    from ..policies.classify import Reading
    from ..policies.scoring import ScoringWeights

__all__ = ["main"]


KINDS = ("catalog", "scenario", "plan", "trace", "litellm", "labelled")


def kind_of(path: Path) -> tuple[str, str]:
    """(kind, why) of an input file by a fixed rule: a ``.csv`` file whose header has ``accept`` and
    no ``time`` is a labelled routing set, any other ``.csv`` a trace; a directory is a catalog; a
    YAML file with any catalog section (tiers, lexicon, plugins, agents) at the top is a catalog,
    one with ``phases`` a plan, one with ``model_list`` a LiteLLM config, any other a scenario."""
    from ..common.yamlio import load_yaml
    from ..policies.catalog import SECTIONS

    if path.suffix.lower() == ".csv":
        from ..io.tracefile import header_of

        header = set(header_of(path))
        if "accept" in header and "time" not in header:
            return "labelled", "a .csv file with an 'accept' column and no 'time'"
        return "trace", "a .csv file"
    if path.is_dir():
        return "catalog", "a directory"
    data, _ = load_yaml(path)
    keys = set(data) if isinstance(data, dict) else set()
    if keys & set(SECTIONS):
        return "catalog", f"it has the catalog section {sorted(keys & set(SECTIONS))[0]!r}"
    if "phases" in keys:
        return "plan", "it has 'phases'"
    if "model_list" in keys:
        return "litellm", "it has 'model_list' (a LiteLLM config)"
    return "scenario", "it has no catalog section and no 'phases'"


def _validate(args: argparse.Namespace) -> int:
    """Check a catalog, scenario, plan or trace; the kind is ``--kind`` or :func:`kind_of`'s."""
    from ..io.scenario import Scenario
    from ..io.workload import read_trace, trace_format_of
    from ..policies.catalog import load_catalog
    from ..policies.plan import Plan

    path = Path(args.file)
    kind, why = (args.kind, "as --kind says") if args.kind else kind_of(path)
    try:
        if kind == "trace":
            fmt = trace_format_of(path)
            trace = read_trace(path, fmt)
            summary = (f"{fmt} trace, {len(trace['time'])} requests over "
                       f"{trace['time'][-1] - trace['time'][0]:.1f} s")
        elif kind == "scenario":
            scenario = Scenario.from_yaml(path)
            # the workload's kind reads what it will run (every row of a trace, checked)
            expected = scenario.workload.expected_requests(scenario.horizon)
            summary = (f"scenario {scenario.name!r}: {scenario.workload.kind} workload "
                       f"({'unbounded' if expected == float('inf') else f'about {expected:,.0f}'} requests), "
                       f"{len(scenario.faults)} faults, {scenario.catalog!r}")
        elif kind == "litellm":
            from ..io.litellm import import_litellm

            imported = import_litellm(path)
            scenario = Scenario.from_dict(imported.scenario, source=str(path))
            summary = (f"LiteLLM config: {len(scenario.model_groups.deployments)} deployments in "
                       f"{len(scenario.model_groups.groups)} model groups; {len(imported.warnings)} keys "
                       "not modelled (simroute import litellm lists them)")
        elif kind == "labelled":
            from ..io.labelled import read_labelled

            labelled = read_labelled(path, load_catalog())
            plugins = {p for item in labelled for p in item.accept}
            summary = (f"labelled routing set: {len(labelled)} requests accepting {len(plugins)} plugins "
                       f"(simroute route --eval {path} measures routing on it)")
        elif kind == "plan":
            plan = Plan.from_yaml(path, prices=load_catalog().tiers)
            summary = f"plan of {len(plan)} phases, {plan.duration / 60:g} min, ${plan.cost:.2f}"
        else:
            summary = repr(load_catalog(path))
    except InputError as exc:
        hint = "" if args.kind else "; --kind to say otherwise"
        raise InputError(f"{exc.message} (read as a {kind}: {why}{hint})",
                         file=exc.file, line=exc.line, entry=exc.entry, field=exc.field) from None
    print(f"ok ({kind}): {summary}")
    return 0


def _scenario(arg: str | None, default: str = "default"):
    """A scenario file, or the name of a bundled scenario (``default``, ``outage``, ``report``,
    ``metastable``, ``gateway``)."""
    from ..io.scenario import Scenario
    from ..policies.catalog import data_dir

    folder = data_dir() / "scenarios"
    if arg is None:
        return Scenario.from_yaml(folder / f"{default}.yaml")
    path = Path(arg)
    if not path.exists() and path.suffix == "" and (folder / f"{arg}.yaml").is_file():
        return Scenario.from_yaml(folder / f"{arg}.yaml")
    if not path.exists():
        names = sorted(p.stem for p in folder.glob("*.yaml"))
        raise InputError(f"no such file, and not a bundled scenario{did_you_mean(arg, names)} (bundled: "
                         f"{', '.join(names)})", file=arg, field="scenario")
    return Scenario.from_yaml(path)


OVERWRITE_HELP = ("replace the --out folder and everything in it, even files simroute did not write "
                  "(without it such a folder is refused; a previous simroute output, with its "
                  "simroute.json, is always replaced whole). Outputs are written atomically")
SCENARIO_HELP = ("scenario YAML, or a bundled scenario's name: default, outage, report, metastable, "
                 "gateway (default: {})")


def _run(args: argparse.Namespace) -> int:
    import importlib.util

    from ..io.outputs import output_folder

    if args.format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise InputError("--format parquet needs pyarrow: pip install 'simroute[parquet]' (or use csv)",
                         field="format")
    scenario = _scenario(args.scenario)
    if args.out:
        with output_folder(args.out, command="run", overwrite=args.overwrite, seed=args.seed,
                           replication=args.replication, scenario=scenario.name, source=scenario.source,
                           record=args.record) as folder:
            results = _simulate(args, scenario, folder)
            summary = results.summary()
            tables = _tables(results, summary)
            for name, df in tables.items():
                if args.format == "parquet":
                    df.to_parquet(folder / f"{name}.parquet", index=False)
                else:
                    write_csv(df, folder / f"{name}.csv")
        written = len(tables) + (2 if results.record == "full" and results.stream is not None else 0)
        print(f"wrote {written} tables and {MANIFEST} to {args.out}/")
    else:
        results = _simulate(args, scenario)
        summary = results.summary()
    print(repr(results))
    shown = summary[summary.key == ""][["metric", "value"]]
    print(shown.to_string(index=False))
    if results.warmup >= results.end_time:
        print(f"simroute: warning: the warm-up ({results.warmup:g} s) lasts to the end of the run "
              f"({results.end_time:g} s), so the summary's window is empty and every metric is NaN: "
              "shorten settings.warmup or run longer", file=sys.stderr)
    return 0


def _simulate(args: argparse.Namespace, scenario, folder: Any = None):
    """Run ``scenario``; with ``--format parquet --record full`` and an output folder, the requests
    and attempts tables are streamed into it a chunk at a time instead of being held."""
    from ..experiments.run import run

    progress = False if args.quiet else None
    if folder is None or args.format != "parquet" or args.record != "full":
        return run(scenario, seed=args.seed, replication=args.replication, record=args.record,
                   progress=progress)
    from ..experiments.export import ParquetTable

    streams = {"requests": ParquetTable(folder / "requests.parquet", args.seed, args.replication),
               "attempts": ParquetTable(folder / "attempts.parquet", args.seed, args.replication,
                                        attempts=True)}
    results = run(scenario, seed=args.seed, replication=args.replication, progress=progress,
                  on_chunk=streams)
    streams["requests"].close(results.requests)
    streams["attempts"].close(results.attempts)
    return results


def _tables(results, summary) -> dict:
    """The tables ``simroute run`` writes: every table of a full run kept in memory, the small
    ones otherwise (per-request rows were not kept, or were streamed already)."""
    tables = {"requests": results.requests, "attempts": results.attempts,
              "breaker_events": results.breaker_events, "messages": results.messages,
              "sagas": results.sagas, "plugins": results.plugins, "summary": summary,
              "per_minute": results.per_minute(), "per_minute_plugins": results.per_minute(by_plugin=True)}
    if results.stream is not None:
        for name in ("requests", "attempts", "messages", "sagas"):
            del tables[name]
    return tables


def _replay(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..experiments.replay import replay

    if args.out:
        table = replay(args.flow, seed=args.seed, out=args.out or None, overwrite=args.overwrite)
    with pd.option_context("display.max_colwidth", 48, "display.width", 200, "display.max_rows", None):
        for flow, rows in table.groupby("flow", sort=False):
            print(f"== {flow}")
            print(rows[["item", "documented", "simulated", "status"]].to_string(index=False))
    counts = table.status.value_counts()
    print(f"{len(table)} rows: {counts.get('exact', 0)} exact, {counts.get('within tolerance', 0)} "
          f"within tolerance, {counts.get('seed inconsistent', 0)} seed inconsistent, "
          f"{counts.get('mismatch', 0)} mismatch")
    if args.out:
        print(f"wrote conformance.csv and the flows' timelines to {args.out}/")
    bad = table[table.status == "mismatch"]
    for _, row in bad.iterrows():
        print(f"simroute: regression in flow {row.flow}: {row['item']}: documented {row.documented}, "
              f"simulated {row.simulated}", file=sys.stderr)
    return 1 if len(bad) else 0


def _parse_param(text: str) -> tuple[str, list]:
    """``path=v1,v2,…`` → (path, values); values are ints, floats, true/false/none or strings."""
    path, sep, values = text.partition("=")
    if not sep or not path or not values.strip():
        raise InputError(f"expected PATH=V1,V2,… got {text!r}", entry="--param", field="param")

    def value(v: str):
        v = v.strip()
        low = v.lower()
        if low in ("true", "false"):
            return low == "true"
        if low in ("none", "null"):
            return None
        for cast in (int, float):
            try:
                return cast(v)
            except ValueError:
                pass
        return v

    return path.strip(), [value(v) for v in values.split(",")]


def _sweep(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..experiments.sweep import aggregate, sweep
    from ..io.outputs import output_folder

    scenario = _scenario(args.scenario)
    params = dict(_parse_param(p) for p in args.param)
    if not params:
        raise InputError("give at least one --param PATH=V1,V2,…", field="param")
    frame = sweep(scenario, params, replications=args.replications, seed=args.seed,
                  executor=_executor(args), workers=args.workers, progress=not args.quiet)
    agg = aggregate(frame)
    if args.out:
        with output_folder(args.out, command="sweep", overwrite=args.overwrite, seed=args.seed,
                           scenario=scenario.name, params={k: list(v) for k, v in params.items()}) as folder:
            write_csv(frame, folder / "sweep.csv")
            write_csv(agg, folder / "aggregate.csv")
        print(f"wrote sweep.csv ({len(frame)} rows) and aggregate.csv to {args.out}/")
    shown = agg[(agg.key == "") & agg.metric.isin(args.metrics.split(","))]
    table = shown.pivot_table(index=list(params), columns="metric", values=["mean", "half_width"],
                              dropna=False)  # a point whose value is None (off) is a row too
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(f"{scenario.name}: {len(frame.point.unique())} points × {args.replications} replications "
              f"(mean and 95 % CI half-width)")
        print(table.round(4).to_string())
    return 0


def _parse_range(text: str) -> tuple[str, object]:
    """``path=LOW:HIGH`` → (path, (low, high)); ``path=V1,V2,…`` → (path, [values])."""
    path, sep, values = text.partition("=")
    if sep and ":" in values and "," not in values:
        lo, _, hi = values.partition(":")
        bounds = []
        for v in (lo, hi):
            try:
                bounds.append(int(v) if v.strip().lstrip("-").isdigit() else float(v))
            except ValueError:
                raise InputError(f"expected PATH=LOW:HIGH with numbers, got {text!r}", entry="--param",
                                 field="param") from None
        return path.strip(), (bounds[0], bounds[1])
    return _parse_param(text)


def _parse_goal(text: str) -> tuple[str, tuple[str, float]]:
    """``metric<=bound`` or ``metric>=bound``."""
    from ..experiments.metrics import metric

    for op in ("<=", ">="):
        name, sep, bound = text.partition(op)
        if sep:
            metric(name.strip(), field="constraint")
            try:
                return name.strip(), (op, float(bound))
            except ValueError:
                break
    raise InputError(f"expected METRIC<=BOUND or METRIC>=BOUND, got {text!r}", entry="--constraint",
                     field="constraint")


def _tune(args: argparse.Namespace) -> int:
    import warnings

    import pandas as pd

    from ..experiments.metrics import metric
    from ..experiments.tune import tune
    from ..io.outputs import output_folder

    space = dict(_parse_range(p) for p in args.param)
    if not space:
        raise InputError("give at least one --param PATH=LOW:HIGH or PATH=V1,V2,…", field="param")
    if args.routing is not None:
        return _tune_routing(args, space)
    scenario = _scenario(args.scenario)
    goals = dict(_parse_goal(c) for c in args.constraint)
    metric(args.minimize, field="minimize")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        tuning = tune(scenario, space, objective=args.minimize, constraints=goals, trials=args.trials,
                      replications=args.replications, seed=args.seed, executor=_executor(args),
                      workers=args.workers, progress=not args.quiet, window=args.window,
                      storage=args.storage, study=args.study)
    for w in caught:
        print(f"simroute: warning: {w.message}", file=sys.stderr)
    if args.out:
        with output_folder(args.out, command="tune", overwrite=args.overwrite, seed=args.seed,
                           scenario=scenario.name, objective=args.minimize,
                           constraints=args.constraint) as folder:
            write_csv(tuning.trials, folder / "trials.csv")
        print(f"wrote trials.csv ({len(tuning.trials)} trials) to {args.out}/")
    best = tuning.best
    assert best is not None  # trials >= 1
    shown = [args.minimize, *goals]
    lines = [f"  {m} = {best[f'{m}_mean']:.4g} {metric(m).unit} (95 % CI {best[f'{m}_low']:.4g} – "
             f"{best[f'{m}_high']:.4g})" for m in dict.fromkeys(shown)]
    head = "best feasible trial" if tuning.feasible else "no feasible trial; the least infeasible"
    with pd.option_context("display.width", 200):
        print(f"{scenario.name}: {len(tuning.trials)} trials × {args.replications} replications, "
              f"{int(tuning.trials.feasible.sum())} feasible")
        print(f"{head}: trial {int(best['trial'])}: {tuning.best_params}")
        print("\n".join(lines))
        ties = tuning.ties
        print(f"tied with it (95 % intervals of {args.minimize} overlap): "
              + (", ".join(f"trial {t}" for t in ties) if ties else "no trial"))
    return 0 if tuning.feasible else 1


def _tune_routing(args: argparse.Namespace, space: dict[str, Any]) -> int:
    """``simroute tune --routing FILE``: scoring weights for routing accuracy, cross-validated."""
    import pandas as pd

    from ..experiments.routing_quality import tune_routing
    from ..io.outputs import output_folder
    from ..policies.catalog import load_catalog

    if args.constraint or args.minimize != "cost_per_request" or args.scenario:
        raise InputError("--routing tunes routing accuracy on a labelled set: it takes --param, --trials, "
                         "--folds, --seed, --catalog and --out, not a scenario, --minimize or --constraint",
                         field="routing")
    catalog = load_catalog(args.catalog)
    labelled = _labelled(args.routing, catalog)
    result = tune_routing(labelled, catalog, space, trials=args.trials, k=args.folds, seed=args.seed,
                          progress=not args.quiet)
    if args.out:
        with output_folder(args.out, command="tune", overwrite=args.overwrite, seed=args.seed,
                           scenario=f"routing:{args.routing}", objective="accuracy",
                           constraints=[]) as folder:
            write_csv(result.folds, folder / "folds.csv")
            write_csv(result.trials, folder / "trials.csv")
        print(f"wrote folds.csv and trials.csv to {args.out}/")
    f = result.folds
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"{len(labelled)} labelled requests, {args.folds}-fold cross-validation, {args.trials} trials "
              f"per search: accuracy on the training folds and on the held-out fold, side by side")
        print(f.round(3).to_string(index=False))
        print(f"mean: train {f.train_accuracy.mean():.1%}, held-out {f.test_accuracy.mean():.1%} "
              f"(a large gap is overfitting)")
        best = result.best
        print(f"best on every request: {result.best_params}: accuracy {best.accuracy:.1%}, "
              f"${best.mean_cost_usd:.3f} and {best.mean_duration_s / 60:.1f} min per request")
    return 0


def _import(args: argparse.Namespace) -> int:
    from ..io.litellm import import_litellm
    from ..io.outputs import check_file, write_file
    from ..io.scenario import Scenario

    out = Path(args.out)
    check_file(out, args.overwrite)  # before any work
    imported = import_litellm(args.config, rate=args.rate, requests=args.requests, group=args.group,
                              context_tokens=args.context_tokens, generated_tokens=args.generated_tokens,
                              name=args.name)
    for line in imported.warnings:
        print(f"simroute: warning: {line}", file=sys.stderr)
    loaded: list[Scenario] = []

    def loads(written: Path) -> None:  # what was written loads (the same checks as validate)
        try:
            loaded.append(Scenario.from_yaml(written))
        except InputError as exc:  # name the user's config, not the temporary file
            raise InputError(exc.message, file=str(args.config), entry=exc.entry, field=exc.field) from None

    write_file(out, imported.to_yaml(args.config), overwrite=args.overwrite, check=loads)
    scenario = loaded[0]
    groups = scenario.model_groups.groups
    print(f"wrote {out}: {len(scenario.model_groups.deployments)} deployments in {len(groups)} model groups "
          f"({', '.join(groups)}); {len(imported.warnings)} keys not modelled")
    return 0


def _floats(text: str, field: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"expected numbers separated by commas, got {text!r}", field=field) from None


def _report(args: argparse.Namespace) -> int:
    from .report import report
    from .report_data import setting_name

    # without a scenario, report() picks the one for the trace: the LLM gateway for an azure trace
    scenario = _scenario(args.scenario, "report") if args.scenario is not None else None
    rep = report(scenario, args.out, trace=args.trace, trace_format=args.trace_format,
                 load_factors=_floats(args.load_factors, "load_factors"), slo_p95=args.slo_p95,
                 seed=args.seed, replications=args.replications, executor=_executor(args),
                 progress=not args.quiet, pdf=args.pdf, overwrite=args.overwrite)
    t = rep.timings
    print(f"wrote {rep.path} and {len(rep.tables)} tables ({', '.join(rep.tables)}) to {args.out}/")
    print(f"{len(rep.figures)} figures; wall time {t['total']:.1f} s: simulation {t['simulation']:.1f} s, "
          f"rendering {t['rendering']:.1f} s")
    for warning in rep.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    slo = f"p95 <= {rep.slo_p95:g} s ({rep.slo_source})"
    if rep.highest_load_within_slo is not None:
        print(f"SLO {slo}: today's capacity meets it up to load factor {rep.highest_load_within_slo:g}")
    else:
        print(f"SLO {slo}: today's capacity misses it even at load factor {min(rep.load_factors):g}")
    for f, why in rep.saturated.items():
        print(f"load factor {f:g} is saturated: {why}")
    check = rep.tables["plan_check"].set_index("load_factor")
    for f in rep.load_factors:
        added = rep.additions(f)
        if added:
            verdict = "meets the SLO" if check.meets_slo[f] else "still misses the SLO"
            print(f"load factor {f:g}: add {', '.join(added)} "
                  f"(${check.capacity_cost_per_month[f]:,.0f}/month of capacity; re-simulated: {verdict})")
    r = rep.recommended
    if r is not None:
        today = setting_name(r["today"])
        print(f"keep today's settings ({r['name']}): nothing compared improves on them beyond noise"
              if r["keep_today"] else f"recommended settings: {r['name']} (today: {today})")
    if args.pdf:
        print(f"wrote {Path(args.out) / 'report.pdf'}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibration_page import calibrate

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr)

    cal = calibrate(args.logs, args.format, out=args.out, overwrite=args.overwrite, config=args.config,
                    holdout=args.holdout, replications=args.replications, seed=args.seed,
                    min_rows=args.min_rows, max_validate=args.max_validate, progress=say)
    f = cal.facts
    print(f"wrote {args.out}/: scenario.yaml ({f['deployments']} deployments in {f['groups']} model groups, "
          f"fitted on {f['attempts']:,} attempts), trace.csv ({f['requests']:,} requests), fit.csv, "
          "validation.csv, qq.csv, index.html")
    print(cal.agreement())
    return 0


def _route(args: argparse.Namespace) -> int:
    from ..policies.catalog import load_catalog
    from ..policies.classify import SEED_READING, Reading, classify
    from ..policies.discovery import build_team, find_agents
    from ..policies.routing import decide_route
    from ..policies.scoring import SEED_WEIGHTS, ScoringWeights

    catalog = load_catalog(args.catalog)
    reading, weights = (SEED_READING, SEED_WEIGHTS) if args.seed_routing else (Reading(), ScoringWeights())
    if args.eval is not None:
        return _route_eval(args, catalog, reading, weights)
    c = classify(args.text, catalog, reading)
    print(f"request:        {args.text}")
    print(f"classification: {c!r}")
    if c.corrections:
        print("read as:        " + ", ".join(f"{a} → {b}" for a, b in c.corrections))
    route = decide_route(c, catalog, weights)
    print("plugin scores:")
    for s in route.scores[: args.top]:
        print(f"  {s!r}")
    if route.matched:
        print(f"primary:        {route.primary}   fallbacks: {', '.join(route.fallbacks)}")
    elif route.primary is not None:
        print(f"primary:        {route.primary} ({route.reason}: the orchestrator's built-in handling)")
    else:
        print(f"primary:        none ({route.reason})")
    print(f"collaboration:  {'REQUIRED' if route.collaboration else 'no'}  strategy: {route.strategy}")
    for p in route.plan.phases:
        deps = f"  after {', '.join(p.predecessors)}" if p.predecessors else ""
        agents = ", ".join(f"{a.agent} ({a.tier} ${a.cost:.2f})" for a in p.agents)
        print(f"  phase {p.name:<14} {p.plugin:<24} {p.duration / 60:5.1f} min  {agents}{deps}")
    print(f"estimate:       {route.est_duration / 60:g} min, ${route.est_cost:.2f}")
    candidates = find_agents(c, catalog, weights)
    if candidates:
        try:
            team = repr(build_team(candidates, c))
        except ValueError as exc:  # a catalog without a coordinator agent: no team to build
            team = f"none ({exc}: give an agent of it role: coordinator)"
        print(f"team:           {team}")
    return 0


def _labelled(name: str, catalog: Catalog) -> list[LabelledRequest]:
    """A labelled CSV, or a bundled set: ``bundled`` (the tuning set) or ``bundled-fresh``."""
    from ..io.labelled import bundled_labelled, read_labelled

    if name in ("bundled", "bundled-fresh"):
        return bundled_labelled(catalog, "fresh" if name == "bundled-fresh" else "tuning")
    return read_labelled(name, catalog)


def _route_eval(args: argparse.Namespace, catalog: Catalog, reading: Reading, weights: ScoringWeights) -> int:
    """``simroute route --eval FILE``: routing quality on a labelled set."""
    import pandas as pd

    from ..experiments.routing_quality import evaluate_routing
    from ..io.outputs import check_file, write_file

    if args.out:
        check_file(args.out, args.overwrite)  # before any work
    labelled = _labelled(args.eval, catalog)
    ev = evaluate_routing(labelled, catalog, weights, reading)
    s = ev.summary()
    which = "the seed's" if args.seed_routing else "the default"
    print(f"{int(s.requests)} labelled requests from {args.eval}, {which} routing:")
    print(f"  top-1 accuracy  {s.top1_accuracy:6.1%}   "
          f"(95% interval {s.top1_low_95:.1%} to {s.top1_high_95:.1%})")
    print(f"  top-3 accuracy  {s.top3_accuracy:6.1%}")
    print(f"  no match        {s.no_match_rate:6.1%}")
    print(f"  mean regret     ${s.mean_regret_usd:+.3f} per request, "
          f"{s.mean_regret_s / 60:+.2f} min per request")
    by = ev.accuracy_by("difficulty")
    if len(by) > 1 or by.index[0] != "":
        for key, row in by.iterrows():
            print(f"  {key or '(no label)':<14}  {row.accuracy:6.1%} of {int(row.requests)}   "
                  f"({row.low:.1%} to {row.high:.1%})")
    with pd.option_context("display.width", 120, "display.max_rows", 200):
        print("per plugin (precision: routed to it and accepted; recall: accepting it and routed right):")
        print(ev.per_plugin().round(3).to_string())
        misses = ev.misses()
        if len(misses):
            print(f"misses ({len(misses)}; first {min(args.top, len(misses))}):")
            for m in misses.head(args.top).itertuples():
                print(f"  {m.text!r}: routed to {m.primary}, accepted {'|'.join(m.accept)}")
    if args.out:
        table = ev.table.assign(accept=ev.table.accept.str.join("|"), top3=ev.table.top3.str.join("|"))
        write_file(args.out, table.to_csv(index=False), overwrite=args.overwrite)
        print(f"wrote {args.out}")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``simroute: argument --seed: …``), exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"simroute: {message} (simroute {self.prog.split()[-1]} --help says more)", file=sys.stderr)
        sys.exit(2)


def _count(least: int):
    """An argument type: a whole number >= ``least``."""
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value
    return check


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _positive(text: str) -> float:
    """An argument type: a finite number > 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _duration(text: str) -> str:
    """An argument type: a duration (``90s``, ``1.5m``, ``2h``; a bare number is seconds), kept as
    written so the page can say which unit it came in."""
    from ..common.durations import parse_duration

    try:
        parse_duration(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def _amount(text: str) -> float:
    """An argument type: a finite number >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _add_executor(p: argparse.ArgumentParser, workers: bool = True) -> None:
    """The options that say where a command's runs go."""
    p.add_argument("--executor", choices=("serial", "processes", "dask"), default="processes",
                   help="where the runs go; every executor gives the same results (default processes)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run on an existing Dask cluster: its scheduler's address (tcp://host:8786); "
                        "implies --executor dask. With --executor dask and no --scheduler, "
                        "DASK_SCHEDULER_ADDRESS is used when set, else a local cluster is started")
    if workers:
        p.add_argument("--workers", type=_count(1), default=None,
                       help="pool or cluster size (default: the cores)")


def _executor(args: argparse.Namespace) -> str:
    """Where a command's runs go: ``--scheduler``'s address, else ``--executor``."""
    return args.scheduler or args.executor


def versions() -> str:
    """simroute's version and build (pure Python, or compiled), Python's and its main dependencies'."""
    import platform
    from importlib import metadata

    from ..common.version import __version__

    found = []
    for name in ("simpy", "pandas", "numpy", "matplotlib", "scipy"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} ?")
    from ..common.build import build

    return (f"simroute {__version__} ({build()}); Python {platform.python_version()}; "
            + ", ".join(found))


class _Version(argparse.Action):
    """``--version``: :func:`versions`, looked up only when asked (not at every command)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(versions())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from ..experiments.metrics import metrics_help

    parser = _Parser(prog="simroute", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="simroute's version, how it runs, and the versions it runs with")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a catalog, scenario, plan, trace or LiteLLM config and say "
                                        "what is wrong")
    p.add_argument("file", help="a catalog (directory or YAML), scenario or plan (YAML) or trace (CSV)")
    p.add_argument("--kind", choices=KINDS,
                   help="what the file is (default: a .csv with 'accept' and no 'time' a labelled routing "
                        "set, any other .csv a trace; a directory or a YAML with catalog "
                        "sections a catalog; a YAML with 'phases' a plan; one with 'model_list' a "
                        "LiteLLM config; any other YAML a scenario)")
    p.set_defaults(func=_validate)
    p = sub.add_parser("run", help="simulate a scenario; write its tables and print the summary",
                       epilog=metrics_help())
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP.format("default"))
    p.add_argument("--seed", type=_count(0), default=0,
                   help="the run's seed (same seed, same tables; default 0)")
    p.add_argument("--replication", type=_count(0), default=0,
                   help="replication number: another independent run of the same seed (default 0)")
    p.add_argument("--out", help="directory for the result tables")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar (shown for runs of 200,000 "
                                                        "requests or more)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="table format (parquet needs pyarrow: pip install 'simroute[parquet]'; with "
                        "--record full the requests and attempts are streamed to it in chunks; "
                        "default csv)")
    p.add_argument("--record", choices=RECORD_LEVELS, default="full",
                   help="full: every table (a row per request and per attempt); summary: no "
                        "per-request rows, only the summary (counters and a latency sketch, "
                        "quantiles within 1 %%) and the per-minute tables, in flat memory for runs of "
                        "millions of requests (default full)")
    p.set_defaults(func=_run)
    p = sub.add_parser("replay", help="replay the seed's documented flows; print the conformance table")
    p.add_argument("--flow", choices=("routing", "bus", "discovery", "breaker", "saga", "cost"),
                   help="replay only this flow")
    p.add_argument("--seed", type=_count(0), default=0, help="the runs' seed (default 0)")
    p.add_argument("--out", default="simroute-replay",
                   help="directory for conformance.csv and the timelines ('' to skip)")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.set_defaults(func=_replay)
    p = sub.add_parser("sweep", help="run a scenario over a grid of parameter values, with replications",
                       epilog=metrics_help())
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP.format("default"))
    p.add_argument("--param", action="append", default=[], metavar="PATH=V1,V2",
                   help="a parameter and its values, e.g. breaker.failure_threshold=3,5,8 (repeatable)")
    p.add_argument("--replications", type=_count(1), default=5, help="runs per point (default 5)")
    p.add_argument("--seed", type=_count(0), default=0, help="root seed of the replications")
    _add_executor(p)
    p.add_argument("--metrics", default="success_rate,latency_p95,cost_per_success,attempts_per_request",
                   help="summary metrics to print (all are written)")
    p.add_argument("--out", help="directory for sweep.csv and aggregate.csv")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_sweep)
    p = sub.add_parser("tune", help="search settings that minimize a metric subject to goals (Optuna TPE)",
                       description="Search settings that minimize a metric subject to goals (Optuna "
                                   "TPE). Exit code 1 when no trial meets every goal: the least "
                                   "infeasible trial is printed and each goal no trial met is named.",
                       epilog=metrics_help())
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP.format("default"))
    p.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH|PATH=V1,V2",
                   help="a parameter and its range (LOW:HIGH; integers if both are) or choices "
                        "(V1,V2,…), e.g. breaker.failure_threshold=2:10 (repeatable)")
    p.add_argument("--constraint", action="append", default=[], metavar="METRIC<=BOUND|METRIC>=BOUND",
                   help="a goal judged on the safe end of the metric's 95 %% interval, in the metric's "
                        "unit, e.g. latency_p95<=900 (seconds) or success_rate>=0.99 (repeatable)")
    p.add_argument("--minimize", default="cost_per_request", metavar="METRIC",
                   help="the metric to minimize (default cost_per_request)")
    p.add_argument("--routing", metavar="FILE", default=None,
                   help="tune weights.* and reading.* for routing accuracy on a labelled CSV ('bundled' "
                        "or 'bundled-fresh': the package's sets), cross-validated: no simulation")
    p.add_argument("--folds", type=_count(2), default=5, help="with --routing: cross-validation folds "
                                                             "(default 5)")
    p.add_argument("--catalog", default=None, help="with --routing: catalog directory or file "
                                                   "(default: bundled)")
    p.add_argument("--trials", type=_count(1), default=30, help="settings to try (default 30)")
    p.add_argument("--window", choices=("run", "fault"), default="run",
                   help="judge the objective and constraints over the whole run (default) or inside the "
                        "scenario's fault windows only")
    p.add_argument("--replications", type=_count(1), default=3, help="runs per trial (default 3)")
    p.add_argument("--seed", type=_count(0), default=0, help="the sampler's and the runs' seed (default 0)")
    p.add_argument("--storage", metavar="URL", default=None,
                   help="keep the study in an Optuna storage (sqlite:///study.db, postgresql://…): a run "
                        "resumes it and several processes or machines can work on it; --trials is then "
                        "the study's total")
    p.add_argument("--study", metavar="NAME", default=None,
                   help="the study's name in --storage (default simroute-<scenario name>)")
    _add_executor(p)
    p.add_argument("--out", help="directory for trials.csv")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_tune)
    p = sub.add_parser("report", help="capacity and cost report: index.html and CSV tables",
                       epilog=metrics_help())
    p.add_argument("scenario", nargs="?", help=SCENARIO_HELP.format("report"))
    p.add_argument("--trace", help="replay this trace instead of the scenario's workload: a CSV path or a "
                                   "bundled name (azure-code-2023: the real one-hour Azure LLM trace; "
                                   "sample; azure-like)")
    p.add_argument("--trace-format", choices=("simroute", "azure"), default=None,
                   help="default: from the file's header")
    p.add_argument("--load-factors", default="0.5,1,1.5,2,3", help="offered load multipliers")
    p.add_argument("--slo-p95", type=_duration, default=None,
                   help="p95 latency goal with its unit: 30s, 5m, 2h (a bare number is seconds; "
                        "default: the scenario's slo.latency setting, itself 3600 s when the scenario "
                        "does not set it)")
    p.add_argument("--seed", type=_count(0), default=0, help="the runs' seed (default 0)")
    p.add_argument("--replications", type=_count(1), default=5,
                   help="runs per load factor, for 95 %% intervals (default 5)")
    _add_executor(p, workers=False)
    p.add_argument("--out", default="simroute-report", help="directory for index.html and the tables' CSV "
                                                           "(default simroute-report)")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--pdf", action="store_true", help="also render report.pdf with headless Chromium")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_report)
    p = sub.add_parser("import", help="write a scenario from another tool's configuration (a LiteLLM "
                                      "Router config)")
    p.add_argument("tool", choices=("litellm",), help="whose configuration: litellm (a proxy config.yaml)")
    p.add_argument("config", help="the configuration file")
    p.add_argument("--out", required=True, help="the scenario YAML to write")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--rate", type=_positive, default=0.5,
                   help="requests per second of the workload (default 0.5)")
    p.add_argument("--requests", type=_count(1), default=1000, help="how many requests (default 1000)")
    p.add_argument("--group", default=None, help="the model group requests name (default: the first)")
    p.add_argument("--context-tokens", type=_amount, default=1000.0,
                   help="input tokens per request, for per-token prices (default 1000)")
    p.add_argument("--generated-tokens", type=_amount, default=300.0,
                   help="output tokens per request (default 300)")
    p.add_argument("--name", default=None, help="the scenario's name (default: the config's file name)")
    p.set_defaults(func=_import)
    p = sub.add_parser("calibrate", help="fit a scenario to a gateway's request logs and check it on the "
                                         "part held out: scenario.yaml, fit and validation page")
    p.add_argument("logs", help="the log file: one row (or span) per attempt")
    p.add_argument("--format", choices=("csv", "otel", "litellm"), default="csv",
                   help="csv (start,end,deployment,status,input_tokens,output_tokens[,ttft,request_id,"
                        "group]); otel (OpenTelemetry GenAI spans, JSON lines); litellm (LiteLLM spend "
                        "logs, CSV or JSON lines). Default csv")
    p.add_argument("--config", default=None, help="a LiteLLM config.yaml: deployments, groups, fallbacks, "
                                                  "prices, quotas and router settings come from it")
    p.add_argument("--holdout", type=float, default=0.3,
                   help="share of the logs' time span held out at the end, to check the fit (default 0.3)")
    p.add_argument("--replications", type=_count(2), default=5,
                   help="simulations of the held-out part, for intervals (default 5)")
    p.add_argument("--seed", type=_count(0), default=0, help="the first simulation's seed (default 0)")
    p.add_argument("--min-rows", type=_count(1), default=30,
                   help="successful calls a deployment needs in the fitted part (default 30)")
    p.add_argument("--max-validate", type=_count(1), default=20_000,
                   help="held-out requests simulated, at most (default 20000)")
    p.add_argument("--out", default="simroute-calibration", help="the output folder "
                                                                  "(default simroute-calibration)")
    p.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_calibrate)
    p = sub.add_parser("route", help="classify, score and route one request with the catalog")
    p.add_argument("text", nargs="?", help="the request (default: the seed's example request)",
                   default="Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s")
    p.add_argument("--catalog", default=None, help="catalog directory or file (default: bundled)")
    p.add_argument("--top", type=_count(1), default=5, help="how many plugin scores (or misses) to show")
    p.add_argument("--seed-routing", action="store_true",
                   help="the seed's classifier and scoring weights instead of the tuned defaults")
    p.add_argument("--eval", metavar="FILE", default=None,
                   help="measure routing on a labelled CSV (text, accept as a|b, optional difficulty, why); "
                        "'bundled': the package's 164 labelled requests (tuned on); 'bundled-fresh': its "
                        "40 never tuned on")
    p.add_argument("--out", metavar="FILE", default=None,
                   help="with --eval: write the per-request table (CSV) here")
    p.add_argument("--overwrite", action="store_true", help="with --out: replace a file that exists")
    p.set_defaults(func=_route)
    return parser


#: the line of a command interrupted before any output was in place
INTERRUPTED = "simroute: interrupted; no output was half-written (the previous one, if any, is intact)"
#: set once main() has said a command was interrupted (``python -m simroute`` then says no more)
INTERRUPT_REPORTED: list[bool] = []


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a command as Ctrl-C does: outputs stay whole


def main(argv: list[str] | None = None) -> int:
    from ..io.outputs import WRITTEN, claim_output

    WRITTEN.clear()  # the outputs of this command
    INTERRUPT_REPORTED.clear()

    args = build_parser().parse_args(argv)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        # a folder --out is checked and locked for the whole command, before any simulation
        out = getattr(args, "out", None) if args.func is not _import else None
        with claim_output(out or None, getattr(args, "overwrite", False)):
            return args.func(args)
    except InputError as exc:
        print(f"simroute: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        INTERRUPT_REPORTED.append(True)
        if WRITTEN:  # the interrupt came once the new output was in place
            print(f"simroute: interrupted after {WRITTEN[-1]} was written whole", file=sys.stderr)
        else:
            print(INTERRUPTED, file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``simroute run | head``): stop quietly, as other commands do;
        # standard output goes nowhere from here so that the exit's flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as exc:  # the machine refused (a full disk …): one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"simroute: {exc.strerror or exc}{where}; nothing was half-written", file=sys.stderr)
        return 1


def run() -> None:
    """The command's entry point (``simroute``, ``python -m simroute``): :func:`main`, and its exit
    code. An interrupted command exits 130 with its one line, however the interrupt lands: one that
    escapes after main() has handled one is caught here, and the process then ends at once
    (``os._exit`` after flushing), so that no later stage of the interpreter's shutdown can be
    interrupted again and end it by SIGINT instead."""
    try:
        code = main()
    except KeyboardInterrupt:
        if not INTERRUPT_REPORTED:
            print(INTERRUPTED, file=sys.stderr)
        code = 130
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":
    run()
