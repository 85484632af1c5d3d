"""Load `glossary.yaml` and expand queries with official Vietnamese wording."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.analysis import normalize, syllables
from knowledge.aspects import aspect_phrases, section_of
from knowledge.text import fold

GLOSSARY_PATH = Path(__file__).with_name("glossary.yaml")

Phrases = dict[tuple[str, ...], list[str]]
Spellings = dict[tuple[str, ...], frozenset[tuple[str, ...]]]  # folded key -> the key as written


@dataclass(frozen=True)
class Expansion:
    terms: list[str] = field(default_factory=list)  # official wording to add to the query
    aspects: list[str] = field(default_factory=list)  # chunk kinds the query asks about
    aspect_phrases: list[tuple[str, ...]] = field(default_factory=list)  # folded keys that named them
    foreigner: bool = False  # the question is about a foreigner (see `ForeignerSignal`)


def _key(text: str) -> tuple[str, ...]:
    return tuple(fold(t) for t in syllables(text))


def _phrases(raw: dict[str, str | list[str]] | None) -> Phrases:
    out: Phrases = {}
    for key, value in (raw or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        out.setdefault(_key(str(key)), []).extend(values)
    return out


def _keys(raw: list[str] | None) -> frozenset[tuple[str, ...]]:
    return frozenset(_key(str(phrase)) for phrase in raw or [])


def _contains(tokens: list[str], keys: frozenset[tuple[str, ...]]) -> bool:
    """Whether the folded tokens contain one of the keys (whole words)."""
    lengths = {len(k) for k in keys}
    return any(tuple(tokens[i : i + n]) in keys for n in lengths for i in range(len(tokens) - n + 1))


def _spellings(raw: dict[str, Any] | None) -> Spellings:
    """Folded key -> the keys as written (lower case), to tell "cưới" (wed) from "cười" (laugh)."""
    out: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for key in raw or {}:
        out.setdefault(_key(str(key)), set()).add(tuple(syllables(str(key))))
    return {key: frozenset(written) for key, written in out.items()}


def _spelled_alike(typed: list[str], written: frozenset[tuple[str, ...]]) -> bool:
    """A typed word with diacritics must carry the key's own; a word typed (or a key written)
    without any could be either ("cuoi" may be "cưới")."""
    return any(
        all(t == w or fold(t) == t or fold(w) == w for t, w in zip(typed, spelled, strict=True)) for spelled in written
    )


def _match(
    tokens: list[str], phrases: Phrases, typed: list[str] | None = None, spellings: Spellings | None = None
) -> list[tuple[str, ...]]:
    """Matches of phrase keys in folded tokens, longest first. Matches may overlap ("thi bằng"
    and "bằng lái xe") but a key lying wholly inside a longer match is skipped. With `typed`
    (the same tokens as typed) and `spellings`, a key matches only words spelled alike."""
    longest = max((len(k) for k in phrases), default=0)
    spans: list[tuple[int, int]] = []
    found: list[tuple[str, ...]] = []
    for n in range(longest, 0, -1):
        for i in range(len(tokens) - n + 1):
            key = tuple(tokens[i : i + n])
            if key not in phrases or any(a <= i and i + n <= b for a, b in spans):
                continue
            if typed is None or spellings is None or _spelled_alike(typed[i : i + n], spellings[key]):
                spans.append((i, i + n))
                found.append(key)
    return found


def _section_phrases() -> Phrases:
    """Aspect phrases (knowledge/aspects.yaml) -> the index section each points to."""
    out: Phrases = {}
    for phrase, aspect in aspect_phrases().items():
        section = section_of(aspect)
        if section:
            out[phrase] = [section]
    return out


def _values(raw: dict[str, str | list[str]] | None) -> list[str]:
    return [v for value in (raw or {}).values() for v in ([value] if isinstance(value, str) else value)]


def _vietnamese(data: dict[str, Any]) -> list[str]:
    colloquial = data.get("colloquial") or {}
    abbreviations = [str(v) for v in (data.get("abbreviations") or {}).values()]
    return [
        *map(str, colloquial),
        *_values(colloquial),
        *_values(data.get("english")),
        *abbreviations,
        *data.get("phrases", []),
        *_foreigner_vietnamese(data.get("foreigner") or {}),
    ]


def _foreigner_vietnamese(raw: dict[str, Any]) -> list[str]:
    """The Vietnamese texts of the `foreigner:` section: wording, cues, variants' words."""
    variants = raw.get("variants") or []
    return [
        *map(str, raw.get("wording") or []),
        *map(str, (raw.get("cues") or {}).get("vi") or []),
        *(str(w) for v in variants for w in [*(v.get("wording") or []), *((v.get("about") or {}).get("vi") or [])]),
    ]


