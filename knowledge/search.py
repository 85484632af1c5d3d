"""Hybrid procedure search: dense (e5 + FAISS) and lexical (BM25 over folded syllables and
bigrams), fused per procedure with mild priors, plus a decision (answer / clarify / no_answer).

Query path: normalise → guess English → expand with the glossary → restore diacritics when
the Vietnamese is typed without them (the dense model cannot read it otherwise) → one
embedding → per-procedure features → weighted sum → decision by a calibrated model.
"""
from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from knowledge.analysis import (
    clauses, foreign_ratio, has_diacritics, lexical_terms, normalize, query_terms, syllables,
)  # fmt: skip
from knowledge.chunks import SECTION_NAMES, SEPARATOR
from knowledge.glossary import Expansion, Glossary, load_glossary
from knowledge.index import IndexData, load_index, read_manifest
from knowledge.model import Procedure
from knowledge.text import bounded_query, fold

if TYPE_CHECKING:
    import faiss
    from sentence_transformers import SentenceTransformer

Decision = Literal["answer", "clarify", "no_answer"]
MAX_QUERY_CHARS = 300  # longer input is cut: a question never needs more
ENGLISH_RATIO = 0.34  # share of non-Vietnamese words from which an unaccented query is English
NAME_KINDS = frozenset({"overview", "alias", "question", "summary", "english"})
LEVEL_VALUE = {"commune": 1.0, "province": 0.5, "ministry": 0.0}
# torch threads for query embedding (process-wide). 0 keeps torch's default (all cores), the
# fastest on a quiet machine; 1 is steadier when other processes keep the cores busy.
QUERY_THREADS = int(os.environ.get("KNOWLEDGE_QUERY_THREADS", "0"))
# Transformer layers for query embedding: "auto" = bfloat16 where the CPU computes it natively
# (AVX512-BF16 or AMX: 26 -> 19 ms per query here, same dev-set figures), else float32.
QUERY_DTYPE = os.environ.get("KNOWLEDGE_QUERY_DTYPE", "auto")


@dataclass(frozen=True)
class RankParams:
    """Weights of the per-procedure features (see `Features`); tuned on the dev set."""

    dense: float = 4.0
    cover_name: float = 0.0
    cover_all: float = 0.3
    bm25: float = 0.1
    level: float = 0.05
    curated: float = 0.0
    title_cover: float = 0.1  # prefers "đăng ký kết hôn" over "… có yếu tố nước ngoài" for a plain query
    expansion_weight: float = 0.7  # lexical weight of glossary terms vs the user's own words
    english_own_weight: float = 0.3  # lexical weight of an English query's own words
    kind_weight: dict[str, float] = field(
        default_factory=lambda: {
            "overview": 1.0, "alias": 1.0, "question": 0.9, "summary": 0.5, "english": 1.0,
            "documents": 0.45, "fees": 0.2, "steps": 0.35, "conditions": 0.35,
        }
    )  # fmt: skip


# The top candidate's evidence, the query language, and how vague the query is: the share of
# the top title it says ("chứng thực" says little of "Chứng thực di chúc") and how many
# procedures score nearly as well (log of the count within NEAR of the top).
SIGNALS = ("score", "margin", "dense", "cover_name", "cover_all", "english", "title_share", "crowd")
NEAR = 0.15


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 50.0), -50.0)))


