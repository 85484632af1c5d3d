"""Fusion: the per-procedure features of one query, weighted into one score per procedure."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from knowledge.model import Procedure

LEVEL_VALUE = {"commune": 1.0, "province": 0.5, "ministry": 0.0}


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
            "overview": 1.0,
            "alias": 1.0,
            "question": 0.9,
            "summary": 0.5,
            "english": 1.0,
            "documents": 0.45,
            "fees": 0.2,
            "steps": 0.35,
            "conditions": 0.35,
        }
    )


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


@dataclass(frozen=True)
class Priors:
    """Query-independent features: the lowest level a procedure is handled at, and whether we curate it."""

    level: np.ndarray
    curated: np.ndarray

    @classmethod
    def of(cls, procedures: list[Procedure], curated: set[str]) -> Priors:
        return cls(
            level=np.array(
                [max((LEVEL_VALUE[lv] for lv in p.levels), default=0.0) for p in procedures], dtype=np.float32
            ),
            curated=np.array([p.code in curated for p in procedures], dtype=np.float32),
        )


def fuse(f: Features, p: RankParams) -> np.ndarray:
    """Weighted sum of the per-procedure features: one score per procedure."""
    return (
        p.dense * f.dense
        + p.cover_name * f.cover_name
        + p.cover_all * f.cover_all
        + p.bm25 * f.bm25
        + p.level * f.prior_level
        + p.curated * f.prior_curated
        + p.title_cover * f.title_cover
    )