def _by_language(raw: dict[str, list[str]] | None) -> list[str]:
    """Phrases listed per language (`en:`, `vi:`), all together: keys are matched folded."""
    return [str(w) for words in (raw or {}).values() for w in words or []]


@dataclass(frozen=True)
class ForeignVariant:
    """The catalog's wording for a foreigner's variant of one kind of procedure: a civil-status
    event "có yếu tố nước ngoài", a driving licence "của người nước ngoài"."""

    about: frozenset[tuple[str, ...]]  # words naming the kind, any language
    wording: tuple[str, ...]
    unless: frozenset[tuple[str, ...]] = frozenset()  # words saying this variant is not meant

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ForeignVariant:
        return cls(
            _keys(_by_language(raw.get("about"))),
            tuple(map(str, raw.get("wording") or [])),
            _keys(_by_language(raw.get("unless"))),
        )

    def applies(self, tokens: list[str]) -> bool:
        return _contains(tokens, self.about) and not _contains(tokens, self.unless)


@dataclass(frozen=True)
class ForeignerSignal:
    """Whether a question is about a foreigner, and the official wording that then makes the
    foreigners' procedure win over the citizens' one ("gia hạn tạm trú cho người nước ngoài",
    not "gia hạn tạm trú"). Cues, topics and wording live in glossary.yaml (`foreigner:`)."""

    wording: tuple[str, ...] = ()  # added whenever the question is about a foreigner
    variants: tuple[ForeignVariant, ...] = ()  # added too for their kind of procedure
    cues: frozenset[tuple[str, ...]] = frozenset()  # say that a foreigner is concerned, any language
    citizens: frozenset[tuple[str, ...]] = frozenset()  # say that a Vietnamese citizen is
    topics: frozenset[tuple[str, ...]] = frozenset()  # English words where a foreigners' variant exists

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ForeignerSignal:
        raw = raw or {}
        origins: dict[str, list[str]] = raw.get("origins") or {}
        countries: dict[str, list[str]] = raw.get("countries") or {}
        from_country = [f"{o} {c}" for lang, heads in origins.items() for o in heads for c in countries.get(lang) or []]
        return cls(
            wording=tuple(map(str, raw.get("wording") or [])),
            variants=tuple(ForeignVariant.from_dict(v) for v in raw.get("variants") or []),
            cues=_keys(_by_language(raw.get("cues")) + from_country),
            citizens=_keys(_by_language(raw.get("citizens"))),
            topics=_keys(raw.get("topics")),
        )

    def about_foreigner(self, tokens: list[str], english: bool) -> bool:
        """A cue says so; or the question is in English, on a topic where a foreigners' variant
        exists, and does not say it is about a Vietnamese citizen. (A cue outweighs a citizen:
        "a foreigner marrying a Vietnamese citizen" is about a foreigner.)"""
        if _contains(tokens, self.cues):
            return True
        return english and _contains(tokens, self.topics) and not _contains(tokens, self.citizens)

    def terms(self, tokens: list[str]) -> list[str]:
        """The foreigners' wording for a foreigner's question (folded `tokens`)."""
        return [*self.wording, *(w for v in self.variants if v.applies(tokens) for w in v.wording)]


def _wrapper_phrases(sides: dict[str, list[str]] | None, side: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(syllables(normalize(str(w)))) for w in (sides or {}).get(side) or [])


def _rewriter(raw: dict[str, str] | None) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    table = {str(k).lower(): str(v) for k, v in (raw or {}).items()}
    if not table:
        return None, table
    keys = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, keys)) + r")(?!\w)"), table


