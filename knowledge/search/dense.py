"""Dense scoring: one e5 query vector against the index's passage vectors (exact inner
product in FAISS), the best cosine per procedure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from knowledge.index import IndexData
from knowledge.search.rows import ProcedureRows

if TYPE_CHECKING:
    import faiss

    from knowledge.embedding.load import QueryEncoder

DEFAULT_DIM = 384  # multilingual-e5-small, for an index without vectors


class DenseScorer:
    def __init__(self, data: IndexData, embedder: QueryEncoder) -> None:
        import faiss

        self.embedder = embedder
        self.faiss: faiss.IndexFlatIP = faiss.IndexFlatIP(data.dense.shape[1] if data.dense.size else DEFAULT_DIM)
        if data.dense.size:
            self.faiss.add(data.dense)
        self.vectors = ProcedureRows(data.chunk_procedure[data.dense_rows], len(data.procedures))

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised query vector, shape (1, dim)."""
        return self.embedder.embed([text])

    def scores(self, qvec: np.ndarray | None) -> np.ndarray:
        """Best cosine per procedure (0 for a procedure without vectors, or without a query vector)."""
        dense = np.zeros(self.vectors.n)
        if qvec is not None and self.faiss.ntotal:
            sims, rows = self.faiss.search(qvec, self.faiss.ntotal)
            by_row = np.empty(self.faiss.ntotal, dtype=np.float32)
            by_row[rows[0]] = sims[0]
            dense = self.vectors.max(by_row)
            dense[np.isinf(dense)] = 0.0
        return dense
