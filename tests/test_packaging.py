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
