"""The layout by parts holds: each part imports only the parts below it, no module imports one
that imports it back (no cycles, counting imports inside functions and for type checking), every
part says in its docstring what it holds and may import, old module paths still work, and the
engine's rooms stay small."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import simroute
from simroute._moved import MOVED

PACKAGE = Path(simroute.__file__).parent
#: the parts, from the bottom floor up: a part may import only parts listed before it (and itself)
PARTS = ("common", "resilience", "policies", "io", "engine", "experiments", "faces")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The simroute modules a file imports, anywhere in it (functions and TYPE_CHECKING too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("simroute"):
                continue
            for alias in node.names:  # "from . import traces" names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists() else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("simroute"))
    return found - {name}


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _part(module: str) -> str | None:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 2 or (len(pieces) == 2 and pieces[1] in PARTS) else None


def test_each_part_imports_only_the_parts_below_it():
    upward = []
    for module, targets in _graph().items():
        here = _part(module)
        if here is None:
            continue
        for target in targets:
            there = _part(target)
            if there is None or PARTS.index(there) > PARTS.index(here):
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that run up a floor (or to the top package):\n" + "\n".join(sorted(upward))


def test_no_module_imports_one_that_imports_it_back():
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_finds_a_cycle(tmp_path, monkeypatch):
    """The checker itself: two modules that import each other are a cycle."""
    pkg = tmp_path / "simroute" / "common"
    pkg.mkdir(parents=True)
    (tmp_path / "simroute" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text('"""x"""\n')
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("def f():\n    from .a import y\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "simroute")
    with pytest.raises(AssertionError, match="simroute.common.a -> simroute.common.b -> simroute.common.a"):
        test_no_module_imports_one_that_imports_it_back()


@pytest.mark.parametrize("part", PARTS)
def test_each_part_says_what_it_holds_and_may_import(part):
    doc = importlib.import_module(f"simroute.{part}").__doc__ or ""
    assert "May import" in doc
    for path in sorted((PACKAGE / part).glob("*.py")):
        if path.stem != "__init__":
            assert f"``{path.stem}``" in doc, f"simroute.{part}'s docstring does not list {path.stem}"


def test_every_module_sits_in_a_part():
    top = {"__init__.py", "__main__.py", "_moved.py"}
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in top)
    assert not loose, f"modules outside the parts: {loose}"


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_is_the_moved_module(old):
    before = getattr(simroute, old) if old in simroute.__all__ else None
    module = importlib.import_module(f"simroute.{old}")
    assert module is importlib.import_module(f"simroute.{MOVED[old]}")
    assert module.__spec__.name == f"simroute.{MOVED[old]}"  # the module keeps its own spec
    if before is not None and not isinstance(before, types.ModuleType):
        assert getattr(simroute, old) is before  # sr.classify, sr.run … stay the functions


def test_python_dash_m_runs_the_cli_by_its_old_and_new_names():
    for name in ("simroute", "simroute.cli", "simroute.faces.cli"):
        done = subprocess.run([sys.executable, "-m", name, "--help"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("usage: simroute")


def test_simpy_internals_are_touched_only_by_the_event_loop():
    """``env._now`` / ``env._queue`` and friends appear only in ``engine/tasks.py``."""
    internal = re.compile(r"\benv\._[a-z]|\bsimpy\.core\.")
    touching = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                      if p.name != "tasks.py" and internal.search(p.read_text(encoding="utf-8")))
    assert not touching, f"SimPy internals outside engine/tasks.py: {touching}"


#: the largest room and the longest function the engine may have (lines)
ENGINE_FILE_LINES, ENGINE_FUNCTION_LINES = 500, 60


def test_the_engines_rooms_stay_small():
    """No engine module over 500 lines and no engine function over 60: the orchestrator's middle
    stays split by job (context, decisions, plans, sagas, attempts, faults)."""
    too_big = []
    for path in sorted((PACKAGE / "engine").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > ENGINE_FILE_LINES:
            too_big.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > ENGINE_FUNCTION_LINES:
                    too_big.append(f"{path.name}: {node.name} is {length} lines")
    assert not too_big, "\n".join(too_big)


def test_simpy_is_within_the_bound_the_event_loop_is_tested_on():
    """``engine/tasks.py`` runs SimPy's loop inline on its internals: pyproject bounds SimPy to
    the major version CI tests, and the installed one is inside the bound."""
    import tomllib
    from importlib.metadata import version

    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parents[1]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    simpy = next(Requirement(r) for r in pyproject["project"]["dependencies"] if r.startswith("simpy"))
    assert any(s.operator == "<" for s in simpy.specifier), "simpy needs an upper bound"
    assert simpy.specifier.contains(version("simpy")), version("simpy")
