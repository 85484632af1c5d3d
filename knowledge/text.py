"""Accent folding shared by every matcher: "Phường Thọ Xương" -> "phuong tho xuong".

Residents often type without diacritics, so lookups compare folded forms.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """NFD, drop combining marks, đ→d, lower case, single spaces."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().lower()


# What one message may cost the models: Rasa's sentence featurizer and the action server's
# query embedding both see at most this much. Citizens' questions are a few dozen words; a
# longer text is cut, so even a 1,000-character wall of one letter or emoji costs milliseconds.
MAX_QUERY_WORDS = 48
MAX_QUERY_WORD_CHARS = 24
MAX_QUERY_CHARS = 320
MAX_QUERY_TOKENS = 32  # 99 % of our NLU examples have at most 23 model tokens; a symbol can be one per character


def bounded_query(text: str) -> str:
    """The first MAX_QUERY_WORDS words, each cut to MAX_QUERY_WORD_CHARS, at most MAX_QUERY_CHARS."""
    words = [word[:MAX_QUERY_WORD_CHARS] for word in text.split()[:MAX_QUERY_WORDS]]
    return " ".join(words)[:MAX_QUERY_CHARS]


def phrase_pattern(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for `phrases`, matched on folded text on word boundaries (longest first)."""
    folded = sorted({fold(p) for p in phrases if fold(p)}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in folded) + r")\b" if folded else r"(?!)")
