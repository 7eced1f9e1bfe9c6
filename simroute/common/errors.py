"""Errors raised on bad input.

Every input error says *where* (file, line or entry) and *what* (the field), in one line, so the
command line can print it without a traceback and a notebook user can find the culprit at once.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SimrouteError", "InputError", "did_you_mean"]


class SimrouteError(Exception):
    """Base class of simroute's own errors."""


class InputError(SimrouteError, ValueError):
    """Bad input: a catalog, scenario, trace or argument that does not validate.

    ``str(err)`` is one line: ``FILE:LINE: ENTRY: field 'F': MESSAGE`` with the parts that are known.

    Parameters:
        message: what is wrong.
        file: the file (None: not from a file).
        line: the 1-based line (None: unknown).
        entry: the entry (``plugins[3] (fastapi-backend)``, ``settings`` …).
        field: the field, as a dotted path.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.entry = entry
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(f"{self.file}:{self.line}" if self.line is not None else str(self.file))
        if self.entry is not None:
            parts.append(self.entry)
        if self.field is not None:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)

    def at(self, **where: object) -> InputError:
        """A copy with missing location parts filled in (inner code knows the field, outer the file)."""
        known = {k: getattr(self, k) for k in ("file", "line", "entry", "field")}
        for key, value in where.items():
            if known.get(key) is None:
                known[key] = value
        return InputError(self.message, **known)  # type: ignore[arg-type]


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to a misspelt ``name`` ("" when none is
    close), for the end of an error message."""
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
