"""The catalog vocabulary: the words and phrases the classifier reads when ``reading.vocabulary`` is
``catalog`` (the seed's classifier reads the lexicon's single words only).

What it knows, each as a *phrase* (a tuple of lower-case parts; ``home-assistant``, ``home
assistant`` and ``home_assistant`` are the same phrase):

* every lexicon term (its domains, contexts, patterns, complexity and urgency);
* every plugin's and agent's keyword — reported among the request's keywords, so that scoring can
  count the plugin keywords (``weights.plugin_keyword``) and discovery the agent keywords;
* every plugin's context and pattern (``chakra-ui``, ``rest-api``);
* the content words of every plugin's description
  (:func:`~simroute.policies.words.description_words`) — reported among the keywords, and scored for
  the plugins whose description has them (``weights.description``);
* the lexicon's ``synonyms``: a phrase that stands for one or more of the above (``k8s`` →
  ``kubernetes``, ``smart home`` → ``home-assistant``, ``obsidian vault`` → ``obsidian-sync``).

A multi-word term from the catalog also carries what its single words mean (``chakra ui`` is the
``chakra`` and ``ui`` of the lexicon as well as the context ``chakra-ui``). A synonym replaces its
words: "Obsidian vault" means ``obsidian-sync``, not Hashicorp's ``vault``.

Reading a request: it is split into parts (:func:`~simroute.policies.words.parts_of`). A
part of five or more letters that the vocabulary does not know is replaced by the vocabulary part
most like it when their optimal-string-alignment similarity (rapidfuzz) is at least
``reading.fuzzy`` percent (``terrafrom`` → ``terraform``, ``kubernets`` → ``kubernetes``). Short
words lie close to other real words (``senior`` and ``sensor``), so a part under
:data:`SHORT_WORD` letters is corrected only for one letter left out or added (``tailwnd``) or two
neighbours swapped (``dokcer``), never for a letter changed; and a word that is a prefix of the other
(``router``, ``route``) is a different word, not a typo. Then, from left to
right, the longest phrase (up to :data:`MAX_PHRASE` parts) that the vocabulary knows is taken; a
final plural ``s`` is dropped when only the singular is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .catalog import Catalog, Term, catalog_terms
from .words import parts_of

__all__ = ["Meaning", "Vocabulary", "vocabulary", "MAX_PHRASE", "MIN_FUZZY_LEN", "SHORT_WORD"]

MAX_PHRASE = 5  #: parts in the longest phrase matched
MIN_FUZZY_LEN = 5  #: shorter words are never corrected (too many real words lie one edit apart)
SHORT_WORD = 8  #: words shorter than this are corrected for a letter left out, added or swapped only

@dataclass
class Meaning:
    """What a phrase means to the classifier: the union of the terms it stands for."""

    domains: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    implied_contexts: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    complex: bool = False
    urgency: int | None = None

    def add(self, other: Meaning) -> None:
        for name in ("domains", "contexts", "implied_contexts", "patterns", "keywords"):
            seq = getattr(self, name)
            seq.extend(x for x in getattr(other, name) if x not in seq)
        self.complex = self.complex or other.complex
        if other.urgency is not None:
            self.urgency = max(self.urgency or 0, other.urgency)

    @classmethod
    def of_term(cls, term: Term, keyword: str | None = None) -> Meaning:
        """What a lexicon term means; ``keyword``: the keyword it reports (default: its word, when
        it is a keyword term)."""
        if keyword is None and term.keyword:
            keyword = term.word
        return cls(domains=list(term.domains), contexts=list(term.contexts),
                   implied_contexts=list(term.implied_contexts), patterns=list(term.patterns),
                   keywords=[keyword] if keyword else [], complex=term.complex, urgency=term.urgency)


@dataclass
class Vocabulary:
    """A catalog's phrases (parts → meaning) and the single parts they are made of."""

    phrases: dict[tuple[str, ...], Meaning]
    parts: list[str]  #: every part of every phrase, sorted (the choices of fuzzy correction)
    known_parts: frozenset[str]

    def correct(self, part: str, fuzzy: float) -> str:
        """``part``, or the vocabulary part it is a misspelling of (see the module docstring)."""
        if (fuzzy <= 0 or len(part) < MIN_FUZZY_LEN or not part.isalpha() or part in self.known_parts
                or (part.endswith("s") and part[:-1] in self.known_parts)):
            return part
        best = process.extractOne(part, self.parts, scorer=OSA.normalized_similarity,
                                  score_cutoff=fuzzy / 100.0)
        if best is None:
            return part
        found = best[0]
        if found.startswith(part) or part.startswith(found):
            return part
        if len(part) < SHORT_WORD:
            swapped = len(found) == len(part) and sorted(found) == sorted(part)
            if not (swapped or abs(len(found) - len(part)) == 1):
                return part
            if OSA.distance(part, found) != 1:
                return part
        return found

    def read(self, text: str, fuzzy: float) -> tuple[list[tuple[str, Meaning]], list[tuple[str, str]]]:
        """The phrases of ``text`` with their meanings, in order, and the corrections made."""
        raw = parts_of(text)
        parts = [self.correct(p, fuzzy) for p in raw]
        corrections = [(a, b) for a, b in zip(raw, parts, strict=True) if a != b]
        found: list[tuple[str, Meaning]] = []
        i = 0
        while i < len(parts):
            for n in range(min(MAX_PHRASE, len(parts) - i), 0, -1):
                phrase = tuple(parts[i:i + n])
                meaning = self.phrases.get(phrase)
                if meaning is None and phrase[-1].endswith("s"):
                    meaning = self.phrases.get(phrase[:-1] + (phrase[-1][:-1],))
                if meaning is not None:
                    found.append((" ".join(phrase), meaning))
                    i += n
                    break
            else:
                i += 1
        return found, corrections


