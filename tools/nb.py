"""Helpers to write narrated notebooks from plain Python lists of cells (tools/make_notebooks.py).

A cell is a string: one starting with "md:" is markdown, anything else code. Notebooks are
executed afterwards with ``jupyter nbconvert --execute --inplace`` so their stored outputs are the
ones nbval compares against.
"""

from __future__ import annotations

from pathlib import Path

import nbformat


def write(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, c in enumerate(cells):
        cell = (nbformat.v4.new_markdown_cell(c[3:].strip()) if c.startswith("md:")
                else nbformat.v4.new_code_cell(c.strip()))
        cell.id = f"cell-{i:02d}"
        nb.cells.append(cell)
    path.write_text(nbformat.writes(nb))