@dataclass(frozen=True)
class DecisionModel:
    """Two logistic models over the top candidate's `SIGNALS`, fitted on the dev set by
    `knowledge.evaluate.calibrate`: P(the query is in scope) and P(the top hit is right).

    answer     P(right) >= answer_at
    no_answer  otherwise, when P(in scope) < none_below
    clarify    otherwise: offer the candidates within `window` of the top score (2 to 5)
    """

    in_scope: tuple[float, ...] = (0.0,) * (len(SIGNALS) + 1)  # bias, then one weight per signal
    correct: tuple[float, ...] = (0.0,) * (len(SIGNALS) + 1)
    answer_at: float = 1.01  # uncalibrated: never answer outright
    none_below: float = 0.0
    window: float = 0.15

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DecisionModel:
        data = data or {}
        if list(data.get("signals", [])) != list(SIGNALS):
            return cls()  # fitted on other signals: do not trust it, never answer outright
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("in_scope", "correct"):
            if key in known:
                known[key] = tuple(float(x) for x in known[key])
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "signals": list(SIGNALS), "in_scope": [round(x, 6) for x in self.in_scope],
            "correct": [round(x, 6) for x in self.correct], "answer_at": round(self.answer_at, 4),
            "none_below": round(self.none_below, 4), "window": self.window,
        }  # fmt: skip

    @staticmethod
    def _p(weights: tuple[float, ...], signals: dict[str, float]) -> float:
        return _sigmoid(weights[0] + sum(w * signals[name] for w, name in zip(weights[1:], SIGNALS)))

    def probabilities(self, signals: dict[str, float]) -> tuple[float, float]:
        return self._p(self.in_scope, signals), self._p(self.correct, signals)

    def decide(self, signals: dict[str, float], ranked: Sequence[float]) -> tuple[Decision, int]:
        """Decision and how many of the ranked candidates to offer."""
        if not len(ranked):
            return "no_answer", 0
        p_in, p_ok = self.probabilities(signals)
        if p_ok >= self.answer_at:
            return "answer", 1
        if p_in < self.none_below:
            return "no_answer", 0
        close = sum(1 for r in ranked if r >= ranked[0] - self.window)
        return "clarify", min(max(close, 2), 5, len(ranked))


@dataclass(frozen=True)
class Hit:
    code: str
    title: str
    score: float
    section: str | None = None  # chunk kind the query asks about, when the procedure has it
    heading: str | None = None  # e.g. "Thủ tục đăng ký khai sinh › Thành phần hồ sơ"


@dataclass(frozen=True)
class SearchResult:
    query: str
    decision: Decision
    hits: list[Hit]
    options: int = 0  # how many of `hits` to offer when the decision is "clarify"
    signals: dict[str, float] = field(default_factory=dict)  # what the decision was made from

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "decision": self.decision,
            "hits": [{"code": h.code, "title": h.title, "score": round(h.score, 4)} for h in self.hits],
        }


@dataclass(frozen=True)
class QueryPlan:
    text: str  # normalised, cut query
    english: bool
    dense_text: str  # what is embedded (restored and expanded)
    terms: list[str]  # lexical terms of the user's words
    expansion: Expansion


@dataclass
class Features:
    """One value per procedure of the catalog."""

    dense: np.ndarray  # best cosine over the procedure's embedded chunks
    bm25: np.ndarray  # best kind-weighted BM25 chunk score / best over the catalog
    cover_name: np.ndarray  # idf share of query terms found in name-like chunks
    cover_all: np.ndarray  # idf share of query terms found anywhere in the procedure
    prior_level: np.ndarray
    prior_curated: np.ndarray
    title_cover: np.ndarray  # idf share of the procedure's title terms that the query has


# --------------------------------------------------------------------------- engine


