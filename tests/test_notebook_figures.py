"""Every figure the notebooks draw is legible: each labelled axis says its unit, no text overprints.

Each notebook's source (the Jupytext percent file beside it) runs here cell by cell, in a scratch
folder, with matplotlib's Agg backend; every figure a cell shows (``plt.show()``, ``display(fig)``)
goes through the report's own check (:func:`simroute.faces.report_format.text_overlaps`) and the
unit rule. The live widgets' cells are left out (``tests/test_widgets.py`` covers them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
UNIT = re.compile(r"\([^()]+\)")  # "(s)", "($/request)", "(share)" …


def _shown_figures(source: Path, scratch: Path, monkeypatch) -> list:
    import IPython.display
    import jupytext
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    matplotlib.use("Agg")
    shown: list = []

    def show(*_args, **_kwargs):
        for n in plt.get_fignums():
            shown.append(plt.figure(n))
        plt.close("all")

    def display(*objects, **_kwargs):
        shown.extend(o for o in objects if isinstance(o, Figure))

    monkeypatch.setattr(plt, "show", show)
    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.chdir(scratch)
    namespace: dict = {"__name__": "__notebook__"}
    for cell in jupytext.read(source).cells:
        if cell.cell_type != "code" or "simroute.faces.widgets import" in cell.source:
            continue
        lines = cell.source.splitlines()
        code = "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
        exec(compile(code, f"{source.name}", "exec"), namespace)  # noqa: S102 - our own notebooks
    show()
    return shown


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_figure_has_units_and_no_overprinted_text(source, tmp_path, monkeypatch):
    from simroute.faces.report_format import text_overlaps

    figures = _shown_figures(source, tmp_path, monkeypatch)
    assert figures, f"{source.name} shows no figure"
    for k, fig in enumerate(figures):
        where = f"{source.name}, figure {k + 1} ({fig.axes[0].get_title() if fig.axes else ''})"
        assert text_overlaps(fig) == [], where
        for ax in fig.axes:
            labels = [lab for lab in (ax.get_xlabel(), ax.get_ylabel()) if lab]
            assert all(UNIT.search(lab) for lab in labels), (where, labels)


@pytest.mark.parametrize("number", ["02", "03", "07"])
def test_each_tuning_notebook_ends_with_its_recommendation(number):
    """The last code cell of a tuning notebook prints its answer, computed (simroute.experiments.
    answers) from the notebook's own numbers: the best setting and whether anything ties with it."""
    import nbformat

    path = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    text = "".join(o.get("text", "") for o in last.outputs if o.get("output_type") == "stream")
    assert re.search(r"The (lowest|highest) .+ is \w+ .+: ", text) or "No trial of" in text, text
    assert ("No detectable difference" in text or "worse beyond noise" in text
            or "No trial of" in text), text
    assert "answer" in last.source  # printed from an Answer, not typed
