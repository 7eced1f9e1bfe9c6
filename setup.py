"""The build: setuptools, with the hot modules compiled by mypyc where it can.

``pip install .`` (or ``-e .``, or ``pip wheel .``) compiles :data:`COMPILED` — the engine, the
draws and service times, the cooldowns and rate limits — to C extensions with mypyc, the way black
and mypy ship: the same typed source, about 1.5-2x faster. Without a
working C compiler, or with ``SIMROUTE_PURE=1`` in the build's environment, nothing is compiled and
the package is the pure-Python source; at run time ``SIMROUTE_PURE=1`` also makes an installed
compiled package import its pure source (``simroute/common/build.py``). ``simroute --version`` says which
is running. Both give byte-identical tables (tests/test_compiled.py).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
#: the modules mypyc compiles (paths from the project root): the engine's hot path, the draws and
#: service times, the breaker, backoff, cooldowns and rate limits. Left as Python, and why:
#: * engine/grouprouter.py: tests replace a router method, which a compiled class does not allow
#:   (engine/guards.py is compiled with Guard open to Python subclasses: a user's guard is one);
#: * resilience/failure and resilience/settings: settings classes (FailureModel, BreakerSettings,
#:   RetryPolicy) that simroute.common.schema reads through their annotations, which a compiled
#:   class does not keep (the breaker and the backoff they configure are compiled);
#: * experiments/streaming.py: dataclass fields mypyc does not support (init=False defaults).
PYTHON_ONLY = {"simroute/engine/grouprouter.py", "simroute/engine/__init__.py"}
COMPILED = sorted(
    [p.relative_to(ROOT).as_posix() for p in (ROOT / "simroute" / "engine").glob("*.py")
     if p.relative_to(ROOT).as_posix() not in PYTHON_ONLY]
    + [f"simroute/resilience/{name}.py" for name in ("breaker", "cooldown", "ratelimit", "retry")]
    + ["simroute/common/draws.py", "simroute/common/distributions.py"])


def _compiler_works() -> bool:
    """Whether a C extension can be built here (a compiler and the Python headers)."""
    try:
        from setuptools._distutils.ccompiler import new_compiler
        from setuptools._distutils.sysconfig import customize_compiler, get_python_inc
    except ImportError:
        return False
    compiler = new_compiler()
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text("#include <Python.h>\nint main(void) { return 0; }\n")
        try:
            compiler.compile([str(src)], output_dir=tmp, include_dirs=[get_python_inc()])
        except Exception:  # noqa: BLE001 - any failure means: build pure
            return False
    return True


def ext_modules() -> list:
    if os.environ.get("SIMROUTE_PURE") == "1":
        print("simroute: SIMROUTE_PURE=1: building the pure-Python package", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("simroute: mypyc is not available: building the pure-Python package", file=sys.stderr)
        return []
    if not _compiler_works():
        print("simroute: no working C compiler: building the pure-Python package", file=sys.stderr)
        return []
    try:
        return mypycify(COMPILED, opt_level="3", group_name="simroute_core")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a failed type check: build pure, say why
        print(f"simroute: mypyc could not compile ({exc!r}): building the pure-Python package",
              file=sys.stderr)
        return []


setup(ext_modules=ext_modules())