class Engine:
    """Scoring over one loaded, read-only index (a `KnowledgeBase` swaps engines on reload)."""

    def __init__(self, data: IndexData, embedder: SentenceTransformer, glossary: Glossary) -> None:
        import faiss

        self.data = data
        self.embedder = embedder
        self.glossary = glossary
        self.params = RankParams()
        self.decision = DecisionModel.from_dict(data.manifest.get("decision"))
        self.by_code = {p.code: i for i, p in enumerate(data.procedures)}
        self.n = len(data.procedures)
        self.vocabulary = frozenset(data.restorer.candidates)
        self.faiss: faiss.IndexFlatIP = faiss.IndexFlatIP(data.dense.shape[1] if data.dense.size else 384)
        if data.dense.size:
            self.faiss.add(data.dense)
        self.dense_procedure = data.chunk_procedure[data.dense_rows]
        self.chunk_starts = _group_starts(data.chunk_procedure, self.n)
        self.dense_starts = _group_starts(self.dense_procedure, self.n)
        self._postings_cache: dict[tuple[int, bool], np.ndarray] = {}
        kinds = np.array(data.chunk_kind)
        self.name_chunk = np.isin(kinds, list(NAME_KINDS))
        self.kinds = kinds
        self._kind_cache: tuple[dict[str, float], np.ndarray] | None = None
        curated = set(data.manifest.get("curated", []))
        self.prior_curated = np.array([p.code in curated for p in data.procedures], dtype=np.float32)
        self.prior_level = np.array(
            [max((LEVEL_VALUE[lv] for lv in p.levels), default=0.0) for p in data.procedures], dtype=np.float32
        )
        self.sections = {(int(p), k) for p, k in zip(data.chunk_procedure, data.chunk_kind)}
        scores = data.bm25.scores
        self.indptr, self.postings = scores["indptr"], scores["indices"]
        df = np.diff(self.indptr).astype(np.float64)
        n_docs = max(int(scores["num_docs"]), 1)
        self.idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0)
        self.max_idf = float(np.log((n_docs + 0.5) / 0.5 + 1.0))
        self.vocab = data.bm25.vocab_dict
        self._index_titles(data.procedures)

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

    # ----------------------------------------------------------------- query analysis

    def plan(self, query: str) -> QueryPlan:
        typed = normalize(query[: 4 * MAX_QUERY_CHARS])[:MAX_QUERY_CHARS]
        accented = has_diacritics(typed)  # before shorthand like "dk" is spelt out with marks
        text = self.glossary.rewrite(typed)
        english = not accented and foreign_ratio(syllables(text), self.vocabulary) >= ENGLISH_RATIO
        expansion = self.glossary.expand(text, english)
        if english:
            parts, stop = clauses(text), self.glossary.stop_en
        else:
            parts = clauses(text) if accented else self.data.restorer.restore_clauses(text)
            stop = self.glossary.stop_vi
        parts = self.glossary.unwrap(parts, english)  # "còn làm hộ chiếu thì sao" is about "làm hộ chiếu"
        base = ", ".join(" ".join(c) for c in parts)
        dense_text = f"{base} ({', '.join(expansion.terms)})" if expansion.terms else base
        # Words that only say which section is asked ("mất bao lâu") do not identify a procedure.
        lexical = _split_at(parts, set(expansion.aspect_phrases))
        as_typed = _split_at(clauses(typed), set(expansion.aspect_phrases))  # keeps "TNHH" next to its expansion
        terms = query_terms(lexical, stop) + query_terms(as_typed, stop)
        return QueryPlan(text, english, dense_text, list(dict.fromkeys(terms)), expansion)

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised query vector. Calls the model's preprocess/forward directly: for a
        single short text `encode`'s batching machinery costs a few ms of the latency budget."""
        import torch

        model = self.embedder
        try:
            with torch.inference_mode():
                features = model.preprocess([text], prompt=model.prompts.get("query", ""))
                vec = model.forward(features)["sentence_embedding"].float().numpy()
        except (AttributeError, KeyError, TypeError):  # another sentence-transformers API
            vec = model.encode([text], prompt_name="query", convert_to_numpy=True)
        vec = np.asarray(vec, dtype=np.float32)
        return vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)

    # ----------------------------------------------------------------- features

    def _kind_weights(self) -> np.ndarray:
        weights = self.params.kind_weight
        if self._kind_cache is None or self._kind_cache[0] is not weights:
            table = np.array([weights.get(k, 0.3) for k in self.kinds], dtype=np.float32)
            self._kind_cache = (weights, table)
        return self._kind_cache[1]

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
            found = self._postings_cache[key] = np.unique(self.data.chunk_procedure[chunks])
        return found

    def _per_procedure_max(self, values: np.ndarray, starts: np.ndarray | None, procedure: np.ndarray) -> np.ndarray:
        """Max of chunk values per procedure; `starts` (first row of each procedure) allows the
        fast path when every procedure has rows and rows are grouped by procedure."""
        if starts is not None:
            return np.maximum.reduceat(values, starts).astype(np.float64)
        out = np.full(self.n, -np.inf if values.min(initial=0) < 0 else 0.0, dtype=np.float64)
        np.maximum.at(out, procedure, values)
        return out

    def _term_weights(self, plan: QueryPlan) -> tuple[dict[int, float], dict[int, float], float]:
        """Idf weights of the user's terms and of glossary terms (scaled down), plus the
        weight of user terms the catalog never uses (they count against coverage)."""
        own: dict[int, float] = {}
        missing = 0.0
        # English words occur only in our overlay's few English texts, so their idf is
        # inflated; the glossary's Vietnamese terms carry an English query instead.
        scale = self.params.english_own_weight if plan.english else 1.0
        for t in dict.fromkeys(plan.terms):
            if t in self.vocab:
                own[self.vocab[t]] = scale * float(self.idf[self.vocab[t]])
            elif not (plan.english and "_" in t):  # English bigrams are rarely meaningful
                missing += self.max_idf
        exp_terms = query_terms([syllables(t) for t in plan.expansion.terms], self.glossary.stop_vi)
        exp = {
            self.vocab[t]: self.params.expansion_weight * float(self.idf[self.vocab[t]])
            for t in exp_terms
            if t in self.vocab and self.vocab[t] not in own
        }
        return own, exp, missing

    def _bm25(self, weights: dict[int, float]) -> np.ndarray:
        """BM25 per chunk with a weight per query term (bm25s sums unweighted terms)."""
        out = np.zeros(len(self.kinds), dtype=np.float32)
        groups: dict[float, list[int]] = {}
        for i, w in weights.items():
            groups.setdefault(round(w / float(self.idf[i]), 6), []).append(i)
        for scale, ids in groups.items():
            out += scale * self.data.bm25.get_scores_from_ids(ids)
        return out

    def features(self, plan: QueryPlan, qvec: np.ndarray | None) -> Features:
        own, exp, missing = self._term_weights(plan)
        both = {**own, **exp}
        chunk_scores = self._bm25(both) * self._kind_weights()
        lex = self._per_procedure_max(chunk_scores, self.chunk_starts, self.data.chunk_procedure)
        top = lex.max(initial=0.0)
        dense = np.zeros(self.n)
        if qvec is not None and self.faiss.ntotal:
            sims, rows = self.faiss.search(qvec, self.faiss.ntotal)
            by_row = np.empty(self.faiss.ntotal, dtype=np.float32)
            by_row[rows[0]] = sims[0]
            dense = self._per_procedure_max(by_row, self.dense_starts, self.dense_procedure)
            dense[np.isinf(dense)] = 0.0
        return Features(
            dense, lex / top if top > 0 else lex, self._coverage(both, missing, self.name_chunk),
            self._coverage(both, missing, None), self.prior_level, self.prior_curated, self._title_cover(set(both)),
        )  # fmt: skip

    def fuse(self, f: Features, params: RankParams | None = None) -> np.ndarray:
        return fuse(f, params or self.params)

    # ----------------------------------------------------------------- decision

    def search(self, query: str, k: int = 5) -> SearchResult:
        plan = self.plan(bounded_query(query))  # bounded work, whatever was typed
        if not plan.terms and not plan.expansion.terms:  # only filler words ("thế thì sao?"): skip the model
            return SearchResult(query, "no_answer", [])
        f = self.features(plan, self.embed_query(plan.dense_text))
        scores = self.fuse(f)
        order = np.argsort(-scores, kind="stable")[: max(k, 2)]
        signals = top_signals(f, scores, order, plan.english)
        decision, options = self.decision.decide(signals, [float(scores[i]) for i in order])
        hits = [self._hit(int(i), float(scores[i]), plan.expansion.aspects) for i in order[: max(k, 1)]]
        return SearchResult(query, decision, hits, options, signals)

    def _hit(self, i: int, score: float, aspects: list[str]) -> Hit:
        p = self.data.procedures[i]
        section = next((a for a in aspects if (i, a) in self.sections), None)
        heading = f"{p.title}{SEPARATOR}{SECTION_NAMES[section]}" if section else p.title  # type: ignore[index]
        return Hit(p.code, p.title, score, section, heading)


