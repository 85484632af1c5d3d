"""Restore Vietnamese diacritics in unaccented queries ("lam giay khai sinh" → "làm giấy khai sinh").

The dense model cannot read unaccented Vietnamese, so before embedding we pick,
for each folded syllable, the accented form that makes the most likely
sequence under a syllable-bigram model learnt from the catalog and our own
text (Viterbi; Witten-Bell smoothing, so a history seen with few distinct
continuations, like "môi" → "trường", gives little mass to unseen ones).
Syllables already accented in the query are kept as typed; unknown syllables
pass through.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from knowledge.analysis import clauses
from knowledge.language import has_diacritics
from knowledge.text import fold

_MAX_CANDIDATES = 8
_START = "<s>"
_PLAIN_CLAUSE = 4  # a clause this long without a single mark is unaccented text (or not Vietnamese)


class DiacriticRestorer:
    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams  # "a b" → count; "<s> b" for clause starts
        self.total = sum(unigrams.values()) or 1
        self.history: Counter[str] = Counter()  # bigram count of each history
        self.followers: Counter[str] = Counter()  # distinct continuations of each history
        for key, n in bigrams.items():
            head = key.split(" ", 1)[0]
            self.history[head] += n
            self.followers[head] += 1
        by_fold: dict[str, list[str]] = defaultdict(list)
        for syl in sorted(unigrams, key=unigrams.__getitem__, reverse=True):
            if len(by_fold[fold(syl)]) < _MAX_CANDIDATES:
                by_fold[fold(syl)].append(syl)
        self.candidates = dict(by_fold)

    @classmethod
    def train(cls, texts: Iterable[str], min_bigram: int = 1) -> DiacriticRestorer:
        uni: Counter[str] = Counter()
        bi: Counter[str] = Counter()
        for text in texts:
            for clause in clauses(text):
                words = [w for w in clause if w.isalpha()]
                if len(words) >= _PLAIN_CLAUSE and not any(map(has_diacritics, words)):
                    continue  # text typed without accents would teach the wrong forms
                uni.update(words)
                bi.update(f"{a} {b}" for a, b in zip([_START, *words], words))
        bigrams = {k: n for k, n in bi.items() if n >= min_bigram}
        return cls(dict(uni), bigrams)

    def _logp(self, prev: str, word: str) -> float:
        p_uni = (self.unigrams.get(word, 0) + 0.1) / (self.total + 0.1 * len(self.unigrams))
        seen = self.history.get(prev, 0)
        if not seen:
            return math.log(p_uni)
        kinds = self.followers[prev]
        p_bi = self.bigrams.get(f"{prev} {word}", 0) / seen
        return math.log((seen * p_bi + kinds * p_uni) / (seen + kinds))

    def _options(self, token: str) -> list[str]:
        if not token.isalpha() or has_diacritics(token):
            return [token]
        return self.candidates.get(token, [token])

    def restore_clause(self, tokens: list[str]) -> list[str]:
        """Viterbi over the accented options of each token."""
        if not tokens:
            return []
        beams: dict[str, tuple[float, list[str]]] = {_START: (0.0, [])}
        for token in tokens:
            nxt: dict[str, tuple[float, list[str]]] = {}
            for option in self._options(token):
                nxt[option] = max(
                    ((score + self._logp(prev, option), path) for prev, (score, path) in beams.items()),
                    key=lambda sp: sp[0],
                )
                nxt[option] = (nxt[option][0], [*nxt[option][1], option])
            beams = nxt
        return max(beams.values(), key=lambda sp: sp[0])[1]

    def restore_clauses(self, text: str) -> list[list[str]]:
        return [self.restore_clause(c) for c in clauses(text)]

    def restore(self, text: str) -> str:
        return ", ".join(" ".join(c) for c in self.restore_clauses(text))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"unigrams": self.unigrams, "bigrams": self.bigrams}, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> DiacriticRestorer:
        data = json.loads(path.read_text())
        return cls(data["unigrams"], data["bigrams"])
