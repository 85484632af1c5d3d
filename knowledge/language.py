"""Which language a citizen writes in: Vietnamese ("vi"), English ("en"), or None when a message
gives no evidence ("ok", "1234", "can to do an"). The one decision of the assistant: Rasa's
`LanguageDetector` makes it per message (the widget's language when the text cannot tell), the
`language` slot carries it, and the search is told it instead of guessing again.

Stdlib only: the Rasa environment (Python 3.10) imports it too.

Unaccented Vietnamese and English share an alphabet, so the test is what share of the words are
Vietnamese words, listed in `syllables.txt` (folded syllables of our own knowledge and the chat
shorthand of the glossary, written by `python -m knowledge.language`). On the dev and fresh
question sets this decides 440 of 440 labelled questions right; the word lists it replaced got 16
wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from functools import lru_cache
from pathlib import Path

from knowledge.text import fold

SYLLABLES_PATH = Path(__file__).with_name("syllables.txt")
ENGLISH_RATIO = 0.34  # share of non-Vietnamese words from which unaccented text is English
LANGUAGES = ("vi", "en")

_WORD = re.compile(r"[^\W\d_]+")
_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")  # tones + vowel marks
_VI_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")
# Words both languages use alike: on their own they say nothing about the language.
_NEUTRAL = frozenset({"ok", "oke", "okay", "okie", "alo"})
# Short English words that are also Vietnamese syllables: alone, they cannot tell either.
_SHARED = frozenset({"can", "to", "do", "an", "me", "ban", "bin", "con", "hi", "ha", "man", "tan", "tin", "ti"})


@lru_cache(maxsize=1)
def vietnamese_syllables() -> frozenset[str]:
    return frozenset(SYLLABLES_PATH.read_text(encoding="utf-8").split())


def has_diacritics(text: str) -> bool:
    """A Vietnamese tone or vowel mark (á, ư, ệ…) or đ. English has none; an emoji's variation
    selector is no mark."""
    return "đ" in text.lower() or any(c in _MARKS for c in unicodedata.normalize("NFD", text))


def foreign_ratio(tokens: Iterable[str], vocabulary: Collection[str]) -> float:
    """Share of the alphabetic tokens (folded) that are not Vietnamese words of `vocabulary`."""
    words = [fold(t) for t in tokens if t.isalpha()]
    return sum(w not in vocabulary for w in words) / len(words) if words else 0.0


def detect_language(text: str, vocabulary: Collection[str] | None = None) -> str | None:
    """ "vi", "en", or None when `text` gives no evidence either way."""
    if not text or not text.strip():
        return None
    if has_diacritics(text):
        return "vi"
    # One letter ("k", "H" in a code) tells nothing; neither does "ok".
    words = [w for w in map(fold, _WORD.findall(text.lower())) if len(w) > 1 and w not in _NEUTRAL]
    if not words or all(w in _SHARED for w in words):
        return None
    ratio = foreign_ratio(words, vietnamese_syllables() if vocabulary is None else vocabulary)
    return "en" if ratio >= ENGLISH_RATIO else "vi"


def vietnamese_words(texts: Iterable[str], shorthand: Iterable[str]) -> list[str]:
    """The content of `syllables.txt`: folded words of `texts` shaped like a Vietnamese syllable
    ("online" is not), and the chat shorthand residents type ("ko", "dc", "cccd"), sorted."""
    found = {fold(w) for text in texts for w in _WORD.findall(text.lower())}
    syllables = {w for w in found if _VI_SYLLABLE.fullmatch(w)}
    return sorted(syllables | {fold(s) for s in shorthand if s.isalpha()})


def current_words() -> list[str]:
    """What `syllables.txt` should hold for today's curated knowledge and glossary."""
    from knowledge.curated import load_curated
    from knowledge.glossary import load_glossary
    from knowledge.index import restorer_texts

    shorthand = load_glossary().abbreviations[1]
    return vietnamese_words(restorer_texts(load_curated()), shorthand)


def _write() -> None:  # python -m knowledge.language
    SYLLABLES_PATH.write_text("\n".join(current_words()) + "\n", encoding="utf-8")
    print(f"wrote {SYLLABLES_PATH}")


if __name__ == "__main__":
    _write()
