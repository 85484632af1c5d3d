"""A procedure as the public page shows it: plain labels, fees and times per channel, where to go."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from urllib.parse import urlparse

from answers import compose
from knowledge.locality import Localities
from knowledge.model import CHANNEL_NAMES, LEVEL_NAMES, Channel, Document, Procedure

ALLOWED_HOST = re.compile(r"(^|\.)gov\.vn$")


@dataclass(frozen=True)
class ChannelView:
    name: str
    fee: str
    time: str
    note: str


@dataclass(frozen=True)
class DocumentGroup:
    name: str
    documents: list[Document]


@dataclass(frozen=True)
class ProcedureView:
    p: Procedure
    levels: str
    channels: list[ChannelView]
    groups: list[DocumentGroup]
    where: list[str]
    source_url: str  # "" unless it is an official (gov.vn) address


@lru_cache(maxsize=1)
def localities() -> Localities:
    return Localities.load()


def fee_text(c: Channel) -> str:
    return compose.fee_text(c, "vi")


def official_url(url: str) -> str:
    parsed = urlparse(url)
    return url if parsed.scheme == "https" and ALLOWED_HOST.search(parsed.hostname or "") else ""


def where_lines(p: Procedure) -> list[str]:
    return compose.where_lines(p, compose.Place(localities().province_service_center), "vi")


def view(p: Procedure) -> ProcedureView:
    channels = [
        ChannelView(CHANNEL_NAMES["vi"][c.kind], fee_text(c), c.time_limit or "Chưa có thông tin", c.note)
        for c in p.channels
    ]
    groups = [DocumentGroup(name, list(docs)) for name, docs in groupby(p.documents, key=lambda d: d.group)]
    levels = ", ".join(LEVEL_NAMES["vi"][lv].lower() for lv in p.levels)
    return ProcedureView(p, levels, channels, groups, where_lines(p), official_url(p.source_url))
