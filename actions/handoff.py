"""Actions that offer a person: asked for ("gặp cán bộ"), or after the bot failed twice running.
The offer (consent question) comes from handoff/conversation.py, which also takes the answer:
from the consent on, the channels route the citizen's messages to the handoff first."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.boundary import language, never_fails, text_slot
from actions.runtime import runtime
from answers import compose
from handoff.conversation import Turn, handoff

FAILED = ("no_answer",)  # payload types of a reply that did not help
ASKED_AGAIN = ("deny",)  # "không phải" right after choices: the choices did not help either
NOT_A_QUESTION = ("ask_human", "affirm", "deny", "greet", "thank", "goodbye", "choose_procedure")


def send_turn(dispatcher: CollectingDispatcher, turn: Turn) -> None:
    for reply in turn.replies:
        dispatcher.utter_message(text=reply["text"], buttons=reply.get("buttons", []), json_message=reply.get("custom"))


def offer(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Send the consent question for this conversation; False when the handoff store is down."""
    try:
        turn = handoff().offer(
            tracker.sender_id,
            tracker.get_latest_input_channel() or "rest",
            language(tracker),
            text_slot(tracker, "ward"),
            last_question(tracker),
        )
    except Exception:  # noqa: BLE001 - the store is down: the caller says how to reach a person instead
        return False
    send_turn(dispatcher, turn)
    return True


def last_question(tracker: Tracker) -> str:
    """The citizen's latest real question, shown to staff in the queue."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = event.get("text") or ""
        if intent not in NOT_A_QUESTION and not text.startswith("/"):
            return text
    return ""


def failed_before(tracker: Tracker) -> bool:
    """Whether the previous turn failed: its reply did not help, or it was "không phải" to choices."""
    turns = _turns(tracker)
    if len(turns) < 2:
        return False
    return turn_failed(*turns[-2], previous=turns[-3][1] if len(turns) >= 3 else [])


def _turns(tracker: Tracker) -> list[tuple[str | None, list[str]]]:
    """(intent, the reply's payload types) per user turn, newest last."""
    turns: list[tuple[str | None, list[str]]] = []
    for event in tracker.events:
        if event.get("event") == "user":
            turns.append((((event.get("parse_data") or {}).get("intent") or {}).get("name"), []))
        elif event.get("event") == "bot" and turns:
            custom = (event.get("data") or {}).get("custom") or {}
            turns[-1][1].append(custom.get("type", "") if isinstance(custom, dict) else "")
    return turns


def denied_choices(tracker: Tracker) -> bool:
    """This turn is "không phải" right after the bot offered choices."""
    turns = _turns(tracker)
    return len(turns) >= 2 and turns[-1][0] in ASKED_AGAIN and "choices" in turns[-2][1]


def turn_failed(intent: str | None, replies: list[str], previous: list[str]) -> bool:
    if any(kind in FAILED for kind in replies):
        return True
    return intent in ASKED_AGAIN and "choices" in previous


def offer_after_failure(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Called by an action whose reply failed: a second failure running offers a person."""
    if failed_before(tracker) and not offered_lately(tracker):
        offer(dispatcher, tracker)


def offered_lately(tracker: Tracker) -> bool:
    for event in reversed(tracker.events[-12:]):
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("type") == "handoff_offer":
            return True
    return False


class ActionHandoff(Action):
    """The citizen asks for a person: offer one (with consent); if the handoff cannot be reached,
    the hotline and hours."""

    def name(self) -> str:
        return "action_handoff"

    @never_fails
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if offer(dispatcher, tracker):
            return []
        from actions.procedures import place_of, send  # here: procedures imports this module

        localities = runtime().localities
        lang = language(tracker)
        send(dispatcher, compose.handoff(lang, localities.hotline, localities.hours_in(lang), place_of(tracker)))
        return []
