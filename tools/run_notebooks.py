"""Re-make the executed notebooks from their sources.

    pip install -e ".[notebooks]"
    python tools/run_notebooks.py            # all
    python tools/run_notebooks.py 03 06      # those whose name starts with 03 or 06

The sources are the Jupytext percent-format files ``notebooks/NN_name.py`` (reviewed, linted by
ruff). Each is written to its paired ``.ipynb`` and executed in place, so the stored outputs are
the ones nbval compares against. Cells whose output is not deterministic (timings, progress)
carry the cell tag ``nbval-ignore-output`` (``# %% tags=["nbval-ignore-output"]`` in the source: a
tag, not a comment, so the rendered pages do not show it); figures are not compared
(``notebooks/conftest.py``).

A live panel (:mod:`simroute.faces.widgets`) shows its widget and, beside it, a picture of its
current state. The stored notebook keeps only the picture (and no widget state): a page rendered
where no kernel runs — the docs site, a repository viewer — shows the panel as it was; opened in
Jupyter and run, the cell brings the live panel back.
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
    _static_widgets(nb)
    target = source.with_suffix(".ipynb")
    nbformat.write(nb, target)
    return target


def _static_widgets(nb) -> None:
    """Outputs that hold a widget view and a picture keep the picture only; no widget state."""
    view = "application/vnd.jupyter.widget-view+json"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if view in data and "image/png" in data:
                del data[view]
    nb.metadata.pop("widgets", None)


def main(argv: list[str]) -> None:
    sources = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")
                     if not argv or any(p.name.startswith(a) for a in argv))
    for source in sources:
        print(f"executed {make(source).relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
