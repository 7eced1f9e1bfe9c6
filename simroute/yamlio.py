"""Reading YAML with line numbers, and checking fields of mappings.

PyYAML's composed node tree keeps the line of every node; :func:`load_yaml` returns plain Python
data plus a :class:`Lines` index so that a validation error can name the line of the offending entry
or field, not just the file.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError
from .schema import check_value

__all__ = ["Lines", "load_yaml", "Fields"]


class Lines:
    """Line numbers (1-based) of the nodes of a YAML document, by path of keys and indexes."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._lines: dict[tuple, int] = {}
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self._lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                self._lines[path + (key,)] = key_node.start_mark.line + 1
                self._walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (i,))

    def line(self, *path: Any) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get(())


def load_yaml(path: str | Path) -> tuple[Any, Lines]:
    """Parse ``path``; malformed YAML raises :class:`InputError` naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"malformed YAML: {problem}", file=str(path), line=line) from None
    return data, Lines(node)


class Fields:
    """Typed access to the fields of one mapping entry, raising errors that say where.

    ``Fields(raw, file=..., entry="plugins[3] fastapi-backend", lines=..., path=("plugins", 3))``
    then ``f.str("name")``, ``f.number("availability", lo=0, hi=1)`` and so on. Unknown keys are an
    error too (a typo in an optional field would otherwise be silently ignored).
    """

    def __init__(
        self,
        raw: Any,
        *,
        file: str | None,
        entry: str,
        lines: Lines | None = None,
        path: tuple = (),
    ) -> None:
        self.file = file
        self.entry = entry
        self.lines = lines
        self.path = path
        if not isinstance(raw, Mapping):
            raise self.error(None, f"must be a mapping, got {type(raw).__name__}")
        self.raw = raw
        self._used: set[str] = set()

    def error(self, field: str | None, message: str) -> InputError:
        line = None
        if self.lines is not None:
            line = self.lines.line(*self.path, *((field,) if field else ()))
        return InputError(message, file=self.file, line=line, entry=self.entry, field=field)

    def has(self, name: str) -> bool:
        return name in self.raw

    def get(self, name: str, default: Any = ..., check: Callable[[Any], Any] | None = None) -> Any:
        self._used.add(name)
        if name not in self.raw or self.raw[name] is None:
            if default is ...:
                raise self.error(name, "missing")
            return default
        value = self.raw[name]
        if check is None:
            return value
        try:
            return check(value)
        except (TypeError, ValueError) as exc:
            raise self.error(name, str(exc)) from None

    def str(self, name: str, default: Any = ...) -> Any:
        def check(v: Any) -> str:
            if not isinstance(v, str) or not v.strip():
                raise ValueError(f"must be a non-empty string, got {v!r}")
            return v

        return self.get(name, default, check)

    def number(
        self, name: builtins.str, default: Any = ..., *, lo: float | None = None, hi: float | None = None,
        integer: bool = False, lo_open: bool = False,
    ) -> Any:
        """A finite number (a whole one when ``integer``) within the bounds — the same rule as every
        declared setting (:func:`simroute.schema.check_value`)."""
        meta = {"lo": lo, "hi": hi, "lo_open": lo_open}
        return self.get(name, default, lambda v: check_value(int if integer else float, v, meta))

    def strings(self, name: builtins.str, default: Any = ...) -> Any:
        def check(v: Any) -> tuple[builtins.str, ...]:
            if isinstance(v, str) or not isinstance(v, list):
                raise ValueError(f"must be a list of strings, got {v!r}")
            for item in v:
                if not isinstance(item, str) or not item:
                    raise ValueError(f"must be a list of non-empty strings, got item {item!r}")
            return tuple(v)

        return self.get(name, default, check)

    def boolean(self, name: builtins.str, default: Any = ...) -> Any:
        def check(v: Any) -> bool:
            if not isinstance(v, bool):
                raise ValueError(f"must be true or false, got {v!r}")
            return v

        return self.get(name, default, check)

    def mapping(self, name: builtins.str, default: Any = ...) -> Any:
        def check(v: Any) -> Mapping:
            if not isinstance(v, Mapping):
                raise ValueError(f"must be a mapping, got {v!r}")
            return v

        return self.get(name, default, check)

    def finish(self) -> None:
        """Raise on keys nobody asked for (typos)."""
        unknown = [k for k in self.raw if k not in self._used]
        if unknown:
            raise self.error(str(unknown[0]), "unknown field")
