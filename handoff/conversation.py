"""The citizen's side of a handoff, from the consent question to the rating, as one small state
machine over the chat's status in our database (handoff/store.py).

The bot offers a handoff (actions/handoff.py calls `offer`); from then on, until the citizen says
no, cancels, or rates the finished chat, each message goes to `handle` first. The channels call it
before Rasa (bot/channels/handoff.py): it answers the handoff's own steps (yes/no, the ward, the
callback request, "thôi" while queued, a rating) and, during a live chat, keeps the bot silent and
records the message for the staff console. It returns None when the bot should answer as usual.

Plain Python on the Rasa side's versions (3.10, SQLAlchemy 1.4): the channels run it in a thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional

from bot.payloads import RESTART
from handoff import wording
from handoff.hours import OfficeHours, describe_opening, hours_from_env
from handoff.phone import PhoneBox, find_phone
from handoff.settings import HandoffSettings, handoff_settings
from handoff.store import CITIZEN, Chat, HandoffStore
from knowledge.locality import Localities
from knowledge.text import fold

PROVINCE = "Tỉnh Bắc Ninh"  # the centre key of the province's own one-stop centre
STEP_TIMEOUT = timedelta(minutes=30)  # a question of ours left unanswered this long is dropped
# statuses in which the next message answers a question the handoff asked
STEPS = (
    "offered",
    "ask_ward",
    "ask_ward_again",
    "callback_offer",
    "callback_question",
    "callback_consent",
    "callback_phone",
)
DONT_KNOW = {"khong biet", "chua biet", "khong ro", "dont know", "don t know", "do not know", "not sure", "no idea"}
RATING = re.compile(r"^\s*([1-5])(?:\s*(?:/\s*5|sao|stars?|điểm|diem))?\b[\s.,:;!-]*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass
class Turn:
    """What the handoff answers to one message: replies for the channel, events for the tracker."""

    replies: List[Dict[str, Any]] = field(default_factory=list)
    pause: bool = False  # the bot is paused from here (Rasa's ConversationPaused)
    resume: bool = False  # the bot is back (ConversationResumed)

    @classmethod
    def of(cls, text: str, custom: Optional[Dict[str, Any]], buttons: Optional[List[Dict[str, str]]] = None) -> Turn:
        turn = cls()
        turn.say(text, custom, buttons)
        return turn

    def say(
        self, text: str, custom: Optional[Dict[str, Any]] = None, buttons: Optional[List[Dict[str, str]]] = None
    ) -> None:
        reply: Dict[str, Any] = {"text": text}
        if custom:
            reply["custom"] = custom
        if buttons:
            reply["buttons"] = buttons
        self.replies.append(reply)


@dataclass(frozen=True)
class Centre:
    key: str  # a ward's full name ("Phường Kinh Bắc"), or PROVINCE
    name: str  # "Trung tâm Phục vụ hành chính công phường Kinh Bắc"


class Centres:
    """The one-stop centres: one per current commune/ward and the province's (knowledge/localities)."""

    def __init__(self, localities: Localities) -> None:
        self.localities = localities
        self.province = Centre(PROVINCE, localities.province_service_center)
        self._by_key = {w.full_name: Centre(w.full_name, w.service_center) for w in localities.wards}

    def get(self, key: Optional[str]) -> Optional[Centre]:
        if not key:
            return None
        if fold(key) == fold(PROVINCE):
            return self.province
        ward = self.localities.ward(key)
        return self._by_key.get(ward.full_name) if ward else None

    def keys(self) -> List[str]:
        return [PROVINCE, *self._by_key]

    def find(self, text: str) -> Optional[Centre]:
        match = self.localities.find_ward(text)
        return self._by_key.get(match.ward.full_name) if match else None


def yes_no_buttons(lang: str) -> List[Dict[str, str]]:
    return [
        {"title": wording.say(lang, "yes_button"), "payload": wording.AFFIRM_PAYLOAD},
        {"title": wording.say(lang, "no_button"), "payload": wording.DENY_PAYLOAD},
    ]


def rating_buttons() -> List[Dict[str, str]]:
    return [{"title": str(n), "payload": str(n)} for n in range(1, 6)]


