"""The procedure record every other part of the assistant reads.

Official facts (from the national portal or our curated files) and our own
overlay (plain wording, aliases, example questions, English) live side by side,
so a merge can take facts from one source and the overlay from another.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["ministry", "province", "commune"]
ChannelKind = Literal["online", "post", "in_person"]

# What citizens read for each channel and level, per language: the one home (answer templates,
# web pages, index text).
CHANNEL_NAMES: dict[str, dict[ChannelKind, str]] = {
    "vi": {"online": "Trực tuyến", "post": "Qua bưu chính", "in_person": "Trực tiếp"},
    "en": {"online": "Online", "post": "By post", "in_person": "In person"},
}
LEVEL_NAMES: dict[str, dict[Level, str]] = {
    "vi": {"commune": "Cấp xã", "province": "Cấp tỉnh", "ministry": "Cấp bộ, trung ương"},
    "en": {"commune": "Commune/ward", "province": "Province", "ministry": "Ministry (central)"},
}


class Channel(BaseModel):
    """One way to submit: its own time limit and fee."""

    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind
    time_limit: str = ""  # as written, e.g. "03 ngày làm việc"
    time_days: float | None = None  # parsed working days when the text allows
    fee: str = ""  # as written, e.g. "Miễn phí" or "Lệ phí: 8.000 đồng"
    fee_vnd: int | None = None  # 0 = free; None = not stated or not a single amount
    note: str = ""


class Document(BaseModel):
    """One item of the dossier checklist."""

    model_config = ConfigDict(extra="forbid")

    name: str
    copies: str = ""  # e.g. "1 bản chính"
    template: str = ""  # form or declaration to fill, if any
    group: str = ""  # e.g. "Giấy tờ phải nộp", "Giấy tờ phải xuất trình"


class Overlay(BaseModel):
    """What we write ourselves on top of the official facts."""

    model_config = ConfigDict(extra="forbid")

    summary_vi: str = ""
    title_en: str = ""
    summary_en: str = ""
    aliases: list[str] = Field(default_factory=list)  # colloquial names: "sổ đỏ", "làm giấy khai sinh"
    questions_vi: list[str] = Field(default_factory=list)  # how residents ask
    questions_en: list[str] = Field(default_factory=list)


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str  # e.g. "1.001193"
    title: str
    levels: list[Level] = Field(default_factory=list)
    field: str = ""
    applicants: str = ""
    agency: str = ""  # competent agency
    submit_address: str = ""  # where to submit, as published
    channels: list[Channel] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    conditions: str = ""
    result: str = ""
    legal_basis: list[str] = Field(default_factory=list)
    source_url: str = ""
    overlay: Overlay = Field(default_factory=Overlay)

    def channel(self, kind: ChannelKind) -> Channel | None:
        return next((c for c in self.channels if c.kind == kind), None)

    @property
    def online(self) -> bool:
        return self.channel("online") is not None

    @property
    def is_commune_level(self) -> bool:
        return "commune" in self.levels
