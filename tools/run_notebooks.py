"""Re-make the executed notebooks from their sources.

    pip install -e ".[notebooks]"
    python tools/run_notebooks.py            # all
    python tools/run_notebooks.py 03 06      # those whose name starts with 03 or 06

The sources are the Jupytext percent-format files ``notebooks/NN_name.py`` (reviewed, linted by
ruff). Each is written to its paired ``.ipynb`` and executed in place, so the stored outputs are
the ones nbval compares against. Cells whose output is not deterministic (timings, progress)
carry ``# NBVAL_IGNORE_OUTPUT``; figures are not compared (``notebooks/conftest.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def make(source: Path) -> Path:
    """Write ``source``'s notebook, execute it in the notebooks folder, and save it."""
    nb = jupytext.read(source)
    for i, cell in enumerate(nb.cells):  # stable ids: reviewable diffs
        cell.id = f"cell-{i:02d}"
    run = ExecutePreprocessor(timeout=900, kernel_name="python3")
    run.preprocess(nb, {"metadata": {"path": str(NOTEBOOKS)}})
    target = source.with_suffix(".ipynb")
    nbformat.write(nb, target)
    return target


def main(argv: list[str]) -> None:
    sources = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")
                     if not argv or any(p.name.startswith(a) for a in argv))
    for source in sources:
        print(f"executed {make(source).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
