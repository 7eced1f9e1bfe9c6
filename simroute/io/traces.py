"""Named traces shipped with simroute.

``azure-code-2023`` is the real one: one hour (8,819 requests) of Microsoft Azure's LLM coding
service, with context and generated token counts (CC BY 4.0; licence and attribution beside it in
``simroute/data/traces/azure-code-2023/``). ``sample`` and ``azure-like`` are small synthetic
traces shaped after it (``tools/make_traces.py``).

A name works wherever a trace path does: ``resolve("azure-code-2023")`` gives the file,
``simroute report --trace azure-code-2023`` replays it, and a scenario says
``trace: bundled:azure-code-2023``.
"""

from __future__ import annotations

from pathlib import Path

from ..common.errors import InputError
from ..policies.catalog import data_dir

__all__ = ["BUNDLED", "bundled", "resolve", "azure_code_2023", "PREFIX"]

#: name → path under the data directory
BUNDLED = {
    "azure-code-2023": "traces/azure-code-2023/AzureLLMInferenceTrace_code.csv",
    "sample": "traces/sample.csv",
    "azure-like": "traces/azure_like.csv",
}
PREFIX = "bundled:"


def bundled() -> list[str]:
    """The names of the shipped traces."""
    return list(BUNDLED)


def resolve(trace: str | Path) -> Path:
    """The file of a trace given by a bundled name (``azure-code-2023``, or ``bundled:NAME``) or a
    path. An unknown ``bundled:`` name is an :class:`~simroute.common.errors.InputError` listing the names."""
    text = str(trace)
    name = text.removeprefix(PREFIX)
    if name in BUNDLED and (text.startswith(PREFIX) or not Path(text).exists()):
        return data_dir() / BUNDLED[name]
    if text.startswith(PREFIX):
        raise InputError(f"unknown bundled trace {name!r} (known: {', '.join(BUNDLED)})", field="trace")
    return Path(text)


def azure_code_2023() -> Path:
    """The real Azure LLM coding-service trace (one hour, 8,819 requests, azure format)."""
    return resolve("azure-code-2023")
