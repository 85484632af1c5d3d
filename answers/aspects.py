"""Which aspect of a procedure a citizen asks about ("lệ phí bao nhiêu?" -> fees)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from knowledge.text import fold

Aspect = Literal["overview", "documents", "fees", "processing_time", "where", "online", "steps", "conditions", "result"]
ASPECTS: tuple[str, ...] = (
    "overview",
    "documents",
    "fees",
    "processing_time",
    "where",
    "online",
    "steps",
    "conditions",
    "result",
)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    phrases: dict[str, list[str]] = yaml.safe_load(Path(__file__).with_name("aspects.yml").read_text(encoding="utf-8"))
    return [
        (aspect, re.compile(r"\b(?:" + "|".join(re.escape(p) for p in items) + r")\b"))
        for aspect, items in phrases.items()
    ]


def detect_aspect(text: str) -> Aspect | None:
    """The aspect asked about, or None for a general question about a procedure. The longest
    phrase wins ("mẫu tờ khai ở đâu" asks for the form, not the office); on a tie, the
    aspect listed first in aspects.yml."""
    folded = fold(text)
    best: tuple[int, str] | None = None
    for aspect, pattern in _patterns():
        words = max((len(m.group(0).split()) for m in pattern.finditer(folded)), default=0)
        if words and (best is None or words > best[0]):
            best = (words, aspect)
    return best[1] if best else None  # type: ignore[return-value]


def _fold_each_char(text: str) -> str:
    """`fold` character by character, so positions in the result match positions in `text`
    (one character each: a space or a lone mark, which `fold` drops, stays as it is)."""
    return "".join((fold(ch) or ch)[:1] for ch in text)


def strip_aspect_words(text: str) -> str:
    """The question without its aspect phrases (diacritics kept), to see whether it still
    names a procedure: "lệ phí làm hộ chiếu bao nhiêu" -> "làm hộ chiếu"."""
    text = unicodedata.normalize("NFC", text)
    folded = _fold_each_char(text)
    keep = [True] * len(text)
    for _, pattern in _patterns():
        for match in pattern.finditer(folded):
            keep[match.start() : match.end()] = [False] * (match.end() - match.start())
    return " ".join("".join(ch if k else " " for ch, k in zip(text, keep)).split())
