"""Query planning: what one typed question becomes before anything is scored.

normalise and cut → spell out chat shorthand → guess English → expand with the glossary →
restore diacritics when the Vietnamese is typed without them (the dense model cannot read it
otherwise) → drop the chat wrapper → the text to embed and the lexical terms to look up.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.analysis import clauses, normalize, query_terms
from knowledge.diacritics import DiacriticRestorer
from knowledge.glossary import Expansion, Glossary
from knowledge.language import detect_language, has_diacritics
from knowledge.text import fold

MAX_QUERY_CHARS = 300  # longer input is cut: a question never needs more


@dataclass(frozen=True)
class QueryPlan:
    text: str  # normalised, cut query
    english: bool
    dense_text: str  # what is embedded (restored and expanded)
    terms: list[str]  # lexical terms of the user's words
    expansion: Expansion

    @property
    def empty(self) -> bool:
        """Only filler words ("thế thì sao?"): nothing names a procedure."""
        return not self.terms and not self.expansion.terms


class QueryPlanner:
    """Plans queries with one glossary and the index's diacritic restorer."""

    def __init__(self, glossary: Glossary, restorer: DiacriticRestorer) -> None:
        self.glossary = glossary
        self.restorer = restorer

    def plan(self, query: str, language: str | None = None) -> QueryPlan:
        """`language`: the conversation's decision (knowledge.language), or None to decide here."""
        typed = normalize(query[: 4 * MAX_QUERY_CHARS])[:MAX_QUERY_CHARS]
        accented = has_diacritics(typed)  # before shorthand like "dk" is spelt out with marks
        text = self.glossary.rewrite(typed)
        english = (language or detect_language(text)) == "en" and not accented
        expansion = self.glossary.expand(text, english)
        if english:
            parts, stop = clauses(text), self.glossary.stop_en
        else:
            parts = clauses(text) if accented else self.restorer.restore_clauses(text)
            stop = self.glossary.stop_vi
        parts = self.glossary.unwrap(parts, english)  # "còn làm hộ chiếu thì sao" is about "làm hộ chiếu"
        base = ", ".join(" ".join(c) for c in parts)
        dense_text = f"{base} ({', '.join(expansion.terms)})" if expansion.terms else base
        # Words that only say which section is asked ("mất bao lâu") do not identify a procedure.
        lexical = split_at(parts, set(expansion.aspect_phrases))
        as_typed = split_at(clauses(typed), set(expansion.aspect_phrases))  # keeps "TNHH" next to its expansion
        terms = query_terms(lexical, stop) + query_terms(as_typed, stop)
        return QueryPlan(text, english, dense_text, list(dict.fromkeys(terms)), expansion)


def split_at(parts: list[list[str]], phrases: set[tuple[str, ...]]) -> list[list[str]]:
    """Cut clauses at occurrences of the given folded phrases, dropping the phrases."""
    if not phrases:
        return parts
    longest = max(map(len, phrases))
    out: list[list[str]] = []
    for clause in parts:
        folded = [fold(t) for t in clause]
        current: list[str] = []
        i = 0
        while i < len(clause):
            n = next((n for n in range(longest, 0, -1) if tuple(folded[i : i + n]) in phrases), 0)
            if n:
                out.append(current)
                current, i = [], i + n
            else:
                current.append(clause[i])
                i += 1
        out.append(current)
    return [c for c in out if c]
