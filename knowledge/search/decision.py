"""The decision model: answer outright, ask back which one (clarify), or say nothing fits.

It reads the top candidate's `SIGNALS`: its evidence, the query language, and how vague the
query is: the share of the top title it says ("chứng thực" says little of "Chứng thực di
chúc") and how many procedures score nearly as well (log of the count within NEAR of the top).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from knowledge.search.fusion import Features

Decision = Literal["answer", "clarify", "no_answer"]
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
            "signals": list(SIGNALS),
            "in_scope": [round(x, 6) for x in self.in_scope],
            "correct": [round(x, 6) for x in self.correct],
            "answer_at": round(self.answer_at, 4),
            "none_below": round(self.none_below, 4),
            "window": self.window,
        }

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


def top_signals(f: Features, scores: np.ndarray, order: np.ndarray, english: bool) -> dict[str, float]:
    """What the decision model reads: the best candidate's features and its lead over the next ones
    in `order` (the ranking, or its rivals only: see knowledge/search/variants.py)."""
    top = int(order[0])
    second = float(scores[order[1]]) if len(order) > 1 else float(scores[top]) - 1.0
    near = max(1, int(np.count_nonzero(scores[order] >= scores[top] - NEAR)))
    return {
        "score": float(scores[top]),
        "margin": float(scores[top]) - second,
        "dense": float(f.dense[top]),
        "cover_name": float(f.cover_name[top]),
        "cover_all": float(f.cover_all[top]),
        "english": float(english),
        "title_share": float(f.title_cover[top]),
        "crowd": math.log(near),
    }
