"""Mask personal numbers before a conversation is stored: ID numbers, phone numbers and the
ID digits typed for a dossier lookup. Plain Python, so it is tested without Rasa.

The live turn still sees what the citizen typed (the action needs the digits once);
only what is written down (tracker store) is masked.
"""
from __future__ import annotations

import copy
import re
from typing import Any

# A dossier code keeps its digits: it is a reference, not personal data.
_DOSSIER_CODE = re.compile(r"[A-Za-z0-9.]+\s*-\s*\d{6}\s*-\s*\d{4}")
# 4 digits alone (ID last digits) or 9+ digits, spaces/dots allowed (ID cards, phones).
_PERSONAL_DIGITS = re.compile(r"(?<![\d.])(?:\d{4}|(?:\+?\d[ .]?){8,}\d)(?![\d.])")
SENSITIVE_ENTITIES = frozenset({"identity_digits", "id_number", "phone_number"})
SENSITIVE_SLOTS = frozenset({"identity_digits"})
MASK = "*"


def _stars(match: re.Match[str]) -> str:
    return re.sub(r"\d", MASK, match.group())


def mask_text(text: str) -> str:
    """Replace personal digit runs by stars, leaving dossier codes intact."""
    pieces, last = [], 0
    for code in _DOSSIER_CODE.finditer(text):
        pieces.append(_PERSONAL_DIGITS.sub(_stars, text[last : code.start()]))
        pieces.append(code.group())
        last = code.end()
    pieces.append(_PERSONAL_DIGITS.sub(_stars, text[last:]))
    return "".join(pieces)


def mask_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of a serialised Rasa event with personal numbers masked."""
    event = copy.deepcopy(event)
    kind = event.get("event")
    if kind == "user":
        if isinstance(event.get("text"), str):
            event["text"] = mask_text(event["text"])
        parse_data = event.get("parse_data") or {}
        if isinstance(parse_data.get("text"), str):
            parse_data["text"] = mask_text(parse_data["text"])
        for entity in parse_data.get("entities") or []:
            if entity.get("entity") in SENSITIVE_ENTITIES:
                entity["value"] = re.sub(r"\d", MASK, str(entity.get("value", "")))
    elif kind == "slot" and event.get("name") in SENSITIVE_SLOTS and event.get("value") is not None:
        event["value"] = MASK * 4
    return event