def _group_starts(procedure: np.ndarray, n: int) -> np.ndarray | None:
    """First row of each procedure when rows are grouped by procedure and none is missing."""
    if not len(procedure) or np.any(np.diff(procedure) < 0):
        return None
    starts = np.searchsorted(procedure, np.arange(n))
    present = np.zeros(n, dtype=bool)
    present[procedure] = True
    return starts if present.all() else None


def _split_at(parts: list[list[str]], phrases: set[tuple[str, ...]]) -> list[list[str]]:
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


def fuse(f: Features, p: RankParams) -> np.ndarray:
    """Weighted sum of the per-procedure features: one score per procedure."""
    return (
        p.dense * f.dense + p.cover_name * f.cover_name + p.cover_all * f.cover_all + p.bm25 * f.bm25
        + p.level * f.prior_level + p.curated * f.prior_curated + p.title_cover * f.title_cover
    )  # fmt: skip


def top_signals(f: Features, scores: np.ndarray, order: np.ndarray, english: bool) -> dict[str, float]:
    """What the decision model reads: the best candidate's features and its lead."""
    top = int(order[0])
    second = float(scores[order[1]]) if len(order) > 1 else float(scores[top]) - 1.0
    near = int(np.count_nonzero(scores >= scores[top] - NEAR))
    return {
        "score": float(scores[top]), "margin": float(scores[top]) - second, "dense": float(f.dense[top]),
        "cover_name": float(f.cover_name[top]), "cover_all": float(f.cover_all[top]), "english": float(english),
        "title_share": float(f.title_cover[top]), "crowd": math.log(near),
    }  # fmt: skip


