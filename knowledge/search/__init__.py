"""Hybrid procedure search: dense (e5 + FAISS) and lexical (BM25 over folded syllables and
bigrams), fused per procedure with mild priors, plus a decision (answer / clarify / no_answer).

One concern per module, in the order a query meets them (`Ranker.search` reads as this pipeline):

    plan.py            query → QueryPlan: normalise, guess English, expand with the glossary,
                       restore missing diacritics, the text to embed and the lexical terms
    lexical.py         BM25 per chunk and idf-weighted coverage, per procedure
    dense.py           one query embedding, best cosine per procedure (FAISS)
    rows.py            chunk rows → procedures (shared by the two scorers)
    fusion.py          RankParams, Features, fuse: one score per procedure
    decision.py        DecisionModel over the top candidate's SIGNALS: answer / clarify / no_answer
    ranker.py          Ranker: plan → features → fuse → decide → hits (SearchResult, Hit)
    knowledge_base.py  KnowledgeBase: loads an index folder, swaps in a rebuilt one

The query model itself is loaded by `knowledge.embedding.load` (run-time code).
"""

from knowledge.embedding.load import QueryEncoder, query_encoder
from knowledge.search.decision import SIGNALS, Decision, DecisionModel
from knowledge.search.fusion import Features, RankParams, fuse
from knowledge.search.knowledge_base import KnowledgeBase
from knowledge.search.ranker import Hit, Ranker, SearchResult

__all__ = [
    "SIGNALS",
    "Decision",
    "DecisionModel",
    "Features",
    "Hit",
    "KnowledgeBase",
    "QueryEncoder",
    "RankParams",
    "Ranker",
    "SearchResult",
    "fuse",
    "query_encoder",
]
