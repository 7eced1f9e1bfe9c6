"""Writing result tables to CSV safely.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so request text from a trace could run as one when a CSV output is opened.
:func:`write_csv` writes such text cells with a leading apostrophe (``'=SUM(A1)``), which a
spreadsheet shows as the text itself; numbers are written as they are. The DataFrames and Parquet
outputs keep the exact text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["write_csv", "neutralize", "FORMULA_STARTS"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would read as a formula prefixed by ``'``
    (a copy when anything changes)."""
    out = frame
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            text = column.astype("string")
            risky = text.str.startswith(FORMULA_STARTS, na=False) & column.map(lambda v: isinstance(v, str))
            if risky.any():
                if out is frame:
                    out = frame.copy()
                out[name] = column.where(~risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """``frame.to_csv(path, index=False)`` with formula-like text neutralized (module docstring)."""
    neutralize(frame).to_csv(path, index=False)
