"""Variants of a procedure the question did not ask for.

The catalog has a base procedure and its variants: "đăng ký khai sinh" and "… có yếu tố nước ngoài",
"… lưu động", "đăng ký lại …". A plain question ("làm giấy khai sinh cho con") ranks the base
first, but its variants score nearly as well, so the lead looked too small to answer and the
citizen was asked back. A variant whose extra title words the question does not say is no
rival to its base: the decision reads the lead over real rivals only. The variants stay among the
hits (the answer lists them as alternatives). When a variant ranks first and its base is close
behind, the base goes first: the question did not say the variant's words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from knowledge.analysis import syllables
from knowledge.text import fold

# "Thủ tục …" opens most titles; "mới" marks the base itself ("Cấp giấy phép xây dựng mới …").
_TITLE_FILLER = frozenset({"thu", "tuc", "moi"})


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


def base_first(order: Sequence[int], words: Sequence[frozenset[str]], asked: Collection[str], window: int) -> list[int]:
    """`order` with the base of its first procedure moved to the front, when the first is a variant
    the question did not ask for ("xin giấy phép xây nhà": the new permit, not its adjustment) and
    the base is among the next `window`; the caller keeps `window` to near scores."""
    top = words[order[0]] if order else frozenset()
    for position in range(1, min(window + 1, len(order))):
        if is_unasked_variant(words[order[position]], top, asked):
            return [order[position], *order[:position], *order[position + 1 :]]
    return list(order)


def rivals(order: Sequence[int], words: Sequence[frozenset[str]], asked: Collection[str]) -> list[int]:
    """`order` without the unasked variants of its first procedure."""
    if not order:
        return []
    top = words[order[0]]
    return [order[0], *(i for i in order[1:] if not is_unasked_variant(top, words[i], asked))]
