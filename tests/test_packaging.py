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