def _phrase(word: str) -> tuple[str, ...]:
    return parts_of(word.replace("-", " "))


def _build(catalog: Catalog) -> Vocabulary:
    lex = catalog.lexicon
    phrases: dict[tuple[str, ...], Meaning] = {}

    def put(key: tuple[str, ...], meaning: Meaning) -> None:
        if key:
            phrases.setdefault(key, Meaning()).add(meaning)

    by_word: dict[str, Meaning] = {}
    for word, term in lex.terms.items():
        by_word.setdefault(word, Meaning()).add(Meaning.of_term(term))
    catalog_words: dict[str, Meaning] = {}
    for word, kind in catalog_terms(catalog):
        meaning = catalog_words.setdefault(word, Meaning())
        seq: list[str] = getattr(meaning, kind)
        if word not in seq:
            seq.append(word)
    for word, meaning in by_word.items():
        put(_phrase(word), meaning)
    singles = {k: m for k, m in phrases.items() if len(k) == 1}
    for word, meaning in catalog_words.items():
        key = _phrase(word)
        put(key, meaning)
        if len(key) > 1:  # a catalog phrase also means what its single words mean
            for part in key:
                if (part,) in singles:
                    put(key, singles[(part,)])
    known = dict(by_word)
    for word, meaning in catalog_words.items():
        known.setdefault(word, Meaning()).add(meaning)
    for phrase, targets in lex.synonyms.items():
        meaning = Meaning()
        for target in targets:
            meaning.add(known[target])  # every target is known: the catalog checked it at load
        phrases[_phrase(phrase)] = meaning  # a synonym replaces what its words would mean
    parts = sorted({part for key in phrases for part in key})
    return Vocabulary(phrases=phrases, parts=parts, known_parts=frozenset(parts))


def vocabulary(catalog: Catalog) -> Vocabulary:
    """The catalog's vocabulary (built once per catalog object)."""
    cache = catalog.derived
    if "vocabulary" not in cache:
        cache["vocabulary"] = _build(catalog)
    return cache["vocabulary"]