@dataclass(frozen=True)
class Glossary:
    abbreviations: tuple[re.Pattern[str] | None, dict[str, str]]
    english: Phrases
    colloquial: Phrases
    colloquial_spellings: Spellings
    aspects: Phrases  # from knowledge/aspects.yaml: phrase -> index section
    vietnamese: list[str]  # every Vietnamese text here, to teach the diacritic restorer
    stop_vi: frozenset[str]
    stop_en: frozenset[str]
    foreigner: ForeignerSignal = field(default_factory=ForeignerSignal)
    wrappers: dict[str, tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]] = field(
        default_factory=dict
    )  # language -> (leading, trailing) chat phrases, lower case (see glossary.yaml)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Glossary:
        stop = data.get("stopwords") or {}
        return cls(
            abbreviations=_rewriter(data.get("abbreviations")),
            english=_phrases(data.get("english")),
            colloquial=_phrases(data.get("colloquial")),
            colloquial_spellings=_spellings(data.get("colloquial")),
            aspects=_section_phrases(),
            vietnamese=_vietnamese(data),
            stop_vi=frozenset(normalize(str(w)) for w in stop.get("vi") or []),
            stop_en=frozenset(normalize(str(w)) for w in stop.get("en") or []),
            foreigner=ForeignerSignal.from_dict(data.get("foreigner")),
            wrappers={
                language: (_wrapper_phrases(sides, "leading"), _wrapper_phrases(sides, "trailing"))
                for language, sides in (data.get("wrappers") or {}).items()
            },
        )

    def unwrap(self, parts: list[list[str]], english: bool) -> list[list[str]]:
        """Clauses without the chat wrapper at the start and the end; unchanged if nothing
        would be left."""
        leading, trailing = self.wrappers.get("en" if english else "vi", (frozenset(), frozenset()))
        tokens = [t for clause in parts for t in clause]
        lowered = [t.lower() for t in tokens]
        start, end = 0, len(tokens)
        while cut := _affix(lowered[start:end], leading, at_start=True):
            start += cut
        while cut := _affix(lowered[start:end], trailing, at_start=False):
            end -= cut
        if start >= end or (start, end) == (0, len(tokens)):
            return parts
        out, seen = [], 0
        for clause in parts:
            kept = [t for i, t in enumerate(clause, seen) if start <= i < end]
            seen += len(clause)
            if kept:
                out.append(kept)
        return out

    def rewrite(self, text: str) -> str:
        """Spell out chat shorthand and abbreviations ("dk" → "đăng ký"); `text` is lower case."""
        pattern, table = self.abbreviations
        return pattern.sub(lambda m: table[m.group(1)], text) if pattern else text

    def expand(self, query: str, english: bool) -> Expansion:
        """Official terms for colloquial (always) and English (if `english`) phrases, and the
        foreigners' wording when the question is about a foreigner."""
        typed = syllables(query)
        tokens = [fold(t) for t in typed]
        terms = [t for k in _match(tokens, self.english) for t in self.english[k]] if english else []
        colloquial = _match(tokens, self.colloquial, typed, self.colloquial_spellings)
        terms += [t for k in colloquial for t in self.colloquial[k]]
        foreigner = self.foreigner.about_foreigner(tokens, english)
        if foreigner:
            terms += self.foreigner.terms(tokens)
        aspect_keys = _match(tokens, self.aspects)
        aspects = list(dict.fromkeys(a for k in aspect_keys for a in self.aspects[k]))
        return Expansion(list(dict.fromkeys(terms)), aspects, aspect_keys, foreigner)

    def abbreviation_terms(self, text: str, min_length: int = 3) -> list[str]:
        """Spelt-out forms of the longer abbreviations in `text` (document side: "TNHH" also
        indexes "trách nhiệm hữu hạn"); short ones like "k" are too ambiguous in legal text."""
        pattern, table = self.abbreviations
        if not pattern:
            return []
        found = {m.group(1) for m in pattern.finditer(text.lower()) if len(m.group(1)) >= min_length}
        return [table[a] for a in sorted(found)]


def _affix(tokens: list[str], phrases: frozenset[tuple[str, ...]], at_start: bool) -> int:
    """Length of the longest phrase that `tokens` starts (or ends) with, 0 if none; never all."""
    for n in range(min(4, len(tokens) - 1), 0, -1):
        if tuple(tokens[:n] if at_start else tokens[-n:]) in phrases:
            return n
    return 0


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    return Glossary.from_dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
