"""Lexical scoring: BM25 over the chunks' folded syllables and bigrams, and how much of the
query each procedure covers (idf-weighted), over one loaded index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.analysis import lexical_terms, query_terms, syllables
from knowledge.index import IndexData
from knowledge.model import Procedure
from knowledge.search.fusion import RankParams
from knowledge.search.plan import QueryPlan
from knowledge.search.rows import ProcedureRows

NAME_KINDS = frozenset({"overview", "alias", "question", "summary", "english"})


@dataclass(frozen=True)
class LexicalScores:
    """One value per procedure (see `knowledge.search.fusion.Features`)."""

    bm25: np.ndarray
    cover_name: np.ndarray
    cover_all: np.ndarray
    title_cover: np.ndarray


class LexicalScorer:
    def __init__(self, data: IndexData, stop_vi: frozenset[str]) -> None:
        self.bm25 = data.bm25
        self.stop_vi = stop_vi  # for the glossary's (Vietnamese) expansion terms
        self.n = len(data.procedures)
        self.chunk_procedure = data.chunk_procedure
        self.chunks = ProcedureRows(data.chunk_procedure, self.n)
        self.kinds = np.array(data.chunk_kind)
        self.name_chunk = np.isin(self.kinds, list(NAME_KINDS))
        self._kind_cache: tuple[dict[str, float], np.ndarray] | None = None
        self._postings_cache: dict[tuple[int, bool], np.ndarray] = {}
        scores = data.bm25.scores
        self.indptr, self.postings = scores["indptr"], scores["indices"]
        df = np.diff(self.indptr).astype(np.float64)
        n_docs = max(int(scores["num_docs"]), 1)
        self.idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0)
        self.max_idf = float(np.log((n_docs + 0.5) / 0.5 + 1.0))
        self.vocab = data.bm25.vocab_dict
        self._index_titles(data.procedures)

    def scores(self, plan: QueryPlan, params: RankParams) -> LexicalScores:
        own, exp, missing = self._term_weights(plan, params)
        both = {**own, **exp}
        chunk_scores = self._bm25(both) * self._kind_weights(params)
        lex = self.chunks.max(chunk_scores)
        top = lex.max(initial=0.0)
        return LexicalScores(
            bm25=lex / top if top > 0 else lex,
            cover_name=self._coverage(both, missing, self.name_chunk),
            cover_all=self._coverage(both, missing, None),
            title_cover=self._title_cover(set(both)),
        )

    # ----------------------------------------------------------------- query terms

    def _term_weights(self, plan: QueryPlan, params: RankParams) -> tuple[dict[int, float], dict[int, float], float]:
        """Idf weights of the user's terms and of glossary terms (scaled down), plus the
        weight of user terms the catalog never uses (they count against coverage)."""
        own: dict[int, float] = {}
        missing = 0.0
        # English words occur only in our overlay's few English texts, so their idf is
        # inflated; the glossary's Vietnamese terms carry an English query instead.
        scale = params.english_own_weight if plan.english else 1.0
        for t in dict.fromkeys(plan.terms):
            if t in self.vocab:
                own[self.vocab[t]] = scale * float(self.idf[self.vocab[t]])
            elif not (plan.english and "_" in t):  # English bigrams are rarely meaningful
                missing += self.max_idf
        exp_terms = query_terms([syllables(t) for t in plan.expansion.terms], self.stop_vi)
        exp = {
            self.vocab[t]: params.expansion_weight * float(self.idf[self.vocab[t]])
            for t in exp_terms
            if t in self.vocab and self.vocab[t] not in own
        }
        return own, exp, missing

    # ----------------------------------------------------------------- BM25

    def _kind_weights(self, params: RankParams) -> np.ndarray:
        weights = params.kind_weight
        if self._kind_cache is None or self._kind_cache[0] is not weights:
            table = np.array([weights.get(k, 0.3) for k in self.kinds], dtype=np.float32)
            self._kind_cache = (weights, table)
        return self._kind_cache[1]

    def _bm25(self, weights: dict[int, float]) -> np.ndarray:
        """BM25 per chunk with a weight per query term (bm25s sums unweighted terms)."""
        out = np.zeros(len(self.kinds), dtype=np.float32)
        groups: dict[float, list[int]] = {}
        for i, w in weights.items():
            groups.setdefault(round(w / float(self.idf[i]), 6), []).append(i)
        for scale, ids in groups.items():
            out += scale * self.bm25.get_scores_from_ids(ids)
        return out

    # ----------------------------------------------------------------- coverage

    def _coverage(self, weights: dict[int, float], missing: float, mask: np.ndarray | None) -> np.ndarray:
        """Weighted share of the query terms found in each procedure (optionally only in
        masked chunks); `missing` is the weight of query terms the catalog never uses."""
        total = sum(weights.values()) + missing
        cover = np.zeros(self.n, dtype=np.float64)
        if total <= 0:
            return cover
        for i, w in weights.items():
            cover[self._procedures_with(i, mask is not None)] += w
        return cover / total

    def _procedures_with(self, term: int, names_only: bool) -> np.ndarray:
        """Procedures having the term (in name-like chunks only, if asked); cached per term."""
        key = (term, names_only)
        found = self._postings_cache.get(key)
        if found is None:
            chunks = self.postings[self.indptr[term] : self.indptr[term + 1]]
            if names_only:
                chunks = chunks[self.name_chunk[chunks]]
            found = self._postings_cache[key] = np.unique(self.chunk_procedure[chunks])
        return found

    def _index_titles(self, procedures: list[Procedure]) -> None:
        """Flat arrays of each title's term ids and idf weights, for `title_cover`."""
        ids = [[self.vocab[t] for t in dict.fromkeys(lexical_terms(p.title)) if t in self.vocab] for p in procedures]
        self.title_terms = np.array([i for row in ids for i in row], dtype=np.int64)
        self.title_starts = np.cumsum([0] + [len(row) for row in ids[:-1]]).astype(np.int64)
        self.title_idf = self.idf[self.title_terms] if len(self.title_terms) else np.zeros(0)
        empty = np.array([not row for row in ids])
        totals = np.add.reduceat(self.title_idf, self.title_starts) if len(self.title_terms) else np.zeros(self.n)
        self.title_total = np.where(empty, np.inf, totals)

    def _title_cover(self, query_ids: set[int]) -> np.ndarray:
        if not len(self.title_terms) or not query_ids:
            return np.zeros(self.n)
        hit = np.isin(self.title_terms, np.fromiter(query_ids, dtype=np.int64))
        return np.add.reduceat(self.title_idf * hit, self.title_starts) / self.title_total
