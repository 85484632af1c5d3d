"""Which language a citizen writes in, per message: Vietnamese ("vi") or English ("en").

Plain Python (no Rasa import) so both the Rasa-side component and tests can use it.
Vietnamese is the default; None means "can't tell" (e.g. "ok", "1234"), and the
conversation keeps the language it had.
"""
from __future__ import annotations

import re
import unicodedata

# Letters that exist only in Vietnamese among the two languages.
_VIETNAMESE_LETTERS = set("ăâđêôơưĂÂĐÊÔƠƯ")
_WORD = re.compile(r"[a-z]+")

# Unaccented forms residents type on phones; words that are also English ("can", "to", "do", "an") are left out.
_VI_WORDS = frozenset(
    """toi minh em anh chi ban la lam gi j khong ko k hok dc duoc giay ho so thu tuc phi le bao nhieu
    lau dau nop xin chao cam on cho hoi muon cap doi lai dang ky khai sinh ket hon tam tru thuong tru
    chung nhan xac nhan nha dat xe bang lai chieu cuoc ca cuoc minh nhe a ak vay the nao ntn sao roi
    cua voi va hay nhung cac mot hai phuong xa ubnd tinh huyen ngay mat tien truc tuyen online qua
    duoc khong ha nhi nay kia day thi con vo chong bo me ong ba""".split()
)
_EN_WORDS = frozenset(
    """the i my how what is are does need for of where much long apply register please hello hi hey
    thanks thank you your want get renew birth certificate card passport licence license driving
    marriage land house building permit fee fees cost time online submit documents papers which with
    and or it this that there when who why would could should will have has help human person bot
    status application check about from into at by be am was were can't don't i'm id number""".split()
)


def _has_vietnamese_marks(text: str) -> bool:
    if any(ch in _VIETNAMESE_LETTERS for ch in text):
        return True
    # Tone marks (combining acute, grave, hook, tilde, dot below) on Latin letters.
    decomposed = unicodedata.normalize("NFD", text)
    return any(unicodedata.category(ch) == "Mn" for ch in decomposed)


def detect_language(text: str) -> str | None:
    """Return "vi", "en", or None when the message gives no evidence either way."""
    if not text or not text.strip():
        return None
    if _has_vietnamese_marks(text):
        return "vi"
    words = _WORD.findall(text.lower())
    vi = sum(w in _VI_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if vi == en:
        return None
    return "vi" if vi > en else "en"
