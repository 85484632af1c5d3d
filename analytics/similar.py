"""Questions asked in many ways, counted as one: the dashboard's unanswered questions grouped by
the meaning the search gives them (knowledge.search.KnowledgeBase.question_vectors).

SAME_QUESTION was calibrated with bench/calibrate_grouping.py: on the dev questions it is the
lowest cosine whose pairs are at least 90 % the same question or procedure (0.91); on the held-out
fresh set those pairs are 100 % right. It is deliberately strict: two different questions in one
group would hide one. The same words typed without accents always join their accented twin, even
where restoring the accents guesses wrong (words the catalog never uses).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from knowledge.text import fold

SAME_QUESTION = 0.95
WORD = re.compile(r"\w+")
Embed = Callable[[List[str]], np.ndarray]  # questions -> unit vectors, one row each


class RememberedVectors:
    """The vectors of questions already seen, by text: the dashboard groups nearly the same
    questions on every load, and embedding fifty of them costs seconds on a busy machine."""

    def __init__(self, size: int = 5_000) -> None:
        self.size = size
        self._vectors: OrderedDict[Tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, version: str, embed: Embed) -> Embed:
        """`embed` remembering its vectors under `version` (the index build: a new one, new vectors)."""

        def remembered(texts: List[str]) -> np.ndarray:
            with self._lock:
                known = {t: v for t in texts if (v := self._vectors.get((version, t))) is not None}
            missing = [t for t in dict.fromkeys(texts) if t not in known]
            if missing:
                known.update(zip(missing, embed(missing)))
                with self._lock:
                    for text in missing:
                        self._vectors[(version, text)] = known[text]
                    while len(self._vectors) > self.size:
                        self._vectors.popitem(last=False)
            return np.stack([known[t] for t in texts])

        return remembered


@dataclass
class Group:
    text: str  # the most asked wording
    count: int
    questions: List[Tuple[str, int]] = field(default_factory=list)  # every wording with its count

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "count": self.count,
            "questions": [{"text": t, "count": n} for t, n in self.questions],
        }


def group_similar(
    asked: Sequence[Tuple[str, int]], embed: Optional[Embed], threshold: float = SAME_QUESTION
) -> List[Group]:
    """`asked`: (question, count); the groups, most asked first. Without `embed` (the knowledge
    base is still loading, or failed), each question is its own group: nothing is hidden."""
    ordered = sorted(asked, key=lambda item: (-item[1], item[0]))
    if embed is None or len(ordered) < 2:
        return [Group(text, count, [(text, count)]) for text, count in ordered]
    vectors = embed([text for text, _ in ordered])
    groups: List[Group] = []
    leaders: List[np.ndarray] = []
    by_letters: Dict[str, int] = {}  # the same words typed with or without accents: one question
    for (text, count), vector in zip(ordered, vectors):
        letters = " ".join(WORD.findall(fold(text)))
        best = by_letters.get(letters, int(np.argmax(np.stack(leaders) @ vector)) if leaders else -1)
        if best >= 0 and (letters in by_letters or float(leaders[best] @ vector) >= threshold):
            groups[best].count += count
            groups[best].questions.append((text, count))
        else:
            by_letters[letters] = len(groups)
            groups.append(Group(text, count, [(text, count)]))
            leaders.append(vector)
    return sorted(groups, key=lambda g: (-g.count, g.text))
