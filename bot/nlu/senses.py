"""Which sense a message has when the classifier's intent and its words disagree (plain Python, no
Rasa import: `components.IntentSenseGate` applies it in the Rasa server, tests import it directly).

- "Hồ sơ" is both the application file ("hồ sơ gồm gì": its documents) and a filed dossier ("hồ sơ
  của tôi đến đâu rồi"). A lookup needs a lookup sense or a dossier code; a message that names an
  aspect of a procedure without one asks about that aspect.
- A short follow-up that names an aspect ("free không?", "không, tôi hỏi lệ phí") asks about the
  procedure in context, even when the classifier hears a "no" or small talk in it.
"""

from __future__ import annotations

import re

from knowledge.aspects import detect_aspect
from knowledge.glossary import load_glossary
from knowledge.text import fold

LOOKUP, ASPECT, OUT_OF_SCOPE = "check_dossier", "ask_aspect", "out_of_scope"
CODE_INTENTS = (LOOKUP, "inform_dossier_code")
# Intents a short message naming an aspect is not: it asks about the procedure in context instead.
# A longer one may well be what the classifier says ("what's the price of gold today").
ASPECT_OVERRIDES = ("deny", "affirm", "out_of_scope", "nlu_fallback", "thank", "greet", "goodbye")
MAX_FOLLOW_UP_WORDS = 5

# Words (folded, shorthand spelt out) that make "hồ sơ" a filed dossier: looking it up, its progress,
# a receipt, whose it is, when it was handed in, "done yet?".
LOOKUP_SENSE = re.compile(
    r"\b(?:tra cuu|tra soat|tra (?:ho so|hs|ket qua|giup|gium|ho)|kiem tra|xem (?:giup|gium|ho)|check on|"
    r"look up|lookup|track|tracking|"
    r"den dau|toi dau|tinh trang|trang thai|tien do|(?:buoc|khau) nao|status|"
    r"bien nhan|giay hen|phieu hen|ma (?:so )?ho so|ma bien nhan|receipt|"
    r"cua (?:toi|minh|em|tui|tao|t|mk|mik|nha|bo|me|chi|anh)|my(?: \w+){0,2} (?:application|dossier|file|case|"
    r"papers|paperwork|submission)|i (?:submitted|filed|applied|handed in)|handed in|"
    r"been (?:accepted|received|approved|processed)|"
    r"da nop|nop roi|hom qua|hqua|hom truoc|tuan truoc|thang truoc|(?:xong|duoc|co|duyet) chua|da .*\bchua)\b"
)
# Weaker words that still go with a lookup when no aspect is named ("hồ sơ xong chưa", "my file").
LOOKUP_WORDS = re.compile(
    r"\b(?:ho so|hs|ma|nop|xong|duyet|giai quyet|ket qua|da co|chua co|bao gio|dossier|application|"
    r"check|file|progress|case|submission|submitted|applied|paperwork|papers|approved|done|processed|"
    r"finished|stage|news|come through|where is)\b"
)


def resolve_intent(intent: str, text: str, has_dossier_code: bool) -> str:
    """The intent the message means: `intent` unless its words say otherwise."""
    folded = fold(load_glossary().rewrite(text.lower()))
    if has_dossier_code:
        return intent if intent in CODE_INTENTS else LOOKUP
    if intent == LOOKUP:
        if LOOKUP_SENSE.search(folded):
            return LOOKUP
        if detect_aspect(text):
            return ASPECT
        return LOOKUP if LOOKUP_WORDS.search(folded) else OUT_OF_SCOPE
    if intent in ASPECT_OVERRIDES and len(text.split()) <= MAX_FOLLOW_UP_WORDS and detect_aspect(text):
        return ASPECT
    return intent