class Handoff:
    def __init__(
        self,
        store: HandoffStore,
        centres: Centres,
        hours: Callable[[], OfficeHours],
        settings: HandoffSettings,
        phones: PhoneBox,
    ) -> None:
        # `hours` is read at each routing: an operator's change to the hours or holidays file
        # applies to the next handoff, without a restart.
        self.store, self.centres, self.hours, self.settings, self.phones = store, centres, hours, settings, phones

    # ------------------------------------------------------------------ the bot's offer

    def offer(self, sender: str, channel: str, lang: str, ward: Optional[str], question: str = "") -> Turn:
        """The consent question, with the centre of the ward when it is known."""
        centre = self.centres.get(ward)
        shown = centre.name if centre else wording.say(lang, "centre_generic")
        chat = self.store.offer(sender, channel, lang, centre.key if centre else "", shown, question)
        turn = Turn()
        if chat.is_open:  # already waiting or talking with someone: say where it stands
            return self._queued_turn(chat, turn)
        turn.say(
            wording.say(lang, "offer", centre=shown),
            {"type": "handoff_offer", "centre": shown},
            yes_no_buttons(lang),
        )
        return turn

    # ------------------------------------------------------------------ every message first comes here

    def handle(self, sender: str, text: str, now: Optional[datetime] = None) -> Optional[Turn]:
        now = now or self.store.clock()
        chat = self.store.latest(sender)
        if chat is None:
            return None
        if chat.is_open:
            return self._live(chat, text)
        if chat.status in STEPS and now - self._last_event(chat) <= STEP_TIMEOUT:
            return self._step(chat, text, now)
        rated = self.store.awaiting_rating(sender, now)
        if rated is not None:
            return self._rating(rated, text)
        return None

    def _live(self, chat: Chat, text: str) -> Turn:
        turn = Turn()
        if text.strip() == RESTART or (chat.status == "queued" and wording.is_cancel(text)):
            self.store.cancel(chat.id)
            turn.resume = True
            turn.say(wording.say(chat.lang, "cancelled"), {"type": "handoff_cancelled"})
            return turn
        self.store.citizen_message(chat.id, text)
        if chat.status == "queued":
            place = self.store.place(chat)
            turn.say(
                wording.say(chat.lang, "still_queued", position=place.position, wait=place.wait_minutes),
                {"type": "handoff_queued", "position": place.position, "wait_minutes": place.wait_minutes},
            )
        return turn  # assigned: the staff member reads it in the console; the bot says nothing

    def _step(self, chat: Chat, text: str, now: datetime) -> Optional[Turn]:
        """The answer to the question the handoff asked last (the chat's status says which)."""
        steps = {
            "offered": self._on_offer,
            "ask_ward": self._on_ward,
            "ask_ward_again": self._on_ward,
            "callback_offer": self._on_callback_offer,
            "callback_question": self._on_callback_question,
            "callback_consent": self._on_phone_consent,
            "callback_phone": self._on_phone,
        }
        return steps[chat.status](chat, text, now)

    def _on_offer(self, chat: Chat, text: str, now: datetime) -> Optional[Turn]:
        if wording.is_yes(text):
            return self._consented(chat, now)
        self.store.set_status(chat.id, "declined", "declined", CITIZEN)
        if wording.is_no(text):
            return Turn.of(wording.say(chat.lang, "declined"), {"type": "handoff_declined"})
        return None  # a new question instead of an answer: the bot takes it

    def _on_ward(self, chat: Chat, text: str, now: datetime) -> Turn:
        centre = self.centres.find(text)
        dont_know = " ".join(re.findall(r"\w+", fold(text))) in DONT_KNOW
        if centre is None and not dont_know and chat.status == "ask_ward":  # one more try, then the province
            self.store.set_status(chat.id, "ask_ward_again", "asked_ward")
            return Turn.of(wording.say(chat.lang, "ward_unknown"), {"type": "handoff_ask_ward"})
        return self._route(chat, centre or self.centres.province, now)

    def _on_callback_offer(self, chat: Chat, text: str, now: datetime) -> Optional[Turn]:
        if wording.is_yes(text):
            self.store.set_status(chat.id, "callback_question", "callback_asked")
            return Turn.of(wording.say(chat.lang, "ask_question"), {"type": "handoff_callback_question"})
        self.store.set_status(chat.id, "declined", "declined", CITIZEN)
        if wording.is_no(text):
            return Turn.of(wording.say(chat.lang, "callback_skipped"), {"type": "handoff_declined"})
        return None

    def _on_callback_question(self, chat: Chat, text: str, now: datetime) -> Turn:
        self.store.set_preview(chat.id, text)
        self.store.set_status(chat.id, "callback_consent", "callback_question")
        said = wording.say(chat.lang, "ask_phone_consent", days=self.settings.callback_retention_days)
        return Turn.of(said, {"type": "handoff_callback_consent"}, yes_no_buttons(chat.lang))

    def _on_phone_consent(self, chat: Chat, text: str, now: datetime) -> Turn:
        phone = find_phone(text)
        if phone:  # typed the number straight away: that is consent enough
            return self._save_callback(chat, phone)
        if wording.is_yes(text):
            self.store.set_status(chat.id, "callback_phone", "callback_consented")
            return Turn.of(wording.say(chat.lang, "ask_phone"), {"type": "ask", "slot": "phone"})
        if wording.is_no(text):
            return self._save_callback(chat, None)
        return Turn.of(wording.say(chat.lang, "yes_or_no"), None, yes_no_buttons(chat.lang))

    def _on_phone(self, chat: Chat, text: str, now: datetime) -> Turn:
        phone = find_phone(text)
        if phone or wording.is_no(text):
            return self._save_callback(chat, phone)
        return Turn.of(wording.say(chat.lang, "bad_phone"), {"type": "ask", "slot": "phone"})

    def _consented(self, chat: Chat, now: datetime) -> Turn:
        self.store.note(chat.id, "consented", CITIZEN)
        centre = self.centres.get(chat.centre)
        if centre is None:
            self.store.set_status(chat.id, "ask_ward", "asked_ward")
            return Turn.of(wording.say(chat.lang, "ask_ward"), {"type": "handoff_ask_ward"})
        return self._route(chat, centre, now)

    def _route(self, chat: Chat, centre: Centre, now: datetime) -> Turn:
        """Into the centre's queue when it is open and staffed; else say when, and offer a callback."""
        lang, turn, hours = chat.lang, Turn(), self.hours()
        staffed = bool(self.store.online_staff(centre.key))
        if hours.is_open(centre.name, now) and staffed:
            queued = self.store.queue(chat.id, centre.key, centre.name)
            turn.pause = True
            return self._queued_turn(queued, turn)
        self.store.set_centre(chat.id, centre.key, centre.name)
        self.store.set_status(chat.id, "callback_offer", "unavailable")
        opening = hours.next_opening(centre.name, now)
        if hours.is_open(centre.name, now):  # open, but nobody online: no opening time to give
            opening = None
            said = wording.say(lang, "nobody_online", centre=centre.name)
        elif opening is None:  # nothing within the next weeks: the hours file says so
            said = wording.say(lang, "closed_no_time", centre=centre.name)
        else:
            said = wording.say(lang, "closed", centre=centre.name, next_open=describe_opening(opening, lang, now))
        custom = {
            "type": "handoff_unavailable",
            "centre": centre.name,
            "next_open": opening.isoformat() if opening else None,
            "callback": True,
        }
        turn.say(f"{said} {wording.say(lang, 'offer_callback')}", custom, yes_no_buttons(lang))
        return turn

    def _queued_turn(self, chat: Chat, turn: Turn) -> Turn:
        place = self.store.place(chat)
        turn.say(
            wording.say(chat.lang, "queued", centre=chat.centre_name, position=place.position, wait=place.wait_minutes),
            {
                "type": "handoff_queued",
                "position": place.position,
                "wait_minutes": place.wait_minutes,
                "centre": chat.centre_name,
            },
        )
        return turn

    def _save_callback(self, chat: Chat, phone: Optional[str]) -> Turn:
        cipher, hint = (self.phones.seal(phone), self.phones.hint(phone)) if phone else (None, None)
        callback_id = self.store.add_callback(
            chat.centre or PROVINCE,
            chat.centre_name,
            chat.lang,
            chat.preview or "",
            cipher,
            hint,
            chat.sender,
            self.settings.callback_retention_days,
        )
        self.store.set_status(chat.id, "callback", "callback_saved")
        turn = Turn()
        key = "callback_saved_phone" if phone else "callback_saved_chat"
        turn.say(
            wording.say(chat.lang, key, centre=chat.centre_name, hint=hint or ""),
            {"type": "handoff_callback_saved", "id": callback_id, "phone": bool(phone)},
        )
        return turn

    def _rating(self, chat: Chat, text: str) -> Optional[Turn]:
        match = RATING.match(text)
        if not match:
            return None
        self.store.rate(chat.id, int(match.group(1)), match.group(2).strip())
        turn = Turn()
        turn.say(wording.say(chat.lang, "rated"), {"type": "handoff_rated", "score": int(match.group(1))})
        return turn

    def _last_event(self, chat: Chat) -> datetime:
        events = self.store.transcript(chat.id)
        return events[-1].at if events else chat.created_at


@lru_cache(maxsize=1)
def handoff() -> Handoff:
    """The process's handoff, from the environment (HANDOFF_DATABASE_URL, HANDOFF_KEY, STAFF_HOURS...)."""
    settings = handoff_settings()
    return Handoff(
        HandoffStore.from_url(settings.database_url, settings.average_chat_minutes),
        Centres(Localities.load()),
        hours_from_env,
        settings,
        PhoneBox(settings.key),
    )
