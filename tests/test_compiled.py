"""The compiled core (issue 28): a mypyc build and the pure source give byte-identical tables for
every bundled scenario and seed, at both record levels; ``SIMROUTE_PURE=1`` runs the source of a
compiled install; a source edited after the build runs as source, never as the stale extension;
``simroute --version`` says which is running."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from simroute.common import build as _pure

COMPILED = _pure.compiled_modules()

TABLES = r"""
import dataclasses, hashlib, sys
import simroute as sr
import simroute.engine.orchestrator as o
from simroute.common import build as _pure
print(_pure.build().split(":")[0], o.__file__.rsplit(".", 1)[-1])
root = sr.catalog.data_dir() / "scenarios"
for path in sorted(root.rglob("*.yaml")):
    s = sr.Scenario.from_yaml(path)
    if s.workload.kind != "schedule":
        n = min(s.workload.requests or 1500, 1500)
        s = s.replace(workload=dataclasses.replace(s.workload, requests=n))
    for seed in (1, 2):
        for record in ("full", "summary"):
            r = sr.run(s, seed=seed, record=record)
            h = hashlib.sha256()
            for name in ("requests", "attempts", "breaker_events", "plugins"):
                t = getattr(r, name, None)
                if t is not None and hasattr(t, "to_csv"):
                    h.update(t.to_csv().encode())
            h.update(r.summary().to_csv().encode())
            print(path.name, seed, record, h.hexdigest())
"""


def _python(code: str, pure: bool, timeout: float) -> str:
    """What ``code`` prints, run in a fresh interpreter on the compiled build or (``pure``) the
    source."""
    env = {k: v for k, v in os.environ.items() if k != "SIMROUTE_PURE"}
    if pure:
        env["SIMROUTE_PURE"] = "1"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _tables(pure: bool) -> list[str]:
    return _python(TABLES, pure, timeout=900).splitlines()


@pytest.mark.skipif(not COMPILED, reason="a pure install: nothing compiled to compare "
                                         "(pip install -e . with a C compiler builds the compiled core)")
def test_compiled_and_pure_give_identical_tables_for_every_bundled_scenario():
    compiled, pure = _tables(pure=False), _tables(pure=True)
    assert compiled[0].startswith("compiled with mypyc") and compiled[0].endswith(" so"), compiled[0]
    assert pure[0] == "pure Python py", pure[0]
    assert len(compiled) > 40
    assert compiled[1:] == pure[1:]


@pytest.mark.skipif(not COMPILED, reason="a pure install")
def test_the_version_line_says_compiled_or_pure():
    env = {k: v for k, v in os.environ.items() if k != "SIMROUTE_PURE"}
    out = subprocess.run([sys.executable, "-m", "simroute", "--version"], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    assert "(compiled with mypyc (" in out, out
    out = subprocess.run([sys.executable, "-m", "simroute", "--version"], capture_output=True, text=True,
                         env={**env, "SIMROUTE_PURE": "1"}, timeout=120).stdout
    assert "(pure Python: SIMROUTE_PURE=1)" in out, out


def test_a_source_newer_than_its_extension_is_found(tmp_path):
    suffix = next(s for s in _pure._SUFFIXES if s.startswith(".cpython"))
    source, ext = tmp_path / "mod.py", tmp_path / f"mod{suffix}"
    source.write_text("x = 1\n")
    ext.write_bytes(b"")
    old = time.time() - 100
    os.utime(ext, (old, old))
    assert _pure._stale([source]) == source
    os.utime(source, (old - 50, old - 50))
    assert _pure._stale([source]) is None


def test_the_version_line_names_the_build():
    out = subprocess.run([sys.executable, "-m", "simroute", "--version"], capture_output=True, text=True,
                         timeout=120).stdout
    assert ("(compiled with mypyc (" in out) or ("(pure Python" in out), out
    assert f"({_pure.build()})" in out  # the build this process runs (the same install and environment)


USER_GUARD = r"""
import sys
sys.modules["mypy_extensions"] = None  # not installed: simroute does not depend on it
import simroute as sr
from simroute.engine import guards
from simroute.resilience.failure import SHED

class Closed(guards.Guard):
    name = "closed"

    @classmethod
    def build(cls, plugin, settings, ctx):
        return cls()

    def admit(self, call, now):
        return guards.Refusal(SHED)

guards.GUARDS["closed"] = Closed
s = sr.Scenario.from_yaml(sr.catalog.data_dir() / "scenarios" / "default.yaml")
import dataclasses
r = sr.run(s.replace(workload=dataclasses.replace(s.workload, requests=20)), seed=1)
print(guards.__file__.rsplit(".", 1)[-1], sorted(set(r.attempts.outcome)))
"""


@pytest.mark.parametrize("pure", [False, True])
def test_a_users_guard_subclasses_the_guard_without_mypy_extensions(pure):
    """The guard base class is compiled open to Python subclasses (mypyc reads its decorator from
    mypy_extensions at build time); at run time neither build needs mypy_extensions."""
    kind, outcomes = _python(USER_GUARD, pure, timeout=300).split(" ", 1)
    assert kind == ("py" if pure or not COMPILED else "so")
    assert outcomes.strip() == "['shed']"
