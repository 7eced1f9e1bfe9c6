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

__all__ = ["Lines", "load_yaml", "read_text", "Fields", "MAX_BYTES", "MAX_NODES"]


MAX_BYTES = 50 * 1024 * 1024  #: the largest YAML or CSV input read, in bytes
MAX_NODES = 1_000_000  #: the most nodes a YAML document may expand to (aliases counted each time)

#: PyYAML's safe loader, in C (libyaml) where PyYAML was built with it: the bundled catalog parses
#: ~20x faster; the data, the lines and the errors' lines are the same
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Lines:
    """Line numbers (1-based) of the nodes of a YAML document, by path of keys and indexes (an
    aliased node is walked once, where it is defined)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._lines: dict[tuple, int] = {}
        self._seen: set[int] = set()
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self._lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self._seen:
            return
        self._seen.add(id(node))
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


def read_text(path: str | Path) -> str:
    """The text of an input file: UTF-8 (a byte-order mark is accepted), at most :data:`MAX_BYTES`.
    Anything else is an :class:`InputError` that says what the file looks like instead.

    Parameters:
        path: the file.

    Returns:
        Its text.

    Raises:
        InputError: a file that cannot be read, is too large, or is not UTF-8 text.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError("is a folder, not a file", file=str(path))
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"is {size / 2**20:.0f} MiB; inputs are read up to {MAX_BYTES / 2**20:.0f} MiB",
                             file=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("is UTF-16 text; save it as UTF-8", file=str(path), line=1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        what = "binary data" if b"\x00" in data[:4096] else "text in another encoding"
        raise InputError(f"is not UTF-8 text (byte 0x{data[exc.start]:02x}: {what}); save it as UTF-8",
                         file=str(path), line=line) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise InputError("is binary data, not text", file=str(path), line=line)
    return text


def _check_nodes(root: yaml.Node, file: str) -> None:
    """Refuse a document that aliases expand beyond :data:`MAX_NODES` ("billion laughs") and
    duplicate keys in any mapping (YAML would keep the last one silently)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode) else
                    node.value if isinstance(node, yaml.SequenceNode) else [])
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        if total > MAX_NODES:
            raise InputError(f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the data out",
                             file=file, line=node.start_mark.line + 1)
        sizes[id(node)] = total
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                    if key_node.value in seen:
                        raise InputError(f"duplicate key (first on line {seen[key_node.value]})",
                                         file=file, line=key_node.start_mark.line + 1, field=key_node.value)
                    seen[key_node.value] = key_node.start_mark.line + 1


def load_yaml(path: str | Path) -> tuple[Any, Lines]:
    """Parse ``path`` (UTF-8, :func:`read_text`); malformed YAML, duplicate keys and alias bombs
    raise :class:`InputError` naming the file and line."""
    path = Path(path)
    text = read_text(path)
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()  # parsed once: the nodes give the lines and then the data
        data = None
        if node is not None:
            _check_nodes(node, str(path))
            data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"malformed YAML: {problem}", file=str(path), line=line) from None
    finally:
        loader.dispose()
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
        if self.lines is not None:  # a dotted field (times.1, failure.kinds) is a path inside the entry
            inside = tuple(int(p) if p.isdigit() else p for p in field.split(".")) if field else ()
            line = self.lines.line(*self.path, *inside)
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
        declared setting (:func:`simroute.common.schema.check_value`)."""
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

    def list(self, name: builtins.str, default: Any = ...) -> Any:
        """A list of entries (each checked by its own reader)."""
        def check(v: Any) -> builtins.list:
            if not isinstance(v, builtins.list):
                raise ValueError(f"must be a list, got {v!r}")
            return v

        return self.get(name, default, check)

    def finish(self) -> None:
        """Raise on keys nobody asked for (typos)."""
        unknown = [k for k in self.raw if k not in self._used]
        if unknown:
            raise self.error(str(unknown[0]), "unknown field")
