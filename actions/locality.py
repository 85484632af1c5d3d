"""Where to submit for a resident who names their (former) commune or ward."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.procedures import send
from actions.runtime import runtime
from answers import compose


class ActionAnswerLocality(Action):
    def name(self) -> str:
        return "action_answer_locality"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rt = runtime()
        language = tracker.get_slot("language")
        match = rt.localities.find_ward(tracker.latest_message.get("text") or "")
        knowledge = rt.knowledge()
        code = tracker.get_slot("procedure_code")
        procedure = knowledge.get(code) if knowledge is not None and code else None
        send(dispatcher, compose.locality(match, procedure, language, rt.localities.province_service_center))
        return [SlotSet("ward", match.ward.name)] if match else []
