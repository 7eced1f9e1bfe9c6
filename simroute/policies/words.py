"""Words of free text: the parts a request or a description is split into.

* :func:`parts_of` — lower-cased parts, split at spaces, hyphens, underscores and punctuation other
  than ``. / + #`` inside a word (``ci/cd``, ``next.js`` and ``c#`` stay whole; a trailing ``.`` or
  ``/`` is dropped);
* :func:`description_words` — the content words of a plugin's description: words of four or more
  letters (a hyphenated word such as ``self-hosted`` is one word; ``a/b`` are two), not in
  :data:`STOPWORDS`, plurals made singular (``tickets`` → ``ticket``, ``proxies`` → ``proxy``;
  ``analysis`` stays).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["parts_of", "description_words", "singular", "STOPWORDS"]

_PART = re.compile(r"[a-z0-9][a-z0-9./+#]*")
_WORD = re.compile(r"[a-z][a-z-]*[a-z]")

#: words of a description that say nothing about what a plugin does
STOPWORDS = frozenset("""
about also among and any are as at be been but by can does each for from has have how into its
more most not of off on one only or other our over per runs same some such than that the their them
then there these they this those through to too under very via was were what when where which while
who whom why will with within without work would your
""".split())


def parts_of(text: str) -> tuple[str, ...]:
    """The parts of ``text`` (see the module docstring)."""
    return tuple(p.rstrip("./") for p in _PART.findall(text.lower().replace("_", " ")) if p.rstrip("./"))


def singular(word: str) -> str:
    """``word`` without a plural ending (``-ies`` → ``-y``; ``-s`` but not ``-ss``, ``-is``, ``-us``)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "is", "us")) and len(word) > 4:
        return word[:-1]
    return word


@lru_cache(maxsize=4096)
def description_words(description: str) -> frozenset[str]:
    """The content words of a plugin's description (see the module docstring)."""
    words = set()
    for word in _WORD.findall(description.lower()):
        if len(word) >= 4 and word not in STOPWORDS:
            words.add(singular(word))
    return frozenset(words)
