"""Write the generated pages of the docs; a test keeps each equal to what this script writes.

    python tools/make_docs.py

* ``docs/settings.md`` — every setting, from its declaration (:mod:`simroute.io.settings`);
* ``docs/metrics.md`` — every summary metric, from :data:`simroute.experiments.metrics.METRICS`;
* ``docs/litellm.md`` — the LiteLLM import's key mapping (:data:`simroute.io.litellm.MAPPING`) and
  the router semantics, from the modules' docstrings;
* ``docs/workloads.md`` — workload kinds, rate profiles and fault kinds, from their modules'
  docstrings and declarations (:mod:`simroute.io.workload`, :mod:`simroute.io.profiles`,
  :mod:`simroute.io.faults`);
* ``docs/cli.md`` — every command and option, from the command line's own parser;
* ``docs/api.md`` — every public name of ``simroute.__all__``, rendered by mkdocstrings.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETTINGS_HEADER = """# Settings reference

Every field of a scenario's `settings:` section, generated from its declaration in
`simroute/io/settings.py` (and the classes it nests) by `python tools/make_docs.py`; a test keeps
this page equal to the code. Each row is also a sweep and tuning parameter path
(`sr.sweep(scenario, {"timeout.attempt": [30, 60]})`). Per-plugin resilience fields (`failure`,
`timeout_s`, `rpm`, `tpm`) live in the catalog and in scenario `overrides:`; see
[resilience.md](resilience.md).

"""


def settings_page() -> str:
    from simroute.io.settings import settings_reference

    return SETTINGS_HEADER + settings_reference()


METRICS_HEADER = """# Metrics reference

Every metric of `Results.summary()`, sweeps, tuning and the report, generated from
`simroute.experiments.metrics.METRICS` by `python tools/make_docs.py` (the command line's help lists the same
names). `key` says what the `key` column holds for per-plugin or per-tier metrics; `better` says
which direction is better, where one is.

A summary covers a window. By default it starts when the warm-up ends (`warmup.seconds`, or the
arrival of request number `warmup.requests`, whichever is later) and ends with the run.
`Results.summary(window=(t0, t1))` takes the requests that arrived in `[t0, t1)`.
`Results.summary(by="fault")` gives one summary per fault window and one for the rest of the run
(`outside`). Request metrics count the window's requests, with their attempts and cost. The
time-based metrics (`goodput`, `utilization`, `breaker_open_time`) use the window's length.

A metric with nothing to divide by is NaN, not 0: the per-request metrics and shares when no
request arrived in the window (for example a warm-up longer than the run), `latency_*` when none
ended, `cost_per_success` when none succeeded, `retry_amplification` when no call was needed,
`goodput` and `utilization` when the window has no length. Each is declared once, with its value,
in `simroute/experiments/metrics.py`.

"""


def metrics_page() -> str:
    from simroute.experiments.metrics import metrics_reference

    return METRICS_HEADER + metrics_reference()


LITELLM_HEADER = """# Modelling a LiteLLM router

`simroute import litellm CONFIG.yaml --out SCENARIO.yaml` (or `sr.Scenario.from_litellm(path)`)
reads a LiteLLM proxy `config.yaml` and writes an ordinary scenario. You can edit, validate, run,
sweep and report on it like any other. Each deployment becomes a plugin and each `model_name`
becomes a model group. The router's fallbacks, retries and cooldowns keep LiteLLM's semantics and
defaults — those of **LiteLLM 1.95.0**, the version the `test` extra pins and the differential test
(`tests/test_litellm_differential.py`) runs the real `litellm.Router` of.
[Notebook 07](tutorials/07_litellm_failover.ipynb) replays an outage, a 429 storm and a
hanging provider, and tunes `allowed_fails`, `cooldown_time` and `num_retries`. This page is
generated from the code by `python tools/make_docs.py`.

