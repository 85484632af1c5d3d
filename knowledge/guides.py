"""Our own guides for what one catalog procedure does not answer.

- Life events (`life_events.yaml`): "bố tôi mới mất, phải làm những thủ tục gì" asks for the
  procedures of an event in order (khai tử, then xoá thường trú, ...), each one a tap away.
- Referrals (`referrals.yaml`): what residents ask that is not in the procedure catalog at all
  (a foreigner's work permit): say so and name the agency, instead of answering a wrong procedure.

Both match on folded words (knowledge.text.phrase_pattern): cues that name the event or topic.
A life event also needs the question to ask what to do ("phải làm gì"), or Rasa's `ask_life_event`
intent: "đăng ký khai tử" alone is a procedure question, answered as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from knowledge.text import fold, phrase_pattern

LIFE_EVENTS_PATH = Path(__file__).with_name("life_events.yaml")
REFERRALS_PATH = Path(__file__).with_name("referrals.yaml")
Wording = dict[str, str]  # language -> text


class Decided(Protocol):
    @property
    def decision(self) -> str: ...  # a search result: "answer" | "clarify" | "no_answer"


R = TypeVar("R", bound=Decided)


@dataclass(frozen=True)
class Step:
    code: str
    note: Wording


@dataclass(frozen=True)
class LifeEvent:
    id: str
    title: Wording
    intro: Wording
    steps: tuple[Step, ...]
    cues: re.Pattern[str]
    not_when: re.Pattern[str]  # words that make the cues mean something else ("mất việc": no death)

    def named_at(self, folded: str) -> int | None:
        """Where in `folded` text the event is named, or None."""
        match = self.cues.search(folded)
        return match.start() if match and not self.not_when.search(folded) else None


@dataclass(frozen=True)
class Referral:
    id: str
    title: Wording
    text: Wording  # what to tell the resident: where this is done instead
    url: str | None
    cues: re.Pattern[str]
    not_when: re.Pattern[str]  # words that make the cues mean something else ("act as guardian")
    rest_may_answer: bool = True  # False: a procedure named beside the cues is not answered (orders to the bot)

    def named(self, folded: str) -> bool:
        return bool(self.cues.search(folded)) and not self.not_when.search(folded)

    def rest(self, text: str) -> str:
        """`text` (folded) without the words that named this topic: does it still ask something else?"""
        return " ".join(self.cues.sub(" ", fold(text)).split())


Slots = dict[str, dict[str, list[str]]]  # name -> language -> words (referrals.yaml `slots:`)


def _cue_pattern(raw: dict[str, list[str]] | None, slots: Slots | None = None) -> re.Pattern[str]:
    """Cues of every language in one pattern; a cue with "{name}" stands for one cue per word of
    that name's list in `slots`, in the cue's language ("visa đi {country}")."""
    phrases: list[str] = []
    for language, cues in (raw or {}).items():
        for cue in map(str, cues):
            slot = re.search(r"\{(\w+)\}", cue)
            if slot is None:
                phrases.append(cue)
                continue
            words = (slots or {}).get(slot.group(1), {}).get(language)
            if not words:
                raise ValueError(f"cue {cue!r}: no {slot.group(1)!r} words for {language}")
            phrases += [cue.replace(slot.group(0), str(w)) for w in words]
    return phrase_pattern(phrases)


def _wording(raw: Any, where: str) -> Wording:
    if not isinstance(raw, dict) or not raw.get("vi") or not raw.get("en"):
        raise ValueError(f"{where}: needs both vi and en")
    return {"vi": str(raw["vi"]).strip(), "en": str(raw["en"]).strip()}


@dataclass(frozen=True)
class Guides:
    framing: re.Pattern[str]
    life_events: tuple[LifeEvent, ...]
    referrals: tuple[Referral, ...]

    def life_event(self, text: str, asked_as_event: bool = False) -> LifeEvent | None:
        """The event `text` asks about, when it asks what to do about one (or Rasa says it does).
        The event whose cues come first in the text wins: "mới cưới, vợ sắp sinh" is a marriage."""
        folded = fold(text)
        if not (asked_as_event or self.framing.search(folded)):
            return None
        found = [(at, i) for i, e in enumerate(self.life_events) if (at := e.named_at(folded)) is not None]
        return self.life_events[min(found)[1]] if found else None

    def referral(self, text: str) -> Referral | None:
        folded = fold(text)
        return next((r for r in self.referrals if r.named(folded)), None)

    def refer(self, text: str, search: Callable[[str], R]) -> tuple[Referral | None, R | None]:
        """(the referral, None) when `text` asks for something outside the catalog; (None, the
        search of the rest) when it names a referral topic but the rest still names a procedure
        ("I have a work permit, how do I get a residence card?"); (None, None) otherwise."""
        referral = self.referral(text)
        if referral is None:
            return None, None
        if not referral.rest_may_answer:
            return referral, None
        rest = search(referral.rest(text))
        return (None, rest) if rest.decision == "answer" else (referral, None)

    def find_event(self, event_id: str | None) -> LifeEvent | None:
        return next((e for e in self.life_events if e.id == event_id), None)

    def find_referral(self, referral_id: str | None) -> Referral | None:
        return next((r for r in self.referrals if r.id == referral_id), None)


def _life_event(raw: dict[str, Any]) -> LifeEvent:
    where = f"{LIFE_EVENTS_PATH.name}: {raw.get('id')}"
    steps = tuple(Step(str(s["code"]), _wording(s.get("note"), f"{where} {s['code']}")) for s in raw["steps"])
    if not steps:
        raise ValueError(f"{where}: no steps")
    return LifeEvent(
        id=str(raw["id"]),
        title=_wording(raw.get("title"), where),
        intro=_wording(raw.get("intro"), where),
        steps=steps,
        cues=_cue_pattern(raw.get("cues")),
        not_when=_cue_pattern(raw.get("not_when")),
    )


def _referral(raw: dict[str, Any], slots: Slots) -> Referral:
    where = f"{REFERRALS_PATH.name}: {raw.get('id')}"
    return Referral(
        id=str(raw["id"]),
        title=_wording(raw.get("title"), where),
        text=_wording(raw.get("text"), where),
        url=raw.get("url"),
        cues=_cue_pattern(raw.get("cues"), slots),
        not_when=_cue_pattern(raw.get("not_when")),
        rest_may_answer=bool(raw.get("rest_may_answer", True)),
    )


@lru_cache(maxsize=1)
def load_guides(life_events: Path = LIFE_EVENTS_PATH, referrals: Path = REFERRALS_PATH) -> Guides:
    events = yaml.safe_load(life_events.read_text(encoding="utf-8"))
    refs = yaml.safe_load(referrals.read_text(encoding="utf-8"))
    return Guides(
        framing=_cue_pattern(events.get("framing")),
        life_events=tuple(_life_event(e) for e in events["events"]),
        referrals=tuple(_referral(r, refs.get("slots") or {}) for r in refs["referrals"]),
    )
