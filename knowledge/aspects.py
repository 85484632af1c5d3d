"""Which aspect of a procedure a citizen asks about ("lệ phí bao nhiêu?" -> fees).

One vocabulary (`aspects.yaml`) serves the answer route (what to answer) and the search (which
words only name a section, so they do not identify a procedure, and which section they point to).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast, get_args

import yaml

from knowledge.text import fold, phrase_pattern

Aspect = Literal["overview", "documents", "fees", "processing_time", "where", "online", "steps", "conditions", "result"]
VOCABULARY_PATH = Path(__file__).with_name("aspects.yaml")


def as_aspect(value: str | None) -> Aspect | None:
    """`value` if it names an aspect (a slot may hold anything), else None."""
    return cast(Aspect, value) if value in get_args(Aspect) else None


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[Aspect, str], dict[Aspect, tuple[str, ...]]]:
    data = yaml.safe_load(VOCABULARY_PATH.read_text(encoding="utf-8"))
    sections: dict[Aspect, str] = {}
    phrases: dict[Aspect, tuple[str, ...]] = {}
    for name, section in data["sections"].items():
        aspect = as_aspect(name)
        if aspect is None:
            raise ValueError(f"{VOCABULARY_PATH.name}: unknown aspect {name!r}")
        sections[aspect] = str(section)
    for name, items in data["phrases"].items():
        aspect = as_aspect(name)
        if aspect is None or aspect not in sections:
            raise ValueError(f"{VOCABULARY_PATH.name}: phrases for {name!r}, which has no section")
        phrases[aspect] = tuple(fold(str(p)) for p in items)
    return sections, phrases


def section_of(aspect: Aspect) -> str | None:
    """The index section (`knowledge.chunks.ChunkKind`) that answers `aspect`."""
    return _vocabulary()[0].get(aspect)


def aspect_phrases() -> dict[tuple[str, ...], Aspect]:
    """Folded phrase (as syllables) -> its aspect; the first aspect listed keeps a shared phrase."""
    out: dict[tuple[str, ...], Aspect] = {}
    for aspect, items in _vocabulary()[1].items():
        for phrase in items:
            out.setdefault(tuple(phrase.split()), aspect)
    return out


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[Aspect, re.Pattern[str]]]:
    return [(aspect, phrase_pattern(items)) for aspect, items in _vocabulary()[1].items()]


def detect_aspect(text: str) -> Aspect | None:
    """The aspect asked about, or None for a general question about a procedure. The longest
    phrase wins ("mẫu tờ khai ở đâu" asks for the form, not the office); on a tie, the
    aspect listed first in aspects.yaml."""
    folded = fold(text)
    best: tuple[int, Aspect] | None = None
    for aspect, pattern in _patterns():
        words = max((len(m.group(0).split()) for m in pattern.finditer(folded)), default=0)
        if words and (best is None or words > best[0]):
            best = (words, aspect)
    return best[1] if best else None


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
