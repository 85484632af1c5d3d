"""Actions that answer procedure questions from the knowledge engine."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import runtime
from answers import compose
from answers.route import route_turn
from knowledge.model import Procedure
from knowledge.search import KnowledgeBase


def send(dispatcher: CollectingDispatcher, reply: compose.Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons, json_message=reply.custom)


def place_of(tracker: Tracker) -> compose.Place:
    """The resident's ward centre once a ward is known in the conversation, and the province's."""
    localities = runtime().localities
    ward_name = tracker.get_slot("ward")
    ward = localities.ward(ward_name) if ward_name else None
    return compose.Place(
        province_center=localities.province_service_center,
        ward_center=ward.service_center if ward else None,
    )


def known(knowledge: KnowledgeBase, codes: list[str] | None) -> list[Procedure]:
    """The procedures of `codes` the loaded index has, in order."""
    return [p for p in map(knowledge.get, codes or []) if p is not None]


def _no_answer(dispatcher: CollectingDispatcher, language: str | None) -> list[EventType]:
    localities = runtime().localities
    send(dispatcher, compose.no_answer(language, localities.hotline, localities.hours_in(language)))
    return []


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = tracker.get_slot("language")
        knowledge = runtime().knowledge()
        if knowledge is None:
            return _no_answer(dispatcher, language)

        message = tracker.latest_message
        context = tracker.get_slot("procedure_code")
        offered = [(p.code, p.title) for p in known(knowledge, tracker.get_slot("candidates"))] if context is None else []
        route = route_turn(
            text=message.get("text") or "",
            intent=(message.get("intent") or {}).get("name"),
            context_code=context,
            picked_code=next(tracker.get_latest_entity_values("procedure_code"), None),
            pending_aspect=tracker.get_slot("aspect"),
            search=knowledge.search,
            offered=offered,
        )
        procedure = knowledge.get(route.code) if route.code else None
        if route.kind == "answer" and procedure is not None:
            send(dispatcher, compose.procedure_answer(procedure, route.aspect, language, place_of(tracker)))
            events = [SlotSet("procedure_code", procedure.code), SlotSet("aspect", route.aspect)]
            if route.options or procedure.code != context:  # a follow-up keeps the alternatives for "không phải"
                events.append(SlotSet("candidates", [code for code, _ in route.options] or None))
            return events
        if route.kind == "choices":  # no procedure in context until one is picked
            send(dispatcher, compose.choices(route.options, language))
            return [SlotSet("procedure_code", None), SlotSet("aspect", route.aspect),
                    SlotSet("candidates", [c for c, _ in route.options])]  # fmt: skip
        return _no_answer(dispatcher, language)


class ActionShowCandidates(Action):
    """"Không phải" / "not that one": offer the other candidates of the last search again."""

    def name(self) -> str:
        return "action_show_candidates"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        knowledge = runtime().knowledge()
        current = tracker.get_slot("procedure_code")
        codes = [c for c in (tracker.get_slot("candidates") or []) if c != current]
        procedures = known(knowledge, codes) if knowledge else []
        if not procedures:
            dispatcher.utter_message(response="utter_no_candidates")
            return [SlotSet("procedure_code", None)]
        options = [(p.code, p.title) for p in procedures]
        send(dispatcher, compose.choices(options, tracker.get_slot("language")))
        return [SlotSet("procedure_code", None), SlotSet("candidates", [c for c, _ in options])]


class ActionHandoff(Action):
    """A citizen asks for a person: the hotline and hours for now (a live handover comes later)."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        localities = runtime().localities
        language = tracker.get_slot("language")
        reply = compose.handoff(language, localities.hotline, localities.hours_in(language), place_of(tracker))
        send(dispatcher, reply)
        return []
