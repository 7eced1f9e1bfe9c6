"""Old module paths, kept working.

Before the layout by parts (0.1, issue 22) every module sat directly under ``simroute``:
``simroute.breaker``, ``simroute.scenario``, ``simroute.report`` … They now live in sub-packages
(``docs/architecture.md`` lists each move). :data:`MOVED` maps each old name to its new home, and
:class:`OldPaths`, installed on ``sys.meta_path`` by ``import simroute``, answers an import of an
old path with the new module itself — the same object, so ``simroute.breaker.CircuitBreaker is
simroute.resilience.breaker.CircuitBreaker`` — and ``python -m simroute.cli`` still runs the CLI.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence

__all__ = ["MOVED", "OldPaths", "new_name"]

#: old module name (under ``simroute``) → new one
MOVED = {
    **{m: f"common.{m}" for m in ("errors", "schema", "yamlio", "distributions", "draws")},
    **{m: f"resilience.{m}" for m in ("failure", "breaker", "retry", "ratelimit", "cooldown")},
    **{m: f"policies.{m}" for m in ("catalog", "classify", "scoring", "discovery", "plan", "routing",
                                    "cost", "saga", "modelgroups")},
    **{m: f"io.{m}" for m in ("settings", "workload", "scenario", "litellm", "traces", "outputs")},
    **{m: f"experiments.{m}" for m in ("metrics", "streaming", "results", "run", "executors", "params",
                                       "sweep", "tune", "replay", "export", "queueing")},
    **{m: f"faces.{m}" for m in ("cli", "report", "report_page", "plots", "widgets")},
}
_PREFIX = "simroute."


def new_name(old: str) -> str | None:
    """The new full name of an old full module name (``simroute.breaker`` →
    ``simroute.resilience.breaker``), or None when it did not move."""
    if not old.startswith(_PREFIX):
        return None
    moved = MOVED.get(old[len(_PREFIX):])
    return _PREFIX + moved if moved else None


class OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module path as the moved module (see the module docstring)."""

    def __init__(self) -> None:
        self._own: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if new_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(new_name(spec.name) or spec.name)
        self._own[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import machinery gave the module the old name's spec: it keeps its own
        module.__spec__ = self._own.pop(module.__name__, module.__spec__)

    def get_code(self, fullname: str) -> types.CodeType:
        """``python -m OLD``: code that runs the moved module as ``__main__``."""
        target = new_name(fullname)
        source = f"import runpy\nrunpy.run_module({target!r}, run_name='__main__', alter_sys=True)\n"
        return compile(source, f"<{fullname}: moved to {target}>", "exec")


def install() -> None:
    """Put :class:`OldPaths` on ``sys.meta_path`` once."""
    if not any(isinstance(f, OldPaths) for f in sys.meta_path):
        sys.meta_path.append(OldPaths())
