"""The search pipeline over one loaded index: plan → features → fuse → decide → hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.analysis import syllables
from knowledge.chunks import SECTION_NAMES, SEPARATOR
from knowledge.glossary import Glossary
from knowledge.index import IndexData
from knowledge.search.decision import Decision, DecisionModel, top_signals
from knowledge.search.dense import DenseScorer
from knowledge.search.fusion import Features, Priors, RankParams, fuse
from knowledge.search.lexical import LexicalScorer
from knowledge.search.plan import QueryPlan, QueryPlanner
from knowledge.search.variants import base_first, rivals, title_words
from knowledge.text import bounded_query, fold

BASE_WINDOW, BASE_MARGIN = 4, 0.1  # how far behind (places, fused score) a base may be to go first
RIVAL_POOL = 256  # candidates checked for being unasked variants of the top one (vague queries crowd more)

if TYPE_CHECKING:
    from knowledge.embedding.load import QueryEncoder


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
    choice_count: int = 0  # how many of `hits` to offer when the decision is "clarify"
    signals: dict[str, float] = field(default_factory=dict)  # what the decision was made from

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "decision": self.decision,
            "hits": [{"code": h.code, "title": h.title, "score": round(h.score, 4)} for h in self.hits],
        }


class Ranker:
    """Ranks the catalog of one loaded, read-only index (a `KnowledgeBase` swaps rankers on reload)."""

    def __init__(self, data: IndexData, embedder: QueryEncoder, glossary: Glossary) -> None:
        self.data = data
        self.params = RankParams()
        self.decision = DecisionModel.from_dict(data.manifest.get("decision"))
        self.by_code = {p.code: i for i, p in enumerate(data.procedures)}
        self.planner = QueryPlanner(glossary, data.restorer)
        self.lexical = LexicalScorer(data, glossary.stop_vi)
        self.dense = DenseScorer(data, embedder)
        self.priors = Priors.of(data.procedures, set(data.manifest.get("curated", [])))
        self.sections = {(int(p), k) for p, k in zip(data.chunk_procedure, data.chunk_kind)}
        stop = frozenset(fold(w) for w in glossary.stop_vi)
        self.title_words = [title_words(p.title, stop) for p in data.procedures]

    def search(self, query: str, k: int = 5, language: str | None = None) -> SearchResult:
        plan = self.plan(bounded_query(query), language)  # bounded work, whatever was typed
        if plan.empty:  # only filler words ("thế thì sao?"): skip the model
            return SearchResult(query, "no_answer", [])
        features = self.features(plan, self.embed_query(plan.dense_text))
        scores = self.fuse(features)
        ranked = self._base_first(np.argsort(-scores, kind="stable"), scores, plan)
        order = ranked[: max(k, 2)]
        signals = top_signals(features, scores, self._rivals(ranked[:RIVAL_POOL], plan), plan.english)
        decision, choice_count = self.decision.decide(signals, [float(scores[i]) for i in order])
        hits = [self._hit(int(i), float(scores[i]), plan.expansion.aspects) for i in order[: max(k, 1)]]
        return SearchResult(query, decision, hits, choice_count, signals)

    # ----------------------------------------------------------------- the steps

    def plan(self, query: str, language: str | None = None) -> QueryPlan:
        return self.planner.plan(query, language)

    def embed_query(self, text: str) -> np.ndarray:
        return self.dense.embed_query(text)

    @property
    def embedder(self) -> QueryEncoder:
        return self.dense.embedder

    def features(self, plan: QueryPlan, qvec: np.ndarray | None) -> Features:
        lexical = self.lexical.scores(plan, self.params)
        return Features(
            dense=self.dense.scores(qvec),
            bm25=lexical.bm25,
            cover_name=lexical.cover_name,
            cover_all=lexical.cover_all,
            prior_level=self.priors.level,
            prior_curated=self.priors.curated,
            title_cover=lexical.title_cover,
        )

    def fuse(self, f: Features, params: RankParams | None = None) -> np.ndarray:
        return fuse(f, params or self.params)

    def _asked(self, plan: QueryPlan) -> set[str]:
        return {fold(w) for text in (*plan.terms, *plan.expansion.terms) for w in syllables(text.replace("_", " "))}

    def _base_first(self, ranked: np.ndarray, scores: np.ndarray, plan: QueryPlan) -> np.ndarray:
        """A top variant the question did not ask for gives way to its base, if that scores nearly as well."""
        near = int(np.sum(scores[ranked[1 : BASE_WINDOW + 1]] >= scores[ranked[0]] - BASE_MARGIN))
        if near == 0:
            return ranked
        head = base_first([int(i) for i in ranked[: near + 1]], self.title_words, self._asked(plan), near)
        return np.concatenate([np.asarray(head, dtype=ranked.dtype), ranked[near + 1 :]])

    def _rivals(self, ranked: np.ndarray, plan: QueryPlan) -> np.ndarray:
        """The ranking without the variants of the top procedure the question did not ask for."""
        return np.asarray(rivals([int(i) for i in ranked], self.title_words, self._asked(plan)))

    def _hit(self, i: int, score: float, aspects: list[str]) -> Hit:
        p = self.data.procedures[i]
        section = next((a for a in aspects if (i, a) in self.sections), None)
        name = SECTION_NAMES.get(section) if section else None  # type: ignore[call-overload]  # a chunk kind read from the index
        heading = f"{p.title}{SEPARATOR}{name}" if name else p.title
        return Hit(p.code, p.title, score, section, heading)