```bash
simroute import litellm simroute/data/litellm/example_config.yaml --out litellm.yaml
simroute run litellm.yaml
```

## How each key maps

Any key not in this table gets one warning line when the config is imported. The warning names the
file, line and key, and says why the key is not modelled.

"""


def body(module) -> str:
    """A module docstring's body, its reST inline markup as Markdown."""
    import inspect
    import re

    doc = module.__doc__
    if doc is None:  # a module compiled with mypyc keeps no docstring: read it from its source
        import ast

        source = Path(module.__file__).with_name(module.__name__.rsplit(".", 1)[-1] + ".py")
        doc = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8")))
    text = inspect.cleandoc(doc).split("\n", 1)[1].strip()
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    text = text.replace("``", "`").replace("::\n", ":\n")
    return text


def litellm_page() -> str:
    from simroute import cooldown, litellm, modelgroups
    from simroute.engine import grouprouter
    from simroute.resilience.failure import FailureModel

    rows = ["| field | type | default | unit | meaning |", "|---|---|---|---|---|"]
    rows += [f"| `{name}` | {tp} | {default} | {unit} | {doc} |"
             for name, (tp, default, unit, doc) in modelgroups.DEPLOYMENT_FIELDS.items()]
    return (LITELLM_HEADER + litellm.mapping_reference() + "\n## What is imported\n\n" + body(litellm)
            + "\n\n## Model groups in a scenario\n\n" + body(modelgroups)
            + "\n\n### `model_groups.deployments[]` fields\n\n" + "\n".join(rows) + "\n"
            + "\n### `model_groups.deployments[].failure` fields\n\n" + _fields(FailureModel, "failure.")
            + "\n\n## How a request is served\n\n" + body(grouprouter)
            + "\n\n## Cooldowns\n\n" + body(cooldown) + "\n")


WORKLOADS_HEADER = """# Scenario reference: workloads, faults, traces and service times

A scenario file's layout; then what arrives, what goes wrong, and how long the work takes: a
scenario's `workload:` and `faults:` sections, the trace files a workload replays, and the
service-time distributions of plugins and deployments. Model groups and deployments are
described with the LiteLLM import ([litellm.md](litellm.md)); settings in
[settings.md](settings.md). Generated from
the code by `python tools/make_docs.py`; a test keeps this page equal to it. Every field below is
checked when the scenario loads: a bad value is one line naming the file, line, entry and field.

"""


def _fields(cls, prefix: str = "") -> str:
    from simroute.common.schema import describe

    lines = ["| field | type | default | unit | meaning |", "|---|---|---|---|---|"]
    for row in describe(cls, prefix):
        lines.append(f"| `{row['path']}` | {row['type']} | {row['default']} | {row['unit']} | {row['doc']} |")
    return "\n".join(lines) + "\n"


def workloads_page() -> str:
    from simroute.common import distributions
    from simroute.io import faults, profiles, scenario, tracefile, workload

    shapes = "".join(f"\n### `shape: {name}`\n\n{_fields(cls)}" for name, cls in profiles.SHAPES.items())
    overridable = ", ".join(f"`{k}`" for k in scenario.OVERRIDABLE)
    layout = (f"## A scenario file\n\n{body(scenario)}\n\nA plugin's fields that `overrides:` may change: "
              f"{overridable} (each checked as the catalog's own; see [writing a catalog](catalog.md)).\n\n")
    return (WORKLOADS_HEADER + layout + "## Workload kinds\n\n" + body(workload)
            + "\n\n### `workload:` fields\n\n"
            + _fields(workload.Workload) + "\n### `workload.mix[]` fields\n\n" + _fields(workload.MixEntry)
            + "\n## Rate profiles\n\n" + body(profiles) + "\n" + shapes
            + "\n## Faults\n\n" + body(faults) + "\n\n### `faults[]` fields\n\n" + _fields(faults.Fault)
            + "\n## Trace files\n\n" + body(tracefile) + "\n\n## Service-time distributions\n\n"
            + body(distributions) + "\n")


