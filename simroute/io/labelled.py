"""Labelled routing requests: which plugins an engineer would accept for each request.

A labelled file is a CSV with a header and one request per row:

* ``text`` — the request, as a person wrote it (required, not empty);
* ``accept`` — the plugins an engineer would accept as its primary, separated by ``|``
  (``fastapi-backend|api-nexus-v2-conduit``; required, each a plugin of the catalog);
* ``difficulty`` — optional free label (the bundled set uses ``easy`` and ``hard``);
* ``why`` — optional: the reason for the label.

Other columns are refused (a typo such as ``acept`` would otherwise be silently ignored). The
package ships two sets (:func:`bundled_labelled`), both written from the plugins' stated purposes —
easy requests naming the framework, hard ones with synonyms, misspellings, two domains or no
framework at all:

* ``tuning`` (``simroute/data/routing/requests.csv``): 164 requests over every plugin of the bundled
  catalog. The catalog vocabulary (synonyms, descriptions) and the default weights were developed
  and tuned while looking at it, so its accuracy flatters them;
* ``fresh`` (``simroute/data/routing/fresh.csv``): 40 more, written after the vocabulary and the
  weights were frozen and never used to change them: the honest estimate of how routing does on
  requests nobody tuned for.

At most :data:`MAX_ROWS` rows are read (a labelled set is written by people; a bigger file is a
mistake, and every row is classified and scored for every plugin).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.errors import InputError
from ..policies.catalog import Catalog, data_dir

if TYPE_CHECKING:
    from .workload import MixEntry

__all__ = ["LabelledRequest", "read_labelled", "bundled_labelled", "labelled_mix", "COLUMNS", "MAX_ROWS"]

COLUMNS = ("text", "accept", "difficulty", "why")
REQUIRED = ("text", "accept")
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class LabelledRequest:
    """One labelled request.

    Parameters:
        text: the request.
        accept: the plugins an engineer would accept as primary.
        difficulty: a free label (``easy``, ``hard`` …; empty when the file has none).
        why: the reason for the label.
        line: its line in the file (for messages).
    """

    text: str
    accept: tuple[str, ...]
    difficulty: str = ""
    why: str = ""
    line: int = 0


def read_labelled(path: str | Path, catalog: Catalog | None = None) -> list[LabelledRequest]:
    """Read a labelled CSV (see the module docstring); with ``catalog``, every accepted plugin must
    be one of its plugins.

    Parameters:
        path: the CSV file.
        catalog: the catalog the labels name plugins of (None: not checked).

    Returns:
        The requests, in file order.

    Raises:
        InputError: naming the file, the line and the field of the first bad cell.
    """
    name = str(path)
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=name) from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        for col in REQUIRED:
            if col not in header:
                raise InputError(f"missing column {col!r} (header: {','.join(header) or 'empty'}; "
                                 f"columns: {', '.join(COLUMNS)})", file=name, line=1)
        for h in header:
            if h not in COLUMNS:
                raise InputError(f"unknown column (known: {', '.join(COLUMNS)})", file=name, line=1,
                                 field=h)
            if header.count(h) > 1:
                raise InputError("the column appears twice", file=name, line=1, field=h)
        out: list[LabelledRequest] = []
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(out) >= MAX_ROWS:
                raise InputError(f"more than {MAX_ROWS:,} labelled requests (split the file)", file=name,
                                 line=lineno)
            if len(row) != len(header):
                raise InputError(f"{len(row)} cells for {len(header)} columns (quote a text with "
                                 f"commas in it)", file=name, line=lineno)
            cells = dict(zip(header, (c.strip() for c in row), strict=True))
            if not cells["text"]:
                raise InputError("empty request text", file=name, line=lineno, field="text")
            accept = tuple(dict.fromkeys(p.strip() for p in cells["accept"].split("|") if p.strip()))
            if not accept:
                raise InputError("no accepted plugin (name one or more, separated by |)", file=name,
                                 line=lineno, field="accept")
            if catalog is not None:
                for plugin in accept:
                    if plugin not in catalog.plugins:
                        raise InputError(f"unknown plugin {plugin!r} (not in the catalog {catalog.source})",
                                         file=name, line=lineno, field="accept")
            out.append(LabelledRequest(cells["text"], accept, cells.get("difficulty", ""),
                                       cells.get("why", ""), lineno))
    if not out:
        raise InputError("no labelled requests", file=name, line=1)
    return out


def labelled_mix(labelled: Sequence[LabelledRequest]) -> tuple[MixEntry, ...]:
    """A workload mix of labelled requests, one entry each (equal weights), each with its accepted
    plugins: in a run, a task on a plugin a request does not accept fails more often and takes
    longer (``settings.wrong_plugin``), so routing quality moves success, latency and cost.

    Parameters:
        labelled: the labelled requests.

    Returns:
        The mix entries, in order.
    """
    from .workload import MixEntry

    return tuple(MixEntry(text=item.text, accept=item.accept) for item in labelled)


BUNDLED = {"tuning": "requests.csv", "fresh": "fresh.csv"}  #: the bundled sets and their files


def bundled_labelled(catalog: Catalog | None = None, which: str = "tuning") -> list[LabelledRequest]:
    """One of the package's labelled routing sets (see the module docstring).

    Parameters:
        catalog: the catalog the labels must name plugins of (None: not checked).
        which: ``tuning`` (164 requests) or ``fresh`` (40, never tuned on).

    Returns:
        The labelled requests, in file order.
    """
    if which not in BUNDLED:
        raise InputError(f"unknown bundled set {which!r} (known: {', '.join(BUNDLED)})", field="which")
    return read_labelled(data_dir() / "routing" / BUNDLED[which], catalog)
