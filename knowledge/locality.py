"""Bắc Ninh communes/wards after the 1 July 2025 merger, and finding them in citizen text.

Residents still name the unit they lived in before the merger ("xã Lệ Viễn cũ",
"phuong Tho Xuong"), so `find_ward` maps both former and current names to the
current ward, accent-insensitively and with or without the "xã/phường/thị trấn" prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.language import has_diacritics
from knowledge.text import fold

DEFAULT_FILE = Path(__file__).resolve().parent / "localities" / "bac_ninh.yaml"

# Folded prefix tokens -> unit kind. "p" and "tt" are common shorthand ("p. Thọ Xương").
_PREFIXES: dict[tuple[str, ...], str] = {
    ("thi", "tran"): "thị trấn",
    ("tt",): "thị trấn",
    ("xa",): "xã",
    ("phuong",): "phường",
    ("p",): "phường",
}
# A name right after these is an old district/province or a street, not a commune.
_BLOCKERS: tuple[tuple[str, ...], ...] = (
    ("thi", "xa"),
    ("thanh", "pho"),
    ("tp",),
    ("huyen",),
    ("tinh",),
    ("quan",),
    ("duong",),
    ("pho",),
    ("ngo",),
    ("thon",),
    ("khu",),
)
# Without a prefix, an unaccented name counts only after a place cue ("o Kinh Bac") or alone:
# many names are also words ("Biển Động" / "biến động", "Tiên Nha" / "tiền nhà").
_CUES = frozenset({"o", "tai", "thuoc", "ve", "den"})
_UNIT = re.compile(r"^(Thị trấn|Xã|Phường)\s+(.+?)(?:\s*\((.+)\))?$")
_WORD = re.compile(r"\w+")
_MAX_SYLLABLES = 5
_Fit = tuple[bool, bool, bool, bool]  # how well a ward entry fits the words around it
_Score = tuple[int, bool, bool, bool, bool, bool]  # syllables, a "xã/phường" prefix, then the fit


@dataclass(frozen=True)
class Ward:
    """A current commune-level unit (xã or phường)."""

    name: str
    kind: str  # "xã" | "phường"
    former_units: tuple[str, ...]
    service_center: str

    @property
    def full_name(self) -> str:
        return f"{self.kind.capitalize()} {self.name}"


@dataclass(frozen=True)
class WardMatch:
    ward: Ward  # the current ward the mention belongs to
    matched: str  # the words found in the text, as typed (prefix included when present)
    unit: str  # the unit that matched: a former unit ("Xã Lệ Viễn") or the ward's full name
    is_former: bool  # True when the name is a pre-merger unit now part of `ward`
    alternatives: tuple[Ward, ...] = ()  # other wards the same folded name may mean


@dataclass(frozen=True)
class _Entry:
    name: str  # bare name with diacritics, e.g. "Lệ Viễn"
    kind: str  # "xã" | "phường" | "thị trấn" | "" (no prefix, e.g. "Trường bắn TB1")
    unit: str
    ward: Ward
    is_former: bool
    qualifier: str = ""  # folded district hint for duplicate names, e.g. "hiep hoa"


@dataclass
class Localities:
    province: str
    province_service_center: str
    hotline: str
    hours: str
    wards: list[Ward]
    hours_en: str = ""
    _index: dict[str, list[_Entry]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Localities:
        data = yaml.safe_load((path or DEFAULT_FILE).read_text(encoding="utf-8"))
        contact = data.get("contact", {})
        wards = [
            Ward(w["name"], w["kind"], tuple(w.get("former_units") or ()), w["service_center"]) for w in data["wards"]
        ]
        loc = cls(
            province=data["province"],
            province_service_center=data["province_service_center"],
            hotline=str(contact.get("hotline", "")),
            hours=contact.get("hours", ""),
            wards=wards,
            hours_en=contact.get("hours_en", ""),
        )
        loc._index = _build_index(wards)
        return loc

    def hours_in(self, language: str | None) -> str:
        return (self.hours_en or self.hours) if language == "en" else self.hours

    def ward(self, name: str) -> Ward | None:
        """The current ward with this name (accent-insensitive), prefix optional."""
        key = fold(name)
        for prefix in ("xa ", "phuong "):
            key = key.removeprefix(prefix)
        return next((w for w in self.wards if fold(w.name) == key), None)

    def find_ward(self, text: str) -> WardMatch | None:
        """The commune/ward (current or former) mentioned in free text, longest match first."""
        tokens = _WORD.findall(unicodedata.normalize("NFC", text))
        folded = [fold(t) for t in tokens]
        best: tuple[_Score, WardMatch] | None = None
        for start in range(len(tokens)):
            for size in range(min(_MAX_SYLLABLES, len(tokens) - start), 0, -1):
                found = self._candidate(tokens, folded, start, size)
                if found and (best is None or found[0] > best[0]):
                    best = found
        return best[1] if best else None

    def _candidate(
        self, tokens: list[str], folded: list[str], start: int, size: int
    ) -> tuple[_Score, WardMatch] | None:
        entries = self._index.get(" ".join(folded[start : start + size]))
        if not entries or _ends_with(folded[:start], _BLOCKERS):
            return None
        prefix_kind, prefix_len = _prefix_before(folded, start)
        typed_prefix = " ".join(tokens[start - prefix_len : start]).lower()
        if prefix_kind and has_diacritics(typed_prefix) and typed_prefix != prefix_kind:
            prefix_kind, prefix_len = "", 0  # "ký túc xá cho …" folds like "xã Chờ", but says "xá"
        typed = " ".join(tokens[start : start + size]).lower()
        if not prefix_kind:
            if size == 1:
                return None  # one-syllable names ("Hồ", "Chũ", "Kép") are too often plain words
            entries = _plain_mention(entries, typed, folded, start, size)
            if not entries:
                return None
        context = " ".join(folded)
        wants_former = start + size < len(folded) and folded[start + size] == "cu"

        def score(e: _Entry) -> _Fit:
            return (
                prefix_kind == e.kind,
                bool(e.qualifier) and e.qualifier in context,
                typed == e.name.lower(),
                e.is_former == wants_former,
            )

        ranked = sorted(entries, key=score, reverse=True)
        chosen = ranked[0]
        others = tuple(dict.fromkeys(e.ward for e in ranked[1:] if e.ward != chosen.ward))
        matched = " ".join(tokens[start - prefix_len : start + size])
        match = WardMatch(chosen.ward, matched, chosen.unit, chosen.is_former, others)
        return (size, prefix_len > 0, *score(chosen)), match


def _build_index(wards: list[Ward]) -> dict[str, list[_Entry]]:
    index: dict[str, list[_Entry]] = {}
    for ward in wards:
        entries = [_Entry(ward.name, ward.kind, ward.full_name, ward, False)]
        for unit in ward.former_units:
            m = _UNIT.match(unit)
            kind, name, note = (m.group(1).lower(), m.group(2), m.group(3) or "") if m else ("", unit, "")
            if fold(name) == fold(ward.name):
                continue  # same name as the ward it merged into: the current entry covers it
            qualifier = fold(re.sub(r"^(huyện|thị xã|thành phố)\s+", "", note)) if note else ""
            entries.append(_Entry(name, kind, unit, ward, True, qualifier))
        for e in entries:
            index.setdefault(fold(e.name), []).append(e)
    return index


def _plain_mention(entries: list[_Entry], typed: str, folded: list[str], start: int, size: int) -> list[_Entry]:
    """Entries a prefix-less mention may mean: exact spelling if accented, else only in a place context."""
    if typed != fold(typed):
        return [e for e in entries if e.name.lower() == typed]
    alone = start == 0 and start + size == len(folded)
    cued = start > 0 and folded[start - 1] in _CUES
    former = start + size < len(folded) and folded[start + size] == "cu"
    return entries if (alone or cued or former) else []


def _ends_with(words: list[str], patterns: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(words[-len(p) :]) == p for p in patterns if len(words) >= len(p))


def _prefix_before(folded: list[str], start: int) -> tuple[str, int]:
    """The unit kind written just before position `start`, and how many words it takes."""
    before = folded[:start]
    for words, kind in sorted(_PREFIXES.items(), key=lambda kv: -len(kv[0])):
        if _ends_with(before, (words,)) and not _ends_with(before, (("thi", "xa"),)):
            return kind, len(words)
    return "", 0
