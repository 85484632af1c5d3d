"""Procedures for the web pages: the knowledge engine's index when it is built, otherwise
our curated files (so the pages work before `make setup` has built the index).

Every semantic search goes through `engine_search`, the one place that knows the
knowledge engine's API.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from knowledge.curated import load_curated
from knowledge.model import Level, Procedure
from knowledge.text import fold

logger = logging.getLogger(__name__)

CODE = re.compile(r"^\d\.\d{6}$")
WORD = re.compile(r"\w+")
RETRY_SECONDS = 60.0  # how often a missing or broken index is looked for again
RELOAD_CHECK_SECONDS = 30.0  # how often a rebuilt index is looked for
FILTER_POOL = 80  # hits fetched from the engine before field/level filters are applied


class SearchEngine(Protocol):
    def search(self, query: str, k: int = 5) -> Any: ...
    def get(self, code: str) -> Procedure | None: ...


@dataclass(frozen=True)
class Found:
    procedure: Procedure
    score: float


@dataclass(frozen=True)
class SearchOutcome:
    results: list[Found]
    engine: str  # "index" or "curated"
    confident: bool  # False when the engine said nothing fits well


def engine_search(engine: SearchEngine, query: str, k: int) -> tuple[list[tuple[str, float]], bool]:
    """(code, score) pairs best first, and whether the engine found a fitting answer."""
    result = engine.search(query, k=k)
    return [(hit.code, float(hit.score)) for hit in result.hits], result.decision != "no_answer"


def load_engine(index_dir: Path) -> SearchEngine:
    from knowledge.search import KnowledgeBase

    loader = getattr(KnowledgeBase, "load", None)
    return loader(index_dir) if callable(loader) else KnowledgeBase(index_dir)


class Catalog:
    """Thread-safe access to procedures; the index is loaded in the background on first use."""

    def __init__(self, index_dir: Path, curated: list[Procedure] | None = None) -> None:
        self.index_dir = index_dir
        self._curated = curated if curated is not None else load_curated()
        self._by_code = {p.code: p for p in self._curated}
        self._folded = {p.code: _folded_texts(p) for p in self._curated}
        self._engine: SearchEngine | None = None
        self._tried_at = -RETRY_SECONDS
        self._checked_at = time.monotonic()
        self._loading = False
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- engine life cycle

    def engine(self) -> SearchEngine | None:
        """The loaded engine, or None while it loads or when there is no index (a load is started)."""
        with self._lock:
            due = time.monotonic() - self._tried_at >= RETRY_SECONDS
            if self._engine is None and not self._loading and due:
                self._tried_at = time.monotonic()
                if (self.index_dir / "manifest.json").exists():
                    self._start(self._load)
            elif self._engine is not None and not self._loading and self._reload_due():
                self._start(self._reload)
            return self._engine

    def _start(self, target: Any) -> None:
        self._loading = True
        threading.Thread(target=target, name="knowledge-load", daemon=True).start()

    def _reload_due(self) -> bool:
        if time.monotonic() - self._checked_at < RELOAD_CHECK_SECONDS:
            return False
        self._checked_at = time.monotonic()
        return callable(getattr(self._engine, "reload_if_changed", None))

    def _reload(self) -> None:
        """Swap in a rebuilt index (`make index`) without a restart; the old one serves meanwhile."""
        try:
            if self._engine is not None and self._engine.reload_if_changed():  # type: ignore[attr-defined]
                logger.info("knowledge index reloaded from %s", self.index_dir)
        except Exception as error:
            logger.error("knowledge index not reloaded: %s: %s", type(error).__name__, error)
        finally:
            with self._lock:
                self._loading = False

    def _load(self) -> None:
        try:
            engine = load_engine(self.index_dir)
            logger.info("knowledge index loaded from %s", self.index_dir)
        except Exception as error:  # a broken index must not take the pages down
            logger.error("knowledge index not loaded: %s: %s", type(error).__name__, error)
            engine = None
        with self._lock:
            self._engine, self._loading = engine, False

    def wait_until_loaded(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.engine() is not None:
                return True
            if not self._loading:
                return False
            time.sleep(0.2)
        return False

    # ----------------------------------------------------------------- look-ups

    def get(self, code: str) -> Procedure | None:
        code = code.strip()
        if not CODE.match(code):
            return None
        engine = self.engine()
        found = engine.get(code) if engine is not None else None
        return found or self._by_code.get(code)

    def fields(self) -> list[str]:
        """Fields for the search filter: the whole catalog's once the index is loaded."""
        data = getattr(getattr(self.engine(), "engine", None), "data", None)
        procedures = getattr(data, "procedures", None) or self._curated
        return sorted({p.field for p in procedures if p.field}, key=fold)

    def search(self, query: str, field: str = "", level: str = "", limit: int = 20) -> SearchOutcome:
        query = query.strip()[:200]
        if CODE.match(query):
            exact = self.get(query)
            return SearchOutcome([Found(exact, 1.0)] if exact else [], "code", exact is not None)
        engine = self.engine()
        if not query:
            pool, confident, source = [Found(p, 0.0) for p in self._curated], True, "curated"
        elif engine is not None:
            pool, confident = self._engine_pool(engine, query, FILTER_POOL if field or level else limit)
            source = "index"
        else:
            pool, confident, source = self._curated_search(query), True, "curated"
        kept = [f for f in pool if _matches(f.procedure, field, level)]
        return SearchOutcome(kept[:limit], source, confident and bool(kept))

    def _engine_pool(self, engine: SearchEngine, query: str, k: int) -> tuple[list[Found], bool]:
        pairs, confident = engine_search(engine, query, k)
        found = [Found(p, score) for code, score in pairs if (p := engine.get(code)) is not None]
        return found, confident

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


def _folded_texts(p: Procedure) -> tuple[list[str], str]:
    """(each name and alias, everything searchable), folded and padded with spaces."""
    def padded(text: str) -> str:
        return " " + " ".join(WORD.findall(fold(text))) + " "

    names = [padded(n) for n in (p.title, p.overlay.title_en, *p.overlay.aliases) if n]
    return names, padded(" . ".join([p.title, p.field, p.overlay.title_en, *p.overlay.aliases,
                                      *p.overlay.questions_vi]))  # fmt: skip


def _matches(p: Procedure, field: str, level: str) -> bool:
    return (not field or p.field == field) and (not level or level in p.levels)


LEVELS: dict[Level, str] = {"commune": "Cấp xã", "province": "Cấp tỉnh", "ministry": "Cấp bộ, trung ương"}
