import re
import tomllib

import yaml

import simroute as sr

from .conftest import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!\[ ]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in ("test", "dask"):
        wanted |= {_name(r) for r in project["optional-dependencies"][extra]}
    wanted = {"distributed" if n == "dask" else n for n in wanted} | {"dask"}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted


def test_public_api_is_what_it_claims():
    assert sorted(sr.__all__) == sorted(set(sr.__all__))
    for name in sr.__all__:
        assert hasattr(sr, name), name
    for name in ("load_catalog", "classify", "score_plugins", "decide_route", "find_agents",
                 "build_team", "CircuitBreaker", "RetryPolicy", "optimize_cost"):
        assert name in sr.__all__


def test_core_does_not_import_plotting_or_widgets():
    import subprocess
    import sys

    code = ("import sys, simroute; bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules];"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_code_passes_the_linter():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "ruff", "check", "simroute", "tests", "tools", "notebooks",
                          "benchmarks"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_nothing_reads_the_team_workspace():
    """The README, docs, package, tests, notebooks and tools never reach beside the checkout."""
    needles = ("../" + "shared", "SIMROUTE_" + "SHARED")
    places = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "simroute").rglob("*.py"),
              *(ROOT / "simroute" / "data").rglob("*.yaml"), *(ROOT / "tests").rglob("*.py"),
              *(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "tools").glob("*.py"), ROOT / ".ci" / "run"]
    found = [f"{p.relative_to(ROOT)}: {n}" for p in places for n in needles if n in p.read_text()]
    assert not found


def test_the_bundled_data_is_package_data():
    """Everything the package reads at run time is inside it, and the wheel takes all of it."""
    import tomllib

    data = ROOT / "simroute" / "data"
    assert sr.catalog.data_dir().resolve() == data.resolve()
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    covered = {p for pattern in patterns["simroute"] for p in (ROOT / "simroute").glob(pattern)}
    files = {p for p in data.rglob("*") if p.is_file()}
    assert files and files <= covered, sorted(str(p) for p in files - covered)


def test_the_package_type_checks():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_notebook_is_its_source_executed():
    """Each executed notebook holds exactly the cells of its Jupytext source (no drift)."""
    import json

    import jupytext

    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    executed = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.stem for p in sources] == [p.stem for p in executed]
    for source in sources:
        cells = [(c.cell_type, c.source) for c in jupytext.read(source).cells]
        nb = json.loads(source.with_suffix(".ipynb").read_text())
        assert [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]] == cells, source.name


def _public_callables():
    import inspect

    for name in sr.__all__:
        obj = getattr(sr, name)
        if callable(obj) and not inspect.ismodule(obj):
            yield name, obj


def test_every_public_callable_documents_its_parameters_and_returns():
    """Each documents every parameter (a ``Parameters:`` line ``name: …``) and, for a function
    that returns something, what it returns (``Returns:``)."""
    import inspect
    import re

    problems = []
    for name, obj in _public_callables():
        doc = inspect.getdoc(obj) or ""
        try:
            params = [p for p in inspect.signature(obj).parameters if p not in ("self", "args", "kwargs")]
        except (TypeError, ValueError):
            params = []
        section = doc.split("Parameters:", 1)[1] if "Parameters:" in doc else ""
        lacking = [p for p in params if not re.search(rf"^\s+{p}( \([^)]*\))?:", section, flags=re.M)]
        if lacking:
            problems.append(f"{name}: {lacking}")
        if inspect.isfunction(obj) and inspect.signature(obj).return_annotation not in ("None", None) \
                and "Returns:" not in doc:
            problems.append(f"{name}: no Returns")
    assert not problems, "\n".join(problems)


def test_every_command_line_option_has_help():
    import argparse

    from simroute.faces.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    bare = [f"{name} {a.option_strings or a.dest}" for name, command in sub.choices.items()
            for a in command._actions if not a.help and not isinstance(a, argparse._HelpAction)]
    assert not bare


def test_public_functions_keep_their_names_after_their_modules_are_imported():
    """``simroute.faces.report`` is the function even once ``simroute.faces.report`` the module is imported
    (the run-and-analyse layer is imported on first use)."""
    import importlib
    import inspect

    for name in ("run", "replay", "report", "sweep", "tune"):
        importlib.import_module(f"simroute.{name}")
        assert inspect.isfunction(getattr(sr, name)), name
    assert inspect.ismodule(sr.params) and callable(sr.params.with_params)
