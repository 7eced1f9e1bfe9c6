"""Compiled or pure: which build of simroute's hot modules runs.

A build with mypyc (``setup.py``) puts a C extension beside each compiled module's source, and
Python imports the extension first. :func:`install` — run when this module is imported, which
``import simroute`` does before anything else — makes every
``simroute.*`` module load from its ``.py`` source instead when

* ``SIMROUTE_PURE=1`` is set (to compare, to debug, or to profile line by line), or
* a compiled module's source is newer than the compiled core (an editable install whose source
  was edited since it was built: the old extension would silently run the old code). Rebuild with
  ``pip install -e .`` to run compiled again.

Compiled modules call each other inside one shared library, so it is all or nothing: either every
compiled module runs compiled, or all run from source. :func:`build` says which, and why.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

__all__ = ["install", "build", "compiled_modules", "restore_docstrings"]

PACKAGE = Path(__file__).resolve().parent.parent  #: the simroute package
_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)
_state: dict[str, str] = {}


def compiled_modules() -> list[Path]:
    """The sources that have a compiled extension beside them."""
    out = []  # (extensions sit beside their sources in the subpackages: no walk through data/)
    for ext in PACKAGE.glob("*/*.so" if os.name != "nt" else "*/*.pyd"):
        stem = ext.name.split(".", 1)[0]
        source = ext.with_name(stem + ".py")
        if source.is_file():
            out.append(source)
    return sorted(out)


def _stale(sources: list[Path]) -> Path | None:
    """A compiled module's source newer than its extension (None: all up to date)."""
    for source in sources:
        stem = source.stem
        for ext in source.parent.glob(stem + ".*"):
            if ext.name.endswith(_SUFFIXES) and source.stat().st_mtime > ext.stat().st_mtime + 1:
                return source
    return None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds ``simroute.*`` modules by their ``.py`` source, before the extension finder."""

    def find_spec(self, fullname: str, path: object = None, target: ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("simroute.") or not path:
            return None
        name = fullname.rpartition(".")[2]
        for entry in path:  # type: ignore[attr-defined]
            source = Path(entry) / f"{name}.py"
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def install() -> None:
    """Decide compiled or pure (module docstring); called once, by ``import simroute``."""
    if _state:
        return
    sources = compiled_modules()
    if not sources:
        _state.update(build="pure Python", why="no compiled modules in this install")
        return
    if os.environ.get("SIMROUTE_PURE") == "1":
        why = "SIMROUTE_PURE=1"
    else:
        stale = _stale(sources)
        if stale is None:
            _state.update(build=f"compiled with mypyc ({len(sources)} modules)", why="")
            return
        why = (f"{stale.relative_to(PACKAGE.parent)} is newer than its compiled extension "
               "(pip install -e . rebuilds)")
    sys.meta_path.insert(0, _SourceFinder())
    _state.update(build="pure Python", why=why)


def build() -> str:
    """``compiled with mypyc (N modules)`` or ``pure Python`` with the reason, in a few words."""
    install()
    return _state["build"] + (f": {_state['why']}" if _state.get("why") else "")


def restore_docstrings(objects: Iterable[object]) -> None:
    """Give each class among ``objects`` that mypyc compiled its docstring back, read from its
    module's source: a compiled class keeps none, and ``help()`` or Jupyter's ``?`` on a public
    class must still show its documentation.

    Parameters:
        objects: candidates (anything else than a ``simroute`` class without a docstring is left
            alone).
    """
    by_module: dict[str, list[type]] = {}
    for obj in objects:
        if isinstance(obj, type) and not obj.__doc__ and obj.__module__.startswith("simroute."):
            by_module.setdefault(obj.__module__, []).append(obj)
    for name, classes in by_module.items():
        file = getattr(sys.modules.get(name), "__file__", None)
        if file is None:
            continue
        source = Path(file).with_name(name.rpartition(".")[2] + ".py")
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        docs = {node.name: ast.get_docstring(node, clean=False) for node in tree.body
                if isinstance(node, ast.ClassDef)}
        for cls in classes:
            doc = docs.get(cls.__name__)
            if doc:
                cls.__doc__ = doc


install()
