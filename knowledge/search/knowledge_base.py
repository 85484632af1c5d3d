"""`KnowledgeBase`: one index folder loaded for searching, swapped for a rebuilt one without a restart."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.embedding.load import QueryEncoder, as_query_encoder, query_encoder
from knowledge.glossary import load_glossary
from knowledge.index import load_index, read_manifest
from knowledge.model import Procedure
from knowledge.search.ranker import Ranker, SearchResult
from knowledge.settings import get_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class KnowledgeBase:
    """Loads an index folder; `reload_if_changed` swaps in a rebuilt index without a restart.

    `embedder`: the query model (a sentence-transformers model is wrapped); default
    `query_encoder` for the index's model, with `threads` math threads.
    """

    def __init__(
        self,
        index_dir: Path | str,
        embedder: SentenceTransformer | QueryEncoder | None = None,
        threads: int | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._threads = get_settings().query_threads if threads is None else threads  # a bad value fails first
        data = load_index(self.index_dir)
        encoder = (
            query_encoder(data.manifest.get("model_name"), self._threads)
            if embedder is None
            else as_query_encoder(embedder)
        )
        self._embedder = encoder
        self._ranker = Ranker(data, encoder, load_glossary())

    @property
    def ranker(self) -> Ranker:
        return self._ranker

    @property
    def manifest(self) -> dict[str, Any]:
        return self._ranker.data.manifest

    @property
    def procedures(self) -> list[Procedure]:
        """The loaded catalog."""
        return self._ranker.data.procedures

    def search(self, query: str, k: int = 5, language: str | None = None) -> SearchResult:
        """`language`: the conversation's ("vi"/"en", see knowledge.language), None to decide here."""
        return self._ranker.search(query, k, language)

    def question_vectors(self, questions: list[str]) -> np.ndarray:
        """Unit vectors of questions as the search embeds them (diacritics restored, terms
        expanded), so that one question typed with and without accents lands in one place."""
        ranker = self._ranker
        return ranker.embedder.embed([ranker.plan(q).dense_text for q in questions])

    def get(self, code: str) -> Procedure | None:
        ranker = self._ranker
        i = ranker.by_code.get(code.strip())
        return ranker.data.procedures[i] if i is not None else None

    def reload_if_changed(self) -> bool:
        """Load the index again if its manifest names another build; True when swapped."""
        manifest = read_manifest(self.index_dir)
        if not manifest or manifest.get("build_id") == self.manifest.get("build_id"):
            return False
        with self._lock:
            if manifest.get("build_id") == self.manifest.get("build_id"):
                return False
            data = load_index(self.index_dir)
            embedder = self._embedder
            if data.manifest.get("model") != self.manifest.get("model"):
                embedder = query_encoder(data.manifest.get("model_name"), self._threads)
            self._embedder = embedder
            self._ranker = Ranker(data, embedder, load_glossary())  # one assignment: readers see old or new
        return True
