"""Variants of a procedure the question did not ask for.

The catalog has a base procedure and its variants: "đăng ký khai sinh" and "… có yếu tố nước ngoài",
"… lưu động", "đăng ký lại …". A plain question ("làm giấy khai sinh cho con") ranks the base
first, but its variants score nearly as well, so the lead looked too small to answer and the
citizen was asked back. A variant whose extra title words the question does not say is no
rival to its base: the decision reads the lead over real rivals only. The variants stay among the
hits (the answer lists them as alternatives).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from knowledge.analysis import syllables
from knowledge.text import fold

_TITLE_FILLER = frozenset({"thu", "tuc"})  # "Thủ tục …" opens most titles


def title_words(title: str, stopwords: Collection[str]) -> frozenset[str]:
    """Folded content syllables of a title, without "thủ tục" and function words."""
    return frozenset(w for w in (fold(t) for t in syllables(title)) if w not in _TITLE_FILLER and w not in stopwords)


def is_unasked_variant(base: frozenset[str], other: frozenset[str], asked: Collection[str]) -> bool:
    """`other` is `base` plus words, and the question says at most one of them, and fewer than half
    ("khai sinh có yếu tố nước ngoài" is asked for by "khai sinh yếu tố nước ngoài", not by
    "khai sinh cho con")."""
    if not base or not base < other:
        return False
    extra = other - base
    said = sum(w in asked for w in extra)
    return said < 2 and said < len(extra) / 2


def rivals(order: Sequence[int], words: Sequence[frozenset[str]], asked: Collection[str]) -> list[int]:
    """`order` without the unasked variants of its first procedure."""
    if not order:
        return []
    top = words[order[0]]
    return [order[0], *(i for i in order[1:] if not is_unasked_variant(top, words[i], asked))]
