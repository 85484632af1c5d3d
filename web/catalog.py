"""Procedures for the web pages: the knowledge index when it is built, otherwise our curated
files (so the pages work before `make setup` has built the index).

The index is loaded, and a rebuilt one swapped in, by `knowledge.loader.KnowledgeLoader` (in the
background: a page never waits for it); what is web-specific stays here: look-up by code, the
field/level filters, and the accent-insensitive fallback search over the curated files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.curated import load_curated
from knowledge.loader import KnowledgeLoader
from knowledge.model import LEVEL_NAMES, Level, Procedure
from knowledge.text import fold

if TYPE_CHECKING:
    from knowledge.search import KnowledgeBase

CODE = re.compile(r"^\d\.\d{6}$")
WORD = re.compile(r"\w+")
RETRY_SECONDS = 60.0  # how often a missing or broken index is looked for again
RELOAD_CHECK_SECONDS = 30.0  # how often a rebuilt index is looked for
FILTER_POOL = 80  # hits fetched from the index before field/level filters are applied


@dataclass(frozen=True)
class Found:
    procedure: Procedure
    score: float


@dataclass(frozen=True)
class SearchOutcome:
    results: list[Found]
    source: str  # "index", "curated" or "code"
    confident: bool  # False when the knowledge base said nothing fits well


class Catalog:
    """Thread-safe access to procedures; the index is loaded in the background on first use."""

    def __init__(self, index_dir: Path, curated: list[Procedure] | None = None) -> None:
        self.index_dir = index_dir
        self._curated = curated if curated is not None else load_curated()
        self._by_code = {p.code: p for p in self._curated}
        self._folded = {p.code: _folded_texts(p) for p in self._curated}
        self._loader = KnowledgeLoader(
            index_dir, background=True, retry_seconds=RETRY_SECONDS, reload_seconds=RELOAD_CHECK_SECONDS
        )

    def knowledge(self) -> KnowledgeBase | None:
        """The loaded knowledge base, or None while it loads or when there is no index (a load is started)."""
        return self._loader.get()

    # ----------------------------------------------------------------- look-ups

    def get(self, code: str) -> Procedure | None:
        code = code.strip()
        if not CODE.match(code):
            return None
        knowledge = self.knowledge()
        found = knowledge.get(code) if knowledge is not None else None
        return found or self._by_code.get(code)

    def fields(self) -> list[str]:
        """Fields for the search filter: the whole catalog's once the index is loaded."""
        knowledge = self.knowledge()
        procedures = knowledge.procedures if knowledge is not None else self._curated
        return sorted({p.field for p in procedures if p.field}, key=fold)

    def search(self, query: str, field: str = "", level: str = "", limit: int = 20) -> SearchOutcome:
        query = query.strip()[:200]
        if CODE.match(query):
            exact = self.get(query)
            return SearchOutcome([Found(exact, 1.0)] if exact else [], "code", exact is not None)
        knowledge = self.knowledge()
        if not query:
            pool, confident, source = [Found(p, 0.0) for p in self._curated], True, "curated"
        elif knowledge is not None:
            pool, confident = _index_pool(knowledge, query, FILTER_POOL if field or level else limit)
            source = "index"
        else:
            pool, confident, source = self._curated_search(query), True, "curated"
        kept = [f for f in pool if _matches(f.procedure, field, level)]
        return SearchOutcome(kept[:limit], source, confident and bool(kept))

    def _curated_search(self, query: str) -> list[Found]:
        """Accent-insensitive word match; the whole phrase in a name or alias ranks first,
        the shorter that name the better (it is closer to what was typed)."""
        words = [w for w in WORD.findall(fold(query)) if len(w) > 1 or w.isdigit()]
        if not words:
            return []
        phrase = f" {' '.join(words)} "
        scored = []
        for code, (names, everything) in self._folded.items():
            share = sum(f" {w} " in everything for w in words) / len(words)
            in_names = [n for n in names if phrase in n]
            closeness = len(phrase) / min(len(n) for n in in_names) if in_names else 0.0
            score = share + (1.0 + closeness if in_names else 0.5 if phrase in everything else 0.0)
            if share >= 0.5:
                scored.append(Found(self._by_code[code], score))
        return sorted(scored, key=lambda f: -f.score)


def _index_pool(knowledge: KnowledgeBase, query: str, k: int) -> tuple[list[Found], bool]:
    """The hits best first, and whether the knowledge base found a fitting answer."""
    result = knowledge.search(query, k=k)
    found = [Found(p, float(hit.score)) for hit in result.hits if (p := knowledge.get(hit.code)) is not None]
    return found, result.decision != "no_answer"


def _folded_texts(p: Procedure) -> tuple[list[str], str]:
    """(each name and alias, everything searchable), folded and padded with spaces."""

    def padded(text: str) -> str:
        return " " + " ".join(WORD.findall(fold(text))) + " "

    names = [padded(n) for n in (p.title, p.overlay.title_en, *p.overlay.aliases) if n]
    return names, padded(
        " . ".join([p.title, p.field, p.overlay.title_en, *p.overlay.aliases, *p.overlay.questions_vi])
    )


def _matches(p: Procedure, field: str, level: str) -> bool:
    return (not field or p.field == field) and (not level or level in p.levels)


LEVELS: dict[Level, str] = LEVEL_NAMES["vi"]