def cli_page() -> str:
    """Each command's ``--help``, as the parser prints it."""
    import argparse

    from simroute.faces.cli import build_parser

    parser = build_parser()
    lines = ["# Command line", "",
             "Generated from the parser by `python tools/make_docs.py`. Bad input gets one line naming",
             "the file, line, entry and field, and exit code 2.", "", "```text",
             parser.format_help().rstrip(), "```", ""]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        lines += [f"## simroute {name}", "", "```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


#: the API reference's pages: part → (title, what it holds, extra names notebooks use beyond
#: ``simroute.__all__``: dotted paths under ``simroute``, a module documented whole)
API_PARTS = {
    "policies": ("Catalog and routing policies", "The seed's pure policies: catalog, classifier, "
                 "scoring, routing, discovery, plans, the cost optimizer, sagas, model groups.", []),
    "resilience": ("Resilience policies", "Failure models, the circuit breaker, retries and retry "
                   "budgets.", []),
    "io": ("Scenarios, settings and workloads", "What a user writes: scenarios, settings, workloads, "
           "faults, traces, the LiteLLM import, labelled requests.", []),
    "experiments": ("Running and analysing", "Runs and their tables, metrics, sweeps, tuning, answers "
                    "in words, routing quality, replays.",
                    ["experiments.params.with_params", "experiments.sweep.pivot",
                     "experiments.sweep.bounds", "experiments.answers"]),
    "faces": ("Report, plots and widgets", "The capacity and cost report, the plots notebooks draw "
              "with, and the live tuning panels.", ["faces.plots", "faces.widgets"]),
    "common": ("Errors and service times", "Errors and the service-time distributions.", []),
}


def _api_names() -> dict[str, list[str]]:
    """``simroute.__all__``'s names by the part that defines them (its imports, or its lazy map)."""
    import ast

    import simroute

    where = dict(simroute._LAZY)
    tree = ast.parse((ROOT / "simroute" / "__init__.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                where.setdefault(alias.asname or alias.name, "." + node.module)
    parts: dict[str, list[str]] = {part: [] for part in API_PARTS}
    for name in simroute.__all__:
        if name == "__version__":
            continue
        part = where[name].lstrip(".").split(".")[0]
        parts[part].append(name)
    return parts


def api_page() -> str:
    """The API reference's index: each part's page and the public names it documents."""
    parts = _api_names()
    lines = ["# API reference", "",
             "Every public name of `simroute` (`simroute.__all__`, as `import simroute as sr` gives them),",
             "from its docstring, on one page per part of the package, with the other names the notebooks",
             "use. Generated by `python tools/make_docs.py`.", ""]
    for part, (title, words, extra) in API_PARTS.items():
        names = ", ".join(f"`{n}`" for n in sorted(parts[part], key=str.lower))
        more = ", ".join(f"`{e.rsplit('.', 1)[-1]}`" for e in extra)
        lines += [f"## [{title}](api-{part}.md)", "", words, "",
                  names + (f"; and {more}" if more else ""), ""]
    return "\n".join(lines)


def api_part_page(part: str) -> str:
    """One part's page: a mkdocstrings block per public name, and the extra names."""
    import inspect

    import simroute

    title, words, extra = API_PARTS[part]
    names = sorted(_api_names()[part], key=lambda n: (inspect.ismodule(getattr(simroute, n)), n.lower()))
    lines = [f"# {title}", "", words + " Part of the [API reference](api.md).", ""]
    for name in names:
        lines += [f"## `sr.{name}`", "", f"::: simroute.{name}", ""]
    for path in extra:
        lines += [f"## `simroute.{path}`", "", f"::: simroute.{path}", ""]
    return "\n".join(lines)


#: the question each notebook answers, for the gallery
QUESTIONS = {
    "01": "Does the model replay the design document's flows, step by step and to the second?",
    "02": "Which scoring weights route requests to a plugin an engineer would accept, and at what cost?",
    "03": "Which breaker, retry and timeout settings survive a hanging plugin, and what do they cost?",
    "04": "What does a budget do to a plan and to a whole workload: what is cut, what is refused?",
    "05": "How much load does today's capacity carry within the SLO, and what must be bought beyond it?",
    "06": "When does a retry storm outlive the spike that started it, and which lever ends it?",
    "07": "How does a LiteLLM router fail over in an outage, a 429 storm or a hang, and which settings help?",
    "08": "What does a whole day through a router look like, in memory that does not grow with the day?",
    "09": "From your own LiteLLM config and an outage to a page and a decision: what should you change?",
    "10": "Fitted to your gateway's own logs, how well does the model predict the logs it never saw?",
}


def _run_time(nb) -> float:
    """Seconds from a notebook's first code cell to its last reply (its stored execution)."""
    from datetime import datetime

    stamps = [c.metadata.get("execution", {}) for c in nb.cells if c.cell_type == "code"]
    stamps = [s for s in stamps if s]
    if not stamps:
        return float("nan")
    first = datetime.fromisoformat(stamps[0]["iopub.execute_input"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(stamps[-1]["shell.execute_reply"].replace("Z", "+00:00"))
    return (last - first).total_seconds()


def _first_figure(nb) -> str | None:
    """A notebook's first figure, as its stored base64 PNG (None: it draws none)."""
    return next((o["data"]["image/png"] for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if "image/png" in o.get("data", {})), None)


def _notebooks() -> list:
    import nbformat

    return [(path, nbformat.read(path, as_version=4))
            for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def write_thumbnails() -> None:
    """Each notebook's first figure to ``docs/img/gallery/NN.png`` (the gallery's thumbnails)."""
    import base64

    out = ROOT / "docs" / "img" / "gallery"
    out.mkdir(parents=True, exist_ok=True)
    for path, nb in _notebooks():
        png = _first_figure(nb)
        if png is not None:
            (out / f"{path.name[:2]}.png").write_bytes(base64.b64decode(png))


def gallery_page() -> str:
    """The notebooks as a gallery: a thumbnail (each notebook's first figure, written by
    :func:`write_thumbnails`), the question it answers, its run time and download links."""
    lines = ["# Notebook gallery", "",
             "Each notebook answers one question with the model, and ends with its answer computed from",
             "its own numbers. Run them in Jupyter (`pip install -e \".[notebooks]\"`, then open",
             "`notebooks/`), or read them here as rendered pages. The run time is that of the stored",
             "execution on a two-core machine; every notebook also runs under nbval in the tests.", ""]
    for path, nb in _notebooks():
        number = path.name[:2]
        heading = next(c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                       if c.cell_type == "markdown")
        thumb = (f'<img src="../img/gallery/{number}.png" alt="{heading}: its first figure" width="320">'
                 if _first_figure(nb) is not None else "")
        seconds = _run_time(nb)
        lines += [f"## {number} · [{heading}](tutorials/{path.name})", "",
                  f"**Question:** {QUESTIONS.get(number, '')}", "",
                  f"{thumb}", "",
                  f"Run time: about {seconds:,.0f} s · the [rendered page](tutorials/{path.name}) has a "
                  f"download button for `{path.name}` · source: `notebooks/{path.stem}.py` (Jupytext)", ""]
    return "\n".join(lines)


PAGES = {"settings.md": settings_page, "metrics.md": metrics_page, "litellm.md": litellm_page,
         "workloads.md": workloads_page,
         "cli.md": cli_page, "api.md": api_page, "gallery.md": gallery_page,
         **{f"api-{part}.md": (lambda part=part: api_part_page(part)) for part in API_PARTS}}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    for name, page in PAGES.items():
        (ROOT / "docs" / name).write_text(page())
    write_thumbnails()


if __name__ == "__main__":
    main()
