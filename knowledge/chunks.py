"""Split a procedure into retrievable chunks, one per section, each with its heading chain.

Name-like chunks (overview, aliases, example questions, English title) are the
strongest signals and are short, so they are embedded; long sections (steps,
conditions, fees) are only indexed lexically, which keeps a cold build of the
whole national catalog within a few minutes on two cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from knowledge.model import CHANNEL_NAMES, LEVEL_NAMES, Procedure

ChunkKind = Literal["overview", "alias", "question", "summary", "english", "documents", "fees", "steps", "conditions"]

SECTION_NAMES: dict[ChunkKind, str] = {
    "overview": "Tổng quan",
    "alias": "Tên gọi khác",
    "question": "Câu hỏi thường gặp",
    "summary": "Tóm tắt",
    "english": "English",
    "documents": "Thành phần hồ sơ",
    "fees": "Thời hạn và phí, lệ phí",
    "steps": "Trình tự thực hiện",
    "conditions": "Yêu cầu, điều kiện",
}
SEPARATOR = " › "
DENSE_KINDS: frozenset[ChunkKind] = frozenset({"overview", "alias", "question", "summary", "english"})
MAX_LEXICAL_CHARS = 3000  # long sections add noise to BM25 beyond this
MAX_DENSE_CHARS = 400  # the dense model reads ~128 tokens anyway


@dataclass(frozen=True)
class Chunk:
    code: str
    kind: ChunkKind
    heading: str  # e.g. "Thủ tục đăng ký khai sinh › Thành phần hồ sơ"
    text: str  # what BM25 reads
    dense_text: str = ""  # what the dense model reads, when not `text`

    @property
    def dense(self) -> bool:
        return self.kind in DENSE_KINDS

    def passage(self) -> str:
        """What the dense model reads: the heading chain gives context to short bodies."""
        if self.dense_text:
            return self.dense_text[:MAX_DENSE_CHARS]
        if self.kind == "english":
            return self.text[:MAX_DENSE_CHARS]
        return f"{self.heading}: {self.text}"[:MAX_DENSE_CHARS]


def _join(parts: list[str]) -> str:
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def _overview(p: Procedure) -> str:
    levels = ", ".join(LEVEL_NAMES["vi"][lv] for lv in p.levels)
    return _join([p.title, *p.overlay.aliases, p.overlay.summary_vi, f"Lĩnh vực {p.field}" if p.field else "", levels])


def _fees(p: Procedure) -> str:
    lines = []
    for c in p.channels:
        lines.append(_join([CHANNEL_NAMES["vi"][c.kind], c.time_limit, c.fee, c.note]))
    return "\n".join(lines)


def procedure_chunks(p: Procedure) -> list[Chunk]:
    def make(kind: ChunkKind, text: str, dense_text: str = "") -> Chunk:
        limit = MAX_LEXICAL_CHARS if kind not in DENSE_KINDS else 1000
        return Chunk(p.code, kind, f"{p.title}{SEPARATOR}{SECTION_NAMES[kind]}", text.strip()[:limit], dense_text)

    # The overview's passage is short on purpose (title and field): aliases and the summary
    # have passages of their own, and short passages keep the cold build fast.
    out = [make("overview", _overview(p), _join([p.title, p.field]))]
    out += [make("alias", a) for a in p.overlay.aliases]
    out += [make("question", q) for q in [*p.overlay.questions_vi, *p.overlay.questions_en]]
    if p.overlay.summary_vi:
        out.append(make("summary", p.overlay.summary_vi))
    if p.overlay.title_en:
        out.append(make("english", _join([p.overlay.title_en, p.overlay.summary_en])))
    sections: list[tuple[ChunkKind, str]] = [
        ("documents", "\n".join(d.name for d in p.documents)),
        ("fees", _fees(p)),
        ("steps", "\n".join(p.steps)),
        ("conditions", p.conditions),
    ]
    out += [make(kind, text) for kind, text in sections if text.strip()]
    return [c for c in out if c.text]


def catalog_chunks(procedures: list[Procedure]) -> list[Chunk]:
    return [c for p in procedures for c in procedure_chunks(p)]
