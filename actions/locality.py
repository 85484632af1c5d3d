"""Where to submit for a resident who names their (former) commune or ward."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.boundary import code_slot, language, latest_text, never_fails
from actions.procedures import send
from actions.runtime import runtime
from answers import compose


class ActionAnswerLocality(Action):
    def name(self) -> str:
        return "action_answer_locality"

    @never_fails
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        rt = runtime()
        match = rt.localities.find_ward(latest_text(tracker))
        knowledge = rt.knowledge()
        code = code_slot(tracker)
        procedure = knowledge.get(code) if knowledge is not None and code else None
        send(dispatcher, compose.locality(match, procedure, language(tracker), rt.localities.province_service_center))
        return [SlotSet("ward", match.ward.name)] if match else []
