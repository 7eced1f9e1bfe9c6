"""A Griffe extension for the API pages: the docstrings' Sphinx roles become links.

simroute's docstrings cross-reference with Sphinx roles (``:func:`run```, ``:class:`~simroute.io.
scenario.Scenario```, ``:data:`METRICS```, ``:meth:`Results.summary```). mkdocstrings renders
Markdown, where such a role would show as literal text. This extension rewrites each role, before
rendering, as an autorefs link (``<autoref identifier=… optional>``): a link to the object's entry
when the site documents it, plain code when it does not (``optional``: no warning, so
``mkdocs build --strict`` stays strict about everything else). ``mkdocs.yml`` loads it
(``extensions: [tools/griffe_roles.py]``).

A name without dots is looked up beside the object whose docstring it is in (its module, then its
class); a leading ``~`` shows only the last part, as Sphinx does.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|obj|exc|const):"
                  r"`(~?)([^`<>]+?)(?:\s*<([^>]+)>)?`")


def _identifier(target: str, obj: Any) -> str:
    """The full path a role's target names, looked up beside ``obj`` when it is relative."""
    target = target.strip().rstrip("()")
    if target.startswith("simroute"):
        return target
    module = obj.module.path if hasattr(obj, "module") else obj.path
    first = target.split(".")[0]
    try:
        scope = obj.parent if obj.is_function or obj.is_attribute else obj
        if scope is not None and first in scope.members:
            return f"{scope.path}.{target}"
    except Exception:  # noqa: BLE001 - a lookup that fails is a plain name
        pass
    try:
        if first in obj.module.members:
            member = obj.module.members[first]
            base = member.target_path if member.is_alias else member.path
            rest = target.split(".", 1)[1] if "." in target else ""
            return f"{base}.{rest}" if rest else base
    except Exception:  # noqa: BLE001
        pass
    return f"{module}.{target}"


def _rewrite(text: str, obj: Any) -> str:
    def link(match: re.Match) -> str:
        tilde, target, explicit = match.group(1), match.group(2), match.group(3)
        if explicit:  # :func:`title <target>`
            title, target = target.strip(), explicit
        else:
            title = target.split(".")[-1] if tilde else target
        return f'<autoref identifier="{_identifier(target, obj)}" optional><code>{title}</code></autoref>'

    return ROLE.sub(link, text)


class RolesToLinks(griffe.Extension):
    """Rewrite Sphinx roles in every docstring as optional autorefs links."""

    def on_instance(self, *, obj: Any, **_kwargs: Any) -> None:
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = _rewrite(obj.docstring.value, obj)
