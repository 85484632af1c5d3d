"""Text analysis for retrieval: syllables, accent-folded lexical terms, language guess.

Vietnamese words are written as space-separated syllables, so a syllable
tokeniser plus syllable bigrams (within one clause) covers nearly all two- and
most three-syllable words without a segmenter. Lexical terms are accent-folded
so that "lam giay khai sinh" and "làm giấy khai sinh" produce the same terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable

from knowledge.text import fold

# Numbers with separators stay whole ("1.001193", "08/2025"); otherwise letters only.
_TOKEN = re.compile(r"\d+(?:[.,/]\d+)*|[^\W\d_]+", re.UNICODE)
# Bigrams never span punctuation: "hộ tịch; khai sinh" gives no "tịch khai".
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”‘’'…\n\r\t/|•*+=<>–—-]+|\s-\s")
_SPACES = re.compile(r"\s+")
# Shape of a folded Vietnamese syllable: optional onset, 1-3 vowels, optional coda.
BIGRAM_JOIN = "_"


def normalize(text: str) -> str:
    """NFC, lower case, single spaces: the form every other function expects."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().lower()


def syllables(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def clauses(text: str) -> list[list[str]]:
    """Syllables grouped by clause (bigrams are formed inside a clause only)."""
    parts = _CLAUSE.split(normalize(text))
    return [toks for p in parts if (toks := _TOKEN.findall(p))]


def lexical_terms(text: str) -> list[str]:
    """Document side: every folded syllable plus folded bigrams inside clauses."""
    terms: list[str] = []
    for clause in clauses(text):
        folded = [fold(t) for t in clause]
        terms.extend(folded)
        terms.extend(a + BIGRAM_JOIN + b for a, b in zip(folded, folded[1:]))
    return terms


def query_terms(token_clauses: Iterable[list[str]], stopwords: Collection[str]) -> list[str]:
    """Query side: folded syllables that are not stopwords, and bigrams of two adjacent
    non-stopwords. Stopwords are matched before folding ("cần" is one, "căn" is not)."""
    terms: list[str] = []
    for clause in token_clauses:
        keep = [None if t in stopwords else fold(t) for t in clause]
        terms.extend(t for t in keep if t)
        terms.extend(a + BIGRAM_JOIN + b for a, b in zip(keep, keep[1:]) if a and b)
    return list(dict.fromkeys(terms))