# --------------------------------------------------------------------------- knowledge base


class KnowledgeBase:
    """Loads an index folder; `reload_if_changed` swaps in a rebuilt index without a restart.

    `threads` sets torch's (process-wide) thread count for query embedding (default
    `QUERY_THREADS`, from $KNOWLEDGE_QUERY_THREADS).
    """

    def __init__(
        self, index_dir: Path | str, embedder: SentenceTransformer | None = None, threads: int | None = QUERY_THREADS
    ) -> None:
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        data = load_index(self.index_dir)
        if embedder is None:
            embedder = query_embedder(data.manifest.get("model_name"))
        self._embedder = embedder
        self._engine = Engine(data, embedder, load_glossary())

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def manifest(self) -> dict[str, Any]:
        return self._engine.data.manifest

    def search(self, query: str, k: int = 5) -> SearchResult:
        return self._engine.search(query, k)

    def get(self, code: str) -> Procedure | None:
        engine = self._engine
        i = engine.by_code.get(code.strip())
        return engine.data.procedures[i] if i is not None else None

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
                embedder = query_embedder(data.manifest.get("model_name"))
            self._embedder = embedder
            self._engine = Engine(data, embedder, load_glossary())  # one assignment: readers see old or new
        return True


def query_dtype(setting: str = QUERY_DTYPE) -> str:
    """"float32" or "bfloat16" for `setting` ("auto", "float32", "bfloat16")."""
    if setting in ("float32", "bfloat16"):
        return setting
    if setting != "auto":
        raise ValueError(f"KNOWLEDGE_QUERY_DTYPE must be auto, float32 or bfloat16, not {setting!r}")
    import torch

    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return "bfloat16" if native else "float32"


def query_embedder(model_name: str | None = None) -> SentenceTransformer:
    """The model for query embedding, in `query_dtype()` (the index's passages stay float32)."""
    from knowledge.embedding import bfloat16_layers
    from knowledge.index import get_embedder

    model = get_embedder(model_name)
    return bfloat16_layers(model) if query_dtype() == "bfloat16" else model


__all__ = ["Decision", "DecisionModel", "Hit", "KnowledgeBase", "RankParams", "SearchResult"]
