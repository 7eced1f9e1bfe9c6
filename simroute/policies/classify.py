"""The request classifier: words of a request → domains, contexts, patterns, complexity, urgency.

Lexicon-driven (``catalog.lexicon``): the code only tokenizes and looks words up. Rules, in order:

* a request is lower-cased and split into words of letters, digits and ``. / + # -`` (so ``ci/cd``,
  ``k8s`` and ``full-stack`` are words); trailing punctuation is dropped; a word counts only whole,
  so "build" never matches "ui"; a plural ``s`` is dropped when only the singular is listed;
* domains, contexts, patterns and keywords are collected in order of first appearance, without
  repeats; implied contexts (react → jsx) follow the context that implies them;
* complexity is ``complex`` with at least ``complex_min_domains`` domains or any word marked
  ``complex``; ``moderate`` with at least ``moderate_min_domains``; else ``simple``;
* urgency is the highest urgency of any urgency word, else ``default_urgency``;
* the duration estimate is the sum of the durations of the phase templates the domains trigger
  (the work a collaboration plan would do sequentially), else ``simple_duration``.

That is the seed's classifier (``Reading(vocabulary="seed")``), which replays the seed's documented
classifications exactly. The default reading, ``vocabulary="catalog"``, reads requests as people
write them: the catalog's own vocabulary (plugin and agent keywords, contexts, patterns), the
lexicon's synonyms, multi-word terms and misspellings (:mod:`simroute.policies.vocabulary`); the
rules for domains, complexity, urgency and duration stay the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..common.schema import check, documented, setting
from .catalog import Catalog, Term
from .vocabulary import Meaning, vocabulary

__all__ = ["Classification", "Reading", "classify", "tokenize", "SEED_READING"]


@documented
@dataclass(frozen=True, kw_only=True, slots=True)
class Reading:
    """How the classifier reads a request (the seed's: ``vocabulary: seed``)."""

    vocabulary: str = setting("catalog", "seed: the lexicon's single words, as the seed's classifier; "
                              "catalog: also the catalog's keywords, contexts and patterns, the "
                              "lexicon's synonyms and multi-word terms", choices=("seed", "catalog"))
    fuzzy: float = setting(80.0, "with the catalog vocabulary, an unknown word of 5+ letters is read as "
                           "the vocabulary word most like it when at least this similar (optimal "
                           "string alignment); 0: exact words only", unit="%", lo=0, hi=100)

    def __post_init__(self) -> None:
        check(self)


#: the seed's classifier: lexicon words only, no synonyms, no correction
SEED_READING = Reading(vocabulary="seed", fuzzy=0.0)

_WORD = re.compile(r"[a-z0-9][a-z0-9./+#-]*")


def tokenize(text: str) -> list[str]:
    """Lower-cased words of ``text`` (see the module docstring)."""
    return [w.rstrip(".-/") for w in _WORD.findall(text.lower())]


@dataclass(frozen=True, kw_only=True, slots=True)
class Classification:
    """What a request is about, as the classifier read it.

    Parameters:
        text: the request.
        domains: domains found (canonical names).
        contexts: contexts found, including those implied by others.
        query_contexts: contexts the request names itself.
        patterns: patterns found.
        keywords: keywords found.
        complexity: ``simple``, ``moderate`` or ``complex``.
        urgency: 0–10.
        est_duration: estimated seconds.
        words: the words the lexicon knew.
        corrections: (as written, as read) for each misspelt word that was corrected.
    """
    text: str
    domains: tuple[str, ...]
    contexts: tuple[str, ...]
    query_contexts: tuple[str, ...]  #: contexts named by the request (not merely implied)
    patterns: tuple[str, ...]
    keywords: tuple[str, ...]
    complexity: str  #: "simple" | "moderate" | "complex"
    urgency: int
    est_duration: float  #: seconds
    words: tuple[str, ...] = ()  #: the words that the lexicon knew
    corrections: tuple[tuple[str, str], ...] = ()  #: (as written, as read): misspellings corrected

    def __repr__(self) -> str:
        return (f"Classification({self.complexity.upper()}, domains={list(self.domains)}, "
                f"contexts={list(self.contexts)}, patterns={list(self.patterns)}, "
                f"keywords={list(self.keywords)}, urgency={self.urgency}, "
                f"est={self.est_duration / 60:g} min)")

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


def _lookup(word: str, terms: dict[str, Term]) -> Term | None:
    if word in terms:
        return terms[word]
    if word.endswith("s") and word[:-1] in terms:
        return terms[word[:-1]]
    return None


def _add(seq: list[str], items: tuple[str, ...]) -> None:
    for item in items:
        if item not in seq:
            seq.append(item)


def classify(text: str, catalog: Catalog, reading: Reading = Reading()) -> Classification:
    """Classify ``text`` with ``catalog``'s lexicon (pure and deterministic).

    Parameters:
        text: the request.
        catalog: whose lexicon (and, with the catalog vocabulary, plugins and agents) to use.
        reading: how to read it (the seed's: :data:`SEED_READING`).

    Returns:
        The :class:`Classification`.
    """
    if reading.vocabulary == "catalog":
        found, corrections = vocabulary(catalog).read(text, reading.fuzzy)
        return _classification(text, catalog, found, tuple(corrections))
    found = []
    for word in tokenize(text):
        term = _lookup(word, catalog.lexicon.terms)  # type: ignore[arg-type]
        if term is not None:  # the seed reports a keyword as written ("components")
            found.append((word, Meaning.of_term(term, word if term.keyword else None)))
    return _classification(text, catalog, found, ())


def _classification(text: str, catalog: Catalog, found: list[tuple[str, Meaning]],
                    corrections: tuple[tuple[str, str], ...]) -> Classification:
    """The classification of the words ``found`` (with their meanings, in order): domains, contexts,
    patterns and keywords in order of first appearance; complexity, urgency and duration by the
    module docstring's rules (the same for every reading)."""
    lex = catalog.lexicon
    domains: list[str] = []
    contexts: list[str] = []
    query_contexts: list[str] = []
    patterns: list[str] = []
    keywords: list[str] = []
    urgencies: list[int] = []
    is_complex = False
    for _, m in found:
        _add(domains, tuple(m.domains))
        _add(query_contexts, tuple(m.contexts))
        _add(contexts, tuple(m.contexts + m.implied_contexts))
        _add(patterns, tuple(m.patterns))
        _add(keywords, tuple(m.keywords))
        is_complex = is_complex or m.complex
        if m.urgency is not None:
            urgencies.append(m.urgency)
    if is_complex or len(domains) >= lex.complex_min_domains:
        complexity = "complex"
    elif len(domains) >= lex.moderate_min_domains:
        complexity = "moderate"
    else:
        complexity = "simple"
    triggered = [p for p in lex.phases if set(p.domains) & set(domains)]
    est = sum(p.duration for p in triggered) if triggered else lex.simple_duration
    return Classification(
        text=text, domains=tuple(domains), contexts=tuple(contexts),
        query_contexts=tuple(query_contexts), patterns=tuple(patterns), keywords=tuple(keywords),
        complexity=complexity, urgency=max(urgencies, default=lex.default_urgency),
        est_duration=float(est), words=tuple(w for w, _ in found), corrections=corrections,
    )
