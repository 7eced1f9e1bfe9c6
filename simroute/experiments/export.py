"""Writing result tables: CSV written safely, Parquet streamed a chunk at a time.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula, so request text from a trace could run as one when a CSV output is opened.
:func:`write_csv` writes such text cells with a leading apostrophe (``'=SUM(A1)``), which a
spreadsheet shows as the text itself; numbers are written as they are. The DataFrames and Parquet
outputs keep the exact text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["write_csv", "neutralize", "FORMULA_STARTS", "ParquetTable"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would read as a formula prefixed by ``'``
    (a copy when anything changes)."""
    out = frame
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):  # its values are its categories
            if not column.cat.categories.astype(str).str.startswith(FORMULA_STARTS).any():
                continue
            column = column.astype(str)
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


class ParquetTable:
    """A result table streamed to one Parquet file, a chunk of rows at a time (one row group
    each), so that a long run never holds it: pass it as a :func:`simroute.run` ``on_chunk``
    handler. Needs pyarrow (``pip install 'simroute[parquet]'``).

    Parameters:
        path: the ``.parquet`` file to write.
        seed: the run's seed (a column, as in the DataFrames).
        replication: the run's replication (a column).
        attempts: the table is the attempts table (its derived columns are added, in order).
    """

    def __init__(self, path: str | Path, seed: int, replication: int, *, attempts: bool = False) -> None:
        import pyarrow.parquet as pq

        self._pq = pq
        self.path = Path(path)
        self.seed, self.replication = seed, replication
        self.attempts = attempts
        self.rows = 0
        self._writer: Any = None

    def __call__(self, chunk: dict) -> None:
        import pyarrow as pa

        from ..engine.recorder import Recorder

        frame = (Recorder.attempts_frame(chunk, self.seed, self.replication) if self.attempts
                 else Recorder.frame(chunk, self.seed, self.replication))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = self._pq.ParquetWriter(self.path, table.schema)
        else:
            table = table.cast(self._writer.schema)
        self._writer.write_table(table)
        self.rows += len(frame)

    def close(self, empty: pd.DataFrame | None = None) -> None:
        """Finish the file (with no chunk written: ``empty``'s columns, no rows)."""
        if self._writer is not None:
            self._writer.close()
        elif empty is not None:
            empty.to_parquet(self.path, index=False)
