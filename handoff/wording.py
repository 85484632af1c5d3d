"""The handoff's words to citizens (handoff/wording.yaml) and the yes / no / cancel vocabulary."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet

import yaml

from bot.payloads import INTENT_PAYLOADS
from knowledge.text import fold

WORDING_FILE = Path(__file__).with_name("wording.yaml")
# what the offer's buttons and the widget's "talk to a person" send (bot/payloads.py allows them)
AFFIRM_PAYLOAD, DENY_PAYLOAD, ASK_HUMAN = INTENT_PAYLOADS


@lru_cache(maxsize=1)
def _wording() -> Dict[str, Any]:
    loaded: Dict[str, Any] = yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8"))
    return loaded


def say(lang: str, key: str, **values: Any) -> str:
    texts = _wording()["en" if lang == "en" else "vi"]
    return str(texts[key]).format(**values)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


@cache
def _words(kind: str) -> FrozenSet[str]:
    return frozenset(_normal(w) for w in _wording()[kind])


def is_yes(text: str) -> bool:
    return text.strip() == AFFIRM_PAYLOAD or _normal(text) in _words("yes_words")


def is_no(text: str) -> bool:
    return text.strip() == DENY_PAYLOAD or _normal(text) in _words("no_words")


CANCEL_MAX_WORDS = 6  # "tôi thôi việc thì làm gì" is a question, not "thôi"


def is_cancel(text: str) -> bool:
    """A short message with "thôi" / "không cần nữa" / "cancel": the citizen stops waiting."""
    if text.strip() == DENY_PAYLOAD:
        return True
    normal = _normal(text)
    if len(normal.split()) > CANCEL_MAX_WORDS:
        return False
    padded = f" {normal} "  # the phrase opens or closes the message: "thôi, cảm ơn", "ok thôi"
    return any(padded.startswith(f" {p} ") or padded.endswith(f" {p} ") for p in _words("cancel_words"))
